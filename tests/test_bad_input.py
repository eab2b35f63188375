"""Inputs that used to hang, abort or mislead: each is now a clear, typed error or a right answer."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from next_token import InputError, LanguageModel
from next_token.cli import main
from next_token.text.tokenizer import get_tokenizer


def test_an_absurd_bpe_vocabulary_is_refused_before_rust_sees_it():
    with pytest.raises(InputError, match="vocab_size"):
        get_tokenizer("bpe", vocab_size=10**9)
    with pytest.raises(InputError, match="vocab_size"):
        LanguageModel.train(text="a b c.", tokenizer="bpe", bpe_vocab_size=10**9)


def test_json_errors_are_json(tmp_path):
    r = CliRunner().invoke(main, ["predict", "The", "-m", str(tmp_path / "none.ntp"), "--json"])
    assert r.exit_code == 1 and json.loads(r.stdout)["error"]["message"].startswith("model file not found")
    r = CliRunner().invoke(main, ["predict", "The", "-k", "0", "--json"])
    assert r.exit_code == 2 and json.loads(r.stdout)["error"]["type"] == "usage_error"


def test_image_commands_without_pillow_name_the_extra():
    code = ("import sys; sys.modules['PIL'] = None\n"
            "from next_token.cli import main\n"
            "main(['image', 'train', 'x', '-o', 'y'])")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 1 and "[image] extra" in r.stderr


def test_eval_k_is_bounded(tmp_path):
    from next_token.evaluate import evaluate

    lm = LanguageModel.train(text="a b c. a b d.", order=2, discount_fallback="ignore")
    with pytest.raises(InputError):
        evaluate(lm, "a b c.", accuracy_ks=(10_000,))


pil = pytest.importorskip("PIL")


def test_image_model_edge_inputs(tmp_path):
    from PIL import Image

    from next_token.image.io import read_image, read_mask
    from next_token.image.model import ImageModel

    img = np.zeros((8, 8, 3), np.uint8)
    img[:, 4:] = 255
    m = ImageModel.train([img], palette_size=2)
    assert len(m.predict([], k=2)) == 2  # used to allocate gigabytes for an empty row
    mask = np.zeros((8, 8), np.uint8)
    mask[2:4, 2:4] = 1
    assert read_mask(mask, (8, 8)).sum() == 4  # a 0/1 array is a mask, not a dark image
    big = tmp_path / "bomb.png"
    Image.new("1", (20_000, 20_000)).save(big)
    with pytest.raises(InputError, match="at most|too large"):
        read_image(big)


def test_an_empty_output_path_is_refused_before_training(tmp_path, monkeypatch):
    import next_token.language_model as language_model

    def never(*args, **kwargs):
        raise AssertionError("training started")

    monkeypatch.setattr(language_model.LanguageModel, "train", never)
    (tmp_path / "c.txt").write_text("The cat sat.\n")
    res = CliRunner().invoke(main, ["train", str(tmp_path / "c.txt"), "-o", ""])
    assert res.exit_code == 1 and "output path is empty" in res.output


def test_library_warnings_print_as_one_line(tmp_path):
    (tmp_path / "c.txt").write_text("The cat sat.\n")
    res = subprocess.run([str(Path(sys.executable).parent / "ntp"), "train", str(tmp_path / "c.txt"), "-o",
                          str(tmp_path / "m.ntp"), "-q"], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    lines = res.stderr.strip().splitlines()
    assert lines and all(line.startswith("Warning: could not estimate Kneser-Ney") for line in lines)
