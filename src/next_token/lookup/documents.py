"""Where each part of the training stream came from: the source file and line of every sentence.

Training reads (name, text) documents and turns them into one id stream of `<s> ... </s>`
sentences. To attribute a position of that stream (a search hit, an explanation) to a place a
person can open, the model keeps, per sentence, where it starts in the stream and the line of its
source where it starts, and per document, its name and its first sentence. A position is then two
binary searches away from "books/phantom.txt, line 812".

    docs = DocumentMap.build(names, sentences_per_document, lines, stream)
    docs.locate(positions)  ->  (document index, line) arrays
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from ..errors import ModelFileError
from ..text.vocab import BOS


class DocumentMap:
    """Sentence starts and lines, and each document's name and first sentence."""

    def __init__(self, names: Sequence[str], first_sentence: np.ndarray, sentence_starts: np.ndarray,
                 lines: np.ndarray):
        self.names = list(names)
        self.first_sentence = np.asarray(first_sentence, dtype=np.int64)  # per document
        self.sentence_starts = np.asarray(sentence_starts)  # stream position of each <s>
        self.lines = np.asarray(lines)  # 1-based line where each sentence starts in its document
        if (len(self.first_sentence) != len(self.names) or len(self.sentence_starts) != len(self.lines)
                or self.sentence_starts.ndim != 1 or not all(isinstance(n, str) for n in self.names)):
            raise ModelFileError("the document map is inconsistent (array lengths disagree)")

    def validate(self, stream_length: int) -> None:
        """Check the values (O(sentences)): starts ascending and inside the stream."""
        s, f = self.sentence_starts.astype(np.int64), self.first_sentence
        if (len(s) and (s[0] < 0 or s[-1] >= stream_length or (np.diff(s) <= 0).any())) or (
                len(f) and (f[0] != 0 or (np.diff(f) < 0).any() or f[-1] > len(s))):
            raise ModelFileError("the document map is corrupted (positions out of order or range)")

    @classmethod
    def build(cls, names: Sequence[str], sentences_per_document: Sequence[int], lines: Sequence[int],
              stream: np.ndarray) -> "DocumentMap":
        """From the documents' names, how many sentences each gave, every sentence's line, and the
        stream those sentences became."""
        starts = np.flatnonzero(np.asarray(stream) == BOS)
        per_doc = np.asarray(sentences_per_document, dtype=np.int64)
        first = np.concatenate(([0], np.cumsum(per_doc)[:-1])) if len(per_doc) else np.zeros(0, np.int64)
        width = np.uint32 if len(stream) < 2**32 else np.uint64
        return cls(names, first, starts.astype(width), np.asarray(lines, dtype=np.uint32))

    def locate(self, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For stream positions: the index of their document and the line of their sentence."""
        pos = np.asarray(positions, dtype=np.int64)
        sentence = np.maximum(np.searchsorted(self.sentence_starts, pos, side="right") - 1, 0)
        doc = np.maximum(np.searchsorted(self.first_sentence, sentence, side="right") - 1, 0)
        return doc, self.lines[sentence].astype(np.int64)

    # ---------------------------------------------------------------- files

    def to_arrays(self, prefix: str = "docs.") -> tuple[dict, dict[str, np.ndarray]]:
        return {"names": self.names}, {
            f"{prefix}first_sentence": self.first_sentence,
            f"{prefix}sentence_starts": self.sentence_starts,
            f"{prefix}lines": self.lines,
        }

    @classmethod
    def from_arrays(cls, meta: dict, arrays, prefix: str = "docs.") -> "DocumentMap | None":
        """The map stored by `to_arrays`, or None when the file has none."""
        if f"{prefix}lines" not in arrays:
            return None
        try:
            return cls(meta["names"], arrays[f"{prefix}first_sentence"], arrays[f"{prefix}sentence_starts"],
                       arrays[f"{prefix}lines"])
        except (KeyError, TypeError) as e:
            raise ModelFileError(f"the document map is incomplete ({e})") from None
