"""One model file: a small JSON header followed by raw, aligned numpy arrays.

Layout (all integers little-endian)::

    offset 0   8 bytes   magic b"NTPMODEL"
    offset 8   4 bytes   format version (uint32)
    offset 12  4 bytes   CRC-32 of the header bytes (uint32)
    offset 16  8 bytes   header length in bytes (uint64)
    offset 24  header    UTF-8 JSON: {"kind", "meta", "file_size",
                                     "arrays": {name: {dtype, shape, offset, nbytes, crc32}}}
    ...        arrays    each starting on a 64-byte boundary, C order, little-endian dtypes

Damage and forgery. The header carries a CRC-32 of itself, and (format 2) one per array, which
(format 3) covers the array's name too. Every
field of the header is checked before use (types, dtypes from a short list, shapes, alignment,
arrays inside the file and not overlapping), so a crafted header cannot make the reader allocate,
loop or index its way into a generic exception. The arrays' checksums are verified on load when
that is cheap (files up to `VERIFY_AUTO_BYTES`: about 10 ms per 16 MB), when the file comes from
an untrusted place (owned by another user, or writable by everyone), and always when asked
(`verify=True`, `ntp info --verify`); a larger trusted file is mapped without reading it, which
is what keeps loading instant. What the arrays must mean (ids in range, sorted keys) is checked
by the model's own parts after loading (`LanguageModel.load`).

Why this and not pickle or npz: the file must not depend on the Python version, must be safe to
open when it comes from someone else, and must be memory-mapped so that loading costs the same
few milliseconds whatever the model's size (npz members are zip entries and cannot be mapped).

Writes are atomic (`files.atomic_write`): a crash or Ctrl-C at any moment leaves either the old
file or the new one, never a half-written file.
"""

from __future__ import annotations

import json
import mmap
import os
import stat
import struct
import zlib
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from .errors import ModelFileError
from .files import atomic_write

MAGIC = b"NTPMODEL"
FORMAT_VERSION = 3  # 2 added a CRC-32 per array, 3 seeds it with the array's name, dtype and shape; 1, 2 still read
VERIFY_AUTO_BYTES = 32 << 20
_DTYPES = frozenset(np.dtype(t).str for t in ("u1", "u2", "u4", "u8", "i1", "i2", "i4", "i8", "f4", "f8", "?")
                    ) | frozenset(np.dtype(t).newbyteorder("<").str for t in ("u2", "u4", "u8", "i2", "i4", "i8", "f4", "f8"))
_PREFIX = struct.Struct("<8sIIQ")
_ALIGN = 64


def _aligned(n: int) -> int:
    return (n + _ALIGN - 1) // _ALIGN * _ALIGN


def write_model_file(
    path: str | os.PathLike, kind: str, meta: Mapping[str, Any], arrays: Mapping[str, np.ndarray]
) -> None:
    """Write `arrays` and the JSON-able `meta` to `path` atomically, tagged with `kind`.

    `kind` names what the file holds ("ngram", "image", ...) so that loading the wrong kind of
    model gives a clear error instead of a confusing one.
    """
    table: dict[str, dict[str, Any]] = {}
    ordered: list[tuple[str, np.ndarray]] = []
    for name, arr in arrays.items():
        a = np.ascontiguousarray(arr)
        if a.dtype.byteorder == ">" or (a.dtype.byteorder == "=" and not _little_endian()):
            a = a.astype(a.dtype.newbyteorder("<"))
        if a.dtype.hasobject:
            raise TypeError(f"array {name!r} has dtype object; only plain numeric arrays can be saved")
        ordered.append((name, a))
    # Offsets depend on the header length, which depends on the offsets: lay out twice.
    header_len_guess = 0
    crcs = {name: _crc32(a, _array_seed(name, a.dtype.str, a.shape)) for name, a in ordered}
    for _ in range(3):
        pos = _aligned(_PREFIX.size + header_len_guess)
        for name, a in ordered:
            table[name] = {"dtype": a.dtype.str, "shape": list(a.shape), "offset": pos, "nbytes": a.nbytes,
                           "crc32": crcs[name]}
            pos = _aligned(pos + a.nbytes)
        doc = {"kind": kind, "meta": meta, "arrays": table, "file_size": pos}
        header = json.dumps(doc, sort_keys=True).encode()
        if len(header) <= header_len_guess:
            break
        header_len_guess = len(header) + 256
    header = header.ljust(header_len_guess, b" ")
    total = pos

    with atomic_write(path) as f:
        f.write(_PREFIX.pack(MAGIC, FORMAT_VERSION, zlib.crc32(header), len(header)))
        f.write(header)
        for name, a in ordered:
            f.seek(table[name]["offset"])
            _write_array(f, a)
        f.truncate(total)


_SLICE = 64 << 20


def _slices(a: np.ndarray):
    """`a`'s bytes as memoryviews of at most 64 MB. Where `a` is a read-only memory map (a loaded
    model, or one the bounded-memory build left on disk), each slice's pages are dropped from this
    process once the caller is done with it: checksumming and saving a model larger than memory
    then never holds all of it resident (the data stays in the file and the page cache)."""
    if not a.nbytes:
        return
    flat = a.reshape(-1).view(np.uint8)
    mm = _read_only_map(a)
    start_of_map = np.frombuffer(mm, dtype=np.uint8).ctypes.data if mm is not None else 0
    for start in range(0, len(flat), _SLICE):
        piece = flat[start : start + _SLICE]
        yield memoryview(piece)
        if mm is not None:
            offset = piece.ctypes.data - start_of_map
            lo = offset // mmap.PAGESIZE * mmap.PAGESIZE
            mm.madvise(mmap.MADV_DONTNEED, lo, offset + len(piece) - lo)


def _array_seed(name: str, dtype: str, shape) -> int:
    """The CRC an array's checksum starts from (format 3): that of its name, dtype and shape, so
    that a header whose entries were swapped, or which reads the same bytes as another type
    ('<u8' keys as '<i8') or another shape, fails the check instead of loading as something else."""
    return zlib.crc32(json.dumps([name, dtype, [int(n) for n in shape]]).encode())


def _crc32(a: np.ndarray, crc: int = 0) -> int:
    for piece in _slices(a):
        crc = zlib.crc32(piece, crc)
    return crc


def _write_array(f, a: np.ndarray) -> None:
    for piece in _slices(a):
        f.write(piece)


def _read_only_map(a: np.ndarray) -> mmap.mmap | None:
    """The read-only `mmap.mmap` that `a` is a view of, if any (and the system can drop pages)."""
    base = a
    for _ in range(8):
        base = base.obj if isinstance(base, memoryview) else getattr(base, "base", None)
        if base is None or isinstance(base, mmap.mmap):
            break
    if isinstance(base, mmap.mmap) and hasattr(base, "madvise") and memoryview(base).readonly:
        return base
    return None


def _little_endian() -> bool:
    import sys

    return sys.byteorder == "little"


def read_model_file(
    path: str | os.PathLike, expected_kind: str | None = None, verify: bool | None = None
) -> tuple[str, dict[str, Any], dict[str, np.ndarray]]:
    """Memory-map `path` and return (kind, meta, arrays); arrays are read-only views of the file.

    `verify`: check every array's checksum (True), none (False), or when cheap or untrusted
    (None: see the module docstring). Raises ModelFileError for a missing, truncated, corrupted,
    forged, foreign or newer-version file.
    """
    path = Path(path)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise ModelFileError(f"model file not found: {path}") from None
    except OSError as e:
        raise ModelFileError(f"cannot open model file {path}: {e.strerror}") from None
    if stat.S_ISDIR(st.st_mode):
        raise ModelFileError(f"expected a model file, got a directory: {path}")
    if not stat.S_ISREG(st.st_mode):  # a pipe or a device would block or never end
        raise ModelFileError(f"{path} is not a regular file (a pipe or a device?); give a model file")
    try:
        f = open(path, "rb")
    except OSError as e:
        raise ModelFileError(f"cannot open model file {path}: {e.strerror}") from None
    with f:
        size = os.fstat(f.fileno()).st_size
        prefix = f.read(_PREFIX.size)
        if len(prefix) < _PREFIX.size or not prefix.startswith(MAGIC):
            hint = ""
            if prefix.lstrip().startswith(b"\\data\\") or prefix.startswith(b"\x1f\x8b"):
                hint = " (it looks like an ARPA file: import it with `ntp arpa import` or LanguageModel.from_arpa)"
            raise ModelFileError(f"{path} is not a next-token-prediction model file{hint}")
        _, version, crc, header_len = _PREFIX.unpack(prefix)
        if version > FORMAT_VERSION:
            raise ModelFileError(
                f"{path} was written by a newer version of next-token-prediction (file format "
                f"{version}, this version reads up to {FORMAT_VERSION}); upgrade the package"
            )
        if version < 1:
            raise ModelFileError(f"{path} is corrupted (format version {version})")
        if _PREFIX.size + header_len > size:
            raise ModelFileError(f"{path} is truncated (header runs past the end of the file)")
        header = f.read(header_len)
        if zlib.crc32(header) != crc:
            raise ModelFileError(f"{path} is corrupted (header checksum mismatch)")
        kind, meta, table, file_size = _parse_header(header, path, version)
        if expected_kind is not None and kind != expected_kind:
            raise ModelFileError(f"{path} holds a {kind!r} model, not a {expected_kind!r} model")
        _check_layout(table, _PREFIX.size + header_len, size, file_size, path)
        buf = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
    if verify is None:
        verify = should_verify(st)
    arrays: dict[str, np.ndarray] = {}
    for name, t in table.items():
        dtype = np.dtype(t["dtype"])
        count = t["nbytes"] // dtype.itemsize
        seed = _array_seed(name, t["dtype"], t["shape"]) if version >= 3 else 0
        if verify and "crc32" in t and zlib.crc32(memoryview(buf)[t["offset"] : t["offset"] + t["nbytes"]], seed) != t["crc32"]:
            raise ModelFileError(f"{path} is corrupted (the checksum of array {name!r} does not match)")
        a = np.frombuffer(buf, dtype=dtype, count=count, offset=t["offset"]) if count else np.empty(0, dtype)
        arrays[name] = a.reshape(t["shape"])
    return kind, meta, arrays


def _parse_header(header: bytes, path, version: int):
    """kind, meta, table and file size of a header, every field checked for its type."""
    bad = lambda why: ModelFileError(f"{path} is corrupted (header: {why})")  # noqa: E731
    try:
        doc = json.loads(header)
    except (ValueError, RecursionError) as e:
        raise bad(f"not valid JSON: {str(e)[:80]}") from None
    if not isinstance(doc, dict):
        raise bad("not an object")
    kind, meta, table, file_size = doc.get("kind"), doc.get("meta"), doc.get("arrays"), doc.get("file_size", 0)
    if not isinstance(kind, str) or not isinstance(meta, dict) or not isinstance(table, dict):
        raise bad("kind, meta or arrays missing or of the wrong type")
    if not _is_int(file_size) or file_size < 0:
        raise bad("file_size is not a size")
    for name, t in table.items():
        if not isinstance(t, dict):
            raise bad(f"array {name!r} is not described by an object")
        dtype, shape = t.get("dtype"), t.get("shape")
        if dtype not in _DTYPES:
            raise bad(f"array {name!r} has an unsupported dtype {str(dtype)[:20]!r}")
        if not isinstance(shape, list) or not 1 <= len(shape) <= 2 or not all(_is_int(d) and d >= 0 for d in shape):
            raise bad(f"array {name!r} has a malformed shape")
        if not all(_is_int(t.get(k)) and t[k] >= 0 for k in ("offset", "nbytes")):
            raise bad(f"array {name!r} has a malformed offset or size")
        if version >= 2 and not (_is_int(t.get("crc32")) and 0 <= t["crc32"] < 2**32):
            raise bad(f"array {name!r} has no checksum")
        count = 1
        for d in shape:
            count *= d
        if count * np.dtype(dtype).itemsize != t["nbytes"]:
            raise bad(f"array {name!r} has an inconsistent size")
    return kind, meta, table, file_size


def _check_layout(table: dict, header_end: int, size: int, file_size: int, path) -> None:
    """Every array lies in the file, after the header, aligned, and no two overlap."""
    spans = sorted((t["offset"], t["offset"] + t["nbytes"], name) for name, t in table.items() if t["nbytes"])
    end = max([hi for _, hi, _ in spans] + [file_size])
    if end > size:
        raise ModelFileError(
            f"{path} is truncated ({size} bytes, the header promises {end}); "
            "it was probably copied or downloaded incompletely"
        )
    prev = header_end
    for lo, hi, name in spans:
        if lo < prev or lo % _ALIGN:
            raise ModelFileError(f"{path} is corrupted (array {name!r} overlaps another part of the file)")
        prev = hi


def _is_int(x) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def should_verify(st: os.stat_result) -> bool:
    """Whether a load checks everything by default: small files (cheap) and untrusted ones."""
    return st.st_size <= VERIFY_AUTO_BYTES or _untrusted(st)


def _untrusted(st: os.stat_result) -> bool:
    """A file owned by another user (root aside) or writable by everyone is checked in full."""
    geteuid = getattr(os, "geteuid", None)
    foreign = geteuid is not None and st.st_uid not in (geteuid(), 0)
    return foreign or bool(st.st_mode & stat.S_IWOTH)
