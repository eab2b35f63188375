"""What to append to a text to accept a predicted token: the web page's Tab key.

`LanguageModel.predict` returns bare tokens ("man", ",", "'s"); accepting one must append it with
the spacing the model's tokenizer would write (" man", ","). `Tokenizer.join_continuation(context,
[token])` knows the rules, but it re-reads the whole context on every call, and a prediction has
k tokens to spell after the same context.

So, for the word tokenizer, the spelling of plain word tokens (letters, digits and "_" only) is
worked out once per context: the detokenizer's rules (see detokenize.py) treat every such token
alike (the role "word", and a first character that is a word character), so a one-letter probe
tells whether they all take a leading space. Every other token (punctuation, quotes, contraction
pieces, numbers with separators) is joined by the tokenizer itself. tests/test_server_accepting.py
checks the shortcut against the tokenizer on random texts.
"""

from __future__ import annotations

import re
from typing import Callable, Sequence

SPECIAL_TOKENS = frozenset(("<s>", "</s>", "<unk>"))
_PLAIN_WORD = re.compile(r"\w+\Z")


def spelling(model) -> Callable[[str, Sequence[str]], list[str]]:
    """A function (context, tokens) -> for each token, the text that appends it to `context`.

    Special tokens have no text: accepting "</s>" (the end of the sentence) writes nothing.
    """
    tokenizer = model.tokenizer
    join = tokenizer.join_continuation
    words_alike = getattr(tokenizer, "name", None) == "word"

    def texts_for(context: str, tokens: Sequence[str]) -> list[str]:
        space: str | None = None
        out = []
        for token in tokens:
            if token in SPECIAL_TOKENS:
                out.append("")
            elif words_alike and _PLAIN_WORD.match(token):
                if space is None:
                    space = " " if join(context, ["a"]).startswith(" ") else ""
                out.append(space + token)
            else:
                out.append(join(context, [token]))
        return out

    return texts_for
