"""Words of English a training text may lack: which unknown words are words.

A model trained on Python's documentation has never seen "ghost", "budget" or even "he". To its
corrector such a word is unknown, and an unknown word one letter from a known one looks like a
typo of it: "memory budget" became "memory widget" and "he" became "the", in 4.5% of the words
of a novel. The character model (char_model.py) cannot rescue them: trained on 8,000 word types
of technical prose, it finds "ghost" no likelier a spelling than "lrke".

A dictionary knows better. An unknown word it lists gets an extra prior for keeping
(`Settings.keep_dictionary`): it is still scored as the model's <unk>, so context can still
overrule it, but it is no longer presumed a typo. The dictionary never proposes a word (the
candidates stay the training text's words, the only ones the language model can judge).

The list is SCOWL's size-50 English (the American and British lists of Debian's wamerican and
wbritish 2020.12.07, see data/english-words.COPYRIGHT): 65,469 lower-case words, possessives
left out, 172 KB compressed, loaded once on first use (about 30 ms).
"""

from __future__ import annotations

import gzip
from functools import lru_cache
from importlib.resources import files


@lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """The dictionary's words (lower case)."""
    data = (files("next_token") / "data" / "english-words.txt.gz").read_bytes()
    return frozenset(gzip.decompress(data).decode("utf-8").split())
