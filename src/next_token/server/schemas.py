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
    """What one request, or one connection, may make the server do. Beyond the caps: a 4xx at once.

    The caps bound the work of a single request: a prompt longer than `max_prompt_chars` would
    only cost tokenizing time (an n-gram model reads the last few tokens), `max_tokens` bounds one
    choice's generation and `max_total_tokens` all the choices of one OpenAI request together (n
    times max_tokens, over every prompt), `max_k`, `max_completions` and `max_logprobs` bound the
    size of answers. Measured on 2 shared cores with an 18 MB order-5 model (bench/ABUSE_RESULTS.md),
    the largest requests these allow take 0.1-2.7 s alone: /v1/completions with echo and
    logprobs=5 on a 10,000-character prompt 0.2-0.3 s (25.7 s before), on 10,000 emoji 0.9-1.7 s
    (391 s before); n=16 x 256 tokens with logprobs=5 and that prompt echoed 1.3-1.8 s, streamed
    1.6-2.7 s; /api/score of 200,000 characters 0.1-0.2 s (one call that cannot be interrupted, as
    are /api/complete and /api/completions, 0.15 s at most). n=16 x 1,000 tokens (80 s before) is
    over max_total_tokens.

    Lookup and spelling (lookup_routes.py): a search phrase is at most `max_search_chars`, a page
    of hits at most `max_search_hits` with `max_search_context` tokens either side; a text to
    spell-check at most `max_correct_chars` (every word of it is judged, unlike a prompt, of which
    the model reads the end); a word at most `max_word_chars`, a sentence to paraphrase
    `max_sentence_chars`; k at most `max_k`, paraphrases at most `max_completions`. On the Python
    documentation (240,000 tokens, order 5), correcting 10,000 characters takes 0.01-0.03 s and
    searching "the" (16,000 hits, 100 returned with 50 tokens either side) 0.02 s.

    Time: `request_timeout` is each request's budget from its arrival to its last byte, waiting
    included (budget.py): past it, model work stops within a token and the request ends with a
    504 (or, if it never got to the model, a 503), a stream with an error event. At most
    `max_queue` requests wait for the model's long lane (generation, scoring: runner.py) and
    `max_predict_queue` predictions for theirs; one more is answered 503 with Retry-After at once.

    Connections (connection_guard.py, body_limit.py): a request head must arrive within
    `header_timeout` seconds and be at most `max_header_bytes` long, its body within
    `body_timeout` seconds and at most `max_body_bytes`; at most `max_pending_connections`
    connections may wait for their head at once (the oldest is closed beyond).
    """

    max_body_bytes: int = 1 << 20
    max_prompt_chars: int = 10_000
    max_text_chars: int = 200_000  # text to score
    max_k: int = 100
    max_completions: int = 20
    max_tokens: int = 1000
    max_total_tokens: int = 4096  # one OpenAI request's choices together
    max_prefix_chars: int = 100
    max_n: int = 16  # OpenAI `n` times the number of prompts
    max_stop: int = 4
    max_stop_chars: int = 100
    max_logprobs: int = 5
    max_search_chars: int = 1000  # a phrase to search for (the model takes at most 64 tokens of it)
    max_search_hits: int = 100  # hits per page of /api/search
    max_search_context: int = 50  # tokens of text either side of a hit
    max_correct_chars: int = 10_000  # text to spell-check in one request (/api/correct)
    max_word_chars: int = 100  # a word for /api/similar, /api/analogy, /api/suggest, /api/paraphrase
    max_sentence_chars: int = 1000  # a sentence to paraphrase
    request_timeout: float = 10.0  # seconds
    max_queue: int = 64  # requests waiting for the model's long lane
    max_predict_queue: int = 256  # predictions waiting for theirs
    header_timeout: float = 10.0  # seconds
    body_timeout: float = 10.0  # seconds
    max_header_bytes: int = 64 << 10
    max_pending_connections: int = 1000

    def as_dict(self) -> dict[str, int | float]:
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
    typos: bool = Field(True, description="With a prefix: when fewer than k tokens start with it, fill the list "
                        "with words whose beginning is 1-2 edits away (\"Chirs\" finds \"Christine\"); their "
                        "`distance` says how many.")


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
    distance: int = Field(0, description="With a prefix: edits between it and the token's beginning (typos).")


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
    model: dict[str, Any] = Field(..., description="The model's info(), with file names in place of "
                                  "paths (the server never shows where its files are)")
    reloads: int = Field(..., description="How often the model file was replaced and reloaded")
    limits: dict[str, int | float]


class HealthResponse(BaseModel):
    status: Literal["ok"]
    active_streams: int
    queued: dict[str, int] = Field(..., description="Requests waiting for the model, per lane")
