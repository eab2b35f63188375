"""ImageModel: next-pixel prediction with the same Kneser-Ney engine as words.

How an image becomes n-grams
----------------------------
Every pixel is replaced by the id of its nearest palette colour (`palette.py`), and every pixel
together with its causal neighbours becomes one n-gram (`context.py`); with the default context
("NN", "WW", "NE", "NW", "N", "W") that is a 7-gram. `NgramModel.from_ngrams` counts the rows
and estimates interpolated modified Kneser-Ney, so an unseen neighbourhood backs off by dropping
the farthest neighbour first, down to P(pixel | left neighbour) and the unigram. Out-of-image
neighbours read as one extra id, `border` = K (the palette size), so vocab_size = K + 1.

The engine's uniform floor also gives the border id a little probability as a *pixel*, which
can never occur. Every probability we report is therefore renormalised over the K colours:

    P(c | h) = P_engine(c | h) / (1 - P_engine(border | h)),

so the K colour probabilities of every context sum to exactly 1 and bits per pixel are honest.

Generation and fill
-------------------
The model defines a joint distribution over images, P(X) = prod_p P(x_p | context(p)), sampled
pixel by pixel in raster order. Pixels on one line t = a*y + x (`context.wavefronts`) never see
each other, so each line is sampled in one vectorized step: ~a*H + W steps, not H*W.

`fill` samples the masked pixels from the model's posterior given the known ones (fill.py).
"""

from __future__ import annotations

import os
import re
import warnings
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np
from tqdm.auto import tqdm

from ..arguments import check_int, check_number
from ..errors import InputError, ModelFileError
from ..model_file import read_model_file, should_verify, write_model_file
from ..ngram.build import ngram_from_rows
from ..ngram.kneser_ney import DiscountFallbackWarning
from ..ngram.model import NgramModel
from .context import DEFAULT_CONTEXT, gather, ngram_rows, offsets_of, pad, wavefronts
from .fill import fill_hole
from .io import ImageLike, iter_images, read_image, read_mask, shrink
from .palette import Palette, learn_palette, parse_hex

KIND = "image"
FORMAT = 1
MAX_PIXELS = 1 << 24  # 16M pixels: more is a mistake, not a request
_LOG2_10 = np.log2(10.0)
# A string of colours, "#rrggbb #rrggbb ..." (the original's pixel strings), not a file name.
_HEX_SEQ = re.compile(r"\s*(#?(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})(\s+|$))*")


def pixel_ngram(rows: np.ndarray, vocab_size: int) -> NgramModel:
    """The Kneser-Ney model of pixel n-gram rows.

    K colours make every 1- and 2-gram frequent: with no count-1 n-grams there the engine
    substitutes fixed discounts, which is expected and harmless on counts in the thousands, so
    only a fallback at a higher order is worth a warning.
    """
    ngram = ngram_from_rows(rows, vocab_size, discount_fallback="ignore")
    for order, why in ngram.meta.get("discount_fallbacks", {}).items():
        if int(order) > 2:
            warnings.warn(f"{why} Substituting fallback discounts.", DiscountFallbackWarning, stacklevel=3)
    return ngram


def renormalised_log10(ngram: NgramModel, rows: np.ndarray, border: int) -> np.ndarray:
    """log10 P(c | h) / (1 - P(border | h)) for rows (h..., c): the engine's probability of a
    colour renormalised over the colours only, since the border id is never a pixel."""
    lp = ngram.logprob_rows(rows)
    as_border = np.array(rows, dtype=np.int64)
    as_border[:, -1] = border
    lb = ngram.logprob_rows(as_border)
    return lp - np.log10(-np.expm1(lb * np.log(10.0)))


@dataclass(frozen=True)
class ColourPrediction:
    """One candidate next pixel: its palette id, colour and probability."""

    id: int
    color: str  # "#rrggbb" (or "#rrggbbaa" for palettes with transparency)
    rgba: tuple[int, int, int, int]
    probability: float


class ImageModel:
    """A next-pixel model: a palette plus an n-gram model over neighbour contexts.

    Build one with `ImageModel.train(...)` or `ImageModel.load(path)`.
    """

    def __init__(
        self, palette: Palette, ngram: NgramModel, context: Sequence[str] = DEFAULT_CONTEXT, trained_pixels: int = 0
    ):
        self.palette = palette
        self.trained_pixels = int(trained_pixels)  # how many pixels it was trained on (for reports)
        self.ngram = ngram
        self.offsets = offsets_of(context)
        self.context = tuple(str(c).upper() for c in (context.replace(",", " ").split() if isinstance(context, str) else context))
        self.border = len(palette)
        if ngram.order != len(self.offsets) + 1 or ngram.vocab_size != len(palette) + 1:
            raise InputError(
                f"the n-gram model (order {ngram.order}, vocabulary {ngram.vocab_size}) does not fit "
                f"a {len(self.offsets)}-neighbour context over {len(palette)} colours"
            )

    def __repr__(self) -> str:
        return f"ImageModel(palette={len(self.palette)} colours, context={','.join(self.context)}, ngrams={self.ngram.sizes})"

    # ------------------------------------------------------------------ training

    @classmethod
    def train(
        cls,
        sources: ImageLike | Iterable[ImageLike],
        palette_size: int = 16,
        *,
        context: Sequence[str] = DEFAULT_CONTEXT,
        palette: Palette | np.ndarray | None = None,
        max_side: int | None = None,
        seed: int = 0,
        progress: bool | None = None,
    ) -> "ImageModel":
        """Learn a palette (unless one is given) and count every pixel's neighbour n-gram.

        `sources`: image files, folders, globs, Pillow images or pixel arrays (see `io`).
        `palette_size`: number of colours K learned by k-means (ignored when `palette` is given).
        `context`: neighbour names, least informative first (see `context.NEIGHBOURS`).
        `max_side`: first shrink each image so its longer side is at most this (see `io.shrink`).
        `progress`: show progress bars (None: only on a terminal).
        """
        offsets = offsets_of(context)
        disable = None if progress is None else not progress
        images = [
            shrink(im, max_side)
            for im in tqdm(iter_images(sources), desc="reading images", unit="img", disable=disable, leave=False)
        ]
        if palette is None:
            palette = learn_palette(images, palette_size, seed=seed)
        elif not isinstance(palette, Palette):
            palette = Palette(palette)
        border = len(palette)
        rows = np.concatenate(
            [
                ngram_rows(palette.ids(im), offsets, border)
                for im in tqdm(images, desc="pixel contexts", unit="img", disable=disable, leave=False)
            ]
        )
        ngram = pixel_ngram(rows, border + 1)
        return cls(palette, ngram, context, trained_pixels=len(rows))

    # ------------------------------------------------------------------ probabilities

    def _renormalised(self, rows: np.ndarray) -> np.ndarray:
        """log10 P(c | h) over the K colours (see module doc), for rows (context..., colour)."""
        return renormalised_log10(self.ngram, rows, self.border)

    def _distributions(self, ctx: np.ndarray) -> np.ndarray:
        """(B, K) colour probabilities for B contexts, each row summing to 1, in one engine call."""
        K = len(self.palette)
        B, n = ctx.shape
        rows = np.empty((B, K, n + 1), dtype=np.int64)
        rows[:, :, :n] = ctx[:, None, :]
        rows[:, :, n] = np.arange(K)
        p = 10.0 ** self.ngram.logprob_rows(rows.reshape(B * K, n + 1)).reshape(B, K)
        return p / p.sum(1, keepdims=True)

    def pixel_bits(self, image: ImageLike) -> np.ndarray:
        """-log2 P(pixel | its neighbours) for every pixel of `image` (after quantization), (H, W)."""
        ids = self.palette.ids(read_image(image))
        rows = ngram_rows(ids, self.offsets, self.border)
        # float32 log-probabilities can put a certain pixel a hair below 0 bits: clamp.
        return np.maximum(-self._renormalised(rows) * _LOG2_10, 0.0).reshape(ids.shape)

    def bits_per_pixel(self, image: ImageLike) -> float:
        """Mean code length of the image's palette ids under the model, in bits per pixel.

        An arithmetic coder driven by the model would compress the quantized image to this size
        (plus a few bytes); compare with `png_size.png_bits_per_pixel` at the same palette.
        """
        return float(self.pixel_bits(image).mean())

    # ------------------------------------------------------------------ prediction

    def predict(self, pixels_so_far, width: int | None = None, k: int = 5) -> list[ColourPrediction]:
        """The k most probable colours of the next pixel in raster order, best first.

        `pixels_so_far` is either
        - an image (path, Pillow image, (H, W[, C]) array) of complete rows, when `width` is None:
          the next pixel starts row H; or
        - a flat raster-order sequence of colours: a list of "#rrggbb" strings, one string of
          them separated by spaces, or an (n, 3|4) array; with `width` the next pixel is at
          (n // width, n % width), without it the pixels form one unbounded row.
        """
        check_int(k, "k")
        ids, w = self._as_raster(pixels_so_far, width)
        n = len(ids)
        y, x = divmod(n, w)
        canvas = np.full((y + 1, w), self.border, dtype=np.int64)
        canvas.ravel()[:n] = ids
        padded, top, left = pad(canvas, self.offsets, self.border)
        ctx = gather(padded, top, left, np.array([y]), np.array([x]), self.offsets)
        p = self._distributions(ctx)[0]
        best = np.lexsort((np.arange(len(p)), -p))[: min(int(k), len(p))]
        hexes = self.palette.hex(best)
        return [
            ColourPrediction(int(i), h, tuple(int(v) for v in self.palette.colors[i]), float(p[i]))
            for i, h in zip(best, hexes)
        ]

    def _as_raster(self, pixels, width) -> tuple[np.ndarray, int]:
        """Palette ids of a raster-order pixel sequence, and the row width to lay them out."""
        if width is not None:
            check_int(width, "width")
        if (isinstance(pixels, str) and _HEX_SEQ.fullmatch(pixels)) or (
            isinstance(pixels, (list, tuple)) and pixels and isinstance(pixels[0], str)
        ):
            items = pixels.split() if isinstance(pixels, str) else list(pixels)
            ids = self.palette.ids(np.stack([parse_hex(s) for s in items])) if items else np.zeros(0, np.int64)
        elif width is None:
            if isinstance(pixels, (list, tuple)) and not pixels:
                return np.zeros(0, np.int64), 1  # nothing yet: the first pixel of a one-pixel row
            img = self.palette.ids(read_image(pixels))
            return img.ravel(), img.shape[1]
        else:
            a = np.asarray(pixels)
            if a.size == 0:
                ids = np.zeros(0, np.int64)
            elif a.ndim != 2 or a.shape[1] not in (3, 4):
                raise InputError("with width=..., pixels_so_far must be (n, 3) or (n, 4) colours in raster order")
            else:
                ids = self.palette.ids(read_image(a[None])[0])
        if len(ids) > MAX_PIXELS:
            raise InputError(f"at most {MAX_PIXELS} pixels, got {len(ids)}")
        # Without a width the pixels are one row that goes on: no neighbour above or to the right.
        return ids.reshape(-1), (int(width) if width is not None else max(len(ids) + 1, 1))

    # ------------------------------------------------------------------ sampling

    @staticmethod
    def _sample(p: np.ndarray, rng: np.random.Generator, temperature: float, top_k: int | None) -> np.ndarray:
        """One draw per row of p (B, K) at `temperature` (0: the most probable colour)."""
        if temperature == 0:
            return p.argmax(1)
        logits = np.log(np.maximum(p, 1e-300)) / temperature
        if top_k is not None and top_k < p.shape[1]:
            kth = np.partition(logits, -top_k, axis=1)[:, -top_k][:, None]
            logits = np.where(logits >= kth, logits, -np.inf)
        q = np.exp(logits - logits.max(1, keepdims=True))
        c = np.cumsum(q, 1)
        u = rng.random(len(p))[:, None] * c[:, -1:]
        return np.minimum((c < u).sum(1), p.shape[1] - 1)

    @staticmethod
    def _check_sampling(temperature, top_k):
        check_number(temperature, "temperature", 0, 100)
        if top_k is not None:
            check_int(top_k, "top_k")

    def _raster_sample(self, padded, top, left, ys, xs, rng, temperature, top_k) -> None:
        """Sample the pixels (ys, xs) of the padded canvas in place, wave by wave."""
        for wave in wavefronts(ys, xs, self.offsets):
            y, x = ys[wave], xs[wave]
            p = self._distributions(gather(padded, top, left, y, x, self.offsets))
            padded[y + top, x + left] = self._sample(p, rng, temperature, top_k)

    def generate_ids(self, width: int, height: int, *, seed=None, temperature: float = 1.0, top_k=None, prefix=None) -> np.ndarray:
        """Sample an (height, width) image of palette ids.

        `prefix`: palette ids that fix the first pixels in raster order (e.g. a seed pixel);
        sampling continues after them.
        """
        check_int(width, "width")
        check_int(height, "height")
        if width * height > MAX_PIXELS:
            raise InputError(f"{width}x{height} is too large (at most {MAX_PIXELS} pixels)")
        self._check_sampling(temperature, top_k)
        rng = np.random.default_rng(seed)
        canvas = np.full((height, width), self.border, np.int64)
        start = 0
        if prefix is not None:
            prefix = np.asarray(prefix, dtype=np.int64).reshape(-1)
            if len(prefix) > width * height or (len(prefix) and (prefix.min() < 0 or prefix.max() >= len(self.palette))):
                raise InputError("the prefix must be at most width*height palette ids")
            canvas.ravel()[: len(prefix)] = prefix
            start = len(prefix)
        padded, top, left = pad(canvas, self.offsets, self.border)
        ys, xs = np.divmod(np.arange(start, width * height), width)
        self._raster_sample(padded, top, left, ys, xs, rng, float(temperature), top_k)
        return padded[top:, left : left + width].copy()

    def generate(self, width: int = 64, height: int = 64, *, seed=None, temperature: float = 1.0, top_k=None) -> np.ndarray:
        """Sample a new (height, width, 4) RGBA image pixel by pixel from the model.

        `temperature` < 1 sharpens the distributions (smoother, flatter pictures), > 1 flattens
        them (noisier); 0 always takes the most probable colour (the original's greedy decoding,
        which collapses into flat areas). `top_k` samples only among the k best colours.
        """
        return self.palette.rgba(self.generate_ids(width, height, seed=seed, temperature=temperature, top_k=top_k))

    def fill(
        self,
        image: ImageLike,
        mask,
        *,
        seed=None,
        temperature: float = 0.7,
        top_k=None,
        proposals: int = 16,
        sweeps: int = 4,
        quantize_known: bool = False,
    ) -> np.ndarray:
        """Generate the masked region of `image` from its surroundings; returns RGBA (H, W, 4).

        `mask`: a (H, W) bool array or an image, white (light) where pixels are to be generated.
        `proposals`: raster-order fills drawn at once, one of which is kept with probability
        proportional to how well the known pixels below and right of the hole agree with it.
        `sweeps`: Gibbs sweeps over the hole afterwards (see module doc).
        With proposals=1 and sweeps=0 it is a plain raster pass that ignores what lies below and
        right of the hole. Known pixels keep their original colours unless `quantize_known`.
        The default temperature is below `generate`'s 1.0: a fill asks for a likely completion
        rather than a diverse sample, and at 0.7 the holes come out with far fewer speckles.
        """
        rgba = read_image(image)
        hole = read_mask(mask, rgba.shape[:2])
        ids = self.fill_ids(
            self.palette.ids(rgba), hole, seed=seed, temperature=temperature, top_k=top_k,
            proposals=proposals, sweeps=sweeps,
        )
        out = self.palette.rgba(ids) if quantize_known else rgba.copy()
        out[hole] = self.palette.rgba(ids[hole])
        return out

    def fill_ids(self, ids, hole, *, seed=None, temperature=0.7, top_k=None, proposals=16, sweeps=4) -> np.ndarray:
        """`fill` on an (H, W) image of palette ids and an (H, W) bool hole; returns new ids."""
        check_int(proposals, "proposals", 1)
        check_int(sweeps, "sweeps", 0)
        self._check_sampling(temperature, top_k)
        return fill_hole(self, ids, hole, np.random.default_rng(seed), float(temperature), top_k,
                         int(proposals), int(sweeps))

    # ------------------------------------------------------------------ persistence

    def save(self, path: str | os.PathLike) -> None:
        """Write the model (palette, context and n-gram tables) as one model file, atomically."""
        ngram_meta, arrays = self.ngram.to_arrays(prefix="ngram.")
        meta = {
            "format": FORMAT,
            "palette_size": len(self.palette),
            "context": list(self.context),
            "trained_pixels": self.trained_pixels,
            "ngram": ngram_meta,
        }
        write_model_file(path, KIND, meta, {"palette": self.palette.colors, **arrays})

    @classmethod
    def load(cls, path: str | os.PathLike, verify: bool | None = None) -> "ImageModel":
        """Memory-map a model written by `save`; ModelFileError if it is not an image model.
        `verify` as for `LanguageModel.load`: check every checksum and table value."""
        if verify is None:
            try:
                verify = should_verify(os.stat(path))
            except OSError:
                verify = False  # read_model_file reports the missing file
        _, meta, arrays = read_model_file(path, expected_kind=KIND, verify=verify)
        try:
            if int(meta.get("format", 0)) > FORMAT:
                raise ModelFileError(f"{path} holds a newer image model format; upgrade next-token-prediction")
            palette = Palette(np.array(arrays["palette"]))
            ngram = NgramModel.from_arrays(meta["ngram"], arrays, prefix="ngram.")
            if verify:
                ngram.validate()
            return cls(palette, ngram, meta["context"], int(meta.get("trained_pixels", 0)))
        except ModelFileError as e:
            raise ModelFileError(f"{path}: {e}") from None
        except (KeyError, TypeError, ValueError, OverflowError) as e:
            raise ModelFileError(f"{path} is not a valid image model ({e})") from None
