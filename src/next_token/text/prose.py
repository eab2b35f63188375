"""Documentation markup to prose: what the built-in corpus keeps of Python's docs (builtin.py).

`clean_rest` turns reStructuredText and docstrings into prose paragraphs: doctest examples,
literal/code blocks, grammar rules, tables, directives, headings and their underlines are
dropped; reST roles and inline markup are reduced to their text (":func:`os.path.join`" ->
"os.path.join", "*word*" -> "word"). What a model trained on it writes should read as prose, so
only sentences that read as prose are kept: a sentence may name code now and then, and the name
is kept intact ("Use os.path.join() to join paths."), but signatures, option lists, parameter
tables and sentences made of names, operators or quoted code are left out (see "code in prose"
below). Each paragraph comes out on one line.
"""

from __future__ import annotations

import re

from .corpus import split_sentences

CLEANER_VERSION = 2
"""Bumped whenever the cleaning rules change, so cached models built on older text are rebuilt."""


# --- cleaning --------------------------------------------------------------------------------

_UNDERLINE = re.compile(r"""^\s*([=\-~^*#"'`+.:_])\1{2,}\s*$""")  # heading under/overlines
_TABLE_LINE = re.compile(r"^\s*(\+[-=+]{3,}|\|.*\||=+(\s+=+)+\s*$)")  # grid / simple tables
_BULLET = re.compile(r"^(?:[*\-•+]|\d+\.|\(\w\)|#\.)\s+")
_FIELD = re.compile(r"^:(\w+)([^:`]*):(?!`)\s*")  # ":param x: text" -> "text"; not ":mod:`x`"
_DIRECTIVE = re.compile(r"^\.\.\s+([\w-]+)::\s*(.*)$")
_VERSION_DIRECTIVES = {
    "versionadded": "New in version {}:",
    "versionchanged": "Changed in version {}:",
    "deprecated": "Deprecated since version {}:",
}
_SENTENCE_LIKE = re.compile(r"^[\"'(]?[A-Z].*[.!?][\"')]?$")
_ROLE = re.compile(r":[\w:.-]+:`([^`]+)`")  # :func:`x`, :py:class:`~a.B`
_ROLE_TARGET = re.compile(r"^(.*?)\s*<[^<>]+>$")  # "text <target>" -> "text"
_LINK = re.compile(r"`([^`<]+?)\s*(?:<[^`>]+>)?`__?")  # `text <url>`_ and `name`_
_OLD_QUOTE = re.compile(r"(?<![`\w])`([^`'\s]+)'(?!\w)")  # an old docstring's `name' -> 'name'
_LITERAL = re.compile(r"``([^`]+)``|`([^`]+)`")
_STRONG = re.compile(r"\*\*(?=\S)([^*]+?)\*\*")
_EMPH = re.compile(r"(?<![\w*])\*(?=[^\s*])([^*]+?)\*(?![\w*])")
_QUOTED_NAME = re.compile(r'"([^"\s]{1,40})"')  # pydoc renders code as "name": drop the quotes
_FOOTNOTE = re.compile(r"\s?\[(?:\d+|#\w*|\*)\]_?")
_WORD = re.compile(r"[^\W\d_]{2,}")


def _role_text(m: re.Match) -> str:
    text = m.group(1)
    target = _ROLE_TARGET.match(text)
    if target:
        return target.group(1)
    text = text.lstrip("!")
    if text.startswith("~"):  # reST: show only the last dotted component
        text = text[1:].rsplit(".", 1)[-1]
    return text


def _inline(text: str) -> str:
    text = _ROLE.sub(_role_text, text)
    text = _LINK.sub(r"\1", text)
    text = _OLD_QUOTE.sub(r"'\1'", text)
    text = _LITERAL.sub(lambda m: m.group(1) or m.group(2), text)
    text = _STRONG.sub(r"\1", text)
    text = _EMPH.sub(r"\1", text)
    text = _QUOTED_NAME.sub(r"\1", text)
    text = _FOOTNOTE.sub("", text)
    return text


def _is_prose(paragraph: str) -> bool:
    """Keep paragraphs that read as text: enough words, mostly made of letters."""
    pieces = paragraph.split()
    if len(pieces) < 3:
        return False
    wordy = sum(1 for p in pieces if _WORD.search(p))
    return wordy >= 0.6 * len(pieces) and not paragraph.rstrip().endswith(("{", "(", "[", ","))


# --- code in prose ---------------------------------------------------------------------------
#
# The corpus should read as prose that names code now and then, never as code. A sentence is
# judged by its whitespace-separated pieces:
#
# - a *code-like* piece names something in code: snake_case and __dunder__ names, dotted.names,
#   CamelCase inside a word, calls "f()", a word in single quotes ('ptext'). Once in a while it is
#   what docs say ("Use os.path.join() to join paths."), so it is kept intact, unless the
#   sentence is too full of them (MAX_CODE_SHARE);
# - a *code* piece is never prose: an operator or bracket, "->", a call with arguments "f(x, y)",
#   an option "--verbose", *args, a _private name, a CONSTANT_NAME, a URL, a number like 0xff.
#   One drops the sentence.
#
# A kept sentence starts with a capital letter and has three words or more; it is not SHOUTED,
# not a list of names after a colon, and not a lead-in to dropped code ("For example:").

MAX_CODE_SHARE = 0.2
"""The most code-like pieces a kept sentence may have, as a share of its pieces: one in five.

One name in a short sentence stays ("Use os.path.join() to join paths.", 1 in 6; "The default
simply raises TypeError.", 1 in 5); a sentence that is mostly names goes ("Subset of importlib.abc
used to reduce importlib.util imports.", 2 in 8; "Replacement for os.path.isabs.", 1 in 3; "The
built-in function int() falls back to __trunc__() if neither __int__() nor __index__() is
defined.", 4 in 15). The line moves few sentences either way: of the 21.5k sentences the first
cleaner kept from Python 3.11's docs, about 300 have a share in (1/6, 1/5] and 300 in (1/5, 1/4].
"""

# Both patterns search a whole sentence. Each alternative starts with the one character that gives
# code away and then looks around it, so that `re` can skip to those characters: four times faster
# than trying every alternative at every position. (?<!\S.) says that character starts a piece.
_CODE_LIKE = re.compile(
    r"""
      _(?:(?<=\w_)|(?=\w))                         # snake_case, __dunder__
    | \((?<=\w\()                                  # a call: len(), f(x)
    | \.(?: (?<=\w\w\.)(?=[A-Za-z_])               # dotted.name, file.py (not e.g. or i.e.)
          | (?<=[A-Za-z_]\.)(?<![\w.].\.)(?=[A-Za-z_]\w)
          | (?<![^\s"'(]\.)(?=[A-Za-z_]) )         # .attribute, .pth
    | [A-Z](?: (?<=[a-z][A-Z])                     # CamelCase, getLogger
             | (?<=[A-Z][A-Z])(?=[a-z])(?!s\b) )   # HTTPServer (not URLs)
    | ['‘](?<!\S.)(?=[^\s'‘’]+['’][^\w\s]*(?!\S))  # 'quoted': a name or a value in quotes
    """,
    re.VERBOSE,
)
_CODE = re.compile(
    r"""
      [=<>{}\[\]|\\^~#@$`] | %(?<!\d%)             # operators, subscripts, sets, annotations, formats
    | [+*/&!](?<!\S.)[+*/&!]*[),.;:]*(?!\S)        # a bare operator: + * ** // (not '/', a value)
    | [(\[](?<!\S.)[(\[]*[+*/&!]+[),.;:]*(?!\S)
    | [^\w\s](?<!\S.)[^\w\s]{2,}(?!\S)             # a rule or an ellipsis: --- *** ...
    | ://|www\.                                    # a URL
    | 0(?<![\w.]0)[xob][0-9a-f]                    # a literal: 0xff, 0o777, 0x1.99ap-4
    | \((?<=\w\()(?!\)|e?s\))                      # a call with arguments, f(x, y) (not "name(s)")
    | _(?<!\w_)[A-Za-z]                            # a _private name (not __dunder__)
    | [A-Z](?<!\w[A-Z])[A-Z0-9]*_[A-Z0-9_]*\b      # a CONSTANT_NAME (not an acronym: HTTP, UTF-8)
    | -(?<![^\s(\["'‘“]-)-?[A-Za-z]                # an option: -v, --verbose
    | \*(?<![^\s(\["'‘“]\*)\*?[A-Za-z_] | \*(?<=\w\*)  # *args, **kwargs, dispatch_*(), 2*x
    """,
    re.VERBOSE,
)
# pydoc writes inline code in double quotes: "x + y" and "0 - 10FFFF" are code, "x in y" is three
# code-like pieces (prose quotes come out as “ ”).
_DOUBLE_QUOTED = re.compile(r'"([^"]*\s[^"]*)"')
_NOT_WORDS = re.compile(r"[^\w\s'’-]|\d")
_NAME_LIST = re.compile(r":\s+(?:[\w'’.-]+,\s+){3,}")  # "Valid resource names: bd, bg, fg, font, ..."
_CAPITALS = re.compile(r"(?<!\S)\W*[A-Z][A-Z0-9]+\W*(?!\S)")  # HTTP, "AS IS", TAGORID
_NOTE_TO_SELF = ("XXX", "TODO", "FIXME")
# A lead-in that says nothing without the code or list that followed it ends with one of these
# words ("Here is how to loop over it:", "Each line is of the form:"), points ahead ("... the
# following public classes:", "For example, these yield the same UUID:") or is no sentence ("To
# use the debugger in its simplest form:"). Any other lead-in is a sentence ("The for statement is
# used to iterate over the elements of a sequence ... or other iterable object:") and gets a full
# stop.
_LEAD_IN_ENDS = frozenset(
    "example examples e.g. i.e. usage syntax this these that those is are was were be do see use to "
    "as by for with of from in on at like include includes including here so it a an the and or "
    "returns arguments argument attributes members methods options parameters values form insert".split()
)
_POINTS_AHEAD = re.compile(r"\b(?:following|follows|below|[Ee]xamples?|[Hh]ere|To)\b")
# "e.g. Windows" would be cut into two sentences after "e.g." ("e.g., Windows" is not).
_ABBREVIATION_BEFORE_CAPITAL = re.compile(r"\b([ei]\.[eg])\.(?=\s+[\"'“‘(\[]*[A-Z])")
# "Unions are flattened, e.g." ends where its example, dropped as code, was: it ends with a full stop.
_DANGLING_EXAMPLE = re.compile(r",?\s+(?:e\.g\.|i\.e\.|for example|for instance)[,:]?$")
_SENTENCE_END_MARK = re.compile(r"[.!?][\"'”’)\]]*$")
# A quoted name keeps its name, as pydoc's "name" does: 'memo' -> memo, ‘is’ -> is (not '/', nor
# 'a', which would read as the article).
_QUOTED_WORD = re.compile(r"(?<![\w'’])['‘]([A-Za-z_][\w.-]*\w)['’](?![\w'‘’(])")


def _is_prose_sentence(sentence: str) -> bool:
    """Whether one sentence reads as prose that names code at most now and then (rules above)."""
    start = sentence.lstrip("\"'“‘([")
    if not start[:1].isupper() or start.startswith(_NOTE_TO_SELF):
        return False
    pieces = sentence.split()
    if len(pieces) < 3:
        return False
    if sentence.endswith(":") and (
        len(pieces) < 6 or pieces[-1][:-1].lower() in _LEAD_IN_ENDS or _POINTS_AHEAD.search(sentence)
    ):
        return False
    if _CODE.search(sentence) or _NAME_LIST.search(sentence):
        return False
    if 2 * len(_CAPITALS.findall(sentence)) >= len(pieces):
        return False  # a licence's disclaimer, or Tk's "Scale item TAGORID with XORIGIN, ..."
    # pieces holding a code-like name (the sentence's spaces are single: split_sentences made it)
    code_like = len({sentence.count(" ", 0, m.start()) for m in _CODE_LIKE.finditer(sentence)})
    for quoted in _DOUBLE_QUOTED.findall(sentence):
        if _NOT_WORDS.search(quoted):
            return False
        code_like += len(quoted.split())
    return code_like <= MAX_CODE_SHARE * len(pieces)


def _prose_sentences(paragraph: str) -> str:
    """The paragraph's prose sentences, the last one ending with . ! or ? ("" if none is prose)."""
    paragraph = _ABBREVIATION_BEFORE_CAPITAL.sub(r"\1.,", paragraph)
    sentences = (_DANGLING_EXAMPLE.sub("", s) for s in split_sentences(paragraph))
    kept = [_QUOTED_WORD.sub(r"\1", s) for s in sentences if _is_prose_sentence(s)]
    for i, sentence in enumerate(kept):
        if sentence.endswith(":"):
            kept[i] = sentence[:-1] + "."  # a lead-in whose code or list was dropped
        elif not _SENTENCE_END_MARK.search(sentence):
            kept[i] += "."  # a docstring's summary line often has no full stop; nor has "..., e.g."
    return " ".join(kept)


# --- lines that are not sentences ------------------------------------------------------------
#
# Docstrings wrap prose over lines, but also put one entry per line: signatures, definition lists,
# parameter tables, options. Joined with the prose around them they would make one long run-on
# sentence; cut apart, each entry is judged alone and the text after a name is kept when it reads
# as a sentence ("xmlreader -- Base classes and constants ..." -> "Base classes and constants ...").

# "f(x, y)", "f(x) -> int", "D.clear() -> None.", maybe with text after: "Remove all items from D."
_SIGNATURE = re.compile(
    r"^(?:class\s+)?[\w.]+\(.*?\)\s*(?:(?:->|-->|=>|<==>)\s*(?:[^.]|\.(?!\s+[A-Z]))*)?[.:]?(?=\s+[A-Z]|\s*$)"
)
# "name -- text", "getmark(id) -- text", "x, y: text", "'protocol' (optional): text"
_TERM = r"""['"]?[A-Za-z_][\w.]*(?:\([^()]*\))?['"]?"""
_DEFINITION = re.compile(rf"^{_TERM}(?:\s*,\s*{_TERM})*(?:\s+\([^()]*\))?\s*(--|-|:)\s+(?=\S)")
_TABLE_ROW = re.compile(r"^[a-z_]\w*(?:,\s*[a-z_]\w*)*\s{2,}(?=[A-Z])")  # "filemode  Specifies the mode ..."
_CAPITALIZED_LEAD = re.compile(r"[A-Z][a-z]+\s*[-:]")  # "Note: text", "Returns: text": not names
_OPTION = re.compile(r"^-{1,2}[A-Za-z]")  # "-v, --verbose  print more"
_SEE_ALSO_TITLE = re.compile(r"^\**PEP \d+\**\s+-\s+")  # "**PEP 3132** - Extended Iterable Unpacking"


def _definition_term(line: str) -> re.Match | None:
    """The term of a definition-list or parameter-table entry, or None ("Note: text" has none)."""
    m = _DEFINITION.match(line)
    if m and (m.group(1) == "--" or not _CAPITALIZED_LEAD.match(line)):
        return m
    return _TABLE_ROW.match(line)


def clean_rest(text: str) -> list[str]:
    """Turn one reST-ish docstring or help text into a list of prose paragraphs (one line each).

    The text is cut into blocks (runs of non-blank lines). A block is dropped when it holds a
    doctest prompt (``>>>``/``...``) or a table line, or is a reST comment or target (``.. x``).
    A version directive becomes the sentence pydoc would show (``.. versionadded:: 3.2`` ->
    "New in version 3.2:"); other directives (``.. note::``) keep only their body. Headings (a
    line over or under a line of repeated punctuation) are dropped. Bullet and numbered items and
    ``:param x:`` fields become their own paragraphs (without the marker), a trailing ``::``
    becomes ``:``, and inline markup is reduced to its text.

    Lines that are entries rather than wrapped prose start paragraphs of their own: a signature
    (``f(x, y) -> z``) is dropped and the text after it kept; a definition-list or parameter-table
    entry (``name -- text``, ``x, y: text``; at the start of a block, after a line ending in ":",
    or at the indentation of the entry before) keeps only its text; an option line (``-v``) stays
    whole, to be judged as code.

    An indented block is either code (literal blocks, grammar rules, examples) or the indented
    body of a definition (in the help topics, every method's description). It is kept only when
    each of its paragraphs reads as a sentence: starts with a capital letter, ends with . ! or ?,
    and passes the prose test below.

    Then each paragraph keeps only its sentences that read as prose (`_is_prose_sentence`: a
    capital first letter, three words or more, no code, at most `MAX_CODE_SHARE` of code-like
    names, not shouted, not a list of names, not a bare lead-in like "For example:"); a name in
    single quotes loses them ('memo' -> memo) and the last sentence gets a full stop if it has
    none. Finally every paragraph must look like prose: three or more words, at least 60% of them
    containing letters, not ending in an open bracket or comma.
    """
    paragraphs: list[str] = []
    block: list[str] = []

    def flush() -> None:
        if not block:
            return
        lines = block[:]
        block.clear()
        if any(l.lstrip().startswith((">>>", "... ")) or l.strip() == "..." or _TABLE_LINE.match(l) for l in lines):
            return
        first = lines[0].strip()
        if first.startswith(".."):
            directive = _DIRECTIVE.match(first)
            if not directive:
                return  # a comment or a link target
            kind, argument = directive.groups()
            lead = _VERSION_DIRECTIVES.get(kind)
            lead = lead.format(argument.strip()) if lead else argument
            body = " ".join(l.strip() for l in lines[1:])
            lines = [f"{lead} {body}".strip()]
        indented = lines[0][:1].isspace()
        items: list[list[str]] = [[]]
        entry_indent, previous, signature = None, "", None
        for number, line in enumerate(lines):
            if _UNDERLINE.match(line):
                if items[-1]:
                    items[-1].pop()  # the heading text above an underline
                continue
            stripped = line.strip()
            indent = len(line) - len(line.lstrip())
            # A list of entries starts a block, follows a line ending in ":", or continues at the
            # indentation of the entry before; elsewhere "word: text" is part of a sentence. A
            # signature starts a block or follows a finished sentence or another signature;
            # elsewhere "dbm.open(). The ..." is the end of a sentence wrapped before a name.
            at_entry = number == 0 or previous.endswith(":") or indent == entry_indent
            after_sentence = number == 0 or previous.endswith((".", ":", "!", "?")) or signature
            previous, signature = stripped, None
            marker = _BULLET.match(stripped) or _FIELD.match(stripped)
            if marker:
                text = stripped[marker.end():]
                term = _definition_term(text)  # "- ArgumentParser -- The main entry point ..."
                items.append([text[term.end():] if term else text])
            elif after_sentence and (signature := _SIGNATURE.match(stripped)):
                items.append([stripped[signature.end():].lstrip()])  # the text after "f(x) -> y"
            elif _SEE_ALSO_TITLE.match(stripped):
                items.append([])  # a title, then the text about it
            elif at_entry and _OPTION.match(stripped):
                items.append([stripped])
                entry_indent = indent
            elif at_entry and (term := _definition_term(stripped)):
                items.append([stripped[term.end():]])  # "name -- text": keep the text
                entry_indent = indent
            else:
                items[-1].append(stripped)
        for item in items:
            para = " ".join(" ".join(item).split())
            if para.endswith("::"):
                para = para[:-2].rstrip()
                para = para + ":" if para and para[-1].isalnum() else para
            para = " ".join(_inline(para).split())
            if indented and not _SENTENCE_LIKE.match(para):
                continue
            para = _prose_sentences(para)
            if _is_prose(para):
                paragraphs.append(para)

    for line in text.expandtabs(8).splitlines():
        if line.strip():
            block.append(line.rstrip())
        else:
            flush()
    flush()
    return paragraphs
