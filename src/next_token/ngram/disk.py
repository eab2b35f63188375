"""Arrays on disk for the bounded-memory build, and the temporary folder that holds them.

`DiskArray` is a 1-D array in a file of its own: written by appending blocks, read back by
ranges with explicit reads. Reading into fresh arrays (rather than keeping the file mapped)
keeps the process's resident memory honest: what a stage read is freed with the array, instead
of staying mapped and counted until the end. Only the finished model tables are mapped
(`DiskArray.map`), read-only, as a loaded model file is.

`BuildDir` is the temporary folder of one build. It is removed when the build ends, whatever
ends it: success, an error, Ctrl-C (SIGINT), or SIGTERM (turned into KeyboardInterrupt while the
build runs on the main thread). Files still mapped by the returned model are unlinked with it;
on POSIX systems the mapping keeps their data until the model is dropped.
"""

from __future__ import annotations

import mmap
import os
import shutil
import signal
import tempfile
import threading
from pathlib import Path

import numpy as np


class DiskArray:
    """A 1-D array of `dtype` stored in `path`."""

    def __init__(self, path: str | os.PathLike, dtype, length: int = 0):
        self.path = Path(path)
        self.dtype = np.dtype(dtype)
        self.length = int(length)
        self._fh = None

    @classmethod
    def write(cls, path, array: np.ndarray, dtype=None) -> "DiskArray":
        """A new file holding `array` (cast to `dtype`)."""
        out = cls(path, dtype if dtype is not None else array.dtype)
        out.append(array)
        out.close()
        return out

    def append(self, block: np.ndarray) -> None:
        if self._fh is None:
            self._fh = open(self.path, "ab")
        block = np.ascontiguousarray(block, dtype=self.dtype)
        block.tofile(self._fh)
        self.length += len(block)

    def close(self) -> "DiskArray":
        if self._fh is not None:
            self._fh.close()
            self._fh = None
        elif not self.path.exists():
            self.path.touch()  # an empty array is an empty file
        return self

    def read(self, start: int = 0, stop: int | None = None) -> np.ndarray:
        """Elements [start, stop) as a new in-memory array."""
        stop = self.length if stop is None else min(int(stop), self.length)
        start = max(0, int(start))
        if stop <= start:
            return np.zeros(0, dtype=self.dtype)
        with open(self.path, "rb") as f:
            f.seek(start * self.dtype.itemsize)
            out = np.fromfile(f, dtype=self.dtype, count=stop - start)
        if len(out) != stop - start:
            raise OSError(f"{self.path} is shorter than expected (a temporary file was changed?)")
        return out

    def map(self) -> np.ndarray:
        """The whole array, memory-mapped read-only (for the finished tables), as a loaded model
        file's arrays are: a view of an `mmap.mmap` (which `model_file` knows how to save
        without holding it all in memory)."""
        self.close()
        if self.length == 0:
            return np.zeros(0, dtype=self.dtype)
        with open(self.path, "rb") as f:
            mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        return np.frombuffer(mm, dtype=self.dtype, count=self.length)

    def delete(self) -> None:
        self.close()
        try:
            self.path.unlink()
        except FileNotFoundError:
            pass

    def __len__(self) -> int:
        return self.length

    @property
    def nbytes(self) -> int:
        return self.length * self.dtype.itemsize


def blocks(length: int, size: int):
    """(start, stop) ranges covering [0, length) in steps of `size`."""
    size = max(1, int(size))
    for start in range(0, length, size):
        yield start, min(length, start + size)


class BuildDir:
    """A temporary folder removed on exit, however the `with` block ends (see the module doc).

        with BuildDir(parent=None) as workdir:
            ...
    """

    def __init__(self, parent: str | os.PathLike | None = None, prefix: str = "ntp-build-"):
        self.parent = parent
        self.prefix = prefix
        self.path: Path | None = None
        self._old_term = None

    def __enter__(self) -> Path:
        self.path = Path(tempfile.mkdtemp(prefix=self.prefix, dir=self.parent))
        if threading.current_thread() is threading.main_thread():
            try:  # unless the program already handles SIGTERM (the command line does)
                if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
                    self._old_term = signal.signal(signal.SIGTERM, _interrupt)
            except (ValueError, OSError):  # not allowed here (an embedded interpreter)
                self._old_term = None
        return self.path

    def __exit__(self, *exc) -> None:
        if self._old_term is not None:
            signal.signal(signal.SIGTERM, self._old_term)
            self._old_term = None
        remove_tree(self.path)


def _interrupt(signum, frame):
    raise KeyboardInterrupt(f"stopped by signal {signum}")


def remove_tree(path: Path | None) -> None:
    """Remove a build folder; where open or mapped files cannot be removed (Windows), leave the
    rest to the system's temporary-file cleaning rather than fail a finished build."""
    if path is not None:
        shutil.rmtree(path, ignore_errors=True)
