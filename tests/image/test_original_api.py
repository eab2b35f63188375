"""The original's image API shape: generate(seed_pixel), render, pixel predictions."""

import numpy as np
import pytest

from next_token.errors import InputError
from next_token.image.model import ImageModel
from next_token.image.original_api import Image
from next_token.image.synthetic import scene, scenes

pytestmark = pytest.mark.filterwarnings("ignore::next_token.ngram.kneser_ney.DiscountFallbackWarning")


@pytest.fixture(scope="module")
def agent():
    return Image(model=ImageModel.train(scenes(6, size=40), palette_size=8))


def _is_hex(s):
    return len(s) == 7 and s[0] == "#" and all(c in "0123456789abcdef" for c in s[1:])


def test_generate_and_render(agent):
    out = agent.generate("#ff8800", width=8, height=4, seed=0)
    pixels = agent.render(out)
    assert len(pixels) == 31 and all(_is_hex(p) for p in pixels)  # 8 * 4 minus the seed pixel
    assert out == agent.generate("#ff8800", width=8, height=4, seed=0)
    assert len(set(pixels)) > 1  # sampled, not the original's collapse
    img = agent.to_image("#ff8800 " + out, 8)
    assert img.shape == (4, 8, 4)


def test_prediction_shapes(agent):
    p = agent.get_pixel_prediction("#3050c0 #3050c0")
    assert p["token"] == p["ranked_token_list"][0] and len(p["ranked_token_list"]) == 8
    s = agent.get_pixel_sequence_prediction("#3050c0", 5, seed=1)
    assert len(agent.render(s["completion"])) == 5 and s["token"] == agent.render(s["completion"])[0]
    c = agent.get_completions("#3050c0", seed=1)
    assert len(c["completions"]) == 1 + len(c["ranked_token_list"])
    assert all(comp.split()[0] == tok for comp, tok in zip(c["completions"][1:], c["ranked_token_list"]))


def test_sources(tmp_path):
    from PIL import Image as PILImage

    PILImage.fromarray(scene(1, 24)).save(tmp_path / "a.png")
    assert len(Image(files=[tmp_path], palette_size=4).model.palette) == 4
    assert Image(dataset={"name": "mine", "files": [str(tmp_path / "a.png")]}, palette_size=4).name == "mine"
    row = Image(pixels=["#000000", "#ffffff"] * 20, palette_size=2)
    assert row.get_pixel_prediction("#000000")["token"] == "#ffffff"
    assert len(Image(bootstrap=True, palette_size=4).model.palette) == 4
    with pytest.raises(InputError):
        Image()
    with pytest.raises(InputError):
        Image(files=[tmp_path], bootstrap=True)
    with pytest.raises(InputError):
        Image(bootstrap=True, palette_size=4).get_pixel_prediction("")


def test_scenes_are_deterministic():
    assert np.array_equal(scene(3), scene(3)) and not np.array_equal(scene(3), scene(4))
    assert scene(0, 30).shape == (30, 30, 3)
