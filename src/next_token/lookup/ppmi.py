"""Shifted positive PMI with context-distribution smoothing, on sparse counts.

Pointwise mutual information compares how often a word w and a context c occur together with
how often they would if they were independent:

    PMI(w, c) = log( P(w, c) / (P(w) P(c)) ) = log( #(w, c) * D / (#(w) #(c)) )

with #(w, c) the co-occurrence count, #(w) = sum_c #(w, c), #(c) = sum_w #(w, c) and D the total.
Following Levy, Goldberg & Dagan (2015) we change it in three ways:

- Context-distribution smoothing: P(c) is replaced by

      P_alpha(c) = #(c)^alpha / sum_c' #(c')^alpha        (alpha = 0.75)

  which raises the probability of rare contexts. Plain PMI gives its largest values to pairs with
  rare contexts (a rare c makes P(c) tiny); smoothing tames that bias, as word2vec's negative
  sampling does by drawing negatives from the unigram distribution raised to 0.75. Then
  PMI_alpha(w, c) = log( #(w, c) / (#(w) P_alpha(c)) ).

- Positive: negative values (pairs seen less often than chance) are unreliable estimates from
  few counts and unseen pairs would be -inf, so they become 0. The matrix stays sparse: only
  observed pairs with PMI above the shift are stored.

- Shift: subtract log k. Skip-gram with k negative samples implicitly factorises PMI - log k
  (Levy & Goldberg 2014); with k > 1 only clearly associated pairs survive. k = 1 is no shift.

So the stored value is  SPPMI(w, c) = max(PMI_alpha(w, c) - log k, 0).
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError


def shifted_ppmi(
    rows: np.ndarray,
    cols: np.ndarray,
    counts: np.ndarray,
    shape: tuple[int, int],
    alpha: float = 0.75,
    shift: float = 1.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """SPPMI of a sparse count matrix given as coordinates (no duplicate coordinates).

    Returns (rows, cols, values) of the strictly positive entries only, values as float32, in
    the input's order.
    """
    if not alpha > 0:
        raise InputError(f"the context smoothing exponent alpha must be > 0, not {alpha}")
    if not shift >= 1:
        raise InputError(f"the PMI shift k must be >= 1 (1 = no shift), not {shift}")
    counts = np.asarray(counts, dtype=np.float64)
    rows, cols = np.asarray(rows), np.asarray(cols)
    if not np.any(counts > 0):
        return rows[:0], cols[:0], np.zeros(0, np.float32)
    word_totals = np.bincount(rows, weights=counts, minlength=shape[0])
    context_totals = np.bincount(cols, weights=counts, minlength=shape[1])
    smoothed = context_totals**alpha
    log_p_context = np.full(shape[1], -np.inf)
    seen = context_totals > 0
    log_p_context[seen] = np.log(smoothed[seen]) - np.log(smoothed.sum())
    with np.errstate(divide="ignore"):
        pmi = np.log(counts) - np.log(word_totals[rows]) - log_p_context[cols] - np.log(shift)
    keep = pmi > 0
    return rows[keep], cols[keep], pmi[keep].astype(np.float32)
