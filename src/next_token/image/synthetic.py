"""Procedurally drawn pictures: a tiny built-in training set that needs no files.

Each scene is a vertical colour gradient (a sky) with a few filled discs and a rectangle on it
and mild noise, drawn deterministically from a seed. They serve as the image model's bootstrap
data (the original library shipped PNGs; we draw ours) and as test and benchmark inputs.
"""

from __future__ import annotations

import numpy as np

_COLOURS = np.array([(200, 30, 30), (220, 200, 40), (250, 250, 250), (30, 60, 200), (40, 150, 60)], np.float64)


def scene(seed: int, size: int = 48) -> np.ndarray:
    """One (size, size, 3) uint8 picture drawn from `seed`."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:size, 0:size]
    top = rng.uniform(20, 120, 3)
    bottom = rng.uniform(120, 240, 3)
    img = top + (y[..., None] / max(size - 1, 1)) * (bottom - top)
    for _ in range(int(rng.integers(2, 5))):
        cy, cx = rng.integers(0, size, 2)
        r = rng.integers(max(2, size // 12), max(3, size // 4))
        img[(y - cy) ** 2 + (x - cx) ** 2 < r * r] = _COLOURS[rng.integers(len(_COLOURS))]
    h, w = rng.integers(size // 8, size // 3, 2)
    y0, x0 = rng.integers(0, size - h), rng.integers(0, size - w)
    img[y0 : y0 + h, x0 : x0 + w] = _COLOURS[rng.integers(len(_COLOURS))]
    img += rng.normal(0, 4, img.shape)
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


def scenes(n: int = 12, size: int = 48, seed: int = 0) -> list[np.ndarray]:
    """`n` scenes with seeds seed, seed+1, ..."""
    return [scene(seed + i, size) for i in range(n)]
