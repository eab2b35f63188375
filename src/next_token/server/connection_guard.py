"""Connections that never finish their request head cannot tie the server up (slowloris).

uvicorn closes a keep-alive connection that stays idle, but a connection that sends part of a
request head and then nothing (or a byte now and then) is held for as long as the client likes,
and so is a new connection that sends nothing at all. 2,000 of those held a server's sockets for
as long as the attack lasted; at the common limit of 1024 open files, new clients were locked out.
Three rules close that:

- a request head (request line and headers) must arrive within `header_timeout` seconds of the
  connection opening or of the previous response; then the connection gets a 408 and is closed;
- a head may be at most `max_header_bytes` long (431 beyond; uvicorn's fast parser has no cap);
- at most `max_pending_connections` connections may be waiting for their head at once: one more
  closes the one that has waited longest. A real client sends its head at once and is never the
  oldest; an attacker's connections push out each other. The limit is kept below a quarter of
  the process's open-file limit, which `serve` first raises to its hard maximum (process.py).

A body that is slow to come is the body's concern (body_limit.py, `body_timeout`).

These are uvicorn protocol classes (a mixin over its h11 and httptools protocols) chosen through
`GuardedConfig`, a uvicorn.Config that carries the three settings.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol


def _closing_response(status: str, message: str) -> bytes:
    body = message.encode()
    return (f"HTTP/1.1 {status}\r\ncontent-type: text/plain; charset=utf-8\r\n"
            f"content-length: {len(body)}\r\nconnection: close\r\n\r\n").encode() + body


REQUEST_TIMEOUT_408 = _closing_response("408 Request Timeout", "the request head did not arrive in time")
HEAD_TOO_LARGE_431 = _closing_response("431 Request Header Fields Too Large", "the request head is too long")


def open_file_limit() -> int:
    """This process's soft limit of open files."""
    try:
        import resource
    except ImportError:  # pragma: no cover - not on POSIX
        return 1024
    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    return 1 << 20 if soft == resource.RLIM_INFINITY else soft


class HeadGuard:
    """Mixin for a uvicorn HTTP protocol: the head's deadline and size, and the pending cap."""

    _head_timer: Any = None
    _head_bytes = 0

    # settings, from the config (GuardedConfig); uvicorn passes the config to every protocol
    def _settings(self) -> tuple[float, int, int]:
        config = self.config  # type: ignore[attr-defined]
        return (getattr(config, "header_timeout", 10.0), getattr(config, "max_header_bytes", 65536),
                getattr(config, "max_pending_connections", 1000))

    def _pending(self) -> "OrderedDict[HeadGuard, None]":
        state = self.server_state  # type: ignore[attr-defined]
        pending = getattr(state, "ntp_waiting_for_head", None)
        if pending is None:
            pending = state.ntp_waiting_for_head = OrderedDict()
        return pending

    def _arm(self) -> None:
        """Start waiting for a request head."""
        self._disarm()
        timeout, _, max_pending = self._settings()
        self._head_bytes = 0
        self._head_timer = self.loop.call_later(timeout, self._head_timed_out)  # type: ignore[attr-defined]
        pending = self._pending()
        pending[self] = None
        while len(pending) > max_pending:
            oldest, _ = pending.popitem(last=False)
            oldest._evict()

    def _disarm(self) -> None:
        """A head arrived (or the connection ended): stop waiting."""
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None
            self._pending().pop(self, None)

    def _serving(self) -> bool:
        cycle = getattr(self, "cycle", None)
        return cycle is not None and not cycle.response_complete

    def _head_timed_out(self) -> None:
        self._head_timer = None
        self._pending().pop(self, None)
        transport = self.transport  # type: ignore[attr-defined]
        if transport.is_closing() or self._serving():
            return  # a request (pipelined after the last response) is being served
        if self._head_bytes:
            transport.write(REQUEST_TIMEOUT_408)
        transport.close()

    def _evict(self) -> None:
        self._disarm()
        transport = self.transport  # type: ignore[attr-defined]
        if not transport.is_closing() and not self._serving():
            transport.close()

    # ---- the protocol's events -------------------------------------------------------------

    def connection_made(self, transport) -> None:
        super().connection_made(transport)  # type: ignore[misc]
        self._arm()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)  # type: ignore[misc]
        if self._head_timer is not None and not self._serving():  # the head is still incomplete
            self._head_bytes += len(data)
            if self._head_bytes > self._settings()[1]:
                self._disarm()
                transport = self.transport  # type: ignore[attr-defined]
                if not transport.is_closing():
                    transport.write(HEAD_TOO_LARGE_431)
                    transport.close()

    def on_response_complete(self) -> None:
        if not self.transport.is_closing():  # type: ignore[attr-defined]
            self._arm()  # the next head has `header_timeout` to come (keep-alive idles end sooner)
        super().on_response_complete()  # type: ignore[misc]

    def connection_lost(self, exc) -> None:
        self._disarm()
        super().connection_lost(exc)  # type: ignore[misc]


class GuardedH11Protocol(HeadGuard, H11Protocol):
    def handle_events(self) -> None:
        super().handle_events()
        if self.conn.their_state is not h11.IDLE:
            self._disarm()  # h11 has parsed a request line and headers


try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    class GuardedHttpToolsProtocol(HeadGuard, HttpToolsProtocol):
        def on_headers_complete(self) -> None:
            self._disarm()
            super().on_headers_complete()

except ImportError:  # httptools is optional (uvicorn[standard])
    GuardedHttpToolsProtocol = None  # type: ignore[assignment,misc]


class GuardedConfig(uvicorn.Config):
    """uvicorn's Config with the head's deadline and size and the cap on pending connections."""

    def __init__(self, app: Any, *, header_timeout: float = 10.0, max_header_bytes: int = 65536,
                 max_pending_connections: int = 1000, **kwargs: Any):
        http = kwargs.pop("http", "auto")
        if http == "auto":
            http = GuardedHttpToolsProtocol or GuardedH11Protocol
        elif http == "h11":
            http = GuardedH11Protocol
        elif http == "httptools" and GuardedHttpToolsProtocol is not None:
            http = GuardedHttpToolsProtocol
        super().__init__(app, http=http, **kwargs)
        self.header_timeout = header_timeout
        self.max_header_bytes = max_header_bytes
        self.max_pending_connections = max(8, min(max_pending_connections, open_file_limit() // 4))
