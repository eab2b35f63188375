"""Lookup on `LanguageModel`: phrase search, explanations, similar words, paraphrase.

`Lookup` is a mixin of `LanguageModel`. It reads three optional parts of a model, each stored in
the model file and memory-mapped with the rest:

    index      the suffix array of the training text (unbounded/index.py): search, explain
    documents  where each sentence came from (documents.py): sources and lines of hits
    vectors    word vectors (vectors.py): similar, vector, analogy, substitutes, paraphrase

A part a model lacks raises InputError naming the training option that builds it.
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError

NO_INDEX = ("this model has no corpus index: retrain it without --no-index (index=False); "
            "a bounded-memory build (--memory) makes none")
NO_VECTORS = "this model has no word vectors: retrain it with --vectors (vectors=True; needs the [vectors] extra)"


class Lookup:
    """The lookup half of `LanguageModel` (see the module docstring)."""

    index = None
    documents = None
    vectors = None

    def require_index(self):
        if self.index is None:
            raise InputError(NO_INDEX)
        return self.index

    def require_vectors(self):
        if self.vectors is None:
            raise InputError(NO_VECTORS)
        return self.vectors

    # ------------------------------------------------------------------ the corpus

    def search(self, phrase: str, *, ignore_case: bool = False, offset: int = 0, limit: int = 10,
               context: int = 12, neighbours: int = 10):
        """Where `phrase` occurs in the training text: its count, hits `offset` to `offset + limit`
        in text order (source file, line, the text around it), and the `neighbours` tokens seen
        most often before and after it (`lookup.search.SearchResult`; `.to_dict()` for JSON)."""
        from .search import search

        return search(self.require_index(), self.vocab, self.tokenizer, phrase, documents=self.documents,
                      ignore_case=ignore_case, offset=offset, limit=limit, context=context, neighbours=neighbours)

    def explain(self, context: str, limit: int = 2) -> dict:
        """Where a prediction comes from: the longest end of the context seen in the corpus, how
        often it was seen, and `limit` places it occurs, with the sentence around each."""
        from ..unbounded.estimate import UnboundedModel

        e = UnboundedModel(self.require_index()).explain(self.context_ids(context, whole=True), limit)
        toks = self.vocab.tokens
        words = lambda ids: [toks[int(i)] for i in ids if int(i) > 2]  # noqa: E731
        places = []
        for o in e.occurrences:
            ids = [int(i) for i in o.ids]
            a, b = o.match_start, o.match_start + o.match_len
            place = {
                "position": int(o.position),
                "before": self.tokenizer.detokenize(words(ids[:a])),
                "match": self.tokenizer.detokenize(words(ids[a:b])),
                "after": self.tokenizer.detokenize(words(ids[b:])),
            }
            if self.documents is not None:
                doc, line = self.documents.locate(np.array([o.position]))
                place.update(source=self.documents.names[int(doc[0])], line=int(line[0]))
            places.append(place)
        return {
            "matched": self.tokenizer.detokenize(words(e.suffix)),
            "matched_tokens": int(e.match.suffix_len),
            "count": int(e.match.count),
            "continuations": int(e.match.distinct),
            "occurrences": places,
        }

    # ------------------------------------------------------------------ words

    def similar(self, word: str, k: int = 10) -> list:
        """The k words whose vectors are closest to `word`'s, best first (`Neighbor(word, score)`,
        the score a cosine)."""
        return self.require_vectors().similar(word, k)

    def vector(self, word: str) -> np.ndarray:
        """The unit-length vector of `word` (float32)."""
        return self.require_vectors().vector(word)

    def analogy(self, a: str, b: str, c: str, k: int = 1) -> list:
        """a is to b as c is to ...: `analogy("paris", "france", "london")` -> [Neighbor("england", .)]
        (3CosMul, Levy & Goldberg 2014)."""
        return self.require_vectors().analogy(a, b, c, k)

    def substitutes(self, sentence: str, position: int | str, k: int = 5) -> list:
        """The k best words for the one at `position` (a token number or the word itself), each
        with the sentence it makes, ranked by the model's probability of that sentence and by
        similarity (`lookup.paraphrase.Substitute`)."""
        from .paraphrase import substitutes

        return substitutes(self, sentence, position, k)

    def paraphrase(self, sentence: str, n: int = 3) -> list:
        """Up to n fluent variants of `sentence`, one or two words substituted, with their scores
        (`lookup.paraphrase.Paraphrase`)."""
        from .paraphrase import paraphrase

        return paraphrase(self, sentence, n)
