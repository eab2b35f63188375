"""The original library's next-pixel model, made measurable: one pixel back along the scanline.

The original concatenates all pixels of all images into one stream and learns which colour
follows which. Here the same idea is a bigram model, P(pixel | previous pixel in raster order),
with scanlines running on from one row into the next as in the original (only an image's first
pixel sees the border id). It is estimated with the same Kneser-Ney engine and the same palette
as `ImageModel`, so a comparison of the two isolates what the 2-D context buys.

`generate` with temperature 0 reproduces the original's greedy decoding, to show how it
collapses into one flat colour (it follows the most likely successor, and the most likely
successor of a colour is almost always the colour itself).
"""

from __future__ import annotations

from typing import Iterable

import numpy as np

from ..errors import InputError
from ..ngram.model import NgramModel
from .context import scanline_rows
from .io import ImageLike, iter_images, read_image
from .model import pixel_ngram, renormalised_log10
from .palette import Palette

_LOG2_10 = np.log2(10.0)


class ScanlineModel:
    """P(pixel | previous pixel in the raster stream) over a fixed palette."""

    def __init__(self, palette: Palette, ngram: NgramModel):
        if ngram.order != 2 or ngram.vocab_size != len(palette) + 1:
            raise InputError("a scanline model is a bigram model over the palette plus a border id")
        self.palette = palette
        self.ngram = ngram
        self.border = len(palette)

    @classmethod
    def train(cls, sources: ImageLike | Iterable[ImageLike], palette: Palette) -> "ScanlineModel":
        border = len(palette)
        rows = np.concatenate([scanline_rows(palette.ids(im), border) for im in iter_images(sources)])
        return cls(palette, pixel_ngram(rows, border + 1))

    def bits_per_pixel(self, image: ImageLike) -> float:
        """Mean -log2 P(pixel | previous pixel), renormalised over the palette colours."""
        rows = scanline_rows(self.palette.ids(read_image(image)), self.border)
        return float(-renormalised_log10(self.ngram, rows, self.border).mean() * _LOG2_10)

    def generate_ids(self, length: int, first: int, *, seed=None, temperature: float = 0.0) -> np.ndarray:
        """`length` palette ids following `first` (0: greedy, as the original)."""
        if length <= 0:
            raise InputError(f"length must be positive, got {length}")
        rng = np.random.default_rng(seed)
        K = len(self.palette)
        out = np.empty(length + 1, np.int64)
        out[0] = first
        for i in range(length):  # a bigram chain is inherently sequential; used for demos only
            p = self.ngram.distribution([out[i]])[:K]
            if temperature == 0:
                out[i + 1] = int(np.argmax(p))
            else:
                q = np.exp(np.log(np.maximum(p, 1e-300)) / temperature)
                out[i + 1] = int(rng.choice(K, p=q / q.sum()))
        return out[1:]
