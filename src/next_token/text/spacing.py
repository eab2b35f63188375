"""Spacing learned from the corpus, and the incremental speller that writes tokens back as text.

The word tokenizer drops whitespace, so writing tokens back is deciding, before each token,
whether a space goes there. Hand rules get code and quotes wrong (``getnchannels ()``,
``The ghost, "he said``), so we learn the decision from how the training corpus itself spaced
its tokens. For each token b after a token a in a sentence, the features are

    a, b     the two tokens (vocabulary ids), or their classes (word, Capitalized, number, code
             identifier, or the punctuation mark itself)
    fa       whether a space came before a (or that a opened the sentence): this carries the
             state that a single pair cannot, e.g. a straight quote glued to the word before it
             closed a quotation, so the next word takes a space
    q        for straight quotes (" and '): whether an odd number of the same quote came before b
             in the sentence (b is a quote), and before a (a is a quote): an opening and a
             closing quote look alike otherwise

and the decision is the majority of the corpus's choices at the most specific level with
evidence, in this order:

    L1 (a, fa, b, q)   L2 (a, fa, class b, q)   L3 (class a, fa, b, q)   L4 (class a, fa, class b, q)

L4 is kept whole (it is small); a finer level keeps only the keys whose majority differs from
what the coarser levels would answer, and was seen at least `MIN_EVIDENCE` times, so the tables
hold the corpus's exceptions ("f" + "(" in code, "--" glued in one book) rather than every pair
or every typo. Where no level has evidence (a class pair
the corpus never showed), the fixed rules of `spacing_rules` decide. One rule always holds: two
tokens are never glued when they would read back as one token, so tokenizing the text gives the
tokens back.

Some gaps depend on the token after b: "range ( )" is written "range()" but "input ( following"
is "input (following"; "mine . . ." is the start of an ellipsis, spaced in some books, while
"mine ." ends a sentence. So one more level looks ahead:

    A  (class a, b, q, class c)   c the token after b, or the end of the sentence

kept where its majority differs from that of (class a, b, q) over every c, with `MIN_EVIDENCE`
(the first dot of an ellipsis is learned here only, not by the levels above). It
is asked first whenever the next token is known, which is always the case when a whole token
list is written out, and in generation, where each token's text is written when the next one is
drawn (one token later). Only a token offered alone (a suggestion) is spelled without it.

`Speller` applies this incrementally: it keeps the last token, its flag and the quote parities,
so appending a token costs a few binary searches, whatever the length of the text before it
(generating 10,000 tokens stays linear); `append(token, after)` takes the next token when known
(`SENTENCE_END` when the sentence ends there).
"""

from __future__ import annotations

import re
from bisect import bisect_left
from typing import Iterable, Sequence

import numpy as np

from .spacing_rules import RuleSpacer, would_glue
from .vocab import BOS, EOS

FIRST = 2  # the `fa` value of a sentence's first token: nothing came before it
MIN_EVIDENCE = 2  # occurrences a finer level needs to overrule a coarser one
QUOTES = ('"', "'")
PUNCTUATION = "\"'.,;:!?()[]{}<>-/\\*&%$#@+=|~^`_“”‘’«»…—–"
_SHAPES = ("lower", "Capital", "UPPER", "number", "identifier", "other")
N_CLASSES = len(_SHAPES) + len(PUNCTUATION)
END_CLASS = N_CLASSES  # the "class" of the next token where the sentence ends
AHEAD_RADIX = N_CLASSES + 1  # radix of the next token's class in the lookahead keys
SENTENCE_END = "</s>"  # the `after` of a sentence's last token
LEVELS = 5  # four levels without lookahead, then the lookahead level
_IDENT = re.compile(r"(?:\w*_\w*|[a-z]+[A-Z]\w*|\w*\d\w*[A-Za-z]\w*|[A-Za-z]\w*\d\w*)\Z")


def level_events(ids: np.ndarray, spaces: np.ndarray, vocab, classes: np.ndarray, V: int):
    """The spacing decisions in an id stream (`<s> ... </s>` sentences), one per token b after a
    token a in a sentence: per level (module docstring), each decision's key and y, whether
    whitespace preceded b. None when no sentence has two tokens. `vocab` gives the quote marks'
    ids (`id(token)`); `classes` is every id's `token_class`."""
    ids = np.asarray(ids, dtype=np.int64)
    spaces = np.asarray(spaces, dtype=np.int64)
    i = np.flatnonzero((ids[1:] > EOS) & (ids[:-1] > EOS)) + 1  # b at i, a at i-1: both words
    if i.size == 0:
        return None
    a, b, y = ids[i - 1], ids[i], (spaces[i] > 0).astype(np.int64)
    fa = np.where(ids[i - 2] == BOS, FIRST, spaces[i - 1] > 0).astype(np.int64)
    q = np.zeros(i.size, np.int64)
    sentence_start = np.maximum.accumulate(np.where(ids == BOS, np.arange(ids.size), 0))
    for quote in QUOTES:
        qid = vocab.id(quote)
        if qid <= EOS:
            continue
        before = np.concatenate(([0], np.cumsum(ids == qid)))  # quotes in ids[:j]
        q |= np.where(b == qid, (before[i] - before[sentence_start[i]]) & 1, 0)
        q |= np.where(a == qid, ((before[i - 1] - before[sentence_start[i]]) & 1) << 1, 0)
    ca, cb = classes[a].astype(np.int64), classes[b].astype(np.int64)
    c = ids[i + 1]  # b is never the last id: a sentence ends with </s>
    cc = np.where(c > EOS, classes[np.where(c > EOS, c, 0)].astype(np.int64), END_CLASS)
    # The first dot of an ellipsis ("mine . . .") is left to the lookahead level: counted with
    # full stops, a book that spaces its ellipses would have "mine ." end its sentences.
    dot = vocab.id(".")
    base = ~((b == dot) & (c == dot) & (a != dot)) if dot > EOS else np.ones(i.size, bool)
    keys = [_keys(level, a[base], fa[base], b[base], q[base], ca[base], cb[base], V) for level in range(4)]
    keys.append(ahead_key(ca, b, q, cc, V))
    return [k.astype(np.uint64) for k in keys], [y[base]] * 4 + [y]


def ahead_key(ca, b, q, cc, V: int):
    """The packed key of the lookahead level: (class of a, b, q, class of the next token)."""
    return ((ca * V + b) * 4 + q) * AHEAD_RADIX + cc


def ahead_table(keys: np.ndarray, yes: np.ndarray, no: np.ndarray, V: int, dot: int) -> tuple[np.ndarray, np.ndarray]:
    """The lookahead level's kept keys and decisions, from every key's counts (sorted keys): a
    key is kept where its majority differs from that of the same (class a, b, q) in the gaps the
    other levels learned from (all but the first dots of ellipses, `dot` the id of "."), or where
    those gaps are fewer than `MIN_EVIDENCE`."""
    if len(keys) == 0:
        return np.zeros(0, np.uint64), np.zeros(0, np.uint8)
    keys = keys.astype(np.uint64)
    parent = keys // np.uint64(AHEAD_RADIX)
    cc = (keys % np.uint64(AHEAD_RADIX)).astype(np.int64)
    b = ((parent >> np.uint64(2)) % np.uint64(V)).astype(np.int64)
    ca = (parent >> np.uint64(2)) // np.uint64(V)
    dot_class = token_class(".")
    left_out = (b == dot) & (cc == dot_class) & (ca != dot_class) if dot > EOS else np.zeros(len(keys), bool)
    new_parent = np.concatenate(([True], parent[1:] != parent[:-1]))
    first, group = np.flatnonzero(new_parent), np.cumsum(new_parent) - 1
    parent_yes = np.add.reduceat(np.where(left_out, 0, yes), first)
    parent_no = np.add.reduceat(np.where(left_out, 0, no), first)
    dec = yes >= no
    # kept where the other levels would answer otherwise, or have (almost) nothing to go by
    differs = (dec != (parent_yes >= parent_no)[group]) | ((parent_yes + parent_no)[group] < MIN_EVIDENCE)
    keep = differs & (np.maximum(yes, no) >= MIN_EVIDENCE)
    return keys[keep], dec[keep].astype(np.uint8)


def token_class(token: str) -> int:
    """A small int naming the token's shape; each punctuation mark is its own class."""
    if len(token) == 1 and token in PUNCTUATION:
        return len(_SHAPES) + PUNCTUATION.index(token)
    if token.isdigit() or (token[:1].isdigit() and token.replace(",", "").replace(".", "").isdigit()):
        return 3
    if _IDENT.match(token):
        return 4
    if token.isalpha() or token.replace("-", "").replace("'", "").replace("’", "").isalpha():
        if token.islower():
            return 0
        if token.isupper() and len(token) > 1:
            return 2
        if token[:1].isupper():
            return 1
    return 5


def _keys(level: int, a, fa, b, q, ca, cb, V: int):
    """The packed key of each level (vectorized over numpy arrays, or Python ints); q < 4."""
    if level == 0:
        return ((a * 3 + fa) * V + b) * 4 + q
    if level == 1:
        return ((a * 3 + fa) * N_CLASSES + cb) * 4 + q
    if level == 2:
        return ((ca * 3 + fa) * V + b) * 4 + q
    return ((ca * 3 + fa) * N_CLASSES + cb) * 4 + q


class SpacingModel:
    """The learned tables (see the module docstring) over a vocabulary's ids."""

    def __init__(self, keys: Sequence[np.ndarray], space: Sequence[np.ndarray], classes: np.ndarray, vocab):
        self.keys = [np.asarray(k, dtype=np.uint64) for k in keys]
        self.space = [np.asarray(s, dtype=np.uint8) for s in space]
        self.classes = np.asarray(classes, dtype=np.uint8)
        self.vocab = vocab
        self._keys_mv = [memoryview(np.ascontiguousarray(k)) for k in self.keys]
        self._space_mv = [memoryview(np.ascontiguousarray(s)) for s in self.space]
        self._classes_mv = memoryview(np.ascontiguousarray(self.classes))
        self._quote_ids = [vocab.id(q) for q in QUOTES]

    # ---------------------------------------------------------------- learning

    @classmethod
    def learn(cls, stream: np.ndarray, spaces: np.ndarray, vocab) -> "SpacingModel":
        """Learn from an id stream (`<s> ... </s>` sentences) and, for each position, whether
        whitespace preceded that token in the text (0 or 1; any value at `<s>`/`</s>`)."""
        V = len(vocab)
        classes = np.fromiter((token_class(t) for t in vocab.tokens), dtype=np.uint8, count=V)
        classes[: EOS + 1] = 0
        events = level_events(stream, spaces, vocab, classes, V)
        if events is None:
            return cls([np.zeros(0, np.uint64)] * LEVELS, [np.zeros(0, np.uint8)] * LEVELS, classes, vocab)
        keys, ys = events
        ahead, inverse = np.unique(keys[4], return_inverse=True)
        ahead = ahead_table(ahead, np.bincount(inverse, weights=ys[4], minlength=ahead.size),
                            np.bincount(inverse, weights=1 - ys[4], minlength=ahead.size), V, vocab.id("."))
        levels = []
        for k, y in zip(keys[:4], ys):
            uniq, inverse = np.unique(k, return_inverse=True)
            yes = np.bincount(inverse, weights=y, minlength=uniq.size)
            no = np.bincount(inverse, weights=1 - y, minlength=uniq.size)
            levels.append((uniq, (yes >= no).astype(np.uint8), inverse, np.maximum(yes, no)))
        # L4 whole; L3 and L2 where they differ from L4; L1 where it differs from the answer the
        # coarser levels give at query time (L2 if kept, else L3 if kept, else L4).
        keep = [None, None, None, np.ones(levels[3][0].size, bool)]
        decided = levels[3][1][levels[3][2]]  # per event: the L4 answer
        for level in (2, 1):
            uniq, dec, inv, support = levels[level]
            differs = np.zeros(uniq.size, bool)
            differs[inv] = dec[inv] != decided
            keep[level] = differs & (support >= MIN_EVIDENCE)
        answer = decided.copy()
        for level in (2, 1):  # L2 is asked before L3, so apply L3 first, then L2 on top
            uniq, dec, inv, _ = levels[level]
            kept = keep[level][inv]
            answer[kept] = dec[inv][kept]
        uniq, dec, inv, support = levels[0]
        differs = np.zeros(uniq.size, bool)
        differs[inv] = dec[inv] != answer
        keep[0] = differs & (support >= MIN_EVIDENCE)
        return cls([levels[L][0][keep[L]] for L in range(4)] + [ahead[0]],
                   [levels[L][1][keep[L]] for L in range(4)] + [ahead[1]], classes, vocab)

    # ---------------------------------------------------------------- files

    def to_arrays(self, prefix: str = "spacing.") -> dict[str, np.ndarray]:
        out = {f"{prefix}classes": self.classes}
        for L in range(LEVELS):
            out[f"{prefix}keys.{L + 1}"] = self.keys[L]
            out[f"{prefix}space.{L + 1}"] = self.space[L]
        return out

    @classmethod
    def from_arrays(cls, arrays, vocab, prefix: str = "spacing.") -> "SpacingModel | None":
        """The model stored by `to_arrays`, or None when the file has none (older files)."""
        if f"{prefix}classes" not in arrays:
            return None
        try:
            keys = [arrays[f"{prefix}keys.{L}"] for L in range(1, 5)]
            space = [arrays[f"{prefix}space.{L}"] for L in range(1, 5)]
        except KeyError as e:
            raise ValueError(f"the spacing tables are incomplete ({e})") from None
        # the lookahead level: absent from files written before it existed
        keys.append(arrays.get(f"{prefix}keys.5", np.zeros(0, np.uint64)))
        space.append(arrays.get(f"{prefix}space.5", np.zeros(0, np.uint8)))
        classes = arrays[f"{prefix}classes"]
        if classes.shape != (len(vocab),) or classes.dtype != np.uint8 or any(
                k.ndim != 1 or k.dtype != np.uint64 or s.shape != k.shape or s.dtype != np.uint8
                for k, s in zip(keys, space)):
            raise ValueError("the spacing tables are corrupted (lengths or types disagree)")
        return cls(keys, space, classes, vocab)

    def validate(self) -> None:
        """Check the values (O(n)): keys sorted, decisions 0 or 1, classes known."""
        if len(self.classes) and int(self.classes.max()) >= N_CLASSES:
            raise ValueError("the spacing classes are corrupted")
        for k, s in zip(self.keys, self.space):
            if len(k) and ((k[1:] <= k[:-1]).any() or int(s.max()) > 1):
                raise ValueError("the spacing tables are corrupted (unsorted keys or bad decisions)")

    # ---------------------------------------------------------------- queries

    def _class(self, token: str, tid: int) -> int:
        return self._classes_mv[tid] if tid > EOS else token_class(token)

    def decide(self, a: str, fa: int, b: str, q: int, after: str | None = None) -> bool | None:
        """Whether a space goes before `b` after `a` (None: no evidence at any level); `after` is
        the token after b when known (`SENTENCE_END` where the sentence ends)."""
        V = len(self.classes)
        ia, ib = self.vocab.id(a), self.vocab.id(b)
        ca, cb = self._class(a, ia), self._class(b, ib)
        if after is not None and ib > EOS:
            cc = END_CLASS if after == SENTENCE_END else self._class(after, self.vocab.id(after))
            mv = self._keys_mv[4]
            key = ahead_key(ca, ib, q, cc, V)
            j = bisect_left(mv, key)
            if j < len(mv) and mv[j] == key:
                return bool(self._space_mv[4][j])
        for level in range(4):
            if (level in (0, 1) and ia <= EOS) or (level in (0, 2) and ib <= EOS):
                continue  # an unknown token has no row of its own
            key = _keys(level, ia, fa, ib, q, ca, cb, V)
            mv = self._keys_mv[level]
            j = bisect_left(mv, key)
            if j < len(mv) and mv[j] == key:
                return bool(self._space_mv[level][j])
        return None

    def quote_ids(self) -> list[int]:
        return self._quote_ids


class Speller:
    """Writes tokens as text one at a time: `append(token)` returns what to add to the text.

    Start it after a prompt with `Speller(model, prompt_tokens, prompt_spaces, prompt)`: the last
    sentence's tokens and their space flags (as `WordTokenizer.spaced_sentences` gives them), and
    the prompt text itself (only its last character matters: a prompt that ends in whitespace
    already holds the space the next token may need). `end_sentence()` after `</s>`.
    """

    def __init__(self, model: SpacingModel | None, tokens: Sequence[str] = (), spaces: Sequence[bool] = (),
                 prompt: str = ""):
        self.model = model
        self.rules = RuleSpacer()
        self.prev: str | None = None
        self.prev_flag = FIRST
        self.prev_parity = 0
        self.parity = {quote: 0 for quote in QUOTES}
        self.at_space = not prompt or prompt[-1].isspace()  # no space is needed before the next token
        for tok, sp in zip(tokens, spaces):
            self._advance(tok, bool(sp))

    def copy(self) -> "Speller":
        other = Speller.__new__(Speller)
        other.model, other.prev, other.prev_flag, other.at_space = self.model, self.prev, self.prev_flag, self.at_space
        other.prev_parity = self.prev_parity
        other.rules = self.rules.copy()
        other.parity = dict(self.parity)
        return other

    def _advance(self, tok: str, space: bool) -> None:
        self.rules.space_before(tok)
        self.prev_flag = FIRST if self.prev is None else int(space)
        self.prev = tok
        self.prev_parity = self.parity.get(tok, 0)  # for a quote: whether it closes one
        if tok in self.parity:
            self.parity[tok] ^= 1

    def space_before(self, tok: str, after: str | None = None) -> bool:
        """The decision for `tok` (without advancing); `after`: the next token, when known."""
        if self.prev is None:
            return True  # a sentence's first token: separated from what came before, if anything
        decided = None
        if self.model is not None:
            q = self.parity.get(tok, 0) | (self.prev_parity << 1)
            decided = self.model.decide(self.prev, self.prev_flag, tok, q, after)
        if decided is None:
            decided = self.rules.copy().space_before(tok)
        return decided or would_glue(self.prev, tok)

    def append(self, tok: str, after: str | None = None) -> str:
        """The text that appends `tok`; `after` is the token that follows it (`SENTENCE_END` at the
        end of the sentence), or None when not known yet."""
        space = self.space_before(tok, after)
        text = (" " if space and not self.at_space else "") + tok
        self._advance(tok, space)
        self.at_space = tok[-1:].isspace()
        return text

    def end_sentence(self) -> None:
        """After `</s>`: the next token starts a new sentence."""
        self.prev, self.prev_flag, self.prev_parity = None, FIRST, 0
        self.parity = {quote: 0 for quote in QUOTES}
        self.rules = RuleSpacer()


def spell(model: SpacingModel | None, tokens: Iterable[str]) -> str:
    """The text of one sentence's tokens."""
    return write(Speller(model), list(tokens))


def write(speller, tokens: Sequence[str], last_after: str | None = SENTENCE_END) -> str:
    """The text of `tokens` from any speller (`append(token, after)`), each token spelled knowing
    the next; the last one knowing `last_after` (None: what follows is not known)."""
    nexts = [*tokens[1:], last_after]
    return "".join(speller.append(t, after) for t, after in zip(tokens, nexts))
