"""Next-pixel prediction: pixels as tokens of the same Kneser-Ney engine as words.

An image becomes a grid of palette ids (`palette`), each pixel with its already-known
neighbours becomes an n-gram (`context`), and `ImageModel` (in `model`) counts those n-grams
with the engine to predict, score, generate and fill images. `io` reads any image Pillow can
open; `compat` keeps the original library's `generate(seed_pixel)` / `render` shape.
"""

from .io import read_image, save_png
from .palette import Palette, learn_palette

__all__ = ["Palette", "learn_palette", "read_image", "save_png"]
