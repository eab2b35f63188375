"""Sentences: the one rule that cuts text into sentences, for training, prompts and scoring.

Simple and rule-based on purpose, so that any other system (KenLM's reference preparation,
the JavaScript engine) can reproduce it exactly: see `split_sentences`.
"""

from __future__ import annotations

import re
from typing import Iterator

# A candidate sentence end: . ! or ?, then up to two closing quotes or brackets, then whitespace,
# then optional opening quotes/brackets and the first word character of the next sentence. Group
# "gap" is the whitespace we cut at; group "first" is checked to be upper case in Python, because
# `re` has no Unicode "upper-case letter" class and ASCII [A-Z] would miss "É" or "Ö".
_SENTENCE_END = re.compile(
    r"[.!?][\"'”’)\]]{0,2}(?P<gap>\s+)[\"'“‘(\[]*(?P<first>\w)"
)
BLANK_LINE = re.compile(r"\n[^\S\n]*\n")  # a line holding only spaces/tabs counts as blank


def split_sentences(text: str, lines: list[int] | None = None) -> Iterator[str]:
    """Yield the sentences of ``text``, each with its whitespace collapsed to single spaces.

    The rules, simple on purpose so any other system can reproduce them:

    1. A paragraph is a run of non-blank lines; its lines are joined with single spaces (all
       whitespace runs become one space). A paragraph end always ends a sentence.
    2. Inside a paragraph, a sentence ends after ``.``, ``!`` or ``?`` -- plus at most two
       closing quotes or brackets (``" ' ” ’ ) ]``) -- when whitespace follows and then, after
       any opening quotes or brackets (``" ' “ ‘ ( [``), an upper-case letter.

    There is no abbreviation list, so "Mr. Smith" is split after "Mr."; lower-case starts
    ("e.g. the") are not split. This matches the reference tokenizer of ../shared/kenlm (prep.py)
    except that any Unicode upper-case letter (É, Ö, ...) starts a sentence, not only A-Z.

    With a `lines` list, the 1-based line where each yielded sentence starts is appended to it
    (for attribution: search hits name their file and line).
    """
    if lines is not None:
        yield from _sentences_with_lines(text, lines)
        return
    for paragraph in BLANK_LINE.split(text):
        para = " ".join(paragraph.split())
        if not para:
            continue
        start = 0
        for m in _SENTENCE_END.finditer(para):
            if not m.group("first").isupper():
                continue
            yield para[start : m.start("gap")]
            start = m.end("gap")
        yield para[start:]


def _sentences_with_lines(text: str, lines: list[int]) -> Iterator[str]:
    """`split_sentences` on the raw paragraphs: the sentence ends are found in the text as it is
    (the rule's gaps are whitespace runs either way), so each sentence's offset, hence its line,
    is known; each sentence is then collapsed exactly as `split_sentences` collapses it."""
    line, counted = 1, 0  # newlines in text[:counted] are in `line`
    at = 0
    for sep in [*BLANK_LINE.finditer(text), None]:
        end = sep.start() if sep is not None else len(text)
        raw = text[at:end]
        bounds = [0] + [m.end("gap") for m in _SENTENCE_END.finditer(raw) if m.group("first").isupper()]
        stops = [m.start("gap") for m in _SENTENCE_END.finditer(raw) if m.group("first").isupper()] + [len(raw)]
        for a, b in zip(bounds, stops):
            sentence = " ".join(raw[a:b].split())
            if not sentence:
                continue
            first = at + a + (len(raw[a:b]) - len(raw[a:b].lstrip()))
            line += text.count("\n", counted, first)
            counted = first
            lines.append(line)
            yield sentence
        at = sep.end() if sep is not None else len(text)
