"""How much a string looks like a word of the language: a character n-gram model of spellings.

An unknown word is either a word the training text never had (a name, a rare word, an inflection)
or a typo of a known one. Real words have the letter sequences of the language ("objectless",
"hummock"); typos usually break them ("lrke", "bden", "thh"). So the corrector weighs keeping an
unknown word by its spelling's plausibility: the mean log10 probability per character under

    P(c | h) = max(n(h c) - D, 0) / n(h)  +  D * N1+(h .) / n(h) * P(c | h')

(interpolated absolute discounting, Ney et al. 1994), where h is the previous `order`-1
characters (word start padded with a start mark), h' drops its oldest character, the recursion
ends at a uniform distribution over the alphabet, and every word ends with an end mark. It is
trained on the lexicon's word types, each once, so frequent words do not drown the letter
patterns of rare ones (rare words are what it must recognise).

Every table is a sorted numpy array of 64-bit n-gram hashes with counts, so scoring many words
is one searchsorted per order.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from ..errors import ModelFileError
from .distance import PAD, encode

START, END, OTHER = 1, 2, 0  # character ids; letters of the alphabet follow from 3
_PRIME = np.uint64(0x100000001B3)
_OFFSET = 0xCBF29CE484222325
DISCOUNT = 0.75


def _hash(ids: np.ndarray, k: int) -> np.ndarray:
    """FNV-1a of the k ids ending at each column t (columns t-k+1..t) of a padded id matrix."""
    W = ids.shape[1]
    seed = np.uint64((_OFFSET ^ (k * 0x9E3779B97F4A7C15)) & 0xFFFFFFFFFFFFFFFF)
    h = np.full((ids.shape[0], W - k + 1), seed, dtype=np.uint64)
    for c in range(k):
        h = (h ^ ids[:, c : W - k + 1 + c].astype(np.uint64)) * _PRIME
    return h


class CharModel:
    """Character n-gram model of word spellings (see the module docstring)."""

    def __init__(self, order: int, alphabet, tables: list[tuple]):
        self.order = int(order)
        self.alphabet = np.asarray(alphabet)
        self.tables = tables  # per order k: (ngram keys, counts, context keys, context totals, context types)

    @classmethod
    def train(cls, words: Sequence[str], order: int = 5) -> "CharModel":
        M, n = encode(list(words))
        alphabet = np.unique(M[M != PAD]) if M.size else np.zeros(0, dtype=np.int32)
        ids, valid = cls._ids(alphabet, M, n, order)
        predicted = valid[:, order - 1 :]
        tables = []
        for k in range(1, order + 1):
            grams = _hash(ids, k)[:, order - k :][predicted]
            keys, first, counts = np.unique(grams, return_index=True, return_counts=True)
            if k > 1:
                ctx = _hash(ids[:, :-1], k - 1)[:, order - k :][predicted]
                ctx_keys, ctx_total = np.unique(ctx, return_counts=True)
                # Distinct continuations of a context: the distinct n-grams that extend it.
                owners, types = np.unique(ctx[first], return_counts=True)
                ctx_types = types[np.searchsorted(owners, ctx_keys)]
            else:
                ctx_keys = np.zeros(1, dtype=np.uint64)
                ctx_total = np.array([counts.sum()])
                ctx_types = np.array([len(keys)])
            tables.append((keys, counts.astype(np.int64), ctx_keys, ctx_total.astype(np.int64),
                           ctx_types.astype(np.int64)))
        return cls(order, alphabet, tables)

    @staticmethod
    def _ids(alphabet, M, n, order):
        """Padded id matrix: order-1 START marks, the word's characters, END; and which
        columns hold a predicted symbol (characters and END)."""
        P, W = M.shape
        ids = np.full((P, order - 1 + W + 1), START, dtype=np.int64)
        if len(alphabet):
            pos = np.searchsorted(alphabet, M)
            pos = np.minimum(pos, len(alphabet) - 1)
            known = alphabet[pos] == M
            ch = np.where(known, pos + 3, OTHER)
        else:
            ch = np.full(M.shape, OTHER)
        col = np.arange(W)
        inside = col[None, :] < n[:, None]
        body = np.where(inside, ch, END)  # END right after the word, then END padding
        ids[:, order - 1 : order - 1 + W] = body
        ids[:, -1] = END
        valid = np.zeros(ids.shape, dtype=bool)
        valid[:, order - 1 :] = (np.arange(W + 1)[None, :] <= n[:, None])
        return ids, valid

    def logprob(self, words: Sequence[str]) -> np.ndarray:
        """Total log10 probability of each word's spelling (its end mark included)."""
        M, n = encode(list(words))
        if len(words) == 0:
            return np.zeros(0)
        ids, valid = self._ids(self.alphabet, M, n, self.order)
        V = len(self.alphabet) + 2  # what can follow: a letter, OTHER or END (never START)
        N = self.order
        p = np.full(valid[:, N - 1 :].shape, 1.0 / V)
        for k in range(1, N + 1):
            keys, counts, ctx_keys, ctx_total, ctx_types = self.tables[k - 1]
            grams = _hash(ids, k)[:, N - k :]
            c = _count(keys, counts, grams)
            if k == 1:
                tot, typ = float(ctx_total[0]), float(ctx_types[0])
                p = (np.maximum(c - DISCOUNT, 0) + DISCOUNT * typ * p) / tot
                continue
            ctx = _hash(ids[:, :-1], k - 1)[:, N - k :]
            tot = _count(ctx_keys, ctx_total, ctx)
            typ = _count(ctx_keys, ctx_types, ctx)
            seen = tot > 0
            p = np.where(seen, (np.maximum(c - DISCOUNT, 0) + DISCOUNT * typ * p) / np.maximum(tot, 1), p)
        lp = np.log10(p)
        return np.where(valid[:, N - 1 :], lp, 0.0).sum(axis=1)

    def per_char(self, words: Sequence[str]) -> np.ndarray:
        """Mean log10 probability per predicted symbol (characters and the end mark)."""
        words = list(words)
        n = np.fromiter((len(w) + 1 for w in words), dtype=np.float64, count=len(words))
        return self.logprob(words) / n

    # ------------------------------------------------------------------ persistence

    def to_arrays(self, prefix: str = "chars.") -> dict[str, np.ndarray]:
        out = {f"{prefix}alphabet": np.asarray(self.alphabet, dtype=np.int32),
               f"{prefix}order": np.array([self.order], dtype=np.int64)}
        for k, table in enumerate(self.tables, 1):
            for name, arr in zip(("keys", "counts", "ctx_keys", "ctx_total", "ctx_types"), table):
                out[f"{prefix}{name}.{k}"] = arr
        return out

    @classmethod
    def from_arrays(cls, arrays, prefix: str = "chars.") -> "CharModel":
        try:
            order = int(arrays[f"{prefix}order"][0])
            names = ("keys", "counts", "ctx_keys", "ctx_total", "ctx_types")
            tables = [tuple(arrays[f"{prefix}{name}.{k}"] for name in names)
                      for k in range(1, order + 1)]
            return cls(order, arrays[f"{prefix}alphabet"], tables)
        except KeyError as e:
            raise ModelFileError(f"the spelling character model lacks the table {e}") from None


def _count(keys: np.ndarray, values: np.ndarray, queries: np.ndarray) -> np.ndarray:
    """values[i] where keys[i] == query, else 0 (keys sorted)."""
    if len(keys) == 0:
        return np.zeros(queries.shape)
    pos = np.minimum(np.searchsorted(keys, queries), len(keys) - 1)
    return np.where(keys[pos] == queries, values[pos], 0).astype(np.float64)
