"""Suffix alternations: unknown words that are another form of a known word.

Most correct words a vocabulary lacks are forms of words it has: "quarrels" when only "quarrel"
was seen, "robbery" next to "robbers", "grassy" next to "grass". A typo rarely lands exactly on
such a form, so an unknown word that is a known word with a common ending swapped is probably
right, and the corrector leaves it alone unless the evidence is strong.

Which endings alternate is learned from the lexicon itself: every pair of words that share a
stem of at least `min_stem` letters and differ only in endings of at most `max_suffix` letters
votes for its pair of endings ("" <-> "s", "y" <-> "ies", "e" <-> "ed", ...). Pairs seen at least
`min_count` times are kept, both ways. No language is built in.
"""

from __future__ import annotations

from collections import Counter
from typing import Callable, Sequence

import numpy as np

from .distance import PAD, encode

SEP = "|"


class Inflections:
    """The frequent ending alternations of a lexicon: (typed ending, known ending) pairs."""

    def __init__(self, chars: np.ndarray, ends: np.ndarray):
        self.chars = chars  # the pairs as "a|b" strings: one code-point blob and end offsets
        self.ends = ends
        self._table: dict[str, list[str]] | None = None

    @classmethod
    def learn(cls, keys: Sequence[str], max_suffix: int = 3, min_stem: int = 4, min_count: int = 20) -> "Inflections":
        by_stem: dict[str, list[str]] = {}
        for key in keys:
            for n in range(0, max_suffix + 1):
                if len(key) - n >= min_stem:
                    by_stem.setdefault(key[: len(key) - n], []).append(key[len(key) - n :])
        votes: Counter = Counter()
        for endings in by_stem.values():
            if len(endings) > 1:
                for a in endings:
                    for b in endings:
                        # Count each alternation once, at its shortest stem: skip endings that
                        # share a first letter (a longer stem explains them).
                        if a != b and not (a and b and a[0] == b[0]):
                            votes[(a, b)] += 1
        pairs = sorted(f"{a}{SEP}{b}" for (a, b), c in votes.items() if c >= min_count)
        M, n = encode(pairs)
        chars = M[M != PAD].astype(np.uint32) if pairs else np.zeros(0, np.uint32)
        return cls(chars, np.cumsum(n).astype(np.int64))

    @property
    def table(self) -> dict[str, list[str]]:
        """typed ending -> the known endings it alternates with (decoded on first use)."""
        if self._table is None:
            table: dict[str, list[str]] = {}
            text = np.asarray(self.chars, dtype=np.uint32).tobytes().decode("utf-32-le")
            start = 0
            for end in np.asarray(self.ends).tolist():
                a, b = text[start:end].split(SEP)
                table.setdefault(a, []).append(b)
                start = end
            self._table = table
        return self._table

    def __len__(self) -> int:
        return len(self.ends)

    def related(self, words: Sequence[str], known: Callable[[list[str]], np.ndarray], min_stem: int = 4) -> np.ndarray:
        """For each word, whether swapping a frequent ending makes a known word
        (`known(list of strings)` answers for a batch at once)."""
        table = self.table
        owners, forms = [], []
        for n, w in enumerate(words):
            for cut in range(0, 4):
                if len(w) - cut < min_stem:
                    break
                stem, ending = w[: len(w) - cut], w[len(w) - cut :]
                for other in table.get(ending, ()):
                    owners.append(n)
                    forms.append(stem + other)
        out = np.zeros(len(words), dtype=bool)
        if forms:
            hit = known(forms)
            out[np.asarray(owners)[hit]] = True
        return out

    def to_arrays(self, prefix: str = "inflections.") -> dict[str, np.ndarray]:
        return {f"{prefix}chars": self.chars, f"{prefix}ends": self.ends}

    @classmethod
    def from_arrays(cls, arrays, prefix: str = "inflections.") -> "Inflections":
        from ..errors import ModelFileError

        try:
            return cls(arrays[f"{prefix}chars"], arrays[f"{prefix}ends"])
        except KeyError as e:
            raise ModelFileError(f"the spelling lexicon lacks the table {e}") from None
