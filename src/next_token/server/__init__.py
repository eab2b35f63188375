"""The HTTP face: a JSON API, an OpenAI-compatible endpoint and a web autocomplete page.

    from next_token.language_model import LanguageModel
    from next_token.server import create_app, serve

    serve(LanguageModel.load("books.ntp"), host="127.0.0.1", port=8000)   # blocks, like `ntp serve`
    app = create_app(model)                                               # for any ASGI server

FastAPI and uvicorn are imported only when used, so `import next_token.server` costs nothing
for those who installed the library without the [serve] extra.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fastapi import FastAPI

__all__ = ["create_app", "serve", "running_server"]


def create_app(model: Any, **options: Any) -> "FastAPI":
    """The FastAPI app serving `model`; options: limits, model_threads, model_id (see app.py)."""
    from .app import create_app as _create_app

    return _create_app(model, **options)


def serve(model: Any, host: str = "127.0.0.1", port: int = 8000, *, workers: int = 1,
          log_level: str = "info", **options: Any) -> None:
    """Serve `model` over HTTP until interrupted (Ctrl-C). Blocks.

    workers=1: one process, one event loop, model calls in a small thread pool (runner.py).
    workers=N: N processes (uvicorn's supervisor), each loading the model from its file: the
    model's arrays are memory-mapped, so the processes share one copy in the page cache, and the
    model code runs on N cores instead of behind one GIL. Needs a model loaded from a file
    (LanguageModel.load), whose path the workers reopen.
    options: limits, model_threads, model_id (see app.create_app).
    """
    from ..arguments import check_int
    from ..errors import InputError

    try:
        import fastapi  # noqa: F401
        import uvicorn
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise InputError(f"serving needs the [serve] extra ({exc}): "
                         "pip install 'next-token-prediction[serve]'") from exc
    workers = check_int(workers, "workers")
    if workers == 1:
        app = create_app(model, **options)
        uvicorn.run(app, host=host, port=port, log_level=log_level, timeout_graceful_shutdown=5)
        return

    from .workers import run_workers

    run_workers(model, options, workers, host, port, log_level)


def running_server(model_or_app: Any, host: str = "127.0.0.1", port: int = 0, **options: Any):
    """A context manager running the server in a background thread; yields its base URL.

    For tests, notebooks and benchmarks: `with running_server(model) as url: ...`. port=0 picks a
    free port.
    """
    from .background import running_server as _running_server

    return _running_server(model_or_app, host=host, port=port, **options)
