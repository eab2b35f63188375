"""Scoring: how well the model predicts a text, KenLM `query`'s way, one text or many.

`Scoring` is a mixin of `LanguageModel` (it needs `model`, `vocab` and `tokenizer`). A text is
cut into sentences; every token is scored given the tokens before it in its sentence, and each
sentence's `</s>` is scored too. Perplexity is 10 ** (-log10 p / tokens).
"""

from __future__ import annotations

import gc
import os
from contextlib import contextmanager
from typing import Sequence

import numpy as np

from .errors import InputError
from .generation import END_OF_SENTENCE
from .protocol import StreamScores
from .results import Score
from .text.vocab import BOS, UNK

_SCORE_THREADS = max(1, min(4, os.cpu_count() or 1))
_TOKENS_PER_PART = 100_000  # a batch is cut in parts of at least this many tokens, scored on threads


class Scoring:
    """The scoring half of `LanguageModel` (see the module docstring)."""

    def score(self, text: str, per_token: bool = True) -> Score:
        """log10 probability and perplexity of `text`, sentence by sentence (KenLM's `query` way)."""
        if not isinstance(text, str):
            raise InputError(f"the text must be a string, got {type(text).__name__}")
        with _bulk():
            sents = list(self.tokenizer.sentences(text))
            if not sents:
                raise InputError("the text is empty: nothing to score")
            s = self._score_sentences(sents)
        pairs = []
        if per_token:  # the text's own tokens (an OOV keeps its spelling), then </s> per sentence
            flat = [t for sent in sents for t in sent + [END_OF_SENTENCE]]
            pairs = [(t, float(lp)) for t, lp in zip(flat, s.logprob.tolist())]
        return Score(s.total, len(s.logprob), s.oov, s.perplexity(True), s.perplexity(False), pairs)

    def score_batch(self, texts: Sequence[str]) -> list[Score]:
        """`score(text, per_token=False)` of each text, in one vectorized pass over all of them (how
        a collection of documents is scored for filtering, one perplexity each). A text with no
        token gets a Score of 0 tokens and nan perplexities."""
        if isinstance(texts, str):
            raise InputError("score_batch takes a list of texts; score() takes one")
        sents: list = []
        counts = np.zeros(len(texts), dtype=np.int64)  # scored tokens (with </s>) per text
        with _bulk():
            for i, text in enumerate(texts):
                if not isinstance(text, str):
                    raise InputError(f"each text must be a string, got {type(text).__name__}")
                doc = list(self.tokenizer.sentences(text))
                counts[i] = sum(map(len, doc)) + len(doc)
                sents.extend(doc)
            if not sents:
                return [Score(0.0, 0, 0, float("nan"), float("nan")) for _ in texts]
            s = self._score_sentences(sents)
        starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
        has = counts > 0
        lp = np.zeros(len(texts))
        oov = np.zeros(len(texts), dtype=np.int64)
        lp_known = np.zeros(len(texts))
        is_oov = s.token_ids == UNK
        lp[has] = np.add.reduceat(s.logprob.astype(np.float64), starts[has])
        oov[has] = np.add.reduceat(is_oov.astype(np.int64), starts[has])
        lp_known[has] = np.add.reduceat(np.where(is_oov, 0.0, s.logprob), starts[has])
        out = []
        with np.errstate(divide="ignore", invalid="ignore"):
            for total, n, k, known in zip(lp.tolist(), counts.tolist(), oov.tolist(), lp_known.tolist()):
                ppl = 10.0 ** (-total / n) if n else float("nan")
                ppl_known = 10.0 ** (-known / (n - k)) if n > k else float("nan")
                out.append(Score(total, n, k, ppl, ppl_known))
        return out

    def _score_sentences(self, sents: list) -> StreamScores:
        """Scores of the tokens of `sents` (lists of tokens), `</s>` after each sentence. A large
        batch is encoded (Python), then cut at sentence starts into parts whose lookups (numpy,
        which lets other threads run) go on threads, one per core."""
        stream = self.vocab.encode_sentences(sents)
        parts = min(_SCORE_THREADS, len(stream) // _TOKENS_PER_PART)
        if parts <= 1 or self.model.corpus_index is not None:  # the n-gram's lookups only
            return self.model.score_stream(stream)
        starts = np.flatnonzero(stream == BOS)
        cuts = [0, *starts[np.linspace(0, len(starts), parts + 1).astype(int)[1:-1]].tolist(), len(stream)]
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(parts) as pool:
            results = list(pool.map(self.model.score_stream, [stream[a:b] for a, b in zip(cuts[:-1], cuts[1:])]))
        return StreamScores(np.concatenate([r.logprob for r in results]),
                            np.concatenate([r.token_ids for r in results]),
                            np.concatenate([r.positions + a for r, a in zip(results, cuts[:-1])]))

    def perplexity(self, text: str, include_oov: bool = True) -> float:
        sc = self.score(text, per_token=False)
        return sc.perplexity if include_oov else sc.perplexity_excl_oov


@contextmanager
def _bulk():
    """Bulk tokenizing makes hundreds of thousands of small lists and strings, none of them in a
    reference cycle: the cycle collector would only rescan them, over and over (a fifth of the
    time of scoring a large text). It is paused for the duration, then restored."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
