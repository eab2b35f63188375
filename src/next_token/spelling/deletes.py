"""The symmetric-deletes index (SymSpell's idea): every word within edit distance d of a query,
without comparing the query to every word.

If two strings are within OSA distance d, deleting at most d characters from each makes them
equal: a substitution or a swap costs one deletion on each side, an inserted or dropped character
one deletion on one side. So the index maps every string obtained by deleting <= d characters of
a word to that word, and a query looks up its own <= d deletions: the union of the hits holds every
word within distance d (and some more, removed by computing the true distance). Only the first
`prefix_length` characters are used (SymSpell's prefix trick): if the full strings are within d,
so are their prefixes of equal length up to deletions (the aligned pairs inside a prefix are the
first ones of the alignment, so each prefix needs at most d deletions to reach their common
part), which keeps the index at sum_{i<=d} C(7, i) = 29 entries per word at most.

Storage, all flat numpy arrays (to_arrays/from_arrays; nothing is decoded at load):

    chars, ends     the indexed strings, as one code-point blob and end offsets
    hashes          sorted distinct 64-bit hashes of the deletion strings
    starts          CSR offsets: the postings of hashes[h] are postings[starts[h]:starts[h+1]]
    postings        uint32 index of the word each deletion string came from
    levels          uint8 deletions made to get there (a query at distance 1 skips level 2)
    config          [prefix_length, max_distance]

A hash collision only adds a candidate that the exact distance check then drops, so 64-bit FNV-1a
over code points (vectorized with numpy's wrapping uint64 arithmetic) is enough.
"""

from __future__ import annotations

from itertools import combinations
from typing import Sequence

import numpy as np

from ..errors import InputError, ModelFileError
from .distance import PAD, EditCosts, banded_alignment, encode

_FNV_OFFSET = np.uint64(0xCBF29CE484222325)
_FNV_PRIME = np.uint64(0x100000001B3)
_LENGTH_MIX = np.uint64(0x9E3779B97F4A7C15)


def _hash_columns(M: np.ndarray, cols: Sequence[int]) -> np.ndarray:
    """FNV-1a hash of each row's characters at `cols` (in order), mixed with their count."""
    seed = np.uint64((int(_FNV_OFFSET) ^ (len(cols) * int(_LENGTH_MIX))) & 0xFFFFFFFFFFFFFFFF)
    h = np.full(M.shape[0], seed, dtype=np.uint64)
    for c in cols:
        h = (h ^ M[:, c].astype(np.uint64)) * _FNV_PRIME
    return h


def deletion_hashes(strings: Sequence[str], prefix_length: int,
                    max_distance) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(row, hash, level) of every string made by deleting <= d characters of each string's
    prefix (d = `max_distance`, a number or one per string); duplicates are kept.

    Rows are grouped by prefix length, so each (length, set of deleted positions) is one
    vectorized hash over the group: about a thousand numpy calls for any number of strings.
    """
    M, lengths = encode(strings, width=prefix_length)
    plen = np.minimum(lengths, prefix_length)
    dmax = np.broadcast_to(np.asarray(max_distance, dtype=np.int64), plen.shape)
    rows_out, hashes_out, levels_out = [], [], []
    for L in np.unique(plen).tolist():
        group = np.flatnonzero(plen == L)
        sub = M[group]
        gmax = dmax[group]
        for level in range(0, min(int(gmax.max()), L) + 1):
            members = group[gmax >= level] if level else group
            if len(members) == 0:
                continue
            part = sub[gmax >= level] if level else sub
            for gone in combinations(range(L), level):
                keep = [c for c in range(L) if c not in gone]
                rows_out.append(members)
                hashes_out.append(_hash_columns(part, keep))
                levels_out.append(np.full(len(members), level, dtype=np.uint8))
    if not rows_out:
        return np.zeros(0, np.int64), np.zeros(0, np.uint64), np.zeros(0, np.uint8)
    return np.concatenate(rows_out), np.concatenate(hashes_out), np.concatenate(levels_out)


def expand_ranges(starts: np.ndarray, stops: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All indices of the ranges [starts[r], stops[r]) end to end, and the range each came from."""
    starts, stops = np.asarray(starts, dtype=np.int64), np.asarray(stops, dtype=np.int64)  # stored as uint32
    n = np.maximum(stops - starts, 0)
    total = int(n.sum())
    owner = np.repeat(np.arange(len(n)), n)
    first = np.cumsum(n) - n
    return np.repeat(starts, n) + (np.arange(total) - np.repeat(first, n)), owner


class DeletesIndex:
    """Finds every indexed string within OSA distance <= d of a query (d <= max_distance)."""

    def __init__(self, chars, ends, hashes, starts, postings, levels, prefix_length: int, max_distance: int):
        self.chars = chars
        self.ends = ends
        self.hashes = hashes
        self.starts = starts
        self.postings = postings
        self.levels = levels
        self.prefix_length = int(prefix_length)
        self.max_distance = int(max_distance)

    # ------------------------------------------------------------------ building

    @classmethod
    def build(cls, words: Sequence[str], prefix_length: int = 7, max_distance: int = 2) -> "DeletesIndex":
        """Index `words` (their order is kept: word i is reported as i)."""
        if not 1 <= max_distance <= 3 or prefix_length < max_distance + 1:
            raise InputError("max_distance must be 1..3 and prefix_length larger than it")
        words = list(words)
        M, lengths = encode(words)
        ends = np.cumsum(lengths).astype(np.uint32 if lengths.sum() < 2**32 else np.int64)
        chars = M[M != PAD].astype(np.uint32) if len(words) else np.zeros(0, np.uint32)
        rows, hashes, levels = deletion_hashes(words, prefix_length, max_distance)
        # One posting per (hash, word) with its fewest deletions: sort by hash, word, level.
        order = np.lexsort((levels, rows, hashes))
        rows, hashes, levels = rows[order], hashes[order], levels[order]
        first = np.ones(len(rows), dtype=bool)
        first[1:] = (hashes[1:] != hashes[:-1]) | (rows[1:] != rows[:-1])
        rows, hashes, levels = rows[first], hashes[first], levels[first]
        uniq, start = np.unique(hashes, return_index=True)
        starts = np.append(start, len(hashes)).astype(np.uint32 if len(hashes) < 2**32 else np.int64)
        return cls(chars, ends, uniq, starts, rows.astype(np.uint32), levels, prefix_length, max_distance)

    # ------------------------------------------------------------------ persistence

    def to_arrays(self, prefix: str = "deletes.") -> dict[str, np.ndarray]:
        return {
            f"{prefix}chars": self.chars,
            f"{prefix}ends": self.ends,
            f"{prefix}hashes": self.hashes,
            f"{prefix}starts": self.starts,
            f"{prefix}postings": self.postings,
            f"{prefix}levels": self.levels,
            f"{prefix}config": np.array([self.prefix_length, self.max_distance], dtype=np.int64),
        }

    @classmethod
    def from_arrays(cls, arrays, prefix: str = "deletes.") -> "DeletesIndex":
        try:
            cfg = arrays[f"{prefix}config"]
            return cls(*(arrays[f"{prefix}{n}"] for n in ("chars", "ends", "hashes", "starts", "postings", "levels")),
                       int(cfg[0]), int(cfg[1]))
        except KeyError as e:
            raise ModelFileError(f"the spelling index lacks the table {e}") from None

    # ------------------------------------------------------------------ the indexed strings

    def __len__(self) -> int:
        return len(self.ends)

    def word(self, i: int) -> str:
        lo = int(self.ends[i - 1]) if i else 0
        return np.asarray(self.chars[lo : int(self.ends[i])], dtype=np.uint32).tobytes().decode("utf-32-le")

    def lengths(self, ids: np.ndarray) -> np.ndarray:
        ids = np.asarray(ids, dtype=np.int64)
        lo = np.where(ids > 0, np.asarray(self.ends)[np.maximum(ids - 1, 0)], 0)
        return np.asarray(self.ends)[ids] - lo

    def matrix(self, ids: np.ndarray, width: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The strings `ids` as a padded code-point matrix and their lengths (no decoding)."""
        ids = np.asarray(ids, dtype=np.int64)
        n = self.lengths(ids)
        W = int(n.max(initial=0)) if width is None else int(width)
        lo = np.asarray(self.ends)[ids] - n
        col = np.arange(W)
        idx = lo[:, None] + col[None, :]
        ok = col[None, :] < n[:, None]
        M = np.full((len(ids), W), PAD, dtype=np.int32)
        if len(self.chars):
            M[ok] = np.asarray(self.chars)[idx[ok]].astype(np.int32)
        return M, n

    # ------------------------------------------------------------------ queries

    def lookup(self, query: str, max_distance: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(word ids, distances) of every indexed word within `max_distance` of `query`."""
        if not isinstance(query, str):
            raise InputError(f"the query must be a string, got {type(query).__name__}")
        _, ids, dist, _ = self.lookup_many([query], max_distance)
        order = np.lexsort((ids, dist))
        return ids[order], dist[order]

    def lookup_many(self, queries: Sequence[str], max_distance=None, costs: EditCosts | None = None):
        """Every (query number, word id, distance, weighted cost) with distance <= the query's
        `max_distance` (a number or one per query). The cost column is the cheapest alignment
        under `costs` (an error model), or None without it. One vectorized pass for all queries.
        """
        d = self.max_distance if max_distance is None else max_distance
        dmax = np.broadcast_to(np.asarray(d, dtype=np.int64), (len(queries),))
        if len(dmax) and (dmax.min() < 0 or dmax.max() > self.max_distance):
            raise InputError(f"max_distance must lie in [0, {self.max_distance}]")
        empty = np.zeros(0, dtype=np.int64)
        if not len(queries) or not len(self.hashes):
            return empty, empty, empty, (np.zeros(0) if costs is not None else None)
        q_rows, q_hash, q_level = deletion_hashes(queries, self.prefix_length, dmax)
        pos = np.searchsorted(self.hashes, q_hash)
        pos = np.minimum(pos, len(self.hashes) - 1)
        hit = self.hashes[pos] == q_hash
        q_rows, pos = q_rows[hit], pos[hit]
        idx, owner = expand_ranges(self.starts[pos], self.starts[pos + 1])
        q_of = q_rows[owner]
        word = np.asarray(self.postings)[idx].astype(np.int64)
        # A pair needs at most d deletions on each side; the query side is already <= d.
        ok = np.asarray(self.levels)[idx] <= dmax[q_of]
        pair = np.sort(q_of[ok] * len(self) + word[ok])
        pair = pair[np.append(True, pair[1:] != pair[:-1])] if len(pair) else pair
        q_of, word = pair // len(self), pair % len(self)
        return self.verify(queries, q_of, word, dmax, costs)

    def verify(self, queries, q_of, word, dmax, costs=None):
        """Keep the pairs truly within distance (exact OSA on the full strings)."""
        Tq, lq = encode(queries)
        near = np.abs(lq[q_of] - self.lengths(word)) <= dmax[q_of]
        q_of, word = q_of[near], word[near]
        band = int(dmax.max(initial=0))
        C, lc = self.matrix(word)
        dist, cost = banded_alignment(Tq[q_of], lq[q_of], C, lc, max(band, 1), costs)
        keep = dist <= dmax[q_of]
        return q_of[keep], word[keep], dist[keep], (cost[keep] if costs is not None else None)
