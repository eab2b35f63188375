
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from next_token.text.corpus import iter_texts, split_sentences
from next_token.text.spacing_rules import detokenize, join_continuation
from next_token.text.tokenizer import word_tokens
from shared_data import BOOKS_DIR as BOOKS


@pytest.mark.parametrize(
    "tokens, text",
    [
        (["Hello", ",", "world", "."], "Hello, world."),
        (["He", "said", ",", '"', "Hi", "(", "there", ")", "!", '"'], 'He said, "Hi (there)!"'),
        (['"', "One", '"', "and", '"', "two", '"', "."], '"One" and "two".'),
        (["the", "dogs", "'", "bones"], "the dogs' bones"),
        (["it", "was", "'", "fine", "'", "."], "it was 'fine'."),
        (["'", "Tis", "true", ",", "'", "he", "said"], "'Tis true,' he said"),
        (["“", "Yes", ",", "”", "he", "said", "."], "“Yes,” he said."),
        (["‘", "No", "’", "—", "she", "left"], "‘No’—she left"),
        (["wait", "--", "what", "?"], "wait--what?"),
        (["5", "-", "3", "=", "2"], "5 - 3 = 2"),
        (["and", "/", "or"], "and/or"),
        (["do", "n't", "go", ",", "it", "'s", "late"], "don't go, it's late"),
        (["costs", "$", "5", "(", "10", "%", ")", ";", "ok", ":", "yes"], "costs $5 (10%); ok: yes"),
        (["¿", "Qué", "?", "¡", "Sí", "!"], "¿Qué? ¡Sí!"),
        (["Wait", ".", ".", ".", "no", "…"], "Wait... no…"),
        (["[", "a", "]", "{", "b", "}"], "[a] {b}"),
        (["1,000", "men", "and", "3.14", "pies"], "1,000 men and 3.14 pies"),
        ([], ""),
    ],
)
def test_detokenize_examples(tokens, text):
    assert detokenize(tokens) == text


def test_never_glues_tokens_that_would_merge():
    assert detokenize(["--", "-"]) == "-- -"
    assert detokenize(["(", "a", "b", ")"]) == "(a b)"
    assert detokenize(["$", "$", "x"]) == "$$x"


@pytest.mark.parametrize(
    "prompt, tokens, expected",
    [
        ("Hello", [",", "world"], ", world"),
        ("Hello ", ["world"], "world"),
        ("Hello", ["world", "."], " world."),
        ("Hello ", [","], ","),
        ('He said "', ["Hi"], "Hi"),
        ('He said "Hi', ['"', "."], '".'),
        ('He said "Hi" and', ['"', "bye"], ' "bye'),
        ("(", ["x"], "x"),
        ("", ["Hello"], "Hello"),
        ("   ", ["Hello"], "Hello"),
        ("the dogs", ["'", "bones"], "' bones"),
        ("x", [], ""),
    ],
)
def test_join_continuation(prompt, tokens, expected):
    assert join_continuation(prompt, word_tokens(prompt), tokens) == expected


# --- round trip: tokenize(detokenize(tokens)) == tokens -------------------------------------
#
# The generator makes only strings that the word tokenizer produces as single tokens: words of
# letters/digits with inner - ' ’, numbers with inner . or , , dash runs, and single punctuation
# marks. What cannot round-trip, and is left out on purpose: strings that are not one token
# ("a b", "a.b", "3rd" which reads as "3" "rd"), Penn-style pieces ("'s", "n't") that detokenize
# glues onto the previous word, and combining marks (not word characters for `re`).

_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZéüßñÉΩжЖ_"
_DIGITS = "0123456789"
_PUNCT = list(",.;:!?()[]{}\"'“”‘’«»%…$£€¥/—&*+=#@<>|¿¡") + ["-", "--", "---"]

_words = st.builds(
    lambda parts, seps: "".join(p + s for p, s in zip(parts, seps + [""])),
    st.lists(st.text(_LETTERS + _DIGITS, min_size=1, max_size=6), min_size=1, max_size=3),
    st.lists(st.sampled_from(["-", "'", "’"]), min_size=2, max_size=2),
)
_numbers = st.builds(
    lambda parts, seps: "".join(p + s for p, s in zip(parts, seps + [""])),
    st.lists(st.text(_DIGITS, min_size=1, max_size=4), min_size=1, max_size=3),
    st.lists(st.sampled_from([".", ","]), min_size=2, max_size=2),
)
# The marks that could glue two words or numbers into one token get a branch of their own, so
# that they are drawn often.
_TRICKY = ["-", "'", "’", "--", ".", ",", '"', "/", "—"]
_token = st.one_of(
    _words, _numbers, st.sampled_from(_PUNCT), st.sampled_from(_TRICKY), st.sampled_from(["don't", "I"])
)
_valid_token = _token.filter(lambda t: word_tokens(t) == [t])
# Risky neighbours ("1" "." "2", "a" "-" "b", "x" "'" "y") are rare in free lists, so two more
# shapes make them common: short words and numbers alternating with gluing marks (one or two in a
# row), and a small alphabet of both.
_SHORT = ["a", "Bs", "1", "22", "don't"]
_alternating = st.lists(
    st.tuples(st.sampled_from(_SHORT), st.lists(st.sampled_from(_TRICKY), min_size=1, max_size=2)),
    max_size=10,
).map(lambda pairs: [t for word, marks in pairs for t in [word, *marks]])
_token_lists = st.one_of(
    st.lists(_valid_token, max_size=25),
    _alternating,
    st.lists(st.sampled_from(_SHORT + _TRICKY + ["(", ")", "?"]), max_size=25),
)


@settings(max_examples=400, deadline=None)
@given(_token_lists)
def test_roundtrip_property(tokens):
    assert word_tokens(detokenize(tokens)) == tokens


@settings(max_examples=200, deadline=None)
@given(_token_lists, st.data())
def test_prefix_stable_and_join_continuation_agrees(tokens, data):
    cut = data.draw(st.integers(0, len(tokens)))
    whole = detokenize(tokens)
    head = detokenize(tokens[:cut])
    assert whole.startswith(head)
    assert head + join_continuation(head, word_tokens(head), tokens[cut:]) == whole


@pytest.mark.skipif(not BOOKS.is_dir(), reason="shared corpus absent")
def test_roundtrip_on_real_sentences():
    path = sorted(BOOKS.glob("*.txt"))[0]
    [(_, text)] = list(iter_texts(path))
    checked = 0
    for sentence in split_sentences(text):
        tokens = word_tokens(sentence)
        assert word_tokens(detokenize(tokens)) == tokens, sentence
        checked += 1
    assert checked > 1000
