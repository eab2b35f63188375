"""Next-pixel prediction: pixels as tokens of the same Kneser-Ney engine as words.

    from next_token.image import ImageModel
    m = ImageModel.train(["photos/"], palette_size=16, max_side=128)
    m.generate(64, 64, seed=1)                  # (64, 64, 4) RGBA array
    m.fill(image, mask)                         # the masked region generated from its surroundings
    m.predict(image_so_far, k=5)                # the next pixel's likeliest colours
    m.bits_per_pixel(image); m.save("photos.ntp"); ImageModel.load("photos.ntp")

An image becomes a grid of palette ids (`palette`), each pixel with its already-known
neighbours becomes an n-gram (`context`), and `ImageModel` (in `model`) counts those n-grams
with the engine to predict, score, generate and fill images. `io` reads any image Pillow can
open; `scanline` is the original's one-pixel-back model (the baseline); `png_size` the PNG
yardstick; `compat` keeps the original library's `generate(seed_pixel)` / `render` shape.
"""

from .io import read_image, save_png
from .model import ColourPrediction, ImageModel
from .palette import Palette, learn_palette

__all__ = ["ColourPrediction", "ImageModel", "Palette", "learn_palette", "read_image", "save_png"]
