"""The error model: likelier slips score higher; learning moves it towards the data; storage."""

import numpy as np
import pytest

from next_token.errors import InputError
from next_token.spelling.distance import osa_distance
from next_token.spelling.error_model import ErrorModel, keyboard_neighbours


def test_keyboard_neighbours_are_symmetric_and_local():
    adj = keyboard_neighbours()
    assert (adj == adj.T).all()
    q, w, p = (ord(c) - 97 for c in "qwp")
    assert adj[q, w] and not adj[q, p]


def test_likely_slips_beat_unlikely_ones():
    em = ErrorModel.default()
    lp, dist = em.log_likelihood("thw", ["the", "thy", "thaw"])
    assert dist.tolist() == [1, 1, 1]
    assert lp[0] > lp[1]  # w is next to e on the keyboard, y is not
    lp, _ = em.log_likelihood("ocurred", ["occurred", "ocurrent"])
    assert lp[0] > lp[1]  # dropping one of a double letter is a common slip
    lp, _ = em.log_likelihood("teh", ["the", "ten"])
    assert lp[0] > lp[1]  # a swap is likelier than a far-away substitution


def test_distance_agrees_with_osa():
    em = ErrorModel.default()
    cands = ["house", "horse", "hose", "houses", "mouse", "ohuse"]
    _, dist = em.log_likelihood("huose", cands)
    assert dist.tolist() == [min(osa_distance("huose", c), 3) for c in cands]


def test_learning_makes_observed_confusions_likelier():
    em = ErrorModel.default()
    pairs = [("seperate", "separate"), ("desparate", "desperate"), ("grammer", "grammar")] * 20
    learned = em.learn(pairs)
    a, e = ord("a") - 97, ord("e") - 97
    assert learned.sub[a, e] > em.sub[a, e]
    assert learned.log_likelihood("seperate", ["separate"])[0][0] > em.log_likelihood("seperate", ["separate"])[0][0]
    with pytest.raises(InputError):
        em.learn([("same", "same")])


def test_round_trip_through_plain_arrays():
    em = ErrorModel.default().learn([("teh", "the")] * 5)
    arrays = em.to_arrays()
    assert all(isinstance(a, np.ndarray) for a in arrays.values())
    again = ErrorModel.from_arrays(arrays)
    assert again.confusions == em.confusions and again.confusions["their"]["there"] < 0
    cands = ["the", "ten", "tech"]
    assert np.allclose(em.log_likelihood("teh", cands)[0], again.log_likelihood("teh", cands)[0])
