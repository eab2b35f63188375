"""OpenAI's chat completions API over the model, the API most clients call today.

    POST /v1/chat/completions  {model, messages, max_completion_tokens (or max_tokens)=100,
                                temperature=1, top_p=1, n=1, stop, seed, stream, stream_options,
                                logprobs=false, top_logprobs}

`messages` become a prompt through the template of chat_template.py: the user and assistant
messages joined as paragraphs, the reply being the next one. The reply is what the model
generates after that prompt (`LanguageModel.steps`), with the sampling, stop strings, seeds,
usage and extensions of openai_common.py, the same as /v1/completions.

- The reply is one sentence: it ends at the model's first sentence end (finish_reason "stop"),
  at a stop string ("stop"), or at its token budget (default 100; "length"). An n-gram model
  has no notion of a finished answer; the end of a sentence is the nearest thing to one.
- `logprobs: true` returns, per token, {token, logprob, bytes, top_logprobs} with the
  `top_logprobs` (0..limits.max_logprobs) likeliest tokens at that point, as the model reported
  them while generating; streamed chunks carry those of their own tokens.
- Refused with a 400 (the model cannot do them): tools and tool_choice, functions and
  function_call, tool or function messages, non-text content (images, audio, files),
  response_format other than text, logit_bias, audio output.
- Ignored (harmless): presence_penalty, frequency_penalty, user, metadata, store,
  service_tier, reasoning_effort, parallel_tool_calls, prediction and any other field.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import Field

from .chat_template import chat_prompt
from .choice_recorder import Token
from .http_errors import ApiError, check_max, check_text
from .openai_common import (
    Envelope,
    SamplingRequest,
    Served,
    check_sampling,
    count_tokens,
    jobs_for,
    json_answer,
    run_choice,
    usage,
)
from .openai_streaming import Finished, StreamedChoices, sse_response

CHUNK = "chat.completion.chunk"  # the object each streamed piece is
VERY_UNLIKELY = -9999.0  # OpenAI's logprob for a token it cannot put a number on (here: p = 0)


class ChatRequest(SamplingRequest):
    """OpenAI's chat completion request (the shared fields are in SamplingRequest)."""

    messages: list[Any]
    max_tokens: int | None = Field(None, ge=1)
    max_completion_tokens: int | None = Field(None, ge=1)
    logprobs: bool | None = False
    top_logprobs: int | None = Field(None, ge=0)
    # what the model cannot do: refused when asked for (see `refuse_what_cannot_be_done`)
    tools: list | None = None
    tool_choice: Any = None
    functions: list | None = None
    function_call: Any = None
    response_format: dict | None = None
    audio: dict | None = None
    modalities: list[str] | None = None


def refuse_what_cannot_be_done(req: ChatRequest) -> None:
    if req.tools or req.functions:
        param = "tools" if req.tools else "functions"
        raise ApiError(400, f"{param}: this model cannot call tools or functions; it only continues text", param)
    for param, value in (("tool_choice", req.tool_choice), ("function_call", req.function_call)):
        if value not in (None, "none", "auto"):
            raise ApiError(400, f"{param}: this model cannot call tools or functions", param)
    kind = (req.response_format or {}).get("type", "text")
    if kind != "text":
        raise ApiError(400, f"response_format {kind!r} is not supported: this model writes plain text "
                       "and cannot be held to JSON", "response_format")
    if req.audio or any(m != "text" for m in req.modalities or ()):
        raise ApiError(400, "this model writes text only: audio output is not supported",
                       "audio" if req.audio else "modalities")


def content_logprobs(tokens: list[Token], k: int) -> list[dict]:
    """OpenAI's chat logprobs: per token {token, logprob, bytes, top_logprobs: [...]}."""

    def entry(text: str, logprob: float | None) -> dict:
        return {"token": text, "logprob": VERY_UNLIKELY if logprob is None else logprob,
                "bytes": list(text.encode("utf-8"))}

    return [{**entry(t.text, t.logprob), "top_logprobs": [entry(a, lp) for a, lp in t.alternatives[:k]]}
            for t in tokens]


CHAT_MAX_TOKENS = 100  # a reply's budget when the client sets none: a sentence ends well before


def chat_router(served: Served) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["openai"])
    runner, limits = served.runner, served.limits

    def validate(req: ChatRequest) -> tuple[str, int]:
        """The prompt and the token budget of a valid request; a 400 otherwise."""
        refuse_what_cannot_be_done(req)
        prompt = chat_prompt(req.messages)
        check_text("messages", prompt, limits.max_prompt_chars)
        param = "max_completion_tokens" if req.max_completion_tokens is not None else "max_tokens"
        budget = req.max_completion_tokens or req.max_tokens or CHAT_MAX_TOKENS
        check_sampling(req, limits, budget, param)
        if req.top_logprobs is not None:
            check_max("top_logprobs", req.top_logprobs, limits.max_logprobs)
            if not req.logprobs:
                raise ApiError(400, "top_logprobs needs logprobs = true", "top_logprobs")
        return prompt, budget

    @router.post("/chat/completions")
    async def chat_completions(req: ChatRequest):
        """OpenAI's chat API: the reply to `messages` (see chat_template.py for the prompt)."""
        model = served.model  # this request's model, whatever reloads happen meanwhile
        prompt, budget = validate(req)
        answer = Envelope.new("chatcmpl", served)
        k = req.top_logprobs or 0
        jobs = jobs_for([prompt], req.n, budget, k if req.logprobs else 0, sentence=True)
        if req.stream:
            return await stream(model, req, answer, jobs)

        out, completion_tokens = [], 0
        for job in jobs:
            choice = await run_choice(runner, model, req, job)
            completion_tokens += choice.generated
            logprobs = {"content": content_logprobs(choice.tokens, k), "refusal": None} if req.logprobs else None
            out.append({"index": job.index,
                        "message": {"role": "assistant", "content": choice.text, "refusal": None},
                        "logprobs": logprobs, "finish_reason": choice.finish_reason})
        prompt_tokens = await runner.call(count_tokens, model, prompt)
        return await json_answer(answer.wrap("chat.completion", out, usage(prompt_tokens, completion_tokens)))

    async def stream(model, req: ChatRequest, answer: Envelope, jobs):
        choices = await StreamedChoices.start(served, model, req, jobs)
        k = req.top_logprobs or 0
        # with include_usage, every chunk says "usage": null and one last chunk carries it
        no_usage = {"usage": None} if req.include_usage else {}

        def chunk(index: int, delta: dict, finish: str | None = None, tokens: list[Token] | None = None) -> dict:
            logprobs = None
            if req.logprobs and tokens is not None:
                logprobs = {"content": content_logprobs(tokens, k), "refusal": None}
            choice = {"index": index, "delta": delta, "logprobs": logprobs, "finish_reason": finish}
            return {**answer.wrap(CHUNK, [choice]), **no_usage}

        async def chunks():
            opened = set()
            async for ev in choices.events():
                index = ev.job.index
                if index not in opened:  # OpenAI opens each choice with the role
                    opened.add(index)
                    yield chunk(index, {"role": "assistant", "content": ""})
                if isinstance(ev, Finished):
                    yield chunk(index, {}, ev.finish_reason)
                elif ev.text or req.logprobs:  # a sentence end alone writes nothing to send
                    yield chunk(index, {"content": ev.text}, None, ev.tokens)
            if req.include_usage:
                prompt_tokens = await runner.call(count_tokens, model, jobs[0].prompt)
                yield answer.wrap(CHUNK, [], usage(prompt_tokens, choices.completion_tokens))

        return sse_response(chunks(), choices)

    return router
