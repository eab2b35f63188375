"""Smaller n-gram models: count cutoffs (lmplz --prune) and relative-entropy pruning (Stolcke 1998).

Count cutoffs (`count_cutoff_keep`, used by `ngram.build` at estimation time). An n-gram of order
n >= 2 seen at most `thresholds[n-1]` times is dropped, as lmplz's ``--prune`` does. The counts are
only known while building (the model stores probabilities, not counts), so this happens there:
`kneser_ney.estimate` gives each dropped n-gram's whole adjusted count to its context's backoff
mass instead of its discount (KenLM's "normalizer"), so every context still sums to 1, and the
discounts are still estimated from all the counts. Thresholds must not decrease with the order,
so a dropped n-gram's extensions (which occur no more often) are dropped too: the kept set is
closed under prefixes and suffixes by construction.

Relative-entropy pruning (`prune_entropy`) works on any built model, imported ARPA ones included.
Removing the n-gram (h, w) makes p(w | h) come from the backoff, b'(h) p(w | h'), and changes
b(h) so that h's distribution still sums to 1 (with S(h) the words stored after h, all sums over
S(h)):

    b'(h) = (1 - sum p(v | h) + p(w | h)) / (1 - sum p(v | h') + p(w | h'))

Stolcke's criterion is the relative entropy between the model before and after, weighted by how
likely the history is, P(h) = p(h1) p(h2 | h1) ... (each factor stored in the model):

    D(h, w) = P(h) [ p(w | h) ln(p(w | h) / (b'(h) p(w | h')))
                     + (1 - sum p(v | h)) ln(b(h) / b'(h)) ]

Every n-gram is scored against the full model, those with D below the threshold go (never the
unigrams), the n-grams still needed as the prefix or the suffix of a kept one come back (queries
walk the contexts by both), and `renormalize` recomputes every backoff weight, lower orders first,
so that each context's distribution sums to 1 again. Probabilities of kept n-grams are unchanged.

`prune_to_size` finds the threshold that brings a model under a byte budget, and `compact` makes
the small files of `ntp prune`: the most precise packed values that fit (packed.py), pruned only
when 8-bit values alone do not.
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

import numpy as np

from ..errors import InputError
from .model import NgramModel
from .packed import PackedNgramModel, estimate_nbytes, pack

_TINY = 1e-12  # keeps a ratio of masses finite where float rounding left nothing to back off to


# ---------------------------------------------------------------- count cutoffs


def check_thresholds(thresholds: Sequence[int], order: int) -> list[int]:
    """One count threshold per order, as lmplz's --prune takes them: the first (unigrams) must be 0,
    they must not decrease, and the last one repeats for the orders not given."""
    t = [int(x) for x in thresholds]
    if not t or any(x < 0 for x in t):
        raise InputError("prune thresholds must be non-negative counts, one per order, e.g. 0 1 1")
    if t[0] != 0:
        raise InputError("unigrams cannot be pruned: the first prune threshold must be 0 (e.g. 0 1 1)")
    if any(b < a for a, b in zip(t, t[1:])):
        raise InputError(f"prune thresholds must not decrease with the order, got {' '.join(map(str, t))}")
    if len(t) > order:
        raise InputError(f"{len(t)} prune thresholds for a model of order {order}")
    return t + [t[-1]] * (order - len(t))


def count_cutoff_keep(counts, thresholds: Sequence[int]) -> list[np.ndarray | None]:
    """keep[n-1]: which n-grams of order n survive a count cutoff (None: all of them)."""
    t = check_thresholds(thresholds, counts.order)
    return [None] + [counts.raw[n] > t[n] if t[n] else None for n in range(1, counts.order)]


def select(order: int, vocab_size: int, keys, logprob, backoff, keep) -> tuple[list, list, list]:
    """The tables of the kept n-grams, renumbered: keep[n-1] is a bool per n-gram of order n (None
    keeps all). The kept set must hold the parent of every kept n-gram."""
    V = vocab_size
    new_keys, new_lp, new_bo = [None], [logprob[0]], list(backoff[:1])
    index = None  # old index -> new index in the previous order (None: unchanged)
    for n in range(1, order):
        k = np.asarray(keys[n])
        parent, word = k // V, k % V
        if index is not None:
            parent = index[parent]
        mask = keep[n] if keep[n] is not None else None
        if mask is not None:
            parent, word = parent[mask], word[mask]
            index = np.cumsum(mask, dtype=np.int64) - 1
        else:
            index = None if index is None else np.arange(len(k), dtype=np.int64)
        new_keys.append(parent.astype(np.int64) * V + word)
        new_lp.append(logprob[n] if mask is None else logprob[n][mask])
        if n < order - 1:
            new_bo.append(backoff[n] if mask is None else backoff[n][mask])
    return new_keys, new_lp, new_bo


# ---------------------------------------------------------------- the trie's relations


def parents_and_words(model: NgramModel) -> tuple[list, list]:
    """parent[n] and word[n] of every n-gram of order n >= 2 (int64; index n, 0 and 1 unused)."""
    V = model.vocab_size
    parents, words = [None, None], [None, np.arange(V, dtype=np.int64)]
    for n in range(2, model.order + 1):
        k = np.asarray(model.keys[n - 1]).astype(np.int64)
        parents.append(k // V)
        words.append(k % V)
    return parents, words


def suffixes(model: NgramModel, parents=None, words=None) -> list[np.ndarray | None]:
    """sfx[n]: for each n-gram of order n >= 2, the index of its suffix (without its first token)
    in order n-1, or -1 where that is not stored (never in a model we estimated)."""
    if parents is None:
        parents, words = parents_and_words(model)
    sfx = [None, None]
    for n in range(2, model.order + 1):
        if n == 2:
            sfx.append(words[2].copy())
        else:
            sfx.append(model.lookup(n - 1, sfx[n - 1][parents[n]], words[n]))
    return sfx


def backed_off_logprob(model: NgramModel, backoff, sfx, m: int, context: np.ndarray, words: np.ndarray):
    """log10 p(w | h) for contexts h given as nodes of order m-1 (m >= 1; any for m = 1), by the
    backoff rule with the given backoff tables (vectorized)."""
    if m == 1:
        return model.logprob[0][words].astype(np.float64)
    idx = model.lookup(m, context, words)
    out = np.empty(len(words))
    hit = idx >= 0
    out[hit] = model.logprob[m - 1][idx[hit]]
    miss = np.flatnonzero(~hit)
    if len(miss):
        ctx = context[miss]
        lower = sfx[m - 1][ctx] if m > 2 else ctx
        out[miss] = np.asarray(backoff[m - 2], dtype=np.float64)[ctx] + backed_off_logprob(
            model, backoff, sfx, m - 1, lower, words[miss])
    return out


def _lower(model, backoff, sfx, parents, words, n):
    """log10 p(w | h') for every n-gram (h, w) of order n, h' being h without its first token."""
    if n == 2:
        return model.logprob[0][words[2]].astype(np.float64)
    return backed_off_logprob(model, backoff, sfx, n - 1, sfx[n - 1][parents[n]], words[n])


def _context_masses(model, n, parents, lp, low):
    """Per context of order n-1: 1 - sum p(w|h) and 1 - sum p(w|h') over its stored words."""
    n_ctx = model.sizes[n - 2]
    num = 1.0 - np.bincount(parents[n], weights=10.0**lp, minlength=n_ctx)
    den = 1.0 - np.bincount(parents[n], weights=10.0**low, minlength=n_ctx)
    return np.maximum(num, _TINY), np.maximum(den, _TINY)


# ---------------------------------------------------------------- relative entropy


def relative_entropy(model: NgramModel) -> list[np.ndarray | None]:
    """D[n-1]: Stolcke's relative-entropy cost (nats) of removing each n-gram of order n >= 2 alone
    (see the module docstring); None for the unigrams, which are never removed."""
    parents, words = parents_and_words(model)
    sfx = suffixes(model, parents, words)
    ln10 = math.log(10.0)
    history = [None, model.logprob[0].astype(np.float64)]  # log10 P(h) of every n-gram as a history
    out: list[np.ndarray | None] = [None]
    for n in range(2, model.order + 1):
        lp = model.logprob[n - 1].astype(np.float64)
        low = _lower(model, model.backoff, sfx, parents, words, n)
        num, den = _context_masses(model, n, parents, lp, low)
        par = parents[n]
        numh, denh = num[par], den[par]
        p, q = 10.0**lp, 10.0**low
        log_b = np.log10(numh / denh)
        log_b_new = np.log10((numh + p) / (denh + q))
        inner = p * (lp - low - log_b_new) + numh * (log_b - log_b_new)
        out.append(np.maximum(10.0 ** history[n - 1][par] * inner * ln10, 0.0))
        if n < model.order:
            history.append(history[n - 1][par] + lp)
    return out


def close(model: NgramModel, keep: list, parents=None, sfx=None) -> list:
    """`keep` plus the prefix and the suffix of every kept n-gram, recursively (in place)."""
    if parents is None:
        parents, words = parents_and_words(model)
        sfx = suffixes(model, parents, words)
    for n in range(model.order, 2, -1):
        if keep[n - 1] is None or keep[n - 2] is None:
            continue
        kept = keep[n - 1]
        keep[n - 2][parents[n][kept]] = True
        s = sfx[n][kept]
        keep[n - 2][s[s >= 0]] = True
    return keep


def renormalize(model: NgramModel) -> NgramModel:
    """The same n-grams and probabilities, with every backoff weight recomputed (lower orders
    first) so that each context's distribution sums to 1."""
    parents, words = parents_and_words(model)
    sfx = suffixes(model, parents, words)
    backoff = [np.asarray(b, dtype=np.float64).copy() for b in model.backoff]
    for m in range(1, model.order):  # contexts of order m, their words in order m + 1
        lp = model.logprob[m].astype(np.float64)
        low = _lower(model, backoff, sfx, parents, words, m + 1)
        num, den = _context_masses(model, m + 1, parents, lp, low)
        has = np.bincount(parents[m + 1], minlength=model.sizes[m - 1]) > 0
        backoff[m - 1] = np.where(has, np.log10(num / den), 0.0)
    return NgramModel(model.order, model.vocab_size, model.keys, model.logprob,
                      [b.astype(np.float32) for b in backoff], sentence_mode=model.sentence_mode,
                      meta=model.meta)


# ---------------------------------------------------------------- pruning a built model


def entropy_keep(model: NgramModel, threshold: float, costs=None, relations=None) -> list:
    """The n-grams kept at `threshold` (nats), closed under prefixes and suffixes."""
    costs = costs if costs is not None else relative_entropy(model)
    keep = [None] + [c >= threshold for c in costs[1:]]
    parents, sfx = relations if relations is not None else (None, None)
    return close(model, keep, parents, sfx)


def subset(model: NgramModel, keep: list, renormalized: bool = True) -> NgramModel:
    """The model restricted to the kept n-grams (a closed set), its backoffs recomputed."""
    keys, lp, bo = select(model.order, model.vocab_size, model.keys, model.logprob, model.backoff, keep)
    meta = dict(model.meta)
    pruned = NgramModel(model.order, model.vocab_size, keys, lp, bo, ranked=_NOT_RANKED(model.order),
                        sentence_mode=model.sentence_mode, meta=meta)
    if renormalized:
        pruned = renormalize(pruned)
    return NgramModel(model.order, model.vocab_size, pruned.keys, pruned.logprob, pruned.backoff,
                      sentence_mode=model.sentence_mode, meta=meta)


def prune_entropy(model: NgramModel, threshold: float) -> NgramModel:
    """Remove every n-gram whose Stolcke cost is below `threshold` (nats), then renormalize."""
    if not threshold > 0:
        raise InputError(f"the pruning threshold must be a positive number, got {threshold!r}")
    pruned = subset(model, entropy_keep(model, threshold))
    pruned.meta["pruned"] = {"method": "relative-entropy", "threshold": float(threshold)}
    return pruned


def prune_to_size(model: NgramModel, size_of: Callable[[NgramModel, list], int], target: int,
                  max_steps: int = 40) -> tuple[NgramModel, float | None]:
    """The least pruned model whose `size_of(model, keep)` (bytes; keep None: all) is at most `target`, and the
    threshold used (None when the model already fits). Bisects on the threshold in log space."""
    if size_of(model, None) <= target:
        return model, None
    parents, words = parents_and_words(model)
    sfx = suffixes(model, parents, words)
    costs = relative_entropy(model)
    positive = np.concatenate([c[c > 0] for c in costs[1:]]) if model.order > 1 else np.zeros(0)
    if len(positive) == 0:
        raise InputError("this model has no n-gram above the unigrams to prune")
    lo, hi = math.log(positive.min()) - 1.0, math.log(positive.max()) + 1.0
    keep_hi = entropy_keep(model, math.exp(hi), costs, (parents, sfx))
    if size_of(model, keep_hi) > target:
        raise InputError(f"even the unigrams alone take more than {target} bytes")
    best = (hi, keep_hi)
    for _ in range(max_steps):
        mid = (lo + hi) / 2
        keep = entropy_keep(model, math.exp(mid), costs, (parents, sfx))
        if size_of(model, keep) <= target:
            hi, best = mid, (mid, keep)
        else:
            lo = mid
        if hi - lo < 1e-3:
            break
    threshold = math.exp(best[0])
    pruned = subset(model, best[1])
    pruned.meta["pruned"] = {"method": "relative-entropy", "threshold": threshold}
    return pruned, threshold


def _NOT_RANKED(order: int):
    """Placeholder best-first tables for a model only used for lookups while pruning."""
    empty = np.zeros(0, dtype=np.uint32)
    return [empty] * order, [np.zeros(0, dtype=np.float32)] * order


def compact(model: NgramModel, *, target: int | None = None, bits: int | None = None,
            threshold: float | None = None, extra_bytes: int = 0) -> tuple[PackedNgramModel, dict]:
    """A packed model (packed.py) within `target` bytes, counting `extra_bytes` for the rest of
    the file (vocabulary, spacing), and what was done to get there.

    `threshold` prunes by relative entropy first; `bits` (8, 16 or 32) fixes the value width.
    Otherwise the values are kept as precise as the target allows, 32 (float32, the exact
    model), then 16, then 8 bits; and when even 8 bits do not fit, the model is pruned to fit
    (`prune_to_size`). Without a target, 8 bits."""
    report: dict = {"threshold": None}
    if threshold is not None:
        model = prune_entropy(model, threshold)
        report["threshold"] = threshold

    def size(m, keep, b):
        keys, lp, bo = ((m.keys, m.logprob, m.backoff) if keep is None
                        else select(m.order, m.vocab_size, m.keys, m.logprob, m.backoff, keep))
        return estimate_nbytes(m.order, m.vocab_size, keys, b, b, m.sentence_mode, values=(lp, bo)) + extra_bytes

    widths = [bits] if bits else ([32, 16, 8] if target else [8])
    chosen = next((b for b in widths if target is None or size(model, None, b) <= target), None)
    if chosen is None:
        chosen = widths[-1]
        model, report["threshold"] = prune_to_size(model, lambda m, keep: size(m, keep, chosen), target)
    report["bits"] = chosen
    return pack(model, chosen, chosen), report
