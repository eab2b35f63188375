"""Typo-tolerant completion: "Chirs" finds "Christine"; matches equal a brute-force scan."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from next_token.errors import InputError
from next_token.spelling import Lexicon
from next_token.spelling.distance import osa_distance
from next_token.spelling.prefix import fuzzy_prefix_matches


def test_chirs_finds_christine(small):
    words = [c.word for c in small.complete("Chirs", k=3)]
    assert words[0] == "Christine"
    assert [c.word for c in small.complete("chirs", context="Raoul loved", k=1)] == ["Christine"]


def test_exact_prefix_and_probabilities(small):
    got = small.complete("ope", context="Christine sang at the", k=5)
    assert got[0].word == "opera" and got[0].distance == 0
    assert abs(sum(c.probability for c in got) - 1.0) < 1e-9


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(alphabet="abcd", min_size=1, max_size=8), min_size=1, max_size=40, unique=True),
       st.text(alphabet="abcde", min_size=1, max_size=6), st.integers(0, 2))
def test_matches_equal_a_brute_force_scan(words, prefix, d):
    lex = Lexicon.build(["<unk>", "<s>", "</s>"] + words, [0, 0, 0] + [1] * len(words))
    keys, dist = fuzzy_prefix_matches(lex, prefix, d)
    got = sorted((lex.key(int(k)), int(x)) for k, x in zip(keys, dist))
    want = []
    for w in sorted(words):
        best = min(osa_distance(prefix, w[:j]) for j in range(len(w) + 1))
        if best <= d:
            want.append((w, best))
    assert got == sorted(want)


def test_bad_input(small):
    with pytest.raises(InputError):
        small.complete("")
    with pytest.raises(InputError):
        small.complete("abc", k=0)
    with pytest.raises(InputError):
        small.complete("abc", max_distance=3)
