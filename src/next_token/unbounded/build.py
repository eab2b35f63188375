"""Building the unbounded side: the suffix-array index of a token stream (the query side is
index.py), and the hybrid model with its mixing weights fitted on held-out training text.

libdivsufsort (C, through the optional `pydivsufsort` package) when it is installed, else prefix
doubling (Manber & Myers), vectorized in numpy, about half as fast. After round h every suffix
carries the rank of its first ``2^h`` tokens (the SA slot where its group starts); the next round
sorts by the pair (rank of ``p``, rank of ``p + 2^h``), which orders suffixes by their first
``2^(h+1)`` tokens. Only groups that are still ties are re-sorted (as in Larsson & Sadakane), so
the work shrinks fast on natural text; the number of rounds is about log2 of the longest repeated
span. Every step is a numpy sort or gather over the still-unsorted suffixes; there is no Python
loop per token.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from ..errors import CorpusError, InputError
from ..text.vocab import BOS
from .index import SuffixArray
from .storage import PackedUInts, TokenStream, as_id_array, width_for


def suffix_array(stream: np.ndarray, progress: bool = False, method: str = "auto") -> np.ndarray:
    """Return the suffix array of the non-negative integer array `stream` (int32, or int64 when
    the stream has 2^31 tokens or more).

    `method`: "numpy" is the vectorized prefix doubling below (see the module docstring);
    "divsufsort" calls libdivsufsort through the optional `pydivsufsort` package (identical
    arrays, faster, same peak memory); "auto" uses pydivsufsort when it is installed and numpy
    otherwise.
    """
    if method not in ("auto", "numpy", "divsufsort"):
        raise InputError(f"unknown suffix-array method {method!r}: use 'auto', 'numpy' or 'divsufsort'")
    s = np.asarray(stream)
    n = int(s.shape[0])
    if n == 0:
        return np.empty(0, np.int32)
    if method != "numpy":
        try:
            from pydivsufsort import divsufsort
        except ImportError:
            if method == "divsufsort":
                raise InputError("method='divsufsort' needs the pydivsufsort package: pip install pydivsufsort") from None
        else:
            top = int(s.max())
            small = np.uint8 if top < 2**8 else np.uint16 if top < 2**16 else np.uint32 if top < 2**32 else np.uint64
            return np.asarray(divsufsort(np.ascontiguousarray(s, dtype=small)))
    if n >= 3_000_000_000:  # rank pairs are packed into one int64 key: rank * (n + 1) + rank2 + 1
        raise InputError(f"a suffix array over {n:,} tokens is beyond this builder (limit 3e9)")
    idx_t = np.int32 if n < 2**31 else np.int64
    sa = np.argsort(s, kind="stable").astype(idx_t)
    keys = s[sa]
    change = np.empty(n, bool)
    change[0] = True
    np.not_equal(keys[1:], keys[:-1], out=change[1:])
    del keys
    # rank of a suffix = the SA slot where its group (same first k tokens) starts
    rank = np.empty(n, idx_t)
    rank[sa] = np.maximum.accumulate(np.where(change, np.arange(n, dtype=idx_t), 0))
    singleton = change.copy()
    singleton[:-1] &= change[1:]
    active = np.flatnonzero(~singleton).astype(idx_t)  # slots of suffixes still tied with another
    del change, singleton
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(desc="suffix array (doubling rounds)", unit="round")
    k = 1
    while active.size:
        pos = sa[active]
        nxt = pos.astype(np.int64) + k
        inside = nxt < n
        second = np.zeros(pos.size, np.int64)  # 0 = "past the end", sorts before every real rank
        second[inside] = rank[nxt[inside]].astype(np.int64) + 1
        key = rank[pos].astype(np.int64) * (n + 1) + second
        del nxt, inside, second
        order = np.argsort(key)  # ties are suffixes still equal on 2k tokens: any order is fine
        pos = pos[order]
        key = key[order]
        del order
        sa[active] = pos
        m = pos.size
        ch = np.empty(m, bool)
        ch[0] = True
        np.not_equal(key[1:], key[:-1], out=ch[1:])
        del key
        # all keys were computed from the old ranks above, so updating in place is safe now
        rank[pos] = active[np.maximum.accumulate(np.where(ch, np.arange(m, dtype=idx_t), 0))]
        single = ch.copy()
        single[:-1] &= ch[1:]
        active = active[~single]
        k *= 2
        if bar is not None:
            bar.update(1)
            bar.set_postfix(unsorted=int(active.size))
    if bar is not None:
        bar.close()
    return sa


def build_index(
    stream: Sequence[int] | np.ndarray,
    *,
    vocab_size: int | None = None,
    compact: bool = True,
    progress: bool = False,
) -> SuffixArray:
    """Index `stream` (token ids). `vocab_size` sizes the unigram table (default: max id + 1).

    `compact=False` stores the SA as uint32 (uint64 past 2^32 tokens) instead of the fewest
    bytes, trading memory for slightly cheaper reads.
    """
    s = as_id_array(stream, "stream")
    if s.size == 0:
        raise CorpusError("cannot index an empty token stream: the corpus has no tokens")
    top = int(s.max())
    bound = top + 1 if vocab_size is None else int(vocab_size)
    if bound <= top:
        raise InputError(f"vocab_size={vocab_size} but the stream holds id {top}")
    n = int(s.size)
    sa = suffix_array(s, progress=progress)
    first = np.zeros(bound + 1, np.uint32 if n < 2**32 else np.uint64)
    np.cumsum(np.bincount(s, minlength=bound), out=first[1:])
    sa_width = width_for(n - 1) if compact else (4 if n <= 2**32 else 8)
    return SuffixArray(TokenStream.pack(s), PackedUInts.pack(sa, sa_width), first)


MIN_SENTENCES_TO_FIT = 40  # per held-out run; below it the weights default to an even mix


def build_hybrid(stream: np.ndarray, order: int, vocab_size: int, *, progress=None,
                 discount_fallback: str = "warn"):
    """The hybrid model of a training stream, its mixing weights fitted the honest way.

    Hold out the end of each of 20 runs of training sentences (5%), build an n-gram model and an
    index on the rest, score the held-out part with both, fit the weights by EM on it
    (`mixing.fit_weights`), then build the final model and index on all the training text with
    those weights. The test text is never seen. A corpus of fewer than 40 sentences is too small
    to hold anything out: its weights are an even 0.5 mix.
    """
    from ..ngram.build import ngram_from_stream
    from .estimate import UnboundedModel
    from .hybrid import HybridModel
    from .mixing import HybridWeights, fit_weights, heldout_split

    n_sent = int(np.count_nonzero(np.asarray(stream) == BOS))
    if n_sent < MIN_SENTENCES_TO_FIT:
        weights = HybridWeights.constant(0.5)
    else:
        fit_train, dev = heldout_split(stream, 0.05, max(1, min(20, n_sent // MIN_SENTENCES_TO_FIT)))
        # the final model reports any discount fallback; this one would only repeat it
        ng_dev = ngram_from_stream(fit_train, order, vocab_size, discount_fallback="ignore")
        um_dev = UnboundedModel(build_index(fit_train, vocab_size=vocab_size))
        su, sn = um_dev.logprobs_stream(dev), ng_dev.score_stream(dev)
        weights = fit_weights(su, su.prob, 10.0 ** sn.logprob)
    ngram = ngram_from_stream(stream, order, vocab_size, progress=progress, discount_fallback=discount_fallback)
    return HybridModel(ngram, build_index(stream, vocab_size=vocab_size), weights)
