"""Reading training text: sources -> (name, text) pairs, and text -> sentences.

A *source* is one of

- a path to a file (``.gz`` files are decompressed on the fly);
- a path to a folder: every ``*.txt``, ``*.md`` and ``*.rst`` file below it (recursively), plus the
  same with ``.gz`` appended (``notes.txt.gz``), in sorted path order. Hidden files and folders
  (names starting with ``.``, e.g. ``.git``) are skipped;
- a glob pattern such as ``"books/*.txt"`` or ``"data/**/*.md"`` (``**`` crosses folders); its
  matches are read in sorted order, and a matching folder is read as a folder;
- ``"-"`` for standard input;
- a `Text` object, to pass a raw string explicitly (a bare ``str`` is always taken as a path, so a
  typo in a file name cannot silently become a one-line corpus).

Every text is decoded as UTF-8 (a leading byte-order mark is dropped), line ends are made ``\\n``,
and the result is normalized to Unicode NFC, so that "é" typed as one code point and as "e" plus a
combining accent become the same token.

Sentence splitting (`split_sentences`) is deliberately simple and rule-based, so that anyone can
reproduce it: see its docstring.
"""

from __future__ import annotations

import glob
import gzip
import os
import re
import sys
import unicodedata
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Union

from ..errors import CorpusError

TEXT_SUFFIXES = (".txt", ".md", ".rst")
"""File name endings read from a folder (each also accepted with ``.gz`` appended)."""

BINARY_SNIFF_BYTES = 8192
"""How many leading (decompressed) bytes are checked for NUL bytes to recognise a binary file."""

_GLOB_CHARS = re.compile(r"[*?\[]")


@dataclass(frozen=True)
class Text:
    """A raw string given as a corpus source, e.g. ``iter_texts([Text("One. Two.")])``."""

    text: str
    name: str = "<text>"


Source = Union[str, os.PathLike, Text]


def iter_texts(sources: Source | Iterable[Source]) -> Iterator[tuple[str, str]]:
    """Yield ``(name, text)`` for every text in ``sources``, in order.

    ``sources`` is one source or an iterable of them (see the module docstring). The name is the
    file path as found, ``"<stdin>"`` for ``"-"``, or the `Text`'s name.

    Raises `CorpusError` for a missing path, a glob or folder matching no text file, a binary file
    (a NUL byte among its first bytes), a file that is not valid UTF-8 (naming the byte offset),
    an unreadable or corrupt ``.gz`` file, and -- once all sources are read -- a corpus holding no
    non-blank text at all. Files are read lazily, one at a time, so errors surface as iteration
    reaches them.
    """
    if isinstance(sources, (str, os.PathLike, Text)):
        sources = [sources]
    found_text = False
    for source in sources:
        for name, text in _iter_source(source):
            if text.strip():
                found_text = True
            yield name, text
    if not found_text:
        raise CorpusError(
            "the corpus is empty: no source held any non-blank text "
            "(check the paths, or pass text with Text('...'))"
        )


def _iter_source(source: Source) -> Iterator[tuple[str, str]]:
    if isinstance(source, Text):
        if not isinstance(source.text, str):
            raise CorpusError(f"Text(...) needs a str, got {type(source.text).__name__}")
        yield source.name, _clean(source.text)
        return
    if not isinstance(source, (str, os.PathLike)):
        raise CorpusError(
            f"unsupported corpus source {source!r}: give a path, a glob pattern, '-' or Text('...')"
        )
    spec = os.fspath(source)
    if spec == "-":
        yield "<stdin>", _read_stdin()
        return
    path = Path(spec)
    if path.is_dir():
        yield from _iter_folder(path)
    elif path.exists():
        yield str(path), _read_file(path)
    elif _GLOB_CHARS.search(spec):
        matches = sorted(glob.glob(spec, recursive=True))
        if not matches:
            raise CorpusError(f"the glob pattern {spec!r} matches no file")
        for match in matches:
            m = Path(match)
            if m.is_dir():
                yield from _iter_folder(m)
            else:
                yield str(m), _read_file(m)
    else:
        raise CorpusError(f"no such file or folder: {spec!r}")


def _is_text_file_name(name: str) -> bool:
    if name.endswith(".gz"):
        name = name[:-3]
    return name.endswith(TEXT_SUFFIXES)


def _iter_folder(folder: Path) -> Iterator[tuple[str, str]]:
    files = []
    for root, dirs, names in os.walk(folder):
        # Pruning in place stops os.walk from descending into hidden folders such as .git.
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        files.extend(
            Path(root, n) for n in names if not n.startswith(".") and _is_text_file_name(n)
        )
    if not files:
        kinds = ", ".join(f"*{s}" for s in TEXT_SUFFIXES)
        raise CorpusError(f"the folder {str(folder)!r} holds no text file ({kinds}, or .gz of them)")
    for f in sorted(files):
        yield str(f), _read_file(f)


def _read_file(path: Path) -> str:
    try:
        if path.name.endswith(".gz"):
            with gzip.open(path, "rb") as fh:
                data = fh.read()
        else:
            data = path.read_bytes()
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise CorpusError(f"{str(path)!r} is not a valid gzip file ({exc})") from exc
    except OSError as exc:
        raise CorpusError(f"cannot read {str(path)!r}: {exc.strerror or exc}") from exc
    return _decode(data, str(path))


def _read_stdin() -> str:
    stream = sys.stdin
    if stream is None:
        raise CorpusError("'-' asks for standard input, but there is none")
    buffer = getattr(stream, "buffer", None)
    if buffer is not None:
        return _decode(buffer.read(), "<stdin>")
    # A text stream without a byte buffer (e.g. io.StringIO in tests) is already decoded.
    return _clean(stream.read())


def _decode(data: bytes, name: str) -> str:
    if b"\x00" in data[:BINARY_SNIFF_BYTES]:
        raise CorpusError(
            f"{name!r} looks like a binary file (it has NUL bytes in its first "
            f"{BINARY_SNIFF_BYTES} bytes); give text files only"
        )
    skip = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    try:
        text = data[skip:].decode("utf-8")
    except UnicodeDecodeError as exc:
        offset = exc.start + skip
        raise CorpusError(
            f"{name!r} is not valid UTF-8: byte offset {offset} "
            f"(byte 0x{data[offset]:02x}) cannot be decoded. Convert the file to UTF-8 first, "
            f"e.g. `iconv -f latin1 -t utf-8 in.txt > out.txt`"
        ) from exc
    return _clean(text)


def _clean(text: str) -> str:
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", text)


# --- sentences -------------------------------------------------------------------------------

# A candidate sentence end: . ! or ?, then up to two closing quotes or brackets, then whitespace,
# then optional opening quotes/brackets and the first word character of the next sentence. Group
# "gap" is the whitespace we cut at; group "first" is checked to be upper case in Python, because
# `re` has no Unicode "upper-case letter" class and ASCII [A-Z] would miss "É" or "Ö".
_SENTENCE_END = re.compile(
    r"[.!?][\"'”’)\]]{0,2}(?P<gap>\s+)[\"'“‘(\[]*(?P<first>\w)"
)
_BLANK_LINE = re.compile(r"\n[^\S\n]*\n")  # a line holding only spaces/tabs counts as blank


def split_sentences(text: str) -> Iterator[str]:
    """Yield the sentences of ``text``, each with its whitespace collapsed to single spaces.

    The rules, simple on purpose so any other system can reproduce them:

    1. A paragraph is a run of non-blank lines; its lines are joined with single spaces (all
       whitespace runs become one space). A paragraph end always ends a sentence.
    2. Inside a paragraph, a sentence ends after ``.``, ``!`` or ``?`` -- plus at most two
       closing quotes or brackets (``" ' ” ’ ) ]``) -- when whitespace follows and then, after
       any opening quotes or brackets (``" ' “ ‘ ( [``), an upper-case letter.

    There is no abbreviation list, so "Mr. Smith" is split after "Mr."; lower-case starts
    ("e.g. the") are not split. This matches the reference tokenizer of ../shared/kenlm (prep.py) except that any Unicode
    upper-case letter (É, Ö, ...) starts a sentence, not only A-Z.
    """
    for paragraph in _BLANK_LINE.split(text):
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
