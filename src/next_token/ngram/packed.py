"""The packed storage of an n-gram model: smaller files, queried in place, exactly as stored.

`pack(model, prob_bits=8, backoff_bits=8)` turns an `NgramModel` into a `PackedNgramModel`,
which answers every query of the `protocol.TokenModel` contract from its memory-mapped arrays,
with nothing decoded at load. The JavaScript engine (web/static/next-token.js) reads the same arrays with
typed arrays, so the layout is kept to what both read natively (uint8/16/32 and float32). Per order
n >= 2 (names prefixed "ngram."; order 1 keeps its plain float32 tables and best-first list):

    key_low.n      uint16  the n-grams' keys parent * V + word (sorted, as in model.py), low 16
                           bits only. The keys with the same high bits ("bucket" key >> 16) are
                           one run, and where each run starts is
    key_block.n    uint32    start(b) = key_block[b >> shift] + key_bucket[b]: the idea of
    key_bucket.n   uint16    Elias-Fano (a sorted sequence as low bits plus a few high-bit
                           boundaries) with byte-aligned parts. About 17-21 bits per n-gram where
                           a uint64 key took 64; `shift` (meta "key_shift") is the largest block
                           size whose runs of starts fit 16 bits.
    prob.n         codes into prob_values.n (uint8 or uint16, quantize.py), or float32 log10 p
    backoff.n      the same for the backoffs (orders below the top)
    rank_nodes.n   uint32  the contexts (nodes of order n-1) with more than `rank_threshold`
    rank_start.n   uint32    children, where their best-first permutation starts,
    rank_perm.n    uint16  and the permutation (child offsets, best first, ties by word id).
                           Smaller families are sorted when a query visits them: a few values.

Exact top-k over what is stored: the best-first lists rank the stored (dequantized) values, ties
by smaller id, and `top_k` is NgramModel's algorithm over them (see model.py), so it equals a
brute-force scan of `distribution` on this model. Sums to 1 hold exactly for float32 values
(bits 32) and within the quantization error otherwise (quantize.py).

Anything else that wants plain arrays (ARPA export, pruning) reads `keys`, `logprob`, `backoff`:
lazy lists that decode an order the first time it is asked for.

This module is over 450 lines on purpose: `pack` (the writer) and `PackedNgramModel` (the
readers) are the two halves of one layout, and each reader mirrors one line of the writer.
"""

from __future__ import annotations

import threading
from bisect import bisect_left
from typing import Sequence

import numpy as np

from ..errors import InputError, ModelFileError
from ..text.vocab import BOS
from .model import NgramModel
from .quantize import quantize, usage_weights

STORAGE = "packed"
LOW_BITS = 16
RANK_THRESHOLD = 16  # families up to this size are sorted at query time, larger ones stored
VALUE_BITS = (8, 16, 32)  # 32: plain float32 values


# ---------------------------------------------------------------- keys


class PackedKeys:
    """A sorted sequence of non-negative integer keys stored as low 16 bits and bucket starts."""

    def __init__(self, low: np.ndarray, block: np.ndarray, bucket: np.ndarray, shift: int):
        self.low, self.block, self.bucket, self.shift = low, block, bucket, int(shift)
        self.count = len(low)
        self.nbuckets = len(bucket) - 1
        self._low_mv = memoryview(np.ascontiguousarray(low))
        self._block_mv = memoryview(np.ascontiguousarray(block))
        self._bucket_mv = memoryview(np.ascontiguousarray(bucket))

    @classmethod
    def encode(cls, keys: np.ndarray) -> "PackedKeys":
        keys = np.asarray(keys, dtype=np.int64)
        nb = int(keys[-1] >> LOW_BITS) + 1 if len(keys) else 0
        starts = np.searchsorted(keys >> LOW_BITS, np.arange(nb + 1)).astype(np.int64)
        for shift in range(16, -1, -1):  # the largest blocks whose starts fit 16 bits past the base
            base = starts[:: 1 << shift]
            rel = starts - np.repeat(base, 1 << shift)[: nb + 1]
            if rel.max(initial=0) < 1 << 16:
                break
        return cls((keys & 0xFFFF).astype(np.uint16), base.astype(np.uint32), rel.astype(np.uint16), shift)

    def arrays(self, n: int) -> dict[str, np.ndarray]:
        return {f"key_low.{n}": self.low, f"key_block.{n}": self.block, f"key_bucket.{n}": self.bucket}

    def start(self, b: int) -> int:
        return self._block_mv[b >> self.shift] + self._bucket_mv[b]

    def starts(self, b: np.ndarray) -> np.ndarray:
        return self.block[b >> self.shift].astype(np.int64) + self.bucket[b]

    def bound(self, q: int) -> int:
        """The index of the first key >= q."""
        b = q >> LOW_BITS
        if b >= self.nbuckets:
            return self.count
        return bisect_left(self._low_mv, q & 0xFFFF, self.start(b), self.start(b + 1))

    def find(self, q: int) -> int:
        """The index of key q, or -1."""
        b = q >> LOW_BITS
        if b >= self.nbuckets:
            return -1
        lo, hi = self.start(b), self.start(b + 1)
        i = bisect_left(self._low_mv, q & 0xFFFF, lo, hi)
        return i if i < hi and self._low_mv[i] == q & 0xFFFF else -1

    def find_many(self, q: np.ndarray) -> np.ndarray:
        """find() of every key in q (int64, any shape; negative keys give -1)."""
        flat = q.reshape(-1)
        out = np.full(flat.shape, -1, dtype=np.int64)
        b = flat >> LOW_BITS
        ok = np.flatnonzero((flat >= 0) & (b < self.nbuckets))
        if len(ok) == 0 or self.count == 0:
            return out.reshape(q.shape)
        bb, ql = b[ok], (flat[ok] & 0xFFFF).astype(np.int64)
        lo, hi = self.starts(bb), self.starts(bb + 1)
        end = hi.copy()
        active = np.flatnonzero(lo < hi)
        while len(active):  # a vectorized binary search, each key within its own bucket
            mid = (lo[active] + hi[active]) >> 1
            right = self.low[mid] < ql[active]
            lo[active[right]] = mid[right] + 1
            hi[active[~right]] = mid[~right]
            active = active[lo[active] < hi[active]]
        hit = lo < end
        hit[hit] = self.low[lo[hit]] == ql[hit]
        out[ok[hit]] = lo[hit]
        return out.reshape(q.shape)

    def range_keys(self, lo: int, hi: int, first: int, span: int) -> np.ndarray:
        """keys[lo:hi], knowing that they lie in [first, first + span): only the buckets of that
        interval are looked at."""
        b0 = first >> LOW_BITS
        b1 = min((first + span - 1) >> LOW_BITS, self.nbuckets - 1)
        low = self.low[lo:hi].astype(np.int64)
        if b1 <= b0:
            return (np.int64(b0) << LOW_BITS) | low
        # the bucket of index i: b0 plus the number of later buckets that start at or before i
        bounds = self.starts(np.arange(b0 + 1, b1 + 1))
        bucket = b0 + np.searchsorted(bounds, np.arange(lo, hi), side="right")
        return (bucket.astype(np.int64) << LOW_BITS) | low

    def decode(self) -> np.ndarray:
        """Every key (int64)."""
        counts = np.diff(self.starts(np.arange(self.nbuckets + 1)))
        high = np.repeat(np.arange(self.nbuckets, dtype=np.int64), counts)
        return (high << LOW_BITS) | self.low.astype(np.int64)


# ---------------------------------------------------------------- values


class PackedValues:
    """log10 values as codes into a sorted float32 codebook, or plain float32 (no codebook)."""

    def __init__(self, data: np.ndarray, centers: np.ndarray | None):
        self.data, self.centers = data, centers
        self._data_mv = memoryview(np.ascontiguousarray(data))
        self._centers = None if centers is None else centers.astype(np.float64).tolist()

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, i: int) -> float:  # one value, as a Python float (scalar queries)
        v = self._data_mv[i]
        return v if self._centers is None else self._centers[v]

    def gather(self, idx) -> np.ndarray:
        v = self.data[idx]
        return (v if self.centers is None else self.centers[v]).astype(np.float64)

    def decode(self) -> np.ndarray:
        return self.data.copy() if self.centers is None else self.centers[self.data]

    def sort_keys(self, lo: int, hi: int) -> np.ndarray:
        """What orders the values of [lo, hi) (codes order like their values)."""
        return self.data[lo:hi]

    def arrays(self, name: str, n: int) -> dict[str, np.ndarray]:
        out = {f"{name}.{n}": self.data}
        if self.centers is not None:
            out[f"{name}_values.{n}"] = self.centers
        return out


def _encode_values(values: np.ndarray, bits: int, weights=None, pinned=()) -> PackedValues:
    if bits == 32:
        return PackedValues(np.asarray(values, dtype=np.float32), None)
    codes, centers = quantize(values, bits, weights, pinned)
    return PackedValues(codes, centers)


# ---------------------------------------------------------------- the model


class PackedNgramModel(NgramModel):
    """An n-gram model in the packed layout (module docstring); the same queries as NgramModel."""

    def __init__(self, order: int, vocab_size: int, unigram_lp: np.ndarray, unigram_bo: np.ndarray | None,
                 unigram_ranked: np.ndarray, keys: list, probs: list, backoffs: list, ranks: list,
                 sentence_mode: bool = True, meta: dict | None = None):
        self.order, self.vocab_size = int(order), int(vocab_size)
        self.sentence_mode = bool(sentence_mode)
        self.meta = dict(meta or {})
        # index n-1 for order n, as in NgramModel; [0] is the unigrams' plain table
        self._keys = [None] + list(keys)
        self._probs = [PackedValues(unigram_lp, None)] + list(probs)
        self._backoffs = ([PackedValues(unigram_bo, None)] if order > 1 else []) + list(backoffs)
        self._ranks = [None] + list(ranks)  # (nodes, start, perm) per order
        self._rank_nodes_mv = [None] + [memoryview(np.ascontiguousarray(r[0])) for r in ranks]
        self.unigram_ranked = unigram_ranked
        self._words_mv = [memoryview(np.ascontiguousarray(unigram_ranked))]
        self._lp_mv = []  # the unigrams' ranked values, computed on the first top-k
        self._backoff_mv = self._backoffs
        self._local = threading.local()
        self._decoded: dict = {}

    # ---------------------------------------------------------------- building and files

    @classmethod
    def from_model(cls, model: NgramModel, prob_bits: int = 8, backoff_bits: int = 8,
                   rank_threshold: int = RANK_THRESHOLD) -> "PackedNgramModel":
        for name, bits in (("prob_bits", prob_bits), ("backoff_bits", backoff_bits)):
            if bits not in VALUE_BITS:
                raise InputError(f"{name} must be one of {', '.join(map(str, VALUE_BITS))}, got {bits!r}")
        V, N = model.vocab_size, model.order
        keys, probs, backoffs, ranks = [], [], [], []
        prob_w, backoff_w = usage_weights(model) if min(prob_bits, backoff_bits) < 32 else ([None] * N,) * 2
        for n in range(2, N + 1):
            k = np.asarray(model.keys[n - 1]).astype(np.int64)
            keys.append(PackedKeys.encode(k))
            prob = _encode_values(model.logprob[n - 1], prob_bits, prob_w[n - 1])
            probs.append(prob)
            if n < N:
                backoffs.append(_encode_values(model.backoff[n - 1], backoff_bits, backoff_w[n - 1], (0.0,)))
            ranks.append(_rank_tables(k // V, k % V, prob, rank_threshold))
        meta = {**model.meta, "storage": STORAGE, "bits": {"prob": prob_bits, "backoff": backoff_bits},
                "rank_threshold": rank_threshold}
        lp1 = np.asarray(model.logprob[0], dtype=np.float32)
        bo1 = np.asarray(model.backoff[0], dtype=np.float32) if N > 1 else None
        ids = np.arange(V)
        if model.sentence_mode:
            ids = ids[ids != BOS]
        ranked = ids[np.lexsort((ids, -lp1[ids]))].astype(np.uint16 if V <= 1 << 16 else np.uint32)
        return cls(N, V, lp1, bo1, ranked, keys, probs, backoffs, ranks, model.sentence_mode, meta)

    def to_arrays(self, prefix: str = "ngram.") -> tuple[dict, dict[str, np.ndarray]]:
        meta = {"order": self.order, "vocab_size": self.vocab_size, "sentence_mode": self.sentence_mode,
                "sizes": self.sizes, **self.meta,
                "key_shift": [k.shift for k in self._keys[1:]]}
        arrays = {"logprob.1": self._probs[0].data, "ranked_words.1": self.unigram_ranked}
        if self.order > 1:
            arrays["backoff.1"] = self._backoffs[0].data
        for n in range(2, self.order + 1):
            arrays.update(self._keys[n - 1].arrays(n))
            arrays.update(self._probs[n - 1].arrays("prob", n))
            if n < self.order:
                arrays.update(self._backoffs[n - 1].arrays("backoff", n))
            nodes, start, perm = self._ranks[n - 1]
            arrays.update({f"rank_nodes.{n}": nodes, f"rank_start.{n}": start, f"rank_perm.{n}": perm})
        return meta, {prefix + name: a for name, a in arrays.items()}

    @classmethod
    def from_arrays(cls, meta: dict, arrays: dict[str, np.ndarray], prefix: str = "ngram.") -> "PackedNgramModel":
        N, V = meta.get("order"), meta.get("vocab_size")
        if not (isinstance(N, int) and 1 <= N <= 12 and isinstance(V, int) and 1 <= V < 2**32):
            raise ModelFileError("the n-gram header is corrupted (order or vocabulary size out of range)")
        shifts = meta.get("key_shift", [])
        if meta.get("storage") != STORAGE or not isinstance(shifts, list) or len(shifts) != N - 1:
            raise ModelFileError("the packed n-gram header is corrupted")

        def get(name, n, dtypes, optional=False):
            a = arrays.get(f"{prefix}{name}.{n}")
            if a is None and optional:
                return None
            if a is None or a.ndim != 1 or a.dtype.str.lstrip("<|=") not in dtypes:
                raise ModelFileError(f"the packed table {name}.{n} is missing or corrupted")
            return a

        def values(name, n):
            data = get(name, n, ("u1", "u2", "f4"))
            centers = get(f"{name}_values", n, ("f4",), optional=True)
            if (centers is None) != (data.dtype.kind == "f"):
                raise ModelFileError(f"the packed table {name}.{n} is corrupted (codes without values)")
            return PackedValues(data, centers)

        lp1 = get("logprob", 1, ("f4",))
        bo1 = get("backoff", 1, ("f4",)) if N > 1 else None
        ranked = get("ranked_words", 1, ("u2", "u4"))
        keys, probs, backoffs, ranks = [], [], [], []
        for n in range(2, N + 1):
            shift = shifts[n - 2]
            if not isinstance(shift, int) or not 0 <= shift <= 16:
                raise ModelFileError("the packed n-gram header is corrupted (key_shift)")
            keys.append(PackedKeys(get("key_low", n, ("u2",)), get("key_block", n, ("u4",)),
                                   get("key_bucket", n, ("u2",)), shift))
            probs.append(values("prob", n))
            if n < N:
                backoffs.append(values("backoff", n))
            ranks.append((get("rank_nodes", n, ("u4",)), get("rank_start", n, ("u4",)),
                          get("rank_perm", n, ("u2", "u4"))))
        model = cls(N, V, lp1, bo1, ranked, keys, probs, backoffs, ranks, meta.get("sentence_mode", True),
                    {k: v for k, v in meta.items() if k not in ("order", "vocab_size", "sentence_mode", "sizes",
                                                                 "key_shift")})
        model._check_shapes()
        if "sizes" in meta and meta["sizes"] != model.sizes:
            raise ModelFileError("the n-gram header is corrupted (its sizes disagree with the tables)")
        return model

    def _check_shapes(self) -> None:
        """Lengths that indexing relies on (O(1) per table)."""
        V = self.vocab_size
        bad = ModelFileError
        if len(self._probs[0]) != V or (self.order > 1 and len(self._backoffs[0]) != V):
            raise bad("the unigram table is corrupted (its length is not the vocabulary size)")
        if len(self.unigram_ranked) != V - (1 if self.sentence_mode and V > 1 else 0):
            raise bad("the best-first list of the unigrams is corrupted")
        for n in range(2, self.order + 1):
            k = self._keys[n - 1]
            size = k.count
            if len(self._probs[n - 1]) != size or (n < self.order and len(self._backoffs[n - 1]) != size):
                raise bad(f"the {n}-gram tables are corrupted (lengths disagree)")
            if len(k.bucket) < 1 or len(k.block) != ((len(k.bucket) - 1) >> k.shift) + 1:
                raise bad(f"the {n}-gram keys are corrupted (bucket tables)")
            nodes, start, perm = self._ranks[n - 1]
            if len(start) != len(nodes) + 1:
                raise bad(f"the best-first lists of the {n}-grams are corrupted")

    def validate(self) -> None:
        """What the tables mean: keys sorted and in range, codes inside their codebooks, values
        finite, and the best-first permutations exactly those of the stored values."""
        V = self.vocab_size
        for n in range(1, self.order + 1):
            for table in (self._probs[n - 1], self._backoffs[n - 1] if n < self.order else None):
                if table is None or not len(table):
                    continue
                if table.centers is not None:
                    if int(table.data.max()) >= len(table.centers) or not np.isfinite(table.centers).all():
                        raise ModelFileError(f"the {n}-gram values are corrupted (codes out of range)")
                elif not np.isfinite(table.data).all():
                    raise ModelFileError(f"the {n}-gram values are corrupted")
            if n == 1:
                continue
            k = self._keys[n - 1]
            starts = k.starts(np.arange(k.nbuckets + 1))
            if len(starts) and (starts[0] != 0 or starts[-1] != k.count or (np.diff(starts) < 0).any()):
                raise ModelFileError(f"the {n}-gram keys are corrupted (bucket starts)")
            keys = k.decode()
            if len(keys) and ((keys[1:] <= keys[:-1]).any() or int(keys[-1]) // V >= self.sizes[n - 2]):
                raise ModelFileError(f"the {n}-gram keys are corrupted (unsorted or out of range)")
            want = _rank_tables(keys // V, keys % V, self._probs[n - 1], self.meta.get("rank_threshold", RANK_THRESHOLD))
            if not all(np.array_equal(a, b) for a, b in zip(want, self._ranks[n - 1])):
                raise ModelFileError(f"the best-first lists of the {n}-grams are corrupted")
        ids = np.arange(V)
        if self.sentence_mode:
            ids = ids[ids != BOS]
        lp1 = self._probs[0].data
        if not np.array_equal(ids[np.lexsort((ids, -lp1[ids]))], self.unigram_ranked):
            raise ModelFileError("the best-first list of the unigrams is corrupted")

    # ---------------------------------------------------------------- plain views (decoded lazily)

    @property
    def sizes(self) -> list[int]:
        return [self.vocab_size] + [k.count for k in self._keys[1:]]

    @property
    def keys(self):
        return _Lazy(self, "keys", self.order, lambda n: None if n == 0 else self._keys[n].decode())

    @property
    def logprob(self):
        return _Lazy(self, "logprob", self.order, lambda n: self._probs[n].decode())

    @property
    def backoff(self):
        return _Lazy(self, "backoff", self.order - 1, lambda n: self._backoffs[n].decode())

    def unpacked(self) -> NgramModel:
        """The same model as a plain NgramModel (values as stored)."""
        return NgramModel(self.order, self.vocab_size, list(self.keys), list(self.logprob), list(self.backoff),
                          sentence_mode=self.sentence_mode, meta=self.meta)

    # ---------------------------------------------------------------- the hooks of NgramModel's queries

    def _children(self, order: int, node: int) -> tuple[int, int]:
        k = self._keys[order - 1]
        first = node * self.vocab_size
        return k.bound(first), k.bound(first + self.vocab_size)

    def _find_key(self, order: int, q: int) -> int:
        return self._keys[order - 1].find(q)

    def _child_words(self, L: int, node: int, lo: int, hi: int) -> np.ndarray:
        first = node * self.vocab_size
        return self._keys[L].range_keys(lo, hi, first, self.vocab_size) - first

    def _child_lp(self, L: int, lo: int, hi: int) -> np.ndarray:
        return self._probs[L].gather(slice(lo, hi))

    def _lp_at(self, L: int, idx) -> np.ndarray:
        return self._probs[L].gather(idx)

    def _ranked_level(self, L: int, node: int):
        if L == 0:
            if not self._lp_mv:
                self._lp_mv.append(memoryview(np.ascontiguousarray(
                    self._probs[0].data[self.unigram_ranked].astype(np.float64))))
            return self._words_mv[0], self._lp_mv[0], 0, len(self._words_mv[0])
        lo, hi = self._children(L + 1, node)
        if lo == hi:
            return (), (), 0, 0
        words = self._child_words(L, node, lo, hi)
        prob = self._probs[L]
        nodes_mv = self._rank_nodes_mv[L]
        j = bisect_left(nodes_mv, node)
        if j < len(nodes_mv) and nodes_mv[j] == node:
            _, start, perm = self._ranks[L]
            s = int(start[j])
            best = perm[s : s + hi - lo].astype(np.int64)
        else:
            best = _best_first(words, prob.sort_keys(lo, hi))
        return memoryview(words[best]), memoryview(prob.gather(best + lo)), 0, hi - lo

    def lookup(self, order: int, parents: np.ndarray, words: np.ndarray) -> np.ndarray:
        parents = np.asarray(parents, dtype=np.int64)
        words = np.asarray(words, dtype=np.int64)
        q = np.where(parents >= 0, parents * self.vocab_size + words, -1)
        return self._keys[order - 1].find_many(q)

    def _combine(self, target, match, context):
        lp = self._probs[0].data[target].astype(np.float64)
        order = np.ones(len(target), dtype=np.int8)
        for n in range(2, self.order + 1):
            found = match[n] >= 0
            lp[found] = self._probs[n - 1].gather(match[n][found])
            order[found] = n
        for j in range(1, self.order):
            use = (context[j] >= 0) & (order <= j)
            lp[use] += self._backoffs[j - 1].gather(context[j][use])
        return lp


def pack(model: NgramModel, prob_bits: int = 8, backoff_bits: int = 8) -> PackedNgramModel:
    """`model` in the packed layout, its values quantized to `prob_bits` / `backoff_bits` (8 or 16)
    or kept as float32 (32)."""
    return PackedNgramModel.from_model(model.ngram if not isinstance(model, NgramModel) else model,
                                       prob_bits, backoff_bits)


def packed_nbytes(model: PackedNgramModel) -> int:
    """Bytes of the packed tables in a model file (each array padded to 64 bytes)."""
    return sum(_padded(a.nbytes) for a in model.to_arrays()[1].values())


def estimate_nbytes(order: int, vocab_size: int, keys: Sequence[np.ndarray], prob_bits: int, backoff_bits: int,
                    sentence_mode: bool = True, rank_threshold: int = RANK_THRESHOLD,
                    values: tuple[Sequence, Sequence] | None = None) -> int:
    """What `packed_nbytes` would give for these keys (per order; [0] unused), without quantizing:
    codebooks are counted at their largest: 2^bits values, or fewer when `values` (the logprob and
    backoff tables) show fewer distinct ones. Cheap enough to call at every step of a search."""
    V = vocab_size
    width = {8: 1, 16: 2, 32: 4}
    total = _padded(4 * V) + _padded((V - sentence_mode) * (2 if V <= 1 << 16 else 4))
    if order > 1:
        total += _padded(4 * V)
    for n in range(2, order + 1):
        k = np.asarray(keys[n - 1]).astype(np.int64)
        total += sum(_padded(a.nbytes) for a in PackedKeys.encode(k).arrays(n).values())
        for table, bits, present in ((0, prob_bits, True), (1, backoff_bits, n < order)):
            if present:
                total += _padded(len(k) * width[bits])
                if bits < 32:
                    distinct = min(len(k), 1 << bits)
                    if values is not None and distinct > 256:
                        distinct = min(distinct, len(np.unique(values[table][n - 1])))
                    total += _padded(4 * distinct)
        _, fan = np.unique(k // V, return_counts=True)
        big = fan[fan > rank_threshold]
        total += 2 * _padded(4 * len(big)) + 4 + _padded(int(big.sum()) * (2 if fan.max(initial=0) <= 1 << 16 else 4))
    return total


def _padded(nbytes: int) -> int:
    return -(-nbytes // 64) * 64


def _best_first(words: np.ndarray, sort_keys: np.ndarray) -> np.ndarray:
    """Offsets of a family's n-grams, highest value first, ties by smaller word id."""
    return np.lexsort((words, -sort_keys.astype(np.float64)))


def _rank_tables(parents: np.ndarray, words: np.ndarray, prob: PackedValues, threshold: int):
    """The stored best-first permutations of the families larger than `threshold`."""
    fan_nodes, fan_start, fan_count = np.unique(parents, return_index=True, return_counts=True)
    big = fan_count > threshold
    nodes = fan_nodes[big].astype(np.uint32)
    start = np.concatenate(([0], np.cumsum(fan_count[big]))).astype(np.uint32)
    dtype = np.uint16 if fan_count.max(initial=0) <= 1 << 16 else np.uint32
    perm = np.zeros(int(start[-1]), dtype=dtype)
    if len(nodes):
        # one sort for all big families: by family, then value (best first), then word
        sel = np.concatenate([np.arange(s, s + c) for s, c in zip(fan_start[big], fan_count[big])])
        fam = np.repeat(np.arange(len(nodes)), fan_count[big])
        order = np.lexsort((words[sel], -prob.data[sel].astype(np.float64), fam))
        perm[:] = sel[order] - np.repeat(fan_start[big], fan_count[big])
    return nodes, start, perm


class _Lazy(Sequence):
    """model.keys / logprob / backoff of a packed model: an order is decoded when first asked."""

    def __init__(self, model, name, length, decode):
        self.model, self.name, self.length, self.decode = model, name, length, decode

    def __len__(self):
        return self.length

    def __getitem__(self, n):
        if isinstance(n, slice):
            return [self[i] for i in range(*n.indices(self.length))]
        if n < 0:
            n += self.length
        if not 0 <= n < self.length:
            raise IndexError(n)
        cache = self.model._decoded
        if (self.name, n) not in cache:
            cache[(self.name, n)] = self.decode(n)
        return cache[(self.name, n)]


