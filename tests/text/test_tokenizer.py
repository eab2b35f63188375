import importlib.util
import json

import pytest

from next_token.errors import CorpusError, InputError, ModelFileError
from next_token.text.corpus import iter_texts, split_sentences
from next_token.text.tokenizer import (
    SPACE,
    BpeTokenizer,
    CharTokenizer,
    Tokenizer,
    WhitespaceTokenizer,
    WordTokenizer,
    get_tokenizer,
    tokenizer_from_config,
    train_bpe,
    word_tokens,
)
from shared_data import SHARED

BOOKS = SHARED / "corpus" / "books"
PREP = SHARED / "kenlm" / "prep.py"
KENLM_TRAIN = SHARED / "kenlm" / "books_head90.txt"

SAMPLE = (
    "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs!\n"
    'She said, "Hello, world." He answered: "Hello again."\n\n'
    "Numbers like 1,000 and 3.14 stay whole. Don't split sea-reach words -- ever.\n"
) * 20


def test_get_tokenizer_kinds_and_default():
    assert isinstance(get_tokenizer(), WordTokenizer)
    assert isinstance(get_tokenizer("char"), CharTokenizer)
    assert isinstance(get_tokenizer("whitespace", natural=False), WhitespaceTokenizer)
    bpe = get_tokenizer("bpe", vocab_size=300)
    assert isinstance(bpe, BpeTokenizer) and not bpe.trained and bpe.needs_training
    for kind in ("word", "char", "whitespace", "bpe"):
        assert isinstance(get_tokenizer(kind), Tokenizer)
        assert get_tokenizer(kind).name == kind


def test_get_tokenizer_errors():
    with pytest.raises(InputError, match="unknown tokenizer 'pixels'"):
        get_tokenizer("pixels")
    with pytest.raises(InputError, match="bad option"):
        get_tokenizer("word", vocab_size=3)
    with pytest.raises(InputError, match="vocab_size"):
        get_tokenizer("bpe", vocab_size=0)


# --- word ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sentence, tokens",
    [
        ("Hello, world.", ["Hello", ",", "world", "."]),
        ("Don't split sea-reach or rock’n’roll.", ["Don't", "split", "sea-reach", "or", "rock’n’roll", "."]),
        ("It cost 1,000 or 3.14 -- or 2.", ["It", "cost", "1,000", "or", "3.14", "--", "or", "2", "."]),
        ("a - b --- c", ["a", "-", "b", "---", "c"]),
        ('"Why?" (she asked)…', ['"', "Why", "?", '"', "(", "she", "asked", ")", "…"]),
        ("the dogs' bones, 'tis", ["the", "dogs", "'", "bones", ",", "'", "tis"]),
        ("Café Ωmega 3rd", ["Café", "Ωmega", "3", "rd"]),  # "3rd": digits first, as prep.py
        ("   ", []),
    ],
)
def test_word_tokenize(sentence, tokens):
    assert get_tokenizer("word").tokenize(sentence) == tokens
    assert word_tokens(sentence) == tokens


def test_word_sentences_and_detokenize():
    tok = get_tokenizer("word")
    got = list(tok.sentences('One two. "Three!" Four\nfive.\n\n. \n'))
    assert got == [["One", "two", "."], ['"', "Three", "!", '"'], ["Four", "five", "."], ["."]]
    assert tok.detokenize(["Hello", ",", "world", "."]) == "Hello, world."
    assert tok.join_continuation("Hello", [",", "world"]) == ", world"


@pytest.mark.skipif(not (BOOKS.is_dir() and PREP.is_file()), reason="shared corpus absent")
def test_word_tokenizer_matches_prep_on_books():
    spec = importlib.util.spec_from_file_location("kenlm_prep", PREP)
    prep = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(prep)
    tok = get_tokenizer("word")
    compared = 0
    for path in sorted(BOOKS.glob("*.txt"))[:2]:
        [(_, text)] = list(iter_texts(path))
        for sentence in prep.sentences(text):
            assert tok.tokenize(sentence) == prep.tokenize(sentence), sentence
            compared += 1
        assert list(tok.sentences(text)) == prep.prep_text(text)
    assert compared > 1000


@pytest.mark.skipif(not (BOOKS.is_dir() and KENLM_TRAIN.is_file()), reason="shared corpus absent")
def test_word_tokenizer_reproduces_kenlm_training_file_start():
    # books_head90.txt starts with the first 90% of the first book (sorted names), through prep.py.
    first_book = sorted(BOOKS.glob("*.txt"))[0]
    [(_, text)] = list(iter_texts(first_book))
    ours = [" ".join(t) for t in get_tokenizer("word").sentences(text[:20000])][:50]
    with open(KENLM_TRAIN, encoding="utf-8") as fh:
        theirs = [next(fh).rstrip("\n") for _ in range(50)]
    assert ours == theirs


# --- char ------------------------------------------------------------------------------------


def test_char_tokens_and_exact_roundtrip():
    tok = get_tokenizer("char")
    assert tok.tokenize("a b!") == ["a", SPACE, "b", "!"]
    for s in ["Hello, world.", "two  spaces", "Ünïcödé ✓ 日本語", ""]:
        assert tok.detokenize(tok.tokenize(s)) == s
    assert tok.tokenize("a\tb") == ["a", SPACE, "b"]  # other whitespace reads back as a space
    assert all(t.strip() for t in tok.tokenize("a b c"))  # never a blank token
    assert list(tok.sentences("Hi there. Bye\n now.")) == [list("Hi▁there."), list("Bye▁now.")]
    assert tok.join_continuation("Hel", ["l", "o", SPACE, "y"]) == "lo y"


# --- whitespace ------------------------------------------------------------------------------


def test_whitespace_tokenizer_lines():
    tok = get_tokenizer("whitespace")
    text = "Hello , world .\n\n  It 's   late\t!\n"
    assert list(tok.sentences(text)) == [["Hello", ",", "world", "."], ["It", "'s", "late", "!"]]
    assert tok.tokenize(" a  b ") == ["a", "b"]
    assert tok.detokenize(["Hello", ",", "world", "."]) == "Hello, world."
    assert tok.join_continuation("Hello", [",", "world"]) == ", world"
    raw = get_tokenizer("whitespace", natural=False)
    assert raw.detokenize(["Hello", ",", "world", "."]) == "Hello , world ."
    assert raw.join_continuation("Hello", [",", "x"]) == " , x"
    assert raw.join_continuation("Hello ", ["x"]) == "x"


# --- configs ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kind, options", [("word", {}), ("char", {}), ("whitespace", {"natural": False})])
def test_config_roundtrip_simple_kinds(kind, options):
    tok = get_tokenizer(kind, **options)
    cfg = json.loads(json.dumps(tok.to_config()))
    again = tokenizer_from_config(cfg)
    assert type(again) is type(tok) and again.to_config() == tok.to_config()
    assert tokenizer_from_config(json.dumps(cfg)).to_config() == tok.to_config()


def test_config_errors():
    with pytest.raises(ModelFileError, match="unknown tokenizer kind"):
        tokenizer_from_config({"kind": "morse"})
    with pytest.raises(ModelFileError, match="'kind'"):
        tokenizer_from_config({"vocab_size": 3})
    with pytest.raises(ModelFileError, match="bad tokenizer config"):
        tokenizer_from_config({"kind": "word", "colour": "red"})
    with pytest.raises(ModelFileError, match="not valid JSON"):
        tokenizer_from_config("{nope")
    with pytest.raises(ModelFileError, match="BPE"):
        tokenizer_from_config({"kind": "bpe", "vocab_size": 10, "tokenizer_json": "{}"})


# --- bpe -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bpe():
    return train_bpe([SAMPLE], vocab_size=300)


def test_bpe_tokens_and_natural_detokenize(bpe):
    tokens = bpe.tokenize("Hello, world.")
    assert tokens[-1] == "." and "," in tokens and tokens[0].startswith(SPACE)
    assert bpe.detokenize(tokens) == "Hello, world."
    for sentence in split_sentences(SAMPLE[:400]):
        assert bpe.detokenize(bpe.tokenize(sentence)) == sentence
    # Learned merges: a frequent word is one unit, and the vocabulary stays within the budget.
    assert SPACE + "the" in bpe.vocab and len(bpe.vocab) <= 300


def test_bpe_unseen_character_is_unk(bpe):
    assert "<unk>" in bpe.tokenize("fox ☃")


def test_bpe_sentences_and_continuation(bpe):
    sents = list(bpe.sentences("The fox runs. The dog sleeps!"))
    assert [bpe.detokenize(s) for s in sents] == ["The fox runs.", "The dog sleeps!"]
    cont = bpe.tokenize("the lazy dog")
    assert bpe.join_continuation("Over", cont) == " the lazy dog"
    assert bpe.join_continuation("Over ", cont) == "the lazy dog"
    assert bpe.join_continuation("Over", [",", SPACE + "the", SPACE + "do", "g"]) == ", the dog"


def test_bpe_config_roundtrip_is_json_and_equal(bpe):
    cfg = bpe.to_config()
    assert cfg["kind"] == "bpe" and cfg["vocab_size"] == 300 and isinstance(cfg["tokenizer_json"], str)
    again = tokenizer_from_config(json.loads(json.dumps(cfg)))
    assert isinstance(again, BpeTokenizer) and again.trained
    text = "The quick dog said hello again, 3.14 times."
    assert again.tokenize(text) == bpe.tokenize(text)
    assert again.detokenize(again.tokenize(text)) == text


def test_bpe_training_is_deterministic(bpe):
    assert train_bpe([SAMPLE], vocab_size=300).to_config() == bpe.to_config()


def test_bpe_fit_and_untrained_errors():
    tok = get_tokenizer("bpe", vocab_size=200)
    with pytest.raises(InputError, match="not trained"):
        tok.tokenize("hello")
    with pytest.raises(InputError, match="not trained"):
        tok.to_config()
    fitted = tok.fit([SAMPLE])
    assert fitted.trained and fitted.vocab_size == 200 and not fitted.needs_training
    assert not get_tokenizer("word").needs_training
    assert fitted.detokenize(fitted.tokenize("The fox.")) == "The fox."


def test_bpe_empty_corpus():
    with pytest.raises(CorpusError, match="empty"):
        train_bpe(["", "  \n\n "], vocab_size=100)
    with pytest.raises(InputError):
        train_bpe([SAMPLE], vocab_size=-5)


@pytest.mark.skipif(not BOOKS.is_dir(), reason="shared corpus absent")
def test_bpe_roundtrip_on_a_book():
    path = sorted(BOOKS.glob("*.txt"))[0]
    [(_, text)] = list(iter_texts(path))
    tok = train_bpe([text], vocab_size=2000)
    sentences = list(split_sentences(text))
    decoded = [tok.detokenize(t) for t in tok.sentences(text)]
    assert decoded == sentences
    n_tokens = sum(len(t) for t in tok.sentences(text))
    n_words = sum(len(word_tokens(s)) for s in sentences)
    assert n_words < n_tokens < 2 * n_words  # subwords: more than words, far fewer than chars
