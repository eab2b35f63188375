"""Fixtures of the OpenAI-compatible routes' tests: a tiny real model (trained in milliseconds),
served by uvicorn on a free loopback port, and the real `openai` client pointed at it."""

from __future__ import annotations

import warnings

import pytest

from next_token.language_model import LanguageModel
from next_token.server import running_server
from next_token.text.corpus import Text

TINY_CORPUS = """
The cat sat on the mat. The dog sat on the log. The cat saw the dog, and the dog saw the cat.
A small cat is a good pet. A big dog is a good friend. The old man walked his dog in the park.
The young woman read a book in the garden. She read the book slowly, and then she read it again.
In the morning the sun rose over the hills. In the evening the sun set behind the trees.
The children played in the park until the rain came. Then they ran home and ate their dinner.
"""
MODEL_ID = "tiny-o3"


@pytest.fixture(scope="package")
def tiny_lm():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # too little text for Kneser-Ney discounts: fallbacks are fine
        return LanguageModel.train([Text(TINY_CORPUS)], order=3)


@pytest.fixture(scope="package")
def tiny_model_file(tmp_path_factory):
    """The tiny model saved to a file (a model of its own: saving sets the model's path)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lm = LanguageModel.train([Text(TINY_CORPUS)], order=3)
    path = tmp_path_factory.mktemp("tiny") / "tiny.ntp"
    lm.save(path)
    return path


@pytest.fixture(scope="package")
def openai_server(tiny_lm):
    with running_server(tiny_lm, model_id=MODEL_ID) as url:
        yield url


@pytest.fixture(scope="package")
def openai_client(openai_server):
    openai = pytest.importorskip("openai")
    with openai.OpenAI(base_url=openai_server + "/v1", api_key="not-needed", max_retries=0, timeout=20) as c:
        yield c


@pytest.fixture(scope="package")
def exact(tiny_lm):
    """exact(sentence) -> {token: p(token | <s> + sentence)} for every token of the vocabulary,
    from the model's own exact top-k (LanguageModel.predict with a token list)."""
    return lambda sentence: {p.token: p.probability for p in tiny_lm.predict(list(sentence), k=len(tiny_lm.vocab))}


def model_token(text: str) -> str:
    """The model's token for a token's text in these word-tokenized tests (the sentence end
    writes nothing)."""
    return text.strip() or "</s>"


@pytest.fixture(scope="package")
def token_of():
    return model_token


class SlowModel:
    """A model whose generation is slow (`delay` seconds per token, sleeping, as a busy model
    would be), and whose scoring takes `score_delay` seconds in one piece (a call that cannot be
    interrupted): requests can be made to outlast deadlines and clients. Counts the generations
    still running, to see that abandoned work stops."""

    def __init__(self, lm, delay: float = 0.01, score_delay: float = 0.0):
        import threading

        self.lm, self.delay, self.score_delay = lm, delay, score_delay
        self.running = 0
        self._lock = threading.Lock()

    def __getattr__(self, name):
        return getattr(self.lm, name)

    def steps(self, prompt="", **kwargs):
        return self._slowly(self.lm.steps(prompt, **kwargs))

    def stream(self, prompt="", **kwargs):
        return self._slowly(self.lm.stream(prompt, **kwargs))

    def score(self, text, **kwargs):
        import time

        time.sleep(self.score_delay)
        return self.lm.score(text, **kwargs)

    def _slowly(self, items):
        import time

        with self._lock:
            self.running += 1
        try:
            for item in items:
                time.sleep(self.delay)
                yield item
        finally:
            with self._lock:
                self.running -= 1


@pytest.fixture(scope="package")
def slow_model():
    """SlowModel(lm, delay): a model that generates `delay` seconds per token."""
    return SlowModel


def wait_until(condition, timeout: float = 5.0, every: float = 0.02) -> bool:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(every)
    return condition()


@pytest.fixture(scope="package")
def until():
    """until(condition, timeout=5): poll until the condition holds; its last value."""
    return wait_until


def send_and_hold(url: str, path: str, body: dict):
    """Send a POST on a raw socket and return the socket, answer unread: close it to leave."""
    import json
    import socket

    host, port = url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)))
    data = json.dumps(body).encode()
    sock.sendall(f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 f"Content-Length: {len(data)}\r\n\r\n".encode() + data)
    return sock


@pytest.fixture(scope="package")
def raw_post():
    """raw_post(url, path, body) -> socket: a request whose client can walk away (sock.close())."""
    return send_and_hold
