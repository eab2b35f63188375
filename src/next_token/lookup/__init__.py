"""Lookup: what the corpus and its counts know besides next-token probabilities.

    documents  where each sentence of the training stream came from (source file, line)
    search     phrase search over the suffix array, with attribution and neighbours
"""
