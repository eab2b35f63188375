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

Both are cleaned into prose paragraphs (`prose.clean_rest`: markup, code and tables out, only
sentences that read as prose kept). Each paragraph comes out on one line, paragraphs separated by
blank lines, ready for `corpus.split_sentences`; texts are NFC-normalized like
`corpus.iter_texts` output. Repeated paragraphs (the same docstring
on several classes) are kept: they are what the docs say.

The output is deterministic for a given Python installation; `python_docs_fingerprint` names it
for cache invalidation. The cost is dominated by `ast` parsing about 11 MB of source.
"""

from __future__ import annotations

import ast
import hashlib
import os
import sys
import sysconfig
import unicodedata
from pathlib import Path
from typing import Iterator

from .prose import CLEANER_VERSION, clean_rest

__all__ = ["BUILTIN_CORPORA", "CLEANER_VERSION", "clean_rest", "module_docstrings", "python_docs_fingerprint",
           "python_docs_texts", "stdlib_dir", "stdlib_sources"]

BUILTIN_CORPORA = ("python-docs",)
"""The names of the built-in corpora (what `Language(dataset=...)` accepts besides paths)."""

# test suites, the IDLE app, third-party packages, and the codec tables of encodings/ (a hundred
# copies of one generated boilerplate docstring) are not documentation prose.
_SKIP_DIRS = frozenset(("test", "tests", "idlelib", "site-packages", "__pycache__", "encodings"))


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


_DEFINITIONS = (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
_STATEMENT_LISTS = ("body", "orelse", "finalbody", "handlers", "cases")


def module_docstrings(source: bytes | str) -> list[str]:
    """The module, class and function docstrings of one source file, in source order."""
    tree = ast.parse(source)
    docs = []
    # A class or function is always a statement, so only statement lists are searched (the
    # bodies of compound statements, handlers and match cases), not the ~10x more expression
    # nodes that ast.walk would visit; the same definitions are found.
    todo = [tree]
    while todo:
        node = todo.pop()
        if isinstance(node, _DEFINITIONS) or node is tree:
            doc = ast.get_docstring(node)
            if doc:
                docs.append((getattr(node, "lineno", 0), doc))
        for field in _STATEMENT_LISTS:
            todo.extend(getattr(node, field, ()))
    docs.sort(key=lambda d: d[0])  # source order
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
