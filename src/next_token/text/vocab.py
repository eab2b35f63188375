"""Token <-> id mapping, and turning sentences into one numpy id stream.

Ids 0, 1, 2 are reserved for `<unk>`, `<s>` and `</s>` (KenLM's order); the other tokens get ids
in order of first appearance, so a model written as ARPA lists its unigrams like lmplz does.
A corpus becomes ONE uint32 stream: `<s> t1 ... tn </s>` per sentence, back to back.

In a model file the vocabulary is three arrays: the UTF-8 bytes of all tokens end to end, the
end offset of each token, and the ids sorted by their bytes. Loading maps them and decodes
nothing: a token is decoded when it is asked for, and an id is found by binary search over the
sorted ids until enough lookups make a dict worth building. So loading costs the same for 20
thousand tokens or 2 million.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left, bisect_right
from itertools import chain, repeat
from typing import Iterable, Iterator, Sequence

import numpy as np

UNK, BOS, EOS = 0, 1, 2
SPECIALS = ("<unk>", "<s>", "</s>")
_DICT_AFTER = 2000  # binary-search lookups to serve before building the dict


class _MappedTokens(Sequence):
    """A read-only list of tokens decoded on access from the mapped blob."""

    def __init__(self, blob: np.ndarray, ends: np.ndarray):
        self._blob = memoryview(np.ascontiguousarray(blob))
        self._ends = memoryview(np.ascontiguousarray(ends, dtype=np.int64))

    def __len__(self) -> int:
        return len(self._ends)

    def raw(self, i: int) -> bytes:
        return bytes(self._blob[self._ends[i - 1] if i else 0 : self._ends[i]])

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        return self.raw(i).decode("utf-8")

    def __iter__(self) -> Iterator[str]:
        return (self[i] for i in range(len(self)))


class Vocabulary:
    """Tokens by id, and ids by token."""

    ARRAYS = ("vocab.blob", "vocab.ends", "vocab.sorted", "vocab.folded")  # what a model file holds

    def __init__(self, tokens: Sequence[str]):
        self.tokens: Sequence[str] = list(tokens)
        if tuple(self.tokens[:3]) != SPECIALS:
            raise ValueError("a vocabulary starts with <unk>, <s>, </s>")
        self._index: dict[str, int] | None = {t: i for i, t in enumerate(self.tokens)}
        self._sorted: np.ndarray | None = None
        self._folded: np.ndarray | None = None
        self._words: np.ndarray | None = None
        self._lookups = 0

    @property
    def index(self) -> dict[str, int]:
        """token -> id as a dict (built on first use for a loaded vocabulary)."""
        if self._index is None:
            self._index = _index_of(self.tokens)
        return self._index

    def __len__(self) -> int:
        return len(self.tokens)

    def __contains__(self, token: str) -> bool:
        return self.id(token) != UNK or token == "<unk>"

    def id(self, token: str) -> int:
        if self._index is None:
            self._lookups += 1
            if self._lookups <= _DICT_AFTER:
                return self._search(token)
        return self.index.get(token, UNK)

    def _search(self, token: str) -> int:
        raw = self.tokens.raw  # type: ignore[union-attr]
        target = token.encode("utf-8", "surrogatepass")  # a lone surrogate: no token's bytes, so <unk>
        ids = memoryview(self._sorted)  # yields Python ints
        i = bisect_left(ids, target, key=raw)
        return ids[i] if i < len(ids) and raw(ids[i]) == target else UNK

    def with_prefix(self, prefix: str, ignore_case: bool = False) -> np.ndarray:
        """The ids of every token that starts with `prefix` (specials excluded); with
        `ignore_case`, compared case-folded ("chri" finds "Christine")."""
        if ignore_case:
            return self._with_folded_prefix(prefix.casefold())
        ids = memoryview(self.sorted_ids())
        if isinstance(self.tokens, _MappedTokens):  # compare raw bytes: nothing is decoded
            target, key = prefix.encode("utf-8", "surrogatepass"), self.tokens.raw
        else:  # code-point order is UTF-8 byte order, so strings compare the same way
            target, key = prefix, self.tokens.__getitem__
        n = len(target)
        lo = bisect_left(ids, target, key=key)
        hi = bisect_right(ids, target, lo=lo, key=lambda j: key(j)[:n])
        found = np.asarray(ids[lo:hi], dtype=np.int64)
        return found[found > EOS]

    def _with_folded_prefix(self, folded: str) -> np.ndarray:
        ids = memoryview(self.folded_ids())
        key = lambda j: self.tokens[j].casefold()  # noqa: E731 - decoded per probe: O(log V) of them
        n = len(folded)
        lo = bisect_left(ids, folded, key=key)
        hi = bisect_right(ids, folded, lo=lo, key=lambda j: key(j)[:n])
        found = np.asarray(ids[lo:hi], dtype=np.int64)
        return found[found > EOS]

    def folded_ids(self) -> np.ndarray:
        """The ids sorted by their case-folded tokens (stored in the model file; else built once)."""
        if self._folded is None:
            folded = [t.casefold() for t in self.tokens]
            self._folded = np.array(sorted(range(len(folded)), key=folded.__getitem__), dtype=np.uint32)
        return self._folded

    def validate(self) -> None:
        """Check every token (O(V)): offsets ascending, each token valid UTF-8 and unique, the
        sorted orders permutations of the ids in the right order."""
        tokens = self.tokens
        if isinstance(tokens, _MappedTokens):
            ends = np.asarray(tokens._ends)
            if len(ends) and (ends[0] < 0 or (np.diff(ends) < 0).any()):
                raise ValueError("the vocabulary offsets are corrupted")
        try:
            decoded = [tokens[i] for i in range(len(tokens))]
        except UnicodeDecodeError:
            raise ValueError("the vocabulary holds bytes that are not UTF-8") from None
        if len(set(decoded)) != len(decoded):
            raise ValueError("the vocabulary holds a token twice")
        V = len(decoded)
        for name, order, key in (("sorted", self.sorted_ids(), lambda t: t.encode("utf-8")),
                                 ("case-folded", self.folded_ids(), str.casefold)):
            ids = np.asarray(order, dtype=np.int64)
            if len(ids) != V or ids.max() >= V or (np.bincount(ids, minlength=V) != 1).any():
                raise ValueError(f"the vocabulary's {name} order is not a permutation of its ids")
            keys = [key(decoded[i]) for i in ids.tolist()]
            if any(a > b for a, b in zip(keys, keys[1:])):
                raise ValueError(f"the vocabulary's {name} order is out of order")

    def word_mask(self) -> np.ndarray:
        """A bool per id: the token holds a letter or a digit (built once, on first use)."""
        if self._words is None:
            self._words = np.fromiter((any(c.isalnum() for c in t) for t in self.tokens), bool, len(self.tokens))
            self._words[: EOS + 1] = False
        return self._words

    def bracket_signs(self) -> dict[int, int]:
        """The ids of the bracket tokens the vocabulary has: +1 for "(" and "[", -1 for ")" and "]"."""
        ids = {t: self.id(t) for t in "([)]"}
        return {i: 1 if t in "([" else -1 for t, i in ids.items() if i > EOS}

    def sorted_ids(self) -> np.ndarray:
        if self._sorted is None:
            encoded = [t.encode("utf-8") for t in self.tokens]
            self._sorted = np.array(sorted(range(len(encoded)), key=encoded.__getitem__), dtype=np.uint32)
        return self._sorted

    def encode_sentences(self, sentences: Iterable[Sequence[str]]) -> np.ndarray:
        """Map sentences to the id stream, unknown tokens to <unk>."""
        if self._index is None:
            sentences = list(sentences)
            if sum(map(len, sentences)) + self._lookups < _DICT_AFTER:  # a few tokens: no dict yet
                return np.array([i for sent in sentences for i in (BOS, *map(self.id, sent), EOS)], dtype=np.uint32)
        get = self.index.get  # bulk work: the dict pays for itself
        sents = sentences if isinstance(sentences, list) else list(sentences)
        lengths = np.fromiter(map(len, sents), dtype=np.int64, count=len(sents))
        # Every token looked up in one C loop, then <s> and </s> put around each sentence.
        ids = np.frombuffer(array("I", map(get, chain.from_iterable(sents), repeat(UNK))), dtype=np.uint32)
        out = np.empty(len(ids) + 2 * len(sents), dtype=np.uint32)
        ends = np.cumsum(lengths + 2)
        out[ends - 1] = EOS
        out[ends - lengths - 2] = BOS
        if len(ids):
            out[np.arange(len(ids)) + 2 * np.repeat(np.arange(len(sents)), lengths) + 1] = ids
        return out

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
        vocab._index = index
        vocab._sorted = None
        vocab._folded = None
        vocab._words = None
        vocab._lookups = 0
        return vocab, np.asarray(out, dtype=np.uint32)

    def to_arrays(self) -> dict[str, np.ndarray]:
        """The tokens as one UTF-8 blob, end offsets and byte-sorted ids (for the model file)."""
        encoded = [t.encode("utf-8") for t in self.tokens]
        ends = np.cumsum([len(b) for b in encoded], dtype=np.int64)
        return {
            "vocab.blob": np.frombuffer(b"".join(encoded), dtype=np.uint8),
            "vocab.ends": ends,
            "vocab.sorted": self.sorted_ids(),
            "vocab.folded": self.folded_ids(),
        }

    @classmethod
    def from_arrays(cls, arrays) -> "Vocabulary":
        """The vocabulary stored by `to_arrays`; shapes checked here, values by `validate`."""
        blob, ends, order = arrays.get("vocab.blob"), arrays.get("vocab.ends"), arrays.get("vocab.sorted")
        if blob is None or ends is None or order is None:
            raise ValueError("the vocabulary tables are missing")
        V = len(ends)
        if (blob.dtype != np.uint8 or ends.dtype != np.int64 or order.dtype != np.uint32 or blob.ndim != 1
                or ends.ndim != 1 or order.shape != (V,) or V < 3 or int(ends[-1]) != len(blob)):
            raise ValueError("the vocabulary tables are corrupted (lengths or types disagree)")
        folded = arrays.get("vocab.folded")
        if folded is not None and (folded.dtype != np.uint32 or folded.shape != (V,)):
            raise ValueError("the vocabulary's case-folded order is corrupted")
        vocab = cls.__new__(cls)
        vocab.tokens = _MappedTokens(blob, ends)
        if tuple(vocab.tokens[:3]) != SPECIALS:
            raise ValueError("the vocabulary does not start with <unk>, <s>, </s>")
        vocab._index = None
        vocab._sorted = np.ascontiguousarray(arrays["vocab.sorted"], dtype=np.uint32)
        folded = arrays.get("vocab.folded")  # absent from files written before it existed
        vocab._folded = None if folded is None else np.ascontiguousarray(folded, dtype=np.uint32)
        vocab._words = None
        vocab._lookups = 0
        return vocab


class VocabularyBuilder:
    """`Vocabulary.build`, a chunk at a time: ids in first-seen order across every chunk.

        builder = VocabularyBuilder()
        for sentences in chunks:
            stream = builder.encode(sentences)      # uint32 ids of this chunk only
        vocab = builder.vocabulary()

    Ids never change once given, so the streams of earlier chunks stay valid as the vocabulary
    grows; joined, they equal the stream `Vocabulary.build` makes of all the sentences at once.
    """

    def __init__(self):
        self.index: dict[str, int] = _NextId((t, i) for i, t in enumerate(SPECIALS))

    def __len__(self) -> int:
        return len(self.index)

    def encode(self, sentences: Iterable[Sequence[str]]) -> np.ndarray:
        getitem = self.index.__getitem__  # a new token gets the next id (`_NextId.__missing__`)
        out = array("I")  # 4 bytes a token, not a Python int each
        append, extend = out.append, out.extend
        for sent in sentences:
            append(BOS)
            extend(map(getitem, sent))  # the loop runs in C; only new tokens call back
            append(EOS)
        return np.frombuffer(out, dtype=np.uint32) if len(out) else np.zeros(0, dtype=np.uint32)

    @property
    def tokens(self) -> list[str]:
        return list(self.index)

    def id(self, token: str) -> int:
        return self.index.get(token, UNK)

    def vocabulary(self) -> Vocabulary:
        vocab = Vocabulary.__new__(Vocabulary)
        vocab.tokens = list(self.index)
        vocab._index = dict(self.index)  # a plain dict: lookups of unknown tokens must not add them
        vocab._sorted = None
        vocab._folded = None
        vocab._words = None
        vocab._lookups = 0
        return vocab


class _NextId(dict):
    """token -> id, where looking up a new token gives it the next id (first-seen order)."""

    def __missing__(self, token: str) -> int:
        i = self[token] = len(self)
        return i


def _index_of(tokens: Sequence[str]) -> dict[str, int]:
    """token -> id. For a mapped vocabulary the tokens are decoded all at once: the blob with a line
    break after each token, decoded and split in C (about 0.1 s for 450,000 tokens, against 0.3-1 s
    decoding them one by one), unless some token holds a line break itself."""
    if isinstance(tokens, _MappedTokens) and len(tokens):
        blob = np.frombuffer(tokens._blob, dtype=np.uint8)
        ends = np.frombuffer(tokens._ends, dtype=np.int64)
        if not (blob == 10).any():
            text = np.insert(blob, ends[:-1], 10).tobytes().decode("utf-8")
            words = text.split("\n")
            if len(words) == len(tokens):
                return dict(zip(words, range(len(words))))
    return {t: i for i, t in enumerate(tokens)}
