"""Tokenizers: a sentence becomes a list of token strings, and token strings become text again.

Four kinds, chosen by `get_tokenizer(name, **options)`:

- ``"word"`` (default): words, numbers, dash runs and single punctuation marks; case kept.
- ``"char"``: every character is a token; a space is written ``"▁"`` (U+2581) so that a token is
  never blank (token lists end up in whitespace-separated formats such as ARPA).
- ``"whitespace"``: input already tokenized, one sentence per line, tokens separated by spaces
  (the format KenLM's lmplz reads).
- ``"bpe"``: subword units learned from the training text with HuggingFace ``tokenizers``.

Every tokenizer has the same small interface (`Tokenizer`): ``tokenize(sentence)``,
``sentences(text)``, ``speller(prompt)`` (writes tokens back as text, one at a time, in constant
time each), and built on it ``detokenize(tokens)`` and ``join_continuation(prompt, tokens)``;
``to_config()``, and `tokenizer_from_config` rebuilds one from its config (stored in the model
file). A BPE tokenizer must be trained first: ``get_tokenizer("bpe").fit(texts)`` or `train_bpe`.

Each tokenizer also answers for its own facts, so that nothing else in the package tests a
tokenizer by name: whether its tokens carry their spaces (`space_in_token`), whether a token list
ends a sentence (`ends_sentence`), whether it must learn from the corpus first (`needs_training`)
or learns how the corpus spaces its tokens (`learns_spacing`), and what to append to a text to
accept a predicted token (`append_texts`). Adding a kind means adding one class here and one
entry in `_KINDS`.
"""

from __future__ import annotations

import json
import re
from abc import ABC, abstractmethod
from typing import Any, Iterable, Iterator

from ..arguments import check_int
from ..errors import CorpusError, InputError, ModelFileError
from .corpus import split_sentences
from .spacing import SpacingModel, Speller, write

# A word token is, in order of preference (the first alternative that matches wins):
_WORD_TOKEN = re.compile(
    r"""
      \d+(?:[.,]\d+)*      # a number, with inner . or , kept: 1,000  3.14  (but 3rd -> 3 rd)
    | \w+(?:[-'’]\w+)*     # a word, with inner - ' ’ kept: sea-reach  don't  rock’n’roll
    | -+                   # a run of dashes: -  --  ---
    | [^\w\s]              # any other non-space character, alone: , . " ( ? …
    """,
    re.VERBOSE,
)

SPACE = "\u2581"
"""How the char and BPE tokenizers write a space inside a token ("▁", as SentencePiece does)."""

_ANY_SPACE = re.compile(r"\s")
# The same alternatives, with the single space that may precede a token captured (sentences come
# with their whitespace collapsed to single spaces): findall gives (space, token) pairs.
_SPACED_WORD_TOKEN = re.compile(r"([ ]?)(" + _WORD_TOKEN.pattern + ")", re.VERBOSE)

SPECIAL_TOKENS = frozenset(("<unk>", "<s>", "</s>"))
SENTENCE_END_MARKS = frozenset((".", "!", "?", "…"))
CLOSING_MARKS = frozenset(('"', "'", "”", "’", ")", "]", "»"))


def word_tokens(sentence: str) -> list[str]:
    """Split ``sentence`` into word tokens (the rules of the ``"word"`` tokenizer)."""
    return _WORD_TOKEN.findall(sentence)


def token_offsets(text: str, tokens: list[str]) -> list[int]:
    """Where each token starts in `text`, found left to right (-1 for a token the tokenizer
    reshaped, which is then not in the text as such). Lets a face rewrite one token in place."""
    out, at = [], 0
    for t in tokens:
        i = text.find(t, at)
        out.append(i)
        if i >= 0:
            at = i + len(t)
    return out


class Tokenizer(ABC):
    """What every tokenizer offers. Subclasses set ``name`` and implement the abstract methods."""

    name: str = ""
    needs_training: bool = False
    """True while `fit` must be called before tokenizing (an untrained BPE tokenizer)."""
    space_in_token: bool = False
    """True when tokens carry their own spaces ("▁"): the text is the tokens end to end. False
    when tokens are separated by spaces that are not part of any token (words)."""
    learns_spacing: bool = False
    """True when training records how the corpus spaced the tokens (`spaced_sentences`) and the
    tokenizer keeps what it learned (`with_spacing`)."""
    spacing: SpacingModel | None = None
    """What it learned about spacing (word tokenizer), stored in the model file; else None."""
    lines_are_sentences: bool = False
    """True when every line is a sentence of its own (pre-tokenized text), so a text may be cut
    at any line break without changing its sentences; else only between paragraphs (or where a
    sentence ends at a line break). The bounded-memory build reads files in pieces cut so."""

    def with_spacing(self, spacing: SpacingModel | None) -> "Tokenizer":
        """This tokenizer with learned spacing (kinds that do not learn it ignore it)."""
        return self

    @classmethod
    def for_training(cls, vocab_size: int) -> "Tokenizer":
        """A fresh tokenizer of this kind, before `fit`; `vocab_size` is for kinds that learn units."""
        return cls()

    @abstractmethod
    def tokenize(self, sentence: str) -> list[str]:
        """Split one sentence (or any short text) into token strings."""

    def sentences(self, text: str, lines: list[int] | None = None) -> Iterator[list[str]]:
        """Split ``text`` into sentences (`corpus.split_sentences`) and yield each one's tokens.

        Sentences that produce no token are skipped. With a `lines` list, the line where each
        yielded sentence starts is appended to it.
        """
        found: list[int] | None = [] if lines is not None else None
        for i, sentence in enumerate(split_sentences(text, found)):
            tokens = self.tokenize(sentence)
            if tokens:
                if lines is not None:
                    lines.append(found[i])
                yield tokens

    @abstractmethod
    def speller(self, prompt: str = ""):
        """An incremental writer of tokens continuing `prompt`: `.append(token)` returns the text
        to add, `.end_sentence()` after a sentence end, `.copy()` forks it."""

    def detokenize(self, tokens: list[str]) -> str:
        """Turn one sentence's tokens back into natural text."""
        return write(self.speller(""), tokens)

    def join_continuation(self, prompt: str, continuation_tokens: list[str]) -> str:
        """Return the text to append to ``prompt`` for ``continuation_tokens`` (just that part),
        with a leading space only where one belongs and the prompt does not already end in one."""
        return write(self.speller(prompt), continuation_tokens, last_after=None)  # it may go on

    def ends_sentence(self, tokens: list[str]) -> bool:
        """Whether `tokens` end with sentence-final punctuation (closing quotes allowed)."""
        i = len(tokens) - 1
        while i >= 0 and tokens[i] in CLOSING_MARKS:
            i -= 1
        return i >= 0 and tokens[i].replace(SPACE, "") in SENTENCE_END_MARKS

    def append_texts(self, context: str, tokens: Iterable[str]) -> list[str]:
        """For each token, the text that appends it to `context` (accepting a prediction).

        The end of a sentence and the other markers have no text: accepting them writes nothing.
        """
        speller = self.speller(context)  # reads the context once for all the tokens
        return ["" if t in SPECIAL_TOKENS else speller.copy().append(t) for t in tokens]

    def fit(self, texts: Iterable[str]) -> "Tokenizer":
        """Learn from training texts if this kind needs it; return the tokenizer to use."""
        return self

    def to_config(self) -> dict[str, Any]:
        """A JSON-able dict that `tokenizer_from_config` turns back into an equal tokenizer."""
        return {"kind": self.name}

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class WordTokenizer(Tokenizer):
    """Words (letters/digits with inner ``- ' ’``), numbers (``1,000``, ``3.14``), dash runs, and
    every other non-space character as its own token; case kept.

    The same rules as the reference tokenizer of the KenLM comparison files (../shared/kenlm/prep.py),
    so models can be compared with KenLM's. Spacing is learned from the training corpus
    (`spacing.SpacingModel`, kept in the model file); without it, fixed rules space the tokens.
    """

    name = "word"
    learns_spacing = True

    def __init__(self, spacing: SpacingModel | None = None) -> None:
        self.spacing = spacing

    def tokenize(self, sentence: str) -> list[str]:
        return _WORD_TOKEN.findall(sentence)

    def spaced_sentences(self, text: str, lines: list[int] | None = None) -> Iterator[tuple[list[str], list[bool]]]:
        """Like `sentences`, with whether a space preceded each token in the text."""
        found: list[int] | None = [] if lines is not None else None
        for i, sentence in enumerate(split_sentences(text, found)):
            pairs = _SPACED_WORD_TOKEN.findall(sentence)
            if pairs:
                if lines is not None:
                    lines.append(found[i])
                yield [t for _, t in pairs], [sp == " " for sp, _ in pairs]

    def with_spacing(self, spacing: SpacingModel | None) -> "WordTokenizer":
        return WordTokenizer(spacing)

    def speller(self, prompt: str = "") -> Speller:
        last: tuple[list[str], list[bool]] = ([], [])
        if prompt.strip():
            for last in self.spaced_sentences(prompt):
                pass
        speller = Speller(self.spacing, *last, prompt=prompt)
        if last[0] and prompt[-1:].isspace() and self.ends_sentence(last[0]):
            speller.end_sentence()  # "The end. " + "It": a new sentence starts
        return speller


class CharTokenizer(Tokenizer):
    """Every character is a token; each whitespace character becomes ``SPACE`` ("▁").

    Text without other whitespace than plain spaces, and without a literal "▁", round-trips
    exactly: ``detokenize(tokenize(s)) == s``. Sentences come from `corpus.split_sentences`,
    which collapses whitespace runs to one space, so the model sees single spaces.
    """

    name = "char"
    space_in_token = True

    def tokenize(self, sentence: str) -> list[str]:
        return list(_ANY_SPACE.sub(SPACE, sentence))

    def speller(self, prompt: str = "") -> "JoinSpeller":
        return JoinSpeller(prompt, sentence_gap=" ")


class WhitespaceTokenizer(Tokenizer):
    """Pre-tokenized text: one sentence per line, tokens separated by whitespace.

    ``detokenize`` applies the word detokenizer (``"Hello , world ."`` -> ``"Hello, world."``),
    since such files usually hold word tokens; with ``natural=False`` it joins with single spaces.
    """

    name = "whitespace"
    lines_are_sentences = True

    def __init__(self, natural: bool = True) -> None:
        self.natural = bool(natural)

    def tokenize(self, sentence: str) -> list[str]:
        return sentence.split()

    def sentences(self, text: str, lines: list[int] | None = None) -> Iterator[list[str]]:
        for number, line in enumerate(text.splitlines(), 1):
            tokens = line.split()
            if tokens:
                if lines is not None:
                    lines.append(number)
                yield tokens

    def speller(self, prompt: str = ""):
        if not self.natural:
            return JoinSpeller(prompt, separator=" ", sentence_gap=" ")
        last = prompt.splitlines()[-1].split() if prompt.strip() else []
        return Speller(None, last, [True] * len(last), prompt=prompt)

    def to_config(self) -> dict[str, Any]:
        return {"kind": self.name, "natural": self.natural}

    def __repr__(self) -> str:
        return f"WhitespaceTokenizer(natural={self.natural})"


class BpeTokenizer(Tokenizer):
    """Byte-pair-encoding subwords, learned with HuggingFace ``tokenizers``.

    BPE starts from single characters and repeatedly merges the most frequent adjacent pair of
    units into a new unit, until the vocabulary holds ``vocab_size`` units; frequent words end up
    as one token, rare ones as a few pieces. Before that, text is pre-split (merges never cross
    these cuts) at spaces -- each space is kept as a "▁" glued to the front of the next word, the
    Metaspace scheme -- and around every punctuation mark. "Hello, world." becomes
    ``["▁Hello", ",", "▁world", "."]`` and decodes back by turning "▁" into spaces.
    A character never seen in training becomes ``"<unk>"``.
    """

    name = "bpe"
    space_in_token = True
    UNK = "<unk>"

    MAX_VOCAB_SIZE = 1 << 20  # the tokenizers library aborts the process on absurd sizes

    def __init__(self, vocab_size: int = 8000, tokenizer_json: str | None = None) -> None:
        self.vocab_size = check_int(vocab_size, "vocab_size", 1, self.MAX_VOCAB_SIZE)
        self._hf = None
        if tokenizer_json is not None:
            from tokenizers import Tokenizer as HfTokenizer

            try:
                self._hf = HfTokenizer.from_str(tokenizer_json)
            except Exception as exc:  # the library raises plain Exception subclasses
                raise ModelFileError(f"cannot rebuild the BPE tokenizer from its JSON: {exc}") from exc

    @property
    def trained(self) -> bool:
        return self._hf is not None

    @property
    def needs_training(self) -> bool:  # type: ignore[override]
        return self._hf is None

    @classmethod
    def for_training(cls, vocab_size: int) -> "BpeTokenizer":
        return cls(vocab_size)

    def _model(self):
        if self._hf is None:
            raise InputError("this BPE tokenizer is not trained yet: call .fit(texts) or train_bpe(texts)")
        return self._hf

    def fit(self, texts: Iterable[str]) -> "BpeTokenizer":
        return train_bpe(texts, self.vocab_size)

    def tokenize(self, sentence: str) -> list[str]:
        return self._model().encode(sentence, add_special_tokens=False).tokens

    def sentences(self, text: str, lines: list[int] | None = None) -> Iterator[list[str]]:
        # One batch call per text: the library encodes in Rust, in parallel.
        model = self._model()
        found: list[int] | None = [] if lines is not None else None
        batch = list(split_sentences(text, found))
        for i, enc in enumerate(model.encode_batch(batch, add_special_tokens=False)):
            if enc.tokens:
                if lines is not None:
                    lines.append(found[i])
                yield enc.tokens

    def speller(self, prompt: str = "") -> "JoinSpeller":
        return JoinSpeller(prompt)

    @property
    def vocab(self) -> dict[str, int]:
        """The learned units and the library's ids for them (not the model's ids)."""
        return self._model().get_vocab()

    def to_config(self) -> dict[str, Any]:
        return {"kind": self.name, "vocab_size": self.vocab_size, "tokenizer_json": self._model().to_str()}

    def __repr__(self) -> str:
        state = "trained" if self.trained else "untrained"
        return f"BpeTokenizer(vocab_size={self.vocab_size}, {state})"


class JoinSpeller:
    """The speller of tokens that carry their spaces ("▁"): they are written end to end.

    The first token's space is dropped where the text already ends in whitespace (at the start,
    or after a prompt that ends in a space), as a decoder drops the first token's space.
    `separator` goes between tokens that do not carry spaces (pre-tokenized text);
    `sentence_gap` goes before a new sentence's first token unless it starts with a space.
    """

    def __init__(self, prompt: str = "", separator: str = "", sentence_gap: str = ""):
        self.separator, self.sentence_gap = separator, sentence_gap
        self.at_space = not prompt or prompt[-1].isspace()
        self.gap = separator

    def copy(self) -> "JoinSpeller":
        other = JoinSpeller.__new__(JoinSpeller)
        other.separator, other.sentence_gap, other.at_space, other.gap = (
            self.separator, self.sentence_gap, self.at_space, self.gap)
        return other

    def append(self, tok: str, after: str | None = None) -> str:  # the next token changes nothing here
        text = tok.replace(SPACE, " ")
        if not text.startswith(" "):
            text = self.gap + text
        if self.at_space:
            text = text.lstrip(" ")
            self.at_space = not text
        self.gap = self.separator
        return text

    def end_sentence(self) -> None:
        self.gap = self.sentence_gap


def train_bpe(texts: Iterable[str], vocab_size: int = 8000) -> BpeTokenizer:
    """Learn a BPE tokenizer of at most ``vocab_size`` units from ``texts`` (raw documents).

    Training sees the texts sentence by sentence (`corpus.split_sentences`), as tokenization
    will. The vocabulary can end up smaller than asked when the text has fewer distinct merges,
    or larger when the text has more distinct characters than ``vocab_size``.
    Deterministic for the same texts.
    """
    from tokenizers import Tokenizer as HfTokenizer
    from tokenizers import decoders, models, pre_tokenizers, trainers

    tok = BpeTokenizer(vocab_size)  # validates vocab_size
    hf = HfTokenizer(models.BPE(unk_token=BpeTokenizer.UNK))
    hf.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Metaspace(replacement=SPACE, prepend_scheme="always", split=True),
            pre_tokenizers.Punctuation(behavior="isolated"),
        ]
    )
    hf.decoder = decoders.Metaspace(replacement=SPACE, prepend_scheme="always", split=True)
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, special_tokens=[BpeTokenizer.UNK], show_progress=False
    )
    seen = [0]

    def sentence_stream() -> Iterator[str]:
        for text in texts:
            for sentence in split_sentences(text):
                seen[0] += 1
                yield sentence

    hf.train_from_iterator(sentence_stream(), trainer=trainer)
    if seen[0] == 0:
        raise CorpusError("cannot train a BPE tokenizer on an empty corpus")
    tok._hf = hf
    return tok


_KINDS: dict[str, type[Tokenizer]] = {
    "word": WordTokenizer,
    "char": CharTokenizer,
    "whitespace": WhitespaceTokenizer,
    "bpe": BpeTokenizer,
}

TOKENIZER_NAMES = tuple(_KINDS)


def get_tokenizer(name: str = "word", **options: Any) -> Tokenizer:
    """Return a tokenizer of kind ``name`` ("word", "char", "whitespace", "bpe").

    Options: ``natural`` (whitespace: detokenize as natural text, default True); ``vocab_size``
    (bpe, default 8000). A BPE tokenizer comes back untrained: call ``.fit(texts)``.
    """
    cls = _KINDS.get(name)
    if cls is None:
        raise InputError(f"unknown tokenizer {name!r}; choose one of {', '.join(TOKENIZER_NAMES)}")
    try:
        return cls(**options)
    except TypeError as exc:
        raise InputError(f"bad option for the {name!r} tokenizer: {exc}") from exc


def tokenizer_for_training(kind: str, vocab_size: int = 8000) -> Tokenizer:
    """A fresh tokenizer of `kind`, ready for `fit`; `vocab_size` is for kinds that learn units."""
    cls = _KINDS.get(kind)
    if cls is None:
        raise InputError(f"unknown tokenizer {kind!r}; choose one of {', '.join(TOKENIZER_NAMES)}")
    return cls.for_training(vocab_size)


def tokenizer_from_config(cfg: dict[str, Any]) -> Tokenizer:
    """Rebuild a tokenizer from ``Tokenizer.to_config()`` output (e.g. read from a model file)."""
    if isinstance(cfg, str):
        try:
            cfg = json.loads(cfg)
        except ValueError as exc:
            raise ModelFileError(f"tokenizer config is not valid JSON: {exc}") from exc
    if not isinstance(cfg, dict) or "kind" not in cfg:
        raise ModelFileError(f"tokenizer config must be a dict with a 'kind', got {cfg!r:.200}")
    options = {k: v for k, v in cfg.items() if k != "kind"}
    kind = cfg["kind"]
    if kind not in _KINDS:
        raise ModelFileError(f"unknown tokenizer kind {kind!r} in config; known: {', '.join(TOKENIZER_NAMES)}")
    try:
        return _KINDS[kind](**options)
    except (TypeError, InputError) as exc:
        raise ModelFileError(f"bad tokenizer config for {kind!r}: {exc}") from exc
