"""Learning spacing a chunk at a time: `SpacingModel.learn` for a corpus read in pieces.

`SpacingModel.learn` (spacing.py) looks at every pair of adjacent word tokens of the whole id
stream at once. Its decisions only depend on, per key of each of its five levels (four, and
the one that looks ahead), how many times the corpus put a space there and how many times it
did not, so those counts can be gathered chunk by chunk (chunks of whole sentences: the
features never look across a sentence) and added; `model(vocab)` then makes the decisions
exactly as `learn` does. The bounded-memory build (training.py) and the Dask build
(distributed/) use it; the result equals `SpacingModel.learn(whole stream, whole spaces, vocab)`
array for array.

Keys pack token ids with the vocabulary size, which grows while a corpus is read. Packed keys
with any large enough size sort like the tuples they pack, so a table is kept packed with the
size it last saw and repacked (a monotone map) when the size grows.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from .spacing import AHEAD_RADIX, LEVELS, MIN_EVIDENCE, N_CLASSES, SpacingModel, ahead_table, level_events, token_class
from .vocab import EOS

_WITH_V = (0, 2)  # the levels whose keys hold a token id times V


def _unpack(level: int, key: np.ndarray, V: int):
    """(x, fa, y, q) of packed keys: x the id or class of a, y the id or class of b."""
    key = key.astype(np.int64)
    q = key & 3
    rest = key >> 2
    radix = V if level in (0, 2) else N_CLASSES
    y = rest % radix
    rest //= radix
    return rest // 3, rest % 3, y, q


def _repack(level: int, key: np.ndarray, old_V: int, new_V: int) -> np.ndarray:
    if old_V == new_V or len(key) == 0:
        return key
    if level == LEVELS - 1:  # the lookahead level: ((class a * V + b) * 4 + q) * AHEAD_RADIX + class c
        key = key.astype(np.int64)
        cc, rest = key % AHEAD_RADIX, key // AHEAD_RADIX
        q, rest = rest & 3, rest >> 2
        return ((((rest // old_V) * new_V + rest % old_V) * 4 + q) * AHEAD_RADIX + cc).astype(np.uint64)
    if level not in _WITH_V:
        return key
    x, fa, y, q = _unpack(level, key, old_V)
    return (((x * 3 + fa) * new_V + y) * 4 + q).astype(np.uint64)


class SpacingTally:
    """Per level: sorted packed keys and how often each was seen with and without a space."""

    def __init__(self):
        self.V = EOS + 1
        self.classes = np.zeros(EOS + 1, dtype=np.uint8)
        self.keys = [np.zeros(0, np.uint64) for _ in range(LEVELS)]
        self.yes = [np.zeros(0, np.int64) for _ in range(LEVELS)]
        self.no = [np.zeros(0, np.int64) for _ in range(LEVELS)]

    def _grow(self, tokens: Sequence[str]) -> None:
        V = len(tokens)
        if V <= self.V:
            return
        new = np.fromiter((token_class(t) for t in tokens[self.V:V]), dtype=np.uint8, count=V - self.V)
        self.classes = np.concatenate([self.classes, new])
        for level in range(LEVELS):
            self.keys[level] = _repack(level, self.keys[level], self.V, V)
        self.V = V

    def add(self, stream: np.ndarray, spaces: np.ndarray, vocab) -> None:
        """Count one chunk: ids of whole sentences, a space flag per position, and the vocabulary
        so far (a `Vocabulary` or `VocabularyBuilder`: its `tokens` by id and `id(token)`)."""
        self._grow(vocab.tokens)
        events = level_events(stream, spaces, vocab, self.classes, self.V)
        if events is None:
            return
        keys, ys = events
        for level, (k, y) in enumerate(zip(keys, ys)):
            uniq, inverse = np.unique(k, return_inverse=True)
            yes = np.bincount(inverse, weights=y, minlength=uniq.size).astype(np.int64)
            no = np.bincount(inverse, weights=1 - y, minlength=uniq.size).astype(np.int64)
            self._add(level, uniq, yes, no)

    def _add(self, level: int, keys: np.ndarray, yes: np.ndarray, no: np.ndarray) -> None:
        from ..ngram.merge import union_sorted

        merged, a_at, b_at = union_sorted(self.keys[level], keys)
        if a_at is None:
            self.yes[level] = self.yes[level].copy()
            self.no[level] = self.no[level].copy()
        else:
            for table in (self.yes, self.no):
                grown = np.zeros(len(merged), dtype=np.int64)
                grown[a_at] = table[level]
                table[level] = grown
        self.yes[level][b_at] += yes
        self.no[level][b_at] += no
        self.keys[level] = merged

    def merge(self, other: "SpacingTally", tokens: Sequence[str] | None = None) -> "SpacingTally":
        """Add another tally (`tokens`: every id's token, needed only when the two have seen
        vocabularies of different sizes)."""
        if tokens is not None:
            self._grow(tokens)
            other._grow(tokens)
        elif self.V != other.V:
            raise ValueError("tallies over vocabularies of different sizes need the tokens to merge")
        for level in range(LEVELS):
            self._add(level, other.keys[level], other.yes[level], other.no[level])
        return self

    def model(self, vocab) -> SpacingModel:
        """The decisions `SpacingModel.learn` makes from these counts (see spacing.py)."""
        self._grow(vocab.tokens)
        V = self.V
        classes = np.fromiter((token_class(t) for t in vocab.tokens), dtype=np.uint8, count=V)
        classes[: EOS + 1] = 0
        ahead = ahead_table(self.keys[4], self.yes[4], self.no[4], V, vocab.id("."))
        if len(self.keys[3]) == 0:
            return SpacingModel([np.zeros(0, np.uint64)] * 4 + [ahead[0]], [np.zeros(0, np.uint8)] * 4 + [ahead[1]],
                                classes, vocab)
        dec = [(self.yes[L] >= self.no[L]) for L in range(4)]
        support = [np.maximum(self.yes[L], self.no[L]) for L in range(4)]
        cls = self.classes.astype(np.int64)
        comps = [_unpack(L, self.keys[L], V) for L in range(4)]

        def answer_at(level: int, x, fa, y, q):
            """The decision of `level` for keys given by parts (they are all present)."""
            key = (((x * 3 + fa) * (V if level in _WITH_V else N_CLASSES) + y) * 4 + q).astype(np.uint64)
            return dec[level][np.searchsorted(self.keys[level], key)]

        keep = [None, None, None, np.ones(len(self.keys[3]), bool)]
        # L3 (class a, fa, b, q) and L2 (a, fa, class b, q): kept where they differ from L4.
        x, fa, y, q = comps[2]
        keep[2] = (dec[2] != answer_at(3, x, fa, cls[y], q)) & (support[2] >= MIN_EVIDENCE)
        x, fa, y, q = comps[1]
        keep[1] = (dec[1] != answer_at(3, cls[x], fa, y, q)) & (support[1] >= MIN_EVIDENCE)
        # L1 (a, fa, b, q): kept where it differs from what the coarser levels answer.
        a, fa, b, q = comps[0]
        ca, cb = cls[a], cls[b]
        answer = answer_at(3, ca, fa, cb, q)
        for level, (x, y) in ((2, (ca, b)), (1, (a, cb))):
            key = (((x * 3 + fa) * (V if level in _WITH_V else N_CLASSES) + y) * 4 + q).astype(np.uint64)
            at = np.searchsorted(self.keys[level], key)
            kept = keep[level][at]
            answer = np.where(kept, dec[level][at], answer)
        keep[0] = (dec[0] != answer) & (support[0] >= MIN_EVIDENCE)
        return SpacingModel([self.keys[L][keep[L]] for L in range(4)] + [ahead[0]],
                            [dec[L][keep[L]].astype(np.uint8) for L in range(4)] + [ahead[1]], classes, vocab)
