"""The infini-gram estimate against brute-force counting, per context and over whole streams."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from next_token.errors import InputError
from next_token.text.vocab import BOS, EOS
from next_token.unbounded.build import build_index
from next_token.unbounded.estimate import UnboundedModel

SETTINGS = settings(max_examples=80, deadline=None)


def sentences(draw_sizes: list[list[int]]) -> list[int]:
    out = []
    for words in draw_sizes:
        out += [BOS] + words + [EOS]
    return out


corpora = st.lists(st.lists(st.integers(3, 6), max_size=6), min_size=1, max_size=10).map(sentences)
heldout = st.lists(st.lists(st.integers(0, 8), max_size=6), min_size=1, max_size=4).map(sentences)


def brute_estimate(s: list[int], ctx: list[int], cap: int | None = None) -> tuple[int, dict[int, int]]:
    n = len(s)
    best, follow_best = 0, s[:]
    for length in range(1, len(ctx) + 1):
        if cap is not None and length > cap:
            break
        suf = ctx[len(ctx) - length :]
        follow = [s[i + length] for i in range(n - length) if s[i : i + length] == suf]
        if not follow:
            break
        best, follow_best = length, follow
    return best, {t: follow_best.count(t) for t in set(follow_best)}


@SETTINGS
@given(corpora, st.lists(st.integers(0, 8), max_size=8), st.one_of(st.none(), st.integers(0, 3)))
def test_distribution_is_count_ratio_of_longest_suffix(s, ctx, cap):
    model = UnboundedModel(build_index(np.array(s, np.uint32)))
    length, follow = brute_estimate(s, ctx, cap)
    total = sum(follow.values())
    p, match = model.distribution_and_match(ctx, 10, max_suffix_len=cap)
    assert match.suffix_len == length and match.count == total and match.distinct == len(follow)
    assert p.sum() == pytest.approx(1.0)
    for tok in range(10):
        assert p[tok] == pytest.approx(follow.get(tok, 0) / total)
        assert model.prob(ctx, tok, cap) == pytest.approx(follow.get(tok, 0) / total)
    assert model.match(ctx, cap) == match
    ids, probs, m2 = model.top_k(ctx, 3, cap)
    want = sorted(follow, key=lambda t: (-follow[t], t))[:3]
    assert ids.tolist() == want and m2 == match
    assert probs.tolist() == pytest.approx([follow[t] / total for t in want])


@SETTINGS
@given(corpora, heldout, st.booleans(), st.one_of(st.none(), st.integers(0, 3)))
def test_stream_scores_equal_per_context_estimates(s, q, reset, cap):
    model = UnboundedModel(build_index(np.array(s, np.uint32)))
    scores = model.logprobs_stream(np.array(q), reset_at_bos=reset, max_suffix_len=cap)
    assert scores.positions.tolist() == [t for t in range(len(q)) if q[t] != BOS]
    top = model.top_k_stream(scores, k=2)
    for j, t in enumerate(scores.positions.tolist()):
        start = max([i for i in range(t) if q[i] == BOS], default=0) if reset else 0
        ctx = q[start:t]
        length, follow = brute_estimate(s, ctx, cap)
        total = sum(follow.values())
        assert scores.suffix_len[j] == length and scores.count[j] == total
        assert scores.prob[j] == pytest.approx(follow.get(q[t], 0) / total)
        assert bool(scores.sparse[j]) == (len(follow) == 1)
        want = sorted(follow, key=lambda tok: (-follow[tok], tok))[:2]
        assert [x for x in top[j].tolist() if x >= 0] == want


def test_logprob_is_log10_and_zero_for_unseen():
    s = [BOS, 3, 4, EOS, BOS, 3, 5, EOS]
    model = UnboundedModel(build_index(np.array(s, np.uint32)))
    scores = model.logprobs_stream(np.array([BOS, 3, 4, EOS, BOS, 9, EOS]))
    assert scores.positions.tolist() == [1, 2, 3, 5, 6]
    assert scores.prob[1] == pytest.approx(0.5)  # 4 after "<s> 3": one of two
    assert scores.logprob[1] == pytest.approx(np.log10(0.5))
    assert scores.prob[3] == 0.0 and scores.logprob[3] == -np.inf  # 9 never occurs
    assert scores.suffix_len[4] == 0  # after the unseen 9 the context matches nothing


def test_context_crossing_sentences_when_not_reset():
    # the corpus says "</s> <s> 7" always follows a sentence ending in 4
    s = [BOS, 3, 4, EOS, BOS, 7, EOS, BOS, 3, 5, EOS, BOS, 6, EOS]
    model = UnboundedModel(build_index(np.array(s, np.uint32)))
    q = np.array([BOS, 4, EOS, BOS, 7, EOS])
    crossed = model.logprobs_stream(q, reset_at_bos=False)
    reset = model.logprobs_stream(q, reset_at_bos=True)
    j = crossed.positions.tolist().index(4)
    assert crossed.prob[j] == 1.0 and crossed.suffix_len[j] == 3
    assert reset.prob[j] == pytest.approx(0.25) and reset.suffix_len[j] == 1  # 7 is one of 4 after <s>


def test_bad_input():
    model = UnboundedModel(build_index(np.array([BOS, 3, EOS], np.uint32)))
    with pytest.raises(InputError):
        model.distribution([3], vocab_size=0)
    with pytest.raises(InputError):
        model.distribution([BOS], vocab_size=3)  # 3 follows <s>: beyond the vocabulary
    with pytest.raises(InputError):
        model.top_k([3], 0)
    with pytest.raises(InputError):
        model.logprobs_stream(np.array([[1, 2]]))
    with pytest.raises(InputError):
        model.logprobs_stream(np.array([1, 2]), max_suffix_len=-1)
    empty = model.logprobs_stream(np.array([BOS, BOS]))
    assert len(empty) == 0 and model.top_k_stream(empty).shape == (0, 1)


def test_explain_shows_the_matched_suffix_and_its_sentences():
    s = [BOS, 3, 4, 5, EOS, BOS, 6, 3, 4, 7, EOS, BOS, 8, EOS]
    model = UnboundedModel(build_index(np.array(s, np.uint32)))
    ex = model.explain([9, 6, 3, 4], limit=2)
    assert ex.suffix.tolist() == [6, 3, 4] and ex.match.suffix_len == 3 and ex.match.count == 1
    assert len(ex.occurrences) == 1
    o = ex.occurrences[0]
    assert o.ids.tolist() == [BOS, 6, 3, 4, 7, EOS] and o.ids[o.match_start + o.match_len] == 7
    short = model.explain([3, 4], limit=5)
    assert short.match.count == 2 and len(short.occurrences) == 2
    assert model.explain([99]).occurrences == [] and model.explain([99]).match.suffix_len == 0


def test_top_k_stream_in_small_chunks_equals_one_pass(monkeypatch):
    import next_token.unbounded.estimate as ub

    rng = np.random.default_rng(2)
    s = []
    for _ in range(300):
        s += [BOS] + rng.integers(3, 12, rng.integers(1, 8)).tolist() + [EOS]
    model = UnboundedModel(build_index(np.array(s, np.uint32)))
    q = np.array(s[: len(s) // 3])
    scores = model.logprobs_stream(q)
    whole = model.top_k_stream(scores, 3)
    monkeypatch.setattr(ub, "_BATCH_SLOTS", 7)
    assert np.array_equal(UnboundedModel(model.index).top_k_stream(scores, 3), whole)
