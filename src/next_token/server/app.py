"""The FastAPI application: a JSON API over one LanguageModel, the OpenAI-compatible routes and the
web autocomplete page.

    GET  /                  the autocomplete page (web/page.html, shared with `ntp export web`)
    GET  /health            {"status": "ok", "active_streams": n, "queued": {lane: n}}
    GET  /api/info          the model's info() (file names, never paths), its id and the limits
    POST /api/predict       top-k next tokens with probabilities (also GET ?context=...&k=...)
    POST /api/complete      the most probable continuation of a prompt, to the end of its sentence
    POST /api/completions   k alternative continuations with their probabilities
    POST /api/generate      sampled text; {"stream": true} sends it as server-sent events
    POST /api/score         log10 probability and perplexity of a text, token by token
    POST /api/search, /api/similar, /api/analogy, /api/paraphrase, /api/correct, /api/suggest
                            the corpus index, word vectors and spelling (lookup_routes.py)
    POST /v1/completions    OpenAI's completions API (openai_completions.py)
    POST /v1/chat/completions  OpenAI's chat API (openai_chat.py, chat_template.py)
    GET  /v1/models         OpenAI's model list (openai_models.py)
    GET  /docs              the OpenAPI documentation

The app never reaches past the model's public API. A model loaded from a file is served from a
private snapshot of that file and reloaded when the file is replaced (served_model.py); each
request reads the current model once and is answered by it alone.

Around the routes, from the outside in: CORS (only with `cors_origins`), API keys (only with
`api_keys`, api_keys.py), the request's budget (deadline, disconnects: budget.py), the body's size
and time limits (body_limit.py). The connection-level guards are uvicorn's part
(connection_guard.py, set up by `serve` and `running_server`).
"""

from __future__ import annotations

import math
import os
import re
from contextlib import aclosing, asynccontextmanager
from pathlib import Path
from typing import Any, Iterable

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from .. import __version__
from ..language_model import LanguageModel
from ..web.page import page_html
from .api_keys import ApiKeys, clean_keys
from .body_limit import BodySizeLimit
from .budget import RequestBudgets
from .http_errors import ApiError, check_max, check_text, install_error_handlers, stream_error
from .lookup_routes import lookup_router
from .openai_chat import chat_router
from .openai_common import Served
from .openai_completions import completions_router
from .openai_models import models_router
from .runner import PREDICT, ModelRunner
from .schemas import (
    CompleteRequest,
    CompleteResponse,
    CompletionsRequest,
    CompletionsResponse,
    GenerateRequest,
    GenerateResponse,
    HealthResponse,
    InfoResponse,
    Limits,
    PredictRequest,
    PredictResponse,
    ScoreRequest,
    ScoreResponse,
)
from .served_model import ServedModel, serve_snapshot
from .sse import ClosingStreamingResponse, Prefetched, event

STATIC = Path(__file__).parent / "static"
WEB = Path(__file__).parents[1] / "web" / "static"  # the page's front end, shared with `ntp export web`


def finite(x: Any) -> float | None:
    """JSON has no inf or NaN: a non-finite number (log10 of 0, say) is sent as null."""
    x = float(x)
    return x if math.isfinite(x) else None


def default_model_id(model) -> str:
    """The name /v1/models reports when none is given, e.g. "ntp-word-o5"."""
    return f"ntp-{model.tokenizer.name}-o{model.order}"


PATH_KEYS = frozenset({"path", "source", "sources", "files"})
_ABSOLUTE = re.compile(r"^(?:/|~|[A-Za-z]:[\\/]|\\\\)")


def without_paths(value: Any, key: str | None = None) -> Any:
    """`value` with file paths cut to their file names: what the model's info may show the world.

    The model's info holds the path it was loaded from and the paths of its training files; a
    server shows neither where it keeps its files nor the layout of the host. Values under the
    keys that hold paths are cut, and so is any other string that is an absolute path.
    """
    if isinstance(value, dict):
        return {k: without_paths(v, k) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [without_paths(v, key) for v in value]
    if isinstance(value, str) and (key in PATH_KEYS or _ABSOLUTE.match(value)):
        return value.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]
    return value


def public_info(current: ServedModel) -> dict:
    info = dict(current.model.info())
    info["path"] = current.file_name  # the file's name only (the snapshot's path means nothing outside)
    return without_paths(info)


def create_app(model, *, limits: Limits | None = None, model_threads: int | None = None,
               model_id: str | None = None, api_keys: Iterable[str] | str | None = None,
               cors_origins: Iterable[str] | None = None, snapshot: bool = True,
               watch_interval: float = 1.0, snapshot_dir: str | os.PathLike | None = None) -> FastAPI:
    """Build the app serving `model` (a next_token.LanguageModel, already loaded).

    limits: the per-request caps and timeouts; defaults in `Limits`.
    model_threads: how many model calls may run at once per lane (see runner.py); default 1; 0 = inline.
    model_id: the name /v1/models reports; default from the model's info, e.g. "ntp-word-o5".
    api_keys: keys a request must carry as `Authorization: Bearer KEY` (api_keys.py); none: open.
    cors_origins: origins whose pages may call the API from a browser ("https://example.org", or
        "*" for any); none: no CORS headers, browsers allow the page's own origin only.
    snapshot: serve a model loaded from a file from a private copy of it, reloaded when the
        file is replaced (served_model.py; the copy costs about as long as reading the file);
        False serves the mapping as loaded: overwriting that file in place then kills the server.
    watch_interval: seconds between looks at the model file for a replacement; 0: never reload.
    snapshot_dir: where the copies go (default: the temporary directory).
    """
    limits = limits or Limits()
    runner = ModelRunner(model_threads, max_queue=limits.max_queue, max_predict_queue=limits.max_predict_queue)
    if isinstance(model, ServedModel):
        current = model  # already set up (a worker process following its supervisor's snapshots)
    elif snapshot and isinstance(model, LanguageModel) and model.path:
        current = serve_snapshot(model, watch_interval=watch_interval, directory=snapshot_dir)
    else:
        path = getattr(model, "path", None)
        current = ServedModel(model, os.path.basename(path) if path else None)
    model_id = model_id or default_model_id(current.model)
    vocab_size = int(current.model.info().get("vocab_size") or 1)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        current.start()  # the file watcher, if any
        try:
            yield
        finally:
            current.stop()

    app = FastAPI(
        title="next-token-prediction",
        version=__version__,
        description="Next-token prediction, completion, generation and scoring with a count-based "
        "language model; OpenAI-compatible /v1/completions and /v1/chat/completions; a web "
        "autocomplete page at /.",
        lifespan=lifespan,
    )
    app.state.current, app.state.limits, app.state.runner, app.state.model_id = current, limits, runner, model_id
    install_error_handlers(app)
    # added innermost first: each add_middleware wraps everything added before it
    app.add_middleware(BodySizeLimit, max_bytes=limits.max_body_bytes, timeout=limits.body_timeout)
    app.add_middleware(RequestBudgets, timeout=limits.request_timeout)
    keys = clean_keys(api_keys)
    if keys:
        app.add_middleware(ApiKeys, keys=keys)
    origins = list(cors_origins or ())
    if origins:
        from starlette.middleware.cors import CORSMiddleware

        app.add_middleware(CORSMiddleware, allow_origins=origins, allow_methods=["GET", "POST"],
                           allow_headers=["Authorization", "Content-Type"], max_age=600)

    # ---- service -----------------------------------------------------------------------------

    @app.get("/health", response_model=HealthResponse, tags=["service"])
    async def health() -> dict:
        return {"status": "ok", "active_streams": runner.active_streams, "queued": runner.queued()}

    @app.get("/api/info", response_model=InfoResponse, tags=["service"])
    async def get_info() -> dict:
        return {"model_id": model_id, "model": public_info(current), "reloads": current.reloads,
                "limits": limits.as_dict()}

    # ---- model -------------------------------------------------------------------------------

    @app.post("/api/predict", response_model=PredictResponse, tags=["model"])
    async def predict(req: PredictRequest) -> dict:
        """The k likeliest next tokens after `context`, most probable first."""
        return await predict_for(req)

    @app.get("/api/predict", response_model=PredictResponse, tags=["model"])
    async def predict_get(context: str = "", k: int = 10, prefix: str | None = None, typos: bool = True) -> dict:
        """The same as POST, for a quick look from a browser or curl: /api/predict?context=The+old&k=5"""
        if k < 1:
            raise ApiError(400, "k: Input should be greater than or equal to 1", "k")
        return await predict_for(PredictRequest(context=context, k=k, prefix=prefix, typos=typos))

    async def predict_for(req: PredictRequest) -> dict:
        check_text("context", req.context, limits.max_prompt_chars)
        check_max("k", req.k, limits.max_k)
        check_text("prefix", req.prefix, limits.max_prefix_chars)
        model = current.model

        def work() -> list[dict]:
            found = model.predict(req.context, req.k, prefix=req.prefix or None, typos=req.typos)
            texts = model.tokenizer.append_texts(req.context, [p.token for p in found])
            return [{"token": p.token, "probability": float(p.probability), "text": text, "distance": p.distance}
                    for p, text in zip(found, texts)]

        # the prediction lane: a prediction never waits behind generation (runner.py)
        return {"context": req.context, "predictions": await runner.call(work, lane=PREDICT)}

    @app.post("/api/complete", response_model=CompleteResponse, tags=["model"])
    async def complete(req: CompleteRequest) -> dict:
        """The most probable continuation of `prompt` to the end of its sentence (beam search),
        at most max_tokens tokens."""
        check_text("prompt", req.prompt, limits.max_prompt_chars)
        check_max("max_tokens", req.max_tokens, limits.max_tokens)
        model = current.model
        text = await runner.call(model.complete, req.prompt, max_tokens=req.max_tokens)
        return {"prompt": req.prompt, "completion": text}

    @app.post("/api/completions", response_model=CompletionsResponse, tags=["model"])
    async def completions(req: CompletionsRequest) -> dict:
        """k alternative continuations of `prompt`, with their probabilities."""
        check_text("prompt", req.prompt, limits.max_prompt_chars)
        check_max("k", req.k, limits.max_completions)
        check_max("max_tokens", req.max_tokens, limits.max_tokens)
        model = current.model
        found = await runner.call(model.completions, req.prompt, k=req.k, max_tokens=req.max_tokens)
        return {"prompt": req.prompt,
                "completions": [{"text": c.text, "probability": float(c.probability)} for c in found]}

    @app.post("/api/generate", response_model=GenerateResponse, tags=["model"],
              responses={200: {"content": {"text/event-stream": {}},
                               "description": "JSON, or with stream=true server-sent events: "
                               "`data: {\"text\": piece}` per piece, then `event: done` with "
                               "`data: {\"text\": whole}`; a failure mid-stream (the request's "
                               "deadline, say) is `event: error`, which ends the stream."}})
    async def generate(req: GenerateRequest):
        """Sample a continuation of `prompt` (temperature, top_k, top_p, min_p; `seed` makes it
        repeatable; `decoding` "seen" writes only what the corpus showed, "smoothed" samples the
        whole distribution). The model cuts the text at stop strings, streamed or not."""
        check_text("prompt", req.prompt, limits.max_prompt_chars)
        check_max("max_tokens", req.max_tokens, limits.max_tokens)
        check_max("top_k", req.top_k, max(vocab_size, 1))
        if req.stop is not None:
            check_max("stop", len(req.stop), limits.max_stop)
            for s in req.stop:
                check_text("stop", s, limits.max_stop_chars)
        kwargs = dict(max_tokens=req.max_tokens, temperature=req.temperature, top_k=req.top_k,
                      top_p=req.top_p, seed=req.seed, stop=req.stop, decoding=req.decoding, min_p=req.min_p)
        model = current.model
        if not req.stream:  # generate(), in slices (runner.run_in_slices): the deadline can end it
            pieces: list[str] = []
            await runner.run_in_slices(lambda: model.stream(req.prompt, **kwargs), pieces.append)
            return {"prompt": req.prompt, "text": "".join(pieces)}

        pieces = await Prefetched.start(runner.iterate(lambda: model.stream(req.prompt, **kwargs)))

        async def body():
            whole = []
            async with aclosing(pieces):
                try:
                    async for piece in pieces:
                        whole.append(piece)
                        yield event({"text": piece})
                except Exception as exc:  # the status line is sent: report in-band, then stop
                    yield event(stream_error(exc), "error")
                    return
            yield event({"text": "".join(whole)}, "done")

        return ClosingStreamingResponse(body())

    @app.post("/api/score", response_model=ScoreResponse, tags=["model"])
    async def score(req: ScoreRequest) -> dict:
        """log10 probability of `text`, its perplexity, and each token's log10 probability."""
        check_text("text", req.text, limits.max_text_chars)
        model = current.model
        s = await runner.call(model.score, req.text)
        return {
            "logprob": finite(s.logprob),
            "tokens": int(s.tokens),
            "oov": int(s.oov),
            "perplexity": finite(s.perplexity),
            "perplexity_excl_oov": finite(s.perplexity_excl_oov),
            "token_logprobs": [{"token": t, "logprob": finite(lp)} for t, lp in s.token_logprobs],
        }

    served = Served(current, runner, limits, model_id)
    for router in (models_router, completions_router, chat_router, lookup_router):
        app.include_router(router(served))

    # ---- page --------------------------------------------------------------------------------

    page = page_html(served=True)

    @app.get("/", include_in_schema=False)
    async def index() -> HTMLResponse:
        return HTMLResponse(page, headers={"Cache-Control": "no-cache"})

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.mount("/web", StaticFiles(directory=WEB), name="web")
    return app
