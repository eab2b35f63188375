"""OSA distance: the fast versions against a slow, obviously right definition."""

from functools import lru_cache

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from next_token.spelling.distance import banded_alignment, encode, osa_distance, osa_distances


def slow_osa(a: str, b: str) -> int:
    """The recursive definition, memoized: the last characters are matched or substituted, one
    side drops its last character, or the last two are a swapped pair."""

    @lru_cache(maxsize=None)
    def d(i, j):
        if i == 0 or j == 0:
            return i + j
        best = min(d(i - 1, j) + 1, d(i, j - 1) + 1, d(i - 1, j - 1) + (a[i - 1] != b[j - 1]))
        if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
            best = min(best, d(i - 2, j - 2) + 1)
        return best

    return d(len(a), len(b))


words = st.text(alphabet="abcé", max_size=8)


@settings(max_examples=300, deadline=None)
@given(words, words)
def test_osa_distance_matches_the_definition(a, b):
    assert osa_distance(a, b) == slow_osa(a, b)


@settings(max_examples=150, deadline=None)
@given(words, st.lists(words, min_size=1, max_size=12), st.integers(1, 3))
def test_banded_distances_match_the_definition_up_to_the_band(query, candidates, band):
    got = osa_distances(query, candidates, band)
    want = [min(slow_osa(query, c), band + 1) for c in candidates]
    assert got.tolist() == want


@settings(max_examples=100, deadline=None)
@given(words, st.lists(words, min_size=1, max_size=10))
def test_prefix_mode_is_the_best_prefix_of_the_candidate(query, candidates):
    T, lt = encode([query] * len(candidates))
    C, lc = encode(candidates)
    got, _ = banded_alignment(T, lt, C, lc, 2, prefix=True)
    want = [min(min(slow_osa(query, c[:j]) for j in range(len(c) + 1)), 3) for c in candidates]
    assert got.tolist() == want


def test_osa_is_not_unrestricted_damerau():
    # "ca" -> "abc" needs 3 edits when no substring may be edited twice (true Damerau: 2).
    assert osa_distance("ca", "abc") == 3
    assert osa_distance("teh", "the") == 1
    assert osa_distances("teh", ["the", "ten", "tea", "thee"]).tolist() == [1, 1, 1, 2]


def test_empty_inputs():
    assert osa_distance("", "abc") == 3
    assert osa_distances("abc", []).shape == (0,)
    d, _ = banded_alignment(np.zeros((0, 0)), np.zeros(0), np.zeros((0, 0)), np.zeros(0))
    assert d.shape == (0,)
