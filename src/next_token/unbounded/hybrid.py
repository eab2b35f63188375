"""The hybrid model: the n-gram model and the unbounded-context (infinity-gram) estimate, mixed.

It meets the same `protocol.TokenModel` contract as `NgramModel`, so decoding, scoring and every
face work with either; it reads the whole sentence as context (`context_window = None`). The
mixing rule, its fitted weights and the copy guard are the math in mixing.py; the index is
index.py; the estimate is estimate.py; how the weights are fitted at training time is build.py.

Generation guards against copying the corpus: once 16 generated tokens in a row lie inside one
verbatim corpus match, the unbounded part's weight drops to 0 until the match breaks
(`mixing.CopyGuard`); `generation_view` keeps count of what was generated.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from ..ngram.model import NgramModel
from ..protocol import StreamScores
from ..text.vocab import BOS
from .estimate import Explanation, UnboundedModel
from .index import SuffixArray
from .mixing import DEFAULT_COPY_GUARD, CopyGuard, HybridWeights, hybrid_distribution, hybrid_logprobs, hybrid_top_k


class HybridModel:
    """n-gram + infinity-gram, mixed with weights bucketed by the matched suffix."""

    context_window = None  # the whole sentence is context, not just the last N-1 tokens

    def __init__(self, ngram: NgramModel, index: SuffixArray, weights: HybridWeights,
                 guard: CopyGuard | None = None, prompt: Sequence[int] | None = None):
        self.ngram = ngram
        self.corpus_index = index
        self.unbounded = UnboundedModel(index)
        self.weights = weights
        self.guard = guard
        self._prompt = list(prompt) if prompt is not None else None

    order = property(lambda self: self.ngram.order)
    vocab_size = property(lambda self: self.ngram.vocab_size)
    sizes = property(lambda self: self.ngram.sizes)

    def generation_view(self, prompt_context: Sequence[int]) -> "HybridModel":
        """The same model with the copy guard on, counting tokens generated after the prompt."""
        return HybridModel(self.ngram, self.corpus_index, self.weights, self.guard or DEFAULT_COPY_GUARD,
                           prompt_context)

    def _generated(self, context: Sequence[int]) -> int:
        """How many tokens of `context` were generated (after the prompt), for the copy guard."""
        if self.guard is None:
            return 0
        ctx = list(context)
        p = self._prompt
        if p is not None and ctx[: len(p)] == p:
            return len(ctx) - len(p)
        return max(len(ctx) - 1, 0) if ctx and ctx[0] == BOS else len(ctx)

    # ---------------------------------------------------------------- queries

    def top_k(self, context: Sequence[int], k: int, min_level: int = 0) -> tuple[np.ndarray, np.ndarray]:
        ctx = list(context)
        ids, probs, _, _ = hybrid_top_k(
            self.unbounded, ctx, k, self.weights,
            ngram_top_k=lambda kk: self.ngram.top_k(ctx, kk, min_level),
            ngram_probabilities=lambda ids: self.ngram.probabilities(ctx, ids),
            guard=self.guard, n_generated=self._generated(ctx),
        )
        return ids.astype(np.int64), probs

    def distribution(self, context: Sequence[int]) -> np.ndarray:
        ctx = list(context)
        return hybrid_distribution(self.unbounded, ctx, self.ngram.distribution(ctx), self.weights,
                                   guard=self.guard, n_generated=self._generated(ctx)).probs

    def probabilities(self, context: Sequence[int], ids: np.ndarray) -> np.ndarray:
        ctx = list(context)
        return self.distribution(ctx)[np.asarray(ids, dtype=np.int64)]

    def seen_level(self, context: Sequence[int], min_branch: int = 2, min_context: int = 2) -> int:
        return self.ngram.seen_level(context, min_branch, min_context)

    def seen_continuations(self, context: Sequence[int], level: int) -> tuple[np.ndarray, np.ndarray]:
        """What the n-gram part saw after the context's last `level` tokens, with the mixed
        probabilities (the unbounded part only saw a subset of what the n-gram counts)."""
        ids, _ = self.ngram.seen_continuations(context, level)
        return ids, self.probabilities(context, ids)

    def seen_weights(self, context: Sequence[int], level: int) -> tuple[np.ndarray, np.ndarray]:
        return self.ngram.seen_weights(context, level)

    def explain(self, context: Sequence[int], limit: int = 2) -> Explanation:
        """The matched suffix, its count, and places in the corpus it comes from."""
        return self.unbounded.explain(list(context), limit)

    def score_stream(self, stream: np.ndarray) -> StreamScores:
        ng = self.ngram.score_stream(stream)
        su = self.unbounded.logprobs_stream(np.asarray(stream))
        lp = hybrid_logprobs(su, su.prob, ng.logprob, self.weights)
        return StreamScores(lp, ng.token_ids, ng.positions)

    # ---------------------------------------------------------------- persistence

    def to_arrays(self, prefix: str = "ngram.") -> tuple[dict, dict[str, np.ndarray]]:
        meta, arrays = self.ngram.to_arrays(prefix)
        arrays.update(self.corpus_index.to_arrays("sa."))
        meta = dict(meta, unbounded={"weights": self.weights.to_meta(), "index": self.corpus_index.meta()})
        return meta, arrays

    @classmethod
    def from_arrays(cls, meta: dict, arrays: dict[str, np.ndarray], prefix: str = "ngram.") -> "HybridModel":
        extra = meta["unbounded"]
        ngram_meta = {k: v for k, v in meta.items() if k != "unbounded"}
        ngram = NgramModel.from_arrays(ngram_meta, arrays, prefix)
        index = SuffixArray.from_arrays(arrays, extra["index"], "sa.")
        return cls(ngram, index, HybridWeights.from_meta(extra["weights"]))
