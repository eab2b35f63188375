"""What the model answers with: predictions, completions, generation steps and scores.

Plain frozen records, so that every face (the library, the CLI's --json, the server) turns them
into the same fields.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Prediction:
    """One candidate next token and its probability under the model; with a prefix, `distance`
    is how many edits the typed prefix is from the token's beginning (0: it starts with it)."""

    token: str
    probability: float
    distance: int = 0


@dataclass(frozen=True)
class Completion:
    """A continuation of a prompt: its text (to append to the prompt), its probability, its
    tokens, and the length-aware score completions are ranked by: ln p / len^0.7, len counting
    the sentence end (Wu et al. 2016), so that a longer sentence can beat a short one."""

    text: str
    probability: float
    tokens: tuple[str, ...] = ()
    score: float = 0.0


@dataclass(frozen=True)
class Step:
    """One step of generation: the text it lets out (stop strings cut: text that could still
    grow into a stop string is held back and let out by a later step), the token (None on the
    last step, which ends the stream), the text the token writes (`piece`: "" for the end of a
    sentence), its probability, why generation ended (on the last step: "stop" for a stop
    string, "length" for max_tokens), and the likeliest tokens at that point as (text,
    probability) pairs when asked for."""

    text: str
    token: str | None
    probability: float | None
    finish_reason: str | None = None
    alternatives: tuple[tuple[str, float], ...] = ()
    piece: str = ""


@dataclass
class Score:
    """How well the model predicts a text (KenLM `query` conventions: `</s>` counted)."""

    logprob: float  # log10 of the probability of the whole text
    tokens: int  # scored tokens, one `</s>` per sentence included
    oov: int  # tokens not in the vocabulary (scored as <unk>)
    perplexity: float
    perplexity_excl_oov: float
    token_logprobs: list[tuple[str, float]] = field(default_factory=list)
