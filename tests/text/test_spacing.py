"""Learned spacing (text/spacing.py): it writes tokens back the way the corpus spaced them."""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from next_token import LanguageModel
from next_token.text.corpus import split_sentences
from next_token.text.spacing import SpacingModel, Speller, token_class
from next_token.text.tokenizer import get_tokenizer, word_tokens

CODE_AND_QUOTES = """Call os.path.join(a, b) to join two paths.
Use f(x) and g(y) when you need them, or C++ if you must.
He said, "I am here," and then "no." It was over.
The ghost, "he said", was not there.
Call os.path.join(c, d) to join more paths.
Some (de)compression is done by zlib.
"""


@pytest.fixture(scope="module")
def lm():
    return LanguageModel.train(text=CODE_AND_QUOTES * 3, order=2, discount_fallback="ignore")


def test_the_corpus_spacing_comes_back(lm):
    tok = lm.tokenizer
    for sentence in ["Call os.path.join(a, b) to join two paths.", "Use f(x) and g(y) when you need them, or C++ if you must.",
                     'He said, "I am here," and then "no."', 'The ghost, "he said", was not there.',
                     "Some (de)compression is done by zlib."]:
        assert tok.detokenize(tok.tokenize(sentence)) == sentence


def test_unseen_pairs_fall_back_to_classes_and_rules(lm):
    # "join" never preceded "(" with these neighbours; the class level and rules still space it
    assert lm.tokenizer.detokenize(word_tokens('Call g(c, d) and "stop."')) == 'Call g(c, d) and "stop."'


def test_without_learned_spacing_the_rules_apply():
    tok = get_tokenizer("word")
    assert tok.spacing is None
    assert tok.detokenize(["Hello", ",", "world", "."]) == "Hello, world."


def test_the_model_file_keeps_the_spacing(lm, tmp_path):
    lm.save(tmp_path / "m.ntp")
    again = LanguageModel.load(tmp_path / "m.ntp")
    assert again.tokenizer.spacing is not None
    for sentence in CODE_AND_QUOTES.splitlines():
        tokens = lm.tokenizer.tokenize(sentence)
        assert again.tokenizer.detokenize(tokens) == lm.tokenizer.detokenize(tokens)


def test_only_exceptions_are_stored(lm):
    sp = lm.tokenizer.spacing
    assert len(sp.keys[3]) > 0  # the class table is whole
    events = sum(len(s) for s in lm.tokenizer.sentences(CODE_AND_QUOTES * 3))
    assert sum(len(k) for k in sp.keys[:3]) < events / 4  # far fewer rows than token pairs


PIECES = ["the", "ghost", "os", ".", "path", "(", ")", ",", '"', "'", "f", "x", "C", "+", "--", "-", "said", "…", ":"]


@given(st.lists(st.sampled_from(PIECES), min_size=1, max_size=25), st.data())
@settings(max_examples=200, deadline=None)
def test_speller_is_incremental_and_never_glues_tokens(lm, tokens, data):
    tok = lm.tokenizer
    whole = tok.detokenize(tokens)
    assert tok.tokenize(whole) == tokens  # two tokens are never glued into one
    # a prompt is read sentence by sentence: the property is about one sentence
    assume(len(list(split_sentences(whole))) == 1)
    cut = data.draw(st.integers(0, len(tokens)))
    head = tok.detokenize(tokens[:cut])
    assert head + tok.join_continuation(head, tokens[cut:]) == whole


def test_speller_copies_are_independent(lm):
    speller = Speller(lm.tokenizer.spacing)
    speller.append("He")
    fork = speller.copy()
    assert fork.append("said") == " said" and speller.append(",") == ","


def test_token_classes():
    assert token_class("the") == token_class("ghost") != token_class("Ghost")
    assert token_class("os_path") == token_class("getNChannels") == token_class("x1")
    assert token_class("(") != token_class(")")
    assert token_class("1,000") == token_class("42")


def test_learning_from_an_empty_stream_gives_empty_tables():
    from next_token.text.vocab import Vocabulary

    vocab, stream = Vocabulary.build([["a"]])
    sp = SpacingModel.learn(stream, np.zeros(len(stream), np.uint8), vocab)
    assert sum(len(k) for k in sp.keys) == 0 and sp.decide("a", 2, "a", 0) is None


LOOKAHEAD = """Call range() to count, and len() to measure.
Pass input (a string) to it, or output (a list).
It was mine . . . or was it?
It was mine.
He listened . . . and waited.
He listened.
"""


@pytest.fixture(scope="module")
def ahead_lm():
    return LanguageModel.train(text=LOOKAHEAD * 4, order=2, discount_fallback="ignore")


def test_the_next_token_decides_what_one_token_cannot(ahead_lm):
    # "(" after a word: glued before ")" but spaced before a word; "." after a word: a full stop,
    # or the first dot of an ellipsis, spaced in this corpus
    tok = ahead_lm.tokenizer
    for sentence in ["Call range() to count, and len() to measure.", "Pass input (a string) to it, or output (a list).",
                     "It was mine . . . or was it?", "It was mine.", "He listened . . . and waited.", "He listened."]:
        assert tok.detokenize(tok.tokenize(sentence)) == sentence
    assert len(tok.spacing.keys[4]) > 0


def test_a_suggestion_alone_is_spelled_without_looking_ahead(ahead_lm):
    speller = ahead_lm.tokenizer.speller("It was mine")
    assert speller.copy().append(".") == "."  # most dots after a word end a sentence
    assert speller.copy().append(".", ".") == " ."  # the first dot of an ellipsis, in this corpus


def test_generated_text_is_spelled_as_the_whole_token_list_is(ahead_lm):
    for seed in range(20):
        steps = list(ahead_lm.steps("It was", max_tokens=30, seed=seed))
        ids = [ahead_lm.vocab.id(s.token) for s in steps if s.token is not None]
        assert "".join(s.text for s in steps) == ahead_lm._text_of("It was", ids)


def test_files_without_the_lookahead_level_still_load(ahead_lm):
    arrays = {k: v for k, v in ahead_lm.tokenizer.spacing.to_arrays().items() if not k.endswith(".5")}
    old = SpacingModel.from_arrays(arrays, ahead_lm.vocab)
    assert len(old.keys[4]) == 0
    assert old.decide("range", 1, "(", 0, ")") == old.decide("range", 1, "(", 0)
