"""Phrase search with attribution: how often a phrase occurs in the training text, and where.

The suffix array (unbounded/index.py) lists every suffix of the training stream in sorted order,
so all occurrences of a phrase's token ids are one block of it: the count is two binary searches
away, and each position in the block is an occurrence. A page of hits is taken in the order of
the text (the block's positions, partially sorted: O(count), not O(count log count)), and each
hit is attributed to its source file and line (`documents.DocumentMap`) with a keyword-in-context
line written by the model's own speller. The words that most often come after the phrase are the
runs of the block's next-token column (`SuffixArray.continuations`); those before it are counted
from the tokens preceding each occurrence.

Case-insensitive search expands each token into the vocabulary's case variants ("opera" ->
"opera", "Opera", "OPERA") and unites the blocks of every combination (at most
`MAX_VARIANTS` combinations).
"""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass, field

import numpy as np

from ..arguments import check_int
from ..errors import InputError
from ..text.vocab import BOS, EOS

MAX_VARIANTS = 256
MAX_PHRASE_TOKENS = 64


@dataclass(frozen=True)
class Hit:
    """One occurrence: its position in the stream, its source and line, and the text around it."""

    position: int
    source: str | None
    line: int | None
    before: str
    match: str
    after: str


@dataclass
class SearchResult:
    phrase: str
    tokens: list[str]
    count: int
    offset: int
    hits: list[Hit] = field(default_factory=list)
    before: list[tuple[str, int]] = field(default_factory=list)  # the most frequent preceding tokens
    after: list[tuple[str, int]] = field(default_factory=list)  # ... and following tokens

    def to_dict(self) -> dict:
        return {
            "phrase": self.phrase, "tokens": self.tokens, "count": self.count, "offset": self.offset,
            "hits": [asdict(h) for h in self.hits],
            "before": [{"token": t, "count": c} for t, c in self.before],
            "after": [{"token": t, "count": c} for t, c in self.after],
        }


def phrase_tokens(tokenizer, phrase: str) -> list[str]:
    if not isinstance(phrase, str) or not phrase.strip():
        raise InputError("the phrase is empty: give some words to search for")
    sentences = list(tokenizer.sentences(phrase))
    tokens: list[str] = []
    for i, sent in enumerate(sentences):
        tokens += (["</s>", "<s>"] if i else []) + sent  # a phrase may run over a sentence end
    if len(tokens) > MAX_PHRASE_TOKENS:
        raise InputError(f"the phrase has {len(tokens)} tokens; search takes at most {MAX_PHRASE_TOKENS}")
    return tokens


def _variants(vocab, token: str, ignore_case: bool) -> list[int]:
    if token in ("<s>", "</s>"):
        return [BOS if token == "<s>" else EOS]
    exact = vocab.id(token)
    if not ignore_case:
        return [exact] if exact > EOS else []
    folded = token.casefold()
    return [int(i) for i in vocab.with_prefix(folded, ignore_case=True) if vocab.tokens[int(i)].casefold() == folded]


def search(index, vocab, tokenizer, phrase: str, *, documents=None, ignore_case: bool = False,
           offset: int = 0, limit: int = 10, context: int = 12, neighbours: int = 10) -> SearchResult:
    """Count `phrase` in the indexed stream and return the hits `offset` to `offset + limit` in
    text order, with `context` tokens either side, and the `neighbours` most frequent tokens
    before and after it. `documents` (a DocumentMap) adds each hit's source and line."""
    offset = check_int(offset, "offset", 0)
    limit = check_int(limit, "limit", 0, 1000)
    context = check_int(context, "context", 0, 200)
    neighbours = check_int(neighbours, "neighbours", 0, 1000)
    tokens = phrase_tokens(tokenizer, phrase)
    options = [_variants(vocab, t, ignore_case) for t in tokens]
    combos = 1
    for o in options:
        combos *= len(o)
    if combos > MAX_VARIANTS:
        raise InputError(f"the phrase has {combos} case variants; search takes at most {MAX_VARIANTS}: "
                         "search exactly, or use fewer words")
    blocks = [(lo, hi) for combo in itertools.product(*options) for lo, hi in [index.find_range(list(combo))] if hi > lo]
    result = SearchResult(phrase, tokens, int(sum(hi - lo for lo, hi in blocks)), offset)
    if not blocks:
        return result
    m = len(tokens)
    positions = np.concatenate([index.sa_slice(lo, hi) for lo, hi in blocks])
    end = min(offset + limit, len(positions))
    if offset < end:
        first = np.partition(positions, end - 1)[:end] if end < len(positions) else positions
        page = np.sort(first)[offset:end]
        result.hits = _hits(index, vocab, tokenizer, documents, page, m, context)
    if neighbours:
        result.after = _after(index, vocab, blocks, m, neighbours)
        result.before = _before(index, vocab, positions, neighbours)
    return result


def _hits(index, vocab, tokenizer, documents, page, m, context) -> list[Hit]:
    toks = vocab.tokens
    words = lambda ids: tokenizer.detokenize([toks[int(i)] for i in ids if int(i) > EOS])  # noqa: E731
    docs, lines = documents.locate(page) if documents is not None else (None, None)
    hits = []
    for j, pos in enumerate(page.tolist()):
        occ = index.occurrence_at(pos, m, max_tokens=m + 2 * context + 2)
        ids = occ.ids.tolist()
        a, b = occ.match_start, occ.match_start + m
        hits.append(Hit(
            position=int(pos),
            source=documents.names[int(docs[j])] if documents is not None else None,
            line=int(lines[j]) if documents is not None else None,
            before=words(ids[max(0, a - context) : a]),
            match=words(ids[a:b]),
            after=words(ids[b : b + context]),
        ))
    return hits


def _name(vocab, i: int) -> str:
    return vocab.tokens[i]


def _after(index, vocab, blocks, m, k) -> list[tuple[str, int]]:
    counts: dict[int, int] = {}
    for lo, hi in blocks:
        tokens, c = index.continuations(lo, hi, m)
        for t, n in zip(tokens.tolist(), c.tolist()):
            if t >= 0:
                counts[t] = counts.get(t, 0) + n
    best = sorted(counts.items(), key=lambda tc: (-tc[1], tc[0]))[:k]
    return [(_name(vocab, t), n) for t, n in best]


def _before(index, vocab, positions, k) -> list[tuple[str, int]]:
    prev = positions[positions > 0] - 1
    if not len(prev):
        return []
    ids = index.stream.take(prev)
    counts = np.bincount(ids)
    order = np.lexsort((np.arange(len(counts)), -counts))[:k]
    return [(_name(vocab, int(t)), int(counts[t])) for t in order if counts[t] > 0]
