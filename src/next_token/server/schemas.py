"""The JSON shapes of the HTTP API, and the limits every request is held to.

Requests are validated strictly (no "5" for 5, no true for 1, no unknown fields): a client that
sends the wrong type learns it at once instead of getting a silently coerced answer. The numeric
maxima live in `Limits`, not in the schemas, because they are a property of the running server
(`create_app(model, limits=...)`) and are checked by the endpoints; GET /api/info reports them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


@dataclass(frozen=True)
class Limits:
    """What one request may ask for. Everything beyond gets a 4xx, never a slow answer.

    The caps bound the work of a single request: a prompt longer than `max_prompt_chars` would
    only cost tokenizing time (an n-gram model reads the last few tokens), `max_tokens` bounds
    generation time, `max_k` and `max_completions` bound the size of answers.
    """

    max_body_bytes: int = 1 << 20
    max_prompt_chars: int = 10_000
    max_text_chars: int = 200_000  # text to score
    max_k: int = 100
    max_completions: int = 20
    max_tokens: int = 1000
    max_prefix_chars: int = 100
    max_n: int = 16  # OpenAI `n` times the number of prompts
    max_stop: int = 4
    max_stop_chars: int = 100
    max_logprobs: int = 5

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")


# ---- requests -------------------------------------------------------------------------------


Decoding = Literal["seen", "smoothed"]


class PredictRequest(_Strict):
    context: str = Field("", description="The text so far; the next token is predicted after it.")
    k: int = Field(10, ge=1, description="How many tokens to return (at most limits.max_k).")
    prefix: str | None = Field(
        None,
        description="Rank only tokens starting with this (the word being typed): in lower case it "
        "matches any case (\"chri\" finds \"Christine\"), with a capital letter exactly. The "
        "probabilities are the model's, not renormalized over the matches.",
    )


class CompleteRequest(_Strict):
    prompt: str = Field(..., description="The text to continue (not empty).")
    max_tokens: int = Field(30, ge=1)


class CompletionsRequest(_Strict):
    prompt: str = Field(..., description="The text to continue (not empty).")
    k: int = Field(5, ge=1, description="How many alternative completions (at most limits.max_completions).")
    max_tokens: int = Field(30, ge=1)


class GenerateRequest(_Strict):
    prompt: str = ""
    max_tokens: int = Field(50, ge=1)
    temperature: float = Field(1.0, ge=0, description="0 is greedy; higher flattens the distribution.")
    top_k: int | None = Field(None, ge=1)
    top_p: float | None = Field(None, gt=0, le=1)
    min_p: float | None = Field(None, ge=0, le=1, description="Keep tokens at least this fraction as "
                                "probable as the likeliest.")
    decoding: Decoding = Field(
        "seen",
        description='"seen": write only continuations the corpus showed (reads like the corpus); '
        '"smoothed": sample the whole smoothed distribution.',
    )
    seed: int | None = Field(None, ge=0, lt=2**63)
    stop: list[str] | None = Field(None, description="End the text before the first of these strings.")
    stream: bool = Field(False, description="Send the text as server-sent events while it is generated.")


class ScoreRequest(_Strict):
    text: str = Field(..., description="The text to score.")


# ---- responses ------------------------------------------------------------------------------


class PredictionOut(BaseModel):
    token: str
    probability: float
    text: str = Field(..., description="What to append to the context to accept this token.")


class PredictResponse(BaseModel):
    context: str
    predictions: list[PredictionOut]


class CompleteResponse(BaseModel):
    prompt: str
    completion: str


class CompletionOut(BaseModel):
    text: str
    probability: float


class CompletionsResponse(BaseModel):
    prompt: str
    completions: list[CompletionOut]


class GenerateResponse(BaseModel):
    prompt: str
    text: str


class TokenLogprob(BaseModel):
    token: str
    logprob: float | None = Field(..., description="log10 probability; null when not finite")


class ScoreResponse(BaseModel):
    logprob: float | None = Field(..., description="log10 probability of the whole text")
    tokens: int
    oov: int
    perplexity: float | None
    perplexity_excl_oov: float | None
    token_logprobs: list[TokenLogprob]


class InfoResponse(BaseModel):
    model_id: str
    model: dict[str, Any]
    limits: dict[str, int]


class HealthResponse(BaseModel):
    status: Literal["ok"]
    active_streams: int
