"""Benchmark of the next-pixel model: compression against PNG and the original's scanline model,
training throughput, generation and fill time; optionally draws the example grid.

    .venv/bin/python bench/bench_image.py                       # all figures (~2-4 min on 2 cores)
    .venv/bin/python bench/bench_image.py --quick               # palette 16 only
    .venv/bin/python bench/bench_image.py --grid docs/image_examples.png

Images: scikit-image's sample images (`skimage.data`, shipped inside the scikit-image wheel, no
download), each public domain or CC0 as its docstring says (see bench/IMAGE_RESULTS.md).
Held-out evaluation: the model never sees the test images (photos, greyscale), or never sees the
right quarter of each texture that it is tested on (textures).

Every figure compares against a baseline measured in the same run:
- bits per pixel: PNG of the same palette-quantized image (indexed, zlib 9, Pillow `optimize`),
  and the original's one-pixel-back scanline model on the same palette and engine;
- generation: the same sampling done the straightforward way, one engine call per pixel;
- training: the scanline (bigram) model's training on the same pixels.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np

try:
    import skimage.data as sk
except ImportError:  # pragma: no cover
    sys.exit("this benchmark needs scikit-image for its sample images: pip install scikit-image")

from next_token.image.context import DEFAULT_CONTEXT, gather, pad
from next_token.image.io import read_image, shrink
from next_token.image.model import ImageModel
from next_token.image.palette import learn_palette
from next_token.image.png_size import png_bytes
from next_token.image.scanline import ScanlineModel
from next_token.image.synthetic import scenes
from next_token.ngram.kneser_ney import DiscountFallbackWarning

warnings.simplefilter("ignore", DiscountFallbackWarning)


def _rgba(a):
    a = np.asarray(a)
    if a.dtype == bool:
        a = a.astype(np.uint8) * 255
    return read_image(a)


def datasets():
    """name -> (train images, test images, description)."""
    photos_train = [_rgba(f()) for f in (sk.astronaut, sk.rocket, sk.immunohistochemistry, sk.hubble_deep_field)]
    photos_test = [_rgba(f()) for f in (sk.coffee, sk.chelsea)]
    grey_train = [_rgba(f()) for f in (sk.camera, sk.coins, sk.moon, sk.page, sk.cell)]
    grey_test = [_rgba(f()) for f in (sk.clock, sk.text)]
    tex = [_rgba(f()) for f in (sk.brick, sk.grass, sk.gravel)]
    cut = 3 * tex[0].shape[1] // 4
    return {
        "photos": (photos_train, photos_test, "colour; train astronaut, rocket, immunohistochemistry, hubble_deep_field; test coffee, chelsea"),
        "greyscale": (grey_train, grey_test, "train camera, coins, moon, page, cell; test clock, text"),
        "textures": ([t[:, :cut] for t in tex], [t[:, cut:] for t in tex], "brick, grass, gravel: train left 3/4, test right 1/4"),
    }


def weighted(values, images):
    n = np.array([im.shape[0] * im.shape[1] for im in images], float)
    return float(np.dot(values, n) / n.sum())


def compression(names, sizes, context=DEFAULT_CONTEXT):
    print("## Bits per pixel on held-out images (lower is better)\n")
    print("| set | palette | model bpp | PNG bpp | scanline bpp | model/PNG | model/scanline | train pixels | train s | pixels/s | scanline train s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    sets = datasets()
    models = {}
    for name in names:
        train, test, _ = sets[name]
        npx = sum(im.shape[0] * im.shape[1] for im in train)
        for k in sizes:
            t0 = time.perf_counter()
            m = ImageModel.train(train, k, context=context, progress=False)
            t_train = time.perf_counter() - t0
            t0 = time.perf_counter()
            base = ScanlineModel.train(train, m.palette)
            t_base = time.perf_counter() - t0
            model_bpp = weighted([m.bits_per_pixel(im) for im in test], test)
            png_bpp = weighted([8.0 * png_bytes(m.palette.ids(im), m.palette) / (im.shape[0] * im.shape[1]) for im in test], test)
            base_bpp = weighted([base.bits_per_pixel(im) for im in test], test)
            print(f"| {name} | {k} | {model_bpp:.3f} | {png_bpp:.3f} | {base_bpp:.3f} | {model_bpp / png_bpp:.2f} | "
                  f"{model_bpp / base_bpp:.2f} | {npx:,} | {t_train:.1f} | {npx / t_train:,.0f} | {t_base:.1f} |", flush=True)
            models[(name, k)] = m
    print()
    return models


def context_ablation(name="greyscale", k=16):
    train, test, _ = datasets()[name]
    pal = learn_palette(train, k)
    print(f"## Which neighbours ({name}, palette {k}): held-out bits per pixel\n")
    print("| context (least informative first) | order | bpp | train s |")
    print("|---|---|---|---|")
    for ctx in (("W",), ("N", "W"), ("NW", "N", "W"), ("NE", "NW", "N", "W"), DEFAULT_CONTEXT,
                ("NW", "NE", "N", "W", "NN", "WW"),
                ("NNE", "NNW", "NWW", "NEE") + DEFAULT_CONTEXT):
        t0 = time.perf_counter()
        m = ImageModel.train(train, palette=pal, context=ctx, progress=False)
        dt = time.perf_counter() - t0
        print(f"| {','.join(ctx)} | {len(ctx) + 1} | {weighted([m.bits_per_pixel(im) for im in test], test):.3f} | {dt:.1f} |", flush=True)
    print()


def naive_generate(m: ImageModel, w: int, h: int, seed: int) -> np.ndarray:
    """The straightforward sampler: one engine call per pixel, in raster order."""
    rng = np.random.default_rng(seed)
    K = len(m.palette)
    padded, top, left = pad(np.full((h, w), m.border, np.int64), m.offsets, m.border)
    for y in range(h):
        for x in range(w):
            ctx = gather(padded, top, left, np.array([y]), np.array([x]), m.offsets)[0]
            p = m.ngram.distribution(ctx)[:K]
            padded[y + top, x + left] = rng.choice(K, p=p / p.sum())
    return padded[top:, left : left + w]


def timings(models):
    print("## Generation and fill time (64x64)\n")
    print("| model | n-grams | generate 64x64 (s) | naive per-pixel sampler (s) | speed-up | fill 24x24 hole (s) |")
    print("|---|---|---|---|---|---|")
    for (name, k), m in models.items():
        gen = []
        for s in range(3):
            t0 = time.perf_counter()
            m.generate(64, 64, seed=s)
            gen.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        naive_generate(m, 64, 64, 0)
        naive = time.perf_counter() - t0
        img = m.generate(64, 64, seed=9)
        mask = np.zeros((64, 64), bool)
        mask[20:44, 20:44] = True
        t0 = time.perf_counter()
        m.fill(img, mask, seed=0)
        t_fill = time.perf_counter() - t0
        g = float(np.median(gen))
        print(f"| {name}, palette {k} | {sum(m.ngram.sizes):,} | {g:.3f} | {naive:.2f} | {naive / g:.0f}x | {t_fill:.2f} |", flush=True)
    print()


# ------------------------------------------------------------------------------- example grid

def _tile(a, size=48):
    return a[:size, :size]


def grid(path: Path):
    """Rows: training picture, two generated samples, the holed input, the fill."""
    from PIL import Image, ImageDraw

    wide = ("WWW", "NNE", "NNW", "NWW", "NEE") + DEFAULT_CONTEXT  # 11 neighbours: fine for 2-3 colours
    # (name, training images, palette size, longest side, context, generation temperature)
    cases = [
        ("blobs", [_rgba(sk.binary_blobs(192, blob_size_fraction=0.12, rng=s)) for s in range(12)], 2, 96, DEFAULT_CONTEXT, 0.8),
        ("scenes", [read_image(a) for a in scenes(24, size=64)], 12, 64, DEFAULT_CONTEXT, 0.8),
        ("brick", [_rgba(sk.brick())], 4, 128, DEFAULT_CONTEXT, 0.9),
        ("page", [_rgba(sk.page())], 3, 384, wide, 0.8),
        ("coffee", [_rgba(sk.coffee()), _rgba(sk.chelsea()), _rgba(sk.astronaut())], 12, 96, DEFAULT_CONTEXT, 0.8),
    ]
    S = 48
    rows = []
    for name, imgs, k, side, context, temperature in cases:
        small = [shrink(im, side) for im in imgs]
        # mirror images double the data: left-right flips are as natural as the originals
        m = ImageModel.train(small + [im[:, ::-1] for im in small], k, context=context, progress=False)
        src = small[0]
        h, w = src.shape[:2]
        crop = m.palette.quantize(src[(h - S) // 2 : (h - S) // 2 + S, (w - S) // 2 : (w - S) // 2 + S])
        mask = np.zeros((S, S), bool)
        mask[14:34, 14:34] = True
        holed = crop.copy()
        holed[mask] = (255, 0, 255, 255)
        gens = [m.generate(S, S, seed=s, temperature=temperature) for s in (1, 2)]
        filled = m.fill(crop, mask, seed=0)
        rows.append(np.concatenate([crop] + gens + [holed, filled], 1))
        print(f"grid row {name}: palette {k}, trained at {side} px, {len(context)} neighbours, "
              f"generated at temperature {temperature}, filled at 0.7", flush=True)
    body = np.concatenate(rows, 0)
    scale = 2
    body = np.kron(body, np.ones((scale, scale, 1), np.uint8))
    head = 12
    canvas = Image.new("RGB", (body.shape[1], body.shape[0] + head), "white")
    canvas.paste(Image.fromarray(body[..., :3]), (0, head))
    draw = ImageDraw.Draw(canvas)
    for i, label in enumerate(("training", "generated", "generated", "hole", "filled")):
        draw.text((i * S * scale + 4, 0), label, fill="black")
    # Indexed PNG: the grid has few distinct colours, so it stays a few kB.
    q = canvas.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    path.parent.mkdir(parents=True, exist_ok=True)
    q.save(path, optimize=True)
    print(f"wrote {path} ({path.stat().st_size / 1e3:.1f} kB)")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="palette 16 only, no ablation")
    ap.add_argument("--grid", type=Path, help="also draw the example grid to this PNG")
    ap.add_argument("--only-grid", action="store_true", help="draw the grid and stop")
    args = ap.parse_args()
    if not args.only_grid:
        sets = datasets()
        print("# Next-pixel model benchmark\n")
        for name, (_, _, desc) in sets.items():
            print(f"- {name}: {desc}")
        print()
        sizes = (16,) if args.quick else (8, 16, 32)
        models = compression(list(sets), sizes)
        timings({key: m for key, m in models.items() if key[1] == 16})
        if not args.quick:
            context_ablation()
    if args.grid:
        grid(args.grid)


if __name__ == "__main__":
    main()
