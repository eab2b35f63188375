"""ARPA in and out: KenLM's files read exactly, our files round-trip, and KenLM loads ours."""

import numpy as np
import pytest

from next_token.errors import ModelFileError
from next_token.ngram.arpa import read_arpa, write_arpa
from next_token.ngram.build import ngram_from_stream
from next_token.text.vocab import Vocabulary
from shared_data import KENLM_DIR, need_shared

TEXT = ["the cat sat on the mat", "the dog sat on the log", "a cat and a dog", "the cat ran"] * 3


def _small():
    vocab, stream = Vocabulary.build(s.split() for s in TEXT)
    return ngram_from_stream(stream, 3, len(vocab)), vocab


@pytest.mark.parametrize("suffix", [".arpa", ".arpa.gz"])
def test_write_then_read_gives_the_same_model(tmp_path, suffix):
    model, vocab = _small()
    path = tmp_path / f"m{suffix}"
    write_arpa(model, vocab, path)
    back, vocab2 = read_arpa(path)
    assert vocab2.tokens == vocab.tokens
    assert back.sizes == model.sizes
    for ctx in (["<s>"], ["<s>", "the"], ["the", "cat"], ["sat", "on"]):
        ids = [vocab.id(t) for t in ctx]
        np.testing.assert_allclose(back.distribution(ids), model.distribution(ids), rtol=1e-5)
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary left behind


def test_kenlm_arpa_scores_like_kenlm():
    path = need_shared(KENLM_DIR / "books_head90.o3.arpa.gz")
    model, vocab = read_arpa(path)
    with open(KENLM_DIR / "books_tail10.txt", encoding="utf-8") as f:
        stream = vocab.encode_sentences(line.split() for line in f)
    s = model.score_stream(stream)
    assert s.perplexity() == pytest.approx(250.27, rel=1e-3)
    assert s.perplexity(False) == pytest.approx(173.35, rel=1e-3)


def test_kenlm_loads_our_arpa_and_scores_it_identically(tmp_path):
    kenlm = pytest.importorskip("kenlm", reason="KenLM's Python module is not installed (pip install kenlm)")
    need_shared(KENLM_DIR / "books_head90.txt")
    with open(KENLM_DIR / "books_head90.txt", encoding="utf-8") as f:
        vocab, stream = Vocabulary.build(line.split() for line in f)
    model = ngram_from_stream(stream, 5, len(vocab))
    write_arpa(model, vocab, tmp_path / "o5.arpa")
    k = kenlm.Model(str(tmp_path / "o5.arpa"))
    with open(KENLM_DIR / "books_tail10.txt", encoding="utf-8") as f:
        lines = [line.strip() for line in f][:300]
    ours = model.score_stream(vocab.encode_sentences(line.split() for line in lines))
    theirs = [lp for line in lines for lp, _, _ in k.full_scores(line)]
    np.testing.assert_allclose(ours.logprob, theirs, atol=1e-4)


@pytest.mark.parametrize("content,match", [
    ("hello\n", "no \\\\data\\\\ header"),
    ("\\data\\\nngram 1=2\n\n\\1-grams:\n-1.0\ta\n\n\\end\\\n", "declares 2 1-grams"),
    ("\\data\\\nngram 1=1\nngram 2=1\n\n\\1-grams:\n-1\ta\t0\n\n\\2-grams:\n-1\ta b\n\n\\end\\\n", "missing from the unigrams"),
    ("\\data\\\nngram 1=1\n\n\\1-grams:\nxx\ta\n\n\\end\\\n", "malformed"),
])
def test_broken_arpa_files_get_clear_errors(tmp_path, content, match):
    p = tmp_path / "bad.arpa"
    p.write_text(content)
    with pytest.raises(ModelFileError, match=match):
        read_arpa(p)
