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

Sentence splitting (`split_sentences`, sentences.py) is deliberately simple and rule-based, so
that anyone can reproduce it: see its docstring.

`iter_texts` gives each text whole. `iter_text_pieces` streams them instead (the bounded-memory
build reads this way): files are decoded block by block and cut into pieces of a few megabytes
where cutting changes no sentence, so the pieces of a text, joined, are exactly its `iter_texts`
text, and their sentences are its sentences. `iter_documents` lists the documents without reading
them (a `Document` is a path or a text: it can be sent to another process and read there).
"""

from __future__ import annotations

import glob
import gzip
import os
import re
import stat
import sys
import unicodedata
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Union

from ..errors import CorpusError
from .sentences import BLANK_LINE, split_sentences  # noqa: F401 - split_sentences is part of this module's API

TEXT_SUFFIXES = (".txt", ".md", ".rst")
"""File name endings read from a folder (each also accepted with ``.gz`` appended)."""

BINARY_SNIFF_BYTES = 8192
"""How many leading (decompressed) bytes are checked for NUL bytes to recognise a binary file."""

_GLOB_CHARS = re.compile(r"[*?\[]")

PIECE_CHARS = 4 << 20
"""About how many characters `iter_text_pieces` puts in a piece."""

_READ_BYTES = 1 << 20
_CUTS = ("paragraph", "line")


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
    found_text = False
    for item in iter_documents(sources):
        text = item.read()
        if text.strip():
            found_text = True
        yield item.name, text
    if not found_text:
        raise CorpusError(_EMPTY_CORPUS)


_EMPTY_CORPUS = (
    "the corpus is empty: no source held any non-blank text "
    "(check the paths, or pass text with Text('...'))"
)


@dataclass(frozen=True)
class Document:
    """One text of a corpus, not read yet: a file (``path``), standard input, or a `Text`.

    `read()` gives the whole cleaned text (as `iter_texts`); `pieces()` gives it in bounded
    pieces (as `iter_text_pieces`). A file document can be sent to another process or machine
    and read there (a `Document` holds a path, not an open file).
    """

    name: str
    path: str | None = None
    text: str | None = None

    def read(self) -> str:
        if self.text is not None:
            _check_chars(self.text, self.name)
            return _clean(self.text)
        if self.path is None:
            return _read_stdin()
        return _read_file(Path(self.path))

    def pieces(self, chunk_chars: int = PIECE_CHARS, cut: str = "paragraph") -> Iterator[str]:
        """The cleaned text in pieces of about `chunk_chars` characters (see `iter_text_pieces`)."""
        if cut not in _CUTS:
            raise ValueError(f"cut must be one of {', '.join(_CUTS)}, got {cut!r}")
        if self.text is not None:
            _check_chars(self.text, self.name)
            yield _clean(self.text)  # already in memory: one piece
            return
        if self.path is None:
            stream = sys.stdin
            if stream is None:
                raise CorpusError("'-' asks for standard input, but there is none")
            buffer = getattr(stream, "buffer", None)
            if buffer is None:  # a text stream without a byte buffer (io.StringIO in tests)
                yield from _cut_pieces(_read_chars(stream), chunk_chars, cut)
                return
            yield from _cut_pieces(_decoded_blocks(lambda n: buffer.read(n), "<stdin>"), chunk_chars, cut)
            return
        path = Path(self.path)
        name = self.name
        try:
            fh = gzip.open(path, "rb") if path.name.endswith(".gz") else open(path, "rb")
        except OSError as exc:
            raise CorpusError(f"cannot read {name!r}: {exc.strerror or exc}") from exc
        with fh:
            def read(n: int) -> bytes:
                try:
                    return fh.read(n)
                except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
                    raise CorpusError(f"{name!r} is not a valid gzip file ({exc})") from exc
                except OSError as exc:
                    raise CorpusError(f"cannot read {name!r}: {exc.strerror or exc}") from exc

            yield from _cut_pieces(_decoded_blocks(read, name), chunk_chars, cut)


def iter_documents(sources: Source | Iterable[Source]) -> Iterator[Document]:
    """The documents of ``sources`` in order, without reading them (errors about paths, globs and
    folders are raised here; errors about contents when a document is read). A `Document` is a
    source too: itself."""
    if isinstance(sources, (str, os.PathLike, Text, Document)):
        sources = [sources]
    for source in sources:
        yield from _iter_source(source)


def iter_text_pieces(sources: Source | Iterable[Source], chunk_chars: int = PIECE_CHARS,
                     cut: str = "paragraph") -> Iterator[tuple[Document, str]]:
    """Yield ``(document, piece)``: every text of ``sources`` in pieces, never holding a whole file.

    A file is read in blocks; each piece holds about `chunk_chars` characters (more when no place
    to cut comes sooner) and ends where cutting changes nothing: with ``cut="paragraph"``, after
    a blank line, or, in a paragraph longer than a piece, at a line break where a sentence ends
    (`split_sentences` would cut there too); with ``cut="line"`` (one sentence per line), at any
    line break. So the pieces of a document, joined, are exactly its `iter_texts` text, and
    splitting each piece into sentences gives exactly the sentences of the whole text. Errors
    are those of `iter_texts` (a bad byte is reported at its offset in the whole file).
    """
    found_text = False
    for doc in iter_documents(sources):
        for piece in doc.pieces(chunk_chars, cut):
            if not found_text and piece.strip():
                found_text = True
            yield doc, piece
    if not found_text:
        raise CorpusError(_EMPTY_CORPUS)


def _iter_source(source: Source) -> Iterator[Document]:
    if isinstance(source, Document):
        yield source
        return
    if isinstance(source, Text):
        if not isinstance(source.text, str):
            raise CorpusError(f"Text(...) needs a str, got {type(source.text).__name__}")
        yield Document(source.name, text=source.text)
        return
    if not isinstance(source, (str, os.PathLike)):
        raise CorpusError(
            f"unsupported corpus source {source!r}: give a path, a glob pattern, '-' or Text('...')"
        )
    spec = os.fspath(source)
    if spec == "-":
        yield Document("<stdin>")
        return
    path = Path(spec)
    if path.is_dir():
        yield from _iter_folder(path)
    elif path.exists():
        _check_readable_kind(path)
        yield Document(str(path), path=str(path))
    elif _GLOB_CHARS.search(spec):
        matches = sorted(glob.glob(spec, recursive=True))
        if not matches:
            raise CorpusError(f"the glob pattern {spec!r} matches no file")
        for match in matches:
            m = Path(match)
            if m.is_dir():
                yield from _iter_folder(m)
            else:
                yield Document(str(m), path=str(m))
    else:
        raise CorpusError(f"no such file or folder: {spec!r}")


def _check_readable_kind(path: Path) -> None:
    """A named source must be a regular file or a pipe (`ntp train <(zcat x.gz)`): a device such
    as /dev/zero or /dev/urandom would be read forever."""
    mode = os.stat(path).st_mode
    if not (stat.S_ISREG(mode) or stat.S_ISFIFO(mode)):
        raise CorpusError(f"{str(path)!r} is not a file or a pipe (a device or a socket): give text files")


def _is_text_file_name(name: str) -> bool:
    if name.endswith(".gz"):
        name = name[:-3]
    return name.endswith(TEXT_SUFFIXES)


def _iter_folder(folder: Path) -> Iterator[Document]:
    files = []
    for root, dirs, names in os.walk(folder):
        # Pruning in place stops os.walk from descending into hidden folders such as .git.
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        # Regular files only: a named pipe or a device in a folder would block or never end.
        files.extend(
            Path(root, n) for n in names
            if not n.startswith(".") and _is_text_file_name(n) and Path(root, n).is_file()
        )
    if not files:
        kinds = ", ".join(f"*{s}" for s in TEXT_SUFFIXES)
        raise CorpusError(f"the folder {str(folder)!r} holds no text file ({kinds}, or .gz of them)")
    for f in sorted(files):
        yield Document(str(f), path=str(f))


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


# A line that ends a sentence (". ! ?", at most two closing marks, trailing blanks) followed by a
# line that starts one (opening marks, then a word character, checked to be upper case): the
# sentence rule of `split_sentences` across a line break, so a paragraph can be cut there.
_SENTENCE_AT_LINE_END = re.compile(
    r"[.!?][\"'”’)\]]{0,2}[^\S\n]*\n(?P<next>[^\S\n]*[\"'“‘(\[]*(?P<first>\w))"
)


def _decoded_blocks(read, name: str) -> Iterator[str]:
    """Decode a byte stream as UTF-8 block by block, with `_decode`'s checks and messages (the
    binary sniff, the byte-order mark, and a bad byte named by its offset in the whole stream)."""
    head = b""
    while len(head) < BINARY_SNIFF_BYTES:
        block = read(BINARY_SNIFF_BYTES - len(head))
        if not block:
            break
        head += block
    if b"\x00" in head[:BINARY_SNIFF_BYTES]:
        raise CorpusError(
            f"{name!r} looks like a binary file (it has NUL bytes in its first "
            f"{BINARY_SNIFF_BYTES} bytes); give text files only"
        )
    base = 3 if head.startswith(b"\xef\xbb\xbf") else 0  # offset of `data` in the stream
    data = head[base:]
    chars = 0  # characters yielded so far
    while True:
        block = read(_READ_BYTES)
        final = not block
        data += block
        end = len(data) if final else _complete_utf8(data)
        try:
            text = data[:end].decode("utf-8")
        except UnicodeDecodeError as exc:
            offset = base + exc.start
            raise CorpusError(
                f"{name!r} is not valid UTF-8: byte offset {offset} "
                f"(byte 0x{data[exc.start]:02x}) cannot be decoded. Convert the file to UTF-8 first, "
                f"e.g. `iconv -f latin1 -t utf-8 in.txt > out.txt`"
            ) from exc
        if text:
            _check_chars(text, name, chars)
            chars += len(text)
            yield text
        if final:
            return
        base += end
        data = data[end:]


def _complete_utf8(data: bytes) -> int:
    """The length of the longest prefix of `data` that does not end inside a UTF-8 sequence."""
    n = len(data)
    i = n - 1
    while i >= max(0, n - 4) and 0x80 <= data[i] < 0xC0:  # continuation bytes
        i -= 1
    if i < 0 or i < n - 4:
        return n  # no lead byte in reach: let decoding report what is wrong
    lead = data[i]
    need = 2 if 0xC0 <= lead < 0xE0 else 3 if 0xE0 <= lead < 0xF0 else 4 if 0xF0 <= lead < 0xF8 else 1
    return i if i + need > n else n


def _read_chars(stream) -> Iterator[str]:
    while True:
        block = stream.read(_READ_BYTES)
        if not block:
            return
        yield block


def _cut_pieces(blocks: Iterable[str], chunk_chars: int, cut: str) -> Iterator[str]:
    """Clean decoded blocks like `_clean` and cut them into pieces (see `iter_text_pieces`).

    Line ends are fixed block by block, holding back a final "\r" that may start a "\r\n".
    NFC is applied up to the last line break only: nothing composes across a line break, so
    normalizing the text in parts cut at line breaks equals normalizing it whole.
    """
    chunk_chars = max(1, int(chunk_chars))
    ready = ""  # cleaned text, ending with a line break (or empty)
    raw = ""  # decoded text after the last line break, not cleaned yet
    scanned = 0  # `ready` has no cut point before this position (past the piece size)
    for block in blocks:
        raw += block
        if raw.endswith("\r"):
            text, raw = raw[:-1], "\r"
        else:
            text, raw = raw, ""
        if "\r" in text:
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        last = text.rfind("\n")
        if last < 0:
            raw = text + raw
            continue
        ready += unicodedata.normalize("NFC", text[: last + 1])
        raw = text[last + 1 :] + raw
        while len(ready) >= chunk_chars:
            at = _first_cut(ready, max(chunk_chars, scanned), cut)
            if not at:  # the last line may still end a sentence: its next line decides
                scanned = max(scanned, ready.rfind("\n", 0, len(ready) - 1) + 1)
                break
            yield ready[:at]
            ready = ready[at:]
            scanned = 0
    tail = ready + _clean(raw)
    if tail:
        yield tail


def _first_cut(text: str, start: int, cut: str) -> int:
    """The first place at or after `start` where `text` (which ends with a line break) can be cut
    without changing its sentences (see `iter_text_pieces`), or 0 when there is none yet."""
    if cut == "line":
        return text.find("\n", start - 1) + 1
    m = BLANK_LINE.search(text, start - 1)  # a blank line starts at a line break
    limit = m.end() if m else len(text)
    for s in _SENTENCE_AT_LINE_END.finditer(text, text.rfind("\n", 0, start) + 1, limit):
        if s.start("next") >= start and s.group("first").isupper():
            return s.start("next")
    return m.end() if m else 0


def _read_stdin() -> str:
    stream = sys.stdin
    if stream is None:
        raise CorpusError("'-' asks for standard input, but there is none")
    buffer = getattr(stream, "buffer", None)
    if buffer is not None:
        return _decode(buffer.read(), "<stdin>")
    # A text stream without a byte buffer (e.g. io.StringIO in tests) is already decoded.
    text = stream.read()
    _check_chars(text, "<stdin>")
    return _clean(text)


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
    _check_chars(text, name)
    return _clean(text)


def _check_chars(text: str, name: str, offset: int = 0) -> None:
    """Refuse text no model file could store faithfully: NUL characters past the binary sniff
    (binary data inside a text file) and lone surrogates (only a `Text` built in Python can
    hold them; they cannot be written as UTF-8)."""
    i = text.find("\x00")
    if i >= 0:
        raise CorpusError(f"{name!r} has a NUL character at character {offset + i}: binary data inside "
                          "a text file; give text files only")
    bad = _SURROGATE.search(text)
    if bad:
        raise CorpusError(f"{name!r} has a lone surrogate (U+{ord(bad.group()):04X}) at character "
                          f"{offset + bad.start()}: it is not text that UTF-8 can hold")


_SURROGATE = re.compile("[\ud800-\udfff]")


def _clean(text: str) -> str:
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", text)
