"""Where the package keeps its files, and the one way it writes a file: atomically.

`atomic_write(path)` hands out a temporary file in the target's folder; when the block ends
normally the bytes are flushed, fsync'ed and the temporary file is renamed over the target (a
rename within one file system is atomic), then the folder is fsync'ed so the rename itself
survives a power cut. If anything goes wrong, Ctrl-C included, the temporary file is removed and
the old target is untouched. So a reader sees the old file or the new one, never half of one.

The new file gets the permissions a plain `open(path, "w")` would give (0666 less the umask),
not the 0600 of `tempfile.mkstemp`. Only regular files are replaced: writing over a device, a
folder or a named pipe is refused, since a rename would silently swap the node for a file.

Signals: Ctrl-C and SIGTERM (which `ntp` turns into an exception) remove the temporary file.
They are held back while the rename is made durable, and one that arrives then is raised after
it as `WrittenThenInterrupted`, so the caller knows the new file is complete. SIGKILL cannot be
caught: the temporary file it leaves (named after the writer's process id) is removed by the
next write to the same path once that process is gone.
"""

from __future__ import annotations

import os
import signal
import stat
import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Iterator

from .errors import InputError


class WrittenThenInterrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM arrived while a file was being installed: the new file is complete."""

    def __init__(self, path):
        super().__init__(f"interrupted after {path} was written completely")
        self.path = path


def exit_on_sigterm() -> None:
    """Make SIGTERM end the program through an exception (SystemExit 143), as Ctrl-C does, so
    that half-written temporary files are removed on the way out (the command line's default)."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _terminate)


def _terminate(signum, frame):
    raise SystemExit(128 + signum)


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
    _remove_orphans(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
    except BaseException:
        _unlink(tmp)
        raise
    with _deferred_signals() as caught:
        try:
            os.replace(tmp, path)
        except BaseException:
            _unlink(tmp)
            raise
        _fsync_dir(path.parent)  # make the rename itself durable
    if caught:
        raise WrittenThenInterrupted(path)


def _unlink(tmp: str) -> None:
    try:
        os.unlink(tmp)
    except FileNotFoundError:
        pass


def _fsync_dir(folder: Path) -> None:
    try:
        dfd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:
        pass


@contextmanager
def _deferred_signals() -> Iterator[list[int]]:
    """Hold Ctrl-C and SIGTERM back during the block; yields the list of those that came.

    Python runs signal handlers in the main thread, so swapping the handlers there defers the
    signals whichever thread the system delivered them to (numpy's threads included, which is
    why blocking them with pthread_sigmask in this thread is not enough)."""
    caught: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield caught
        return
    previous = {s: signal.signal(s, lambda signum, frame: caught.append(signum))
                for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield caught
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def _remove_orphans(path: Path) -> None:
    """Remove temporary files of earlier writes to `path` whose process is gone (SIGKILL)."""
    for orphan in path.parent.glob(f".{path.name}.*.tmp"):
        pid = orphan.name[len(path.name) + 2 :].split(".", 1)[0]
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            _unlink(str(orphan))
        except (PermissionError, OSError):
            pass  # alive (someone else's), or not ours to judge
