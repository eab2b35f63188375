"""Unbounded context: a suffix array over the training stream and the "infinity-gram" built on it.

    storage   compact unsigned integers, readable from a memory map
    build     building the index (and the hybrid model's fitted weights)
    index     SuffixArray: counts, longest matching suffixes, continuations, occurrences
    estimate  the infinity-gram: P(w | longest matched suffix of the context)
    mixing    the math of mixing it with the n-gram, fitting the weights, the copy guard
    hybrid    HybridModel: the n-gram and the infinity-gram as one model
"""
