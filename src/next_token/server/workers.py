"""Several server processes over one memory-mapped model file (`serve(model, workers=N)`).

uvicorn starts worker processes by importing an app factory by name, so what the app needs is
passed through the environment, which the workers inherit: the create_app options as JSON, and
where the model is.

The model: the supervisor (this process) copies the model file into a private folder and points
the workers at the copy through a small pointer file there (served_model.py). Each worker
memory-maps that same copy, so the operating system keeps one copy of its pages for all of
them. The supervisor watches the original file; when it is replaced (renamed over, or
overwritten in place) and the new file loads cleanly, it copies it, repoints the pointer, and
each worker loads the new copy at its next look (every `watch_interval` seconds) and swaps it in
between requests. A worker that uvicorn restarts starts on the current copy.
"""

from __future__ import annotations

import json
import os
import socket
from dataclasses import asdict
from pathlib import Path
from typing import Any

from ..errors import InputError
from .schemas import Limits

MODEL_VAR = "NTP_SERVE_MODEL"  # the model file (snapshot=False: the workers map it as it is)
SNAPSHOTS_VAR = "NTP_SERVE_SNAPSHOTS"  # the supervisor's snapshot folder (the default)
NAME_VAR = "NTP_SERVE_MODEL_NAME"  # the model file's name, for /api/info
OPTIONS_VAR = "NTP_SERVE_OPTIONS"
SUPERVISOR_ONLY = ("snapshot_dir",)  # options the workers do not take


def export_for_workers(model: Any, options: dict[str, Any], snapshots: Path | None) -> None:
    path = getattr(model, "path", None)
    if not path or not os.path.exists(path):
        raise InputError("workers > 1 needs a model loaded from a file (save it, then "
                         "LanguageModel.load(path) or `ntp serve -m FILE`): each worker maps the file")
    options = {k: v for k, v in options.items() if k not in SUPERVISOR_ONLY}
    if isinstance(options.get("limits"), Limits):
        options["limits"] = asdict(options["limits"])
    if options.get("api_keys") is not None and not isinstance(options["api_keys"], str):
        options["api_keys"] = list(options["api_keys"])
    if options.get("cors_origins") is not None:
        options["cors_origins"] = list(options["cors_origins"])
    os.environ[MODEL_VAR] = os.path.abspath(path)
    os.environ[NAME_VAR] = os.path.basename(path)
    if snapshots is not None:
        os.environ[SNAPSHOTS_VAR] = str(snapshots)
    else:
        os.environ.pop(SNAPSHOTS_VAR, None)
    os.environ[OPTIONS_VAR] = json.dumps(options)


def tcp_listener(host: str, port: int) -> socket.socket:
    """A bound TCP socket whose `proto` says TCP, for the worker processes to share.

    Why not uvicorn's own: it creates the socket with proto 0, accepted connections inherit it,
    and asyncio then does not set TCP_NODELAY on them, so every keep-alive response waits for a
    delayed ACK, about 40 ms (uvicorn issue #3149).
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


def run_workers(model: Any, options: dict[str, Any], workers: int, host: str, port: int,
                log_level: str, guards: dict[str, Any] | None = None) -> None:
    """Run `workers` uvicorn processes on one listening socket until interrupted."""
    import logging

    from uvicorn.supervisors import Multiprocess

    from .connection_guard import GuardedConfig
    from .served_model import FileWatcher, Snapshots, first_snapshot, publish

    if not getattr(model, "path", None):
        export_for_workers(model, options, None)  # raises the error that says why
    snapshots = watcher = None
    if options.get("snapshot", True):
        snapshots = Snapshots(model.path, options.get("snapshot_dir"))
        checked, path, state = first_snapshot(snapshots)
        del checked  # verified here; each worker maps the copy itself
        publish(snapshots.folder, path)

        def on_model(new_model: Any, snapshot: Path) -> None:
            publish(snapshots.folder, snapshot)
            snapshots.remove_all_but(snapshot)  # workers that mapped an older copy keep it until they let go

        watcher = FileWatcher(snapshots, state, options.get("watch_interval", 1.0), on_model)
    try:
        export_for_workers(model, options, snapshots.folder if snapshots else None)
        config = GuardedConfig("next_token.server.workers:app_from_environment", factory=True,
                               workers=workers, host=host, port=port, log_level=log_level,
                               timeout_graceful_shutdown=5, **(guards or {}))
        sock = tcp_listener(host, port)
        logging.getLogger("uvicorn.error").info(
            "serving on http://%s:%d with %d worker processes (Ctrl+C to stop)", host, sock.getsockname()[1], workers)
        if watcher is not None:
            watcher.start()
        try:
            Multiprocess(config, sockets=[sock]).run()
        finally:
            sock.close()
    finally:
        if watcher is not None:
            watcher.stop()
        if snapshots is not None:
            snapshots.close()


def app_from_environment():
    """The app factory each worker process calls (uvicorn --factory)."""
    from ..language_model import LanguageModel
    from .app import create_app
    from .served_model import POINTER, FileState, ServedModel, SnapshotFollower, published

    options = json.loads(os.environ.get(OPTIONS_VAR, "{}"))
    if isinstance(options.get("limits"), dict):
        options["limits"] = Limits(**options["limits"])
    folder = os.environ.get(SNAPSHOTS_VAR)
    if not folder:
        return _tuned(create_app(LanguageModel.load(os.environ[MODEL_VAR]), **{**options, "snapshot": False}))
    for _ in range(50):  # the supervisor may be repointing this very moment
        state = FileState.of(Path(folder) / POINTER)  # read before the pointer: a change after it is seen
        try:
            model = LanguageModel.load(published(folder))
            break
        except (FileNotFoundError, OSError):
            import time

            time.sleep(0.1)
    else:
        model = LanguageModel.load(published(folder))
    served = ServedModel(model, os.environ.get(NAME_VAR))
    served.watchers.append(SnapshotFollower(folder, served, options.get("watch_interval", 1.0), state))
    return _tuned(create_app(served, **options))


def _tuned(app):
    from .process import tune_server_process

    tune_server_process()  # this worker process serves and nothing else (process.py)
    return app
