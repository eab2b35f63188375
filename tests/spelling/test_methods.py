"""correct, suggest and segment on a LanguageModel: the stored lexicon, and the fallback without one."""

import pytest

from next_token import InputError, LanguageModel

TEXT = ("He came from the house. She went from the garden to the house. They walked from the town. "
        "The ghost lived in the house. Their house was old. There was a ghost in their garden. ") * 20


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    path = tmp_path_factory.mktemp("s") / "m.ntp"
    LanguageModel.train(text=TEXT, order=3, discount_fallback="ignore").save(path)
    bare = LanguageModel.train(text=TEXT, order=3, spelling=False, discount_fallback="ignore")
    return LanguageModel.load(path), bare


def test_correct_fixes_typos_in_context(pair):
    lm, _ = pair
    fixed = lm.correct("He came form the hosue.")
    assert fixed.text == "He came from the house."
    assert [(e.original, e.replacement) for e in fixed.edits] == [("form", "from"), ("hosue", "house")]


def test_a_model_without_a_stored_lexicon_corrects_the_same(pair):
    lm, bare = pair
    assert lm.lexicon is not None and bare.lexicon is None
    for text in ["He came form the hosue.", "Thier gohst lived in teh garden."]:
        assert bare.correct(text) == lm.correct(text)
    assert bare.lexicon is not None  # made on first use, from the index's counts


def test_suggest_and_segment(pair):
    lm, _ = pair
    assert lm.suggest("gardn", context="in their")[0].word == "garden"
    assert lm.segment("theghostlived").text == "the ghost lived"


def test_character_models_cannot_correct():
    lm = LanguageModel.train(text=TEXT, order=3, tokenizer="char")
    assert lm.lexicon is None
    with pytest.raises(InputError, match="word model"):
        lm.correct("teh house")


def test_open_end_is_for_text_still_being_typed(pair):
    lm, _ = pair
    assert lm.correct("He came from the hosue").text == "He came from the hosue"  # "hosue </s>" ties
    assert lm.correct("He came from the hosue", open_end=True).text == "He came from the house"
    assert lm.correct("He came from the hosue.", open_end=True).text == "He came from the house."
