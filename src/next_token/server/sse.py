"""Server-sent events: the wire format, and a streaming response that always cleans up.

An SSE stream is lines of text: `event: <name>` (optional) and `data: <payload>`, ended by a blank
line. Browsers read it with EventSource or fetch(); OpenAI clients read `data: {json}` chunks
ended by `data: [DONE]`.
"""

from __future__ import annotations

import json
from typing import Any, AsyncIterator, TypeVar

from starlette.responses import StreamingResponse

T = TypeVar("T")

SSE_HEADERS = {
    "Cache-Control": "no-cache",
    "X-Accel-Buffering": "no",  # tell reverse proxies (nginx) not to buffer the stream
}


def event(data: Any, name: str | None = None) -> bytes:
    """One SSE event; `data` is sent as JSON unless it is already a string."""
    payload = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
    head = f"event: {name}\n" if name else ""
    # a payload never contains a newline here (json.dumps escapes them), so one data line suffices
    return f"{head}data: {payload}\n\n".encode("utf-8")


class ClosingStreamingResponse(StreamingResponse):
    """A StreamingResponse that closes its body iterator however the response ends.

    Starlette stops iterating when the client disconnects, but leaves an async generator that was
    suspended at `yield` for the garbage collector to close, whenever that happens. Closing it
    here runs its `finally` blocks at once, which close the model's own iterator.
    """

    def __init__(self, content: AsyncIterator[bytes], **kwargs: Any):
        kwargs.setdefault("media_type", "text/event-stream")
        headers = {**SSE_HEADERS, **(kwargs.pop("headers", None) or {})}
        super().__init__(content, headers=headers, **kwargs)

    async def __call__(self, scope, receive, send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            aclose = getattr(self.body_iterator, "aclose", None)
            if aclose is not None:
                await aclose()


class Prefetched(AsyncIterator[T]):
    """An async iterator whose first item has already been computed.

    Why: a model rejects bad arguments (an `InputError`) when its generator first runs, which is
    after the 200 status line of a streaming response would already be sent. Fetching the first
    piece before answering turns those errors into a proper 4xx.
    """

    _EMPTY = object()

    def __init__(self, source: AsyncIterator[T]):
        self._source = source
        self._first: Any = self._EMPTY

    @classmethod
    async def start(cls, source: AsyncIterator[T]) -> "Prefetched[T]":
        self = cls(source)
        try:
            self._first = await source.__anext__()
        except StopAsyncIteration:
            self._exhausted = True
        except BaseException:
            await source.aclose()  # type: ignore[attr-defined]
            raise
        return self

    _exhausted = False

    def __aiter__(self) -> "Prefetched[T]":
        return self

    async def __anext__(self) -> T:
        if self._first is not self._EMPTY:
            first, self._first = self._first, self._EMPTY
            return first
        if self._exhausted:
            raise StopAsyncIteration
        return await self._source.__anext__()

    async def aclose(self) -> None:
        await self._source.aclose()  # type: ignore[attr-defined]
