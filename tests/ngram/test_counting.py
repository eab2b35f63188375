"""Counting: the packed-sort unique agrees with numpy; counts agree with a dict count."""

from collections import Counter

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from next_token.ngram.counting import count_stream, unique_inverse


@settings(max_examples=100, deadline=None)
@given(keys=st.lists(st.integers(0, 2**20 - 1), min_size=0, max_size=300), max_bits=st.sampled_from([63, 30, 26, 24]))
def test_unique_inverse_equals_numpy(keys, max_bits):
    """max_bits below 63 forces the bucketed path on small inputs."""
    a = np.array(keys, dtype=np.int64)
    uniq, inv, index = unique_inverse(a, 2**20, max_bits=max_bits)
    if len(a):
        want_u, want_inv = np.unique(a, return_inverse=True)
        np.testing.assert_array_equal(uniq, want_u)
        np.testing.assert_array_equal(inv, want_inv.reshape(-1))
        np.testing.assert_array_equal(a[index], uniq)
    else:
        assert len(uniq) == 0 and len(inv) == 0


@settings(max_examples=50, deadline=None)
@given(sentences=st.lists(st.lists(st.integers(3, 8), max_size=7), min_size=1, max_size=10), order=st.integers(1, 4))
def test_raw_counts_equal_a_dictionary_count(sentences, order):
    flat, want = [], Counter()
    for s in sentences:
        toks = [1] + s + [2]
        flat += toks
        for n in range(2, order + 1):
            for i in range(len(toks) - n + 1):
                want[tuple(toks[i : i + n])] += 1
    counts = count_stream(np.array(flat, dtype=np.uint32), order, 9)
    got = Counter()
    text = [(i,) for i in range(9)]
    for n in range(1, order):
        keys = counts.keys[n]
        text = [text[p] + (w,) for p, w in zip((keys // 9).tolist(), (keys % 9).tolist())]
        for g, c in zip(text, counts.raw[n].tolist()):
            got[g] = c
    assert got == want
