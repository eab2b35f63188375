"""Building an n-gram model: count (counting.py), estimate (kneser_ney.py), hand the tables to the
query side (model.py). KenLM keeps the same split: lm/builder estimates, lm/ queries.

    ngram_from_stream(stream, order, vocab_size)   sentences `<s> ... </s>` back to back
    ngram_from_rows(rows, vocab_size)              fixed-length n-grams (e.g. pixel contexts)
    ngram_from_counts(counts)                      an already counted trie
"""

from __future__ import annotations

import numpy as np

from .counting import NgramCounts, count_rows, count_stream
from .kneser_ney import estimate
from .model import NgramModel
from .prune import check_thresholds, count_cutoff_keep, select


def ngram_from_counts(counts: NgramCounts, discount_fallback: str = "warn", prune=None) -> NgramModel:
    """Estimate interpolated modified Kneser-Ney from counts (see kneser_ney.py for the policy).

    `prune`: count thresholds per order, as lmplz's --prune (e.g. (0, 1, 1): drop the bigrams and
    longer n-grams seen once; see prune.py)."""
    keep = count_cutoff_keep(counts, prune) if prune else None
    est = estimate(counts, discount_fallback, keep)
    keys, logprob, backoff = [None] + counts.keys[1:], est.logprob, est.backoff
    meta = {"discounts": [list(d) for d in est.discounts]}
    if est.fallbacks:
        meta["discount_fallbacks"] = {str(n): why for n, why in est.fallbacks.items()}
    if keep is not None:
        keys, logprob, backoff = select(counts.order, counts.vocab_size, keys, logprob, backoff, keep)
        meta["pruned"] = {"method": "count", "thresholds": check_thresholds(prune, counts.order)}
    return NgramModel(counts.order, counts.vocab_size, keys, logprob, backoff,
                      sentence_mode=counts.sentence_mode, meta=meta)


def ngram_from_stream(stream: np.ndarray, order: int, vocab_size: int, *, progress=None,
                      discount_fallback: str = "warn", prune=None) -> NgramModel:
    """Count and estimate a model from a sentence stream (`<s> ... </s>` back to back)."""
    return ngram_from_counts(count_stream(stream, order, vocab_size, progress=progress), discount_fallback, prune)


def ngram_from_rows(rows: np.ndarray, vocab_size: int, *, discount_fallback: str = "warn") -> NgramModel:
    """Estimate from full n-grams (context columns..., token), one per row.

    Backoff drops the leftmost column first, so put the least informative context first.
    The uniform floor spreads over all `vocab_size` ids.
    """
    return ngram_from_counts(count_rows(rows, vocab_size), discount_fallback)
