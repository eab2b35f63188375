"""The evaluation code of the benchmarks: Spearman's rho, the readers, the scoring."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from next_token.lookup import WordVectors
from next_token.lookup.word_benchmarks import (
    evaluate_analogies,
    evaluate_similarity,
    ranks,
    read_analogies,
    read_word_pairs,
    spearman,
)

values = st.lists(st.integers(0, 6), min_size=3, max_size=30)  # small range: many ties


def brute_ranks(x):
    """Average 1-based rank: 1 + #smaller + (#equal - 1) / 2."""
    return [1 + sum(y < v for y in x) + (sum(y == v for y in x) - 1) / 2 for v in x]


@settings(max_examples=150, deadline=None)
@given(x=values)
def test_ranks_average_ties(x):
    assert ranks(np.array(x)).tolist() == brute_ranks(x)


@settings(max_examples=150, deadline=None)
@given(xy=values.flatmap(lambda x: st.tuples(st.just(x), st.lists(st.integers(0, 6), min_size=len(x), max_size=len(x)))))
def test_spearman_is_pearson_of_ranks(xy):
    x, y = xy
    rx, ry = np.array(brute_ranks(x)), np.array(brute_ranks(y))
    if rx.std() == 0 or ry.std() == 0:
        assert np.isnan(spearman(np.array(x), np.array(y)))
    else:
        assert spearman(np.array(x), np.array(y)) == pytest.approx(np.corrcoef(rx, ry)[0, 1], abs=1e-12)


def test_readers(tmp_path):
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text("# header\n# Word 1\tWord 2\tHuman\nlove\tsex\t6.77\ntiger\tcat\t7.35\n", encoding="utf-8")
    assert read_word_pairs(pairs) == [("love", "sex", 6.77), ("tiger", "cat", 7.35)]
    qa = tmp_path / "qa.txt"
    qa.write_text(": capital\nAthens Greece Baghdad Iraq\n: gram8-plural\ncat cats dog dogs\n", encoding="utf-8")
    assert read_analogies(qa) == [
        ("capital", "Athens", "Greece", "Baghdad", "Iraq"),
        ("gram8-plural", "cat", "cats", "dog", "dogs"),
    ]


def test_scoring_with_planted_vectors():
    tokens = ["<unk>", "<s>", "</s>", "Athens", "Greece", "Rome", "Italy", "cat", "cats"]
    rng = np.random.default_rng(0)
    base = {w: rng.standard_normal(40) for w in ["Athens", "Greece", "Rome", "cat", "cats"]}
    base["Italy"] = base["Greece"] - base["Athens"] + base["Rome"]
    ids = np.array([tokens.index(w) for w in base], dtype=np.uint32)
    M = np.array(list(base.values()))
    M /= np.linalg.norm(M, axis=1, keepdims=True)
    v = WordVectors(M.astype(np.float32), ids, tokens)
    questions = [
        ("capital", "athens", "greece", "rome", "italy"),  # lower case: found case-insensitively
        ("capital", "athens", "greece", "paris", "france"),  # not covered
    ]
    r = evaluate_analogies(v, questions, "3cosadd")
    assert (r.correct, r.covered, r.total, r.accuracy, r.semantic) == (1, 1, 2, 1.0, 1.0)
    assert np.isnan(r.syntactic)
    pairs = [("athens", "greece", 1.0), ("rome", "italy", 3.0), ("cat", "cats", 2.0), ("cat", "dog", 5.0)]
    s = evaluate_similarity(v, pairs)
    assert (s.covered, s.total) == (3, 4)
    cos = [float(M[0] @ M[1]), float(M[2] @ M[5]), float(M[3] @ M[4])]
    assert s.spearman == pytest.approx(spearman(np.array([1.0, 3.0, 2.0]), np.array(cos)))
