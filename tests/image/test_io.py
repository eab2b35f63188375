"""Reading images in every Pillow mode to RGBA, sources, masks and errors."""

import numpy as np
import pytest
from PIL import Image

from next_token.errors import CorpusError, InputError
from next_token.image.io import (
    array_to_rgba,
    expand_sources,
    iter_images,
    read_image,
    read_mask,
    save_png,
)


def test_rgb_png_round_trips(tmp_path):
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, (5, 7, 3), dtype=np.uint8)
    Image.fromarray(rgb).save(tmp_path / "a.png")
    out = read_image(tmp_path / "a.png")
    assert out.shape == (5, 7, 4) and out.dtype == np.uint8
    assert np.array_equal(out[..., :3], rgb) and (out[..., 3] == 255).all()


def test_palette_png_with_transparent_index(tmp_path):
    idx = np.array([[0, 1], [1, 0]], np.uint8)
    im = Image.fromarray(idx, "P")
    im.putpalette([255, 0, 0, 0, 0, 255])
    im.save(tmp_path / "p.png", transparency=1)
    out = read_image(tmp_path / "p.png")
    assert out[0, 0].tolist() == [255, 0, 0, 255]
    assert out[0, 1, 3] == 0  # the transparent index really is transparent


def test_16bit_greyscale_is_rescaled_not_clipped(tmp_path):
    v = np.array([[0, 257 * 100, 65535, 257 * 200]], np.uint16)
    Image.fromarray(v).save(tmp_path / "g16.png")
    assert Image.open(tmp_path / "g16.png").mode.startswith("I")
    out = read_image(tmp_path / "g16.png")
    assert out[0, :, 0].tolist() == [0, 100, 255, 200]  # Pillow's convert("L") would give 255s
    assert (out[..., 0] == out[..., 2]).all()


def test_greyscale_alpha_and_one_bit(tmp_path):
    la = np.stack([np.full((2, 2), 80, np.uint8), np.array([[255, 0], [128, 255]], np.uint8)], -1)
    Image.fromarray(la, "LA").save(tmp_path / "la.png")
    out = read_image(tmp_path / "la.png")
    assert out[..., :3].max() == 80 and out[..., 3].tolist() == [[255, 0], [128, 255]]
    Image.fromarray(np.array([[True, False]])).save(tmp_path / "b.png")
    assert read_image(tmp_path / "b.png")[0, :, 0].tolist() == [255, 0]


def test_float_and_cmyk_images():
    f = Image.fromarray(np.array([[0.0, 0.5, 1.0]], np.float32))
    assert read_image(f)[0, :, 0].tolist() == [0, 128, 255]
    cmyk = Image.new("CMYK", (2, 1), (0, 255, 255, 0))  # pure red in CMYK
    assert read_image(cmyk)[0, 0].tolist() == [255, 0, 0, 255]


def test_arrays_of_every_shape_and_dtype():
    assert array_to_rgba(np.zeros((2, 3), bool)).shape == (2, 3, 4)
    assert array_to_rgba(np.full((1, 1), 65535, np.uint16))[0, 0].tolist() == [255, 255, 255, 255]
    assert array_to_rgba(np.full((1, 1, 2), 9, np.uint8))[0, 0].tolist() == [9, 9, 9, 9]
    assert array_to_rgba(np.full((1, 1, 3), 0.5))[0, 0, 0] == 128
    for bad in (np.zeros((2, 2, 5)), np.zeros(4), np.zeros((0, 3)), np.full((1, 1), 300), np.full((1, 1), 2.0)):
        with pytest.raises(InputError):
            array_to_rgba(bad)


def test_unreadable_files_raise_typed_errors(tmp_path):
    (tmp_path / "x.png").write_bytes(b"not a png at all")
    with pytest.raises(InputError, match="not an image"):
        read_image(tmp_path / "x.png")
    with pytest.raises(InputError, match="not found"):
        read_image(tmp_path / "missing.png")
    good = tmp_path / "t.png"
    Image.fromarray(np.zeros((40, 40, 3), np.uint8) + 7).save(good)
    (tmp_path / "trunc.png").write_bytes(good.read_bytes()[:60])
    with pytest.raises(InputError):
        read_image(tmp_path / "trunc.png")
    with pytest.raises(CorpusError):  # a training source that cannot be read
        list(iter_images([tmp_path / "x.png"]))


def test_sources_from_folders_globs_and_arrays(tmp_path):
    (tmp_path / "sub").mkdir()
    for name in ("a.png", "sub/b.png"):
        Image.fromarray(np.zeros((2, 2), np.uint8)).save(tmp_path / name)
    (tmp_path / "notes.txt").write_text("hello")
    assert len(expand_sources(tmp_path)) == 2  # recursive, ignores non-images
    assert len(expand_sources(str(tmp_path / "*.png"))) == 1
    assert len(expand_sources([np.zeros((2, 2)), tmp_path / "a.png"])) == 2
    with pytest.raises(CorpusError):
        expand_sources(str(tmp_path / "*.jpg"))
    with pytest.raises(CorpusError):
        expand_sources([])
    (tmp_path / "empty").mkdir()
    with pytest.raises(CorpusError, match="no image files"):
        expand_sources(tmp_path / "empty")


def test_mask_reading(tmp_path):
    m = np.zeros((3, 4), np.uint8)
    m[1, 1:3] = 255
    Image.fromarray(m).save(tmp_path / "m.png")
    mask = read_mask(tmp_path / "m.png", (3, 4))
    assert mask.dtype == bool and mask.sum() == 2 and mask[1, 1]
    with pytest.raises(InputError, match="same size"):
        read_mask(tmp_path / "m.png", (4, 4))


def test_save_png_keeps_alpha_only_when_needed(tmp_path):
    rgba = np.zeros((2, 2, 4), np.uint8)
    rgba[..., 3] = 255
    save_png(rgba, tmp_path / "o.png")
    assert Image.open(tmp_path / "o.png").mode == "RGB"
    rgba[0, 0, 3] = 0
    save_png(rgba, tmp_path / "o.png")
    assert Image.open(tmp_path / "o.png").mode == "RGBA"
    assert list(tmp_path.iterdir()) == [tmp_path / "o.png"]  # no temp file left behind
