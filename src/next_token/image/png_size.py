"""The yardstick: how many bits per pixel PNG needs for the same quantized image.

A next-pixel model is a compressor: an arithmetic coder driven by its probabilities would
store an image in (about) sum -log2 P(pixel | context) bits. The fair comparison is PNG of the
*same* palette-quantized image, written the way PNG is best at for it: an indexed ("P") image at
the smallest bit depth that holds the palette (1, 2, 4 or 8 bits per pixel), zlib level 9 with
Pillow's `optimize`, including PNG's own headers and palette chunk. Palettes of more than 256
colours cannot be indexed and are written as RGB(A).
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from .io import ImageLike, read_image, rgba_to_image
from .palette import Palette


def png_bytes(ids: np.ndarray, palette: Palette) -> int:
    """Size in bytes of the best plain PNG encoding of an (H, W) image of palette ids."""
    ids = np.asarray(ids)
    buf = io.BytesIO()
    if len(palette) <= 256:
        im = Image.fromarray(ids.astype(np.uint8), "P")
        im.putpalette(palette.colors[:, :3].ravel().tobytes())
        extra = {}
        if not palette.opaque:
            extra["transparency"] = palette.colors[:, 3].tobytes()
        im.save(buf, format="PNG", optimize=True, **extra)
    else:
        rgba_to_image(palette.rgba(ids)).save(buf, format="PNG", optimize=True)
    return buf.tell()


def png_bits_per_pixel(image: ImageLike, palette: Palette) -> float:
    """PNG file size of the image quantized to `palette`, in bits per pixel."""
    ids = palette.ids(read_image(image))
    return 8.0 * png_bytes(ids, palette) / ids.size
