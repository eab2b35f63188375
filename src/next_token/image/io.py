"""Reading and writing images: every Pillow mode becomes one (H, W, 4) uint8 RGBA array.

Why always RGBA: the palette, the contexts and the model never need to care where a pixel came
from. Greyscale, palette ("P", with or without a transparent index), 1-bit, CMYK, YCbCr, LAB,
16-bit greyscale and float images all land in the same 8-bit RGBA space, opaque images with
alpha 255. The conversions that Pillow gets wrong for our purpose are done by hand:

- 16-bit greyscale ("I;16", "I;16B", "I;16L", and "I", which is how 16-bit files often open):
  Pillow's ``convert("L")`` *clips* values above 255 to white, so we rescale ``v * 255 / 65535``.
- float ("F"): taken as intensities in [0, 1] when all values lie there, else in [0, 255].

JPEG and TIFF orientation tags are applied (a phone photo comes out upright), and for
animations only the first frame is read.
"""

from __future__ import annotations

import glob as _glob
import os
from pathlib import Path
from typing import Iterable, Iterator, Union

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from ..arguments import check_int
from ..errors import CorpusError, InputError
from ..files import atomic_write

#: Anything `read_image` accepts: a path, an open Pillow image, or an array of pixels.
ImageLike = Union[str, os.PathLike, Image.Image, np.ndarray]

_MODES_16BIT = {"I;16", "I;16B", "I;16L", "I;16N", "I"}


MAX_IMAGE_PIXELS = 1 << 25
"""Images larger than this (32M pixels, 128 MB as RGBA) are refused before they are decoded: a
small PNG can claim 100,000 x 100,000 pixels and would need tens of gigabytes."""

def image_extensions() -> set[str]:
    """File extensions Pillow can open (lower case, with the dot), used when scanning folders."""
    Image.init()
    return {ext.lower() for ext, fmt in Image.registered_extensions().items() if fmt in Image.OPEN}


def to_rgba(image: Image.Image) -> np.ndarray:
    """Convert a Pillow image of any mode to an (H, W, 4) uint8 RGBA array (see module doc)."""
    mode = image.mode
    if mode in _MODES_16BIT:
        v = np.asarray(image).astype(np.float64)
        grey = np.clip(np.rint(v * (255.0 / 65535.0)), 0, 255).astype(np.uint8)
        return _grey_to_rgba(grey)
    if mode == "F":
        v = np.nan_to_num(np.asarray(image, dtype=np.float64), nan=0.0)
        scale = 255.0 if v.size and v.min() >= 0.0 and v.max() <= 1.0 else 1.0
        return _grey_to_rgba(np.clip(np.rint(v * scale), 0, 255).astype(np.uint8))
    # Pillow knows how to bring every other mode (P with a transparent index, LA, PA, 1, CMYK,
    # YCbCr, LAB, HSV, RGBa) to RGBA correctly.
    return np.array(image.convert("RGBA"), dtype=np.uint8)


def _grey_to_rgba(grey: np.ndarray) -> np.ndarray:
    out = np.empty(grey.shape + (4,), np.uint8)
    out[..., :3] = grey[..., None]
    out[..., 3] = 255
    return out


def array_to_rgba(a: np.ndarray) -> np.ndarray:
    """Bring a pixel array to (H, W, 4) uint8 RGBA.

    Accepted: (H, W) greyscale, (H, W, 1), (H, W, 2) grey+alpha, (H, W, 3) RGB, (H, W, 4) RGBA;
    dtype bool (black/white), uint8, uint16 (rescaled from 0..65535) or float (values in [0, 1]).
    """
    a = np.asarray(a)
    if a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[2] not in (1, 2, 3, 4)):
        raise InputError(
            f"an image array must have shape (H, W), (H, W, 3) or (H, W, 4); got {a.shape}"
        )
    if a.shape[0] == 0 or a.shape[1] == 0:
        raise InputError(f"the image is empty (shape {a.shape})")
    if a.dtype == np.bool_:
        a = a.astype(np.uint8) * 255
    elif a.dtype == np.uint16:
        a = np.rint(a.astype(np.float64) * (255.0 / 65535.0)).astype(np.uint8)
    elif np.issubdtype(a.dtype, np.floating):
        if not np.isfinite(a).all():
            raise InputError("the image array holds NaN or infinite values")
        if a.size and (a.min() < 0.0 or a.max() > 1.0):
            raise InputError("a float image array must hold values in [0, 1]")
        a = np.rint(a * 255.0).astype(np.uint8)
    elif np.issubdtype(a.dtype, np.integer):
        if a.size and (a.min() < 0 or a.max() > 255):
            raise InputError("an integer image array must hold values in 0..255 (or be uint16)")
        a = a.astype(np.uint8)
    else:
        raise InputError(f"cannot read an image array of dtype {a.dtype}")
    if a.ndim == 2:
        a = a[..., None]
    c = a.shape[2]
    out = np.empty(a.shape[:2] + (4,), np.uint8)
    if c in (1, 2):
        out[..., :3] = a[..., :1]
    else:
        out[..., :3] = a[..., :3]
    out[..., 3] = a[..., c - 1] if c in (2, 4) else 255
    return out


def read_image(source: ImageLike) -> np.ndarray:
    """Read one image (path, Pillow image or array) as an (H, W, 4) uint8 RGBA array.

    Raises InputError for a missing, unreadable or empty image.
    """
    if isinstance(source, np.ndarray):
        return array_to_rgba(source)
    if isinstance(source, Image.Image):
        return _checked(to_rgba(ImageOps.exif_transpose(source)), "<image>")
    path = Path(source)
    try:
        if path.exists() and not path.is_file() and not path.is_dir():
            raise InputError(f"{path} is not a regular file (a pipe or a device?); give an image file")
        with Image.open(path) as im:
            w, h = im.size  # from the header: refuse a decompression bomb before decoding it
            if w * h > MAX_IMAGE_PIXELS:
                raise InputError(f"{path} is {w}x{h} pixels; images of at most {MAX_IMAGE_PIXELS:,} pixels "
                                 "are read (shrink it first)")
            im.seek(0)
            im.load()
            return _checked(to_rgba(ImageOps.exif_transpose(im)), path)
    except InputError:
        raise
    except Image.DecompressionBombError as e:
        raise InputError(f"{path} is too large to read safely: {e}") from None
    except FileNotFoundError:
        raise InputError(f"image not found: {path}") from None
    except IsADirectoryError:
        raise InputError(f"expected an image file, got a directory: {path}") from None
    except UnidentifiedImageError:
        raise InputError(f"{path} is not an image Pillow can read") from None
    except (OSError, SyntaxError, ValueError) as e:  # truncated or corrupt data
        raise InputError(f"cannot read image {path}: {e}") from None


def _checked(a: np.ndarray, name) -> np.ndarray:
    if a.ndim != 3 or a.shape[0] == 0 or a.shape[1] == 0:
        raise InputError(f"the image {name} is empty")
    return a


def expand_sources(sources: ImageLike | Iterable[ImageLike]) -> list[ImageLike]:
    """Turn files, folders (searched recursively for image files), globs and arrays into a list.

    Raises CorpusError when a path matches nothing or the whole list comes out empty.
    """
    if isinstance(sources, (str, os.PathLike, np.ndarray, Image.Image)):
        sources = [sources]
    exts = None
    out: list[ImageLike] = []
    for s in sources:
        if isinstance(s, (np.ndarray, Image.Image)):
            out.append(s)
            continue
        p = Path(s)
        if p.is_dir():
            exts = exts or image_extensions()
            found = sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in exts)
            if not found:
                raise CorpusError(f"no image files in folder {p}")
            out.extend(found)
        elif p.exists():
            out.append(p)
        elif _glob.has_magic(str(s)):
            found = sorted(Path(f) for f in _glob.glob(str(s), recursive=True) if Path(f).is_file())
            if not found:
                raise CorpusError(f"no files match {s!r}")
            out.extend(found)
        else:
            raise CorpusError(f"image source not found: {s}")
    if not out:
        raise CorpusError("no training images were given")
    return out


def iter_images(sources: ImageLike | Iterable[ImageLike]) -> Iterator[np.ndarray]:
    """Yield every source image as RGBA; an unreadable training file is a CorpusError."""
    for s in expand_sources(sources):
        try:
            yield read_image(s)
        except InputError as e:
            raise CorpusError(str(e)) from None


def shrink(rgba: np.ndarray, max_side: int | None) -> np.ndarray:
    """Downscale (Lanczos, aspect kept) so that neither side exceeds `max_side`; never enlarge.

    A model learns the statistics of the scale it is trained at: trained on 512-pixel photos it
    generates 512-pixel detail (texture), trained on 64-pixel thumbnails it generates whole
    little scenes.
    """
    if max_side is None:
        return rgba
    check_int(max_side, "max_side")
    h, w = rgba.shape[:2]
    if max(h, w) <= max_side:
        return rgba
    scale = max_side / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return np.asarray(Image.fromarray(np.ascontiguousarray(rgba), "RGBA").resize(size, Image.LANCZOS))


def rgba_to_image(rgba: np.ndarray) -> Image.Image:
    """An RGBA array as a Pillow image: RGB when every pixel is opaque, RGBA otherwise."""
    rgba = np.ascontiguousarray(rgba, dtype=np.uint8)
    if (rgba[..., 3] == 255).all():
        return Image.fromarray(np.ascontiguousarray(rgba[..., :3]), "RGB")
    return Image.fromarray(rgba, "RGBA")


def save_png(rgba: np.ndarray, path: str | os.PathLike) -> None:
    """Write an RGBA array as a PNG, atomically (`files.atomic_write`)."""
    with atomic_write(path) as f:
        rgba_to_image(rgba).save(f, format="PNG")


def read_mask(source: ImageLike, shape: tuple[int, int]) -> np.ndarray:
    """Read a fill mask as a (H, W) bool array: True where pixels are to be generated.

    A bool array, or a 2-D array of 0 and 1, is used as it is (1 = fill). Otherwise a pixel is
    "to fill" when it is light (luminance above half) and not transparent: white marks the hole,
    black or transparent keeps the pixel.
    """
    if isinstance(source, np.ndarray) and source.ndim == 2 and (
            source.dtype == np.bool_ or (source.size and np.isin(source, (0, 1)).all())):
        mask = source.astype(bool)
    else:
        rgba = read_image(source).astype(np.int32)
        lum = (299 * rgba[..., 0] + 587 * rgba[..., 1] + 114 * rgba[..., 2]) // 1000
        mask = (lum > 127) & (rgba[..., 3] > 127)
    if mask.shape != tuple(shape):
        raise InputError(
            f"the mask is {mask.shape[1]}x{mask.shape[0]} but the image is {shape[1]}x{shape[0]}; "
            "they must be the same size"
        )
    return np.asarray(mask, dtype=bool)
