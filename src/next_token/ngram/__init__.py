"""The fixed-order n-gram model: counting, Kneser-Ney estimation, the query side, ARPA files.

    counting    every n-gram of orders 1..N, vectorized, into a sorted forward trie
    kneser_ney  interpolated modified Kneser-Ney, as KenLM's lmplz estimates it
    build       counting + estimation -> an NgramModel
    model       NgramModel: exact top-k, distributions, probabilities, stream scoring
    arpa        reading and writing the ARPA format of KenLM and SRILM
"""
