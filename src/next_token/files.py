"""Where the package keeps its files, and the one way it writes a file: atomically.

`atomic_write(path)` hands out a temporary file in the target's folder; when the block ends
normally the bytes are flushed, fsync'ed and the temporary file is renamed over the target (a
rename within one file system is atomic), then the folder is fsync'ed so the rename itself
survives a power cut. If anything goes wrong, Ctrl-C included, the temporary file is removed and
the old target is untouched. So a reader sees the old file or the new one, never half of one.

The new file gets the permissions a plain `open(path, "w")` would give (0666 less the umask),
not the 0600 of `tempfile.mkstemp`. Only regular files are replaced: writing over a device, a
folder or a named pipe is refused, since a rename would silently swap the node for a file.
"""

from __future__ import annotations

import os
import stat
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Iterator

from .errors import InputError


def cache_dir() -> Path:
    """The package's cache folder: $NTP_CACHE_DIR, else the user's cache directory."""
    base = os.environ.get("NTP_CACHE_DIR")
    if not base:
        from platformdirs import user_cache_dir

        base = user_cache_dir("next-token-prediction")
    return Path(base)


def check_output_path(path: str | os.PathLike) -> Path:
    """`path` as a Path if a file may be written there; `InputError` saying why not otherwise."""
    if not os.fspath(path):
        raise InputError("the output path is empty: give a file name")
    p = Path(path)
    try:
        st = os.stat(p)
    except FileNotFoundError:
        return p
    except OSError as e:
        raise InputError(f"cannot write {p}: {e.strerror}") from None
    if stat.S_ISDIR(st.st_mode):
        raise InputError(f"{p} is a folder: give a file name to write")
    if not stat.S_ISREG(st.st_mode):
        raise InputError(f"{p} exists and is not a regular file (a device or a pipe); refusing to replace it")
    return p


def _umask() -> int:
    try:  # Linux reports it without changing it (os.umask would, for a moment, for every thread)
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextmanager
def atomic_write(path: str | os.PathLike) -> Iterator[BinaryIO]:
    """Write `path` through a temporary file renamed over it at the end (see the module doc)."""
    path = check_output_path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    try:  # make the rename itself durable
        dfd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:
        pass
