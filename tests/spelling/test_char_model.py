"""The character model is a proper distribution over spellings and prefers word-like ones."""

from itertools import product

import numpy as np

from next_token.spelling.char_model import CharModel


def test_probabilities_of_all_strings_sum_to_at_most_one_and_nearly_one():
    model = CharModel.train(["ab", "ba", "aab", "b", "abba", "a"], order=3)
    # Every string over the alphabet plus one unseen letter (all unseen letters share a class).
    strings = ["".join(p) for n in range(0, 9) for p in product("abx", repeat=n)]
    total = (10.0 ** model.logprob(strings)).sum()
    assert total <= 1.0 + 1e-9
    assert total > 0.9  # the rest is strings longer than 8


def test_word_like_spellings_score_higher():
    words = ["the", "there", "these", "them", "then", "other", "brother", "mother", "weather",
             "house", "mouse", "horse", "course", "light", "night", "right", "sight"]
    model = CharModel.train(words)
    plaus = model.per_char(["thether", "nighter", "hthrx", "qxzv"])
    assert plaus[0] > plaus[2] and plaus[1] > plaus[3]


def test_round_trip_through_plain_arrays():
    model = CharModel.train(["alpha", "beta", "gamma"])
    arrays = model.to_arrays()
    assert all(isinstance(a, np.ndarray) for a in arrays.values())
    again = CharModel.from_arrays(arrays)
    assert np.allclose(model.logprob(["alpha", "delta", ""]), again.logprob(["alpha", "delta", ""]))
