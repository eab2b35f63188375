"""Lookup: what the corpus and its counts know besides next-token probabilities.

Phrase search over the suffix array, with attribution (search.py, documents.py):

    search(index, vocab, tokenizer, "the opera ghost", documents=docs)   # SearchResult

Word vectors learned from co-occurrence counts (PPMI + SVD, Levy, Goldberg & Dagan 2015):

    from next_token.lookup import VectorSettings, build_word_vectors
    vectors = build_word_vectors(stream, tokens, VectorSettings(), progress=True)
    vectors.similar("ghost", k=10)                 # [Neighbor(word, cosine), ...]
    vectors.analogy("paris", "france", "london")   # [Neighbor("england", score)]
    vectors.vector("ghost")                        # unit-length float32 array

Building vectors needs scipy (imported lazily); querying needs numpy only, and
`WordVectors.from_arrays` wraps memory-mapped arrays without copying them. By default tokens
that differ only by case are one word (measured better on every benchmark from 10M tokens on);
queries try the word as written, then case-insensitively.

    documents          where each sentence of the training stream came from (source file, line)
    search             phrase search with sources, keyword-in-context lines and neighbours
    vector_vocabulary  which words get vectors (min count, case folding, subsampling)
    cooccurrence       windowed co-occurrence counts, vectorized
    ppmi               positive PMI with context-distribution smoothing and a shift
    svd                a randomized truncated SVD and eigenvalue weighting
    build              the pipeline from an id stream to WordVectors
    vectors            WordVectors: similar, analogy, vector (numpy only)
    word_benchmarks    WordSim-353, SimLex-999 and Google analogies, for bench/bench_vectors.py
"""

from .build import VectorSettings, build_word_vectors
from .vectors import Neighbor, UnknownWordError, WordVectors

__all__ = ["VectorSettings", "build_word_vectors", "Neighbor", "UnknownWordError", "WordVectors"]
