"""Optional API keys: `ntp serve --api-key KEY` (several allowed; or NTP_API_KEY="KEY1 KEY2").

A request must then carry `Authorization: Bearer KEY`, which is how OpenAI's clients send their
`api_key`; without it, or with a key the server does not have, it gets a 401 in OpenAI's shape
(code "invalid_api_key"), which those clients raise as AuthenticationError.

What stays open, and why:
- GET /health: for load balancers and process monitors, which carry no key; it says only that the
  server is up and how busy it is.
- the page (/) and its static files (/static/..., /web/...): they hold no data; the page asks for the key
  when the API answers 401 and keeps it for the browser tab (sessionStorage).
- /docs and /openapi.json: the API's description, the same for every server.
Everything else (the model's routes under /api and /v1) needs a key. Keys are compared in
constant time. CORS preflights (OPTIONS) are answered before this check by the CORS middleware,
as browsers send them without credentials.
"""

from __future__ import annotations

import hmac
import json
from typing import Iterable

from .http_errors import error_body

OPEN_PATHS = frozenset({"/", "/health", "/docs", "/docs/oauth2-redirect", "/openapi.json", "/favicon.ico"})
OPEN_PREFIXES = ("/static/", "/web/")  # /web: the page's front end (web/static/)


def clean_keys(keys: Iterable[str] | str | None) -> list[str]:
    """The keys as a list: one string may hold several separated by spaces or commas."""
    if keys is None:
        return []
    if isinstance(keys, str):
        keys = [keys]
    out = []
    for k in keys:
        out += [part for part in k.replace(",", " ").split() if part]
    return out


class ApiKeys:
    """ASGI middleware: refuse requests to protected paths without one of `keys` as a Bearer token."""

    def __init__(self, app, keys: Iterable[str]):
        self.app = app
        self.keys = [k.encode() for k in clean_keys(list(keys))]
        if not self.keys:
            raise ValueError("ApiKeys needs at least one key")

    def is_open(self, path: str) -> bool:
        return path in OPEN_PATHS or path.startswith(OPEN_PREFIXES)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or self.is_open(scope["path"]):
            await self.app(scope, receive, send)
            return
        given = _bearer(scope)
        if given is not None and any(hmac.compare_digest(given, key) for key in self.keys):
            await self.app(scope, receive, send)
            return
        if given is None:
            message = ("this server needs an API key: send it as 'Authorization: Bearer KEY' "
                       "(OpenAI clients: api_key=KEY)")
        else:
            message = "the API key is not one this server accepts"
        body = json.dumps(error_body(message, code="invalid_api_key")).encode()
        await send({"type": "http.response.start", "status": 401,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode()),
                                (b"www-authenticate", b'Bearer realm="next-token-prediction"')]})
        await send({"type": "http.response.body", "body": body})


def _bearer(scope) -> bytes | None:
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            scheme, _, token = value.partition(b" ")
            if scheme.lower() == b"bearer" and token.strip():
                return token.strip()
            return None
    return None
