"""Edit distances: the restricted Damerau-Levenshtein ("optimal string alignment", OSA) distance.

OSA counts the fewest insertions, deletions, substitutions and swaps of two adjacent characters
that turn one string into the other, with no substring edited twice. Its table is

    D[i][j] = min( D[i-1][j-1] + (a[i-1] != b[j-1]),       substitute (or match)
                   D[i-1][j] + 1,                           a has an extra character
                   D[i][j-1] + 1,                           a lacks a character of b
                   D[i-2][j-2] + 1  if a[i-2:i] == b[j-2:j] reversed and they differ )   swap

A spelling corrector only cares whether the distance is at most a small `band` (2), and then
D[i][j] > band whenever |i - j| > band, so only the diagonal band |i - j| <= band matters:
O(len * (2 * band + 1)) cells instead of O(len ** 2). `banded_alignment` fills that band for
many string pairs at once: one numpy operation per cell and per kind of edit, over all pairs, so
scoring the 300 candidates of a word costs the same few hundred numpy calls as scoring one.
The same pass can also add up weighted costs (an error model's -log10 probabilities, see
error_model.py), so distance and likelihood come from one walk of the table.

Strings enter as padded integer matrices (`encode`): one row per string, one code point per
column, -1 after the end.
"""

from __future__ import annotations

from typing import Protocol, Sequence

import numpy as np

PAD = -1
_BIG = 1 << 20  # "more than any band": larger than every real distance, small enough to add to


def osa_distance(a: str, b: str) -> int:
    """The OSA distance of two strings (the full table; exact for any length)."""
    n, m = len(a), len(b)
    prev2: list[int] = []
    prev = list(range(m + 1))
    for i in range(1, n + 1):
        cur = [i] + [0] * m
        for j in range(1, m + 1):
            best = min(prev[j - 1] + (a[i - 1] != b[j - 1]), prev[j] + 1, cur[j - 1] + 1)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1] and a[i - 1] != a[i - 2]:
                best = min(best, prev2[j - 2] + 1)
            cur[j] = best
        prev2, prev = prev, cur
    return prev[m]


def encode(strings: Sequence[str], width: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Strings as a padded int32 code-point matrix (PAD after the end) and their lengths.

    One `str.encode` of the joined strings and one scatter: no Python loop per character.
    `width` truncates (or widens) the matrix; lengths are the full lengths, not truncated.
    """
    lengths = np.fromiter((len(s) for s in strings), dtype=np.int64, count=len(strings))
    W = int(lengths.max(initial=0)) if width is None else int(width)
    out = np.full((len(strings), W), PAD, dtype=np.int32)
    if len(strings) and W:
        flat = np.frombuffer("".join(strings).encode("utf-32-le"), dtype=np.uint32).astype(np.int32)
        starts = np.cumsum(lengths) - lengths
        row = np.repeat(np.arange(len(strings)), lengths)
        col = np.arange(len(flat)) - np.repeat(starts, lengths)
        keep = col < W
        out[row[keep], col[keep]] = flat[keep]
    return out, lengths


class EditCosts(Protocol):
    """Weighted edit costs for `banded_alignment` (error_model.ErrorModel implements it).

    Each method gets the code points involved (int32 arrays over pairs; PAD where a neighbour is
    missing) and returns float costs (-log10 probabilities, >= 0).
    """

    def substitute(self, typed: np.ndarray, intended: np.ndarray) -> np.ndarray: ...

    def insert(self, typed: np.ndarray, typed_before: np.ndarray) -> np.ndarray: ...

    def delete(self, intended: np.ndarray, intended_before: np.ndarray) -> np.ndarray: ...

    def swap(self, first: np.ndarray, second: np.ndarray) -> np.ndarray: ...


def banded_alignment(
    typed: np.ndarray,
    typed_len: np.ndarray,
    intended: np.ndarray,
    intended_len: np.ndarray,
    band: int = 2,
    costs: EditCosts | None = None,
    prefix: bool = False,
) -> tuple[np.ndarray, np.ndarray | None]:
    """OSA distance of each pair (typed[p], intended[p]), capped at band + 1; and, with `costs`,
    the cheapest weighted cost of an alignment inside the band (np.inf where none fits).

    With `prefix=True`, `intended` may stop anywhere: the answer for a pair is the smallest
    distance between `typed` and any prefix of `intended` (the best column of the last row),
    which is what completing a word typed with typos needs.

    Rows are typed positions i; the band keeps columns j = i + k, k in [-band, band]. A cell
    depends on cells with smaller or equal i and j only, so padding beyond a pair's own lengths
    never leaks into its answer, which is read at row typed_len.
    """
    P = len(typed_len)
    W = 2 * band + 1
    if P == 0:
        return np.zeros(0, dtype=np.int64), (np.zeros(0) if costs is not None else None)
    T = np.asarray(typed, dtype=np.int32)
    C = np.asarray(intended, dtype=np.int32)
    lt = np.asarray(typed_len, dtype=np.int64)
    lc = np.asarray(intended_len, dtype=np.int64)
    n_rows = int(lt.max())
    # Column j of C for j = 0 .. n_rows + band (PAD beyond the matrix).
    need = n_rows + band + 1
    if C.shape[1] < need:
        C = np.concatenate([C, np.full((P, need - C.shape[1]), PAD, dtype=np.int32)], axis=1)
    if T.shape[1] < n_rows:
        T = np.concatenate([T, np.full((P, n_rows - T.shape[1]), PAD, dtype=np.int32)], axis=1)
    Ct = np.ascontiguousarray(C.T)  # column access per cell
    Tt = np.ascontiguousarray(T.T)
    pad_col = np.full(P, PAD, dtype=np.int32)
    weighted = costs is not None

    # Row 0: D[0][j] = j (drop the first j intended characters); columns k = j >= 0 only.
    dist_prev = np.full((W, P), _BIG, dtype=np.int64)
    dist_prev2 = dist_prev.copy()
    cost_prev = np.full((W, P), np.inf) if weighted else None
    cost_prev2 = cost_prev.copy() if weighted else None
    for k in range(0, band + 1):
        dist_prev[k + band] = k
        if weighted:
            if k == 0:
                cost_prev[band] = 0.0
            else:
                before = Ct[k - 2] if k >= 2 else pad_col
                cost_prev[k + band] = cost_prev[k + band - 1] + costs.delete(Ct[k - 1], before)

    dist_out = np.full(P, band + 1, dtype=np.int64)
    cost_out = np.full(P, np.inf) if weighted else None

    def read_row(i, dist_row, cost_row):
        sel = np.flatnonzero(lt == i)
        if len(sel) == 0:
            return
        if prefix:
            # Any end column j with j <= len(intended) in the band.
            cols = np.arange(W)[:, None] + i - band  # j per column
            ok = (cols >= 0) & (cols <= lc[sel][None, :])
            d = np.where(ok, dist_row[:, sel], _BIG).min(axis=0)
            dist_out[sel] = np.minimum(d, band + 1)
            if weighted:
                cost_out[sel] = np.where(ok, cost_row[:, sel], np.inf).min(axis=0)
        else:
            col = lc[sel] - i + band
            ok = (col >= 0) & (col < W)
            s, c = sel[ok], col[ok]
            dist_out[s] = np.minimum(dist_row[c, s], band + 1)
            if weighted:
                cost_out[s] = cost_row[c, s]

    read_row(0, dist_prev, cost_prev)
    for i in range(1, n_rows + 1):
        t = Tt[i - 1]
        t_before = Tt[i - 2] if i >= 2 else pad_col
        dist = np.full((W, P), _BIG, dtype=np.int64)
        cost = np.full((W, P), np.inf) if weighted else None
        if weighted:
            ins_cost = costs.insert(t, t_before)
        for col in range(W):
            j = i + col - band
            if j < 0:
                continue
            # typed has an extra character: from D[i-1][j], which sits one column right.
            if col + 1 < W:
                best = dist_prev[col + 1] + 1
                if weighted:
                    wbest = cost_prev[col + 1] + ins_cost
            else:
                best = np.full(P, _BIG, dtype=np.int64)
                if weighted:
                    wbest = np.full(P, np.inf)
            if j >= 1:
                c = Ct[j - 1]
                c_before = Ct[j - 2] if j >= 2 else pad_col
                # substitute or match: from D[i-1][j-1], the same column one row up.
                differ = t != c
                best = np.minimum(best, dist_prev[col] + differ)
                if weighted:
                    sub = np.where(differ, costs.substitute(t, c), 0.0)
                    wbest = np.minimum(wbest, cost_prev[col] + sub)
                # typed lacks intended character c: from D[i][j-1], one column left.
                if col >= 1:
                    best = np.minimum(best, dist[col - 1] + 1)
                    if weighted:
                        wbest = np.minimum(wbest, cost[col - 1] + costs.delete(c, c_before))
                # swapped neighbours: from D[i-2][j-2], the same column two rows up.
                if i >= 2 and j >= 2:
                    swapped = (t == c_before) & (t_before == c) & (t != t_before)
                    if swapped.any():
                        best = np.where(swapped, np.minimum(best, dist_prev2[col] + 1), best)
                        if weighted:
                            swap = cost_prev2[col] + costs.swap(t_before, t)
                            wbest = np.where(swapped, np.minimum(wbest, swap), wbest)
            dist[col] = np.minimum(best, _BIG)
            if weighted:
                cost[col] = wbest
        read_row(i, dist, cost)
        dist_prev2, dist_prev = dist_prev, dist
        if weighted:
            cost_prev2, cost_prev = cost_prev, cost
    return dist_out, cost_out


def osa_distances(query: str, candidates: Sequence[str], band: int = 2) -> np.ndarray:
    """OSA distance from `query` to each candidate, capped at band + 1 (vectorized)."""
    if not candidates:
        return np.zeros(0, dtype=np.int64)
    C, lc = encode(candidates)
    T, lt = encode([query])
    T = np.repeat(T, len(candidates), axis=0)
    lt = np.repeat(lt, len(candidates))
    dist, _ = banded_alignment(T, lt, C, lc, band)
    return dist
