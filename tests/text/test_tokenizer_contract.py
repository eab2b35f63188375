"""Every tokenizer kind answers for its own facts, the same way: a contract test over all kinds.

Adding a kind to `text/tokenizer.py` adds it here automatically (TOKENIZER_NAMES).
"""

import pytest

from next_token.text.tokenizer import (
    SPACE,
    TOKENIZER_NAMES,
    Tokenizer,
    tokenizer_for_training,
    tokenizer_from_config,
    word_tokens,
)

CORPUS = [
    "The cat sat on the mat. It was warm, and the cat was happy!\n\nA dog barked at the cat. Why?",
    "The sun rose over the sea. The sea was calm and the sun was warm.",
    'He said "stop!" and it ended here. It goes on and on.',
]
SENTENCES = ["The cat sat on the mat.", "A dog barked, loudly, at the sun"]


@pytest.fixture(scope="module", params=TOKENIZER_NAMES)
def tokenizer(request) -> Tokenizer:
    tok = tokenizer_for_training(request.param, vocab_size=80)
    assert tok.name == request.param
    if tok.needs_training:
        tok = tok.fit(CORPUS)
    assert not tok.needs_training
    return tok


def test_the_kinds_are_the_four():
    assert set(TOKENIZER_NAMES) == {"word", "char", "whitespace", "bpe"}


def test_tokens_are_non_empty_and_never_hold_whitespace(tokenizer):
    for sent in tokenizer.sentences("\n\n".join(CORPUS)):
        assert sent and all(t and not any(c.isspace() for c in t) for t in sent)


def test_config_round_trip_tokenizes_the_same(tokenizer):
    again = tokenizer_from_config(tokenizer.to_config())
    assert type(again) is type(tokenizer)
    for s in SENTENCES:
        assert again.tokenize(s) == tokenizer.tokenize(s)


def test_space_in_token_says_how_text_is_rebuilt(tokenizer):
    for s in SENTENCES:
        tokens = tokenizer.tokenize(s)
        if tokenizer.space_in_token:  # the text is the tokens end to end
            assert "".join(tokens).replace(SPACE, " ").strip() == s
        else:  # tokens are separated by spaces that belong to none of them
            assert tokenizer.tokenize(tokenizer.detokenize(tokens)) == tokens


def _written(tokenizer, text):
    """`text` as this kind reads it: pre-tokenized (spaced) for the whitespace kind."""
    return " ".join(word_tokens(text)) if tokenizer.name == "whitespace" else text


def test_ends_sentence(tokenizer):
    assert tokenizer.ends_sentence(tokenizer.tokenize(_written(tokenizer, "It ends here.")))
    assert tokenizer.ends_sentence(tokenizer.tokenize(_written(tokenizer, 'He said "stop!"')))
    assert not tokenizer.ends_sentence(tokenizer.tokenize(_written(tokenizer, "It goes on and")))
    assert not tokenizer.ends_sentence([])


def test_append_texts_agrees_with_join_continuation(tokenizer):
    context = "The cat sat on the"
    tokens = tokenizer.tokenize("mat, happily.") + ["</s>", "<unk>"]
    want = [tokenizer.join_continuation(context, [t]) for t in tokens[:-2]] + ["", ""]
    assert tokenizer.append_texts(context, tokens) == want


def test_a_continuation_reads_back_as_its_tokens(tokenizer):
    prompt = "The cat sat on"
    more = tokenizer.tokenize("the mat.")
    text = prompt + tokenizer.join_continuation(prompt, more)
    whole = [t for sent in tokenizer.sentences(text) for t in sent]
    assert whole[len(whole) - len(more):] == more
