"""Estimation against KenLM's own ARPA files and against a slow reference implementation."""

import gzip
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from next_token.ngram.build import ngram_from_stream
from next_token.ngram.counting import count_stream
from next_token.ngram.kneser_ney import DiscountFallbackWarning, discounts, estimate
from next_token.text.vocab import Vocabulary
from reference_kn import ReferenceKN
from shared_data import KENLM_DIR, need_shared


def _arpa_entries(path):
    entries, order = {}, 0
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("\\") and line.endswith("-grams:"):
                order = int(line[1:].split("-")[0])
            elif order and line and not line.startswith("\\"):
                parts = line.split("\t")
                bo = float(parts[2]) if len(parts) > 2 else 0.0
                entries[tuple(parts[1].split(" "))] = (float(parts[0]), bo)
    return entries


def _our_entries(counts, est, vocab):
    V = counts.vocab_size
    text = [(t,) for t in vocab.tokens]
    out = {}
    for n in range(counts.order):
        if n:
            keys = counts.keys[n]
            text = [text[p] + (vocab.tokens[w],) for p, w in zip((keys // V).tolist(), (keys % V).tolist())]
        bo = est.backoff[n].tolist() if n < counts.order - 1 else [0.0] * len(text)
        for g, lp, b in zip(text, est.logprob[n].tolist(), bo):
            out[g] = (lp, b)
    return out


@pytest.mark.parametrize("order", [3, 5])
def test_every_ngram_matches_kenlm_arpa(order):
    """Same n-gram set as lmplz, and every log10 probability and backoff within 1e-4."""
    arpa = need_shared(KENLM_DIR / f"books_head90.o{order}.arpa.gz")
    with open(KENLM_DIR / "books_head90.txt", encoding="utf-8") as f:
        vocab, stream = Vocabulary.build(line.split() for line in f)
    counts = count_stream(stream, order, len(vocab))
    est = estimate(counts)
    ours, ref = _our_entries(counts, est, vocab), _arpa_entries(arpa)
    assert set(ours) == set(ref)
    diff = max(max(abs(a[0] - ref[g][0]), abs(a[1] - ref[g][1])) for g, a in ours.items())
    assert diff < 1e-4


@pytest.mark.parametrize("order,ppl,ppl_excl", [(3, 250.27, 173.35), (5, 245.98, 170.44)])
def test_perplexity_matches_kenlm_query(order, ppl, ppl_excl):
    need_shared(KENLM_DIR / "books_tail10.txt")
    with open(KENLM_DIR / "books_head90.txt", encoding="utf-8") as f:
        vocab, stream = Vocabulary.build(line.split() for line in f)
    model = ngram_from_stream(stream, order, len(vocab))
    with open(KENLM_DIR / "books_tail10.txt", encoding="utf-8") as f:
        test = vocab.encode_sentences(line.split() for line in f)
    s = model.score_stream(test)
    assert len(s.logprob) == 32859 and s.oov == 1612
    assert s.perplexity(True) == pytest.approx(ppl, rel=1e-3)
    assert s.perplexity(False) == pytest.approx(ppl_excl, rel=1e-3)


sentences_st = st.lists(st.lists(st.integers(3, 9), min_size=0, max_size=8), min_size=1, max_size=12)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sentences=sentences_st, order=st.integers(1, 4), context=st.lists(st.integers(0, 9), max_size=5))
def test_distribution_equals_reference_implementation(sentences, order, context):
    """Backoff-form tables reproduce the interpolated recursion computed the slow way."""
    V = 10
    flat = []
    for s in sentences:
        flat += [1] + s + [2]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DiscountFallbackWarning)
        model = ngram_from_stream(np.array(flat, dtype=np.uint32), order, V)
    ref = ReferenceKN(sentences, order, V)
    ctx = [1] + context
    ours = model.distribution(ctx)
    want = np.array(ref.distribution(ctx))
    np.testing.assert_allclose(ours, want, rtol=1e-5, atol=1e-7)
    assert ours.sum() == pytest.approx(1.0, abs=1e-5)


def test_discounts_follow_chen_goodman():
    # t1..t4 = 4, 2, 1, 1 -> Y = 4/8; D1 = 1 - 2*.5*2/4, D2 = 2 - 3*.5*1/2, D3 = 3 - 4*.5*1/1
    adjusted = np.array([1, 1, 1, 1, 2, 2, 3, 4])
    d, why = discounts(adjusted, 2)
    assert why is None
    assert d == pytest.approx((0.5, 1.25, 1.0))


def test_too_little_data_falls_back_with_a_clear_warning():
    stream = np.array([1, 3, 4, 2], dtype=np.uint32)
    with pytest.warns(DiscountFallbackWarning, match="very small or artificial"):
        model = ngram_from_stream(stream, 3, 5)
    assert model.distribution([1, 3]).sum() == pytest.approx(1.0)
