"""The bounded-memory build (ngram/external.py, ngram/blockwise.py, training.train_bounded).

Its promise: the same model file, byte for byte, as the in-memory build, whatever the budget.
Tiny `MemoryPlan`s force what a real budget does on a large corpus: many chunks, many sorted
runs spilled to disk, k-way merges a few keys at a time, and estimation in many blocks.
"""

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from next_token import LanguageModel, Text
from next_token.errors import CorpusError, InputError
from next_token.ngram import blockwise, external
from next_token.ngram.counting import count_chunk, count_stream
from next_token.ngram.disk import BuildDir
from next_token.ngram.external import MemoryPlan, count_stream_external, parse_memory
from next_token.ngram.merge import empty_counts, merge, to_ngram_keys
from next_token.text.spacing import SpacingModel
from next_token.text.spacing_tally import SpacingTally
from next_token.text.vocab import Vocabulary, VocabularyBuilder
from next_token.training import check_fits_in_memory
from shared_data import SHARED

BOOKS = SHARED / "corpus" / "books"
TINY = MemoryPlan.tiny(chunk_tokens=3000, table_entries=9000, block=700)

STORY = """The old lighthouse keeper climbed the stairs. He said, "The lamp is out." It was dark.

The sea was calm; the ship sailed on (slowly). Did it reach the port? Nobody knew.
Mr. Smith wrote: os.path.join(a, b) returns a path -- or so it seems.

"Go on," she said. 'Quotes' and "more quotes" close. The end...
"""

NO_LOOKUP = dict(index=False, spelling=False)  # lookup parts are made by the in-memory build only


def corpus(tmp_path: Path) -> list[Path]:
    """A few files of varied text: books when the shared corpus is there, else a generated story."""
    files = []
    if BOOKS.is_dir():
        for i, path in enumerate(sorted(BOOKS.glob("*.txt"))[:3]):
            text = path.read_text(encoding="utf-8")[:60_000 if i else 120_000]
            f = tmp_path / f"book{i}.txt"
            f.write_text(text, encoding="utf-8")
            files.append(f)
    else:
        rng = np.random.default_rng(0)
        words = STORY.split()
        for i in range(3):
            f = tmp_path / f"part{i}.txt"
            lines = [" ".join(rng.choice(words, rng.integers(3, 15))) + "." for _ in range(2000)]
            f.write_text("\n\n".join(lines), encoding="utf-8")
            files.append(f)
    return files


def saved_bytes(lm: LanguageModel, path: Path) -> bytes:
    lm.meta["train_seconds"] = 0.0  # the only field that differs between two builds
    lm.save(path)
    return path.read_bytes()


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    return corpus(tmp_path_factory.mktemp("corpus"))


@pytest.mark.parametrize("order", [1, 2, 3, 4, 5])
def test_bounded_build_is_byte_identical_with_learned_spacing(files, order, tmp_path):
    kw = dict(order=order, tokenizer="word", discount_fallback="ignore")
    whole = saved_bytes(LanguageModel.train(files, **kw, **NO_LOOKUP), tmp_path / "memory.ntp")
    bounded = saved_bytes(LanguageModel.train(files, memory=TINY, **kw), tmp_path / "bounded.ntp")
    assert whole == bounded


@pytest.mark.parametrize("tokenizer", ["whitespace", "char", "bpe"])
def test_bounded_build_is_byte_identical_for_other_tokenizers(files, tokenizer, tmp_path):
    kw = dict(order=3, tokenizer=tokenizer, bpe_vocab_size=300, discount_fallback="ignore")
    whole = saved_bytes(LanguageModel.train(files, **kw, **NO_LOOKUP), tmp_path / "memory.ntp")
    bounded = saved_bytes(LanguageModel.train(files, memory=TINY, **kw), tmp_path / "bounded.ntp")
    assert whole == bounded


def test_a_real_budget_and_repeated_text_give_the_same_file(files, tmp_path):
    kw = dict(order=4, discount_fallback="ignore")
    whole = saved_bytes(LanguageModel.train(files + files, **kw, **NO_LOOKUP), tmp_path / "memory.ntp")
    bounded = saved_bytes(LanguageModel.train(files + files, memory="64M", **kw), tmp_path / "bounded.ntp")
    assert whole == bounded


def test_tiny_plans_really_spill_and_merge(files, monkeypatch):
    spills = []
    original = external.ExternalCounter._spill
    monkeypatch.setattr(external.ExternalCounter, "_spill", lambda self: (spills.append(1), original(self)))
    LanguageModel.train(files, order=3, memory=TINY, discount_fallback="ignore")
    assert len(spills) >= 3  # a k-way merge of several runs (4 on the fallback corpus, more on the books)


def test_text_sources_and_stdin_with_a_learned_tokenizer(monkeypatch, tmp_path):
    import io

    text = STORY * 20
    kw = dict(order=3, tokenizer="bpe", bpe_vocab_size=200, discount_fallback="ignore")
    whole = saved_bytes(LanguageModel.train([Text(text)], **kw, **NO_LOOKUP), tmp_path / "a.ntp")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode()), encoding="utf-8"))
    from_stdin = LanguageModel.train(["-"], memory=TINY, **kw)  # read twice: spooled to the temporary folder
    from_stdin.meta["source"] = ["<text>"]
    assert saved_bytes(from_stdin, tmp_path / "b.ntp") == whole


def test_temporary_files_are_removed_on_success_error_and_interrupt(files, tmp_path, monkeypatch):
    work = tmp_path / "work"
    work.mkdir()
    LanguageModel.train(files, order=3, memory=TINY, workdir=str(work), discount_fallback="ignore")
    assert list(work.iterdir()) == []

    for exc in (RuntimeError("disk on fire"), KeyboardInterrupt()):
        def fail(*args, **kwargs):
            assert any(work.iterdir())  # mid-build: runs and counts are on disk
            raise exc

        monkeypatch.setattr(blockwise, "_estimate_order", fail)
        with pytest.raises(type(exc)):
            LanguageModel.train(files, order=3, memory=TINY, workdir=str(work), discount_fallback="ignore")
        assert list(work.iterdir()) == []
        monkeypatch.undo()


def test_ctrl_c_on_the_command_line_leaves_nothing_behind(files, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    big = tmp_path / "big.txt"
    text = "\n\n".join(f.read_text(encoding="utf-8") for f in files)
    with open(big, "w", encoding="utf-8") as f:
        for i in range(60):  # distinct copies: about 15 MB that takes seconds to count
            f.write(text.replace(" the ", f" the{i} "))
    cmd = [sys.executable, "-c", "from next_token.cli import main; main()", "train", str(big), "-o", str(tmp_path / "m.ntp"),
           "--memory", "64M", "--tmp", str(work), "-q"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not any(work.iterdir()) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    if proc.poll() is not None:
        pytest.skip(f"the build ended before it could be interrupted: {proc.communicate()[1][-300:]!r}")
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=60)
    assert proc.returncode != 0
    assert list(work.iterdir()) == []
    assert not (tmp_path / "m.ntp").exists()


def test_command_line_memory_option(files, tmp_path):
    from click.testing import CliRunner

    from next_token.cli import main

    runner = CliRunner()
    args = [str(f) for f in files] + ["--order", "3", "-q"]
    assert runner.invoke(main, ["train", *args, "--no-index", "--no-spelling", "-o", str(tmp_path / "a.ntp")]).exit_code == 0
    r = runner.invoke(main, ["train", *args, "-o", str(tmp_path / "b.ntp"), "--memory", "64M", "--json"])
    assert r.exit_code == 0, r.output
    a = LanguageModel.load(tmp_path / "a.ntp")
    b = LanguageModel.load(tmp_path / "b.ntp")
    assert saved_bytes(a, tmp_path / "a2.ntp") == saved_bytes(b, tmp_path / "b2.ntp")
    bad = runner.invoke(main, ["train", *args, "-o", str(tmp_path / "c.ntp"), "--memory", "lots"])
    assert bad.exit_code != 0 and "memory" in bad.output


def test_empty_corpus_errors_are_the_same(tmp_path):
    (tmp_path / "blank.txt").write_text("  \n\n", encoding="utf-8")
    for memory in (None, TINY):
        with pytest.raises(CorpusError, match="empty"):
            LanguageModel.train([tmp_path / "blank.txt"], memory=memory)
        with pytest.raises(CorpusError, match="no such file"):
            LanguageModel.train([tmp_path / "missing.txt"], memory=memory)


def test_memory_sizes_and_bad_combinations():
    assert parse_memory("2G") == 2 << 30
    assert parse_memory("500M") == 500 << 20
    assert parse_memory("1.5GB") == int(1.5 * (1 << 30))
    assert parse_memory(100 << 20) == 100 << 20
    for bad in ("lots", "2X", "-1G", "1M", True):
        with pytest.raises(InputError):
            parse_memory(bad)
    with pytest.raises(InputError, match="unbounded"):
        LanguageModel.train(text="One. Two.", unbounded=True, memory="1G")


def test_a_corpus_too_big_for_memory_is_refused_with_advice(files):
    with pytest.raises(InputError, match="--memory") as info:
        check_fits_in_memory(files, available=1000)
    assert "memory=" in str(info.value)
    check_fits_in_memory(files, available=1 << 40)  # fits: nothing said


# ---------------------------------------------------------------- the parts


def sentence_stream(sentences):
    out = []
    for s in sentences:
        out += [1] + s + [2]
    return np.array(out, dtype=np.uint32)


sentences_strategy = st.lists(st.lists(st.integers(3, 9), max_size=8), min_size=1, max_size=30)


@settings(max_examples=60, deadline=None)
@given(sentences=sentences_strategy, order=st.integers(1, 5))
def test_count_chunk_equals_count_stream(sentences, order):
    stream = sentence_stream(sentences)
    V = 10
    ref = count_stream(stream, order, V)
    part = count_chunk(stream, order)
    assert np.array_equal(np.pad(part.unigrams, (0, V - len(part.unigrams))), ref.raw[0])
    for n in range(1, order):
        assert np.array_equal(to_ngram_keys(part.keys[n], V), ref.keys[n])
        assert np.array_equal(part.raw[n], ref.raw[n])


@settings(max_examples=60, deadline=None)
@given(sentences=sentences_strategy, order=st.integers(2, 5), cuts=st.lists(st.integers(0, 30), max_size=6))
def test_merged_parts_equal_the_whole(sentences, order, cuts):
    whole = count_chunk(sentence_stream(sentences), order)
    bounds = sorted({0, len(sentences), *[c for c in cuts if c < len(sentences)]})
    table = empty_counts(order)
    for a, b in zip(bounds[:-1], bounds[1:]):
        part = count_chunk(sentence_stream(sentences[a:b]), order)
        table = merge(part, table, np.uint64, consume=True) if part.entries > table.entries else merge(table, part)
    for n in range(1, order):
        assert np.array_equal(table.keys[n], whole.keys[n])
        assert np.array_equal(table.raw[n], whole.raw[n])


@settings(max_examples=25, deadline=None)
@given(sentences=sentences_strategy, order=st.integers(2, 4), chunk=st.integers(1, 40),
       table=st.integers(1, 60), block=st.integers(1, 50))
def test_runs_on_disk_merge_to_the_in_memory_counts(tmp_path_factory, sentences, order, chunk, table, block):
    stream = sentence_stream(sentences)
    V = 10
    ref = count_stream(stream, order, V)
    ends = np.flatnonzero(stream == 2) + 1
    chunks, start = [], 0
    for e in ends:
        if e - start >= chunk or e == len(stream):
            chunks.append(stream[start:e])
            start = e
    with BuildDir(tmp_path_factory.getbasetemp()) as work:
        files = count_stream_external(chunks, order, work, MemoryPlan.tiny(chunk, table, block), V)
        assert np.array_equal(files.unigrams, ref.raw[0])
        for n in range(1, order):
            assert np.array_equal(files.keys[n].read(), ref.keys[n])
            assert np.array_equal(files.raw[n].read(), ref.raw[n])


def test_the_vocabulary_builder_equals_vocabulary_build():
    sentences = [["a", "b"], ["c", "a", "<unk>"], [], ["d", "b", "e"]]
    vocab, stream = Vocabulary.build(sentences)
    builder = VocabularyBuilder()
    parts = [builder.encode(sentences[:2]), builder.encode([]), builder.encode(sentences[2:])]
    assert np.array_equal(np.concatenate(parts), stream)
    assert builder.vocabulary().tokens == vocab.tokens
    assert builder.vocabulary().id("zzz") == 0 and "zzz" not in builder.index


def test_the_spacing_tally_learns_what_learn_learns():
    from next_token.text.tokenizer import get_tokenizer

    tok = get_tokenizer("word")
    text = (STORY * 3).replace("lamp", 'lamp"').replace("Quotes", "'Quotes")
    text += "It was mine . . . or not. It was mine. Call f() now. Pass input (a string) to it.\n" * 3
    pairs = list(tok.spaced_sentences(text))
    spaces = []
    for _, flags in pairs:
        spaces += [0] + [int(f) for f in flags] + [0]
    vocab, stream = Vocabulary.build(t for t, _ in pairs)
    ref = SpacingModel.learn(stream, np.array(spaces), vocab)
    tally = SpacingTally()
    builder = VocabularyBuilder()
    ends = np.flatnonzero(stream == 2) + 1
    start, at = 0, 0
    for cut in (3, 7, len(pairs)):  # chunks of whole sentences, the vocabulary growing
        ids = builder.encode(t for t, _ in pairs[at:cut])
        end = ends[cut - 1]
        tally.add(ids, np.array(spaces[start:end]), builder)
        start, at = end, cut
    got = tally.model(vocab)
    assert len(ref.keys[4]) > 0  # the lookahead level is learned too
    for L in range(5):
        assert np.array_equal(got.keys[L], ref.keys[L])
        assert np.array_equal(got.space[L], ref.space[L])
    assert np.array_equal(got.classes, ref.classes)


def test_estimation_blocks_never_split_a_context(files, tmp_path):
    """Every block size, down to one n-gram, gives the same bits (a context's sums run whole)."""
    small = [Text(files[0].read_text(encoding="utf-8")[:15_000])]
    lm = LanguageModel.train(small, order=3, tokenizer="whitespace", discount_fallback="ignore", **NO_LOOKUP)
    want = saved_bytes(lm, tmp_path / "a.ntp")
    for block in (1, 3, 37):
        plan = MemoryPlan.tiny(chunk_tokens=50_000, table_entries=10**9, block=block)
        got = LanguageModel.train(small, order=3, tokenizer="whitespace", memory=plan,
                                  discount_fallback="ignore")
        assert saved_bytes(got, tmp_path / f"b{block}.ntp") == want


def test_count_of_counts_and_raw_counts_survive(tmp_path):
    """The merged counts are the raw counts (a dictionary count over the text's windows)."""
    sentences = [[3, 4, 5], [3, 4], [5, 5, 5, 5], [4]] * 3
    want = Counter()
    for s in sentences:
        toks = [1] + s + [2]
        for n in (2, 3):
            for i in range(len(toks) - n + 1):
                want[tuple(toks[i : i + n])] += 1
    stream = sentence_stream(sentences)
    with BuildDir(tmp_path) as work:
        files = count_stream_external([stream[:9], stream[9:]], 3, work, MemoryPlan.tiny(1, 1, 2), 6)
        bigrams = files.keys[1].read()
        got = {(int(k // 6), int(k % 6)): int(c) for k, c in zip(bigrams, files.raw[1].read())}
        assert got == {k: v for k, v in want.items() if len(k) == 2}
    assert not os.path.exists(work)
