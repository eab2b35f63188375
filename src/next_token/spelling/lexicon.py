"""The lexicon: which words a correction may produce, how often each was seen, and the deletes
index that finds them (everything the corrector needs besides the language model itself).

Words are looked up by their lower-cased form, the *key*; the vocabulary's case variants of a
key ("may", "May") hang off it:

    keys            DeletesIndex over the sorted keys (word-like tokens only: letters with
                    inner ' ’ or -; no numbers, no punctuation, no code)
    key_count       how often all variants of each key were seen in the training text
    key_lower       vocabulary id of the all-lower-case variant, or -1
    key_title       vocabulary id of the Capitalized variant, or -1
    key_best        vocabulary id of the most frequent variant (a name has only that one)
    counts          how often each vocabulary id was seen (the unigram prior P(w))
    chars           a character n-gram model of the keys' spellings (char_model.py): how much
                    an unknown string looks like a word
    inflections     the endings that alternate between keys (inflection.py): "quarrels" is
                    probably right when "quarrel" is known

All of it is flat numpy arrays (`to_arrays`/`from_arrays`), so it sits in the model file next
to the n-gram tables and loads memory-mapped, decoding nothing until a word is asked for.
"""

from __future__ import annotations

import re
from typing import Sequence

import numpy as np

from ..errors import InputError, ModelFileError
from .char_model import CharModel
from .deletes import DeletesIndex
from .inflection import Inflections

WORD_LIKE = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
"""A token the corrector may touch or propose: letters, with inner apostrophes or hyphens."""

MAX_WORD_LENGTH = 40  # longer tokens are not words a person misspells by a letter or two


def is_word_like(token: str) -> bool:
    return len(token) <= MAX_WORD_LENGTH and WORD_LIKE.fullmatch(token) is not None


class Lexicon:
    """The correctable words of a vocabulary, indexed by lower-cased form."""

    def __init__(self, index: DeletesIndex, key_count, key_lower, key_title, key_best, counts, chars: CharModel,
                 inflections: Inflections):
        self.index = index
        self.chars = chars
        self.inflections = inflections
        self.key_count = key_count
        self.key_lower = key_lower
        self.key_title = key_title
        self.key_best = key_best
        self.counts = counts
        self.total = float(np.asarray(counts).sum()) or 1.0

    @classmethod
    def build(cls, tokens: Sequence[str], counts, prefix_length: int = 7, max_distance: int = 2) -> "Lexicon":
        """Index the word-like tokens of a vocabulary (`tokens[i]` has id i and was seen
        `counts[i]` times in the training text; tokens never seen are left out)."""
        counts = np.asarray(counts, dtype=np.int64)
        if len(counts) != len(tokens):
            raise InputError("counts must give one number per vocabulary token")
        groups: dict[str, list[int]] = {}
        for i, tok in enumerate(tokens):
            if i > 2 and counts[i] > 0 and is_word_like(tok):
                groups.setdefault(tok.lower(), []).append(i)
        keys = sorted(groups)
        K = len(keys)
        key_count = np.zeros(K, dtype=np.int64)
        ids = np.int32 if len(tokens) < 2**31 else np.int64  # half the bytes of the file's lexicon tables
        key_lower = np.full(K, -1, dtype=ids)
        key_title = np.full(K, -1, dtype=ids)
        key_best = np.full(K, -1, dtype=ids)
        for k, key in enumerate(keys):
            ids = groups[key]
            key_count[k] = counts[ids].sum()
            key_best[k] = max(ids, key=lambda i: (counts[i], -i))
            title = key[:1].upper() + key[1:]
            for i in ids:
                if tokens[i] == key:
                    key_lower[k] = i
                elif tokens[i] == title:
                    key_title[k] = i
        index = DeletesIndex.build(keys, prefix_length, max_distance)
        return cls(index, key_count, key_lower, key_title, key_best, counts, CharModel.train(keys),
                   Inflections.learn(keys))

    @classmethod
    def from_judge(cls, judge, counts=None, **options) -> "Lexicon":
        """The lexicon of a model. Without `counts` (the training text is gone, e.g. an ARPA
        import), pseudo-counts come from the model's unigram probabilities, per million tokens."""
        if counts is None:
            p = 10.0 ** judge.unigram_logprob()
            counts = np.ceil(p * 1e6 * (p > 0)).astype(np.int64)
        return cls.build(judge.tokens, counts, **options)

    # ------------------------------------------------------------------ persistence

    def to_arrays(self, prefix: str = "spelling.") -> dict[str, np.ndarray]:
        arrays = self.index.to_arrays(prefix + "deletes.")
        arrays.update(self.chars.to_arrays(prefix + "chars."))
        arrays.update(self.inflections.to_arrays(prefix + "inflections."))
        arrays.update({
            f"{prefix}key_count": self.key_count,
            f"{prefix}key_lower": self.key_lower,
            f"{prefix}key_title": self.key_title,
            f"{prefix}key_best": self.key_best,
            f"{prefix}counts": self.counts,
        })
        return arrays

    @classmethod
    def from_arrays(cls, arrays, prefix: str = "spelling.") -> "Lexicon":
        index = DeletesIndex.from_arrays(arrays, prefix + "deletes.")
        try:
            parts = [arrays[f"{prefix}{n}"] for n in ("key_count", "key_lower", "key_title", "key_best", "counts")]
        except KeyError as e:
            raise ModelFileError(f"the spelling lexicon lacks the table {e}") from None
        return cls(index, *parts, CharModel.from_arrays(arrays, prefix + "chars."),
                   Inflections.from_arrays(arrays, prefix + "inflections."))

    def validate(self, vocab_size: int, deep: bool = False) -> None:
        """Raise ModelFileError unless the tables fit together: their shapes and kinds always
        (nothing is read), and with `deep` their values too (O(size): offsets ascending and in
        range, ids inside the vocabulary, sorted keys). Run when a model file is loaded."""
        ix, ch = self.index, self.chars
        K = len(ix.ends)
        ints = [ix.chars, ix.ends, ix.hashes, ix.starts, ix.postings, ix.levels, self.counts, self.key_count,
                self.key_lower, self.key_title, self.key_best, self.inflections.chars, self.inflections.ends,
                ch.alphabet] + [a for table in ch.tables for a in table]
        shapes = ([a.shape == (K,) for a in (self.key_count, self.key_lower, self.key_title, self.key_best)]
                  + [self.counts.shape == (vocab_size,), ix.starts.shape == (len(ix.hashes) + 1,),
                     ix.postings.shape == ix.levels.shape, 1 <= ch.order <= 12, len(ch.tables) == ch.order]
                  + [a.shape == t[0].shape for t in ch.tables for a in t[:2]]
                  + [a.shape == t[2].shape for t in ch.tables for a in t[2:]])
        if not all(np.asarray(a).ndim == 1 and np.asarray(a).dtype.kind in "iu" for a in ints) or not all(shapes):
            raise ModelFileError("the spelling lexicon is corrupted (its tables do not fit together)")
        if not deep:
            return

        def ascending(a, low=0, high=None, strict=False):
            a = np.asarray(a, dtype=np.int64)
            steps = np.diff(a)
            return (not len(a) or (a[0] >= low and (high is None or a[-1] <= high))) and bool(
                (steps > 0).all() if strict else (steps >= 0).all())

        ids_ok = all(((a >= -1) & (a < vocab_size)).all() for a in (self.key_lower, self.key_title)) and bool(
            ((self.key_best > 2) & (self.key_best < vocab_size)).all())
        ok = (ids_ok and ascending(ix.ends, 0, len(ix.chars)) and (not K or ix.ends[-1] == len(ix.chars))
              and ascending(ix.starts, 0, len(ix.postings)) and ix.starts[0] == 0 and ix.starts[-1] == len(ix.postings)
              and ascending(ix.hashes.view(np.int64) ^ np.int64(-2**63), -2**63, strict=True)
              and bool((ix.postings < K).all()) and bool((ix.levels <= ix.max_distance).all())
              and bool((ix.chars < 0x110000).all()) and (self.counts >= 0).all() and (self.key_count >= 0).all()
              and ascending(self.inflections.ends, 0, len(self.inflections.chars))
              and all(ascending(t[0].view(np.int64) ^ np.int64(-2**63), -2**63, strict=True) for t in ch.tables))
        if not ok:
            raise ModelFileError("the spelling lexicon is corrupted (offsets, ids or keys out of order or range)")

    # ------------------------------------------------------------------ queries

    def __len__(self) -> int:
        return len(self.index)

    def key(self, k: int) -> str:
        return self.index.word(k)

    def contains(self, words: Sequence[str]) -> np.ndarray:
        """Whether each (lower-case) word is a key, in one batched exact lookup."""
        q_of, _, _, _ = self.index.lookup_many(list(words), 0)
        out = np.zeros(len(words), dtype=bool)
        out[q_of] = True
        return out

    def log_prior(self, ids: np.ndarray) -> np.ndarray:
        """log10 P(w) from the training counts (add-half smoothing: unseen is not impossible)."""
        return np.log10((np.asarray(self.counts)[np.asarray(ids, dtype=np.int64)] + 0.5) / self.total)
