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
