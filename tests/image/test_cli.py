"""`ntp image train / generate / fill / eval`, run through click's CliRunner on the group."""

import json

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from next_token.image.cli import image_group
from next_token.image.synthetic import scenes

pytestmark = pytest.mark.filterwarnings("ignore::next_token.ngram.kneser_ney.DiscountFallbackWarning")


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    d = tmp_path_factory.mktemp("img")
    (d / "train").mkdir()
    for i, s in enumerate(scenes(6, size=40)):
        Image.fromarray(s).save(d / "train" / f"s{i}.png")
    Image.fromarray(scenes(1, size=40, seed=100)[0]).save(d / "held.png")
    mask = np.zeros((40, 40), np.uint8)
    mask[10:26, 12:30] = 255
    Image.fromarray(mask).save(d / "mask.png")
    r = CliRunner().invoke(image_group, ["train", str(d / "train"), "-o", str(d / "m.ntp"), "-k", "8"])
    assert r.exit_code == 0, r.output
    assert "pixels/s" in r.output and "wrote" in r.output
    return d


def test_train_json(workdir):
    r = CliRunner().invoke(image_group, ["train", str(workdir / "train" / "*.png"), "-o", str(workdir / "j.ntp"),
                                         "-k", "4", "--context", "N,W", "--json"])
    assert r.exit_code == 0, r.output
    info = json.loads(r.output)
    assert info["images"] == 6 and info["pixels"] == 6 * 40 * 40 and len(info["palette"]) == 4
    assert info["context"] == ["N", "W"] and len(info["ngrams"]) == 3


def test_generate_writes_a_png(workdir):
    out = workdir / "g.png"
    r = CliRunner().invoke(image_group, ["generate", "-m", str(workdir / "m.ntp"), "-o", str(out), "-W", "24", "-H", "16", "--seed", "2"])
    assert r.exit_code == 0, r.output
    im = np.asarray(Image.open(out))
    assert im.shape[:2] == (16, 24) and len(np.unique(im.reshape(-1, im.shape[-1]), axis=0)) > 2


def test_fill_keeps_the_unmasked_pixels(workdir):
    out = workdir / "f.png"
    r = CliRunner().invoke(image_group, ["fill", str(workdir / "held.png"), str(workdir / "mask.png"),
                                         "-m", str(workdir / "m.ntp"), "-o", str(out), "--seed", "0", "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["filled_pixels"] == 16 * 18
    before, after = np.asarray(Image.open(workdir / "held.png")), np.asarray(Image.open(out))
    keep = np.asarray(Image.open(workdir / "mask.png")) == 0
    assert np.array_equal(before[keep], after[keep])
    r = CliRunner().invoke(image_group, ["fill", str(workdir / "held.png"), str(workdir / "mask.png"),
                                         "-m", str(workdir / "m.ntp"), "-o", str(out), "--quantize-known"])
    assert r.exit_code == 0, r.output
    assert len(np.unique(np.asarray(Image.open(out)).reshape(-1, 3), axis=0)) <= 8  # palette colours only


def test_eval_reports_model_and_png(workdir):
    r = CliRunner().invoke(image_group, ["eval", str(workdir / "held.png"), "-m", str(workdir / "m.ntp"), "--json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.output)
    t = doc["total"]
    assert t["pixels"] == 1600 and 0 < t["model_bits_per_pixel"] < 3 and t["png_bits_per_pixel"] > 0
    r = CliRunner().invoke(image_group, ["eval", str(workdir / "held.png"), "-m", str(workdir / "m.ntp")])
    assert "model/PNG" in r.output and "total" in r.output


@pytest.mark.parametrize("args, message", [
    (["eval", "x.png", "-m", "missing.ntp"], "not found"),
    (["train", "nothing-here/*.png", "-o", "o.ntp"], "no files match"),
    (["fill", "{held}", "{train}/s0.png", "-m", "{m}", "-o", "o.png"], "same size|mask"),
])
def test_errors_are_one_line_messages(workdir, args, message):
    args = [a.format(held=workdir / "held.png", train=workdir / "train", m=workdir / "m.ntp") for a in args]
    if args[0] == "fill":  # a mask of the wrong size
        Image.fromarray(np.zeros((10, 10), np.uint8)).save(workdir / "small.png")
        args[2] = str(workdir / "small.png")
    r = CliRunner().invoke(image_group, args)
    assert r.exit_code == 1
    assert "Error:" in r.output and "Traceback" not in r.output
    import re

    assert re.search(message, r.output)
