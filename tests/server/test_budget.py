"""Per-request deadlines and clients that leave (next_token.server.budget): a request that runs past
its budget ends with a clear error (a stream with an error event), and work whose client has gone
stops, so it never holds a model thread for the requests behind it."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from next_token.server import create_app, running_server
from next_token.server.schemas import Limits

LONG = {"model": "m", "prompt": "The", "max_tokens": 1000, "seed": 1}  # 10 s at 10 ms a token


@pytest.fixture(scope="module")
def deadline_server(tiny_lm, slow_model):
    model = slow_model(tiny_lm, delay=0.01)
    app = create_app(model, limits=Limits(request_timeout=0.5), model_threads=1)
    with running_server(app) as url:
        yield model, app, url


def test_a_request_past_its_deadline_gets_a_504_that_says_why(deadline_server, until):
    model, _, url = deadline_server
    started = time.monotonic()
    r = httpx.post(url + "/v1/completions", json=LONG, timeout=10)
    elapsed = time.monotonic() - started
    assert r.status_code == 504, r.text
    error = r.json()["error"]
    assert error["code"] == "deadline_exceeded" and error["type"] == "timeout_error"
    assert "0.5 s" in error["message"] and "request_timeout" in error["message"]
    assert r.headers["x-should-retry"] == "false"  # OpenAI's clients would send it again otherwise
    assert 0.5 <= elapsed < 1.5
    assert until(lambda: model.running == 0, 2)  # the generation stopped within a token


def test_the_openai_client_raises_the_deadline(deadline_server):
    openai = pytest.importorskip("openai")
    _, _, url = deadline_server
    with openai.OpenAI(base_url=url + "/v1", api_key="x", max_retries=2, timeout=10) as client:
        started = time.monotonic()
        with pytest.raises(openai.APIStatusError) as err:
            client.completions.create(**LONG)
        assert err.value.status_code == 504
        assert time.monotonic() - started < 1.5  # x-should-retry: false, so no retries


def test_a_stream_past_its_deadline_ends_with_an_error_event(deadline_server):
    _, _, url = deadline_server
    started = time.monotonic()
    r = httpx.post(url + "/v1/completions", json={**LONG, "stream": True}, timeout=10)
    assert r.status_code == 200
    events = [e.removeprefix("data: ") for e in r.text.split("\n\n") if e]
    assert events[-1] == "[DONE]"
    assert json.loads(events[-2])["error"]["code"] == "deadline_exceeded"
    assert len(events) > 3  # some text came before the deadline
    assert time.monotonic() - started < 1.5


def test_a_page_stream_past_its_deadline_ends_with_an_error_event(deadline_server):
    _, _, url = deadline_server
    r = httpx.post(url + "/api/generate", json={"prompt": "The", "max_tokens": 1000, "stream": True}, timeout=10)
    last = [e for e in r.text.split("\n\n") if e][-1]
    assert last.startswith("event: error\n")
    assert json.loads(last.split("data: ", 1)[1])["error"]["code"] == "deadline_exceeded"


def test_generate_without_stream_stops_at_the_deadline(deadline_server):
    _, _, url = deadline_server
    r = httpx.post(url + "/api/generate", json={"prompt": "The", "max_tokens": 1000}, timeout=10)
    assert r.status_code == 504


def test_a_request_that_waited_its_whole_budget_gets_a_503(tiny_lm, slow_model, until):
    """One model thread, held 1 s by a call that cannot be interrupted (a long score): the next
    request's budget runs out in the queue, and it is told to come back later."""
    import threading

    model = slow_model(tiny_lm, score_delay=1.0)
    app = create_app(model, limits=Limits(request_timeout=0.4), model_threads=1)
    with running_server(app) as url, httpx.Client(base_url=url, timeout=10) as http:
        results = {}
        t = threading.Thread(target=lambda: results.setdefault(
            "first", httpx.post(url + "/api/score", json={"text": "The cat."}, timeout=10)))
        t.start()
        assert until(lambda: app.state.runner.lanes["long"].running == 1, 2)
        r = http.post("/v1/completions", json={**LONG, "max_tokens": 2})
        t.join()
    assert r.status_code == 503, r.text
    assert r.headers["retry-after"] == "1"
    assert r.json()["error"]["code"] == "server_busy" and "waited" in r.json()["error"]["message"]
    assert results["first"].status_code == 200  # work that finished late is still delivered


# ---- clients that leave ------------------------------------------------------------------------


@pytest.mark.parametrize("path,body", [
    ("/v1/completions", LONG),
    ("/v1/chat/completions", {"model": "m", "messages": [{"role": "user", "content": "The"}], "max_tokens": 1000,
                              "seed": 1, "logprobs": True, "top_logprobs": 2}),
    ("/api/generate", {"prompt": "The", "max_tokens": 1000}),
])
def test_dropped_requests_free_the_model_thread(tiny_lm, slow_model, until, raw_post, path, body):
    """Two clients send 10-second requests and leave; the next request is answered at once (it
    waited 66 s behind two dropped requests before), and the abandoned work has stopped."""
    model = slow_model(tiny_lm, delay=0.01)
    app = create_app(model, limits=Limits(request_timeout=30), model_threads=1)
    with running_server(app) as url:
        dropped = [raw_post(url, path, body) for _ in range(2)]
        assert until(lambda: model.running == 1, 2)  # one runs, one waits for the model thread
        for sock in dropped:
            sock.close()
        started = time.monotonic()
        r = httpx.post(url + "/v1/completions", json={**LONG, "max_tokens": 3}, timeout=10)
        assert r.status_code == 200
        assert time.monotonic() - started < 1.0
        assert until(lambda: model.running == 0, 2)
        assert app.state.runner.lanes["long"].running == 0


def test_a_budget_is_only_for_the_model_routes():
    """/health and the page have no deadline to keep (they do no model work)."""
    from next_token.server.budget import RequestBudgets

    seen = []

    async def app(scope, receive, send):
        from next_token.server.budget import current_budget

        seen.append(current_budget())
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    from starlette.testclient import TestClient

    c = TestClient(RequestBudgets(app, timeout=3))
    c.get("/health")
    c.get("/api/info")
    assert seen[0] is None
    assert seen[1] is not None and 2.5 < seen[1].remaining() <= 3
