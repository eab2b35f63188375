"""Text in and out: reading corpora, the built-in corpus, tokenizers, spacing and the vocabulary.

    corpus     sources (files, folders, globs, .gz, stdin, Text) -> (name, text); sentence splitting
    builtin    the built-in corpus: Python's own documentation as prose
    tokenizer  the four kinds of tokens (word, char, whitespace, bpe), each answering for its facts
    spacing    word tokens back to natural text
    vocab      token <-> id, and the uint32 id stream with sentence boundaries
"""
