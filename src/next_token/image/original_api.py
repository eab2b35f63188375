"""The original library's image model (models/Image and models/Gradient), in Python spelling.

    from next_token.image.original_api import Image

    agent = Image(files=["training/images/"])          # JS: await Image({ files })
    agent.generate("#ff8800")                          # JS: agent.generate('#ff8800')
    agent.render("#ff8800 #ff9900")                    # JS: agent.render(pixelString)
    agent.get_pixel_prediction("#ff8800")              # JS: agent.getPixelPrediction('#ff8800')
    agent.get_pixel_sequence_prediction("#ff8800", 10) # JS: agent.getPixelSequencePrediction(...)
    agent.get_completions("#ff8800")                   # JS: agent.getCompletions('#ff8800')

Pixels are "#rrggbb" strings and pixel sequences are such strings separated by spaces, as in
the original. The result shapes are the original's, with snake_case keys:

    generate(seed_pixel)                        -> str, the pixels after the seed pixel
    render(pixel_string)                        -> list of "#rrggbb"
    get_pixel_prediction(pixels)                -> {"token", "ranked_token_list"}
    get_pixel_sequence_prediction(pixels, n)    -> {"completion", "token", "ranked_token_list"}
    get_completions(pixels)                     -> {"completion", "token", "ranked_token_list", "completions"}

What differs, on purpose: the model behind it is `ImageModel` (2-D neighbour contexts,
Kneser-Ney, a learned palette) instead of a one-pixel-back trie over a fixed 1000-colour grid;
ranked lists are ordered by probability, best first (the original's were in insertion order);
sequences are *sampled* (seeded, with a temperature) instead of greedy, which in the original
collapses at once into one repeated colour. `generate` lays the pixels out as an image (a
`width` x `height` raster with the seed pixel first), and `to_image` turns a pixel string back
into pixels. `agent.model` is the underlying `ImageModel`.
"""

from __future__ import annotations

import os
from typing import Any, Iterable

import numpy as np

from ..arguments import check_int
from ..errors import InputError
from .model import ImageModel
from .palette import parse_hex
from .synthetic import scenes

RANKING_BATCH_SIZE = 50  # the original's cap on ranked lists
DEFAULT_SEQUENCE_LENGTH = 10  # the original's default for getPixelSequencePrediction
COMPLETION_LENGTH = 10  # length of each alternative in get_completions, as in the original


class Image:
    """An image model with the original library's methods.

    Exactly one source: ``files=[...]`` (files, folders, globs), ``dataset={"name", "files"}``
    (the original's dataset objects) or a path, ``pixels=[...]`` ("#rrggbb" strings, one row,
    or an image array), ``model=`` (an `ImageModel` or a path to one), or ``bootstrap=True``:
    procedurally drawn pictures (`synthetic.scenes`), since no image set ships with the package.
    """

    def __init__(
        self,
        *,
        files: Iterable[str | os.PathLike] | None = None,
        dataset: dict[str, Any] | str | os.PathLike | None = None,
        pixels=None,
        model: ImageModel | str | os.PathLike | None = None,
        bootstrap: bool = False,
        name: str | None = None,
        palette_size: int = 16,
    ):
        given = [x is not None for x in (files, dataset, pixels, model)] + [bool(bootstrap)]
        if sum(given) != 1:
            raise InputError("give exactly one of files=, dataset=, pixels=, model= or bootstrap=True")
        self.name = name or "New Image Model"
        if isinstance(dataset, dict):
            if "files" not in dataset:
                raise InputError('a dataset is {"name": ..., "files": [...]}')
            self.name = name or dataset.get("name", self.name)
            files = dataset["files"]
        elif dataset is not None:
            files = [dataset]
        if isinstance(model, ImageModel):
            self.model = model
        elif model is not None:
            self.model = ImageModel.load(model)
        elif bootstrap:
            self.model = ImageModel.train(scenes(), palette_size=palette_size)
        elif pixels is not None:
            if isinstance(pixels, str) or (len(pixels) and isinstance(pixels[0], str)):
                items = pixels.split() if isinstance(pixels, str) else list(pixels)
                if not items:
                    raise InputError("pixels= is empty")
                pixels = np.stack([parse_hex(p) for p in items])[None]
            self.model = ImageModel.train([np.asarray(pixels)], palette_size=palette_size)
        else:
            self.model = ImageModel.train(list(files), palette_size=palette_size)

    # The original's two own methods -------------------------------------------------------

    def generate(self, seed_pixel: str, *, width: int = 32, height: int = 32, seed=None, temperature: float = 1.0) -> str:
        """Sample a `width` x `height` image whose first pixel is `seed_pixel`; return the other
        pixels, in raster order, as one "#rrggbb ..." string (the original's completion)."""
        first = self.model.palette.ids(parse_hex(seed_pixel)[None])[0]
        ids = self.model.generate_ids(width, height, seed=seed, temperature=temperature, prefix=[first])
        return " ".join(self.model.palette.hex(ids.ravel()[1:]))

    @staticmethod
    def render(pixel_string: str) -> list[str]:
        """Split a pixel string into its "#rrggbb" pixels (the original's render)."""
        return pixel_string.split()

    def to_image(self, pixel_string: str, width: int) -> np.ndarray:
        """A pixel string as an (H, width, 4) RGBA array; a short last row is padded transparent."""
        pix = self.render(pixel_string)
        check_int(width, "width")
        h = -(-len(pix) // width)
        out = np.zeros((h * width, 4), np.uint8)
        if pix:
            out[: len(pix)] = np.stack([parse_hex(p) for p in pix])
        return out.reshape(h, width, 4)

    # The Gradient model's methods, which the original's image model also exposes -------------

    def _row(self, pixels: str) -> np.ndarray:
        items = self.render(pixels)
        if not items:
            raise InputError("give at least one pixel, e.g. '#ff8800'")
        return self.model.palette.ids(np.stack([parse_hex(p) for p in items]))

    def get_pixel_prediction(self, pixels: str) -> dict[str, Any]:
        """The most probable next pixel after `pixels` (one row so far) and the ranked list."""
        self._row(pixels)  # an empty prompt is an error, as everywhere in the library
        ranked = self.model.predict(" ".join(self.render(pixels)), k=min(RANKING_BATCH_SIZE, len(self.model.palette)))
        return {"token": ranked[0].color, "ranked_token_list": [p.color for p in ranked]}

    def get_pixel_sequence_prediction(
        self, pixels: str, sequence_length: int = DEFAULT_SEQUENCE_LENGTH, *, seed=None, temperature: float = 1.0
    ) -> dict[str, Any]:
        """Sample `sequence_length` pixels continuing the row `pixels`."""
        check_int(sequence_length, "sequence_length")
        row = self._row(pixels)
        ids = self.model.generate_ids(len(row) + sequence_length, 1, seed=seed, temperature=temperature, prefix=row)
        seq = self.model.palette.hex(ids.ravel()[len(row) :])
        ranked = self.get_pixel_prediction(pixels)["ranked_token_list"]
        return {"completion": " ".join(seq), "token": seq[0], "ranked_token_list": ranked}

    def get_completions(self, pixels: str, *, seed=None, temperature: float = 1.0) -> dict[str, Any]:
        """A long completion plus one short completion starting with each ranked next pixel."""
        first = self.get_pixel_sequence_prediction(pixels, 64, seed=seed, temperature=temperature)
        rng = np.random.default_rng(seed)
        completions = [first["completion"]]
        for token in first["ranked_token_list"]:
            more = self.get_pixel_sequence_prediction(
                f"{pixels} {token}", COMPLETION_LENGTH, seed=int(rng.integers(1 << 31)), temperature=temperature
            )
            completions.append(f"{token} {more['completion']}")
        return {**first, "completions": completions}
