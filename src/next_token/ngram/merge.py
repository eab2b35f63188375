"""Adding partial n-gram counts: the union of two sorted tries, order by order.

Two `PartialCounts` tables (counting.py) count different parts of a corpus. Their sum is one
table holding every n-gram of either, with the counts added. Order 1 is indexed by token id in
both, so it adds elementwise. An order n >= 2 key is `parent << 32 | word`, where the parent is
an index into the same table's order n-1, so the two tables' keys only compare once their
parents are renumbered into the merged order n-1. Merging therefore goes up the orders:

    merged order 1 = elementwise sum
    for n = 2 .. N:
        renumber the parents of each side's order-n keys with where that side's order n-1
        entries landed in the merged order n-1 (a monotone map, so the keys stay sorted)
        merged order n = the union of the two sorted key arrays, counts added,
        and where each side's entries landed (for the next order)

Each step is a few linear passes over numpy arrays and a binary search of the smaller side in
the larger; a side whose entries all landed where they were (nothing new came in below them)
is not renumbered at all. This is how the bounded-memory build (external.py) folds each chunk
into its running table, and how Dask workers' tables are added (distributed/).
"""

from __future__ import annotations

import numpy as np

from .counting import WORD_BITS, WORD_MASK, PartialCounts

_SHIFT = np.uint64(WORD_BITS)


def union_sorted(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
    """The sorted union of two sorted arrays without repeats, and where each element landed.

    Returns (merged, a_at, b_at): merged[a_at] == a and merged[b_at] == b. `a_at` is None when
    it is the identity (b brought nothing new), so callers can skip renumbering. Positions are
    int32 when the union is shorter than 2**31 (half the memory of the bookkeeping).
    """
    itype = np.int32 if len(a) + len(b) < 2**31 else np.int64
    at = np.searchsorted(a, b).astype(itype)
    found = at < len(a)
    found[found] = a[at[found]] == b[found]
    fresh = np.flatnonzero(~found).astype(itype)
    if len(fresh) == 0:
        return a, None, at
    # The k-th new element (in order) lands after the a-elements before it and k new ones.
    landing = at[fresh]
    landing += np.arange(len(fresh), dtype=itype)
    n = len(a) + len(fresh)
    from_a = np.ones(n, dtype=bool)
    from_a[landing] = False
    merged = np.empty(n, dtype=a.dtype if len(a) else b.dtype)
    merged[from_a] = a
    merged[landing] = b[fresh]
    a_at = np.flatnonzero(from_a).astype(itype)
    del from_a
    b_at = at  # reused: found elements land where their equal a-element did, new ones at `landing`
    old = np.flatnonzero(found)
    b_at[old] = a_at[at[old]]
    b_at[fresh] = landing
    return merged, a_at, b_at


def renumber(keys: np.ndarray, parent_at: np.ndarray | None) -> np.ndarray:
    """Keys `parent << 32 | word` with each parent replaced by parent_at[parent] (None: as is)."""
    if parent_at is None:
        return keys
    out = parent_at[keys >> _SHIFT].astype(np.uint64)
    out <<= _SHIFT
    out |= keys & WORD_MASK
    return out


def count_dtype(total_tokens: int):
    """The raw-count dtype for a corpus of `total_tokens`: uint32 while no count can overflow it."""
    return np.uint32 if total_tokens < 2**32 else np.uint64


def merge(a: PartialCounts, b: PartialCounts, dtype=np.uint64, consume: bool = False) -> PartialCounts:
    """The counts of both parts (see the module docstring); raw counts come out as `dtype`.

    `a` should be the larger table: only the smaller side is searched for, and a table that
    gains no new n-gram at some order keeps its arrays (a chunk of text seen before costs
    little more than the search). With `consume`, each order of `a` and `b` is released as soon
    as it is merged (their tables are emptied), so that memory holds about one copy of the
    counts, not two.
    """
    if a.order != b.order:
        raise ValueError(f"cannot merge counts of order {a.order} and {b.order}")
    V = max(len(a.unigrams), len(b.unigrams))
    unigrams = np.zeros(V, dtype=np.int64)
    unigrams[: len(a.unigrams)] += a.unigrams
    unigrams[: len(b.unigrams)] += b.unigrams
    keys: list = [None]
    raw: list = [None]
    a_at = b_at = None  # where the previous order's entries landed (order 1: ids stay ids)
    for n in range(1, a.order):
        ak = renumber(a.keys[n], a_at)
        bk = renumber(b.keys[n], b_at)
        a_raw, b_raw = a.raw[n], b.raw[n]
        if consume:
            a.keys[n] = a.raw[n] = b.keys[n] = b.raw[n] = None
        merged, a_at, b_at = union_sorted(ak, bk)
        del ak, bk
        if a_at is None:  # b brought nothing new: a's counts in place, b's added
            counts = a_raw.astype(dtype, copy=not consume)
        else:
            counts = np.zeros(len(merged), dtype=dtype)
            counts[a_at] = a_raw
        del a_raw
        counts[b_at] += b_raw.astype(dtype, copy=False)
        del b_raw
        keys.append(merged)
        raw.append(counts)
    if consume:
        a.unigrams = b.unigrams = np.zeros(0, dtype=np.int64)
    return PartialCounts(unigrams, keys, raw)


def empty_counts(order: int) -> PartialCounts:
    """A table with nothing counted yet."""
    return PartialCounts(np.zeros(0, dtype=np.int64), [None] + [np.zeros(0, np.uint64)] * (order - 1),
                         [None] + [np.zeros(0, np.uint32)] * (order - 1))


def to_ngram_keys(keys: np.ndarray, vocab_size: int) -> np.ndarray:
    """`parent << 32 | word` keys as the trie's `parent * vocab_size + word` (int64, still sorted)."""
    out = (keys >> _SHIFT).astype(np.int64)
    out *= vocab_size
    out += (keys & WORD_MASK).astype(np.int64)
    return out
