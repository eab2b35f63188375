"""Segmentation of run-together text finds the right split."""

import pytest

from next_token.errors import InputError
from next_token.spelling import segment


@pytest.mark.parametrize("text, words", [
    ("thequickbrownfox", "the quick brown fox"),
    ("thedogsleepsinthesun", "the dog sleeps in the sun"),
    ("Christinesangattheopera", "Christine sang at the opera"),
    ("he came fromthehouse", "he came from the house"),
])
def test_finds_the_split(small, text, words):
    seg = small.segment(text)
    assert seg.text == words
    assert seg.logprob < 0


def test_unknown_pieces_survive(small):
    assert small.segment("thedogzzqx").words == ("the", "dog", "zzqx")


def test_books_examples(books):
    corrector, _ = books
    assert corrector.segment("heopenedthedoorandwentout").text == "he opened the door and went out"


def test_bad_input(small):
    with pytest.raises(InputError):
        segment(small.judge, "")
    with pytest.raises(InputError):
        segment(small.judge, None)
    with pytest.raises(InputError):
        small.segment("abc", beam=0)
