"""From the model's steps to what OpenAI's APIs report: the text of a choice and the tokens that
wrote it, each with its log-probability and the likeliest tokens at its position.

Log-probabilities are the model's own: each generated token's exact probability and the k
likeliest tokens at that point come with the model's steps (`LanguageModel.steps(...,
alternatives=k)`), converted to natural logs as OpenAI uses. A token is the text it writes, so the
tokens of a choice join to its text; the end of a sentence, which writes nothing, is the empty
string (as vLLM shows special tokens).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

from ..language_model import END_OF_SENTENCE


def ln(probability: float | None) -> float | None:
    """Natural log, as OpenAI reports it; None where there is none (a probability of 0)."""
    return math.log(probability) if probability else None


def token_text(token: str) -> str:
    """What a token writes: the end of a sentence writes nothing."""
    return "" if token == END_OF_SENTENCE else token


@dataclass
class Token:
    """A generated token: the text it writes, its natural-log probability, and the likeliest
    tokens at its position as (text, natural-log probability), best first."""

    text: str
    logprob: float | None
    alternatives: list[tuple[str, float | None]]
    offset: int  # where its text starts in the choice's text


class ChoiceRecorder:
    """Turns the model's steps for one choice into released text and the tokens that wrote it.

    A step's text is what may be shown so far: with stop strings the model holds text back (it
    might be the start of a stop string) and lets it out with a later step, or never. A step's
    `piece` is what its token wrote; a token is released once all of its piece has been, and
    when a stop string ends the choice, the token it cut short keeps the part before the cut.
    Then the released tokens always join to the released text.
    """

    def __init__(self):
        self.written = 0  # characters the tokens wrote, held back or not
        self.released = 0  # characters of text let out
        self.pending: list[Token] = []
        self.finish_reason = "length"  # also when the model had nothing to write
        self.generated = 0  # tokens the model generated (usage counts these)
        self.text_parts: list[str] = []
        self.tokens: list[Token] = []

    def feed(self, step) -> tuple[str, list[Token]]:
        """Take the next step; return the text it releases and the tokens released with it."""
        if step.token is not None:
            self.generated += 1
            text = step.piece
            alternatives = [(token_text(t), ln(p)) for t, p in step.alternatives]
            self.pending.append(Token(text, ln(step.probability), alternatives, self.written))
            self.written += len(text)
        self.released += len(step.text)
        if step.token is None:
            self.finish_reason = step.finish_reason or "length"
            out = self._release_all()
        else:
            out = self._release(lambda t: t.offset + len(t.text) <= self.released)
        if step.text:
            self.text_parts.append(step.text)
        self.tokens.extend(out)
        return step.text, out

    def _release(self, done: Callable[[Token], bool]) -> list[Token]:
        n = 0
        while n < len(self.pending) and done(self.pending[n]):
            n += 1
        out, self.pending = self.pending[:n], self.pending[n:]
        return out

    def _release_all(self) -> list[Token]:
        """At the end: every token that wrote some of the released text; the one a stop string
        cut keeps only its part before the cut (a sentence end right at the cut is kept)."""
        cut = self.released
        out = self._release(lambda t: t.offset < cut or (not t.text and t.offset <= cut))
        for t in out:
            t.text = t.text[: max(0, cut - t.offset)]
        self.pending = []
        return out

    @property
    def text(self) -> str:
        return "".join(self.text_parts)
