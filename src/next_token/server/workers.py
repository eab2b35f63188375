"""Several server processes over one memory-mapped model file (`serve(model, workers=N)`).

uvicorn starts worker processes by importing an app factory by name, so what the app needs is
passed through the environment, which the workers inherit: the model file's path and the
create_app options as JSON. Each worker memory-maps the same file; the operating system keeps
one copy of its pages for all of them.
"""

from __future__ import annotations

import json
import os
import socket
from dataclasses import asdict
from typing import Any

from ..errors import InputError
from .schemas import Limits

MODEL_VAR = "NTP_SERVE_MODEL"
OPTIONS_VAR = "NTP_SERVE_OPTIONS"


def export_for_workers(model: Any, options: dict[str, Any]) -> None:
    path = getattr(model, "path", None)
    if not path or not os.path.exists(path):
        raise InputError("workers > 1 needs a model loaded from a file (save it, then "
                         "LanguageModel.load(path) or `ntp serve -m FILE`): each worker reopens the file")
    options = dict(options)
    if isinstance(options.get("limits"), Limits):
        options["limits"] = asdict(options["limits"])
    os.environ[MODEL_VAR] = os.path.abspath(path)
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
                log_level: str) -> None:
    """Run `workers` uvicorn processes on one listening socket until interrupted."""
    import logging

    import uvicorn
    from uvicorn.supervisors import Multiprocess

    export_for_workers(model, options)
    config = uvicorn.Config("next_token.server.workers:app_from_environment", factory=True,
                            workers=workers, host=host, port=port, log_level=log_level,
                            timeout_graceful_shutdown=5)
    sock = tcp_listener(host, port)
    logging.getLogger("uvicorn.error").info(
        "serving on http://%s:%d with %d worker processes (Ctrl+C to stop)", host, sock.getsockname()[1], workers)
    try:
        Multiprocess(config, sockets=[sock]).run()
    finally:
        sock.close()


def app_from_environment():
    """The app factory each worker process calls (uvicorn --factory)."""
    from ..language_model import LanguageModel
    from .app import create_app

    options = json.loads(os.environ.get(OPTIONS_VAR, "{}"))
    if isinstance(options.get("limits"), dict):
        options["limits"] = Limits(**options["limits"])
    return create_app(LanguageModel.load(os.environ[MODEL_VAR]), **options)
