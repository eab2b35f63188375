"""The numpy encoding of whitespace-tokenized lines: equal to the tokenizer + vocabulary path."""

import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from next_token import LanguageModel, scoring
from next_token.text import line_stream
from next_token.text.tokenizer import WhitespaceTokenizer
from next_token.text.vocab import UNK, Vocabulary

# Every kind of whitespace and line break Python knows, the special tokens, a lone surrogate,
# NUL, astral code points and code points just above the whitespace table.
PIECES = [" ", "\t", "\n", "\r", "\r\n", "\x0b", "\x0c", "\x1c", "\x1f", "\x85", "\xa0", "\u1680",
          "\u2009", "\u2028", "\u2029", "\u3000", "\u3001", "<s>", "</s>", "<unk>", "\ud800", "\x00",
          "😀", "a", "b", "ab", "ba", "é", "abc"]
texts = st.lists(st.sampled_from(PIECES), max_size=40).map("".join)
VOCAB_TEXT = "a b ab abc é 😀 ba\n<s> \x00 \u3001"


def reference(text: str, vocab: Vocabulary) -> np.ndarray:
    return vocab.encode_sentences(list(WhitespaceTokenizer().sentences(text)))


def both_vocabularies():
    built, _ = Vocabulary.build(WhitespaceTokenizer().sentences(VOCAB_TEXT))
    mapped = Vocabulary.from_arrays({k: np.array(v) for k, v in built.to_arrays().items()})
    return built, mapped


@given(texts)
@settings(max_examples=300, deadline=None)
def test_the_stream_equals_the_tokenizer_and_vocabulary_path(text):
    for vocab in both_vocabularies():
        stream, bos, firsts = line_stream.encode_lines(text, line_stream.hashed(vocab))
        assert stream.tolist() == reference(text, vocab).tolist()
        lines = [line.split() for line in text.splitlines() if line.split()]
        assert len(bos) == len(firsts) == len(lines)
        for at, first, line in zip(bos, firsts, lines):
            assert text[first:].startswith(line[0])
            assert stream[at] == 1  # <s>


def test_a_hash_shared_by_two_tokens_never_confuses_them(monkeypatch):
    # A hash of the length alone: "ab" and "zz" collide, and "zz" is not in the vocabulary.
    monkeypatch.setattr(line_stream, "hash_runs", lambda cp, s, e: line_stream._mix((e - s).astype(np.uint64)))
    vocab, _ = Vocabulary.build([["ab"], ["abcdef"]])
    table = line_stream.HashedVocabulary.of(vocab)
    assert table.unique
    stream, _, _ = line_stream.encode_lines("ab zz\nabcdef abcdeg", table)
    assert stream.tolist() == reference("ab zz\nabcdef abcdeg", vocab).tolist()
    assert stream.tolist().count(UNK) == 2


def test_a_vocabulary_with_two_tokens_of_one_hash_is_not_hashed(monkeypatch):
    monkeypatch.setattr(line_stream, "hash_runs", lambda cp, s, e: line_stream._mix((e - s).astype(np.uint64)))
    vocab, _ = Vocabulary.build([["ab", "cd"]])
    assert line_stream.hashed(vocab) is None


@pytest.fixture(scope="module")
def lm():
    rng = random.Random(0)
    words = [f"w{i}" for i in range(30)]
    text = "\n".join(" ".join(rng.choices(words, k=rng.randrange(2, 9))) + " ." for _ in range(500))
    return LanguageModel.train(text=text, order=3, tokenizer="whitespace", discount_fallback="ignore")


DOCS = ["w1 w2 , w0 .\nw3 zz w4", "", "   \n\n", "<s> w1 .", "w6 w5\r\nw2", "unknown words only"]


@pytest.mark.parametrize("part_chars", [(500_000, 4_000_000), (8, 4_000_000), (8, 16)])
def test_scores_equal_the_token_by_token_path(lm, monkeypatch, part_chars):
    # one part; parts on threads; more parts than threads
    monkeypatch.setattr(scoring, "_CHARS_PER_PART", part_chars[0])
    monkeypatch.setattr(scoring, "_MAX_CHARS_PER_PART", part_chars[1])
    for text in [d for d in DOCS if d.split()] + ["\n".join(DOCS)]:
        fast, slow = lm.score(text, per_token=False), lm.score(text, per_token=True)
        assert (fast.tokens, fast.oov) == (slow.tokens, slow.oov)
        assert fast.logprob == pytest.approx(slow.logprob, abs=1e-9)
    batch = lm.score_batch(DOCS)
    for doc, got in zip(DOCS, batch):
        if not doc.split():
            assert got.tokens == 0
            continue
        want = lm.score(doc, per_token=True)
        assert (got.tokens, got.oov) == (want.tokens, want.oov)
        assert got.logprob == pytest.approx(want.logprob, abs=1e-9)
        assert got.perplexity == pytest.approx(want.perplexity)


def test_the_token_by_token_batch_counts_a_written_start_token_like_the_fast_one(lm, monkeypatch):
    monkeypatch.setattr(LanguageModel, "_score_lines", lambda self, texts: None)
    for doc, got in zip(DOCS, lm.score_batch(DOCS)):
        if doc.split():
            assert got.tokens == lm.score(doc, per_token=True).tokens
