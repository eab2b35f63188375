"""Exact top-k, distributions and scoring of NgramModel against brute force."""

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from next_token.errors import InputError
from next_token.model_file import read_model_file, write_model_file
from next_token.ngram.build import ngram_from_rows, ngram_from_stream
from next_token.ngram.kneser_ney import DiscountFallbackWarning
from next_token.ngram.model import NgramModel

V = 12
sentences_st = st.lists(st.lists(st.integers(3, V - 1), min_size=0, max_size=10), min_size=1, max_size=15)


def _model(sentences, order):
    flat = []
    for s in sentences:
        flat += [1] + s + [2]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DiscountFallbackWarning)
        return ngram_from_stream(np.array(flat, dtype=np.uint32), order, V)


def _brute_topk(dist, k):
    order = np.lexsort((np.arange(len(dist)), -dist))
    order = order[dist[order] > 0]
    return order[:k], dist[order[:k]]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sentences=sentences_st, order=st.integers(1, 5), context=st.lists(st.integers(0, V - 1), max_size=6),
       k=st.integers(1, V + 2))
def test_topk_equals_brute_force_scan(sentences, order, context, k):
    model = _model(sentences, order)
    dist = model.distribution(context)
    ids, probs = model.top_k(context, k)
    want_ids, want_p = _brute_topk(dist, k)
    np.testing.assert_allclose(probs, want_p, rtol=1e-6)
    # Ties may order differently only among equal probabilities; each id carries its own p.
    np.testing.assert_allclose(dist[ids], probs, rtol=1e-6)
    assert len(set(ids.tolist())) == len(ids)
    assert dist.sum() == pytest.approx(1.0, abs=1e-5)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sentences=sentences_st, order=st.integers(1, 5), text=sentences_st)
def test_stream_scores_equal_distribution_lookups(sentences, order, text):
    model = _model(sentences, order)
    flat = []
    for s in text:
        flat += [1] + s + [2]
    stream = np.array(flat, dtype=np.int64)
    scores = model.score_stream(stream)
    expected = []
    for pos in scores.positions.tolist():
        start = max(i for i in range(pos + 1) if stream[i] == 1)
        dist = model.distribution(stream[start:pos])
        expected.append(np.log10(dist[stream[pos]]))
    np.testing.assert_allclose(scores.logprob, expected, rtol=1e-5, atol=1e-6)
    assert len(scores.logprob) == len(stream) - sum(1 for _ in text)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(st.lists(st.integers(0, 5), min_size=3, max_size=3), min_size=1, max_size=40),
       query=st.lists(st.integers(0, 5), min_size=3, max_size=3))
def test_rows_model_is_a_distribution_and_scores_consistently(rows, query):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DiscountFallbackWarning)
        model = ngram_from_rows(np.array(rows), 6)
    dist = model.distribution(query[:2])
    assert dist.sum() == pytest.approx(1.0, abs=1e-5)
    assert (dist > 0).all()
    lp = model.logprob_rows(np.array([query]))
    assert lp[0] == pytest.approx(np.log10(dist[query[2]]), abs=1e-5)
    ids, probs = model.top_k(query[:2], 3)
    np.testing.assert_allclose(probs, np.sort(dist)[::-1][:3], rtol=1e-6)


def test_seen_continuations_rank_first():
    model = _model([[3, 4, 5], [3, 4, 5], [3, 4, 6], [7, 8]], 3)
    ids, probs = model.top_k([1, 3, 4], 2)
    assert ids.tolist() == [5, 6]
    assert probs[0] > probs[1]


def test_bad_arguments_raise_input_error():
    model = _model([[3, 4, 5]], 2)
    with pytest.raises(InputError):
        model.top_k([1], 0)
    with pytest.raises(InputError):
        model.top_k([99], 3)


def test_round_trip_through_a_model_file(tmp_path):
    model = _model([[3, 4, 5, 6], [3, 4, 7], [5, 6, 3]], 3)
    meta, arrays = model.to_arrays()
    write_model_file(tmp_path / "m.ntp", "test", meta, arrays)
    _, meta2, arrays2 = read_model_file(tmp_path / "m.ntp")
    back = NgramModel.from_arrays(meta2, arrays2)
    for ctx in ([1], [1, 3], [1, 3, 4], [4, 5]):
        np.testing.assert_array_equal(back.distribution(ctx), model.distribution(ctx))
        assert back.top_k(ctx, 4)[0].tolist() == model.top_k(ctx, 4)[0].tolist()


def test_many_rows_score_like_few():
    """Large query batches take a sorted path; it must agree with the small-batch one."""
    rng = np.random.default_rng(0)
    rows = rng.integers(0, 6, size=(2000, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DiscountFallbackWarning)
        model = ngram_from_rows(rows, 6)
    big = model.logprob_rows(rows)
    small = np.concatenate([model.logprob_rows(rows[i : i + 50]) for i in range(0, len(rows), 50)])
    np.testing.assert_allclose(big, small)
