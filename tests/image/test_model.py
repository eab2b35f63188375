"""ImageModel: exact probabilities, prediction, generation, fill and the model file."""

import numpy as np
import pytest

from next_token.errors import InputError, ModelFileError
from next_token.image import synthetic
from next_token.image.context import ngram_rows
from next_token.image.io import save_png
from next_token.image.model import ImageModel
from next_token.image.palette import Palette
from next_token.image.scanline import ScanlineModel

# Tiny synthetic pictures have unusual counts-of-counts: the engine's fallback discounts are expected.
pytestmark = pytest.mark.filterwarnings("ignore::next_token.ngram.kneser_ney.DiscountFallbackWarning")

RED, BLUE, YELLOW, WHITE = (200, 30, 30), (30, 60, 200), (220, 200, 40), (250, 250, 250)


def scene(seed: int, size: int = 40) -> np.ndarray:
    return synthetic.scene(seed, size)


def stripes(size=48, period=3) -> np.ndarray:
    """Vertical stripes: each pixel equals the one above it."""
    x = np.arange(size)
    col = np.where((x // period) % 2 == 0, 0, 255).astype(np.uint8)
    return np.repeat(col[None, :], size, 0)


@pytest.fixture(scope="module")
def model():
    return ImageModel.train([scene(s) for s in range(6)], palette_size=8, seed=0)


def _brute_bits(m: ImageModel, image) -> np.ndarray:
    """-log2 P(pixel | context) from the engine's full distribution, renormalised by hand."""
    from next_token.image.io import read_image

    ids = m.palette.ids(read_image(image))
    rows = ngram_rows(ids, m.offsets, m.border)
    K = len(m.palette)
    out = []
    for r in rows[:: max(1, len(rows) // 60)]:
        d = m.ngram.distribution(r[:-1])
        out.append(-np.log2(d[r[-1]] / d[:K].sum()))
    return np.array(out), rows


def test_bits_match_the_engine_distribution_renormalised(model):
    img = scene(99)
    slow, rows = _brute_bits(model, img)
    fast = model.pixel_bits(img).ravel()[:: max(1, len(rows) // 60)]
    assert np.allclose(fast, slow, atol=1e-4)
    assert model.pixel_bits(img).shape == (40, 40)


def test_distributions_sum_to_one_over_colours(model):
    ctx = np.array([[8] * 6, [0, 1, 2, 3, 4, 5], [3] * 6])
    p = model._distributions(ctx)
    assert p.shape == (3, 8) and np.allclose(p.sum(1), 1.0)
    d = model.ngram.distribution(ctx[1])
    assert np.allclose(p[1], d[:8] / d[:8].sum())


def test_2d_context_beats_the_scanline_model_and_uniform(model):
    held_out = scene(123)
    bpp = model.bits_per_pixel(held_out)
    base = ScanlineModel.train([scene(s) for s in range(6)], model.palette).bits_per_pixel(held_out)
    assert bpp < base < np.log2(8)
    assert bpp < 0.9 * base


def test_predict_next_colour(model):
    m = ImageModel.train([stripes()], palette_size=2)
    img = stripes()[:5]  # five complete rows: the next pixel starts row 5, below a black one
    preds = m.predict(img, k=2)
    assert [p.color for p in preds][0] == "#000000" and preds[0].probability > 0.9
    assert preds[0].probability >= preds[1].probability
    assert abs(sum(p.probability for p in preds) - 1.0) < 1e-9  # k = K: the full distribution
    # a flat raster sequence with a width: 48 + 3 pixels -> row 1, column 3, under a white pixel
    flat = np.repeat(stripes()[:2].reshape(-1, 1), 3, 1)[:51]
    assert m.predict(flat, width=48, k=1)[0].color == "#ffffff"
    hexes = " ".join(["#000000"] * 3)  # the original's pixel string: one row so far
    assert m.predict(hexes, k=1)[0].color == "#ffffff"
    with pytest.raises(InputError):
        m.predict(img, k=0)


def test_predict_equals_brute_force_ranking(model):
    img = scene(7)[:10]
    preds = model.predict(img, k=8)
    probs = np.array([p.probability for p in preds])
    assert np.all(np.diff(probs) <= 0) and abs(probs.sum() - 1) < 1e-9
    assert sorted(p.id for p in preds) == list(range(8))


def test_generate_samples_varied_images_deterministically(model, tmp_path):
    a = model.generate(32, 24, seed=1)
    assert a.shape == (24, 32, 4) and a.dtype == np.uint8
    assert np.array_equal(a, model.generate(32, 24, seed=1))
    assert not np.array_equal(a, model.generate(32, 24, seed=2))
    colours = {tuple(c) for c in a.reshape(-1, 4)}
    assert colours <= {tuple(c) for c in model.palette.colors}
    assert len(colours) >= 4  # sampling: no collapse into one flat colour
    save_png(a, tmp_path / "generated.png")
    # greedy decoding of the original's scanline model does collapse
    base = ScanlineModel.train([scene(s) for s in range(6)], model.palette)
    assert len(set(base.generate_ids(200, first=3).tolist()[10:])) == 1


def test_generate_uses_the_pixel_above():
    m = ImageModel.train([stripes()], palette_size=2)
    g = m.generate_ids(30, 12, seed=0)
    # rows copy the row above, as in every training row (a mis-wired context would give ~0.5)
    assert (g[1:] == g[:-1]).mean() > 0.9


def test_generate_colour_frequencies_follow_training():
    rng = np.random.default_rng(0)
    noise = np.where(rng.random((64, 64)) < 0.8, 0, 255).astype(np.uint8)  # 80% black, iid
    m = ImageModel.train([noise], palette_size=2)
    g = m.generate_ids(64, 64, seed=3)
    black = m.palette.ids(np.zeros((1, 1, 3), np.uint8))[0, 0]
    assert abs((g == black).mean() - 0.8) < 0.04


def test_temperature_and_top_k():
    rng = np.random.default_rng(0)
    noise = np.where(rng.random((64, 64)) < 0.8, 0, 255).astype(np.uint8)
    m = ImageModel.train([noise], palette_size=2)
    black = m.palette.ids(np.zeros((1, 1, 3), np.uint8))[0, 0]
    assert (m.generate_ids(40, 40, seed=0, temperature=0.3) == black).mean() > 0.95
    assert (m.generate_ids(40, 40, seed=0, temperature=0) == black).all()
    assert (m.generate_ids(40, 40, seed=0, top_k=1) == black).all()
    for bad in (dict(temperature=-1), dict(top_k=0), dict(temperature=float("nan"))):
        with pytest.raises(InputError):
            m.generate(4, 4, **bad)
    for w, h in ((0, 4), (4, -1), (1 << 13, 1 << 12)):
        with pytest.raises(InputError):
            m.generate(w, h)


def test_sampler_matches_its_distribution():
    p = np.tile([[0.1, 0.6, 0.3]], (30000, 1))
    draws = ImageModel._sample(p, np.random.default_rng(0), 1.0, None)
    assert np.allclose(np.bincount(draws, minlength=3) / len(draws), p[0], atol=0.01)
    sharp = ImageModel._sample(p, np.random.default_rng(0), 0.5, None)  # p^2 renormalised
    assert np.allclose(np.bincount(sharp, minlength=3) / len(p), np.array([0.01, 0.36, 0.09]) / 0.46, atol=0.01)


def test_fill_keeps_known_pixels_and_fills_the_hole(model, tmp_path):
    img = scene(5)
    mask = np.zeros((40, 40), bool)
    mask[10:25, 12:30] = True
    out = model.fill(img, mask, seed=0)
    assert out.shape == (40, 40, 4)
    assert np.array_equal(out[~mask][:, :3], img[~mask])  # known pixels untouched
    palette = {tuple(c) for c in model.palette.colors}
    assert {tuple(c) for c in out[mask]} <= palette
    assert np.array_equal(out, model.fill(img, mask, seed=0))
    save_png(out, tmp_path / "filled.png")
    assert np.array_equal(model.fill(img, np.zeros((40, 40), bool))[..., :3], img)
    q = model.fill(img, mask, seed=0, quantize_known=True)
    assert {tuple(c) for c in q.reshape(-1, 4)} <= palette


def test_fill_restores_stripes():
    m = ImageModel.train([stripes(60)], palette_size=2)
    img = stripes(60)
    mask = np.zeros(img.shape, bool)
    mask[20:40, 10:40] = True
    out = m.fill(img, mask, seed=0)
    assert (out[mask][:, 0] == img[mask]).mean() > 0.95


def _two_band(boundary, low, h=40, w=12):
    img = np.zeros((h, w, 3), np.uint8)
    img[:boundary] = BLUE
    img[boundary:] = low
    return img


def test_fill_agrees_with_what_lies_below_the_hole():
    # Blue above; below, red or yellow. A raster pass picks red or yellow at random inside the
    # hole; the fill must pick the colour that the known pixels under the hole have.
    m = ImageModel.train([_two_band(b, low) for b in range(4, 37, 2) for low in (RED, YELLOW)], palette_size=3)
    img = _two_band(20, RED)
    mask = np.zeros((40, 12), bool)
    mask[8:30] = True
    red = m.palette.ids(np.array([RED], np.uint8))[0]
    good = lambda **kw: np.mean([(m.palette.ids(m.fill(img, mask, seed=s, temperature=1.0, **kw))[29] == red).mean() for s in range(6)])  # noqa: E731
    assert good() > 0.95
    assert good(proposals=1, sweeps=0) < good()  # the plain raster pass often gets it wrong


def test_fill_errors(model):
    img = scene(1)
    with pytest.raises(InputError, match="same size"):
        model.fill(img, np.zeros((10, 10), bool))
    with pytest.raises(InputError):
        model.fill(img, np.zeros((40, 40), bool), sweeps=-1)
    with pytest.raises(InputError):
        model.fill(img, np.zeros((40, 40), bool), proposals=0)


def test_save_load_round_trip(model, tmp_path):
    path = tmp_path / "m.ntp"
    model.save(path)
    back = ImageModel.load(path)
    assert np.array_equal(back.palette.colors, model.palette.colors) and back.context == model.context
    img = scene(42)
    assert back.bits_per_pixel(img) == pytest.approx(model.bits_per_pixel(img), abs=1e-9)
    assert np.array_equal(back.generate(16, 16, seed=4), model.generate(16, 16, seed=4))
    data = path.read_bytes()
    (tmp_path / "cut.ntp").write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelFileError):
        ImageModel.load(tmp_path / "cut.ntp")
    with pytest.raises(ModelFileError):
        ImageModel.load(tmp_path / "missing.ntp")


def test_wrong_kind_of_model_file(tmp_path):
    from next_token.model_file import write_model_file

    write_model_file(tmp_path / "w.ntp", "ngram", {}, {})
    with pytest.raises(ModelFileError, match="not a 'image'|image"):
        ImageModel.load(tmp_path / "w.ntp")


def test_transparency_survives_training_generation_and_png(tmp_path):
    from PIL import Image

    from next_token.image.png_size import png_bits_per_pixel

    img = np.zeros((40, 40, 4), np.uint8)
    img[:, :20] = (200, 50, 50, 255)
    img[:, 20:, :3] = np.random.default_rng(0).integers(0, 256, (40, 20, 3))  # invisible RGB
    img[10:30, 25:35] = (20, 200, 20, 128)
    m = ImageModel.train([img], palette_size=4)
    assert len(m.palette) == 3 and not m.palette.opaque  # transparent pixels share one entry
    g = m.generate(40, 40, seed=0)
    assert set(np.unique(g[..., 3]).tolist()) == {0, 128, 255}
    save_png(g, tmp_path / "t.png")
    assert Image.open(tmp_path / "t.png").mode == "RGBA"
    assert 0 <= m.bits_per_pixel(img) < png_bits_per_pixel(img, m.palette)


def test_train_with_given_palette_and_context():
    pal = Palette(np.array([[0, 0, 0, 255], [255, 255, 255, 255]], np.uint8))
    m = ImageModel.train([stripes()], palette=pal, context=("N", "W"))
    assert m.ngram.order == 3 and len(m.palette) == 2
    with pytest.raises(InputError):
        ImageModel.train([stripes()], context=("W", "SE"))
