"""The deletes index finds exactly the words a brute-force scan finds."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from next_token.errors import InputError, ModelFileError
from next_token.spelling.deletes import DeletesIndex
from next_token.spelling.distance import osa_distance

vocab = st.lists(st.text(alphabet="abcd", min_size=1, max_size=10), min_size=1, max_size=60, unique=True)
query = st.text(alphabet="abcde", max_size=11)


@settings(max_examples=200, deadline=None)
@given(vocab, query, st.integers(0, 2), st.integers(3, 7))
def test_lookup_equals_a_brute_force_scan(words, q, d, prefix_length):
    index = DeletesIndex.build(words, prefix_length=prefix_length, max_distance=2)
    ids, dist = index.lookup(q, d)
    found = sorted(zip(dist.tolist(), ids.tolist()))
    brute = sorted((osa_distance(q, w), i) for i, w in enumerate(words) if osa_distance(q, w) <= d)
    assert found == brute
    assert [index.word(i) for _, i in found] == [words[i] for _, i in brute]


@settings(max_examples=50, deadline=None)
@given(vocab, st.lists(query, min_size=1, max_size=8))
def test_batched_lookup_equals_single_lookups(words, queries):
    index = DeletesIndex.build(words, prefix_length=4)
    q_of, ids, dist, _ = index.lookup_many(queries, 2)
    for n, q in enumerate(queries):
        mine = sorted(zip(ids[q_of == n].tolist(), dist[q_of == n].tolist()))
        single_ids, single_d = index.lookup(q, 2)
        assert mine == sorted(zip(single_ids.tolist(), single_d.tolist()))


def test_round_trip_through_plain_arrays():
    words = ["house", "horse", "mouse", "hose", "home", "christine", "christian"]
    index = DeletesIndex.build(words)
    arrays = index.to_arrays()
    assert all(isinstance(a, np.ndarray) for a in arrays.values())
    again = DeletesIndex.from_arrays({k: v.copy() for k, v in arrays.items()})
    for q in ("hous", "chirstine", "mose", "x"):
        a, b = index.lookup(q), again.lookup(q)
        assert a[0].tolist() == b[0].tolist() and a[1].tolist() == b[1].tolist()
    assert again.word(5) == "christine"
    del arrays["deletes.postings"]
    with pytest.raises(ModelFileError):
        DeletesIndex.from_arrays(arrays)


def test_bad_arguments():
    index = DeletesIndex.build(["a", "b"])
    with pytest.raises(InputError):
        index.lookup(3)
    with pytest.raises(InputError):
        index.lookup("a", 5)
    with pytest.raises(InputError):
        DeletesIndex.build(["a"], max_distance=0)
