"""Models the spelling tests share: a small built-in text (always), and the books (when present)."""

import warnings

import numpy as np
import pytest

from next_token import LanguageModel, Text
from next_token.spelling import Corrector, Judge, Lexicon

SMALL_TEXT = """
The quick brown fox jumps over the lazy dog. The dog sleeps in the sun.
Christine sang at the opera house. Christine sang again the next night.
Raoul came to see Christine at the opera. Raoul loved Christine.
He came from the house in the morning. She walked from the river to the house.
They went from the town to the sea. We heard a voice from the dark.
The letter came from the manager of the opera. A cry came from the stage.
The house was quiet and the garden was green. The river was cold and deep.
I believe that the ship is lost. I believe that the sea is calm.
The old man walked to the river every morning. The young woman sang a song.
There was a light in the window. There was a ghost in the opera house.
Their voices were heard in the hall. Their house stood by the river.
The manager wrote a letter to the young singer. The singer read the letter.
It was a dark and stormy night. It was a quiet morning by the sea.
The form of the letter was strange. He filled in the form at the office.
She opened the door and went out into the garden.
He opened the window and looked at the river.
The ship sailed from the port at dawn. The sailors sang on the ship.
The opera house was full of people. The people waited for the singer.
""" * 3


def _build(text: str, tokenizer: str = "word") -> Corrector:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lm = LanguageModel.train([Text(text)], order=4, tokenizer=tokenizer)
    judge = Judge(lm)
    counts = judge.token_counts([text])
    return Corrector(judge, Lexicon.build(judge.tokens, counts))


@pytest.fixture(scope="session")
def small() -> Corrector:
    """A corrector over SMALL_TEXT (a word model of order 4; builds in milliseconds)."""
    return _build(SMALL_TEXT)


@pytest.fixture(scope="session")
def books():
    """(corrector, held-out sentences): a model of 4,000 sentences of the books, and 300
    held-out sentences; skips cleanly where /work/shared is absent."""
    from shared_data import KENLM_DIR, need_shared

    train = need_shared(KENLM_DIR / "books_head90.txt").read_text(encoding="utf-8").splitlines()[:4000]
    test = need_shared(KENLM_DIR / "books_tail10.txt").read_text(encoding="utf-8").splitlines()[:300]
    corrector = _build("\n".join(train), tokenizer="whitespace")
    return corrector, [line.split() for line in test if line.strip()]


@pytest.fixture(scope="session")
def rng():
    return np.random.default_rng(0)
