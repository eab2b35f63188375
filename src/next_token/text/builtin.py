"""Built-in corpora: text every Python install already carries, so a model can be trained with no
user files and no network.

``"python-docs"`` (the default) is Python's own documentation as prose:

- ``pydoc_data.topics.topics``: the help texts behind ``help("for")``, rendered from the reST
  sources of the language reference (about 80 topics);
- the docstrings of the standard library's pure-Python modules (module, class and function
  docstrings, found with `ast.get_docstring` after parsing each source file with `ast`; nothing
  is imported, so no module code runs). Files are those under ``sysconfig.get_paths()["stdlib"]``,
  in sorted order, skipping ``test``/``tests``, ``idlelib``, ``site-packages``, ``__pycache__``,
  ``encodings`` (generated codec tables) and hidden folders.

Both are cleaned into prose paragraphs (`clean_rest`): doctest examples, literal/code blocks,
grammar rules, tables, directives, headings and their underlines are dropped; reST roles and
inline markup are reduced to their text (":func:`os.path.join`" -> "os.path.join", "*word*" ->
"word"). Each paragraph comes out on one line, paragraphs separated by blank lines, ready for
`corpus.split_sentences`; texts are NFC-normalized like `corpus.iter_texts` output. Repeated
paragraphs (the same docstring on several classes) are kept: they are what the docs say.

The output is deterministic for a given Python installation; `python_docs_fingerprint` names it
for cache invalidation. The cost is dominated by `ast` parsing about 11 MB of source.
"""

from __future__ import annotations

import ast
import hashlib
import os
import re
import sys
import sysconfig
import unicodedata
from pathlib import Path
from typing import Iterator

BUILTIN_CORPORA = ("python-docs",)
"""The names of the built-in corpora (what `Language(dataset=...)` accepts besides paths)."""

CLEANER_VERSION = 1
"""Bumped whenever the cleaning rules change, so cached models built on older text are rebuilt."""

# test suites, the IDLE app, third-party packages, and the codec tables of encodings/ (a hundred
# copies of one generated boilerplate docstring) are not documentation prose.
_SKIP_DIRS = frozenset(("test", "tests", "idlelib", "site-packages", "__pycache__", "encodings"))


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


def clean_rest(text: str) -> list[str]:
    """Turn one reST-ish docstring or help text into a list of prose paragraphs (one line each).

    The text is cut into blocks (runs of non-blank lines). A block is dropped when it holds a
    doctest prompt (``>>>``/``...``) or a table line, or is a reST comment or target (``.. x``).
    A version directive becomes the sentence pydoc would show (``.. versionadded:: 3.2`` ->
    "New in version 3.2:"); other directives (``.. note::``) keep only their body. Headings (a
    line over or under a line of repeated punctuation) are dropped. Bullet and numbered items and
    ``:param x:`` fields become their own paragraphs (without the marker), a trailing ``::``
    becomes ``:``, and inline markup is reduced to its text.

    An indented block is either code (literal blocks, grammar rules, examples) or the indented
    body of a definition (in the help topics, every method's description). It is kept only when
    each of its paragraphs reads as a sentence: starts with a capital letter, ends with . ! or ?,
    and passes the prose test below. Finally every paragraph must look like prose: three or more
    words, at least 60% of them containing letters, not ending in an open bracket or comma.
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
        for line in lines:
            if _UNDERLINE.match(line):
                if items[-1]:
                    items[-1].pop()  # the heading text above an underline
                continue
            stripped = line.strip()
            marker = _BULLET.match(stripped) or _FIELD.match(stripped)
            if marker:
                items.append([stripped[marker.end():]])
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
            if _is_prose(para):
                paragraphs.append(para)

    for line in text.expandtabs(8).splitlines():
        if line.strip():
            block.append(line.rstrip())
        else:
            flush()
    flush()
    return paragraphs


# --- sources ---------------------------------------------------------------------------------


def stdlib_dir() -> Path:
    return Path(sysconfig.get_paths()["stdlib"])


def stdlib_sources(root: Path | None = None) -> list[Path]:
    """The standard library's ``.py`` files whose docstrings make the corpus, in sorted order."""
    root = stdlib_dir() if root is None else root
    found = []
    for dirpath, dirs, names in os.walk(root):
        dirs[:] = [d for d in dirs if d not in _SKIP_DIRS and not d.startswith(".")]
        found.extend(Path(dirpath, n) for n in names if n.endswith(".py") and not n.startswith("."))
    return sorted(found, key=lambda p: p.relative_to(root).as_posix())


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def module_docstrings(source: bytes | str) -> list[str]:
    """The module, class and function docstrings of one source file, in source order."""
    tree = ast.parse(source)
    docs = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            doc = ast.get_docstring(node)
            if doc:
                docs.append((getattr(node, "lineno", 0), doc))
    # ast.walk is breadth-first; source order reads more naturally and is just as deterministic.
    docs.sort(key=lambda d: d[0])
    return [d for _, d in docs]


def _join(paragraphs: list[str]) -> str:
    return unicodedata.normalize("NFC", "\n\n".join(paragraphs) + "\n")


def _topic_texts() -> Iterator[tuple[str, str]]:
    try:
        from pydoc_data.topics import topics
    except ImportError:  # some distributions strip pydoc_data
        return
    for key in sorted(topics):
        paragraphs = clean_rest(topics[key])
        if paragraphs:
            yield f"pydoc:{key}", _join(paragraphs)


def _docstring_texts() -> Iterator[tuple[str, str]]:
    root = stdlib_dir()
    for path in stdlib_sources(root):
        try:
            docs = module_docstrings(path.read_bytes())
        except (SyntaxError, ValueError, OSError):
            # e.g. lib2to3 test data written in Python 2; such files are not documentation.
            continue
        paragraphs = [p for doc in docs for p in clean_rest(doc)]
        if paragraphs:
            yield f"stdlib:{_module_name(path, root)}", _join(paragraphs)


def python_docs_texts() -> Iterator[tuple[str, str]]:
    """Yield ``(name, text)`` for the ``"python-docs"`` corpus: help topics, then docstrings.

    Names are ``"pydoc:<topic>"`` and ``"stdlib:<dotted.module>"``; texts are cleaned prose
    paragraphs separated by blank lines.
    """
    yield from _topic_texts()
    yield from _docstring_texts()


def python_docs_fingerprint() -> str:
    """Names the exact text `default_corpus_texts` yields on this installation.

    Python version and implementation, the cleaner's version, and a hash of the source files'
    relative paths and sizes (a patched standard library changes it; stat calls only, fast).
    """
    root = stdlib_dir()
    files = stdlib_sources(root)
    digest = hashlib.sha256()
    for path in files:
        digest.update(f"{path.relative_to(root).as_posix()}\0{path.stat().st_size}\n".encode())
    try:
        from pydoc_data.topics import topics

        digest.update(repr(sorted((k, len(v)) for k, v in topics.items())).encode())
    except ImportError:
        pass
    version = ".".join(map(str, sys.version_info[:3]))
    impl = sys.implementation.name
    return f"python-docs-v{CLEANER_VERSION}-{impl}{version}-{len(files)}mods-{digest.hexdigest()[:16]}"
