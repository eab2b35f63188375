"""One model file: a small JSON header followed by raw, aligned numpy arrays.

Layout (all integers little-endian)::

    offset 0   8 bytes   magic b"NTPMODEL"
    offset 8   4 bytes   format version (uint32)
    offset 12  4 bytes   CRC-32 of the header bytes (uint32)
    offset 16  8 bytes   header length in bytes (uint64)
    offset 24  header    UTF-8 JSON: {"kind", "meta", "file_size",
                                     "arrays": {name: {dtype, shape, offset, nbytes}}}
    ...        arrays    each starting on a 64-byte boundary, C order, little-endian dtypes

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
import struct
import zlib
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from .errors import ModelFileError
from .files import atomic_write

MAGIC = b"NTPMODEL"
FORMAT_VERSION = 1
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
    for _ in range(3):
        pos = _aligned(_PREFIX.size + header_len_guess)
        for name, a in ordered:
            table[name] = {"dtype": a.dtype.str, "shape": list(a.shape), "offset": pos, "nbytes": a.nbytes}
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
            f.write(memoryview(a).cast("B") if a.nbytes else b"")
        f.truncate(total)


def _little_endian() -> bool:
    import sys

    return sys.byteorder == "little"


def read_model_file(
    path: str | os.PathLike, expected_kind: str | None = None
) -> tuple[str, dict[str, Any], dict[str, np.ndarray]]:
    """Memory-map `path` and return (kind, meta, arrays); arrays are read-only views of the file.

    Raises ModelFileError for a missing, truncated, corrupted, foreign or newer-version file.
    """
    path = Path(path)
    try:
        f = open(path, "rb")
    except FileNotFoundError:
        raise ModelFileError(f"model file not found: {path}") from None
    except IsADirectoryError:
        raise ModelFileError(f"expected a model file, got a directory: {path}") from None
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
        if _PREFIX.size + header_len > size:
            raise ModelFileError(f"{path} is truncated (header runs past the end of the file)")
        header = f.read(header_len)
        if zlib.crc32(header) != crc:
            raise ModelFileError(f"{path} is corrupted (header checksum mismatch)")
        try:
            doc = json.loads(header)
            kind, meta, table = doc["kind"], doc["meta"], doc["arrays"]
        except (ValueError, KeyError) as e:
            raise ModelFileError(f"{path} is corrupted (unreadable header: {e})") from None
        if expected_kind is not None and kind != expected_kind:
            raise ModelFileError(f"{path} holds a {kind!r} model, not a {expected_kind!r} model")
        end = max([t["offset"] + t["nbytes"] for t in table.values()] + [doc.get("file_size", 0)])
        if end > size:
            raise ModelFileError(
                f"{path} is truncated ({size} bytes, the header promises {end}); "
                "it was probably copied or downloaded incompletely"
            )
        buf = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
    arrays: dict[str, np.ndarray] = {}
    for name, t in table.items():
        dtype = np.dtype(t["dtype"])
        count = int(np.prod(t["shape"], dtype=np.int64))
        if count * dtype.itemsize != t["nbytes"]:
            raise ModelFileError(f"{path} is corrupted (array {name!r} has an inconsistent size)")
        a = np.frombuffer(buf, dtype=dtype, count=count, offset=t["offset"]) if count else np.empty(0, dtype)
        arrays[name] = a.reshape(t["shape"])
    return kind, meta, arrays
