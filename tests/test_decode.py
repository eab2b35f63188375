"""decode.py against the model it decodes: greedy, beam search and sampling, on a small n-gram."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from next_token.decode import RepeatGuard, beam_search, greedy, sample
from next_token.ngram.build import ngram_from_stream
from next_token.text.vocab import BOS, EOS, UNK, Vocabulary

TEXT = [
    "the cat sat on the mat".split(), "the dog sat on the log".split(), "a cat saw the dog".split(),
    "the cat saw a bird on the mat".split(), "the bird sat on the dog".split(),
] * 3


@pytest.fixture(scope="module")
def model():
    vocab, stream = Vocabulary.build(TEXT)
    return ngram_from_stream(stream, 3, len(vocab), discount_fallback="ignore"), vocab


def test_greedy_takes_the_best_allowed_token_each_step(model):
    m, vocab = model
    ctx = [BOS, vocab.id("the")]
    steps = greedy(m, ctx, 20, no_repeat_ngram=None)
    assert steps and steps[-1][0] == EOS or len(steps) == 20
    c = list(ctx)
    for tok, p in steps:
        ids, probs = m.top_k(c, 3)
        best = int(ids[0]) if ids[0] != UNK else int(ids[1])
        assert tok == best and math.isclose(p, float(probs[list(ids).index(tok)]))
        c = [BOS] if tok == EOS else c + [tok]


@given(st.lists(st.integers(3, 8), min_size=0, max_size=30), st.integers(1, 4))
def test_repeat_guard_vetoes_exactly_the_seen_ngrams(history, n):
    guard = RepeatGuard(n, history)
    seen = {tuple(history[i : i + n]) for i in range(len(history) - n + 1)}
    tail = tuple(history[len(history) - n + 1 :]) if n > 1 else ()
    for t in range(3, 9):
        if len(history) >= n - 1:
            assert guard.allows(t) == (tail + (t,) not in seen)


def test_greedy_never_repeats_a_trigram_when_asked(model):
    m, vocab = model
    out = [t for t, _ in greedy(m, [BOS, vocab.id("the")], 60, no_repeat_ngram=3, stop_at_eos=False)]
    grams = [tuple(out[i : i + 3]) for i in range(len(out) - 2)]
    assert len(grams) == len(set(grams))


def test_beam_search_scores_are_the_models_and_sorted(model):
    m, vocab = model
    ctx = [BOS, vocab.id("the")]
    found = beam_search(m, ctx, 4, 12)
    assert 1 <= len(found) <= 4 * 4
    scores = []
    for toks, lp, score in found:
        c, total = list(ctx), 0.0
        for t in toks:
            total += math.log(float(m.probabilities(c, [t])[0]))
            c.append(t)
        if len(toks) < 12:  # ended the sentence: </s> is part of the probability
            total += math.log(float(m.probabilities(c, [EOS])[0]))
        assert math.isclose(lp, total, rel_tol=1e-6)  # float32 tables, summed two ways
        assert math.isclose(score, lp / (len(toks) + (len(toks) < 12)) ** 0.7, rel_tol=1e-9)
        scores.append(score)
    assert scores == sorted(scores, reverse=True)


def test_sampling_is_reproducible_and_greedy_at_zero_temperature(model):
    m, vocab = model
    ctx = [BOS, vocab.id("the")]
    a = list(sample(m, ctx, 30, np.random.default_rng(7)))
    b = list(sample(m, ctx, 30, np.random.default_rng(7)))
    assert a == b
    cold = [t for t, _ in sample(m, ctx, 8, np.random.default_rng(1), temperature=0, stop_at_eos=True)]
    assert cold == [t for t, _ in greedy(m, ctx, 8, no_repeat_ngram=None)]
    top1 = [t for t, _ in sample(m, ctx, 8, np.random.default_rng(2), top_k=1, stop_at_eos=True)]
    assert top1 == cold


def test_sampling_draws_tokens_in_proportion(model):
    m, vocab = model
    ctx = [BOS, vocab.id("the")]
    p = m.distribution(ctx)
    rng = np.random.default_rng(0)
    draws = np.array([next(sample(m, ctx, 1, rng))[0] for _ in range(4000)])
    counts = np.bincount(draws, minlength=len(p))
    expected = p * len(draws)
    assert counts[UNK] == 0  # <unk> is never written
    big = expected > 50
    assert np.all(np.abs(counts[big] - expected[big]) < 5 * np.sqrt(expected[big]) + 5)


def test_top_p_draws_only_from_the_nucleus(model):
    m, vocab = model
    ctx = [BOS, vocab.id("the")]
    ids, probs = m.top_k(ctx, len(vocab))
    keep = ids[ids != UNK][: int(np.searchsorted(np.cumsum(probs[ids != UNK]), 0.5)) + 1]
    rng = np.random.default_rng(3)
    drawn = {next(sample(m, ctx, 1, rng, top_p=0.5))[0] for _ in range(300)}
    assert drawn <= set(keep.tolist())


def test_beam_search_ends_a_sentence_only_where_the_corpus_did():
    """"sys ." ends sentences, but after "Python sys ." the corpus always went on ("sys.path"):
    a completion must not stop there, as it would if the shorter context's end counted."""
    import warnings

    from next_token import LanguageModel

    text = " ".join(["Note that unlike the Python sys.path list, the value is fine."]
                    + ["You import sys.", "We import sys.", "Then use sys.path too.", "They import sys."] * 5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lm = LanguageModel.train(text=text, order=4, discount_fallback="ignore")
    found = [c.text for c in lm.completions("Note that", k=5)]
    assert found and all(t.endswith(("too.", "fine.")) for t in found), found


def test_beam_search_closes_only_open_brackets_and_closes_its_own():
    """A trigram forgets the "(" of "The function (which is called by the loader when needed)":
    without the bracket rule "The loader is called" goes on "by the loader when needed) returns
    None." Completions close only brackets that are open, and close the ones they open."""
    import warnings

    from next_token import LanguageModel

    text = " ".join(["The function (which is called by the loader when needed) returns None.",
                     "The loader is called by the module when needed by the user.",
                     "A list [of all the names that the module exports] is kept.",
                     "The names that the module exports are listed here."] * 4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lm = LanguageModel.train(text=text, order=3, discount_fallback="ignore")

    def depth_after(text, depth=0):
        for t in lm.tokenizer.tokenize(text):
            depth += (t in "([") - (t in ")]")
            assert depth >= 0, text
        return depth

    for prompt in ("The loader is called", "The names that"):
        found = lm.completions(prompt, k=5)
        assert len(found) >= 3 and all(depth_after(c.text) == 0 for c in found), [c.text for c in found]
    found = [c.text for c in lm.completions("The function (which is", k=5)]
    assert all(depth_after(t, 1) in (0, 1) for t in found) and any(depth_after(t, 1) == 0 for t in found)
