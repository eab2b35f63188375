"""The JSON API (next_token.server.app): shapes, agreement with the model, bad input, streaming
and disconnects, concurrency."""

from __future__ import annotations

import json
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from fastapi.testclient import TestClient

from next_token.language_model import LanguageModel
from next_token.server import create_app, running_server
from next_token.server.schemas import Limits
from next_token.text.corpus import Text

CORPUS = """
The cat sat on the mat. The dog sat on the log. The cat saw the dog, and the dog saw the cat.
A small cat is a good pet. A big dog is a good friend. The old man walked his dog in the park.
The young woman read a book in the garden. She read the book slowly, and then she read it again.
In the morning the sun rose over the hills. In the evening the sun set behind the trees.
The children played in the park until the rain came. Then they ran home and ate their dinner.
The cat slept on the warm chair. The dog slept by the door. Everyone in the house was asleep.
"Where is the cat?" asked the old man. "The cat is in the garden," said the young woman.
The river ran past the village. The boat sailed down the river to the sea.
"""


def train_model():
    """A small real model: trains in a few milliseconds."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # too little text for Kneser-Ney discounts: fallbacks are fine
        return LanguageModel.train([Text(CORPUS)], order=3)


@pytest.fixture(scope="module")
def lm():
    return train_model()


@pytest.fixture(scope="module")
def client(lm):
    with TestClient(create_app(lm)) as c:
        yield c


def error_of(response) -> dict:
    body = response.json()
    assert set(body) == {"error"}, body
    assert body["error"]["message"], body
    return body["error"]


# ---- service endpoints ----------------------------------------------------------------------


def test_health(client):
    r = client.get("/health")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "active_streams": 0, "queued": {"predict": 0, "long": 0}}


def test_info_reports_model_and_limits(client, lm):
    body = client.get("/api/info").json()
    assert body["model"] == json.loads(json.dumps(lm.info()))
    assert body["limits"]["max_k"] == Limits().max_k
    assert body["model_id"].startswith("ntp-")


def test_openapi_documents_the_api(client):
    paths = client.get("/openapi.json").json()["paths"]
    for path in ["/api/predict", "/api/complete", "/api/completions", "/api/generate", "/api/score",
                 "/api/info", "/health", "/v1/completions", "/v1/chat/completions", "/v1/models"]:
        assert path in paths


# ---- model endpoints agree with the model ----------------------------------------------------


def test_predict_returns_the_models_top_k(client, lm):
    r = client.post("/api/predict", json={"context": "The cat", "k": 3})
    assert r.status_code == 200
    body = r.json()
    expected = lm.predict("The cat", k=3)
    assert [p["token"] for p in body["predictions"]] == [p.token for p in expected]
    assert [p["probability"] for p in body["predictions"]] == pytest.approx([p.probability for p in expected])
    probs = [p["probability"] for p in body["predictions"]]
    assert probs == sorted(probs, reverse=True)
    assert all(0 <= p <= 1 for p in probs)


def test_predict_text_is_what_to_append(client):
    preds = client.post("/api/predict", json={"context": "The cat sat on the", "k": 5}).json()["predictions"]
    for p in preds:
        if p["token"].isalpha():
            assert p["text"] == " " + p["token"]
    preds = client.post("/api/predict", json={"context": "The cat sat on the ", "k": 5}).json()["predictions"]
    assert all(not p["text"].startswith(" ") for p in preds)


def test_predict_prefix_filters_to_words_being_typed(client, lm):
    r = client.post("/api/predict", json={"context": "The old ", "prefix": "m", "k": 5})
    preds = r.json()["predictions"]
    assert preds, "the corpus has 'old man'"
    assert all(p["token"].startswith("m") for p in preds)
    assert preds[0]["token"] == "man"
    full = {p.token: p.probability for p in lm.predict("The old ", k=50)}
    assert preds[0]["probability"] == pytest.approx(full["man"])


def test_predict_prefix_in_lower_case_matches_any_case(client, lm):
    preds = client.post("/api/predict", json={"context": "", "prefix": "th", "k": 5}).json()["predictions"]
    assert "The" in [p["token"] for p in preds]  # the corpus writes "The" at sentence starts
    assert [p["token"] for p in preds] == [p.token for p in lm.predict("", k=5, prefix="th")]
    exact = client.post("/api/predict", json={"context": "", "prefix": "Th", "k": 5}).json()["predictions"]
    assert exact and all(p["token"].startswith("Th") == (p["distance"] == 0) for p in exact)
    strict = client.post("/api/predict", json={"context": "", "prefix": "Th", "k": 5, "typos": False}).json()
    assert strict["predictions"] and all(p["token"].startswith("Th") for p in strict["predictions"])


def test_complete_equals_model(client, lm):
    r = client.post("/api/complete", json={"prompt": "The dog", "max_tokens": 5})
    assert r.status_code == 200
    assert r.json() == {"prompt": "The dog", "completion": lm.complete("The dog", max_tokens=5)}


def test_completions_equal_model(client, lm):
    body = client.post("/api/completions", json={"prompt": "The cat", "k": 3, "max_tokens": 4}).json()
    expected = lm.completions("The cat", k=3, max_tokens=4)
    assert [c["text"] for c in body["completions"]] == [c.text for c in expected]
    assert [c["probability"] for c in body["completions"]] == pytest.approx([c.probability for c in expected])


def test_generate_is_repeatable_with_a_seed(client, lm):
    req = {"prompt": "The", "max_tokens": 12, "seed": 7, "temperature": 0.8}
    a = client.post("/api/generate", json=req).json()
    b = client.post("/api/generate", json=req).json()
    assert a == b
    assert a["text"] == lm.generate("The", max_tokens=12, seed=7, temperature=0.8)


def test_generate_takes_the_decoding_policy_and_min_p(client, lm):
    req = {"prompt": "The", "max_tokens": 15, "seed": 7}
    smoothed = client.post("/api/generate", json={**req, "decoding": "smoothed", "min_p": 0.02}).json()["text"]
    assert smoothed == lm.generate("The", max_tokens=15, seed=7, decoding="smoothed", min_p=0.02)
    seen = client.post("/api/generate", json={**req, "decoding": "seen"}).json()["text"]
    assert seen == client.post("/api/generate", json=req).json()["text"]  # "seen" is the default
    assert seen != smoothed
    events = client.post("/api/generate", json={**req, "decoding": "smoothed", "min_p": 0.02, "stream": True}).text
    assert json.loads(events.rstrip().rsplit("data: ", 1)[1]) == {"text": smoothed}


def test_generate_stream_sends_the_same_text_as_events(client):
    req = {"prompt": "The", "max_tokens": 12, "seed": 3}
    whole = client.post("/api/generate", json=req).json()["text"]
    r = client.post("/api/generate", json={**req, "stream": True})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/event-stream")
    events = [e for e in r.text.split("\n\n") if e]
    pieces = [json.loads(e.removeprefix("data: "))["text"] for e in events[:-1]]
    assert events[-1].startswith("event: done\n")
    assert "".join(pieces) == whole
    assert json.loads(events[-1].split("data: ", 1)[1]) == {"text": whole}


def test_generate_stop_cuts_the_same_streamed_or_not(client, lm):
    free = lm.generate("The", max_tokens=30, seed=5)
    stop = free.split()[len(free.split()) // 2]
    req = {"prompt": "The", "max_tokens": 30, "seed": 5, "stop": [stop]}
    text = client.post("/api/generate", json=req).json()["text"]
    assert text == free[: free.find(stop)]
    events = [e for e in client.post("/api/generate", json={**req, "stream": True}).text.split("\n\n") if e]
    assert json.loads(events[-1].split("data: ", 1)[1]) == {"text": text}


def test_a_stream_the_model_refuses_is_a_400_not_a_broken_stream(client):
    r = client.post("/api/generate", json={"prompt": "The", "temperature": 1000.0, "stream": True})
    assert r.status_code == 400
    assert "temperature" in error_of(r)["message"]
    assert client.get("/health").json()["active_streams"] == 0


def test_score_matches_model(client, lm):
    text = "The cat sat on the mat."
    body = client.post("/api/score", json={"text": text}).json()
    s = lm.score(text)
    assert body["logprob"] == pytest.approx(s.logprob)
    assert body["tokens"] == s.tokens and body["oov"] == s.oov
    assert body["perplexity"] == pytest.approx(s.perplexity)
    assert [t["token"] for t in body["token_logprobs"]] == [t for t, _ in s.token_logprobs]


# ---- bad input -------------------------------------------------------------------------------

BAD_REQUESTS = [
    ("/api/predict", b"{not json", "not valid JSON"),
    ("/api/predict", b"[1, 2]", "JSON object"),
    ("/api/predict", b'{"context": 5}', "context"),
    ("/api/predict", b'{"k": "5"}', "k"),
    ("/api/predict", b'{"k": true}', "k"),
    ("/api/predict", b'{"k": 2.5}', "k"),
    ("/api/predict", b'{"k": 0}', "k"),
    ("/api/predict", b'{"k": 100000}', "at most"),
    ("/api/predict", b'{"context": "a", "kk": 1}', "kk"),
    ("/api/predict", b'{"context": "\\ud800"}', "Unicode"),
    ("/api/predict", b"\xff\xfe\x00", "JSON"),
    ("/api/complete", b'{"max_tokens": 5}', "prompt"),
    ("/api/complete", b'{"prompt": "a", "max_tokens": 1000000}', "max_tokens"),
    ("/api/completions", b'{"prompt": "a", "k": 100000}', "k"),
    ("/api/generate", b'{"prompt": "a", "temperature": -1}', "temperature"),
    ("/api/generate", b'{"prompt": "a", "top_p": 1.5}', "top_p"),
    ("/api/generate", b'{"prompt": "a", "stop": "x"}', "stop"),
    ("/api/generate", b'{"prompt": "a", "decoding": "beam"}', "decoding"),
    ("/api/generate", b'{"prompt": "a", "min_p": 2}', "min_p"),
    ("/api/generate", b'{"prompt": "a", "max_tokens": 0, "stream": true}', "max_tokens"),
    ("/api/score", b'{"text": null}', "text"),
]


@pytest.mark.parametrize("path,body,mentions", BAD_REQUESTS)
def test_bad_input_gets_a_400_that_says_why(client, path, body, mentions):
    r = client.post(path, content=body, headers={"content-type": "application/json"})
    assert r.status_code == 400, r.text
    assert mentions.lower() in error_of(r)["message"].lower()


def test_missing_content_type_is_explained(client):
    r = client.post("/api/predict", content=b'{"context": "a"}')
    assert r.status_code == 400
    assert "application/json" in error_of(r)["message"]


def test_huge_prompt_is_refused(client):
    r = client.post("/api/predict", json={"context": "word " * 5000})
    assert r.status_code == 400
    assert error_of(r)["param"] == "context"


def test_huge_body_is_refused_before_parsing(client):
    r = client.post("/api/score", content=b'{"text": "' + b"a" * (2 << 20) + b'"}',
                    headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert "limit" in error_of(r)["message"]


def test_model_input_errors_become_400(client):
    r = client.post("/api/complete", json={"prompt": ""})
    assert r.status_code == 400, r.text
    error_of(r)


def test_unknown_path_and_method(client):
    assert error_of(r := client.get("/api/nothing"))["type"] == "not_found_error" and r.status_code == 404
    assert client.get("/api/complete").status_code == 405


def test_predict_by_get_for_a_quick_look(client):
    r = client.get("/api/predict", params={"context": "The cat", "k": 3})
    assert r.status_code == 200
    assert r.json() == client.post("/api/predict", json={"context": "The cat", "k": 3}).json()
    assert client.get("/api/predict", params={"k": 100000}).status_code == 400
    assert client.get("/api/predict", params={"k": "many"}).status_code == 400


def test_server_keeps_serving_after_bad_input(client):
    for path, body, _ in BAD_REQUESTS:
        client.post(path, content=body, headers={"content-type": "application/json"})
    assert client.get("/health").json()["status"] == "ok"
    assert client.post("/api/predict", json={"context": "The"}).status_code == 200


def test_limits_are_configurable(lm):
    with TestClient(create_app(lm, limits=Limits(max_k=2, max_prompt_chars=10))) as c:
        assert c.post("/api/predict", json={"context": "The", "k": 3}).status_code == 400
        assert c.post("/api/predict", json={"context": "The", "k": 2}).status_code == 200
        assert c.post("/api/predict", json={"context": "x" * 11}).status_code == 400


# ---- the page ----------------------------------------------------------------------------------


def test_page_and_its_assets_are_served(client):
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '<textarea id="text"' in page.text
    for asset, kind in [("/static/app.js", "javascript"), ("/static/style.css", "text/css")]:
        r = client.get(asset)
        assert r.status_code == 200 and kind in r.headers["content-type"]


# ---- a live server: streams, disconnects, concurrency -------------------------------------------


class SlowStream:
    """Wraps a model so that its streams are long and slow, and counts the ones left open."""

    def __init__(self, lm):
        self.lm = lm
        self.open_streams = 0
        self.lock = threading.Lock()

    def __getattr__(self, name):
        return getattr(self.lm, name)

    def stream(self, prompt="", **kwargs):
        return self._slowly(lambda: self.lm.stream(prompt, **kwargs))

    def steps(self, prompt="", **kwargs):
        # the token steps only: the stream ends when the client leaves, never by itself
        return self._slowly(lambda: (s for s in self.lm.steps(prompt, **kwargs) if s.token is not None))

    def _slowly(self, make):
        with self.lock:
            self.open_streams += 1
        try:
            for _ in range(10_000):
                for item in make():
                    time.sleep(0.005)
                    yield item
        finally:
            with self.lock:
                self.open_streams -= 1


@pytest.fixture(scope="module")
def slow(lm):
    model = SlowStream(lm)
    app = create_app(model)
    with running_server(app) as url:
        yield model, app, url


def wait_until(condition, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


@pytest.mark.parametrize("path,body", [
    ("/api/generate", {"prompt": "The", "max_tokens": 1000, "stream": True, "seed": 1}),
    ("/v1/completions", {"model": "m", "prompt": "The", "max_tokens": 1000, "stream": True, "seed": 1}),
    ("/v1/chat/completions", {"model": "m", "messages": [{"role": "user", "content": "The"}], "max_tokens": 1000,
                              "stream": True, "seed": 1, "logprobs": True, "top_logprobs": 2}),
])
def test_client_disconnect_mid_stream_leaves_nothing_behind(slow, path, body):
    model, app, url = slow
    threads_before = threading.active_count()
    with httpx.Client(base_url=url, timeout=10) as http:
        with http.stream("POST", path, json=body) as r:
            assert r.status_code == 200
            lines = r.iter_lines()
            got = [next(lines) for _ in range(6)]
            assert any(line.startswith("data: ") for line in got)
            assert http.get("/health").json()["active_streams"] == 1
        # leaving the block closes the connection mid-stream
        assert wait_until(lambda: http.get("/health").json()["active_streams"] == 0)
    assert wait_until(lambda: model.open_streams == 0)
    assert app.state.runner.lanes["long"].running == 0
    assert wait_until(lambda: threading.active_count() <= threads_before + app.state.runner.threads)


def test_concurrent_requests_are_all_served(slow, lm):
    _, _, url = slow
    contexts = ["The", "The cat", "A small", "In the", "The old man", "She read"] * 5

    with httpx.Client(base_url=url, timeout=20, limits=httpx.Limits(max_connections=16)) as http:

        def ask(context):
            return http.post("/api/predict", json={"context": context, "k": 3}).json()

        with ThreadPoolExecutor(max_workers=16) as pool:
            answers = list(pool.map(ask, contexts))
    for context, answer in zip(contexts, answers):
        assert [p["token"] for p in answer["predictions"]] == [p.token for p in lm.predict(context, k=3)]


def test_live_server_survives_garbage_and_keeps_serving(slow):
    _, _, url = slow
    host, port = url.removeprefix("http://").split(":")
    for raw in [b"NOT HTTP AT ALL\r\n\r\n",
                b"POST /api/predict HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n{\"k\":",
                b"POST /api/score HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Content-Length: 50000000\r\n\r\n" + b"x" * 10000]:
        with socket.create_connection((host, int(port)), timeout=5) as sock:
            sock.sendall(raw)
            sock.shutdown(socket.SHUT_WR)
            reply = sock.recv(4096)
        assert reply == b"" or reply.startswith(b"HTTP/1.1 4"), reply[:100]
    with httpx.Client(base_url=url, timeout=10) as http:
        assert http.post("/api/predict", json={"context": "The", "k": 100000}).status_code == 400
        assert http.post("/api/predict", json={"context": "The", "k": 2}).status_code == 200
        assert http.get("/health").json()["status"] == "ok"


def test_health_answers_while_the_model_is_busy(slow):
    _, _, url = slow
    with httpx.Client(base_url=url, timeout=10) as http:
        with http.stream("POST", "/api/generate", json={"prompt": "The", "max_tokens": 1000, "stream": True}) as r:
            next(r.iter_lines())
            started = time.perf_counter()
            assert http.get("/health").status_code == 200
            assert time.perf_counter() - started < 1.0


def test_inline_model_calls_give_the_same_answers(lm):
    """model_threads=0 runs the model on the event loop (a benchmark knob): same results."""
    with TestClient(create_app(lm, model_threads=0)) as c:
        body = c.post("/api/predict", json={"context": "The cat", "k": 3}).json()
        assert [p["token"] for p in body["predictions"]] == [p.token for p in lm.predict("The cat", k=3)]
        events = c.post("/api/generate", json={"prompt": "The", "max_tokens": 5, "seed": 1, "stream": True}).text
        assert json.loads(events.rstrip().rsplit("data: ", 1)[1])["text"] == lm.generate("The", max_tokens=5, seed=1)


# ---- several worker processes -------------------------------------------------------------------


def test_workers_need_a_model_file(lm):
    from next_token.errors import InputError
    from next_token.server import serve

    with pytest.raises(InputError, match="file"):
        serve(lm, port=0, workers=2)  # trained in memory: no file for the workers to reopen


def test_worker_listener_is_tcp_so_connections_get_nodelay():
    """uvicorn's own listener has proto 0 and its connections lose TCP_NODELAY (+40 ms each)."""
    from next_token.server.workers import tcp_listener

    sock = tcp_listener("127.0.0.1", 0)
    try:
        sock.listen(1)
        client = socket.create_connection(sock.getsockname())
        accepted, _ = sock.accept()
        assert accepted.proto == socket.IPPROTO_TCP
        client.close()
        accepted.close()
    finally:
        sock.close()


def test_two_worker_processes_serve_the_same_model_file(lm, tmp_path):
    import subprocess
    import sys

    path = tmp_path / "tiny.ntp"
    lm.save(path)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    code = ("from next_token.language_model import LanguageModel; from next_token.server import serve; "
            f"serve(LanguageModel.load({str(path)!r}), port={port}, workers=2, log_level='warning')")
    proc = subprocess.Popen([sys.executable, "-c", code])
    try:
        url = f"http://127.0.0.1:{port}"
        assert wait_until(lambda: _answers(url), timeout=30), "the workers did not start"
        with httpx.Client(base_url=url, timeout=10) as http:
            for _ in range(4):
                body = http.post("/api/predict", json={"context": "The cat", "k": 3}).json()
                assert [p["token"] for p in body["predictions"]] == [p.token for p in lm.predict("The cat", k=3)]
    finally:
        proc.terminate()
        assert proc.wait(timeout=20) is not None


def _answers(url: str) -> bool:
    try:
        return httpx.get(url + "/health", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False
