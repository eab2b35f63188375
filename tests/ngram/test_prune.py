"""Pruning: count cutoffs equal lmplz --prune, relative-entropy pruning keeps a proper distribution,
and every pruned model still answers top-k exactly."""

import os
import shutil
import subprocess
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from next_token import LanguageModel
from next_token.errors import InputError
from next_token.ngram import prune as P
from next_token.ngram.arpa import read_arpa
from next_token.ngram.build import ngram_from_stream
from next_token.ngram.kneser_ney import DiscountFallbackWarning
from next_token.text.corpus import Text
from next_token.text.vocab import Vocabulary
from next_token.training import TrainingConfig
from shared_data import KENLM_DIR, need_shared

V = 12
sentences_st = st.lists(st.lists(st.integers(3, V - 1), min_size=0, max_size=12), min_size=1, max_size=20)


def _stream(sentences):
    flat = []
    for s in sentences:
        flat += [1] + s + [2]
    return np.array(flat, dtype=np.uint32)


def _model(sentences, order, prune=None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DiscountFallbackWarning)
        return ngram_from_stream(_stream(sentences), order, V, prune=prune)


def _contexts(model, rng, n=6):
    return [rng.integers(0, V, size=rng.integers(0, model.order)).tolist() for _ in range(n)]


def _check_proper(model, contexts):
    """Each context's distribution sums to 1 and top-k equals a brute-force scan of it."""
    for ctx in contexts:
        dist = model.distribution(ctx)
        assert dist.sum() == pytest.approx(1.0, abs=1e-5)
        ids, probs = model.top_k(ctx, 5)
        want = np.lexsort((np.arange(V), -dist))[:5]
        np.testing.assert_allclose(probs, dist[want], rtol=1e-6)
        np.testing.assert_allclose(dist[ids], probs, rtol=1e-6)


def _closed(model):
    """Every stored n-gram's prefix and suffix are stored too."""
    parents, words = P.parents_and_words(model)
    sfx = P.suffixes(model, parents, words)
    for n in range(3, model.order + 1):
        assert (parents[n] < model.sizes[n - 2]).all()
        assert (sfx[n] >= 0).all()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sentences=sentences_st, order=st.integers(2, 4), cut=st.integers(1, 2), seed=st.integers(0, 99))
def test_count_cutoffs_keep_a_proper_distribution(sentences, order, cut, seed):
    model = _model(sentences, order, prune=[0] + [cut] * (order - 1))
    full = _model(sentences, order)
    assert all(a <= b for a, b in zip(model.sizes, full.sizes))
    _closed(model)
    _check_proper(model, _contexts(model, np.random.default_rng(seed)))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sentences=sentences_st, order=st.integers(2, 5), quantile=st.floats(0.05, 0.95), seed=st.integers(0, 99))
def test_relative_entropy_pruning_renormalizes(sentences, order, quantile, seed):
    full = _model(sentences, order)
    costs = np.concatenate([c for c in P.relative_entropy(full)[1:]])
    if len(costs) == 0 or costs.max() <= 0:
        return
    assert (costs >= 0).all()
    threshold = float(np.quantile(costs[costs > 0], quantile))
    pruned = P.prune_entropy(full, threshold)
    assert sum(pruned.sizes) <= sum(full.sizes)
    assert pruned.sizes[0] == full.sizes[0]  # unigrams are never pruned
    _closed(pruned)
    _check_proper(pruned, _contexts(pruned, np.random.default_rng(seed)))
    # the kept n-grams keep their probabilities
    for n in range(2, order + 1):
        kept = pruned.lookup(n, *_split(pruned, n))
        assert (kept >= 0).all()
        old = full.lookup(n, *_split_in(full, pruned, n))
        np.testing.assert_array_equal(full.logprob[n - 1][old], pruned.logprob[n - 1])


def _split(model, n):
    k = np.asarray(model.keys[n - 1]).astype(np.int64)
    return k // model.vocab_size, k % model.vocab_size


def _split_in(full, pruned, n):
    """The pruned model's n-grams of order n as (parent index in `full`, word)."""
    parent, word = _split(pruned, n)
    if n > 2:
        p_parent, p_word = _split_in(full, pruned, n - 1)
        parent = full.lookup(n - 1, p_parent, p_word)[parent]
    return parent, word


def test_renormalizing_an_unpruned_model_changes_nothing():
    model = _model([[3, 4, 5, 6], [3, 4, 7], [5, 6, 3], [4, 4, 5], [8, 9, 3, 4]], 3)
    again = P.renormalize(model)
    for a, b in zip(model.backoff, again.backoff):
        np.testing.assert_allclose(a, b, atol=1e-6)


def test_a_higher_threshold_keeps_fewer_ngrams_and_size_search_meets_its_target():
    rng = np.random.default_rng(1)
    sentences = [rng.integers(3, V, size=rng.integers(2, 12)).tolist() for _ in range(300)]
    full = _model(sentences, 4)
    low, high = P.prune_entropy(full, 1e-6), P.prune_entropy(full, 1e-4)
    assert sum(high.sizes) < sum(low.sizes) <= sum(full.sizes)

    def size_of(model, keep):  # a stand-in for bytes: the number of stored n-grams
        return sum(model.sizes) if keep is None else model.sizes[0] + sum(int(k.sum()) for k in keep[1:])

    target = int(sum(full.sizes) * 0.7)
    pruned, threshold = P.prune_to_size(full, size_of, target)
    assert threshold is not None and sum(pruned.sizes) <= target
    assert sum(pruned.sizes) > sum(P.prune_entropy(full, threshold * 4).sizes)  # not pruned more than needed
    assert P.prune_to_size(full, size_of, sum(full.sizes))[1] is None


def test_thresholds_are_checked():
    assert P.check_thresholds([0, 1], 4) == [0, 1, 1, 1]
    for bad in ([1, 1], [0, 2, 1], [], [0, -1], [0, 1, 1, 1, 1]):
        with pytest.raises(InputError):
            P.check_thresholds(bad, 4)
    with pytest.raises(InputError):
        TrainingConfig(order=3, prune=(0, 1), memory="1G")
    with pytest.raises(InputError):
        P.prune_entropy(_model([[3, 4, 5]], 2), 0.0)


def test_training_with_count_cutoffs():
    text = "The cat sat on the mat. The cat sat on the hat. A dog sat on the mat. " * 3 + "A bird flew."
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DiscountFallbackWarning)
        full = LanguageModel.train([Text(text)], order=3)
        small = LanguageModel.train([Text(text)], order=3, prune=(0, 1))
    assert small.model.sizes[0] == full.model.sizes[0] and sum(small.model.sizes) < sum(full.model.sizes)
    assert small.model.meta["pruned"] == {"method": "count", "thresholds": [0, 1, 1]}
    assert small.predict("The cat", k=1)[0].token == "sat"


def _lmplz() -> str | None:
    found = shutil.which("lmplz")
    return found or ("/usr/local/bin/lmplz" if os.access("/usr/local/bin/lmplz", os.X_OK) else None)


@pytest.mark.skipif(_lmplz() is None, reason="KenLM's lmplz is not installed")
def test_count_cutoffs_equal_lmplz_prune(tmp_path):
    text = need_shared(KENLM_DIR / "books_head90.txt")
    lmplz = _lmplz()
    prune = [0, 1, 2]
    arpa = tmp_path / "pruned.arpa"
    with open(text, "rb") as fin, open(arpa, "wb") as fout:
        subprocess.run([lmplz, "-o", "3", "-S", "300M", "-T", str(tmp_path), "--prune", *map(str, prune)],
                       stdin=fin, stdout=fout, stderr=subprocess.DEVNULL, check=True)
    theirs, their_vocab = read_arpa(arpa)
    with open(text, encoding="utf-8") as f:
        vocab, stream = Vocabulary.build(line.split() for line in f)
    ours = ngram_from_stream(stream, 3, len(vocab), prune=prune)
    assert list(their_vocab.tokens) == list(vocab.tokens)
    assert ours.sizes == theirs.sizes
    for n in range(3):
        if n:
            np.testing.assert_array_equal(np.asarray(ours.keys[n]).astype(np.int64),
                                          np.asarray(theirs.keys[n]).astype(np.int64))
        np.testing.assert_allclose(ours.logprob[n], theirs.logprob[n], atol=1e-6)
        if n < 2:
            np.testing.assert_allclose(ours.backoff[n], theirs.backoff[n], atol=1e-6)
