"""OpenAI's legacy completions API over an n-gram model, so existing clients can use it as a drop-in.

    POST /v1/completions    {model, prompt, max_tokens=16, temperature=1, top_p=1, n=1, stop, seed,
                             stream, logprobs, echo, stream_options}
    GET  /v1/models         {"object": "list", "data": [{"id", "object": "model", ...}]}
    GET  /v1/models/{id}

How the parameters map onto the model:
- temperature 0 means greedy decoding (OpenAI's convention, and the model's).
- top_p = 1 means no nucleus cut. `seed` makes the output repeatable; choice i of a request
  uses seed + i, so n choices with one seed differ from each other and are each repeatable.
- `stop` (a string or up to 4) ends a choice before the stop text, which is not returned, also
  when it straddles pieces (stops.py); finish_reason is then "stop", otherwise "length" (the
  model writes on across sentence ends until max_tokens).
- `logprobs` = k (0..5) returns, per generated token, its natural-log probability (OpenAI uses
  ln; the model's log10 values are converted) and the k likeliest alternatives. With `echo` and
  `max_tokens` = 0 this scores the prompt itself, which is how evaluation harnesses
  (lm-evaluation-harness "local-completions") compute log-likelihoods. The generated tokens'
  log-probabilities come from scoring prompt + text (LanguageModel.score), so they are the
  model's own; top alternatives come from LanguageModel.predict at each step.
- `model` is accepted whatever it says (one model is served) and answered with this server's id.
- presence_penalty, frequency_penalty, best_of and user are accepted and ignored; `suffix`,
  `logit_bias` and token-id prompts are refused with a 400 because they cannot be honoured.
Tokens are counted as the model's pieces of text (usage.completion_tokens) and as the scorer's
tokens (usage.prompt_tokens).
"""

from __future__ import annotations

import math
import time
import uuid
from contextlib import aclosing
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from ..errors import InputError
from ..stops import StopScanner, collect
from .http_errors import ApiError, check_max, check_text
from .runner import ModelRunner
from .schemas import Limits
from .sse import ClosingStreamingResponse, Prefetched, event

LN10 = math.log(10.0)
SENTENCE_END = "</s>"


class CompletionRequest(BaseModel):
    """OpenAI's completion request. Unknown fields are ignored: clients send many."""

    model_config = ConfigDict(extra="ignore", strict=True)

    model: str
    prompt: Any = ""
    max_tokens: int | None = Field(16, ge=0)
    temperature: float | None = Field(1.0, ge=0, le=2)
    top_p: float | None = Field(1.0, gt=0, le=1)
    n: int | None = Field(1, ge=1)
    stream: bool | None = False
    stream_options: dict | None = None
    logprobs: int | None = Field(None, ge=0)
    echo: bool | None = False
    stop: str | list[str] | None = None
    seed: int | None = None
    suffix: str | None = None
    logit_bias: dict | None = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    best_of: int | None = None
    user: str | None = None


def _prompts(prompt: Any) -> list[str]:
    if prompt is None:
        return [""]
    if isinstance(prompt, str):
        return [prompt]
    if isinstance(prompt, list) and prompt and all(isinstance(p, str) for p in prompt):
        return prompt
    if isinstance(prompt, list) and not prompt:
        raise ApiError(400, "prompt must not be an empty list", "prompt")
    raise ApiError(400, "prompt must be a string or a list of strings (token-id prompts are not "
                   "supported: this model's tokens are words, not a BPE vocabulary)", "prompt")


def _ln(log10: float | None) -> float | None:
    if log10 is None or not math.isfinite(log10):
        return None
    return float(log10) * LN10


def _token_spans(text: str, tokens: list[str], start: int = 0) -> list[tuple[int, int]] | None:
    """Where each (bare) token of `text` lies, scanning left to right; None if one is not found.

    The scorer's tokens are substrings of the text for word and char tokenizers; the spans let
    echoed prompt tokens carry their own whitespace so that they concatenate back to the text.
    """
    spans, pos = [], start
    for tok in tokens:
        at = text.find(tok, pos)
        if at < 0:
            return None
        spans.append((at, at + len(tok)))
        pos = at + len(tok)
    return spans


class _Choice:
    """One generated choice: its pieces and why it ended."""

    def __init__(self, index: int, prompt: str, text: str, pieces: list[str], stopped: bool):
        self.index, self.prompt, self.text, self.pieces = index, prompt, text, pieces
        self.finish_reason = "stop" if stopped else "length"


def openai_router(model, runner: ModelRunner, limits: Limits, model_id: str, texts_for) -> APIRouter:
    """The /v1 routes; texts_for(context, tokens) spells tokens as they would continue the context."""
    router = APIRouter(prefix="/v1", tags=["openai"])
    created = int(time.time())

    def model_card() -> dict:
        return {"id": model_id, "object": "model", "created": created, "owned_by": "next-token-prediction"}

    @router.get("/models")
    async def list_models() -> dict:
        return {"object": "list", "data": [model_card()]}

    @router.get("/models/{name:path}")
    async def get_model(name: str) -> dict:
        if name != model_id:
            raise ApiError(404, f"the model '{name}' does not exist; this server serves '{model_id}'",
                           "model", type="not_found_error", code="model_not_found")
        return model_card()

    # ---- helpers that call the model (synchronous; run them through `runner`) ------------------

    def scored_tokens(text: str) -> list[tuple[str, float]]:
        """The scorer's (token, log10 p) pairs for text, without the sentence-end it appends."""
        try:
            pairs = list(model.score(text).token_logprobs)
        except InputError:  # nothing to score (empty or blank text)
            return []
        while pairs and pairs[-1][0] == SENTENCE_END:
            pairs.pop()
        return pairs

    def top_alternatives(context: str, k: int) -> dict[str, float]:
        if k == 0:
            return {}
        found = [p for p in model.predict(context, k) if p.probability > 0]
        return {text: math.log(p.probability)
                for p, text in zip(found, texts_for(context, [p.token for p in found]))}

    def logprobs_for(choice: _Choice, k: int, echo: bool) -> dict:
        """OpenAI's logprobs object for a choice (natural logs)."""
        tokens: list[str] = []
        lps: list[float | None] = []
        tops: list[dict[str, float] | None] = []
        offsets: list[int] = []
        prompt = choice.prompt
        prompt_pairs = scored_tokens(prompt)
        if echo:
            spans = _token_spans(prompt, [t for t, _ in prompt_pairs])
            prev = 0
            for i, (tok, lp) in enumerate(prompt_pairs):
                if spans is not None:
                    a, b = spans[i]
                    piece, offsets_at = prompt[prev:b], prev
                    prev = b
                    if i == len(prompt_pairs) - 1:
                        piece += prompt[b:]  # trailing whitespace belongs to the last token
                else:
                    piece, offsets_at = tok, (offsets[-1] + len(tokens[-1]) if tokens else 0)
                tokens.append(piece)
                offsets.append(offsets_at)
                lps.append(None if i == 0 else _ln(lp))  # OpenAI: the first token has no logprob
                tops.append(None if i == 0 else top_alternatives(prompt[:offsets_at], k))
        base = len(prompt) if echo else 0
        if choice.pieces:
            full_pairs = scored_tokens(prompt + choice.text)
            # the model writes sentence ends (</s>) without text: they have no piece
            gen_pairs = [p for p in full_pairs[len(prompt_pairs):] if p[0] != SENTENCE_END]
            aligned = len(gen_pairs) == len(choice.pieces)
            pos = 0
            for i, piece in enumerate(choice.pieces):
                context = prompt + choice.text[:pos]
                alternatives = top_alternatives(context, max(k, 1))
                if aligned:
                    lp = _ln(gen_pairs[i][1])
                else:  # tokenization of the joined text differs: look the piece up among the top
                    lp = alternatives.get(piece)
                tokens.append(piece)
                lps.append(lp)
                tops.append(dict(list(alternatives.items())[:k]) if k else {})
                offsets.append(base + pos)
                pos += len(piece)
        return {"tokens": tokens, "token_logprobs": lps, "top_logprobs": tops, "text_offset": offsets}

    def generation_kwargs(req: CompletionRequest, index: int) -> dict:
        return dict(
            max_tokens=req.max_tokens,
            temperature=1.0 if req.temperature is None else req.temperature,
            top_p=None if req.top_p is None or req.top_p >= 1 else req.top_p,
            seed=None if req.seed is None else (req.seed + index) % 2**63,
        )

    def stops_of(req: CompletionRequest) -> list[str]:
        return [req.stop] if isinstance(req.stop, str) else (req.stop or [])

    def validate(req: CompletionRequest) -> list[str]:
        prompts = _prompts(req.prompt)
        for p in prompts:
            check_text("prompt", p, limits.max_prompt_chars)
        req.max_tokens = 16 if req.max_tokens is None else req.max_tokens
        req.n = req.n or 1
        check_max("max_tokens", req.max_tokens, limits.max_tokens)
        check_max("n", req.n * len(prompts), limits.max_n)
        check_max("logprobs", req.logprobs, limits.max_logprobs)
        if req.max_tokens == 0 and not req.echo:
            raise ApiError(400, "max_tokens = 0 only makes sense with echo = true", "max_tokens")
        if req.suffix:
            raise ApiError(400, "suffix (insertion) is not supported by this model", "suffix")
        if req.logit_bias:
            raise ApiError(400, "logit_bias is not supported: this model's tokens are words, not ids",
                           "logit_bias")
        if req.stream and req.logprobs is not None:
            raise ApiError(400, "logprobs with stream = true is not supported; ask without streaming",
                           "logprobs")
        if req.seed is not None and req.seed < 0:
            raise ApiError(400, "seed must be >= 0", "seed")
        stops = stops_of(req)
        check_max("stop", len(stops), limits.max_stop)
        for s in stops:
            check_text("stop", s, limits.max_stop_chars)
            if not s:
                raise ApiError(400, "a stop sequence must not be empty", "stop")
        return prompts

    def envelope(cid: str, choices: list[dict], usage: dict | None = None) -> dict:
        out = {"id": cid, "object": "text_completion", "created": int(time.time()), "model": model_id,
               "choices": choices}
        if usage is not None:
            out["usage"] = usage
        return out

    async def count_prompt_tokens(prompts: list[str]) -> int:
        return sum([len(await runner.call(scored_tokens, p)) for p in prompts])

    # ---- the endpoint --------------------------------------------------------------------------

    @router.post("/completions")
    async def completions(req: CompletionRequest):
        prompts = validate(req)
        cid = f"cmpl-{uuid.uuid4().hex[:24]}"
        jobs = [(i * req.n + j, p) for i, p in enumerate(prompts) for j in range(req.n)]

        if req.stream:
            return await stream_completions(req, cid, jobs)

        def run(index: int, prompt: str) -> _Choice:
            if req.max_tokens == 0:
                return _Choice(index, prompt, "", [], False)
            pieces: list[str] = []

            def recorded():
                for piece in model.stream(prompt, **generation_kwargs(req, index)):
                    pieces.append(piece)
                    yield piece

            text, _, stopped = collect(recorded(), stops_of(req))
            if stopped:  # the pieces as the text keeps them: cut where the stop string began
                kept, pos = [], 0
                for piece in pieces:
                    if pos >= len(text):
                        break
                    kept.append(piece[: len(text) - pos])
                    pos += len(kept[-1])
                pieces = kept
            return _Choice(index, prompt, text, pieces, stopped)

        choices = [await runner.call(run, index, prompt) for index, prompt in jobs]
        out = []
        for c in choices:
            lp = None
            if req.logprobs is not None:
                lp = await runner.call(logprobs_for, c, req.logprobs, bool(req.echo))
            out.append({"text": (c.prompt if req.echo else "") + c.text, "index": c.index,
                        "logprobs": lp, "finish_reason": c.finish_reason})
        prompt_tokens = await count_prompt_tokens(prompts)
        completion_tokens = sum(len(c.pieces) for c in choices)
        return envelope(cid, out, {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                                   "total_tokens": prompt_tokens + completion_tokens})

    async def stream_completions(req: CompletionRequest, cid: str, jobs: list[tuple[int, str]]):
        def pieces_of(index: int, prompt: str):
            kwargs = generation_kwargs(req, index)
            if req.max_tokens == 0:
                return Prefetched.start(runner.iterate(lambda: iter(())))
            return Prefetched.start(runner.iterate(lambda: model.stream(prompt, **kwargs)))

        stops = stops_of(req)

        # the first choice is started before answering, so that bad input is still a 4xx
        first = await pieces_of(*jobs[0])
        include_usage = bool((req.stream_options or {}).get("include_usage"))

        def chunk(index: int, text: str, finish: str | None) -> bytes:
            return event(envelope(cid, [{"text": text, "index": index, "logprobs": None,
                                         "finish_reason": finish}]))

        async def body():
            completion_tokens = 0
            try:
                for n, (index, prompt) in enumerate(jobs):
                    pieces = first if n == 0 else await pieces_of(index, prompt)
                    scanner = StopScanner(stops)
                    async with aclosing(pieces):
                        if req.echo:
                            yield chunk(index, prompt, None)
                        async for piece in pieces:
                            completion_tokens += 1
                            out = scanner.feed(piece)
                            if out:
                                yield chunk(index, out, None)
                            if scanner.stopped:
                                break
                    tail = scanner.flush()
                    if tail:
                        yield chunk(index, tail, None)
                    yield chunk(index, "", "stop" if scanner.stopped else "length")
                if include_usage:
                    prompt_tokens = await count_prompt_tokens([p for _, p in jobs[:: req.n]])
                    yield event(envelope(cid, [], {"prompt_tokens": prompt_tokens,
                                                   "completion_tokens": completion_tokens,
                                                   "total_tokens": prompt_tokens + completion_tokens}))
            except Exception as exc:  # headers are sent: report in-band
                yield event({"error": {"message": str(exc) or type(exc).__name__, "type": "server_error",
                                       "param": None, "code": None}})
            finally:
                await first.aclose()
            yield b"data: [DONE]\n\n"

        return ClosingStreamingResponse(body())

    return router
