"""Kneser-Ney estimation and ranking from count files, block by block, bit for bit as in memory.

`estimate_files(counts, workdir, block)` turns the count tables of the bounded-memory build
(`external.CountFiles`: sorted keys and raw counts per order, on disk) into the same
`NgramModel` that `ngram.build.ngram_from_counts` makes from an in-memory `NgramCounts`: the
same keys, the same float32 probabilities and backoffs to the last bit, the same best-first
tables. It runs the same formulas (kneser_ney.py's `interpolate` and friends) on pieces:

1. Suffixes and adjusted counts, order n = 2 .. N. The suffix of the n-gram (parent, w) is the
   n-1-gram (suffix of parent, w): looked up among order n-1's keys, a block of queries at a
   time, sorted first (a random binary search per n-gram costs a cache miss per step). Adding
   up the suffixes gives order n-1's adjusted counts (distinct left extensions), except where
   the n-1-gram starts with `<s>` (its raw count), as counting.py explains.
2. Discounts per order, from counts of counts added over blocks.
3. Probabilities, order by order, in blocks cut between contexts: a context's children never
   straddle two blocks, so the sums over them run in the same order as over the whole array
   and give the same bits. Each block needs p of the order below at its suffixes, so that
   order's probabilities are held in memory (float64, 8 bytes per n-gram): the largest array
   estimation holds.
4. Ranking (each context's children best first) and the final keys, in the same blocks.

Everything is written to files in `workdir`; the model maps the finished tables.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..text.vocab import BOS
from .counting import unique_inverse
from .disk import DiskArray, blocks
from .external import CountFiles
from .kneser_ney import (
    backoff_weights,
    counts_of_counts,
    discounts_from_counts_of_counts,
    interpolate,
    log10_backoffs,
    log10_probabilities,
    settle_discounts,
    unigram_probabilities,
)
from .model import NgramModel, _key_dtype


def estimate_files(counts: CountFiles, workdir: Path, block: int, discount_fallback: str = "warn",
                   progress=None) -> NgramModel:
    """The model of `counts` (see the module docstring); its tables are maps of files in `workdir`."""
    workdir = Path(workdir)
    work = workdir / "estimate"
    work.mkdir(exist_ok=True)
    N, V = counts.order, counts.vocab_size
    adjusted, suffixes = _adjust(counts, work, block, progress)
    per_order = []
    for n in range(1, N + 1):
        if n == 1:
            t = counts_of_counts(adjusted[0])
        else:
            t = np.zeros(5, dtype=np.int64)
            for i0, i1 in blocks(len(adjusted[n - 1]), block):
                t += counts_of_counts(adjusted[n - 1].read(i0, i1))
        per_order.append(discounts_from_counts_of_counts(t, n))
    ds, fallbacks = settle_discounts(per_order, discount_fallback)

    out = workdir / "model"
    out.mkdir(exist_ok=True)
    p_lower = unigram_probabilities(adjusted[0], ds[0], V, True)
    logprob = [log10_probabilities(p_lower)]
    ids = np.arange(V)
    ids = ids[ids != BOS]
    best = ids[np.lexsort((ids, -logprob[0][ids]))]
    ranked_words, ranked_lp = [best.astype(np.uint32)], [logprob[0][best]]
    keys: list = [None]
    backoff: list = []
    if progress is not None:
        progress.update(1)
    for n in range(2, N + 1):
        tables = _estimate_order(n, counts, adjusted[n - 1], suffixes[n - 1], p_lower, ds[n - 1], out, block)
        keys.append(tables["keys"])
        logprob.append(tables["logprob"])
        backoff.append(tables["backoff"])
        ranked_words.append(tables["ranked_words"])
        ranked_lp.append(tables["ranked_lp"])
        suffixes[n - 1].delete()
        if n < N:
            adjusted[n - 1].delete()
        p_lower = tables["p"]
        if progress is not None:
            progress.update(1)
    del p_lower
    maps = lambda arrays: [_mapped(a) for a in arrays]  # noqa: E731
    meta = {"discounts": [list(d) for d in ds]}
    if fallbacks:
        meta["discount_fallbacks"] = {str(n): why for n, why in fallbacks.items()}
    return NgramModel(N, V, [None] + maps(keys[1:]), [logprob[0]] + maps(logprob[1:]), maps(backoff),
                      ([ranked_words[0]] + maps(ranked_words[1:]), [ranked_lp[0]] + maps(ranked_lp[1:])),
                      sentence_mode=True, meta=meta)


def _mapped(a: DiskArray) -> np.ndarray:
    if os.name == "posix":
        return a.map()  # the file can be unlinked while mapped; its data lives as long as the model
    return a.read()  # elsewhere mapped files cannot be removed: hold the tables in memory


def _adjust(counts: CountFiles, work: Path, block: int, progress) -> tuple[list, list]:
    """Step 1: per order, the adjusted counts (order 1 in memory, others DiskArray) and suffixes."""
    N, V = counts.order, counts.vocab_size
    sizes = counts.sizes
    adjusted: list = [None] * N
    suffixes: list = [None] * N
    anchored_prev = np.arange(V) == BOS  # which n-1-grams start with <s>
    for n in range(2, N + 1):
        keys, raw = counts.keys[n - 1], counts.raw[n - 1]
        adj = np.zeros(sizes[n - 2], dtype=np.int64)  # adjusted counts of order n-1
        anchored = np.zeros(sizes[n - 1], dtype=bool)
        sfx_out = DiskArray(work / f"suffix.{n}", np.int64)
        lower_keys = counts.keys[n - 2].read() if n >= 3 else None
        for i0, i1 in blocks(sizes[n - 1], block):
            k = keys.read(i0, i1)
            parent, word = np.divmod(k, V)
            anchored[i0:i1] = anchored_prev[parent]
            seen = raw.read(i0, i1) > 0
            if n == 2:
                sfx = word
                adj += np.bincount(sfx[seen], minlength=len(adj))  # V long: small
            else:
                lo = int(parent[0])
                sp = suffixes[n - 2].read(lo, int(parent[-1]) + 1)[parent - lo]
                uniq, inverse, _ = unique_inverse(sp * V + word, sizes[n - 3] * V)
                found = np.searchsorted(lower_keys, uniq)
                sfx = found[inverse]
                # Add up the left extensions per distinct suffix of the block (no array of the
                # lower order's length per block).
                adj[found] += np.bincount(inverse[seen], minlength=len(found))
                del uniq, inverse, found
            sfx_out.append(sfx)
        del lower_keys
        suffixes[n - 1] = sfx_out.close()
        if n == 2:
            adj[anchored_prev] = counts.unigrams[anchored_prev]
            adj[BOS] = 0  # nothing predicts <s>; KenLM gives it count 0
            adjusted[0] = adj
        else:
            lower_raw = counts.raw[n - 2]
            for i0, i1 in blocks(len(adj), block):
                mask = anchored_prev[i0:i1]
                if mask.any():
                    adj[i0:i1][mask] = lower_raw.read(i0, i1)[mask]
            adjusted[n - 2] = DiskArray.write(work / f"adjusted.{n - 1}", adj)
        del adj
        anchored_prev = anchored
    if N == 1:
        adj = counts.unigrams.copy()
        adj[BOS] = 0
        adjusted[0] = adj
    else:
        adjusted[N - 1] = counts.raw[N - 1]  # the top order keeps its raw counts
    return adjusted, suffixes


def _context_blocks(keys: DiskArray, V: int, n_ctx: int, block: int):
    """Blocks [i0, i1) of an order's n-grams that never split a context's children, with the
    contexts [c0, c1) they cover (the last block runs to the last context), and their keys."""
    size = len(keys)
    i0 = c0 = 0
    while i0 < size or c0 < n_ctx:
        k = keys.read(i0, i0 + block)
        while i0 + len(k) < size:  # cut before the last context's children, unless it is all
            parent_last = k[-1] // V
            cut = int(np.searchsorted(k // V, parent_last))
            if cut > 0:
                k = k[:cut]
                break
            k = np.concatenate([k, keys.read(i0 + len(k), i0 + len(k) + block)])
        i1 = i0 + len(k)
        c1 = n_ctx if i1 >= size else int(k[-1] // V) + 1
        yield i0, i1, c0, c1, k
        i0, c0 = i1, c1


def _estimate_order(n, counts: CountFiles, adjusted: DiskArray, suffix: DiskArray, p_lower: np.ndarray,
                    d, out: Path, block: int) -> dict:
    """Steps 3 and 4 for order n: its tables as DiskArrays, and p (float64, for order n+1)."""
    V, N = counts.vocab_size, counts.order
    n_ctx = counts.sizes[n - 2]
    key_dtype = _key_dtype(n_ctx, V)
    t = {name: DiskArray(out / f"{name}.{n}", dtype) for name, dtype in (
        ("keys", key_dtype), ("logprob", np.float32), ("ranked_words", np.uint32), ("ranked_lp", np.float32))}
    t["backoff"] = DiskArray(out / f"backoff.{n - 1}", np.float32)
    p_out = DiskArray(out / f"p.{n}", np.float64) if n < N else None
    lower_keys = counts.keys[n - 2] if n >= 3 else None
    for i0, i1, c0, c1, k in _context_blocks(counts.keys[n - 1], V, n_ctx, block):
        parent, word = np.divmod(k, V)
        rel = parent - c0
        p, gamma = interpolate(adjusted.read(i0, i1), d, rel, c1 - c0, p_lower[suffix.read(i0, i1)])
        last = np.arange(c0, c1) if n == 2 else lower_keys.read(c0, c1) % V
        t["backoff"].append(log10_backoffs(backoff_weights(gamma, last, True)))
        lp = log10_probabilities(p)
        t["logprob"].append(lp)
        if p_out is not None:
            p_out.append(p)
        # Best first within each context: as NgramModel._rank, one stable sort on
        # context << 32 | bits(-log p) (the context relative to the block: same order).
        neg = (np.float32(0) - lp).view(np.uint32)
        perm = np.argsort((rel.astype(np.uint64) << np.uint64(32)) | neg.astype(np.uint64), kind="stable")
        t["ranked_words"].append(word.astype(np.uint32)[perm])
        t["ranked_lp"].append(lp[perm])
        t["keys"].append(k)
    for a in t.values():
        a.close()
    t["p"] = None
    if p_out is not None:
        t["p"] = p_out.close().read()
        p_out.delete()
    return t
