"""Word-context co-occurrence counts over a symmetric window, vectorized.

For every token w at position i and every token c at position j of the same sentence with
1 <= |i - j| <= L (L = `window`), the pair (w, c) is counted with weight

    weight(d) = (L - d + 1) / L     with d = |i - j|      (dynamic window)
    weight(d) = 1                                          (plain window)

The dynamic weight is what word2vec's dynamic window gives *in expectation*: word2vec draws an
effective window size b uniformly from 1..L for each token, so a context at distance d is used
with probability (L - d + 1) / L. Counting the expectation gives the same emphasis on near
contexts without the noise of the draw (Levy, Goldberg & Dagan 2015, section 3.2).

Windows never cross a sentence boundary: `<s>`/`</s>` are neither words nor contexts, and a
word at the end of one sentence does not see the start of the next (word2vec trained on one
sentence per line behaves the same way).

The matrix M is symmetric (w sees c at distance d exactly when c sees w), so only its upper
triangle is counted. Each pair of positions (i, i + d) is counted once, under the key of its
unordered word pair (min, max); a pair of two equal words sits on the diagonal and counts twice
(each occurrence sees the other). The key also carries d, so that a single in-place sort of all
keys (numpy's vectorized sort) followed by run lengths gives the count of every (pair, distance),
and the distance weights are applied per run, not per token:

    key = (min(w, c) * n + max(w, c)) * L + (d - 1)

No Python loop runs per token: only one vectorized pass per distance d = 1..L.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InputError


@dataclass
class Cooccurrence:
    """The upper triangle (row <= col) of the symmetric weighted co-occurrence matrix M.

    rows, cols  int32, sorted by (row, col), no duplicates
    weights     float64: M[row, col] (the diagonal already counts both directions)
    """

    n_words: int
    rows: np.ndarray
    cols: np.ndarray
    weights: np.ndarray

    def symmetric(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every nonzero entry of M as (rows, cols, weights), both triangles (unsorted)."""
        off = self.rows != self.cols
        return (
            np.concatenate([self.rows, self.cols[off]]),
            np.concatenate([self.cols, self.rows[off]]),
            np.concatenate([self.weights, self.weights[off]]),
        )

    def dense(self) -> np.ndarray:
        """M as a dense array (for tests and tiny corpora)."""
        m = np.zeros((self.n_words, self.n_words))
        r, c, w = self.symmetric()
        np.add.at(m, (r, c), w)
        return m


def count_cooccurrences(
    rows: np.ndarray,
    sentence: np.ndarray,
    n_words: int,
    window: int = 5,
    dynamic: bool = True,
    bar=None,
) -> Cooccurrence:
    """Count co-occurrences of a token sequence.

    rows      the row (word index, 0 <= row < n_words) of each token, in corpus order
    sentence  the sentence number of each token (non-decreasing); windows stay inside one
    bar       an optional tqdm bar, advanced once per distance d
    """
    if window < 1:
        raise InputError(f"the window must be at least 1 token, not {window}")
    rows = np.asarray(rows, dtype=np.int64)
    sentence = np.asarray(sentence)
    L = int(window)
    if n_words * n_words * L >= 2**62:
        raise InputError(f"{n_words} words are too many to pack a word pair into 64 bits")
    scaled = rows * n_words  # w * n, reused by every distance
    parts = []
    for d in range(1, L + 1):
        same = sentence[:-d] == sentence[d:]
        left, right = rows[:-d][same], rows[d:][same]
        # min(a, b) * n + max(a, b) == min(a * n + b, b * n + a): no branches, no temporaries
        # of min/max.
        key = np.minimum(scaled[:-d][same] + right, scaled[d:][same] + left)
        key *= L
        key += d - 1
        parts.append(key)
        if bar is not None:
            bar.update(1)
    keys = np.concatenate(parts) if parts else np.zeros(0, np.int64)
    del parts
    keys.sort()
    if keys.size == 0:
        empty = np.zeros(0, np.int32)
        return Cooccurrence(n_words, empty, empty.copy(), np.zeros(0))
    # Runs of equal keys: how often each (pair, distance) occurred.
    starts = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))
    run = np.diff(np.append(starts, keys.size))
    keys = keys[starts]
    pair, dist0 = np.divmod(keys, L)
    del keys
    # Integer numerators L - d + 1 (d - 1 = dist0) now, one division by L at the end: exact.
    weight = (run * (L - dist0) if dynamic else run).astype(np.float64)
    # Runs of equal pairs (already adjacent: the pair is the key's high part).
    pstart = np.flatnonzero(np.concatenate(([True], pair[1:] != pair[:-1])))
    weights = np.add.reduceat(weight, pstart)
    if dynamic:
        weights /= L
    pair = pair[pstart]
    r, c = np.divmod(pair, n_words)
    weights[r == c] *= 2  # a diagonal pair is seen from both of its ends
    return Cooccurrence(n_words, r.astype(np.int32), c.astype(np.int32), weights)
