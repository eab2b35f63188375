"""Optional API keys (next_token.server.api_keys) and CORS origins: the model's routes need a key as
OpenAI clients send it; /health, the page and the docs stay open; CORS headers go to the allowed
origins only."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from next_token.server import create_app, running_server

KEYS = ["key-one", "key-two"]
ALLOWED, OTHER = "https://notes.example", "https://evil.example"


@pytest.fixture(scope="module")
def locked(tiny_lm):
    with TestClient(create_app(tiny_lm, api_keys=KEYS, cors_origins=[ALLOWED])) as c:
        yield c


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer nope"}, {"Authorization": "key-one"},
                                     {"Authorization": "Basic a2V5LW9uZQ=="}, {"Authorization": "Bearer "}])
def test_the_model_needs_a_key(locked, headers):
    for method, path, body in [("POST", "/api/predict", {"context": "The"}), ("GET", "/api/info", None),
                               ("GET", "/v1/models", None),
                               ("POST", "/v1/completions", {"model": "m", "prompt": "The"})]:
        r = locked.request(method, path, json=body, headers=headers)
        assert r.status_code == 401, (path, r.text)
        error = r.json()["error"]
        assert error["code"] == "invalid_api_key" and "Bearer" in (error["message"] + r.headers["www-authenticate"])


@pytest.mark.parametrize("key", KEYS)
def test_each_key_is_accepted(locked, key):
    r = locked.post("/api/predict", json={"context": "The"}, headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 200
    assert locked.get("/api/info", headers={"authorization": f"bearer {key}"}).status_code == 200


def test_health_page_and_docs_stay_open(locked):
    for path in ["/health", "/", "/static/app.js", "/static/style.css", "/docs", "/openapi.json"]:
        assert locked.get(path).status_code == 200, path


def test_the_openai_client_sends_its_key(tiny_lm):
    openai = pytest.importorskip("openai")
    with running_server(tiny_lm, api_keys=KEYS, model_id="tiny") as url:
        with openai.OpenAI(base_url=url + "/v1", api_key="key-two", max_retries=0, timeout=10) as client:
            assert client.completions.create(model="tiny", prompt="The cat", max_tokens=3, seed=1).choices[0].text
            assert [m.id for m in client.models.list()] == ["tiny"]
        with openai.OpenAI(base_url=url + "/v1", api_key="wrong", max_retries=0, timeout=10) as client:
            with pytest.raises(openai.AuthenticationError):
                client.chat.completions.create(model="tiny", messages=[{"role": "user", "content": "The"}])


def test_keys_may_come_as_one_string(tiny_lm):
    c = TestClient(create_app(tiny_lm, api_keys="alpha, beta gamma"))
    for key in ["alpha", "beta", "gamma"]:
        assert c.get("/api/info", headers={"Authorization": f"Bearer {key}"}).status_code == 200
    assert c.get("/api/info", headers={"Authorization": "Bearer alpha,"}).status_code == 401


def test_without_keys_everything_is_open(tiny_lm):
    c = TestClient(create_app(tiny_lm))
    assert c.post("/api/predict", json={"context": "The"}).status_code == 200


# ---- CORS --------------------------------------------------------------------------------------


def test_cors_headers_only_for_the_allowed_origin(locked):
    auth = {"Authorization": "Bearer key-one"}
    r = locked.post("/api/predict", json={"context": "The"}, headers={**auth, "Origin": ALLOWED})
    assert r.status_code == 200 and r.headers["access-control-allow-origin"] == ALLOWED
    r = locked.post("/api/predict", json={"context": "The"}, headers={**auth, "Origin": OTHER})
    assert "access-control-allow-origin" not in r.headers
    r = locked.post("/api/predict", json={"context": "The"}, headers=auth)
    assert "access-control-allow-origin" not in r.headers


def test_cors_preflight_needs_no_key(locked):
    ask = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization, content-type"}
    r = locked.options("/v1/chat/completions", headers={**ask, "Origin": ALLOWED})
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == ALLOWED
    assert "authorization" in r.headers["access-control-allow-headers"].lower()
    r = locked.options("/v1/chat/completions", headers={**ask, "Origin": OTHER})
    assert r.status_code == 400 and "access-control-allow-origin" not in r.headers


def test_a_refused_key_is_readable_by_the_allowed_page(locked):
    r = locked.get("/api/info", headers={"Origin": ALLOWED})
    assert r.status_code == 401 and r.headers["access-control-allow-origin"] == ALLOWED


def test_no_cors_headers_by_default(tiny_lm):
    c = TestClient(create_app(tiny_lm))
    r = c.post("/api/predict", json={"context": "The"}, headers={"Origin": ALLOWED})
    assert "access-control-allow-origin" not in r.headers


# ---- ntp serve ---------------------------------------------------------------------------------


def test_ntp_serve_takes_keys_and_origins(tiny_model_file, monkeypatch):
    import next_token.server as server
    from next_token.cli import main

    path = tiny_model_file
    seen = {}
    monkeypatch.setattr(server, "serve", lambda lm, **kw: seen.update(kw))
    args = ["serve", "-m", str(path), "--api-key", "k1", "--api-key", "k2", "--cors-origin", ALLOWED]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert list(seen["api_keys"]) == ["k1", "k2"] and list(seen["cors_origins"]) == [ALLOWED]
    result = CliRunner().invoke(main, ["serve", "-m", str(path)], env={"NTP_API_KEY": "k3 k4"})
    assert result.exit_code == 0, result.output
    assert list(seen["api_keys"]) == ["k3", "k4"]
