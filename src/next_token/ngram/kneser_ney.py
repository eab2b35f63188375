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


def discounts(adjusted: np.ndarray, order: int) -> tuple[tuple[float, float, float], str | None]:
    """Return (D1, D2, D3+) for one order, or the fallback and the reason it was needed."""
    c = adjusted[adjusted > 0]
    t = np.bincount(np.minimum(c, 5), minlength=6)[:5].astype(np.float64)  # t[1..4]
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


def estimate(counts: NgramCounts, discount_fallback: str = "warn") -> Estimate:
    """Estimate an interpolated modified Kneser-Ney model from counted n-grams.

    `discount_fallback`: "warn", "ignore" or "raise" when an order's discounts cannot be
    estimated (see the module docstring).
    """
    if discount_fallback not in FALLBACK_POLICIES:
        raise InputError(f"discount_fallback must be one of {', '.join(FALLBACK_POLICIES)}, got {discount_fallback!r}")
    N = counts.order
    V = counts.vocab_size
    adjusted = counts.adjusted
    ds, probs, fallbacks = [], [], {}
    backoff: list[np.ndarray] = [None] * (N - 1)  # type: ignore[list-item]

    for n in range(N):
        d, why = discounts(adjusted[n], n + 1)
        if why:
            fallbacks[n + 1] = why
            if discount_fallback == "raise":
                raise EstimationError(f"{why} (discount_fallback='warn' substitutes fixed discounts)")
            if discount_fallback == "warn":
                warnings.warn(
                    f"{why} Substituting fallback discounts D1={d[0]} D2={d[1]} D3+={d[2]}.",
                    DiscountFallbackWarning,
                    stacklevel=3,
                )
        ds.append(d)
    for n in range(N):
        table = np.array((0.0,) + ds[n])
        a = adjusted[n].astype(np.float64)
        disc = table[np.minimum(adjusted[n], 3)]  # count 0 -> discount 0
        if n == 0:
            total = a.sum()
            if total <= 0:
                raise EstimationError("cannot estimate a model from an empty corpus")
            gamma = disc.sum() / total
            uniform = 1.0 / (V - 1 if counts.sentence_mode else V)
            p = (a - disc) / total + gamma * uniform
            if counts.sentence_mode:
                p[BOS] = 1.0
        else:
            parents = counts.keys[n] // V
            n_ctx = len(counts.keys[n - 1])
            s = np.bincount(parents, weights=a, minlength=n_ctx)
            g_num = np.bincount(parents, weights=disc, minlength=n_ctx)
            is_ctx = s > 0
            gamma = np.ones(n_ctx)
            gamma[is_ctx] = g_num[is_ctx] / s[is_ctx]
            s_safe = np.where(is_ctx, s, 1.0)
            p = (a - disc) / s_safe[parents] + gamma[parents] * probs[n - 1][counts.suffixes[n]]
            b = gamma.copy()
            if counts.sentence_mode:
                last = counts.keys[n - 1] % V if n > 1 else counts.keys[0]
                b[(last == EOS) | (last == UNK)] = 1.0
            backoff[n - 1] = b
        probs.append(p)

    with np.errstate(divide="ignore"):
        logprob = [np.maximum(np.minimum(np.log10(p), 0.0), -99.0).astype(np.float32) for p in probs]
        logbackoff = [np.log10(b).astype(np.float32) for b in backoff]
    return Estimate(logprob, logbackoff, ds, fallbacks)
