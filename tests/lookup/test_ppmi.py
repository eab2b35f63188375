"""Shifted PPMI with context-distribution smoothing against the formula, cell by cell."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from next_token.errors import InputError
from next_token.lookup.ppmi import shifted_ppmi

count_matrices = st.tuples(st.integers(1, 5), st.integers(1, 5)).flatmap(
    lambda shape: arrays(np.float64, shape, elements=st.sampled_from([0.0, 0.2, 1.0, 2.0, 3.0, 7.5, 40.0]))
)


def reference(M: np.ndarray, alpha: float, k: float) -> np.ndarray:
    """max(log(#(w,c) / (#(w) * P_alpha(c))) - log k, 0), written out with loops."""
    n, m = M.shape
    ctx = [sum(M[w, c] for w in range(n)) for c in range(m)]
    norm = sum(x**alpha for x in ctx)
    out = np.zeros_like(M)
    for w in range(n):
        row = sum(M[w])
        for c in range(m):
            if M[w, c] > 0:
                pmi = math.log(M[w, c] / (row * (ctx[c] ** alpha / norm)))
                out[w, c] = max(pmi - math.log(k), 0.0)
    return out


@settings(max_examples=150, deadline=None)
@given(M=count_matrices, alpha=st.sampled_from([0.5, 0.75, 1.0]), k=st.sampled_from([1.0, 2.0, 5.0]))
def test_ppmi_equals_formula(M, alpha, k):
    r, c = np.nonzero(M)
    pr, pc, pv = shifted_ppmi(r, c, M[r, c], M.shape, alpha, k)
    got = np.zeros_like(M)
    got[pr, pc] = pv
    np.testing.assert_allclose(got, reference(M, alpha, k), rtol=1e-5, atol=1e-6)
    assert np.all(pv > 0)  # only positive entries are stored


def test_smoothing_raises_rare_contexts():
    # Context 1 is the rarer one (10 of 30 pairs). alpha = 0.5 raises its probability from 1/3
    # to sqrt(10) / (sqrt(20) + sqrt(10)), so the PMI of (row 1, context 1) drops.
    M = np.array([[10.0, 1.0], [10.0, 9.0]])
    r, c = np.nonzero(M)
    pr, pc, smooth = shifted_ppmi(r, c, M[r, c], M.shape, alpha=0.5)
    got = dict(zip(zip(pr.tolist(), pc.tolist()), smooth.tolist()))
    plain = math.log(9 / (19 * (10 / 30)))
    smoothed = math.log(9 / (19 * (10**0.5 / (20**0.5 + 10**0.5))))
    assert got[(1, 1)] == pytest.approx(smoothed, rel=1e-6)
    assert smoothed < plain


def test_bad_parameters():
    one = np.array([0])
    with pytest.raises(InputError):
        shifted_ppmi(one, one, np.array([1.0]), (1, 1), alpha=0)
    with pytest.raises(InputError):
        shifted_ppmi(one, one, np.array([1.0]), (1, 1), shift=0.5)
