"""2-D causal contexts: each pixel with its already-known neighbours is one n-gram.

Pixels are generated in raster order (left to right, top to bottom), so when pixel (y, x) is
drawn its neighbours up and to the left are known. A context is an ordered tuple of such
neighbours, each an offset (dy, dx) with dy < 0, or dy == 0 and dx < 0. Reading the context and
then the pixel gives an n-gram

    (ctx_1, ..., ctx_{n-1}, pixel)

that the Kneser-Ney engine counts like words. Its backoff drops the *leftmost* column first,
so the context lists the least informative neighbour first and the most informative (the
immediate left and up neighbours) last: with the default ("NN", "WW", "NE", "NW", "N", "W") an
unseen 7-gram backs off to (WW, NE, NW, N, W), then (NE, NW, N, W), ..., and finally to
P(pixel | W), the one-pixel-back scanline model of the original, before the unigram.

Neighbours outside the image read as a reserved `border` id (the palette size), so the first
row and column learn their own statistics (what the top edge of a picture looks like) instead
of borrowing a neighbour from the previous row or the previous image.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from ..errors import InputError

#: Named causal neighbours as (dy, dx) offsets from the pixel being predicted.
NEIGHBOURS: dict[str, tuple[int, int]] = {
    "W": (0, -1),
    "N": (-1, 0),
    "NW": (-1, -1),
    "NE": (-1, 1),
    "WW": (0, -2),
    "NN": (-2, 0),
    "NWW": (-1, -2),
    "NEE": (-1, 2),
    "NNW": (-2, -1),
    "NNE": (-2, 1),
    "WWW": (0, -3),
    "NNN": (-3, 0),
}

#: Least informative first: the engine's backoff drops the leftmost neighbour first.
DEFAULT_CONTEXT: tuple[str, ...] = ("NN", "WW", "NE", "NW", "N", "W")

#: Dtype of the n-gram rows handed to the engine (the shared convention for token ids).
ID_DTYPE = np.uint32


def offsets_of(context: Sequence[str]) -> np.ndarray:
    """Neighbour names -> a (n, 2) int64 array of (dy, dx) offsets; InputError if unknown."""
    if isinstance(context, str):
        context = [c for c in context.replace(",", " ").split() if c]
    names = [str(c).upper() for c in context]
    bad = [c for c in names if c not in NEIGHBOURS]
    if bad:
        raise InputError(
            f"unknown neighbour(s) {bad}; choose from {sorted(NEIGHBOURS)} (e.g. 'NN,WW,NE,NW,N,W')"
        )
    if len(set(names)) != len(names):
        raise InputError(f"a neighbour is listed twice in the context {names}")
    return np.array([NEIGHBOURS[c] for c in names], dtype=np.int64).reshape(-1, 2)


def reach(offsets: np.ndarray) -> tuple[int, int, int]:
    """How far the context looks (up, left, right), i.e. the border padding it needs."""
    if len(offsets) == 0:
        return 0, 0, 0
    return int(-offsets[:, 0].min()), int(max(0, -offsets[:, 1].min())), int(max(0, offsets[:, 1].max()))


def pad(ids: np.ndarray, offsets: np.ndarray, border: int) -> tuple[np.ndarray, int, int]:
    """Surround an (H, W) id image with `border` ids; return (padded, top, left) margins."""
    up, left, right = reach(offsets)
    h, w = ids.shape
    out = np.full((h + up, w + left + right), border, dtype=np.int64)
    out[up:, left : left + w] = ids
    return out, up, left


def ngram_rows(ids: np.ndarray, offsets: np.ndarray, border: int) -> np.ndarray:
    """All (H*W, n+1) n-grams of an (H, W) id image in raster order: context columns, then pixel.

    One shifted slice per neighbour, no per-pixel loop.
    """
    ids = np.asarray(ids)
    if ids.ndim != 2:
        raise InputError(f"an id image must be 2-D; got shape {ids.shape}")
    h, w = ids.shape
    padded, top, left = pad(ids, offsets, border)
    rows = np.empty((h * w, len(offsets) + 1), dtype=ID_DTYPE)
    for j, (dy, dx) in enumerate(offsets):
        rows[:, j] = padded[top + dy : top + dy + h, left + dx : left + dx + w].ravel()
    rows[:, -1] = ids.ravel()
    return rows


def gather(padded: np.ndarray, top: int, left: int, ys: np.ndarray, xs: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Context columns (len(ys), n) of the pixels at (ys, xs), read from a padded canvas."""
    return padded[(ys + top)[:, None] + offsets[None, :, 0], (xs + left)[:, None] + offsets[None, :, 1]]


def scanline_rows(ids: np.ndarray, border: int) -> np.ndarray:
    """The original's 1-pixel-back model as bigrams (previous pixel in raster order, pixel).

    As in the original, scanlines run on from the end of one row into the next; only the very
    first pixel of an image has no predecessor and sees `border`.
    """
    flat = np.asarray(ids).ravel()
    rows = np.empty((len(flat), 2), dtype=ID_DTYPE)
    rows[0, 0] = border
    rows[1:, 0] = flat[:-1]
    rows[:, 1] = flat
    return rows


def wavefront_slope(offsets: np.ndarray) -> int:
    """Smallest integer a with a*dy + dx < 0 for every offset.

    Pixels on the same line t = a*y + x then never appear in each other's contexts, and every
    context pixel lies on an earlier line: all pixels of one line can be sampled at once.
    """
    a = 1
    for dy, dx in offsets:
        if dy > 0 or (dy == 0 and dx >= 0):
            raise InputError(f"neighbour offset {(int(dy), int(dx))} is not causal (not yet generated)")
        if dy < 0:
            a = max(a, int(dx // (-dy)) + 1)
    return a


def wavefronts(ys: np.ndarray, xs: np.ndarray, offsets: np.ndarray) -> list[np.ndarray]:
    """Group pixel positions into waves that can be sampled together, in dependency order.

    Returns index arrays into (ys, xs), one per wave, ordered by t = a*y + x.
    """
    if len(ys) == 0:
        return []
    t = wavefront_slope(offsets) * ys + xs
    order = np.argsort(t, kind="stable")
    _, starts = np.unique(t[order], return_index=True)
    return np.split(order, starts[1:])


def gibbs_lattice(offsets: np.ndarray) -> tuple[int, int]:
    """A period (a, b) such that pixels congruent mod (a, b) have disjoint Markov blankets.

    Pixel p's conditional given all others involves its own context p+O and the pixels j = p-o
    whose contexts contain it, with their contexts p-o+O. So p and q interact iff q-p lies in
    D = O u -O u {o'-o}. Pixels in one class of the lattice (y mod a, x mod b) never differ by
    a d in D, so one Gibbs step can update a whole class at once; we take the smallest a*b.
    """
    o = [tuple(map(int, v)) for v in offsets]
    d = set(o) | {(-a, -b) for a, b in o} | {(a2 - a1, b2 - b1) for a1, b1 in o for a2, b2 in o}
    d.discard((0, 0))
    best = None
    for a in range(1, 16):
        for b in range(1, 16):
            if all(dy % a or dx % b for dy, dx in d) and (best is None or a * b < best[0] * best[1]):
                best = (a, b)
    if best is None:  # pragma: no cover - only for contexts wider than the search range
        raise InputError("the context is too wide for the fill sampler")
    return best
