"""The adapter's contract, and the window math the corrector relies on."""

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from next_token.spelling.judge import BOS


def test_window_rows_score_like_the_stream(small):
    judge = small.judge
    sents = judge.sentences("The dog sleeps in the sun. He came from the house.")
    stream = judge.encode(sents)
    N = judge.order
    padded = np.concatenate([np.full(N - 1, BOS), stream])
    pos = np.flatnonzero(stream != BOS)
    rows = np.stack([padded[pos + m] for m in range(N)], axis=1)
    want = judge.lm.model.score_stream(stream.astype(np.uint32)).logprob
    assert np.allclose(judge.window_logprob(rows), want)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_window_difference_is_the_sentence_difference(small, data):
    """Comparing candidates by their window is the same as comparing whole sentences."""
    judge = small.judge
    V = judge.vocab_size
    sent = data.draw(st.lists(st.integers(3, V - 1), min_size=1, max_size=12))
    g = data.draw(st.integers(0, len(sent) - 1)) + 1  # stream position of the word (after <s>)
    cands = np.array(data.draw(st.lists(st.integers(0, V - 1).filter(lambda i: i not in (1, 2)), min_size=2, max_size=6)))
    stream = np.array([BOS] + sent + [2], dtype=np.int64)
    win = small._window_scores(stream, np.full(len(cands), len(stream) - 1), np.full(len(cands), g), cands)
    whole = []
    for c in cands:
        s = stream.copy()
        s[g] = c
        whole.append(judge.lm.model.score_stream(s.astype(np.uint32)).total)
    assert np.allclose(win - win[0], np.array(whole) - whole[0])
