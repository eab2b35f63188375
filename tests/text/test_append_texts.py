"""How an accepted token is spelled after a context (`Tokenizer.append_texts`): the word
tokenizer's per-context shortcut for plain words must agree with its own join_continuation."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from next_token.text.tokenizer import get_tokenizer

WORD = get_tokenizer("word")
texts_for = WORD.append_texts

PIECES = ["the", "man", "I", "é", "x1", "_", "42", "1,000", "3.14", ",", ".", "!", "?", ";", ":", "(", ")",
          "[", "]", '"', "'", "“", "”", "‘", "’", "-", "--", "—", "/", "$", "%", "…", "'s", "n't", "don't",
          "well-known", " ", "  ", "\n"]


contexts = st.one_of(
    st.lists(st.tuples(st.sampled_from(PIECES), st.sampled_from(["", " "])), max_size=12).map(
        lambda parts: "".join(sep + piece for piece, sep in parts)),
    st.text(alphabet="ab Is1_\"'(),.;-—“”‘’$%…\n", max_size=30),
)


@given(contexts, st.lists(st.sampled_from(PIECES[:-3]), min_size=1, max_size=10))
@settings(max_examples=300, deadline=None)
def test_shortcut_agrees_with_the_tokenizer(context, tokens):
    assert texts_for(context, tokens) == [WORD.join_continuation(context, [t]) for t in tokens]


def test_examples():
    assert texts_for("The old", ["man", ",", "'s"]) == [" man", ",", "'s"]
    assert texts_for("The old ", ["man"]) == ["man"]
    assert texts_for("", ["The"]) == ["The"]
    assert texts_for('He said "', ["Hi"]) == ["Hi"]
    assert texts_for("The end", ["</s>", "<unk>"]) == ["", ""]


def test_other_tokenizers_are_joined_by_themselves():
    char = get_tokenizer("char").append_texts
    assert char("ab", ["c", "\u2581"]) == ["c", " "]
