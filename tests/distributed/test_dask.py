"""Counting and scoring on Dask (distributed/): the same model file as one machine, the same scores.

A LocalCluster of two threaded workers stands in for a cluster (processes=False keeps the tests
fast); the command line test starts real worker processes once.
"""

import io
import json
import sys

import pytest

pytest.importorskip("dask.distributed")

from next_token import LanguageModel, Text  # noqa: E402
from next_token.distributed import connect, score_on_dask, train_on_dask  # noqa: E402
from next_token.distributed.scoring import score_documents  # noqa: E402
from next_token.errors import CorpusError, InputError  # noqa: E402

STORY = """The old lighthouse keeper climbed the stairs. He said, "The lamp is out." It was dark.

The sea was calm; the ship sailed on (slowly). Did it reach the port? Nobody knew.
Mr. Smith wrote: os.path.join(a, b) returns a path -- or so it seems.
"""


@pytest.fixture(scope="module")
def client():
    with connect(workers=2, processes=False) as c:
        yield c


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("docs")
    out = []
    words = STORY.replace("\n", " \n ").split(" ")
    for i in range(7):  # different sizes, some sharing text, one empty
        text = " ".join(words[(i * 7) % len(words):] + words[: (i * 7) % len(words)]) * (i + 1)
        f = d / f"doc{i}.txt"
        f.write_text(text if i != 3 else "", encoding="utf-8")
        out.append(f)
    return out


def file_bytes(lm, path):
    lm.meta["train_seconds"] = 0.0
    lm.save(path)
    return path.read_bytes()


@pytest.mark.parametrize("order,tokenizer", [(1, "word"), (3, "word"), (5, "word"), (4, "whitespace"), (3, "bpe")])
def test_dask_builds_the_same_model_file(client, files, order, tokenizer, tmp_path):
    kw = dict(order=order, tokenizer=tokenizer, discount_fallback="ignore")
    if tokenizer == "bpe":
        kw["bpe_vocab_size"] = 150
    one = LanguageModel.train(files, **kw, index=False, spelling=False)  # lookup parts: in-memory builds only
    many = train_on_dask(files, client, tasks=5, chunk_tokens=300, **kw)
    assert file_bytes(many, tmp_path / "dask.ntp") == file_bytes(one, tmp_path / "one.ntp")


def test_texts_and_errors(client, tmp_path):
    one = LanguageModel.train([Text(STORY), Text(STORY.upper())], order=3, discount_fallback="ignore",
                              index=False, spelling=False)
    many = train_on_dask([Text(STORY), Text(STORY.upper())], client, order=3, discount_fallback="ignore")
    assert file_bytes(many, tmp_path / "a.ntp") == file_bytes(one, tmp_path / "b.ntp")
    (tmp_path / "blank.txt").write_text(" \n", encoding="utf-8")
    with pytest.raises(CorpusError, match="empty"):
        train_on_dask([tmp_path / "blank.txt"], client)
    with pytest.raises(InputError, match="standard input"):
        train_on_dask(["-"], client)


def test_per_document_scores_match_score(client, files, tmp_path):
    lm = LanguageModel.train(files, order=3, discount_fallback="ignore")
    lm.save(tmp_path / "m.ntp")
    rows = list(score_on_dask(str(tmp_path / "m.ntp"), files, client))
    assert list(map(repr, rows)) == list(map(repr, score_documents(str(tmp_path / "m.ntp"), files)))  # nan == nan
    assert [r.document for r in rows] == [str(f) for f in files]
    for f, r in zip(files, rows):
        text = f.read_text(encoding="utf-8")
        if not text.strip():
            assert r.tokens == 0
            continue
        s = lm.score(text, per_token=False)
        assert (r.tokens, r.oov) == (s.tokens, s.oov)
        assert r.logprob == pytest.approx(s.logprob, abs=1e-9)
        assert r.perplexity == pytest.approx(s.perplexity, rel=1e-12)


def test_a_document_per_line_even_across_cut_files(client, files, tmp_path):
    lm = LanguageModel.train(files, order=3, discount_fallback="ignore")
    lm.save(tmp_path / "m.ntp")
    big = tmp_path / "lines.txt"
    big.write_bytes("".join(f.read_text(encoding="utf-8") for f in files).replace("\n", "\r\n").encode())
    rows = list(score_on_dask(str(tmp_path / "m.ntp"), [big], client, lines=True, task_bytes=200))
    lines = big.read_text(encoding="utf-8").replace("\r\n", "\n").split("\n")
    if lines[-1] == "":
        lines.pop()  # the line break that ends the file starts no document
    assert [r.document for r in rows] == [f"{big}:{i + 1}" for i in range(len(lines))]
    for line, r in zip(lines, rows):
        if line.strip():
            assert r.logprob == pytest.approx(lm.score(line, per_token=False).logprob, abs=1e-9)
        else:
            assert r.tokens == 0


def test_command_line_per_document_rows(files, tmp_path, monkeypatch):
    from click.testing import CliRunner

    from next_token.cli import main

    lm = LanguageModel.train(files, order=3, discount_fallback="ignore")
    lm.save(tmp_path / "m.ntp")
    runner = CliRunner()
    local = runner.invoke(main, ["score", *map(str, files), "--per-document", "-m", str(tmp_path / "m.ntp")])
    assert local.exit_code == 0, local.output
    header, *rows = local.output.splitlines()
    assert header.split("\t")[:3] == ["document", "tokens", "oov"] and len(rows) == len(files)
    dask = runner.invoke(main, ["score", *map(str, files), "--workers", "1", "--json", "-m", str(tmp_path / "m.ntp")])
    assert dask.exit_code == 0, dask.output
    docs = [json.loads(line) for line in dask.output.splitlines()]
    assert [d["document"] for d in docs] == [str(f) for f in files]
    assert docs[3]["perplexity"] is None  # the empty file: no tokens, no perplexity
    assert float(rows[0].split("\t")[3]) == pytest.approx(docs[0]["logprob"], abs=1e-5)
    bad = runner.invoke(main, ["score", "--text", "x", "--workers", "2", "-m", str(tmp_path / "m.ntp")])
    assert bad.exit_code != 0
    monkeypatch.setattr(sys, "stdin", io.StringIO("One. Two."))
    assert runner.invoke(main, ["score", "-", "--per-document", "-m", str(tmp_path / "m.ntp")]).exit_code != 0
