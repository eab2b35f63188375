"""The contract every model over token ids meets, so `LanguageModel` never asks what it holds.

Two models meet it today: the fixed-order n-gram (`ngram.model.NgramModel`) and the hybrid of
that n-gram with the unbounded-context estimate (`unbounded.hybrid.HybridModel`). Decoding,
evaluation, the server and the REPL only use what is written here.

Contexts are lists of token ids that start at the sentence's `<s>`; `context_window` says how
many of the last ids a model reads (N-1 for an n-gram; None for a model that reads the whole
sentence), and `LanguageModel` trims every context to it, in one place, before asking.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, Sequence, runtime_checkable

import numpy as np

from .text.vocab import UNK

if TYPE_CHECKING:
    from .ngram.model import NgramModel
    from .unbounded.index import SuffixArray


@dataclass
class StreamScores:
    """Per-token scores of a sentence stream; positions holding `<s>` are not scored."""

    logprob: np.ndarray  # log10 p of each scored token
    token_ids: np.ndarray  # the scored tokens
    positions: np.ndarray  # where they sit in the stream

    @property
    def total(self) -> float:
        return float(self.logprob.sum())

    @property
    def oov(self) -> int:
        return int((self.token_ids == UNK).sum())

    def perplexity(self, include_oov: bool = True) -> float:
        """10 ** (-mean log10 p), like KenLM's query: `</s>` counted, OOVs scored as `<unk>`."""
        lp = self.logprob if include_oov else self.logprob[self.token_ids != UNK]
        if len(lp) == 0:
            return float("nan")
        return float(10.0 ** (-lp.mean()))


@runtime_checkable
class TokenModel(Protocol):
    """A next-token model over ids [0, vocab_size)."""

    order: int
    """The n-gram order of the fixed-order part (what `info()` and ARPA speak of)."""
    vocab_size: int
    context_window: int | None
    """How many of the last context ids the model reads; None: the whole sentence."""
    sizes: list[int]
    """n-grams stored per order."""
    ngram: "NgramModel"
    """The fixed-order n-gram part (the model itself for a plain n-gram): ARPA speaks of it."""
    corpus_index: "SuffixArray | None"
    """The suffix-array index of the training stream, when the model keeps one."""

    def top_k(self, context: Sequence[int], k: int, min_level: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """The k most probable next ids and their probabilities, best first, exact; ties by id.
        With `min_level`, only ids the corpus showed after the context's last `min_level` ids."""
        ...

    def seen_level(self, context: Sequence[int], min_branch: int = 2, min_context: int = 2) -> int:
        """How many of the last context ids "seen" decoding conditions on (see decode.py)."""
        ...

    def seen_continuations(self, context: Sequence[int], level: int) -> tuple[np.ndarray, np.ndarray]:
        """The ids the corpus showed after the context's last `level` ids, with their exact
        probabilities after the whole context."""
        ...

    def distribution(self, context: Sequence[int]) -> np.ndarray:
        """p(w | context) for every id (float64, sums to 1)."""
        ...

    def probabilities(self, context: Sequence[int], ids: np.ndarray) -> np.ndarray:
        """p(w | context) for the given ids only (no scan of the vocabulary)."""
        ...

    def seen_weights(self, context: Sequence[int], level: int) -> tuple[np.ndarray, np.ndarray]:
        """The same ids with their share of the corpus's counts after that context (what
        sampling that reads like the corpus draws from)."""
        ...

    def score_stream(self, stream: np.ndarray) -> StreamScores:
        """Score every token of a sentence stream given the tokens before it in its sentence."""
        ...

    def generation_view(self, prompt_context: Sequence[int]) -> "TokenModel":
        """The model to decode with after `prompt_context` (the hybrid's copy guard lives here)."""
        ...

    def to_arrays(self, prefix: str = "ngram.") -> tuple[dict, dict[str, np.ndarray]]:
        """JSON-able meta and the arrays to store in a model file."""
        ...

