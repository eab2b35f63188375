"""Token <-> id mapping, and turning sentences into one numpy id stream.

Ids 0, 1, 2 are reserved for `<unk>`, `<s>` and `</s>` (KenLM's order); the other tokens get ids
in order of first appearance, so a model written as ARPA lists its unigrams like lmplz does.
A corpus becomes ONE uint32 stream: `<s> t1 ... tn </s>` per sentence, back to back.
"""

from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np

UNK, BOS, EOS = 0, 1, 2
SPECIALS = ("<unk>", "<s>", "</s>")


class Vocabulary:
    """A frozen list of tokens with a dict for the reverse direction."""

    def __init__(self, tokens: Sequence[str]):
        self.tokens: list[str] = list(tokens)
        if tuple(self.tokens[:3]) != SPECIALS:
            raise ValueError("a vocabulary starts with <unk>, <s>, </s>")
        self.index: dict[str, int] = {t: i for i, t in enumerate(self.tokens)}

    def __len__(self) -> int:
        return len(self.tokens)

    def __contains__(self, token: str) -> bool:
        return token in self.index

    def id(self, token: str) -> int:
        return self.index.get(token, UNK)

    def encode(self, tokens: Iterable[str]) -> np.ndarray:
        get = self.index.get
        return np.fromiter((get(t, UNK) for t in tokens), dtype=np.uint32)

    def encode_sentences(self, sentences: Iterable[Sequence[str]]) -> np.ndarray:
        """Map sentences to the id stream, unknown tokens to <unk>."""
        get = self.index.get
        out: list[int] = []
        for sent in sentences:
            out.append(BOS)
            out.extend(get(t, UNK) for t in sent)
            out.append(EOS)
        return np.asarray(out, dtype=np.uint32)

    def decode(self, ids: Iterable[int]) -> list[str]:
        toks = self.tokens
        return [toks[i] for i in ids]

    @classmethod
    def build(cls, sentences: Iterable[Sequence[str]]) -> tuple["Vocabulary", np.ndarray]:
        """Build the vocabulary of `sentences` and encode them in one pass."""
        index: dict[str, int] = {t: i for i, t in enumerate(SPECIALS)}
        setdefault = index.setdefault
        out: list[int] = []
        for sent in sentences:
            out.append(BOS)
            # setdefault with len(index) hands the next id to a new token, in first-seen order.
            out.extend(setdefault(t, len(index)) for t in sent)
            out.append(EOS)
        vocab = cls.__new__(cls)
        vocab.tokens = list(index)
        vocab.index = index
        return vocab, np.asarray(out, dtype=np.uint32)

    def to_arrays(self) -> dict[str, np.ndarray]:
        """The tokens as one UTF-8 byte blob plus end offsets (tokens may hold any character)."""
        encoded = [t.encode("utf-8") for t in self.tokens]
        ends = np.cumsum([len(b) for b in encoded], dtype=np.int64)
        return {"vocab.blob": np.frombuffer(b"".join(encoded), dtype=np.uint8), "vocab.ends": ends}

    @classmethod
    def from_arrays(cls, arrays) -> "Vocabulary":
        blob = bytes(arrays["vocab.blob"])
        ends = arrays["vocab.ends"].tolist()
        starts = [0] + ends[:-1]
        return cls([blob[a:b].decode("utf-8") for a, b in zip(starts, ends)])
