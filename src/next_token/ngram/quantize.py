"""Quantization: each order's log10 probabilities (and backoffs) as b-bit codes into a codebook.

KenLM's -q/-b bits cut each order's values into bins of equal population and store each bin's
mean. We choose the bins to minimize the loss instead. Rounding log10 p(w | h) by d costs, to
second order, about P(h) p(w | h) d^2 of expected log-likelihood (the relative entropy of a small
change), so the loss is a squared error in the log10 domain weighted by how often each value is
used: P(h) p(w | h) for a probability, P(h) (1 - sum of h's stored p) for a backoff (the mass
that backs off through it), P(h) being the chain of stored probabilities along h. We use the
square root of those weights: the full weight spends every level on frequent n-grams and starves
the rare ones, and on held-out books text the square root did best. With it, 8-bit values cost
nothing measurable on books o5 (perplexity of books_tail10 245.91 with each context renormalized,
245.74 as scored, against 245.98 unquantized; unweighted bins: 246.37; bench/bench_small.py).

The 2^b centers are found by Lloyd's algorithm (weighted k-means in one dimension), started from
bins of equal weight. In one dimension each step is exact and cheap on sorted values: the cells
are the intervals between midpoints of neighbouring centers (one searchsorted of 2^b values),
and each center moves to its cell's weighted mean (prefix sums). The loss never increases; steps
run until the cells stop moving.

The centers are float32 and sorted, so a larger code is a larger value: ranking by code is ranking
by value, and the dequantized value is exactly what both engines (Python and JavaScript) read.
Values that must stay exact are pinned as centers of their own: 0 for backoffs (b = 1, the
weight of a context with nothing stored after it). Unigrams are not quantized (KenLM does not
either): they are few, and every query backs off to them.
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError

BITS = (8, 16)  # code widths stored (a byte or two per value)
MAX_STEPS = 5000


def codebook(values: np.ndarray, bits: int, weights: np.ndarray | None = None,
             pinned: tuple[float, ...] = ()) -> np.ndarray:
    """At most 2^bits sorted float32 centers minimizing the weighted squared error of `values`
    (every value in `pinned` that occurs among them is a center of its own)."""
    if bits not in BITS:
        raise InputError(f"quantization bits must be one of {', '.join(map(str, BITS))}, got {bits!r}")
    x = np.asarray(values, dtype=np.float64).reshape(-1)
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=np.float64).reshape(-1)
    fixed = np.array([p for p in pinned if np.any(x == p)], dtype=np.float64)
    if len(fixed):
        free = ~np.isin(x, fixed)
        x, w = x[free], w[free]
    k = 2**bits - len(fixed)
    distinct = np.unique(x)
    centers = distinct if len(distinct) <= k else _lloyd(x, w, k)
    return np.unique(np.concatenate([centers, fixed]).astype(np.float32))


def _lloyd(x: np.ndarray, w: np.ndarray, k: int) -> np.ndarray:
    """k centers of x (weights w) by Lloyd's algorithm, from bins of equal weight."""
    order = np.argsort(x, kind="stable")
    x = x[order]
    w = w[order] + 1e-12 * max(float(w.max(initial=0.0)), 1e-300)  # no cell without weight
    n = len(x)
    cw = np.concatenate(([0.0], np.cumsum(w)))
    cwx = np.concatenate(([0.0], np.cumsum(w * x)))
    edges = np.searchsorted(cw[1:], np.linspace(0.0, cw[-1], k + 1)[1:-1])
    edges = np.unique(np.concatenate(([0], edges, [n])))
    for _ in range(MAX_STEPS):
        centers = _means(edges, cw, cwx)
        new = np.concatenate(([0], np.searchsorted(x, (centers[1:] + centers[:-1]) / 2), [n]))
        new = np.unique(new)  # a cell left empty disappears
        if len(new) == len(edges) and (new == edges).all():
            break
        edges = new
    return _means(edges, cw, cwx)


def _means(edges, cw, cwx):
    return (cwx[edges[1:]] - cwx[edges[:-1]]) / (cw[edges[1:]] - cw[edges[:-1]])


def encode(values: np.ndarray, centers: np.ndarray) -> np.ndarray:
    """The code of the nearest center for each value (uint8 or uint16)."""
    c = centers.astype(np.float64)
    codes = np.searchsorted((c[1:] + c[:-1]) / 2, np.asarray(values, dtype=np.float64))
    return codes.astype(np.uint8 if len(centers) <= 256 else np.uint16)


def quantize(values: np.ndarray, bits: int, weights: np.ndarray | None = None,
             pinned: tuple[float, ...] = ()) -> tuple[np.ndarray, np.ndarray]:
    """(codes, centers): `values` is approximated by centers[codes]."""
    centers = codebook(values, bits, weights, pinned)
    return encode(values, centers), centers


def usage_weights(model) -> tuple[list, list]:
    """The weights of the loss (module docstring) for every n-gram's probability and backoff:
    lists indexed by order - 1 (the unigrams' entries are None: they are not quantized)."""
    V, N = model.vocab_size, model.order
    lp = [np.asarray(model.logprob[n], dtype=np.float64) for n in range(N)]
    parents = [None] + [np.asarray(model.keys[n]).astype(np.int64) // V for n in range(1, N)]
    history = [lp[0]]  # log10 P(h) of every n-gram as a history
    for n in range(1, N):
        history.append(history[n - 1][parents[n]] + lp[n])
    probs, backoffs = [None], [None]
    for n in range(1, N):
        probs.append(np.sqrt(10.0 ** history[n]))
        if n < N - 1:
            stored = np.bincount(parents[n + 1], weights=10.0 ** lp[n + 1], minlength=len(lp[n]))
            backoffs.append(np.sqrt(10.0 ** history[n] * np.maximum(1.0 - stored, 0.0)))
    return probs, backoffs
