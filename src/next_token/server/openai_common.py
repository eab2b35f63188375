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

import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Iterator

from pydantic import BaseModel, ConfigDict, Field

from .choice_recorder import ChoiceRecorder
from .http_errors import ApiError, check_max, check_text
from .runner import ModelRunner
from .schemas import Decoding, Limits


@dataclass
class Served:
    """What the OpenAI routes serve: the model, how to call it, the limits, and its public name."""

    model: Any
    runner: ModelRunner
    limits: Limits
    model_id: str
    created: int = field(default_factory=lambda: int(time.time()))


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


def open_steps(served: Served, req: SamplingRequest, job: Job) -> Iterator:
    """The model's steps for one choice (`LanguageModel.steps`), nothing when there is no budget."""
    if job.max_tokens == 0:
        return iter(())
    return served.model.steps(
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


def run_choice(served: Served, req: SamplingRequest, job: Job) -> ChoiceRecorder:
    """Generate one whole choice (synchronous: run it through the runner)."""
    recorder = ChoiceRecorder()
    steps = open_steps(served, req, job)
    try:
        for step in steps:
            recorder.feed(step)
    finally:
        close = getattr(steps, "close", None)
        if close is not None:
            close()
    return recorder


def count_tokens(served: Served, prompt: str) -> int:
    """The prompt's tokens as the model's tokenizer cuts it (usage.prompt_tokens)."""
    return sum(len(sentence) for sentence in served.model.tokenizer.sentences(prompt))


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


def usage(prompt_tokens: int, completion_tokens: int) -> dict:
    return {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens}
