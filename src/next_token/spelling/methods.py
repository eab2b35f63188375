"""Spelling on `LanguageModel`: correct, suggest, segment, and typo-tolerant prefixes.

`Spelling` is a mixin of `LanguageModel`: the corrector (corrector.py) is made once per model,
on first use, from the lexicon stored in the model file (`lexicon`, built at training time for
word models). A model without one (an ARPA import, `spelling=False`, a file from before) gets a
lexicon made on first use from its corpus index's counts, else from its unigram probabilities.
"""

from __future__ import annotations

import threading
from typing import Sequence

import numpy as np

_LOCK = threading.Lock()  # the corrector is built once even when server threads ask together
EDIT_PENALTY = 2.0  # log10 units per edit: a typo-tolerant match must be 100x likelier per edit


class Spelling:
    """The spelling half of `LanguageModel` (see the module docstring)."""

    lexicon = None  # spelling.Lexicon, or None

    @property
    def corrector(self):
        """The model's `spelling.Corrector` (made on first use, then kept)."""
        corrector = self.__dict__.get("_corrector")
        if corrector is None:
            from .corrector import Corrector
            from .judge import Judge
            from .lexicon import Lexicon

            with _LOCK:
                corrector = self.__dict__.get("_corrector")
                if corrector is None:
                    judge = Judge(self)  # refuses character and subword models, with the reason
                    if self.lexicon is None:
                        index = getattr(self, "index", None)
                        counts = None if index is None else np.asarray(index.unigram_counts)
                        self.lexicon = Lexicon.from_judge(judge, counts)
                    corrector = Corrector(judge, self.lexicon)
                    self.__dict__["_corrector"] = corrector
        return corrector

    def correct(self, text: str, open_end: bool = False):
        """`text` with its misspellings corrected in context, and the edits (`spelling.Correction`:
        .text, .edits with character offsets, the original, the replacement and a confidence).
        Unknown words that look like names or code are left alone. `open_end=True` for text
        still being typed: its end is not taken for the end of a sentence."""
        return self.corrector.correct(text, open_end)

    def suggest(self, word: str, context: str = "", k: int = 5, right_context: str = "") -> list:
        """The k likeliest intended words for `word` typed after `context` (and before
        `right_context`), with probabilities and edit distances (`spelling.Suggestion`)."""
        return self.corrector.suggest(word, context, k, right_context)

    def segment(self, text: str, **options):
        """Split run-together text into words ("thequickbrownfox" -> "the quick brown fox")."""
        return self.corrector.segment(text, **options)

    def _typo_matches(self, ctx: Sequence[int], prefix: str, k: int, exclude: np.ndarray) -> list[tuple[int, float, int]]:
        """Up to k (id, probability, edits) of words whose beginning is 1-2 edits from `prefix`
        (not in `exclude`), best first by log10 p(w | ctx) - EDIT_PENALTY * edits: the fill of
        `predict(prefix=...)` when fewer than k tokens start with the prefix as typed."""
        if self.tokenizer.space_in_token or not any(c.isalpha() for c in prefix):
            return []
        from .prefix import default_distance, fuzzy_prefix_ids

        d = default_distance(prefix)
        if d == 0:
            return []
        _, ids, dist = fuzzy_prefix_ids(self.corrector.lexicon, prefix, d)
        keep = (dist > 0) & ~np.isin(ids, exclude)
        ids, dist = ids[keep], dist[keep]
        if len(ids) == 0:
            return []
        probs = self.model.probabilities(list(ctx), ids)
        with np.errstate(divide="ignore"):
            score = np.log10(probs) - EDIT_PENALTY * dist
        best = np.lexsort((ids, -score))[:k]
        return [(int(ids[i]), float(probs[i]), int(dist[i])) for i in best.tolist()]

