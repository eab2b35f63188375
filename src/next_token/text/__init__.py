"""Text in and out: reading corpora, the built-in corpus, tokenizers, spacing and the vocabulary.

    corpus     sources (files, folders, globs, .gz, stdin, Text) -> (name, text)
    sentences  the sentence rule (and where each sentence starts, for attribution)
    builtin    the built-in corpus: Python's own documentation
    prose      documentation markup to prose sentences (what the built-in corpus keeps)
    tokenizer  the four kinds of tokens (word, char, whitespace, bpe), each answering for its facts
    spacing    spacing learned from the corpus, and the incremental speller
    spacing_rules  the fixed spacing rules where nothing was learned
    spacing_tally  the spacing counts of a corpus read in chunks (bounded and Dask builds)
    vocab      token <-> id, and the uint32 id stream with sentence boundaries
    line_stream  whitespace-tokenized lines to that stream in numpy (fast scoring of large texts)
"""
