"""Every error the server sends has one JSON shape, OpenAI's: {"error": {message, type, param, code}}.

Using OpenAI's shape everywhere (not only under /v1) means one client-side error path, and OpenAI
clients turn our 4xx into their usual typed exceptions (BadRequestError, NotFoundError, ...).

What maps to what:
  invalid JSON, wrong types, unknown fields, values over a limit  -> 400 invalid_request_error
  `InputError` raised by the model (empty prompt, k <= 0, ...)    -> 400 invalid_request_error
  a body over limits.max_body_bytes                                -> 413 (see body_limit.py)
  a body not sent within limits.body_timeout                       -> 408 (see body_limit.py)
  no or a wrong API key (when the server has keys)                 -> 401 (see api_keys.py)
  the model's queue full, or full until the deadline               -> 503 + Retry-After (budget.py)
  model work past limits.request_timeout                           -> 504 deadline_exceeded (budget.py)
  unknown path / method                                            -> 404 / 405
  any other exception                                              -> 500 server_error (logged)
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..errors import NtpError

log = logging.getLogger("next_token.server")


class ApiError(Exception):
    """An error to send to the client as it is."""

    def __init__(self, status: int, message: str, param: str | None = None,
                 type: str = "invalid_request_error", code: str | None = None,
                 headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.message, self.param, self.type, self.code = status, message, param, type, code
        self.headers = headers or {}

    def body(self) -> dict:
        return error_body(self.message, self.type, self.param, self.code)


def error_body(message: str, type: str = "invalid_request_error", param: str | None = None,
               code: str | None = None) -> dict:
    return {"error": {"message": message, "type": type, "param": param, "code": code}}


def stream_error(exc: BaseException) -> dict:
    """The error object sent in-band when a stream fails after its status line went out: the
    same as the status-code path would send (an unexpected error is logged, not described)."""
    if isinstance(exc, ApiError):
        return exc.body()
    if isinstance(exc, NtpError):
        return error_body(str(exc) or type(exc).__name__)
    log.error("unexpected error in a stream", exc_info=exc)
    return error_body("internal server error", "server_error")


def error_response(status: int, message: str, type: str = "invalid_request_error",
                   param: str | None = None, code: str | None = None) -> JSONResponse:
    return JSONResponse(error_body(message, type, param, code), status_code=status)


def check_max(param: str, value: int | None, maximum: int) -> None:
    """Refuse a numeric argument over the server's limit."""
    if value is not None and value > maximum:
        raise ApiError(400, f"{param} must be at most {maximum} on this server (got {value})", param,
                       code="limit_exceeded")


def check_text(param: str, value: str | None, max_chars: int) -> None:
    """Refuse a string over the server's limit, or one that is not valid Unicode text.

    JSON allows lone surrogates ("\\ud800"); they decode to a Python str that cannot be encoded
    as UTF-8, so they are refused here rather than failing deep inside a tokenizer.
    """
    if value is None:
        return
    if len(value) > max_chars:
        raise ApiError(400, f"{param} is {len(value)} characters; this server accepts at most {max_chars}",
                       param, code="limit_exceeded")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ApiError(400, f"{param} is not valid Unicode text (lone surrogate)", param) from None


def _describe_validation(exc: RequestValidationError, content_type: str) -> tuple[str, str | None]:
    errors = exc.errors()
    if not errors:
        return "invalid request", None
    first = errors[0]
    if first.get("type") == "json_invalid":
        reason = (first.get("ctx") or {}).get("error", "")
        return f"the request body is not valid JSON{': ' + reason if reason else ''}", None
    # loc looks like ("body", "k") or ("body",) or ("query", "x")
    loc = [str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path")]
    param = ".".join(loc) or None
    msg = first.get("msg", "invalid value")
    if param is None and first.get("type") in ("missing", "model_attributes_type", "dict_type"):
        msg = "the request body must be a JSON object"
        if "json" not in content_type:
            msg += " sent with Content-Type: application/json"
    text = f"{param}: {msg}" if param else msg
    if len(errors) > 1:
        text += f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})"
    return text, param


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(exc.body(), status_code=exc.status, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        message, param = _describe_validation(exc, request.headers.get("content-type", ""))
        return error_response(400, message, param=param)

    @app.exception_handler(NtpError)
    async def _ntp_error(request: Request, exc: NtpError) -> JSONResponse:
        # InputError and the other typed errors are the caller's problem by construction.
        return error_response(400, str(exc) or type(exc).__name__)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        kind = "not_found_error" if exc.status_code == 404 else "invalid_request_error"
        message = str(exc.detail)
        if exc.status_code == 400 and "parsing the body" in message:
            # FastAPI's words for a body that is not UTF-8 (json.loads gets bytes it cannot decode)
            message = "the request body could not be parsed: send a JSON object encoded as UTF-8"
        return JSONResponse(error_body(message, kind), status_code=exc.status_code,
                            headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error serving %s %s", request.method, request.url.path)
        return error_response(500, "internal server error", type="server_error")
