"""Which words get a vector, and which row of the matrix each one gets.

A word vector is learned for every *word type* seen at least `min_count` times. Two choices
decide what a word type is:

- `lowercase=False`: every token of the model's vocabulary is its own type ("Paris" and "paris"
  get separate vectors, each from its own occurrences);
- `lowercase=True`: tokens that are equal after `str.lower()` are one type, their counts and
  contexts pooled ("Paris", "paris" and "PARIS" share one vector). A type is then *shown* as its
  most frequent surface form, so `similar("paris")` answers "London", not "london".

On small corpora pooling matters: a capitalised sentence-initial "The" and the "the" inside
sentences are the same word, and splitting them halves the evidence for both (measured in
bench/VECTORS_RESULTS.md).

Rows are ordered by frequency, most frequent first (ties by model id), which is also the order
the case-insensitive lookup of `WordVectors` prefers when several surface forms match.

The reserved ids 0, 1, 2 (`<unk>`, `<s>`, `</s>`) never get a vector: `<s>`/`</s>` only mark
sentence boundaries and `<unk>` is not a word.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ..errors import InputError

N_RESERVED = 3  # ids 0, 1, 2: <unk>, <s>, </s>
BOS = 1


@dataclass
class VectorVocabulary:
    """The words that get vectors.

    ids        uint32 [rows]: the model id shown for each row (its most frequent surface form)
    counts     int64 [rows]: occurrences of the word type (all its surface forms)
    row_of_id  int64 [len(tokens)]: the row of every model id, -1 where there is none
    """

    ids: np.ndarray
    counts: np.ndarray
    row_of_id: np.ndarray

    def __len__(self) -> int:
        return len(self.ids)

    @classmethod
    def build(
        cls, stream: np.ndarray, tokens: Sequence[str], min_count: int = 5, lowercase: bool = True
    ) -> "VectorVocabulary":
        V = len(tokens)
        id_counts = np.bincount(stream, minlength=V).astype(np.int64)
        id_counts[:N_RESERVED] = 0
        if lowercase:
            # One Python pass over the vocabulary (not the corpus): each id -> its lower-case class.
            classes: dict[str, int] = {}
            setdefault = classes.setdefault
            type_of_id = np.fromiter(
                (setdefault(tokens[i].lower(), len(classes)) if i >= N_RESERVED else -1 for i in range(V)),
                dtype=np.int64,
                count=V,
            )
        else:
            type_of_id = np.arange(V, dtype=np.int64)
            type_of_id[:N_RESERVED] = -1
        real = type_of_id >= 0
        n_types = int(type_of_id.max()) + 1 if real.any() else 0
        type_counts = np.bincount(type_of_id[real], weights=id_counts[real], minlength=n_types).astype(np.int64)
        # The shown form of a type: its most frequent member id (ties: the smallest id).
        members = np.flatnonzero(real)
        order = np.lexsort((members, -id_counts[members], type_of_id[members]))
        members = members[order]
        first = np.ones(len(members), dtype=bool)
        first[1:] = type_of_id[members[1:]] != type_of_id[members[:-1]]
        shown = np.empty(n_types, dtype=np.int64)
        shown[type_of_id[members[first]]] = members[first]
        # Rows: types with enough occurrences, most frequent first.
        kept = np.flatnonzero(type_counts >= min_count)
        kept = kept[np.lexsort((shown[kept], -type_counts[kept]))]
        row_of_type = np.full(n_types, -1, dtype=np.int64)
        row_of_type[kept] = np.arange(len(kept))
        row_of_id = np.full(V, -1, dtype=np.int64)
        row_of_id[real] = row_of_type[type_of_id[real]]
        return cls(shown[kept].astype(np.uint32), type_counts[kept], row_of_id)


def check_stream(stream: np.ndarray, n_tokens: int) -> np.ndarray:
    """The id stream as a 1-D unsigned array, or a clear InputError."""
    s = np.asarray(stream)
    if s.ndim != 1 or s.dtype.kind not in "ui":
        raise InputError("the token stream must be a 1-D array of integer token ids")
    if s.size and (int(s.min()) < 0 or int(s.max()) >= n_tokens):
        raise InputError(f"the token stream holds ids outside the vocabulary of {n_tokens} tokens")
    return s


def kept_tokens(
    stream: np.ndarray,
    vocab: VectorVocabulary,
    subsample: float | None = None,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """The tokens that take part in windows: (row of each, its sentence number), in corpus order.

    Sentence numbers count the `<s>` seen so far, so a window can be kept inside its sentence.
    Tokens without a vector (rare words, `<unk>`, the boundary markers) are *removed before*
    windows are formed, as word2vec does, so a window reaches past them.

    Subsampling (Mikolov et al. 2013, as word2vec's code and gensim implement it) drops each
    occurrence of a word of relative frequency f = count / total with probability
    1 - (sqrt(f / t) + 1) * t / f (never, when f <= t): the very frequent words ("the", ",")
    say little about their neighbours, and dropping them also brings farther words into the
    window. It is random (seeded) and, like word2vec's, happens before windowing ("dirty").
    """
    rows = vocab.row_of_id[stream]
    sentence = np.cumsum(stream == BOS, dtype=np.int64)
    keep = rows >= 0
    if subsample is not None and subsample > 0 and len(vocab):
        keep_prob = keep_probability(vocab.counts, subsample)
        draw = np.random.default_rng(seed).random(len(stream))
        keep &= draw < keep_prob[np.maximum(rows, 0)]
    return rows[keep], sentence[keep]


def keep_probability(counts: np.ndarray, t: float) -> np.ndarray:
    """word2vec's probability of keeping one occurrence of each word (counts -> [0, 1])."""
    f = counts / max(int(counts.sum()), 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = (np.sqrt(f / t) + 1.0) * t / f
    return np.minimum(np.nan_to_num(p, nan=1.0, posinf=1.0), 1.0)
