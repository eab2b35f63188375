"""The hybrid model: the n-gram model and the unbounded-context (infinity-gram) estimate, mixed.

It offers the same queries as `NgramModel` (topk, distribution, score_stream, to_arrays), so
decoding, scoring and every face work with either. The mixing rule and its fitted weights are
in `hybrid.py`; the index is `suffix_array.py`; the estimate is `unbounded.py`.

Training (`build`) fits the weights the honest way: hold out the end of each of 20 runs of
training sentences (5%), build an n-gram model and an index on the rest, score the held-out
part with both, fit the weights by EM on it, then build the final model and index on all the
training text with those weights. The test text is never seen. A corpus of fewer than 40
sentences is too small to hold anything out: its weights are an even 0.5 mix.

Generation guards against copying the corpus: once 16 generated tokens in a row lie inside one
verbatim corpus match, the unbounded part's weight drops to 0 until the match breaks
(`hybrid.CopyGuard`); `generation_view` keeps count of what was generated.
"""

from __future__ import annotations

import warnings
from typing import Sequence

import numpy as np

from .hybrid import DEFAULT_COPY_GUARD, CopyGuard, HybridWeights, fit_weights, heldout_split, hybrid_logprobs, hybrid_top_k, mix
from .kneser_ney import DiscountFallbackWarning
from .ngram_model import NgramModel, StreamScore
from .suffix_array import SuffixArray
from .unbounded import UnboundedModel
from .vocab import BOS


MIN_SENTENCES_TO_FIT = 40  # per held-out run; below it the weights default to an even mix


class HybridModel:
    """n-gram + infinity-gram, mixed with weights bucketed by the matched suffix."""

    context_limit = None  # the whole sentence is context, not just the last N-1 tokens

    def __init__(self, ngram: NgramModel, index: SuffixArray, weights: HybridWeights,
                 guard: CopyGuard | None = None, prompt: Sequence[int] | None = None):
        self.ngram = ngram
        self.index = index
        self.unbounded = UnboundedModel(index)
        self.weights = weights
        self.guard = guard
        self._prompt = list(prompt) if prompt is not None else None

    # the NgramModel attributes the rest of the package reads
    order = property(lambda self: self.ngram.order)
    vocab_size = property(lambda self: self.ngram.vocab_size)
    sizes = property(lambda self: self.ngram.sizes)
    sentence_mode = property(lambda self: self.ngram.sentence_mode)

    @classmethod
    def build(cls, stream: np.ndarray, order: int, vocab_size: int, progress=None) -> "HybridModel":
        """Fit the mixing weights on held-out training text, then index all of it (module doc)."""
        n_sent = int(np.count_nonzero(np.asarray(stream) == BOS))
        if n_sent < MIN_SENTENCES_TO_FIT:
            weights = HybridWeights.constant(0.5)  # too little text to hold any out
        else:
            fit_train, dev = heldout_split(stream, 0.05, max(1, min(20, n_sent // MIN_SENTENCES_TO_FIT)))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DiscountFallbackWarning)  # the final model warns
                ng_dev = NgramModel.from_stream(fit_train, order, vocab_size)
            um_dev = UnboundedModel(SuffixArray.build(fit_train, vocab_size=vocab_size))
            su, sn = um_dev.logprobs_stream(dev), ng_dev.score_stream(dev)
            weights = fit_weights(su, su.prob, 10.0 ** sn.logprob)
        ngram = NgramModel.from_stream(stream, order, vocab_size, progress=progress)
        index = SuffixArray.build(stream, vocab_size=vocab_size)
        return cls(ngram, index, weights)

    def generation_view(self, prompt_context: Sequence[int]) -> "HybridModel":
        """The same model with the copy guard on, counting tokens generated after the prompt."""
        return HybridModel(self.ngram, self.index, self.weights, self.guard or DEFAULT_COPY_GUARD,
                           prompt_context)

    def _generated(self, context: Sequence[int]) -> int:
        ctx = list(context)
        p = self._prompt
        if p is not None and ctx[: len(p)] == p:
            return len(ctx) - len(p)
        return max(len(ctx) - 1, 0) if ctx and ctx[0] == BOS else len(ctx)

    # ---------------------------------------------------------------- queries

    def topk(self, context: Sequence[int], k: int) -> tuple[np.ndarray, np.ndarray]:
        ctx = list(context)
        ids, probs, _, _ = hybrid_top_k(
            self.unbounded, ctx, k, self.weights,
            ngram_top_k=lambda kk: self.ngram.topk(ctx, kk),
            ngram_probs_of=lambda ids: self.ngram.probs_of(ctx, ids),
            guard=self.guard, n_generated=self._generated(ctx) if self.guard else 0,
        )
        return ids.astype(np.int64), probs

    def distribution(self, context: Sequence[int]) -> np.ndarray:
        ctx = list(context)
        cap = self.guard.max_suffix_len if self.guard else None
        pu, match = self.unbounded.distribution_and_match(ctx, self.vocab_size, cap)
        lam = float(self.weights.lam(match.suffix_len, match.count, match.sparse))
        if self.guard and not self.guard.allows_unbounded(match.suffix_len, self._generated(ctx)):
            lam = 0.0
        return mix(pu, self.ngram.distribution(ctx), lam)

    def explain(self, context: Sequence[int], limit: int = 2):
        """The matched suffix, its count, and places in the corpus it comes from."""
        return self.unbounded.explain(list(context), limit)

    def score_stream(self, stream: np.ndarray) -> StreamScore:
        ng = self.ngram.score_stream(stream)
        su = self.unbounded.logprobs_stream(np.asarray(stream))
        lp = hybrid_logprobs(su, su.prob, ng.logprob, self.weights)
        return StreamScore(lp, ng.token_ids, ng.positions)

    # ---------------------------------------------------------------- persistence

    def to_arrays(self, prefix: str = "ngram.") -> tuple[dict, dict[str, np.ndarray]]:
        meta, arrays = self.ngram.to_arrays(prefix)
        arrays.update(self.index.to_arrays("sa."))
        meta = dict(meta, unbounded={"weights": self.weights.to_meta(), "index": self.index.meta()})
        return meta, arrays

    @classmethod
    def from_arrays(cls, meta: dict, arrays: dict[str, np.ndarray], prefix: str = "ngram.") -> "HybridModel":
        extra = meta["unbounded"]
        ngram_meta = {k: v for k, v in meta.items() if k != "unbounded"}
        ngram = NgramModel.from_arrays(ngram_meta, arrays, prefix)
        index = SuffixArray.from_arrays(arrays, extra["index"], "sa.")
        return cls(ngram, index, HybridWeights.from_meta(extra["weights"]))
