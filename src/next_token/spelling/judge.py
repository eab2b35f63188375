"""The one door between the spelling package and the language model.

Everything spelling asks of a model goes through `Judge`: token <-> id, tokenizing text, and the
three numbers a noisy-channel corrector needs, all log10 or probabilities of the model itself:

    window_logprob(rows)            log10 p(row[-1] | row[:-1]) for many (N-token) rows at once
    probabilities(context, ids)     p(w | context) for the given ids only
    top_k(context, k)               the k most probable next tokens

When the model's module paths or method names change, this file is the only one to repoint.
An unbounded (hybrid) model is judged by its fixed-order n-gram part: the corrector compares
windows of N tokens, which is what that part scores exactly.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from ..errors import InputError
from ..text.vocab import BOS, EOS, UNK  # noqa: F401 - re-exported for the spelling modules


class Judge:
    """A language model seen from the spelling package."""

    def __init__(self, lm):
        if lm.tokenizer.space_in_token:  # characters or subwords: there are no words to correct
            raise InputError(f"spelling needs a word model (tokenizer 'word' or 'whitespace'), "
                             f"not {lm.tokenizer.name!r}")
        self.lm = lm
        self._ngram = lm.model.ngram  # a hybrid model's n-gram part, or the model itself
        self.order: int = int(self._ngram.order)
        self.vocab_size: int = len(lm.vocab)
        self.tokenizer_name: str = lm.tokenizer.name

    @property
    def tokens(self) -> Sequence[str]:
        """Token strings by id (ids 0, 1, 2 are <unk>, <s>, </s>)."""
        return self.lm.vocab.tokens

    def id(self, token: str) -> int:
        """The id of `token`, 0 (<unk>) when unknown."""
        return self.lm.vocab.id(token)

    def encode(self, sentences: Sequence[Sequence[str]]) -> np.ndarray:
        """One int64 stream `<s> ... </s>` per sentence, unknown tokens as <unk>."""
        return np.asarray(self.lm.vocab.encode_sentences(sentences), dtype=np.int64)

    def sentences(self, text: str) -> list[list[str]]:
        """The model's own tokenization of `text`, sentence by sentence."""
        return list(self.lm.tokenizer.sentences(text))

    def window_logprob(self, rows: np.ndarray) -> np.ndarray:
        """log10 p(last token | the N-1 before it) of each row of an (M, N) id matrix.

        Rows that reach back past a sentence start are padded with <s>; the model stores no
        n-gram with two <s> in a row, so the padding scores exactly like the sentence start.
        """
        return self._ngram.logprob_rows(np.asarray(rows, dtype=np.int64))

    def probabilities(self, context: Sequence[int], ids: np.ndarray) -> np.ndarray:
        """p(w | context) of the given ids; an empty context gives the unigram probabilities."""
        return self._ngram.probabilities(list(context), np.asarray(ids, dtype=np.int64))

    def top_k(self, context: Sequence[int], k: int) -> tuple[np.ndarray, np.ndarray]:
        """The k most probable next token ids after `context`, and their probabilities."""
        return self._ngram.top_k(list(context), k)

    def unigram_logprob(self) -> np.ndarray:
        """log10 p(w) of every token id with no context (the model's own unigram level)."""
        with np.errstate(divide="ignore"):
            return np.log10(self.probabilities([], np.arange(self.vocab_size)))

    def token_counts(self, texts: Sequence[str]) -> np.ndarray:
        """How often each token id occurs in `texts` (the training text at training time)."""
        stream = self.encode([s for t in texts for s in self.sentences(t)])
        return np.bincount(stream, minlength=self.vocab_size)
