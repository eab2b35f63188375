"""The model a server answers with: a private snapshot of its file, reloaded when the file is replaced.

Why a snapshot. A model file is memory-mapped, and when a mapped file is truncated the kernel
takes the pages away: the next read of the model kills the process with SIGBUS (exit 135). That
is what `cp new.ntp served.ntp` does to a server (cp opens with O_TRUNC, then writes). A private
mapping does not help: truncation unmaps private pages too, even ones already copied on write
(checked on Linux 6.x, bench/bench_abuse.py --sigbus shows it). Renaming a new file into place is
safe, but a server cannot make its users do that. So the server never maps the file it was given:

- at start, and at each reload, it copies the file into a private folder (`Snapshots`, mode 0700,
  in the temporary directory; a reflink where the file system can clone, else an in-kernel copy)
  and loads the copy with every array's checksum verified (`load_snapshot`);
- in one process, the copy is unlinked as soon as it is mapped: no name is left that anything
  could open and overwrite, and the copy's disk space returns when the model is dropped;
- with worker processes, the supervisor makes the copy and the workers map that same file, so
  they still share one copy of its pages (`publish` / `SnapshotFollower`).

The cost is one copy of the file per start and per reload: the disk space of one more model while
serving, and time. Measured here from the page cache (bench/bench_abuse.py --snapshot-cost): an
18 MB model copies in 0.01 s and loads verified in 0.04-0.07 s; a 955 MB one copies in 1.6-3.8 s
(0.25-0.6 GB/s on this disk; a reflink takes milliseconds at any size) and its checksums take
0.4-0.6 s (5.3-5.5 s with the tables' checks, which a file of that size gets only from an
untrusted place). A plain load
maps the file in a millisecond. `create_app(model, snapshot=False)` serves the mapping as it was
loaded: no copy, and no protection.

Reloading. A `FileWatcher` thread looks at the original path every `watch_interval` seconds
(inode, size, modification time). When they differ from the served file's, it waits until they
stay the same for one more look (a copy in progress keeps changing them), copies the file,
checks that it did not change during the copy, and loads the copy with every checksum verified.
Only a file that loads cleanly replaces the model: a half-written file fails its checksums and
is retried when it changes again; a file that is gone (deleted, or between an unlink and a
rename) leaves the served model alone. The swap is one assignment: each request reads
`ServedModel.model` once and uses that model to the end, so an answer never mixes two models;
the old model's mapping lives until its last request finishes.
"""

from __future__ import annotations

import errno
import logging
import os
import shutil
import stat
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from ..errors import ModelFileError

log = logging.getLogger("next_token.server")
notice = logging.getLogger("uvicorn.error")  # what the person running the server sees

FICLONE = 0x40049409  # ioctl: make dst a copy-on-write clone of src (btrfs, XFS, bcachefs, ...)
POINTER = "current"  # in a published snapshot folder: the name of the snapshot to serve


@dataclass(frozen=True)
class FileState:
    """What says a file was replaced or rewritten: its inode, size and modification time."""

    device: int
    inode: int
    size: int
    mtime_ns: int

    @classmethod
    def of(cls, path: str | os.PathLike) -> "FileState | None":
        try:
            st = os.stat(path)
        except OSError:
            return None
        return cls(st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


class FileChanged(Exception):
    """The file changed while it was being copied."""


def clone_or_copy(src_fd: int, dst_fd: int, size: int) -> str:
    """Copy a whole file between two descriptors: a reflink if the file system can, else in the
    kernel (sendfile), else through a buffer."""
    try:
        import fcntl

        fcntl.ioctl(dst_fd, FICLONE, src_fd)
        return "reflink"
    except (ImportError, OSError):
        pass
    offset = 0
    while offset < size:
        if hasattr(os, "sendfile"):
            sent = os.sendfile(dst_fd, src_fd, offset, min(size - offset, 1 << 30))
        else:  # pragma: no cover - not on Linux or macOS
            chunk = os.pread(src_fd, min(size - offset, 1 << 24), offset)
            sent = os.write(dst_fd, chunk) if chunk else 0
        if sent == 0:  # the file became shorter while being copied
            raise FileChanged()
        offset += sent
    return "copy"


class Snapshots:
    """Private copies of one model file, in a folder of their own.

    The folder (mode 0700, named after this process) is made when a copy is taken and removed by
    `close`; a later copy makes a new one. One process closes it as soon as its copy is mapped, so
    nothing is left if it is killed later; the folder of a killed process that was copying, or of
    a killed supervisor of workers, is removed by the next server that starts (`remove_abandoned`).
    """

    def __init__(self, source: str | os.PathLike, directory: str | os.PathLike | None = None):
        self.source = Path(source)
        self.directory = Path(directory) if directory is not None else Path(tempfile.gettempdir())
        self.folder: Path | None = None
        self._count = 0
        self._lock = threading.Lock()
        remove_abandoned(self.directory)

    def _folder(self) -> Path:
        if self.folder is None or not self.folder.is_dir():
            self.folder = Path(tempfile.mkdtemp(prefix=f"ntp-serve-{os.getpid()}-", dir=self.directory))
        return self.folder

    def take(self) -> tuple[Path, FileState]:
        """Copy the model file as it is now: (the copy, the state of the file it copied).

        Raises FileChanged if the file changed during the copy, ModelFileError if it cannot be read.
        """
        before = FileState.of(self.source)
        if before is None:
            raise ModelFileError(f"model file not found: {self.source.name}")
        with self._lock:
            self._count += 1
            target = self._folder() / f"model-{self._count}.ntp"
        try:
            src = os.open(self.source, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        except OSError as e:
            raise ModelFileError(f"cannot open the model file {self.source.name}: {e.strerror}") from None
        try:
            st = os.fstat(src)
            if not stat.S_ISREG(st.st_mode):  # a pipe or a device would block or never end
                raise ModelFileError(f"{self.source.name} is not a regular file")
            if (st.st_dev, st.st_ino) != (before.device, before.inode):
                raise FileChanged()
            dst = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                clone_or_copy(src, dst, st.st_size)
            except BaseException:
                os.close(dst)
                target.unlink(missing_ok=True)
                raise
            os.close(dst)
        finally:
            os.close(src)
        if FileState.of(self.source) != before:
            target.unlink(missing_ok=True)
            raise FileChanged()
        return target, before

    def remove_all_but(self, keep: Path | None) -> None:
        for path in self._folder().iterdir():
            if path != keep and path.name != POINTER:
                path.unlink(missing_ok=True)

    def close(self) -> None:
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None


def remove_abandoned(parent: Path) -> None:
    """Remove the snapshot folders of servers that are gone (killed: SIGKILL cannot be caught),
    ours only: a folder is named after the process that made it."""
    uid = getattr(os, "getuid", lambda: None)()
    for folder in parent.glob("ntp-serve-*-*"):
        try:
            pid = int(folder.name.split("-")[2])
            if uid is not None and folder.stat().st_uid != uid:
                continue
            os.kill(pid, 0)  # raises if no such process
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except (ValueError, IndexError, OSError):
            continue


def load_snapshot(path: Path, source: Path | None = None) -> Any:
    """Load a snapshot with every array's checksum verified, so that a copy of a half-written file
    fails here; the tables' meaning too where a plain load of the original would check it (a
    small file, or one from an untrusted place: model_file.should_verify). For a 955 MB model:
    checksums 0.4-0.6 s, checksums and tables 5.3-5.5 s."""
    from ..language_model import LanguageModel
    from ..model_file import read_model_file, should_verify

    try:
        full = source is None or should_verify(os.stat(source))
    except OSError:
        full = True
    if full:
        return LanguageModel.load(path, verify=True)
    read_model_file(path, expected_kind="language-model", verify=True)
    return LanguageModel.load(path, verify=False)


def first_snapshot(snapshots: Snapshots, tries: int = 20, pause: float = 0.1) -> tuple[Any, Path, FileState]:
    """The model of a snapshot taken now; retried while the file keeps changing under the copy."""
    for attempt in range(tries):
        try:
            path, state = snapshots.take()
        except FileChanged:
            time.sleep(pause)
            continue
        try:
            return load_snapshot(path, snapshots.source), path, state
        except ModelFileError as e:
            path.unlink(missing_ok=True)
            if attempt == tries - 1 or FileState.of(snapshots.source) == state:
                raise ModelFileError(f"{snapshots.source.name}: {str(e).replace(str(path), 'the copy')}") from None
            time.sleep(pause)  # the file is being written: try again when it is done
    raise ModelFileError(f"{snapshots.source.name} kept changing while it was being copied; try again")


class ServedModel:
    """The model answering requests now. Read `.model` once per request and keep that object."""

    def __init__(self, model: Any, file_name: str | None = None):
        self.model = model
        self.file_name = file_name  # the model file's name (never its folder), for /api/info
        self.reloads = 0
        self.loaded_at = time.time()
        self.watchers: list[Any] = []  # threads keeping it current, started and stopped with the app

    def swap(self, model: Any) -> None:
        self.model = model  # one assignment: a request sees the old model or the new, never both
        self.reloads += 1
        self.loaded_at = time.time()

    def start(self) -> None:
        for watcher in self.watchers:
            watcher.start()

    def stop(self) -> None:
        for watcher in self.watchers:
            watcher.stop()


class _Poller:
    """A daemon thread calling `poll` every `interval` seconds until stopped."""

    def __init__(self, interval: float, name: str):
        self.interval, self.name = interval, name
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None and self.interval > 0:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.poll()
            except Exception:  # a watcher must outlive any surprise; it logs and looks again later
                log.exception("%s: unexpected error", self.name)

    def poll(self) -> None:
        raise NotImplementedError


class FileWatcher(_Poller):
    """Reloads a model file that was replaced, once it is complete and valid (see the module doc).

    `on_model(model, snapshot_path)` receives each new model, loaded from its verified snapshot.
    """

    def __init__(self, snapshots: Snapshots, serving: FileState, interval: float,
                 on_model: Callable[[Any, Path], None]):
        super().__init__(interval, f"ntp-watch-{snapshots.source.name}")
        self.snapshots, self.serving, self.on_model = snapshots, serving, on_model
        self.candidate: FileState | None = None  # a changed state seen on the last look
        self.refused: FileState | None = None  # a state that did not load: wait for the next change

    def poll(self) -> bool:
        """One look at the file; True when a new model was handed over."""
        state = FileState.of(self.snapshots.source)
        if state is None or state == self.serving or state == self.refused:
            self.candidate = None
            return False
        if state != self.candidate:  # changed since the last look: let it settle
            self.candidate = state
            return False
        self.candidate = None
        try:
            path, copied = self.snapshots.take()
        except (FileChanged, ModelFileError):
            self._tidy()
            return False
        try:
            model = load_snapshot(path, self.snapshots.source)
        except ModelFileError as e:
            path.unlink(missing_ok=True)
            self._tidy()
            if FileState.of(self.snapshots.source) == copied:  # still the same bytes: a broken file
                self.refused = copied
                notice.warning("%s was replaced by a file that does not load (%s); still serving the "
                               "previous model", self.snapshots.source.name,
                               str(e).replace(str(path), "the copy"))
            return False
        self.serving = copied
        self.on_model(model, path)
        notice.info("reloaded %s (the file was replaced)", self.snapshots.source.name)
        return True

    def _tidy(self) -> None:
        """Leave no empty folder behind between reloads (a supervisor's holds its pointer: kept)."""
        folder = self.snapshots.folder
        if folder is not None and folder.is_dir() and not any(folder.iterdir()):
            self.snapshots.close()


def publish(folder: Path, snapshot: Path) -> None:
    """Point the workers at `snapshot`: rewrite the folder's pointer file atomically."""
    tmp = folder / f".{POINTER}.{os.getpid()}"
    tmp.write_text(snapshot.name)
    os.replace(tmp, folder / POINTER)


def published(folder: str | os.PathLike) -> Path:
    """The snapshot the supervisor currently points the workers at."""
    folder = Path(folder)
    return folder / (folder / POINTER).read_text().strip()


class SnapshotFollower(_Poller):
    """In a worker process: loads the snapshot the supervisor publishes whenever it changes."""

    def __init__(self, folder: str | os.PathLike, served: ServedModel, interval: float, serving: FileState | None):
        super().__init__(interval, "ntp-follow-snapshots")
        self.folder, self.served, self.serving = Path(folder), served, serving

    def poll(self) -> bool:
        from ..language_model import LanguageModel

        state = FileState.of(self.folder / POINTER)
        if state is None or state == self.serving:
            return False
        try:
            model = LanguageModel.load(published(self.folder))
        except (OSError, ModelFileError) as e:  # replaced again meanwhile: the next look gets the newer one
            if not isinstance(e, FileNotFoundError) and e.errno != errno.ENOENT:
                notice.warning("could not load the published model: %s", e)
            return False
        self.serving = state
        self.served.swap(model)
        return True


def serve_snapshot(model: Any, *, watch_interval: float, directory: str | os.PathLike | None = None) -> ServedModel:
    """A ServedModel for `model`'s file, served from a private snapshot and reloaded when replaced
    (one process: each snapshot is unlinked once mapped)."""
    snapshots = Snapshots(model.path, directory)
    try:
        lm, path, state = first_snapshot(snapshots)
    except BaseException:
        snapshots.close()
        raise
    path.unlink()
    snapshots.close()  # mapped: neither the copy's name nor its folder is needed any more
    served = ServedModel(lm, snapshots.source.name)

    def on_model(new_model: Any, snapshot: Path) -> None:
        snapshot.unlink(missing_ok=True)
        snapshots.close()
        served.swap(new_model)

    if watch_interval > 0:
        served.watchers.append(FileWatcher(snapshots, state, watch_interval, on_model))
    return served
