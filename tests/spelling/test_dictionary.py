"""The English dictionary: unknown words it lists are words, not typos of the model's words."""

import pytest

from next_token import LanguageModel
from next_token.spelling.corrector import Corrector, Settings
from next_token.spelling.dictionary import english_words


def test_the_list_has_english_words_and_no_typos():
    words = english_words()
    assert len(words) > 60_000 and all(w == w.lower() for w in words)
    assert {"he", "ghost", "budget", "colour", "color", "sever"} <= words
    assert not {"teh", "recieve", "modle", "librery", "hte", "john's"} & words


@pytest.fixture(scope="module")
def docs_model():
    return LanguageModel.default()  # Python's docs: no "he", no "budget"


# Everyday words the Python docs never use, one or two edits from words they use often.
PROSE = "Then he said that the server had a small memory budget."


def test_words_the_corpus_lacks_are_kept(docs_model):
    assert all(docs_model.vocab.id(w) == 0 for w in ("he", "budget"))
    assert docs_model.correct(PROSE).edits == ()
    without = Corrector(docs_model.corrector.judge, docs_model.corrector.lexicon,
                        settings=Settings(keep_dictionary=0.0))
    assert without.correct(PROSE).edits != ()  # what the dictionary prevents ("he" -> "the", ...)


def test_typos_are_still_fixed(docs_model):
    fixed = docs_model.correct("Teh modle is imported form the librery.")
    assert fixed.text == "The module is imported from the library."


def test_apostrophe_styles_are_not_misspellings(docs_model):
    assert docs_model.correct("Don't use Python's sockets.").edits == ()
