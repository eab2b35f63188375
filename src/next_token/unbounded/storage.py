"""How the suffix-array index is stored: compact unsigned integers readable from a memory map.

The stream is kept as big-endian rows of the fewest whole bytes its largest id needs (1 for
characters, 2 for a vocabulary below 65,536, else 3 or 4). Big-endian rows of equal width sort
bytewise exactly as the token sequences sort, so each step of a binary search compares raw bytes
(one C memcmp, no decoding); vectorized reads go through a masked, overlapping strided view. The
suffix array uses the fewest bytes ``n - 1`` needs (3 below 16.7M tokens, else 4).
"""

from __future__ import annotations

import struct
from typing import Any, Iterable

import numpy as np

from ..errors import InputError


def width_for(max_value: int) -> int:
    """Bytes needed to store integers in [0, max_value]."""
    return max(1, (int(max_value).bit_length() + 7) // 8)


class PackedUInts:
    """Unsigned integers stored in `width` bytes each (1 to 8), readable from a memory map.

    Widths 1, 2, 4 and 8 are plain numpy arrays. Other widths are a flat uint8 array of n
    little-endian rows of `width` bytes plus a few zero bytes of padding, read through an
    overlapping strided view of 4- or 8-byte words (word i starts at byte ``width * i``) masked to
    `width` bytes: one gather per read, about 3x the cost of a native gather instead of ~20x for
    decoding (n, width) rows. Reads return int64 (or Python ints for the scalar helpers).
    """

    __slots__ = ("raw", "width", "n", "_mv", "_native", "_words", "_mask")

    def __init__(self, raw: np.ndarray, width: int):
        self.raw = raw
        self.width = w = int(width)
        self._native = w in (1, 2, 4, 8)
        if self._native:
            self.n = int(raw.shape[0])
            self._words = raw
            self._mask = None
            # Python-level views make the scalar binary search much cheaper than numpy scalars
            self._mv = memoryview(np.ascontiguousarray(raw)).cast("B").cast({1: "B", 2: "H", 4: "I", 8: "Q"}[w])
        else:
            word = 4 if w < 4 else 8
            self.n = (int(raw.shape[0]) - (word - w)) // w
            self._words = np.ndarray(shape=(self.n,), dtype=f"<u{word}", buffer=raw, offset=0, strides=(w,))
            self._mask = np.uint64((1 << (8 * w)) - 1).astype(f"<u{word}")
            self._mv = memoryview(np.ascontiguousarray(raw)).cast("B")

    @staticmethod
    def raw_length(n: int, width: int) -> int:
        """Length of the raw array holding n values of `width` bytes."""
        if width in (1, 2, 4, 8):
            return n
        return n * width + ((4 if width < 4 else 8) - width)

    @classmethod
    def pack(cls, values: np.ndarray, width: int | None = None) -> "PackedUInts":
        """Store non-negative `values` in `width` bytes each (default: the fewest that fit)."""
        values = np.asarray(values)
        if width is None:
            width = width_for(int(values.max()) if values.size else 0)
        if width in (1, 2, 4, 8):
            return cls(values.astype(f"<u{width}"), width)
        raw = np.zeros(cls.raw_length(values.size, width), np.uint8)
        rows = raw[: values.size * width].reshape(-1, width)
        rows[:] = values.astype("<u8").view(np.uint8).reshape(-1, 8)[:, :width]
        return cls(raw, width)

    def __len__(self) -> int:
        return self.n

    @property
    def nbytes(self) -> int:
        return int(self.raw.nbytes)

    def take(self, idx: np.ndarray) -> np.ndarray:
        """Values at the int64 positions `idx` (vectorized), as int64."""
        if self._native:
            return self.raw[idx].astype(np.int64)
        return (self._words[idx] & self._mask).astype(np.int64)

    def slice(self, a: int, b: int) -> np.ndarray:
        if self._native:
            return self.raw[a:b].astype(np.int64)
        return (self._words[a:b] & self._mask).astype(np.int64)

    def item(self, i: int) -> int:
        if self._native:
            return self._mv[i]
        w = self.width
        return int.from_bytes(self._mv[w * i : w * i + w], "little")

    def window(self, p: int, m: int) -> list[int]:
        """Values at positions p .. p+m-1 (fewer if the array ends first), as a list."""
        if self._native:
            return self._mv[p : p + m].tolist()
        if m <= 16:
            w = self.width
            b = self._mv[w * p : w * min(p + m, self.n)]
            return [int.from_bytes(b[k : k + w], "little") for k in range(0, len(b), w)]
        return (self._words[p : p + m] & self._mask).tolist()


class TokenStream:
    """Token ids as big-endian rows of `width` bytes (1 to 4), after ``4 - width`` zero bytes.

    Why big-endian: rows of equal width then compare bytewise exactly as the ids compare, and a
    window of m rows compares bytewise exactly as the m-token sequence compares (a window cut short
    by the end of the stream is a prefix, so it sorts first, as in the SA). Vectorized reads take
    the 4-byte big-endian word that ends at each row (the leading pad keeps the first in bounds)
    and mask it to `width` bytes.
    """

    __slots__ = ("raw", "width", "n", "_pad", "_mv", "_words", "_mask")

    def __init__(self, raw: np.ndarray, width: int):
        self.raw = raw
        self.width = w = int(width)
        self._pad = 4 - w
        self.n = (int(raw.shape[0]) - self._pad) // w
        self._words = np.ndarray(shape=(self.n,), dtype=">u4", buffer=raw, offset=0, strides=(w,))
        self._mask = np.uint32((1 << (8 * w)) - 1)
        self._mv = memoryview(np.ascontiguousarray(raw)).cast("B")

    @staticmethod
    def raw_length(n: int, width: int) -> int:
        return (4 - width) + n * width

    @classmethod
    def pack(cls, values: np.ndarray) -> "TokenStream":
        values = np.asarray(values)
        top = int(values.max()) if values.size else 0
        if top >= 2**32:
            raise InputError("token ids must be below 2^32")
        w = width_for(top)
        raw = np.zeros(cls.raw_length(values.size, w), np.uint8)
        rows = raw[4 - w :].reshape(-1, w)
        rows[:] = values.astype(">u4").view(np.uint8).reshape(-1, 4)[:, 4 - w :]
        return cls(raw, w)

    def __len__(self) -> int:
        return self.n

    @property
    def nbytes(self) -> int:
        return int(self.raw.nbytes)

    def take(self, idx: np.ndarray) -> np.ndarray:
        """Ids at the int64 positions `idx` (vectorized), as int64."""
        return (self._words[idx] & self._mask).astype(np.int64)

    def slice(self, a: int, b: int) -> np.ndarray:
        return (self._words[a:b] & self._mask).astype(np.int64)

    def item(self, i: int) -> int:
        w, o = self.width, self._pad + self.width * i
        return int.from_bytes(self._mv[o : o + w], "big")

    def window(self, p: int, m: int) -> list[int]:
        """Ids at positions p .. p+m-1 (fewer if the stream ends first), as a list."""
        return self.slice(p, min(p + m, self.n)).tolist()

    def window_bytes(self, p: int, m: int) -> bytes:
        """The raw bytes of ids p .. p+m-1 (fewer if the stream ends first): compare these with
        `encode(pattern)` to compare token sequences."""
        o = self._pad + self.width * p
        return bytes(self._mv[o : o + self.width * m])

    def encode(self, tokens: list[int]) -> bytes:
        """The bytes `window_bytes` would hold for `tokens` (each id must be < 256**width)."""
        w = self.width
        if w == 1:
            return bytes(tokens)
        if w == 3:
            return b"".join([t.to_bytes(3, "big") for t in tokens])
        return struct.pack(f">{len(tokens)}{'H' if w == 2 else 'I'}", *tokens)


def as_pattern(tokens: Iterable[int] | np.ndarray) -> list[int]:
    """A pattern of token ids as a list of Python ints (checked: 1-D, integer, non-negative)."""
    if isinstance(tokens, (str, bytes)):
        raise InputError("expected a sequence of token ids, got a string; encode it with the vocabulary first")
    try:
        a = np.asarray(tokens if isinstance(tokens, np.ndarray) else list(tokens))
    except TypeError:
        raise InputError(f"expected a sequence of token ids, got {type(tokens).__name__}") from None
    if a.size == 0:
        return []
    if a.ndim != 1 or not np.issubdtype(a.dtype, np.integer):
        raise InputError(f"token ids must be a 1-D sequence of integers, got dtype {a.dtype} and shape {a.shape}")
    if int(a.min()) < 0:
        raise InputError("token ids must be non-negative")
    return a.astype(np.int64).tolist()


def as_id_array(ids: Any, what: str = "ids") -> np.ndarray:
    """Token ids as a 1-D int64 array (checked: integer, non-negative)."""
    a = np.asarray(ids)
    if a.size == 0:
        return np.zeros(0, np.int64)
    if a.ndim != 1 or not np.issubdtype(a.dtype, np.integer):
        raise InputError(f"{what} must be a 1-D integer array, got dtype {a.dtype} and shape {a.shape}")
    if int(a.min()) < 0:
        raise InputError(f"{what} must be non-negative token ids")
    return a.astype(np.int64)
