"""Run the server in a background thread of this process: for tests, notebooks and benchmarks.

uvicorn is started on an already-bound socket, so port=0 gives a free port without a race, and
the URL is known before the first request. The connection guards and the app's lifespan (the
model file's watcher) are the same as `serve`'s.
"""

from __future__ import annotations

import socket
import threading
import time
from contextlib import contextmanager
from typing import Any, Iterator

import uvicorn
from fastapi import FastAPI


@contextmanager
def running_server(model_or_app: Any, host: str = "127.0.0.1", port: int = 0, *, http: str = "auto",
                   **options: Any) -> Iterator[str]:
    """Serve a model (or a ready app) on host:port until the block ends; yields "http://host:port".

    http: uvicorn's HTTP parser, "auto" (httptools when installed), "h11" or "httptools".
    """
    from . import connection_settings
    from .connection_guard import GuardedConfig

    if isinstance(model_or_app, FastAPI):
        app = model_or_app
    else:
        from .app import create_app

        app = create_app(model_or_app, **options)
    limits = getattr(app.state, "limits", None)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    bound_port = sock.getsockname()[1]
    guards = connection_settings(limits) if limits is not None else {}
    config = GuardedConfig(app, log_level="warning", timeout_graceful_shutdown=2, http=http, **guards)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True,
                              name=f"ntp-server-{bound_port}")
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("the server thread stopped before it started")
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not start within 10 s")
            time.sleep(0.01)
        yield f"http://{host}:{bound_port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
