"""Counting every n-gram of orders 1..N, vectorized, into a sorted "forward trie".

The trie is a list of numpy arrays per order n. Each distinct n-gram gets an index in its order;
order 1 is indexed by the token id itself. An n-gram of order n >= 2 is identified by the key

    key = parent * V + last_word

where `parent` is the index of its first n-1 tokens in order n-1 and V the vocabulary size. Keys
are sorted, so the children of a context (its one-token extensions) are one contiguous run, and
n-grams come out in lexicographic order. This is the structure both Kneser-Ney estimation and
querying walk.

Counting works on a token stream cut into segments (sentences, or the rows of pixel contexts):
every window of 1..N tokens inside one segment is a node of the trie. For each order we build
the windows' keys at once from the previous order's window indices (`gid`), and `np.unique`
sorts and numbers them: no Python loop per token or per n-gram.

Besides raw counts, Kneser-Ney needs *adjusted counts* (Chen & Goodman; KenLM's lmplz):

- the highest order keeps its raw counts;
- a lower-order n-gram x gets N1+(. x), the number of distinct tokens seen to its left;
- except n-grams that start with the sentence-start token `<s>`, which nothing can precede: they
  keep their raw counts ("left-anchored"). The unigram `<s>` itself has count 0, like `<unk>`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from ..text.vocab import BOS, EOS

MAX_ORDER = 12


@dataclass
class NgramCounts:
    """The counted trie. Lists are indexed by order - 1.

    keys[n]       int64, sorted: parent * vocab_size + word (order 1: arange(vocab_size))
    suffixes[n]   int64: index in order n-1 of the n-gram minus its first token (order 1: empty)
    raw[n]        int64: how many times the n-gram was seen where it counts
    adjusted[n]   int64: the Kneser-Ney adjusted counts described in the module docstring
    first[n]      the first token of each n-gram (to recognise left-anchored ones)
    """

    order: int
    vocab_size: int
    keys: list[np.ndarray]
    suffixes: list[np.ndarray]
    raw: list[np.ndarray]
    adjusted: list[np.ndarray]
    first: list[np.ndarray]
    sentence_mode: bool

    @property
    def sizes(self) -> list[int]:
        return [len(k) for k in self.keys]


def count_stream(stream: np.ndarray, order: int, vocab_size: int, progress=None) -> NgramCounts:
    """Count the n-grams of a sentence stream: `<s> w1 ... wm </s>` back to back.

    Matches KenLM's lmplz, which pads each sentence with N-1 `<s>` and then collapses n-grams
    with `<s>` past their first position into shorter left-anchored ones: that is the same as
    taking every window inside the (singly padded) sentence.
    """
    stream = np.asarray(stream)
    segments = np.cumsum(stream == BOS)
    counted = np.ones(len(stream), dtype=bool)
    return _count(stream, segments, counted, order, vocab_size, anchor=BOS, progress=progress)


def count_rows(rows: np.ndarray, vocab_size: int, progress=None) -> NgramCounts:
    """Count fixed-length rows (context..., token): only the suffixes of each row are counted.

    Each row is a segment; its windows that do not end at the last column are still trie nodes
    (they are the contexts of the counted suffixes), but with count 0, so they add nothing to
    any estimate. Backoff then drops the leftmost column first.
    """
    rows = np.asarray(rows)
    if rows.ndim != 2 or rows.shape[0] == 0 or rows.shape[1] == 0:
        raise InputError("rows must be a non-empty 2-D array of token ids (one n-gram per row)")
    m, n = rows.shape
    stream = rows.reshape(-1)
    segments = np.repeat(np.arange(m, dtype=np.int64), n)
    counted = np.zeros((m, n), dtype=bool)
    counted[:, -1] = True
    return _count(stream, segments, counted.reshape(-1), n, vocab_size, anchor=None, progress=progress)


def _count(tokens, segments, counted_end, order, vocab_size, anchor, progress) -> NgramCounts:
    if not 1 <= order <= MAX_ORDER:
        raise InputError(f"order must be between 1 and {MAX_ORDER}, got {order}")
    tokens = tokens.astype(np.int64, copy=False)
    if len(tokens) and (tokens.min() < 0 or tokens.max() >= vocab_size):
        raise InputError("token ids must lie in [0, vocab_size)")
    V = np.int64(vocab_size)
    T = len(tokens)

    keys, suffixes, raw, first = [], [], [], []
    # Order 1: the index of a unigram is its token id, so every id is present, seen or not.
    keys.append(np.arange(vocab_size, dtype=np.int64))
    suffixes.append(np.zeros(0, dtype=np.int64))
    raw.append(np.bincount(tokens[counted_end], minlength=vocab_size).astype(np.int64))
    first.append(np.arange(vocab_size, dtype=np.int64))
    gid_prev = tokens  # index of the window of the previous order starting at each position
    if progress:
        progress.update(1)

    for n in range(2, order + 1):
        m = T - n + 1
        if m <= 0:
            empty = np.zeros(0, dtype=np.int64)
            keys.append(empty), suffixes.append(empty), raw.append(empty), first.append(empty)
            continue
        # A window of length n starting at i lies in one segment iff its ends do.
        sel = np.flatnonzero(segments[n - 1 :] == segments[:m])
        window_keys = gid_prev[sel] * V + tokens[sel + (n - 1)]
        uniq, inverse, first_at = unique_inverse(window_keys, (len(keys[-1]) + 1) * int(V))
        is_counted = counted_end[sel + (n - 1)]
        raw.append(np.bincount(inverse[is_counted], minlength=len(uniq)).astype(np.int64))
        # Any occurrence tells the suffix (the window one to the right, one shorter) and first token.
        rep = sel[first_at]
        suffixes.append(gid_prev[rep + 1])
        first.append(tokens[rep])
        keys.append(uniq)
        gid = np.full(m, -1, dtype=np.int64)
        gid[sel] = inverse
        gid_prev = gid
        del window_keys, inverse, sel
        if progress:
            progress.update(1)

    adjusted = _adjust(raw, suffixes, first, anchor)
    return NgramCounts(order, vocab_size, keys, suffixes, raw, adjusted, first, anchor is not None)


@dataclass
class PartialCounts:
    """Raw n-gram counts of part of a corpus, in a form that merges with other parts' counts.

    unigrams     int64 counts by token id (as long as the ids seen so far)
    keys[n]      uint64, sorted: parent << 32 | word, where parent is the index of the n-gram's
                 first n-1 tokens in keys[n-1] of this same table (order 1: the token id); None
                 at index 0
    raw[n]       how many times each n-gram was seen (uint32 while the corpus is shorter than
                 2**32 tokens, else uint64)

    Unlike `NgramCounts` keys, these do not depend on the vocabulary size, which grows as a
    corpus is read. `ngram.partial_counts.merge` adds two tables; the sorted order is the
    lexicographic order of the n-grams' ids, the order of the final trie.
    """

    unigrams: np.ndarray
    keys: list
    raw: list

    @property
    def order(self) -> int:
        return len(self.keys)

    @property
    def entries(self) -> int:
        return sum(len(k) for k in self.keys[1:])

    @property
    def nbytes(self) -> int:
        return self.unigrams.nbytes + sum(k.nbytes + r.nbytes for k, r in zip(self.keys[1:], self.raw[1:]))


WORD_BITS = 32
WORD_MASK = np.uint64((1 << WORD_BITS) - 1)


def count_chunk(stream: np.ndarray, order: int, progress=None) -> PartialCounts:
    """Count a sentence stream (`<s> ... </s>` back to back) into `PartialCounts`.

    The same windows as `count_stream` (every window of 1..N tokens inside a sentence), with
    leaner bookkeeping for a stream that is one chunk of a larger corpus: positions and window
    indices are int32, and only the windows still long enough are carried from order to order.
    """
    if not 1 <= order <= MAX_ORDER:
        raise InputError(f"order must be between 1 and {MAX_ORDER}, got {order}")
    stream = np.ascontiguousarray(stream, dtype=np.uint32)
    T = len(stream)
    if T >= 2**31:
        raise InputError("a chunk must hold fewer than 2**31 tokens")
    V = int(stream.max()) + 1 if T else BOS + 1
    unigrams = np.bincount(stream, minlength=V).astype(np.int64)
    keys: list = [None]
    raw: list = [None]
    if progress:
        progress.update(1)
    if order == 1 or T == 0:
        return PartialCounts(unigrams, keys + [np.zeros(0, np.uint64)] * (order - 1),
                             raw + [np.zeros(0, np.uint32)] * (order - 1))
    # rem[i]: how many tokens follow position i in its sentence (every sentence ends with </s>).
    ends = np.flatnonzero(stream == EOS).astype(np.int32)
    starts_of = np.flatnonzero(stream == BOS).astype(np.int32)
    if len(ends) != len(starts_of) or (len(ends) and (ends[-1] != T - 1 or starts_of[0] != 0)):
        raise InputError("the stream must be whole sentences: <s> ... </s> back to back")
    rem = np.repeat(ends, ends - starts_of + 1)
    rem -= np.arange(T, dtype=np.int32)
    del ends, starts_of
    starts = np.arange(T, dtype=np.int32)  # where the windows of the current length start
    window = stream.astype(np.int32)  # the index of each such window in the current order
    n_prev = V
    for n in range(2, order + 1):
        keep = rem >= n - 1
        starts, window, rem = starts[keep], window[keep], rem[keep]
        del keep
        window_keys = window.astype(np.int64)
        window_keys *= V
        window_keys += stream[starts + (n - 1)]
        uniq, inverse = _ranks(window_keys, n_prev * V)
        del window_keys
        raw.append(np.bincount(inverse, minlength=len(uniq)).astype(np.uint32))
        parent, word = np.divmod(uniq, V)
        del uniq
        k = parent.astype(np.uint64)
        k <<= np.uint64(WORD_BITS)
        k |= word.astype(np.uint64)
        keys.append(k)
        del parent, word
        n_prev = len(k)
        window = inverse
        del inverse
        if progress:
            progress.update(1)
    return PartialCounts(unigrams, keys, raw)


def _ranks(keys: np.ndarray, bound: int) -> tuple[np.ndarray, np.ndarray]:
    """(sorted distinct keys, int32 rank of each key among them): `unique_inverse` for
    `count_chunk`, leaner: it consumes `keys` (working in place), skips the index of a first
    occurrence, and keeps positions and ranks in int32. As there, each key carries its position
    in its low bits and the packed values are sorted; keys too wide for that are first split
    into a few buckets by their top bits (a pass over a mask per bucket)."""
    n = len(keys)
    pos_bits = max(1, (n - 1).bit_length())
    key_bits = max(1, (int(bound) - 1).bit_length())
    extra = max(0, key_bits + pos_bits - 63)
    if n == 0 or extra > 3:
        uniq, inverse, _ = unique_inverse(keys, bound)
        return uniq, inverse.astype(np.int32)
    low_bits = key_bits - extra
    inverse = np.empty(n, dtype=np.int32)
    uniqs = []
    done = 0  # distinct keys in the buckets before this one
    for b in range(1 << extra):
        if extra:
            positions = np.flatnonzero((keys >> low_bits) == b)
            if len(positions) == 0:
                continue
            packed = keys[positions]
            packed &= (1 << low_bits) - 1
        else:
            positions = None
            packed = keys
        packed <<= pos_bits
        packed |= positions if positions is not None else np.arange(n, dtype=np.int64)
        del positions
        packed.sort()
        at = (packed & ((1 << pos_bits) - 1)).astype(np.int32)
        packed >>= pos_bits
        new = np.empty(len(packed), dtype=bool)
        new[0] = True
        np.not_equal(packed[1:], packed[:-1], out=new[1:])
        ranks = np.cumsum(new, dtype=np.int32)
        ranks += done - 1
        inverse[at] = ranks
        del at, ranks
        u = packed[new]
        if extra:
            u |= np.int64(b) << low_bits
        uniqs.append(u)
        done += len(u)
        del packed, new
    return (uniqs[0] if len(uniqs) == 1 else np.concatenate(uniqs)), inverse


def unique_inverse(keys: np.ndarray, bound: int, max_bits: int = 63) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`np.unique(keys, return_index=True, return_inverse=True)` (as uniq, inverse, index) for
    non-negative int64 keys below `bound`, faster; `index` is some occurrence of each key.

    numpy sorts values with SIMD code but argsorts without it (about 10x slower on 10M keys),
    and the inverse needs the permutation. So each key carries its position in its low bits
    and the packed values are sorted. When key and position do not fit in `max_bits` together,
    the keys are first split by their high bits (a stable sort on a few bucket ids, cheap),
    and each bucket, now needing fewer key bits, is packed and sorted on its own.
    """
    n = len(keys)
    if n == 0:
        return keys.copy(), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    pos_bits = max(1, (n - 1).bit_length())
    key_bits = max(1, (int(bound) - 1).bit_length())
    low_bits = max_bits - pos_bits
    if low_bits <= 0 or key_bits - low_bits > 16:
        uniq, index, inverse = np.unique(keys, return_index=True, return_inverse=True)  # too wide to pack
        return uniq, inverse.reshape(-1), index
    perm = np.empty(n, dtype=np.int64)
    sorted_keys = np.empty(n, dtype=np.int64)
    pos_mask = np.int64((1 << pos_bits) - 1)
    if key_bits <= low_bits:
        buckets = [(0, np.arange(n, dtype=np.int64))]
    else:
        high = (keys >> low_bits).astype(np.uint16)
        order = np.argsort(high, kind="stable")
        edges = np.searchsorted(high[order], np.arange(int(high.max()) + 2))
        buckets = [(b, order[edges[b] : edges[b + 1]]) for b in range(len(edges) - 1) if edges[b + 1] > edges[b]]
    low_mask = np.int64((1 << min(low_bits, key_bits)) - 1)
    at = 0
    for b, positions in buckets:
        packed = ((keys[positions] & low_mask) << pos_bits) | positions
        packed.sort()
        m = len(packed)
        perm[at : at + m] = packed & pos_mask
        sorted_keys[at : at + m] = (packed >> pos_bits) | (np.int64(b) << low_bits)
        at += m
    new = np.empty(n, dtype=bool)
    new[0] = True
    np.not_equal(sorted_keys[1:], sorted_keys[:-1], out=new[1:])
    inverse = np.empty(n, dtype=np.int64)
    inverse[perm] = np.cumsum(new) - 1
    return sorted_keys[new], inverse, perm[new]


def _adjust(raw, suffixes, first, anchor):
    """Adjusted counts: raw at the top order, distinct left extensions below (see module doc)."""
    order = len(raw)
    adjusted = [None] * order
    adjusted[-1] = raw[-1]
    for n in range(order - 1, 0, -1):  # n is the index of order n (0-based order n-1 ... )
        lower = n - 1
        seen = raw[n] > 0
        adj = np.bincount(suffixes[n][seen], minlength=len(raw[lower])).astype(np.int64)
        if anchor is not None:
            anchored = first[lower] == anchor
            adj[anchored] = raw[lower][anchored]
        adjusted[lower] = adj
    if anchor is not None:
        adjusted[0] = adjusted[0].copy()
        adjusted[0][anchor] = 0  # nothing predicts <s>; KenLM gives it count 0
    return adjusted
