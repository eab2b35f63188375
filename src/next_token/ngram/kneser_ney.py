"""Interpolated modified Kneser-Ney estimation, the way KenLM's lmplz does it.

Given adjusted counts a(.) per order (see counting.py), for each order n:

Discounts (Chen & Goodman, eq. 26). With t_j the number of n-grams whose adjusted count is j,

    Y   = t_1 / (t_1 + 2 t_2)
    D_j = j - (j + 1) * Y * t_{j+1} / t_j        for j = 1, 2, 3   (D_3 applies to counts >= 3)

When some t_j is 0 or a D_j falls outside [0, j] (tiny or artificial data), the estimate is
impossible. What happens then is a setting, as in lmplz: `discount_fallback="warn"` (the
default) substitutes D = (0.5, 1.0, 1.5) and warns, like `lmplz --discount_fallback`; "ignore"
substitutes silently (for callers that expect it, e.g. pixel models whose low orders have no
rare n-grams); "raise" refuses with `EstimationError`, like lmplz without the flag. Which orders
fell back, and why, is kept in `Estimate.fallbacks`.

Probabilities. For a context h with one-token extensions hw, let s(h) = sum_w a(hw) and
N_j(h) the number of extensions with adjusted count j (j = 3 meaning 3 or more). Then

    gamma(h)    = (D_1 N_1(h) + D_2 N_2(h) + D_3 N_3+(h)) / s(h)
    p(w | h)    = (a(hw) - D(a(hw))) / s(h) + gamma(h) * p(w | h')

where h' is h without its first token. The recursion ends at the unigrams, interpolated with the
uniform distribution over the vocabulary without `<s>`: p(w) = (a(w) - D(a(w))) / s + gamma / |V|.
`<unk>` has count 0, so it gets only that uniform share; `<s>` is never predicted (KenLM stores
p = 1 for it so that scoring `<s>` costs nothing).

Stored in backoff form (ARPA): log10 p(w | h) for every n-gram seen, and the backoff weight
b(h) = gamma(h), so that for an unseen hw, p(w | h) = b(h) * p(w | h'). A context ending in
`</s>` or `<unk>`, or with no extension, has b = 1.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from ..errors import EstimationError, InputError
from ..text.vocab import BOS, EOS, UNK
from .counting import NgramCounts

FALLBACK_DISCOUNTS = (0.5, 1.0, 1.5)
FALLBACK_POLICIES = ("warn", "ignore", "raise")


class DiscountFallbackWarning(UserWarning):
    """The data was too small to estimate Kneser-Ney discounts for some order."""


@dataclass
class Estimate:
    """log10 probabilities (every order) and log10 backoffs (orders below the top) per n-gram."""

    logprob: list[np.ndarray]
    backoff: list[np.ndarray]
    discounts: list[tuple[float, float, float]]
    fallbacks: dict[int, str]  # order -> why its discounts could not be estimated


def counts_of_counts(adjusted: np.ndarray) -> np.ndarray:
    """t[j] for j = 0..4: how many n-grams have adjusted count j (t[4]: 4 or more; t[0] unused)."""
    c = adjusted[adjusted > 0]
    return np.bincount(np.minimum(c, 5), minlength=6)[:5].astype(np.int64)


def discounts(adjusted: np.ndarray, order: int) -> tuple[tuple[float, float, float], str | None]:
    """Return (D1, D2, D3+) for one order, or the fallback and the reason it was needed."""
    return discounts_from_counts_of_counts(counts_of_counts(adjusted), order)


def discounts_from_counts_of_counts(counts: np.ndarray, order: int) -> tuple[tuple[float, float, float], str | None]:
    """`discounts` from the counts of counts t[1..4] (`counts_of_counts`), which add up over parts
    of an order: the bounded-memory build gathers them block by block."""
    t = np.asarray(counts, dtype=np.int64).astype(np.float64)
    for j in (1, 2, 3):
        if t[j] == 0:
            return FALLBACK_DISCOUNTS, (
                f"could not estimate Kneser-Ney discounts for {order}-grams: no {order}-gram has "
                f"adjusted count {j}. Is the training text very small or artificial?"
            )
    y = t[1] / (t[1] + 2.0 * t[2])
    d = tuple(float(j - (j + 1) * y * t[j + 1] / t[j]) for j in (1, 2, 3))
    for j, dj in enumerate(d, start=1):
        if not 0.0 <= dj <= j:
            return FALLBACK_DISCOUNTS, (
                f"the Kneser-Ney discount for {order}-grams with count {j} came out as {dj:.3f}, "
                f"outside [0, {j}]: the counts-of-counts are unusual (small or artificial text)."
            )
    return d, None


def settle_discounts(per_order: list[tuple[tuple[float, float, float], str | None]],
                     discount_fallback: str) -> tuple[list[tuple[float, float, float]], dict[int, str]]:
    """Apply the fallback policy to each order's (discounts, reason) in order: raise, warn or not."""
    if discount_fallback not in FALLBACK_POLICIES:
        raise InputError(f"discount_fallback must be one of {', '.join(FALLBACK_POLICIES)}, got {discount_fallback!r}")
    ds, fallbacks = [], {}
    for n, (d, why) in enumerate(per_order, start=1):
        if why:
            fallbacks[n] = why
            if discount_fallback == "raise":
                raise EstimationError(f"{why} (discount_fallback='warn' substitutes fixed discounts)")
            if discount_fallback == "warn":
                warnings.warn(
                    f"{why} Substituting fallback discounts D1={d[0]} D2={d[1]} D3+={d[2]}.",
                    DiscountFallbackWarning,
                    stacklevel=4,
                )
        ds.append(d)
    return ds, fallbacks


def unigram_probabilities(adjusted: np.ndarray, d, vocab_size: int, sentence_mode: bool) -> np.ndarray:
    """p(w) for every id: discounted counts plus the discount mass spread uniformly."""
    table = np.array((0.0,) + tuple(d))
    a = adjusted.astype(np.float64)
    disc = table[np.minimum(adjusted, 3)]  # count 0 -> discount 0
    total = a.sum()
    if total <= 0:
        raise EstimationError("cannot estimate a model from an empty corpus")
    gamma = disc.sum() / total
    uniform = 1.0 / (vocab_size - 1 if sentence_mode else vocab_size)
    p = (a - disc) / total + gamma * uniform
    if sentence_mode:
        p[BOS] = 1.0
    return p


def interpolate(adjusted: np.ndarray, d, parents: np.ndarray, n_contexts: int,
                lower: np.ndarray, keep: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """p(w | h) for the n-grams h w of one order (or of a run of whole contexts of it), and gamma(h)
    for the contexts 0 .. n_contexts-1 that `parents` index.

    `lower` is p(w | h') for each n-gram. The sums over a context's children run in key order, so
    any split of an order into runs of whole contexts computes the same bits. `keep` (count
    cutoffs): an n-gram that is not kept gives its whole adjusted count to gamma, not its discount.
    """
    table = np.array((0.0,) + tuple(d))
    a = adjusted.astype(np.float64)
    disc = table[np.minimum(adjusted, 3)]
    s = np.bincount(parents, weights=a, minlength=n_contexts)
    mass = disc if keep is None else np.where(keep, disc, a)
    g_num = np.bincount(parents, weights=mass, minlength=n_contexts)
    is_ctx = s > 0
    gamma = np.ones(n_contexts)
    gamma[is_ctx] = g_num[is_ctx] / s[is_ctx]
    s_safe = np.where(is_ctx, s, 1.0)
    p = (a - disc) / s_safe[parents] + gamma[parents] * lower
    return p, gamma


def backoff_weights(gamma: np.ndarray, last: np.ndarray, sentence_mode: bool) -> np.ndarray:
    """b(h) = gamma(h), except 1 for a context ending in `</s>` or `<unk>` (in sentence mode)."""
    b = gamma.copy()
    if sentence_mode:
        b[(last == EOS) | (last == UNK)] = 1.0
    return b


def log10_probabilities(p: np.ndarray) -> np.ndarray:
    """log10 p as stored: float32, capped at 0 and floored at -99."""
    with np.errstate(divide="ignore"):
        return np.maximum(np.minimum(np.log10(p), 0.0), -99.0).astype(np.float32)


def log10_backoffs(b: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return np.log10(b).astype(np.float32)


def estimate(counts: NgramCounts, discount_fallback: str = "warn", keep=None) -> Estimate:
    """Estimate an interpolated modified Kneser-Ney model from counted n-grams.

    `discount_fallback`: "warn", "ignore" or "raise" when an order's discounts cannot be
    estimated (see the module docstring). `keep` (count cutoffs, prune.py): per order, a bool per
    n-gram or None; a dropped n-gram gives its whole adjusted count to its context's gamma instead
    of its discount, as lmplz --prune does, so the kept ones still sum to 1 with the backoff.
    """
    N = counts.order
    V = counts.vocab_size
    adjusted = counts.adjusted
    ds, fallbacks = settle_discounts([discounts(adjusted[n], n + 1) for n in range(N)], discount_fallback)
    probs: list[np.ndarray] = []
    backoff: list[np.ndarray] = [None] * (N - 1)  # type: ignore[list-item]
    for n in range(N):
        if n == 0:
            p = unigram_probabilities(adjusted[0], ds[0], V, counts.sentence_mode)
        else:
            parents = counts.keys[n] // V
            p, gamma = interpolate(adjusted[n], ds[n], parents, len(counts.keys[n - 1]),
                                   probs[n - 1][counts.suffixes[n]], keep[n] if keep is not None else None)
            last = counts.keys[n - 1] % V if n > 1 else counts.keys[0]
            backoff[n - 1] = backoff_weights(gamma, last, counts.sentence_mode)
        probs.append(p)
    logprob = [log10_probabilities(p) for p in probs]
    logbackoff = [log10_backoffs(b) for b in backoff]
    return Estimate(logprob, logbackoff, ds, fallbacks)
