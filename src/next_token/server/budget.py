"""What one request may spend: a deadline, and the model's time only while its client is there.

Every request to the model's routes (/api/..., /v1/...) gets a `RequestBudget` when it arrives:
a deadline `limits.request_timeout` seconds away, and a flag raised when its client disconnects.
The budget lives in a context variable, so everything the request runs sees it without passing
it along: the runner refuses to start model work past the deadline (runner.py), and the model
loops of the routes call `checkpoint()` between tokens, which ends the work in its thread at
the next token once the time is up or the client has gone. Asyncio copies context variables into
the worker threads that anyio starts, so a checkpoint in a thread reads its own request's budget.

How a request ends when its budget runs out:
- before any model work started (it waited in the queue the whole time): 503, Retry-After;
- while the model worked: 504 `deadline_exceeded`, with `x-should-retry: false` so that OpenAI's
  clients do not send the same too-large request again;
- mid-stream: an error event in the stream (the status line is long sent), then the stream ends;
- its client left: the work stops at the next checkpoint, nothing is sent.

`RequestBudgets` (an ASGI middleware) creates the budgets and watches for disconnects. uvicorn
does not cancel a request whose client left; Starlette notices only for streaming responses. So
the middleware listens for `http.disconnect` itself once the request's long work begins, and
then both raises the flag (stopping work running in a thread) and cancels the request (taking
it out of the queue if it was waiting). A hard stop `HARD_STOP_GRACE` seconds after the deadline
ends whatever is left, such as a stream whose client stopped reading.
"""

from __future__ import annotations

import asyncio
import json
import time
from contextvars import ContextVar

import anyio

from .http_errors import ApiError, error_body

HARD_STOP_GRACE = 2.0  # seconds after the deadline before the middleware cancels the request outright

_CURRENT: ContextVar["RequestBudget | None"] = ContextVar("ntp_request_budget", default=None)


class DeadlineExceeded(ApiError):
    """The request's model work ran past its deadline (504)."""

    def __init__(self, timeout: float):
        super().__init__(
            504, f"the request took longer than this server's limit of {timeout:g} s (limits.request_timeout); "
            "ask for less: fewer or shorter choices, fewer logprobs, a shorter prompt",
            type="timeout_error", code="deadline_exceeded", headers={"x-should-retry": "false"})


class ServerBusy(ApiError):
    """No model thread is free and the queue is full, or stayed full until the deadline (503)."""

    def __init__(self, why: str, retry_after: int = 1):
        super().__init__(503, f"the server is busy: {why}; retry in {retry_after} s", type="server_error",
                         code="server_busy", headers={"Retry-After": str(retry_after)})


class ClientLeft(ApiError):
    """The client disconnected: the work stops and nothing is sent (499, nginx's code, never seen)."""

    def __init__(self):
        super().__init__(499, "the client closed the connection", type="client_closed_request")


class RequestBudget:
    """The deadline of one request and whether its client is still there."""

    __slots__ = ("timeout", "deadline", "client_left", "admitted", "started", "attained", "on_long_work")

    def __init__(self, timeout: float):
        self.timeout = timeout
        self.deadline = time.monotonic() + timeout
        self.client_left = False
        self.admitted: set[str] = set()  # the runner's lanes whose queue this request passed
        self.started = False  # some model work of this request has run
        self.attained = 0.0  # seconds of model threads it has had (its place in the queue: turns.py)
        self.on_long_work = None  # starts watching for the client leaving (RequestBudgets)

    def watch(self) -> None:
        """Long work is about to start: watch for the client leaving (once)."""
        if self.on_long_work is not None:
            start, self.on_long_work = self.on_long_work, None
            start()

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def check(self) -> None:
        """Raise if the client left or the deadline passed."""
        if self.client_left:
            raise ClientLeft()
        if time.monotonic() > self.deadline:
            raise self.expired()

    def expired(self) -> ApiError:
        if self.started:
            return DeadlineExceeded(self.timeout)
        return ServerBusy(f"the request waited {self.timeout:g} s (limits.request_timeout) for the model")


def current_budget() -> RequestBudget | None:
    """The budget of the request being served here; None outside a request (a direct call)."""
    return _CURRENT.get()


def checkpoint() -> None:
    """End this request's model work if its time is up or its client left (cheap: call it per token).

    Outside a request it does nothing, so the model loops of the routes stay plain functions.
    """
    budget = _CURRENT.get()
    if budget is not None:
        budget.check()


class RequestBudgets:
    """ASGI middleware: a budget for each request under `prefixes`, disconnects noticed, a hard stop.

    The disconnect watcher starts with the request's first long model call (`RequestBudget.watch`,
    from runner.py): the body is read by then, and a prediction, which never makes one, costs no
    task. All this costs a request about 10 us; an anyio task group per request cost 108 us, a
    third of a prediction's time in the server.
    """

    def __init__(self, app, timeout: float, prefixes: tuple[str, ...] = ("/api/", "/v1/")):
        self.app = app
        self.timeout = timeout
        self.prefixes = prefixes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not scope["path"].startswith(self.prefixes):
            await self.app(scope, receive, send)
            return
        budget = RequestBudget(self.timeout)
        token = _CURRENT.set(budget)
        response = {"started": False, "done": False}
        stop = anyio.CancelScope()  # cancelled by the hard stop's timer, or when the client leaves
        loop = asyncio.get_running_loop()
        timer = loop.call_later(self.timeout + HARD_STOP_GRACE, stop.cancel)
        watcher: asyncio.Task | None = None

        async def tracked_send(message):
            if message["type"] == "http.response.start":
                response["started"] = True
            elif message["type"] == "http.response.body" and not message.get("more_body", False):
                response["done"] = True
            await send(message)

        async def watch_for_disconnect():
            while (await receive())["type"] != "http.disconnect":
                pass
            if not response["done"]:  # uvicorn also says "disconnect" once the response is complete
                budget.client_left = True
                stop.cancel()

        def start_watching():
            nonlocal watcher
            watcher = loop.create_task(watch_for_disconnect())

        budget.on_long_work = start_watching
        try:
            with stop:
                await self.app(scope, receive, tracked_send)
            if stop.cancelled_caught and not response["started"] and not budget.client_left:
                await _send_json(send, budget.expired())  # the hard stop: nothing was sent yet
        finally:
            timer.cancel()
            if watcher is not None:
                watcher.cancel()
            _CURRENT.reset(token)


async def _send_json(send, error: ApiError) -> None:
    body = json.dumps(error_body(error.message, error.type, error.param, error.code)).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    headers += [(k.lower().encode(), v.encode()) for k, v in error.headers.items()]
    await send({"type": "http.response.start", "status": error.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
