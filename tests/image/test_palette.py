"""Palette learning (weighted k-means) and the pixel <-> id mapping."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from next_token.errors import InputError
from next_token.image.palette import Palette, learn_palette, pack, parse_hex, unpack


def _opaque(rgb):
    rgb = np.asarray(rgb, np.uint8)
    return np.concatenate([rgb, np.full(rgb.shape[:-1] + (1,), 255, np.uint8)], -1)


def test_few_colours_are_kept_exactly():
    img = _opaque([[[255, 0, 0], [0, 0, 255]], [[0, 0, 255], [10, 10, 10]]])
    pal = learn_palette([img], size=8)
    assert len(pal) == 3
    assert np.array_equal(pal.quantize(img), img)
    # sorted dark to light
    lum = pal.colors[:, :3] @ np.array([0.299, 0.587, 0.114])
    assert (np.diff(lum) >= 0).all()


def test_kmeans_finds_well_separated_clusters():
    rng = np.random.default_rng(1)
    centres = np.array([[20, 20, 20], [200, 40, 40], [40, 200, 40], [40, 40, 220]])
    pix = centres[rng.integers(0, 4, 4000)] + rng.integers(-6, 7, (4000, 3))
    img = _opaque(np.clip(pix, 0, 255).reshape(40, 100, 3))
    pal = learn_palette([img], size=4, seed=3)
    found = pal.colors[:, :3].astype(int)
    for c in centres:
        assert np.abs(found - c).sum(1).min() <= 6


def _err(pal, img):
    return ((pal.quantize(img).astype(float) - img) ** 2).sum(-1).mean()


def test_kmeans_error_against_a_fixed_grid_and_determinism():
    grid = Palette(_opaque([[r, g, b] for r in (64, 192) for g in (64, 192) for b in (64, 192)]))
    rng = np.random.default_rng(2)
    # Uniform noise: the 2x2x2 grid is the optimum; k-means (a local method) must come close.
    noise = _opaque(rng.integers(0, 256, (64, 64, 3)))
    pal = learn_palette([noise], size=8, seed=0)
    assert np.array_equal(pal.colors, learn_palette([noise], size=8, seed=0).colors)
    assert _err(pal, noise) <= 1.15 * _err(grid, noise)
    # A skewed picture (a dark gradient): the learned palette must beat the fixed grid clearly.
    ramp = np.linspace(0, 90, 64)
    dark = _opaque(np.stack(np.broadcast_arrays(ramp[:, None], ramp[None, :] / 2, 30 + 0 * ramp[None, :]), -1).astype(np.uint8))
    assert _err(learn_palette([dark], size=8), dark) < 0.25 * _err(grid, dark)


def test_transparent_pixels_share_one_entry():
    img = np.zeros((2, 3, 4), np.uint8)
    img[0, :, :3] = [[1, 2, 3], [200, 100, 0], [9, 9, 9]]  # invisible RGB garbage, alpha 0
    img[1] = [50, 60, 70, 255]
    pal = learn_palette([img], size=4)
    assert len(pal) == 2 and not pal.opaque


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(*[st.integers(0, 255)] * 4), min_size=1, max_size=40), st.integers(1, 12))
def test_ids_are_the_brute_force_nearest_colour(pixels, k):
    rng = np.random.default_rng(k)
    pal = Palette(rng.integers(0, 256, (k, 4), dtype=np.uint8))
    x = np.array(pixels, np.uint8)
    x[x[:, 3] == 0] = 0  # the canonical form of a transparent pixel
    ids = pal.ids(x)
    d = ((x[:, None, :].astype(int) - pal.colors[None].astype(int)) ** 2).sum(-1)
    assert np.array_equal(d[np.arange(len(x)), ids], d.min(1))


def test_pack_unpack_hex_and_errors():
    x = np.array([[1, 2, 3, 4], [255, 0, 128, 255]], np.uint8)
    assert np.array_equal(unpack(pack(x)), x)
    assert parse_hex("#f00").tolist() == [255, 0, 0, 255]
    assert parse_hex("0a0b0c80").tolist() == [10, 11, 12, 128]
    assert Palette(x).hex([1]) == ["#ff0080ff"]
    for bad in ("#12", "zzzzzz", ""):
        with pytest.raises(InputError):
            parse_hex(bad)
    with pytest.raises(InputError):
        learn_palette([x.reshape(1, 2, 4)], size=0)
    with pytest.raises(InputError):
        Palette(np.zeros((3, 3)))
    with pytest.raises(InputError):
        Palette(x).rgba(np.array([2]))
