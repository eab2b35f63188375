"""Neighbour contexts, border ids, wavefront schedule and the Gibbs lattice."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from next_token.errors import InputError
from next_token.image.context import (
    DEFAULT_CONTEXT,
    NEIGHBOURS,
    gather,
    gibbs_lattice,
    ngram_rows,
    offsets_of,
    pad,
    scanline_rows,
    wavefronts,
)


def _slow_rows(ids, offsets, border):
    h, w = ids.shape
    out = []
    for y in range(h):
        for x in range(w):
            ctx = [ids[y + dy, x + dx] if 0 <= y + dy < h and 0 <= x + dx < w else border for dy, dx in offsets]
            out.append(ctx + [ids[y, x]])
    return np.array(out)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 6), st.integers(1, 6), st.permutations(sorted(NEIGHBOURS)), st.integers(0, 12))
def test_rows_match_a_per_pixel_loop(h, w, names, n):
    ids = np.random.default_rng(h * 7 + w).integers(0, 5, (h, w))
    off = offsets_of(names[:n])
    rows = ngram_rows(ids, off, 5)
    assert rows.shape == (h * w, n + 1)
    assert np.array_equal(rows, _slow_rows(ids, off, 5))
    padded, top, left = pad(ids, off, 5)
    ys, xs = np.divmod(np.arange(h * w), w)
    assert np.array_equal(gather(padded, top, left, ys, xs, off), rows[:, :-1])


def test_default_context_order_and_errors():
    off = offsets_of(DEFAULT_CONTEXT)
    assert off[-1].tolist() == [0, -1] and off[-2].tolist() == [-1, 0]  # W, then N, are kept longest
    assert offsets_of("nn, ww,w").tolist() == [[-2, 0], [0, -2], [0, -1]]
    with pytest.raises(InputError, match="unknown"):
        offsets_of(["W", "E"])
    with pytest.raises(InputError, match="twice"):
        offsets_of(["W", "W"])


def test_scanline_runs_across_rows():
    rows = scanline_rows(np.array([[1, 2], [3, 4]]), 9)
    assert rows.tolist() == [[9, 1], [1, 2], [2, 3], [3, 4]]


@pytest.mark.parametrize("names", [DEFAULT_CONTEXT, ("W", "NEE", "N"), ("NNE", "W")])
def test_wavefronts_respect_dependencies(names):
    off = offsets_of(names)
    h, w = 7, 9
    ys, xs = np.divmod(np.arange(h * w), w)
    done = np.zeros((h, w), bool)
    for wave in wavefronts(ys, xs, off):
        for y, x in zip(ys[wave], xs[wave]):
            for dy, dx in off:
                if 0 <= y + dy < h and 0 <= x + dx < w:
                    assert done[y + dy, x + dx]
        done[ys[wave], xs[wave]] = True
    assert done.all()


@pytest.mark.parametrize("names", [DEFAULT_CONTEXT, ("W", "N"), ("NNN", "WWW", "NEE", "W")])
def test_gibbs_lattice_classes_do_not_interact(names):
    off = [tuple(o) for o in offsets_of(names)]
    a, b = gibbs_lattice(np.array(off))
    # the Markov blanket offsets of a pixel under the autoregressive joint
    blanket = set(off) | {(-p, -q) for p, q in off} | {(p2 - p1, q2 - q1) for p1, q1 in off for p2, q2 in off}
    blanket.discard((0, 0))
    assert not any(dy % a == 0 and dx % b == 0 for dy, dx in blanket)
    assert a * b <= 16
