"""The model's threads and queues (next_token.server.runner): a full queue is a 503 with
Retry-After at once, and predictions never queue behind long work."""

from __future__ import annotations

import threading
import time

import httpx
import pytest

from next_token.server import create_app, running_server
from next_token.server.runner import ModelRunner
from next_token.server.schemas import Limits

LONG = {"model": "m", "prompt": "The", "max_tokens": 1000, "seed": 1}  # 10 s at 10 ms a token


@pytest.fixture()
def busy(tiny_lm, slow_model, until, raw_post):
    """A server with one model thread per lane and room for one request in each queue, its long
    lane taken by one running request and one waiting."""
    model = slow_model(tiny_lm, delay=0.01)
    app = create_app(model, limits=Limits(request_timeout=30, max_queue=1), model_threads=1)
    with running_server(app) as url:
        held = [raw_post(url, "/v1/completions", LONG) for _ in range(2)]
        assert until(lambda: app.state.runner.queued()["long"] == 1, 3)
        yield app, url
        for sock in held:
            sock.close()  # the dropped requests stop (test_budget.py)
        assert until(lambda: model.running == 0, 3)


def test_a_full_queue_is_a_503_with_retry_after(busy):
    app, url = busy
    started = time.monotonic()
    r = httpx.post(url + "/v1/completions", json={**LONG, "max_tokens": 2}, timeout=10)
    assert time.monotonic() - started < 0.5  # at once, not after waiting
    assert r.status_code == 503
    assert r.headers["retry-after"] == "1"
    error = r.json()["error"]
    assert error["code"] == "server_busy" and "max_queue" in error["message"]
    assert httpx.get(url + "/health").json()["queued"] == {"predict": 0, "long": 1}


def test_the_openai_client_retries_after_a_503(busy):
    """OpenAI's client reads Retry-After and retries; here the queue stays full, so it gives up."""
    openai = pytest.importorskip("openai")
    _, url = busy
    with openai.OpenAI(base_url=url + "/v1", api_key="x", max_retries=1, timeout=10) as client:
        started = time.monotonic()
        with pytest.raises(openai.InternalServerError) as err:
            client.completions.create(**{**LONG, "max_tokens": 2})
        assert err.value.status_code == 503
        assert time.monotonic() - started >= 0.9  # it waited the second Retry-After asked for


def test_predictions_do_not_wait_behind_long_work(busy, tiny_lm):
    _, url = busy
    with httpx.Client(base_url=url, timeout=10) as http:
        for _ in range(5):
            started = time.monotonic()
            r = http.post("/api/predict", json={"context": "The cat", "k": 3})
            assert r.status_code == 200
            assert time.monotonic() - started < 0.3
    assert [p["token"] for p in r.json()["predictions"]] == [p.token for p in tiny_lm.predict("The cat", k=3)]


def test_a_stream_is_not_refused_midway(tiny_lm, slow_model):
    """A request passes the queue's check once: the pieces of a stream already going are never
    refused, however busy the lane is between them (here: no queue at all, and other requests
    trying all along to get the one thread)."""
    model = slow_model(tiny_lm, delay=0.005, score_delay=0.003)
    app = create_app(model, limits=Limits(request_timeout=30, max_queue=0), model_threads=1)
    with running_server(app) as url:
        stop, statuses = threading.Event(), []

        def crowd():
            with httpx.Client(base_url=url, timeout=10) as http:
                while not stop.is_set():
                    statuses.append(http.post("/api/score", json={"text": "The cat."}).status_code)

        crowders = [threading.Thread(target=crowd) for _ in range(3)]
        with httpx.stream("POST", url + "/v1/completions", json={**LONG, "max_tokens": 60, "stream": True},
                          timeout=10) as r:
            lines = r.iter_lines()
            text = [next(lines)]  # the stream has begun: now crowd the lane
            for t in crowders:
                t.start()
            try:
                text += list(lines)
            finally:
                stop.set()
                for t in crowders:
                    t.join()
        text = [line for line in text if line]
        assert text[-1] == "data: [DONE]" and not any('"error"' in line for line in text)
        assert 503 in statuses  # the lane was full all along: new requests were refused, the stream was not


def test_runner_rejects_bad_settings():
    with pytest.raises(ValueError):
        ModelRunner(-1)
    with pytest.raises(ValueError):
        ModelRunner(1, max_queue=-1)


def test_a_short_request_goes_before_long_ones(tiny_lm, slow_model, until, raw_post):
    """Ten long generations hold the long lane's one thread, taking turns in slices; a short one
    (one token), which has had less model time than any of them, is served first at each of its
    calls (turns.py): it waits for the slice running when it comes, not for a slice of each long
    one (which took 1.2 s when the queue was first come, first served)."""
    model = slow_model(tiny_lm, delay=0.01)
    app = create_app(model, limits=Limits(request_timeout=30), model_threads=1)
    with running_server(app) as url:
        held = [raw_post(url, "/v1/completions", LONG) for _ in range(10)]
        try:
            assert until(lambda: model.running == 10, 3)  # all ten have begun and take turns
            time.sleep(0.5)  # each has had a few slices
            started = time.monotonic()
            r = httpx.post(url + "/v1/completions", json={**LONG, "max_tokens": 1}, timeout=10)
            assert r.status_code == 200
            assert time.monotonic() - started < 0.4
        finally:
            for sock in held:
                sock.close()
        assert until(lambda: model.running == 0, 3)


def test_each_lane_has_its_own_queue_bound():
    """A prediction is refused by max_predict_queue, long work by max_queue, each lane on its own."""
    import anyio

    from next_token.server.budget import ServerBusy
    from next_token.server.runner import LONG, PREDICT

    async def main():
        runner = ModelRunner(1, max_queue=0, max_predict_queue=0)
        release = threading.Event()
        async with anyio.create_task_group() as tg:
            tg.start_soon(lambda: runner.call(release.wait, 5, lane=PREDICT))
            await anyio.sleep(0.05)
            with pytest.raises(ServerBusy, match="max_predict_queue"):
                await runner.call(lambda: None, lane=PREDICT)
            assert await runner.call(lambda: "long work still runs", lane=LONG) == "long work still runs"
            release.set()

    anyio.run(main)
