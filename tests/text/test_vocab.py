"""The vocabulary: ids in first-seen order, the stream, the mapped form and prefix search."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from next_token.text import vocab as vocab_mod
from next_token.text.vocab import BOS, EOS, SPECIALS, UNK, Vocabulary

words = st.text(alphabet="abcéz", min_size=1, max_size=5)


def test_build_numbers_tokens_in_first_seen_order_and_encodes_the_stream():
    vocab, stream = Vocabulary.build([["b", "a"], ["a", "c"]])
    assert list(vocab.tokens) == [*SPECIALS, "b", "a", "c"]
    assert stream.tolist() == [BOS, 3, 4, EOS, BOS, 4, 5, EOS]
    assert vocab.encode_sentences([["c", "zz"]]).tolist() == [BOS, 5, UNK, EOS]


@given(st.lists(st.lists(words, min_size=1, max_size=6), min_size=1, max_size=8), words)
@settings(max_examples=60, deadline=None)
def test_mapped_vocabulary_answers_like_the_built_one(sentences, probe):
    vocab, _ = Vocabulary.build(sentences)
    mapped = Vocabulary.from_arrays({k: np.array(v) for k, v in vocab.to_arrays().items()})
    assert list(mapped.tokens) == list(vocab.tokens)
    for t in [probe, *vocab.tokens]:
        assert mapped.id(t) == vocab.id(t)
    for prefix in {probe[:1], probe[:2], probe}:
        brute = sorted(i for i, t in enumerate(vocab.tokens) if i > EOS and t.startswith(prefix))
        assert sorted(mapped.with_prefix(prefix).tolist()) == brute
        assert sorted(vocab.with_prefix(prefix).tolist()) == brute


def test_lookups_switch_to_a_dict_after_many_searches(monkeypatch):
    monkeypatch.setattr(vocab_mod, "_DICT_AFTER", 3)
    vocab, _ = Vocabulary.build([["x", "y", "z"]])
    mapped = Vocabulary.from_arrays(vocab.to_arrays())
    ids = [mapped.id(t) for t in ["x", "y", "z", "w", "x"]]
    assert ids == [3, 4, 5, UNK, 3] and mapped._index is not None


def test_a_vocabulary_must_start_with_the_specials():
    try:
        Vocabulary(["a", "b", "c"])
    except ValueError:
        pass
    else:
        raise AssertionError("expected ValueError")
