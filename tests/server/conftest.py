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
