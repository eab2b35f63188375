"""The optional parts of a model file, besides the model, vocabulary and spacing: the corpus
index and its document map, the spelling lexicon and the word vectors.

Each part is a group of arrays under its own prefix ("sa.", "docs.", "spelling.", "vectors.")
plus, for some, a small description in the header (`meta`). An unbounded model's index is the
one inside its model ("ngram.sa..."): it is not stored twice.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Parts:
    index: object = None  # unbounded.index.SuffixArray
    documents: object = None  # lookup.documents.DocumentMap
    lexicon: object = None  # spelling.lexicon.Lexicon
    vectors: object = None  # lookup.vectors.WordVectors


def parts_to_arrays(parts: Parts, model) -> tuple[dict, dict[str, np.ndarray]]:
    """(header entries, arrays) of the parts that are present."""
    meta: dict = {}
    arrays: dict[str, np.ndarray] = {}
    if parts.index is not None and parts.index is not model.corpus_index:
        meta["index"] = parts.index.meta()
        arrays.update(parts.index.to_arrays("sa."))
    if parts.documents is not None:
        meta["documents"], more = parts.documents.to_arrays("docs.")
        arrays.update(more)
    if parts.lexicon is not None:
        arrays.update(parts.lexicon.to_arrays("spelling."))
    if parts.vectors is not None:
        meta["vectors"], more = parts.vectors.to_arrays("vectors.")
        arrays.update(more)
    return meta, arrays


def parts_from_arrays(meta: dict, arrays, model, vocab, verify: bool) -> tuple[Parts, set[str]]:
    """The parts stored in a file, and the names of the arrays they use (so that the loader can
    refuse a file with tables nothing uses). Malformed parts raise ModelFileError, KeyError,
    TypeError or ValueError, which the loader reports as a damaged file."""
    parts = Parts(index=model.corpus_index)
    if "index" in meta:
        from .unbounded.index import SuffixArray

        parts.index = SuffixArray.from_arrays(arrays, meta["index"], "sa.")
        if parts.index.id_bound > len(vocab):
            raise ValueError("the corpus index holds ids beyond the vocabulary")
        if verify:
            parts.index.validate()
    if "documents" in meta:
        from .lookup.documents import DocumentMap

        parts.documents = DocumentMap.from_arrays(meta["documents"], arrays, "docs.")
        if parts.documents is None or parts.index is None:
            raise ValueError("the document map is missing its tables or its index")
        if verify:
            parts.documents.validate(parts.index.n)
    if "spelling.counts" in arrays:
        from .spelling.lexicon import Lexicon

        parts.lexicon = Lexicon.from_arrays(arrays, "spelling.")
        parts.lexicon.validate(len(vocab), deep=verify)
    if "vectors" in meta:
        from .lookup.vectors import WordVectors, validate_vectors

        parts.vectors = WordVectors.from_arrays(meta["vectors"], arrays, vocab.tokens, "vectors.")
        if verify:
            validate_vectors(parts.vectors)
    return parts, set(parts_to_arrays(parts, model)[1])  # names only: nothing is read
