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
from .text import line_stream
from .text.tokenizer import WhitespaceTokenizer
from .text.vocab import BOS, SPECIALS, UNK

BOS_TOKEN = SPECIALS[BOS]

_SCORE_THREADS = max(1, min(4, os.cpu_count() or 1))
_TOKENS_PER_PART = 100_000  # a batch is cut in parts of at least this many tokens, scored on threads
_CHARS_PER_PART = 500_000  # the same for raw text, in characters (about 100,000 tokens) ...
_MAX_CHARS_PER_PART = 4_000_000  # ... and at most this many


class Scoring:
    """The scoring half of `LanguageModel` (see the module docstring)."""

    def score(self, text: str, per_token: bool = True) -> Score:
        """log10 probability and perplexity of `text`, sentence by sentence (KenLM's `query` way)."""
        if not isinstance(text, str):
            raise InputError(f"the text must be a string, got {type(text).__name__}")
        fast = None if per_token else self._score_lines([text])
        if fast is not None:
            s = fast[0]
            if not len(s.logprob):
                raise InputError("the text is empty: nothing to score")
            return Score(s.total, len(s.logprob), s.oov, s.perplexity(True), s.perplexity(False), [])
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
        texts = list(texts)
        for text in texts:
            if not isinstance(text, str):
                raise InputError(f"each text must be a string, got {type(text).__name__}")
        fast = self._score_lines(texts)
        if fast is not None:
            s, counts = fast
        else:
            sents: list = []
            counts = np.zeros(len(texts), dtype=np.int64)  # scored tokens (with </s>) per text
            with _bulk():
                for i, text in enumerate(texts):
                    doc = list(self.tokenizer.sentences(text))
                    # every token and each </s>, less a written "<s>" (its id is <s>: not scored)
                    counts[i] = sum(map(len, doc)) + len(doc) - sum(sent.count(BOS_TOKEN) for sent in doc)
                    sents.extend(doc)
                s = self._score_sentences(sents) if sents else None
        if s is None or not len(s.logprob):
            return [Score(0.0, 0, 0, float("nan"), float("nan")) for _ in texts]
        starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
        has = counts > 0
        lp = np.zeros(len(texts))
        oov = np.zeros(len(texts), dtype=np.int64)
        lp_known = np.zeros(len(texts))
        is_oov = s.token_ids == UNK
        lp[has] = np.add.reduceat(s.logprob.astype(np.float64), starts[has])
        oov[has] = np.add.reduceat(is_oov.astype(np.int64), starts[has])
        lp_known[has] = np.add.reduceat(np.where(is_oov, 0.0, s.logprob), starts[has])
        with np.errstate(divide="ignore", invalid="ignore"):  # a text without tokens: nan
            ppl = np.where(has, 10.0 ** (-lp / counts), np.nan)
            ppl_known = np.where(counts > oov, 10.0 ** (-lp_known / (counts - oov)), np.nan)
        return list(map(Score, lp.tolist(), counts.tolist(), oov.tolist(), ppl.tolist(), ppl_known.tolist()))

    def _score_lines(self, texts: Sequence[str]) -> tuple[StreamScores, np.ndarray] | None:
        """The scores of `texts` and the scored tokens (with `</s>`) of each, for a whitespace
        tokenizer, encoded in numpy (`text.line_stream`); None where that path does not apply.

        The texts are joined by line breaks (a sentence is a line, so none can run into the next
        text) and cut at line breaks into parts that are encoded and scored on threads: every
        step is numpy, so the parts run in parallel, one per core."""
        if not texts or not isinstance(self.tokenizer, WhitespaceTokenizer):
            return None
        table = line_stream.hashed(self.vocab)
        if table is None:
            return None
        joined = "\n".join(texts)
        text_starts = np.cumsum([0] + [len(t) + 1 for t in texts[:-1]])
        # Parts of at least _CHARS_PER_PART (else threads cost more than they save) and at most
        # _MAX_CHARS_PER_PART (each part's arrays take about 40 bytes a character).
        parts = max(min(_SCORE_THREADS, len(joined) // _CHARS_PER_PART), -(-len(joined) // _MAX_CHARS_PER_PART), 1)
        cuts = [0]
        for k in range(1, parts):
            at = joined.find("\n", max(cuts[-1], len(joined) * k // parts))
            if at < 0:
                break
            cuts.append(at + 1)
        cuts.append(len(joined))

        def run(a: int, b: int) -> tuple[StreamScores, np.ndarray, np.ndarray, int]:
            stream, bos, firsts = line_stream.encode_lines(joined[a:b], table)
            s = self.model.score_stream(stream)
            scored = np.diff(np.searchsorted(s.positions, bos), append=len(s.positions))  # per sentence
            return s, scored, firsts + a, len(stream)

        workers = min(_SCORE_THREADS, len(cuts) - 1) if self.model.corpus_index is None else 1  # n-gram only
        if workers > 1:
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(workers) as pool:
                results = list(pool.map(run, cuts[:-1], cuts[1:]))
        else:
            results = list(map(run, cuts[:-1], cuts[1:]))
        shift = np.cumsum([0] + [r[3] for r in results[:-1]])  # where each part's stream begins
        s = StreamScores(np.concatenate([r[0].logprob for r in results]),
                         np.concatenate([r[0].token_ids for r in results]),
                         np.concatenate([r[0].positions + k for r, k in zip(results, shift)]))
        per_sentence = np.concatenate([r[1] for r in results])
        firsts = np.concatenate([r[2] for r in results])
        owner = np.searchsorted(text_starts, firsts, side="right") - 1
        return s, np.bincount(owner, weights=per_sentence, minlength=len(texts)).astype(np.int64)

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
