"""What OpenAI's completions and chat endpoints share: the sampling parameters and their checks,
and running one choice on the model (its tokens: choice_recorder.py; streaming: openai_streaming.py).

How the parameters map onto the model (`LanguageModel.steps`):
- temperature 0 means greedy decoding (OpenAI's convention, and the model's); top_p = 1 means no
  nucleus cut.
- `seed` makes the output repeatable; choice i of a request uses seed + i, so n choices with one
  seed differ from each other and are each repeatable.
- `stop` (a string or up to limits.max_stop) ends a choice before the stop text, which is never
  returned, also when it straddles tokens; finish_reason is then "stop", otherwise "length" (the
  model writes on across sentence ends until the token budget is spent). Both come from the
  model's last step.
- Extensions, as vLLM names them (send them with the openai client's `extra_body`): `top_k`,
  `min_p`, and `decoding`: "seen" (the default: only continuations the corpus showed, which
  reads like the corpus) or "smoothed" (the whole distribution).
- `logit_bias` is refused: this model's tokens are words, not the ids a client would bias.
  presence_penalty, frequency_penalty and user are accepted and ignored.

Usage counts tokens: the prompt's as the tokenizer cuts it, the completion's as the model
generated them (sentence ends included, so a choice that ran to its budget used all of it).
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Iterator

import anyio.to_thread
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from .choice_recorder import ChoiceRecorder
from .http_errors import ApiError, check_max, check_text
from .runner import ModelRunner
from .schemas import Decoding, Limits
from .served_model import ServedModel


@dataclass
class Served:
    """What the OpenAI routes serve: the model, how to call it, the limits, and its public name.

    `model` is the model answering now: a route reads it once per request and passes that object
    on, so a model reloaded meanwhile (served_model.py) never answers half of a request.
    """

    current: ServedModel
    runner: ModelRunner
    limits: Limits
    model_id: str
    created: int = field(default_factory=lambda: int(time.time()))

    @property
    def model(self) -> Any:
        return self.current.model


class SamplingRequest(BaseModel):
    """The fields both OpenAI endpoints take. Unknown fields are ignored: clients send many."""

    model_config = ConfigDict(extra="ignore", strict=True)

    model: str
    temperature: float | None = Field(1.0, ge=0, le=2)
    top_p: float | None = Field(1.0, gt=0, le=1)
    n: int | None = Field(1, ge=1)
    stream: bool | None = False
    stream_options: dict | None = None
    stop: str | list[str] | None = None
    seed: int | None = None
    logit_bias: dict | None = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    user: str | None = None
    # extensions (vLLM's names); see the module doc
    top_k: int | None = Field(None, ge=1)
    min_p: float | None = Field(None, ge=0, le=1)
    decoding: Decoding = "seen"

    @property
    def stops(self) -> list[str]:
        return [self.stop] if isinstance(self.stop, str) else (self.stop or [])

    @property
    def include_usage(self) -> bool:
        return bool((self.stream_options or {}).get("include_usage"))


def check_sampling(req: SamplingRequest, limits: Limits, max_tokens: int, max_tokens_param: str,
                   prompts: int = 1) -> None:
    """Refuse, with a 400 naming the field, what is over the server's limits or cannot be honoured."""
    req.n = req.n or 1
    check_max(max_tokens_param, max_tokens, limits.max_tokens)
    check_max("n", req.n * prompts, limits.max_n)
    total = req.n * prompts * max_tokens
    if total > limits.max_total_tokens:
        raise ApiError(400, f"n x {max_tokens_param}{' x prompts' if prompts > 1 else ''} = {total} tokens; this "
                       f"server generates at most {limits.max_total_tokens} per request: ask for fewer choices "
                       "or fewer tokens", max_tokens_param, code="limit_exceeded")
    if req.logit_bias:
        raise ApiError(400, "logit_bias is not supported: this model's tokens are words, not ids",
                       "logit_bias")
    if req.seed is not None and req.seed < 0:
        raise ApiError(400, "seed must be >= 0", "seed")
    stops = req.stops
    check_max("stop", len(stops), limits.max_stop)
    for s in stops:
        check_text("stop", s, limits.max_stop_chars)
        if not s:
            raise ApiError(400, "a stop sequence must not be empty", "stop")


@dataclass(frozen=True)
class Job:
    """One choice to generate: its index in the answer, the prompt, and the model's arguments."""

    index: int
    prompt: str
    max_tokens: int  # 0: nothing to generate (completions' echo that only scores the prompt)
    alternatives: int  # how many likeliest tokens to report at each step
    sentence: bool = False  # end at the first sentence end (a chat reply)


def jobs_for(prompts: list[str], n: int, max_tokens: int, alternatives: int, sentence: bool = False) -> list[Job]:
    """n choices per prompt, numbered prompt by prompt as OpenAI numbers them."""
    return [Job(i * n + j, p, max_tokens, alternatives, sentence) for i, p in enumerate(prompts) for j in range(n)]


def open_steps(model: Any, req: SamplingRequest, job: Job) -> Iterator:
    """The model's steps for one choice (`LanguageModel.steps`), nothing when there is no budget."""
    if job.max_tokens == 0:
        return iter(())
    return model.steps(
        job.prompt,
        max_tokens=job.max_tokens,
        temperature=1.0 if req.temperature is None else req.temperature,
        top_k=req.top_k,
        top_p=None if req.top_p is None or req.top_p >= 1 else req.top_p,
        min_p=req.min_p,
        seed=None if req.seed is None else (req.seed + job.index) % 2**63,
        stop=req.stops,
        decoding=req.decoding,
        alternatives=job.alternatives,
        stop_at_sentence_end=job.sentence,
    )


async def run_choice(runner: ModelRunner, model: Any, req: SamplingRequest, job: Job) -> ChoiceRecorder:
    """Generate one whole choice, in slices of the long lane's thread (runner.run_in_slices): it
    takes turns with other requests, and stops within a token when the request's deadline passes
    or its client leaves."""
    recorder = ChoiceRecorder()
    await runner.run_in_slices(lambda: open_steps(model, req, job), recorder.feed)
    return recorder


def count_tokens(model: Any, prompt: str) -> int:
    """The prompt's tokens as the model's tokenizer cuts it (usage.prompt_tokens)."""
    return sum(len(sentence) for sentence in model.tokenizer.sentences(prompt))


@dataclass(frozen=True)
class Envelope:
    """What every object of one response carries, each chunk of a stream alike: its id, when it
    was created, and the model's id (OpenAI's shape)."""

    id: str
    created: int
    model: str

    @classmethod
    def new(cls, prefix: str, served: Served) -> "Envelope":
        return cls(f"{prefix}-{uuid.uuid4().hex[:24]}", int(time.time()), served.model_id)

    def wrap(self, kind: str, choices: list[dict], usage: dict | None = None) -> dict:
        out = {"id": self.id, "object": kind, "created": self.created, "model": self.model, "choices": choices}
        if usage is not None:
            out["usage"] = usage
        return out


def encode_answer(answer: dict) -> bytes:
    """The JSON of an answer, its choices encoded one at a time.

    Why not FastAPI's own encoding: it walks the answer in Python on the event loop
    (jsonable_encoder: 0.64 s for the 6 MB answer of n=16 choices with echo and logprobs of a
    10,000-character prompt), and one json.dumps of the whole holds the GIL for 0.13 s. Encoded
    here, in a worker thread, choice by choice, no step holds the GIL for more than a few
    milliseconds, so /health and predictions keep moving while a big answer is written.
    """
    dumps = partial(json.dumps, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    choices = [dumps(choice) for choice in answer["choices"]]
    head = dumps({k: v for k, v in answer.items() if k != "choices"})
    return (head[:-1] + (',' if len(head) > 2 else '') + '"choices":[' + ",".join(choices) + "]}").encode()


async def json_answer(answer: dict) -> Response:
    """An answer as a JSON response, encoded off the event loop (see encode_answer)."""
    body = await anyio.to_thread.run_sync(encode_answer, answer)
    return Response(body, media_type="application/json")


def usage(prompt_tokens: int, completion_tokens: int) -> dict:
    return {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens}
