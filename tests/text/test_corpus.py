import gzip
import importlib.util
import io
import sys
import unicodedata

import pytest

from next_token.errors import CorpusError, NtpError
from next_token.text.corpus import Text, iter_texts, split_sentences
from shared_data import SHARED

BOOKS = SHARED / "corpus" / "books"
PREP = SHARED / "kenlm" / "prep.py"


def load_prep():
    spec = importlib.util.spec_from_file_location("kenlm_prep", PREP)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- sources ---------------------------------------------------------------------------------


def test_single_file_path_and_pathlike(tmp_path):
    f = tmp_path / "a.txt"
    f.write_text("Hello there.\n", encoding="utf-8")
    assert list(iter_texts(str(f))) == [(str(f), "Hello there.\n")]
    assert list(iter_texts([f])) == [(str(f), "Hello there.\n")]


def test_raw_text_and_mixed_sources_keep_order(tmp_path):
    f = tmp_path / "b.txt"
    f.write_text("From a file.", encoding="utf-8")
    got = list(iter_texts([Text("First."), f, Text("Last.", name="mine")]))
    assert got == [("<text>", "First."), (str(f), "From a file."), ("mine", "Last.")]


def test_folder_is_recursive_sorted_filtered_and_skips_hidden(tmp_path):
    (tmp_path / "sub" / "deeper").mkdir(parents=True)
    (tmp_path / ".git").mkdir()
    (tmp_path / "b.txt").write_text("b", encoding="utf-8")
    (tmp_path / "a.md").write_text("a", encoding="utf-8")
    (tmp_path / "sub" / "c.rst").write_text("c", encoding="utf-8")
    with gzip.open(tmp_path / "sub" / "deeper" / "d.txt.gz", "wb") as fh:
        fh.write("d".encode())
    (tmp_path / "image.png").write_bytes(b"\x89PNG\x00\x00")
    (tmp_path / "code.py").write_text("x = 1", encoding="utf-8")
    (tmp_path / ".hidden.txt").write_text("hidden", encoding="utf-8")
    (tmp_path / ".git" / "notes.txt").write_text("git", encoding="utf-8")
    got = list(iter_texts(tmp_path))
    assert [t for _, t in got] == ["a", "b", "c", "d"]
    assert got[3][0].endswith("d.txt.gz")


def test_folder_without_text_files_is_an_error(tmp_path):
    (tmp_path / "x.py").write_text("pass", encoding="utf-8")
    with pytest.raises(CorpusError, match="holds no text file"):
        list(iter_texts(tmp_path))


def test_glob_pattern_sorted_and_recursive(tmp_path):
    (tmp_path / "books" / "more").mkdir(parents=True)
    (tmp_path / "books" / "z.txt").write_text("z", encoding="utf-8")
    (tmp_path / "books" / "y.txt").write_text("y", encoding="utf-8")
    (tmp_path / "books" / "y.md").write_text("not matched", encoding="utf-8")
    (tmp_path / "books" / "more" / "x.txt").write_text("x", encoding="utf-8")
    assert [t for _, t in iter_texts(str(tmp_path / "books" / "*.txt"))] == ["y", "z"]
    assert [t for _, t in iter_texts(str(tmp_path / "books" / "**" / "*.txt"))] == ["x", "y", "z"]


def test_empty_glob_names_the_pattern(tmp_path):
    pattern = str(tmp_path / "nothing" / "*.txt")
    with pytest.raises(CorpusError, match="matches no file") as info:
        list(iter_texts(pattern))
    assert pattern in str(info.value)


def test_missing_path_names_it(tmp_path):
    missing = str(tmp_path / "nope.txt")
    with pytest.raises(CorpusError, match="no such file") as info:
        list(iter_texts(missing))
    assert missing in str(info.value)
    # Every error is an NtpError and a ValueError, so callers can catch either.
    assert isinstance(info.value, NtpError) and isinstance(info.value, ValueError)


def test_gz_file(tmp_path):
    f = tmp_path / "t.txt.gz"
    with gzip.open(f, "wb") as fh:
        fh.write("Caf\u00e9 au lait.\n".encode())
    assert list(iter_texts(f)) == [(str(f), "Caf\u00e9 au lait.\n")]


def test_corrupt_gz_is_a_corpus_error(tmp_path):
    f = tmp_path / "bad.txt.gz"
    f.write_bytes(b"this is not gzip at all")
    with pytest.raises(CorpusError, match="not a valid gzip"):
        list(iter_texts(f))


def test_binary_file_is_rejected(tmp_path):
    f = tmp_path / "blob.txt"
    f.write_bytes(b"Some text\x00\x01\x02 then bytes")
    with pytest.raises(CorpusError, match="binary") as info:
        list(iter_texts(f))
    assert "blob.txt" in str(info.value)


def test_binary_gz_is_rejected_after_decompression(tmp_path):
    f = tmp_path / "blob.txt.gz"
    with gzip.open(f, "wb") as fh:
        fh.write(b"\x00\x00\x00")
    with pytest.raises(CorpusError, match="binary"):
        list(iter_texts(f))


def test_bad_utf8_names_file_and_byte_offset(tmp_path):
    f = tmp_path / "latin1.txt"
    f.write_bytes("Na\u00efve caf\u00e9".encode("latin-1"))  # 0xef at offset 2
    with pytest.raises(CorpusError) as info:
        list(iter_texts(f))
    msg = str(info.value)
    assert "latin1.txt" in msg and "UTF-8" in msg
    assert "byte offset 2 " in msg and "0xef" in msg
    assert "onvert" in msg  # suggests converting the file


def test_bad_utf8_offset_counts_the_bom(tmp_path):
    f = tmp_path / "bom.txt"
    f.write_bytes(b"\xef\xbb\xbfab\xff")
    with pytest.raises(CorpusError, match="byte offset 5 "):
        list(iter_texts(f))


def test_bom_is_dropped_and_crlf_normalized(tmp_path):
    f = tmp_path / "win.txt"
    f.write_bytes(b"\xef\xbb\xbfOne.\r\nTwo.\rThree.")
    assert list(iter_texts(f))[0][1] == "One.\nTwo.\nThree."


def test_nfc_normalization_of_files_and_raw_text(tmp_path):
    decomposed = "Cafe\u0301 cre\u0300me"  # e + combining accents
    f = tmp_path / "nfd.txt"
    f.write_bytes(decomposed.encode("utf-8"))
    [(_, from_file)] = list(iter_texts(f))
    [(_, from_text)] = list(iter_texts(Text(decomposed)))
    expected = "Caf\u00e9 cr\u00e8me"
    assert from_file == from_text == expected
    assert unicodedata.is_normalized("NFC", from_file)


def test_stdin_bytes(monkeypatch):
    fake = io.TextIOWrapper(io.BytesIO("Read from stdin. Cafe\u0301.".encode()), encoding="utf-8")
    monkeypatch.setattr(sys, "stdin", fake)
    assert list(iter_texts("-")) == [("<stdin>", "Read from stdin. Caf\u00e9.")]


def test_stdin_text_stream_without_buffer(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO("Plain text stream."))
    assert list(iter_texts(["-"])) == [("<stdin>", "Plain text stream.")]


def test_stdin_bad_utf8(monkeypatch):
    fake = io.TextIOWrapper(io.BytesIO(b"ok \xff"), encoding="utf-8")
    monkeypatch.setattr(sys, "stdin", fake)
    with pytest.raises(CorpusError, match="<stdin>.*byte offset 3 "):
        list(iter_texts("-"))


def test_empty_corpus_after_reading(tmp_path):
    (tmp_path / "empty.txt").write_text("", encoding="utf-8")
    (tmp_path / "blank.txt").write_text("  \n\n\t\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="empty"):
        list(iter_texts(tmp_path))
    with pytest.raises(CorpusError, match="empty"):
        list(iter_texts([]))
    with pytest.raises(CorpusError, match="empty"):
        list(iter_texts(Text("   ")))


def test_one_empty_file_among_others_is_fine(tmp_path):
    (tmp_path / "empty.txt").write_text("", encoding="utf-8")
    (tmp_path / "full.txt").write_text("Words.", encoding="utf-8")
    assert [t for _, t in iter_texts(tmp_path)] == ["", "Words."]


def test_unsupported_source_type():
    with pytest.raises(CorpusError, match="unsupported corpus source"):
        list(iter_texts([42]))


# --- sentences -------------------------------------------------------------------------------


def test_split_sentences_rules():
    text = (
        "It was late. The sea-reach stretched!  Was it?\n"
        'He said, "Go on." "Where?" she asked.\n'
        "\n"
        "A new paragraph (really.) Yes. e.g. lower case does not split. Mr. Smith came\n"
        "on two lines\n"
        "   \n"
        "Last one without a stop"
    )
    assert list(split_sentences(text)) == [
        "It was late.",
        "The sea-reach stretched!",
        "Was it?",
        'He said, "Go on."',
        '"Where?" she asked.',
        "A new paragraph (really.)",
        "Yes. e.g. lower case does not split.",
        "Mr.",
        "Smith came on two lines",
        "Last one without a stop",
    ]


def test_split_sentences_unicode_capitals_and_quotes():
    text = "Il partit. \u00c9tait-ce fini? \u201cOui.\u201d \u00bbNein\u00ab. \u2018Quoi?\u2019 Non."
    assert list(split_sentences(text)) == [
        "Il partit.",
        "\u00c9tait-ce fini?",
        "\u201cOui.\u201d \u00bbNein\u00ab.",  # » is not in the opening-quote set: no split
        "\u2018Quoi?\u2019",
        "Non.",
    ]


def test_split_sentences_empty_and_blank():
    assert list(split_sentences("")) == []
    assert list(split_sentences("\n \n\t\n")) == []


@pytest.mark.skipif(not (BOOKS.is_dir() and PREP.is_file()), reason="shared corpus absent")
def test_split_sentences_matches_prep_on_books():
    prep = load_prep()
    for path in sorted(BOOKS.glob("*.txt"))[:3]:
        [(_, text)] = list(iter_texts(path))
        assert list(split_sentences(text)) == list(prep.sentences(text)), path.name


# --- streaming: files in pieces ----------------------------------------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from next_token.text import corpus as corpus_module  # noqa: E402
from next_token.text.corpus import iter_text_pieces  # noqa: E402
from next_token.text.tokenizer import get_tokenizer  # noqa: E402

TRICKY = (
    "\ufeffFirst paragraph. It ends here.\r\n\r\n"
    "Second one,\r\nover two lines. Then\rold Mac line ends.\n"
    "  \t \n"  # a blank line of spaces and tabs
    "Cafe\u0301 and cre\u0300me (decomposed). \u201cQuoted.\u201d Next!\n"
    "A long paragraph line one ends with a stop.\n"
    "Another line starts upper case, ends with a question?\n"
    "lower case start: not a sentence start.\n"
    "(Bracketed start.) \"Quoted start.\"\n\n\n\n"
    "Last paragraph without a newline at the end"
)


def _pieces(path, chunk, cut="paragraph"):
    return [p for _, p in iter_text_pieces(path, chunk_chars=chunk, cut=cut)]


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("read_bytes", [1, 2, 3, 7, 64])
def test_pieces_join_to_the_whole_text_with_the_same_sentences(tmp_path, monkeypatch, gz, read_bytes):
    monkeypatch.setattr(corpus_module, "_READ_BYTES", read_bytes)
    f = tmp_path / ("t.txt.gz" if gz else "t.txt")
    data = TRICKY.encode("utf-8")
    if gz:
        with gzip.open(f, "wb") as fh:
            fh.write(data)
    else:
        f.write_bytes(data)
    [(_, whole)] = list(iter_texts(f))
    word, ws = get_tokenizer("word"), get_tokenizer("whitespace")
    for chunk in (1, 5, 40, 10_000):
        pieces = _pieces(f, chunk)
        assert "".join(pieces) == whole
        if chunk < 40:
            assert len(pieces) > 3  # really cut: at blank lines and at sentence ends
        assert [s for p in pieces for s in split_sentences(p)] == list(split_sentences(whole))
        assert [s for p in pieces for s in word.spaced_sentences(p)] == list(word.spaced_sentences(whole))
        lines = _pieces(f, chunk, cut="line")
        assert "".join(lines) == whole
        assert [s for p in lines for s in ws.sentences(p)] == list(ws.sentences(whole))


def test_a_paragraph_is_cut_only_where_a_sentence_ends_at_a_line_end(tmp_path):
    f = tmp_path / "p.txt"
    f.write_text("One two\nthree. Four\nfive six.\nseven eight.\nNine.\nTen", encoding="utf-8")
    pieces = _pieces(f, 1)  # not after "three." (mid-line) nor "six." (lower case follows)
    assert pieces == ["One two\nthree. Four\nfive six.\nseven eight.\n", "Nine.\nTen"]


@settings(max_examples=150, deadline=None)
@given(parts=st.lists(st.sampled_from(["Hello", "world", ".", "!", " ", "\n", "\n\n", "\r\n", "\r", "  \n", '"',
                                       ")", "(", "\u201c", "\u00c9", "e\u0301", "\u0301", "A", "b", "\t", "x.\n",
                                       "\u2028", "\u65e5"]), max_size=40),
       chunk=st.integers(1, 12), read_bytes=st.integers(1, 6))
def test_pieces_equal_the_whole_text_property(tmp_path_factory, parts, chunk, read_bytes):
    old = corpus_module._READ_BYTES
    corpus_module._READ_BYTES = read_bytes
    try:
        f = tmp_path_factory.getbasetemp() / "prop.txt"
        f.write_bytes("".join(parts).encode("utf-8"))
        if not "".join(parts).strip():
            return  # an empty corpus: an error either way (tested elsewhere)
        [(_, whole)] = list(iter_texts(f))
        pieces = _pieces(f, chunk)
        assert "".join(pieces) == whole
        assert [s for p in pieces for s in split_sentences(p)] == list(split_sentences(whole))
    finally:
        corpus_module._READ_BYTES = old


@pytest.mark.parametrize("read_bytes", [1, 2, 3, 5])
def test_streaming_errors_match_whole_file_errors(tmp_path, monkeypatch, read_bytes):
    monkeypatch.setattr(corpus_module, "_READ_BYTES", read_bytes)
    cases = {
        "split.txt": "é€😀 then".encode() + b"\xe2\x82",  # a sequence cut by the end of the file
        "bad.txt": "Na\u00efve €".encode() + b"\xff rest",
        "bom.txt": b"\xef\xbb\xbfab\xc3",
        "binary.txt": b"Some text\x00 then bytes",
    }
    for name, data in cases.items():
        f = tmp_path / name
        f.write_bytes(data)
        with pytest.raises(CorpusError) as whole:
            list(iter_texts(f))
        with pytest.raises(CorpusError) as streamed:
            _pieces(f, 3)
        assert str(streamed.value) == str(whole.value)
    f = tmp_path / "bad.txt.gz"
    f.write_bytes(b"not gzip")
    with pytest.raises(CorpusError, match="not a valid gzip"):
        _pieces(f, 3)


def test_stdin_in_pieces(monkeypatch):
    text = "One.\r\nTwo.\n\nThree Cafe\u0301."
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode()), encoding="utf-8"))
    assert "".join(_pieces("-", 2)) == "One.\nTwo.\n\nThree Caf\u00e9."
    monkeypatch.setattr(sys, "stdin", io.StringIO(text))
    assert "".join(_pieces("-", 2)) == "One.\nTwo.\n\nThree Caf\u00e9."


def test_pieces_of_an_empty_corpus_is_an_error(tmp_path):
    (tmp_path / "blank.txt").write_text(" \n\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="empty"):
        _pieces(tmp_path, 10)


# ---- sources that are not plain text files ------------------------------------------------------


def test_a_device_is_refused_before_it_is_read():
    with pytest.raises(CorpusError, match="not a file or a pipe"):
        list(iter_texts("/dev/zero"))


def test_a_pipe_named_on_the_command_line_is_read(tmp_path):
    import os
    import threading

    fifo = tmp_path / "in.txt"
    os.mkfifo(fifo)
    writer = threading.Thread(target=lambda: fifo.write_text("Piped text. It works.\n"))
    writer.start()
    assert [t for _, t in iter_texts(str(fifo))] == ["Piped text. It works.\n"]
    writer.join()


def test_a_pipe_inside_a_folder_is_skipped(tmp_path):
    import os

    (tmp_path / "a.txt").write_text("Real text.\n")
    os.mkfifo(tmp_path / "b.txt")  # opening it would wait forever for a writer
    assert [name for name, _ in iter_texts(tmp_path)] == [str(tmp_path / "a.txt")]


@pytest.mark.parametrize("reader", ["whole", "pieces"])
def test_a_nul_byte_far_into_a_file_is_refused(tmp_path, reader):
    from next_token.text.corpus import iter_text_pieces

    path = tmp_path / "mixed.txt"
    path.write_bytes(b"Plain words. " * 1000 + b"\x00\x01binary")  # past the 8 KB sniff
    read = (lambda: list(iter_texts(path))) if reader == "whole" else (lambda: list(iter_text_pieces(path)))
    with pytest.raises(CorpusError, match="NUL character at character 13000"):
        read()


def test_a_lone_surrogate_in_python_text_is_refused():
    with pytest.raises(CorpusError, match="lone surrogate"):
        list(iter_texts(Text("Broken \ud800 text.")))
