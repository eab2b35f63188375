"""The mixing rule, its EM fit, the copy guard and the copy measurements."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from next_token.errors import EstimationError, InputError
from next_token.text.vocab import BOS, EOS
from next_token.unbounded.build import build_index
from next_token.unbounded.estimate import UnboundedModel
from next_token.unbounded.mixing import (
    DEFAULT_COPY_GUARD,
    CopyGuard,
    HybridWeights,
    copy_rate,
    fit_weights,
    heldout_split,
    hybrid_distribution,
    hybrid_logprobs,
    hybrid_top_k,
    longest_copied_span,
    mix,
)


def synthetic_heldout(seed: int, n: int = 6000):
    """Tokens in two kinds of context: long sparse matches, where the infinity-gram is usually
    right, and short matches, where it is often 0 and the n-gram should dominate."""
    rng = np.random.default_rng(seed)
    long_ = rng.random(n) < 0.5
    suffix_len = np.where(long_, 12, 1)
    count = np.where(long_, 1, 500)
    sparse = long_
    right = rng.random(n) < np.where(long_, 0.9, 0.3)
    pu = np.where(right, np.where(long_, 1.0, rng.uniform(0.05, 0.5, n)), 0.0)
    pn = rng.uniform(0.001, 0.2, n)
    return {"suffix_len": suffix_len, "count": count, "sparse": sparse}, pu, pn


def loglik(lam, pu, pn):
    return float(np.sum(np.log(lam * pu + (1 - lam) * pn)))


@pytest.mark.parametrize("seed", range(3))
def test_em_finds_the_per_bucket_optimum(seed):
    info, pu, pn = synthetic_heldout(seed)
    w = fit_weights(info, pu, pn, prior=0.0)
    lam = w.lam(info["suffix_len"], info["count"], info["sparse"])
    grid = np.linspace(0, 0.995, 400)
    for group in (info["sparse"], ~info["sparse"]):
        best = grid[np.argmax([loglik(g, pu[group], pn[group]) for g in grid])]
        assert lam[group][0] == pytest.approx(best, abs=0.01)
    # long sparse matches get far more weight than short ones
    assert lam[info["sparse"]][0] > 0.7 > 0.4 > lam[~info["sparse"]][0]
    # and the fit beats every constant weight on the data it was fitted on
    fitted = loglik(lam, pu, pn)
    assert all(fitted >= loglik(g, pu, pn) - 1e-9 for g in grid)


def test_prior_shrinks_thin_buckets_toward_their_parent():
    info, pu, pn = synthetic_heldout(0, 4000)
    # one token in a bucket of its own, where the infinity-gram happened to be right
    info = {k: np.append(v, x) for (k, v), x in zip(info.items(), (3, 7, True))}
    pu, pn = np.append(pu, 1.0), np.append(pn, 0.01)
    loose = fit_weights(info, pu, pn, prior=0.0).lam(3, 7, True)
    shrunk = fit_weights(info, pu, pn, prior=20.0).lam(3, 7, True)
    assert loose > 0.99 and shrunk < 0.9


def test_weights_round_trip_through_json():
    info, pu, pn = synthetic_heldout(1)
    w = fit_weights(info, pu, pn)
    back = HybridWeights.from_meta(json.loads(json.dumps(w.to_meta())))
    assert np.allclose(back.lambdas, w.lambdas, atol=1e-6) and (back.support == w.support).all()
    assert back.len_edges == w.len_edges and back.count_edges == w.count_edges
    assert w.support.sum() == pu.size


def test_hybrid_logprobs_is_log10_of_the_mixture():
    info, pu, pn = synthetic_heldout(2, 100)
    w = fit_weights(info, pu, pn)
    got = hybrid_logprobs(info, pu, np.log10(pn), w)
    lam = w.lam(info["suffix_len"], info["count"], info["sparse"])
    assert np.allclose(got, np.log10(lam * pu + (1 - lam) * pn))
    assert np.all(np.isfinite(got))  # the n-gram keeps every token possible


def test_bad_fit_input():
    info, pu, pn = synthetic_heldout(0, 50)
    with pytest.raises(EstimationError):
        fit_weights(info, pu, np.where(np.arange(50) == 3, 0.0, pn))
    with pytest.raises(InputError):
        fit_weights(info, pu[:-1], pn)
    with pytest.raises(InputError):
        fit_weights({"suffix_len": info["suffix_len"]}, pu, pn)
    with pytest.raises(EstimationError):
        fit_weights({"suffix_len": [], "count": [], "sparse": []}, [], [])
    with pytest.raises(InputError):
        HybridWeights(np.full((2, 2, 2), 1.5), (0, 1), (1, 2))


CORPUS = [BOS, 3, 4, 5, 6, 7, EOS, BOS, 3, 4, 8, EOS, BOS, 9, 4, 5, EOS]


def test_hybrid_distribution_mixes_and_guards():
    index = build_index(np.array(CORPUS, np.uint32))
    model = UnboundedModel(index)
    vocab = 10
    pn = np.full(vocab, 1.0 / vocab)
    w = HybridWeights.constant(0.8)
    step = hybrid_distribution(model, [BOS, 3, 4, 5], pn, w)
    assert step.match.suffix_len == 4 and step.lam == pytest.approx(0.8)
    assert step.probs.sum() == pytest.approx(1.0)
    assert step.probs[6] == pytest.approx(0.8 * 1.0 + 0.2 * 0.1)
    assert np.allclose(step.probs, mix(model.distribution([BOS, 3, 4, 5], vocab), pn, 0.8))
    # the match reaches 4 tokens back; with 3 of them generated, a run cap of 3 switches it off
    guard = CopyGuard(max_copy_run=3)
    assert hybrid_distribution(model, [BOS, 3, 4, 5], pn, w, guard=guard, n_generated=2).lam == pytest.approx(0.8)
    off = hybrid_distribution(model, [BOS, 3, 4, 5], pn, w, guard=guard, n_generated=3)
    assert off.lam == 0.0 and np.allclose(off.probs, pn)
    # a suffix-length cap makes the estimate use at most that many tokens
    capped = hybrid_distribution(model, [BOS, 3, 4, 5], pn, w, guard=CopyGuard(max_suffix_len=1))
    assert capped.match.suffix_len == 1 and capped.match.count == 2
    assert DEFAULT_COPY_GUARD.max_copy_run == 16 and DEFAULT_COPY_GUARD.max_suffix_len is None
    with pytest.raises(InputError):
        hybrid_distribution(model, [3], pn * 2, w)
    with pytest.raises(InputError):
        CopyGuard(max_copy_run=0)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(3, 5), min_size=1, max_size=40),
    st.lists(st.integers(3, 6), max_size=25),
)
def test_longest_copied_span_matches_brute_force(corpus, seq):
    index = build_index(np.array(corpus, np.uint32))
    span = longest_copied_span(seq, index)
    best = 0
    for i in range(len(seq)):
        for j in range(i + 1, len(seq) + 1):
            if any(corpus[p : p + j - i] == seq[i:j] for p in range(len(corpus) - (j - i) + 1)):
                best = max(best, j - i)
    assert span.length == best
    if best:
        assert seq[span.start : span.start + best] == corpus[span.corpus_position : span.corpus_position + best]


def test_copy_rate():
    index = build_index(np.array(CORPUS, np.uint32))
    seqs = [[3, 4, 5, 6, 7], [4, 8, 3], [9, 9, 9]]
    assert copy_rate(seqs, index, min_len=5) == pytest.approx(1 / 3)
    assert copy_rate(seqs, index, min_len=2) == pytest.approx(2 / 3)
    with pytest.raises(InputError):
        copy_rate([], index)


def test_heldout_split_partitions_sentences():
    rng = np.random.default_rng(0)
    sents = [[BOS] + rng.integers(3, 50, rng.integers(1, 9)).tolist() + [EOS] for _ in range(400)]
    ids = np.array(sum(sents, []), np.uint32)
    train, held = heldout_split(ids, fraction=0.1, blocks=4)
    assert train.size + held.size == ids.size
    n_held = int((held == BOS).sum())
    assert n_held == 40 and int((train == BOS).sum()) == 360
    # the last 10 sentences of each block of 100 are held out, in order
    want = sum(sents[90:100] + sents[190:200] + sents[290:300] + sents[390:400], [])
    assert held.tolist() == want
    with pytest.raises(InputError):
        heldout_split(ids, fraction=1.5)
    with pytest.raises(InputError):
        heldout_split(np.array([3, 4], np.uint32))


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(3, 7), min_size=2, max_size=40),
    st.lists(st.integers(3, 7), max_size=5),
    st.integers(1, 6),
    st.floats(0.0, 0.99),
    st.integers(0, 2**31),
)
def test_hybrid_top_k_equals_brute_force_over_the_vocabulary(corpus, ctx, k, lam, seed):
    vocab = 9
    rng = np.random.default_rng(seed)
    pn = rng.dirichlet(np.ones(vocab))
    pn[rng.integers(0, vocab)] = pn.max()  # a tie, to check the tie-break
    pn /= pn.sum()
    model = UnboundedModel(build_index(np.array(corpus, np.uint32)))
    w = HybridWeights.constant(lam)

    def ngram_top_k(kk):
        order = np.lexsort((np.arange(vocab), -pn))[:kk]
        return order, pn[order]

    ids, probs, got_lam, match = hybrid_top_k(model, ctx, k, w, ngram_top_k, lambda ids: pn[ids])
    full = hybrid_distribution(model, ctx, pn, w).probs
    want = np.lexsort((np.arange(vocab), -full))[:k]
    assert ids.tolist() == want.tolist()
    assert np.allclose(probs, full[want]) and got_lam == pytest.approx(lam)
