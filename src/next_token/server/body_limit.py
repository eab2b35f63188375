"""Refuse request bodies over a size limit, or slower to come than a time limit, before anything
parses them.

A pure ASGI middleware (not Starlette's BaseHTTPMiddleware, which would buffer streaming
responses): it reads the body itself, at most `max_bytes` of it, answers 413 when there is more,
408 when the whole body has not arrived `timeout` seconds after the head (a client trickling
its body would otherwise hold the request open forever), and otherwise replays the body to the
app. After the replay it hands `receive` back to the real channel, so the app still hears
`http.disconnect` (streaming responses depend on that).
"""

from __future__ import annotations

import json

import anyio

from .http_errors import error_body


class BodySizeLimit:
    def __init__(self, app, max_bytes: int, timeout: float | None = None):
        self.app = app
        self.max_bytes = max_bytes
        self.timeout = timeout

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await self._too_large(send)
            return

        chunks: list[bytes] = []
        size = 0
        with anyio.move_on_after(self.timeout) as timer:  # None: no limit
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return  # the client left before sending its request
                body = message.get("body", b"")
                size += len(body)
                if size > self.max_bytes:
                    await self._too_large(send)
                    return
                chunks.append(body)
                if not message.get("more_body", False):
                    break
        if timer.cancelled_caught:
            await self._refuse(send, 408, f"the request body did not arrive within {self.timeout:g} s "
                               "(limits.body_timeout)", "timeout")
            return

        replayed = False

        async def replay():
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _too_large(self, send) -> None:
        await self._refuse(send, 413, f"the request body is over this server's limit of {self.max_bytes} bytes",
                           "limit_exceeded")

    async def _refuse(self, send, status: int, message: str, code: str) -> None:
        body = json.dumps(error_body(message, code=code)).encode()
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode()),
                                (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})


def _content_length(scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
