"""The HTTP face: a JSON API, an OpenAI-compatible endpoint and a web autocomplete page.

    from next_token.language_model import LanguageModel
    from next_token.server import create_app, serve

    serve(LanguageModel.load("books.ntp"), host="127.0.0.1", port=8000)   # blocks, like `ntp serve`
    app = create_app(model)                                               # for any ASGI server

FastAPI and uvicorn are imported only when used, so `import next_token.server` costs nothing
for those who installed the library without the [serve] extra.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fastapi import FastAPI

__all__ = ["create_app", "serve", "running_server"]


def create_app(model: Any, **options: Any) -> "FastAPI":
    """The FastAPI app serving `model`; options: limits, model_threads, model_id, api_keys,
    cors_origins, snapshot, watch_interval, snapshot_dir (see app.create_app)."""
    from .app import create_app as _create_app

    return _create_app(model, **options)


def serve(model: Any, host: str = "127.0.0.1", port: int = 8000, *, workers: int = 1,
          log_level: str = "info", **options: Any) -> None:
    """Serve `model` (a LanguageModel, or the path of a model file) over HTTP until interrupted
    (Ctrl-C). Blocks.

    A model loaded from a file is served from a private copy of the file, and reloaded when the
    file is replaced, even overwritten in place (served_model.py).
    workers=1: one process, one event loop, model calls in small thread pools (runner.py).
    workers=N: N processes (uvicorn's supervisor), each mapping the same private copy of the
    model's file: the processes share one copy of it in the page cache, and the model code runs
    on N cores instead of behind one GIL. Needs a model loaded from a file.
    options: limits, model_threads, model_id, api_keys, cors_origins, snapshot, watch_interval,
    snapshot_dir (see app.create_app). The limits' connection settings (header_timeout,
    max_header_bytes, max_pending_connections) go to uvicorn (connection_guard.py).
    """
    from ..arguments import check_int
    from ..errors import InputError

    try:
        import fastapi  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise InputError(f"serving needs the [serve] extra ({exc}): "
                         "pip install 'next-token-prediction[serve]'") from exc
    workers = check_int(workers, "workers")
    if isinstance(model, (str, os.PathLike)):
        from ..language_model import LanguageModel

        model = LanguageModel.load(model)
    from .connection_guard import GuardedConfig
    from .process import raise_open_file_limit, tune_server_process
    from .schemas import Limits

    guards = connection_settings(options.get("limits") or Limits())
    if workers == 1:
        import uvicorn

        app = create_app(model, **options)
        tune_server_process()  # open files, the garbage collector (process.py)
        config = GuardedConfig(app, host=host, port=port, log_level=log_level, timeout_graceful_shutdown=5, **guards)
        uvicorn.Server(config).run()
        return

    from .workers import run_workers

    raise_open_file_limit()  # the workers inherit it; each tunes the rest itself
    run_workers(model, options, workers, host, port, log_level, guards)


def connection_settings(limits) -> dict[str, Any]:
    """What of the limits uvicorn enforces, as GuardedConfig's arguments."""
    return {"header_timeout": limits.header_timeout, "max_header_bytes": limits.max_header_bytes,
            "max_pending_connections": limits.max_pending_connections}


def running_server(model_or_app: Any, host: str = "127.0.0.1", port: int = 0, **options: Any):
    """A context manager running the server in a background thread; yields its base URL.

    For tests, notebooks and benchmarks: `with running_server(model) as url: ...`. port=0 picks a
    free port. options: those of create_app.
    """
    from .background import running_server as _running_server

    return _running_server(model_or_app, host=host, port=port, **options)
