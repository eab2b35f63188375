"""Co-occurrence counting and the choice of vector words against slow obvious references."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from next_token.errors import InputError
from next_token.lookup.cooccurrence import count_cooccurrences
from next_token.lookup.vector_vocabulary import VectorVocabulary, keep_probability, kept_tokens

SETTINGS = settings(max_examples=120, deadline=None)

# A vocabulary with case variants, so lower-casing merges some tokens.
TOKENS = ["<unk>", "<s>", "</s>", "the", "The", "sea", "Sea", "SEA", "ship", "a", "A", "wind"]

sentences = st.lists(st.lists(st.integers(0, len(TOKENS) - 1).filter(lambda i: i not in (1, 2)), max_size=9), max_size=7)


def to_stream(sents: list[list[int]]) -> np.ndarray:
    out: list[int] = []
    for s in sents:
        out += [1, *s, 2]
    return np.array(out, dtype=np.uint32)


def brute_vocabulary(sents, min_count, lowercase):
    """Word types, their counts and shown forms by plain dict counting."""
    key = (lambda t: t.lower()) if lowercase else (lambda t: t)
    type_count: dict[str, int] = {}
    id_count: dict[int, int] = {}
    for s in sents:
        for i in s:
            if i >= 3:
                type_count[key(TOKENS[i])] = type_count.get(key(TOKENS[i]), 0) + 1
                id_count[i] = id_count.get(i, 0) + 1
    shown = {}
    for i in sorted(id_count):  # most frequent surface form, ties: smallest id
        k = key(TOKENS[i])
        if k not in shown or id_count[i] > id_count[shown[k]]:
            shown[k] = i
    kept = [k for k in type_count if type_count[k] >= min_count]
    kept.sort(key=lambda k: (-type_count[k], shown[k]))
    row_of_key = {k: r for r, k in enumerate(kept)}
    row_of_id = [row_of_key.get(key(t), -1) if i >= 3 else -1 for i, t in enumerate(TOKENS)]
    return [shown[k] for k in kept], [type_count[k] for k in kept], row_of_id


def brute_cooccurrence(sents, row_of_id, n, window, dynamic):
    """The double loop: every pair of kept tokens of one sentence within the window."""
    M = np.zeros((n, n))
    for s in sents:
        rows = [row_of_id[i] for i in s if row_of_id[i] >= 0]  # rare words leave the sentence first
        for i in range(len(rows)):
            for j in range(len(rows)):
                d = abs(i - j)
                if 1 <= d <= window:
                    M[rows[i], rows[j]] += (window - d + 1) / window if dynamic else 1.0
    return M


@SETTINGS
@given(sents=sentences, min_count=st.integers(1, 3), lowercase=st.booleans())
def test_vocabulary_matches_dict_counting(sents, min_count, lowercase):
    stream = to_stream(sents)
    v = VectorVocabulary.build(stream, TOKENS, min_count, lowercase)
    ids, counts, row_of_id = brute_vocabulary(sents, min_count, lowercase)
    assert v.ids.tolist() == ids
    assert v.counts.tolist() == counts
    assert v.row_of_id.tolist() == row_of_id


@SETTINGS
@given(
    sents=sentences,
    window=st.integers(1, 4),
    dynamic=st.booleans(),
    min_count=st.integers(1, 3),
    lowercase=st.booleans(),
)
def test_counts_equal_double_loop(sents, window, dynamic, min_count, lowercase):
    stream = to_stream(sents)
    v = VectorVocabulary.build(stream, TOKENS, min_count, lowercase)
    rows, sentence = kept_tokens(stream, v)
    got = count_cooccurrences(rows, sentence, len(v), window, dynamic)
    want = brute_cooccurrence(sents, v.row_of_id, len(v), window, dynamic)
    np.testing.assert_allclose(got.dense(), want, rtol=1e-12, atol=1e-12)
    # Stored as a strictly sorted upper triangle of nonzero entries.
    assert np.all(got.rows <= got.cols)
    keys = got.rows.astype(np.int64) * max(len(v), 1) + got.cols
    assert np.all(np.diff(keys) > 0)
    assert np.all(got.weights > 0)


def test_windows_do_not_cross_sentences():
    # "sea" ends one sentence and "ship" starts the next: they must never be counted together.
    stream = to_stream([[5, 5], [8, 8]])
    v = VectorVocabulary.build(stream, TOKENS, 1, False)
    co = count_cooccurrences(*kept_tokens(stream, v), len(v), window=5).dense()
    sea, ship = v.row_of_id[5], v.row_of_id[8]
    assert co[sea, ship] == 0 and co[ship, sea] == 0
    assert co[sea, sea] == 2 and co[ship, ship] == 2  # each occurrence sees the other


def test_rare_words_are_removed_before_windowing():
    # "wind" (once) sits between "sea" and "ship"; with min_count 2 it is dropped and the two
    # become neighbours at distance 1 (weight 1), as in word2vec.
    stream = to_stream([[5, 11, 8], [5, 8]])
    v = VectorVocabulary.build(stream, TOKENS, 2, False)
    co = count_cooccurrences(*kept_tokens(stream, v), len(v), window=1).dense()
    assert co[v.row_of_id[5], v.row_of_id[8]] == 2


@SETTINGS
@given(sents=sentences, t=st.sampled_from([1e-3, 0.05, 0.2]), seed=st.integers(0, 5))
def test_subsampling_keeps_a_subsequence(sents, t, seed):
    stream = to_stream(sents)
    v = VectorVocabulary.build(stream, TOKENS, 1, True)
    all_rows, all_sent = kept_tokens(stream, v)
    rows, sent = kept_tokens(stream, v, subsample=t, seed=seed)
    # A subsequence of the unsubsampled tokens (same order, same sentence numbers).
    it = iter(zip(all_rows.tolist(), all_sent.tolist()))
    assert all(pair in it for pair in zip(rows.tolist(), sent.tolist()))
    # Words rare enough to have keep probability 1 are all kept.
    p = keep_probability(v.counts, t)
    certain = np.flatnonzero(p >= 1)
    assert np.sum(np.isin(rows, certain)) == np.sum(np.isin(all_rows, certain))


def test_keep_probability_formula():
    counts = np.array([1000, 100, 10, 1])
    t = 0.01
    f = counts / counts.sum()
    want = np.minimum((np.sqrt(f / t) + 1) * t / f, 1)
    np.testing.assert_allclose(keep_probability(counts, t), want)
    assert keep_probability(counts, t)[0] < 0.2  # the most frequent word is mostly dropped


def test_bad_window():
    with pytest.raises(InputError):
        count_cooccurrences(np.zeros(3, np.int64), np.zeros(3, np.int64), 1, window=0)
