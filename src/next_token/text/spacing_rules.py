"""Word tokens back to natural text by fixed rules, when no spacing was learned from a corpus.

["Hello", ",", "world", "."] -> "Hello, world." The word tokenizer (see `tokenizer.py`) splits
punctuation off words, so detokenizing is deciding, between each pair of neighbouring tokens,
whether a space goes there. A model trained on text learns how its corpus spaced its tokens
(spacing.py) and uses these rules only where it has no evidence, and for its one guard (below).
Models without learned spacing (imported from ARPA, or pre-tokenized "whitespace" corpora) use
the rules throughout. The rules:

- no space before closing punctuation: ``, . ; : ! ? ) ] } ” ’ » % …`` and before contraction
  pieces such as ``'s`` / ``n't`` (if a caller's tokens have them; our tokenizer keeps ``don't``
  whole);
- no space after opening punctuation: ``( [ { “ ‘ « ¿ ¡`` and currency signs ``$ £ € ¥``;
- runs of two or more dashes (``--``), the em dash ``—`` and the slash ``/`` join their
  neighbours: "word--word", "and/or"; a lone ``-`` is spaced: "5 - 3";
- straight double quotes alternate: the first opens (space before, none after), the next closes
  (none before, space after), and so on;
- a straight single quote closes an open single quote; otherwise it is a possessive after a word
  ending in "s" ("the dogs' bones"), except after a few common words like "is" or "was";
  otherwise it opens a quote. This is a guess: "'" is ambiguous in plain text.

Whatever the rules say, two tokens are never glued together when the result would read back as
one token (two word characters, or two dashes, meeting), so for the tokens our word tokenizer
produces, ``tokenize(detokenize(tokens)) == tokens`` (property-tested). What cannot round-trip:
tokens that the tokenizer would not produce (a token with a space inside, "a.b", a Penn-style
"'s" or "n't", which we glue on and which then read back as part of the word), and spacing inside
the original text (``"3 %"`` comes back as ``"3%"``).

Every spacing decision depends only on the tokens *before* a position, never after it, so the
text of a prefix never changes when tokens are appended. The incremental speller relies on that.
"""

from __future__ import annotations

import re

OPENERS = frozenset("([{“‘«¿¡$£€¥")
CLOSERS = frozenset(",.;:!?)]}”’»%…")
JOINERS = frozenset(("/", "—"))
CONTRACTION_PIECES = frozenset(
    piece.replace("'", q)
    for piece in ("'s", "'re", "'ve", "'ll", "'d", "'m", "n't", "'S", "'RE", "'VE", "'LL", "'D", "'M", "N'T")
    for q in ("'", "’")
)
# Words ending in "s" after which a straight quote is more likely to open a quotation than to
# mark a plural possessive: "it was 'fine'", not "it was' fine'".
_NOT_POSSESSIVE = frozenset(
    "as is was has his this its us yes thus perhaps always whereas does goes says towards "
    "afterwards sometimes besides across unless".split()
)
_DASH_RUN = re.compile(r"-{2,}\Z")

_OPEN, _CLOSE, _JOIN, _WORD = "open", "close", "join", "word"


def _is_word_char(c: str) -> bool:
    return c.isalnum() or c == "_"


def would_glue(prev: str | None, tok: str) -> bool:
    """Whether writing `tok` right after `prev` with no space would read back as one token:
    "a"+"b" or "--"+"-" (a contraction piece is glued on purpose: "do" + "n't")."""
    if prev is None or not prev or not tok or tok in CONTRACTION_PIECES:
        return False
    a, b = prev[-1], tok[0]
    return _is_word_char(a) and _is_word_char(b) or a == b == "-"


class RuleSpacer:
    """Decides, token by token, whether a space goes before the next token.

    Holds the only state the rules need: the previous token's role and whether a straight double
    or single quote is open.
    """

    def __init__(self) -> None:
        self.prev: str | None = None
        self.prev_role = _OPEN  # the start of text behaves like an opener: no space after it
        self.double_open = False
        self.single_open = False

    def copy(self) -> "RuleSpacer":
        other = RuleSpacer()
        other.prev, other.prev_role = self.prev, self.prev_role
        other.double_open, other.single_open = self.double_open, self.single_open
        return other

    def _role(self, tok: str) -> str:
        if tok == '"':
            self.double_open = not self.double_open
            return _OPEN if self.double_open else _CLOSE
        if tok == "'":
            if self.single_open:
                self.single_open = False
                return _CLOSE
            prev = self.prev or ""
            if prev[-1:] in ("s", "S") and prev.isalpha() and prev.lower() not in _NOT_POSSESSIVE:
                return _CLOSE
            self.single_open = True
            return _OPEN
        if tok in CLOSERS or tok in CONTRACTION_PIECES:
            return _CLOSE
        if tok in OPENERS:
            return _OPEN
        if tok in JOINERS or _DASH_RUN.match(tok):
            return _JOIN
        return _WORD

    def space_before(self, tok: str) -> bool:
        """Return whether ``tok`` needs a space before it, and advance past it."""
        role = self._role(tok)
        prev = self.prev
        space = not (self.prev_role in (_OPEN, _JOIN) or role in (_CLOSE, _JOIN))
        if not space and would_glue(prev, tok):
            space = True
        self.prev, self.prev_role = tok, role
        return space


def detokenize(tokens: list[str]) -> str:
    """Join word tokens into natural text: ``["Hello", ",", "world", "."]`` -> ``"Hello, world."``.

    See the module docstring for the spacing rules and what does not round-trip.
    """
    spacer = RuleSpacer()
    parts = []
    for tok in tokens:
        if spacer.space_before(tok):
            parts.append(" ")
        parts.append(tok)
    return "".join(parts)


def join_continuation(prompt: str, prompt_tokens: list[str], continuation_tokens: list[str]) -> str:
    """Return the text that follows ``prompt`` when ``continuation_tokens`` are appended to it.

    Only the continuation is returned, with a leading space when the rules want one and the prompt
    does not already end in whitespace: prompt ``"Hello"`` + ``[",", "world"]`` -> ``", world"``;
    ``"Hello "`` + ``["world"]`` -> ``"world"``; ``'He said "'`` + ``["Hi"]`` -> ``"Hi"``.
    ``prompt_tokens`` are the prompt's word tokens: they tell its last token and which quotes it
    left open.
    """
    if not continuation_tokens:
        return ""
    spacer = RuleSpacer()
    for tok in prompt_tokens:
        spacer.space_before(tok)
    parts = []
    for tok in continuation_tokens:
        if spacer.space_before(tok):
            parts.append(" ")
        parts.append(tok)
    if parts[0] == " " and (not prompt or prompt[-1].isspace()):
        parts.pop(0)
    return "".join(parts)
