"""`ntp image ...`: train an image model, generate pictures, fill holes, measure bits per pixel.

The commands print for people by default and JSON with `--json`; library errors become a
one-line message and exit status 1 (also when this group is used on its own).
"""

from __future__ import annotations

import os
import time

import click

from ..cli.group import ErrorReportingGroup
from ..cli.options import emit_json, human_bytes, json_option
from .context import DEFAULT_CONTEXT

image_group = ErrorReportingGroup("image", help="Next-pixel prediction: train on images, generate, fill holes, evaluate.")

_model = click.option("-m", "--model", "model_path", required=True, metavar="MODEL", type=click.Path(dir_okay=False),
                      help="Image model file (written by `ntp image train`).")
_seed = click.option("--seed", default=None, type=int, help="Same seed, same picture.")
_top_k = click.option("--top-k", default=None, type=click.IntRange(1, 65535), help="Sample only among the k best colours.")


def _size(path) -> str:
    return human_bytes(os.path.getsize(path))


@image_group.command()
@click.argument("sources", nargs=-1, required=True)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="Where to write the model.")
@click.option("--palette-size", "-k", default=16, show_default=True, type=click.IntRange(1, 65535),
              help="Number of colours learned by k-means: the pixel vocabulary.")
@click.option("--context", default=",".join(DEFAULT_CONTEXT), show_default=True,
              help="Neighbours a pixel is predicted from, least informative first "
                   "(W N NW NE WW NN NWW NEE NNW NNE WWW NNN).")
@click.option("--max-side", default=None, type=click.IntRange(1), help="Shrink images so their longer side is at most this first.")
@click.option("--seed", default=0, show_default=True, type=int, help="Seed of the palette's k-means.")
@json_option
def train(sources, output, palette_size, context, max_side, seed, as_json):
    """Train an image model on SOURCES: image files, folders (searched recursively) or globs.

    \b
    Example:
      ntp image train photos/ -o photos.ntp --palette-size 16 --max-side 128
      ntp image train "textures/*.png" -o tex.ntp -k 8 --context N,W
    """
    from .io import expand_sources
    from .model import ImageModel

    t0 = time.perf_counter()
    files = expand_sources(list(sources))
    m = ImageModel.train(files, palette_size, context=context, max_side=max_side, seed=seed, progress=None if not as_json else False)
    seconds = time.perf_counter() - t0
    m.save(output)
    info = {
        "model": str(output),
        "images": len(files),
        "pixels": m.trained_pixels,
        "seconds": round(seconds, 3),
        "pixels_per_second": round(m.trained_pixels / seconds) if seconds > 0 else None,
        "palette": m.palette.hex(range(len(m.palette))),
        "context": list(m.context),
        "ngrams": m.ngram.sizes,
    }
    if as_json:
        emit_json(info)
        return
    click.echo(
        f"trained on {info['images']} image(s), {info['pixels']:,} pixels in {seconds:.2f} s "
        f"({info['pixels_per_second']:,} pixels/s)"
    )
    click.echo(f"palette: {len(m.palette)} colours; context: {','.join(m.context)}; n-grams per order: {m.ngram.sizes}")
    click.echo(f"wrote {output} ({_size(output)})")


@image_group.command()
@_model
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="PNG file to write.")
@click.option("--width", "-W", default=64, show_default=True, type=click.IntRange(1, 4096))
@click.option("--height", "-H", default=64, show_default=True, type=click.IntRange(1, 4096))
@click.option("--temperature", "-t", default=1.0, show_default=True, type=click.FloatRange(0, 100),
              help="0 = always the most likely colour (flat); below 1 smoother, above 1 noisier.")
@_top_k
@_seed
@json_option
def generate(model_path, output, width, height, temperature, top_k, seed, as_json):
    """Sample a new picture pixel by pixel and write it as a PNG.

    \b
    Example:
      ntp image generate -m photos.ntp -o new.png --width 96 --height 64 --seed 1
    """
    from .io import save_png
    from .model import ImageModel

    m = ImageModel.load(model_path)
    t0 = time.perf_counter()
    img = m.generate(width, height, seed=seed, temperature=temperature, top_k=top_k)
    seconds = time.perf_counter() - t0
    save_png(img, output)
    if as_json:
        emit_json({"output": str(output), "width": width, "height": height, "seconds": round(seconds, 3)})
    else:
        click.echo(f"wrote {output} ({width}x{height}, sampled in {seconds:.2f} s)")


@image_group.command()
@click.argument("image", type=click.Path(dir_okay=False))
@click.argument("mask", type=click.Path(dir_okay=False))
@_model
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="PNG file to write.")
@click.option("--temperature", "-t", default=0.7, show_default=True, type=click.FloatRange(0, 100),
              help="Lower: likelier, cleaner fills; 1: a faithful sample of the model.")
@click.option("--proposals", default=16, show_default=True, type=click.IntRange(1, 1024),
              help="Raster fills drawn; the one that best agrees with the pixels below and right is kept.")
@click.option("--sweeps", default=4, show_default=True, type=click.IntRange(0, 1000),
              help="Gibbs sweeps over the hole afterwards.")
@click.option("--quantize-known", is_flag=True,
              help="Also draw the kept pixels in palette colours, so the fill does not stand out by colour depth.")
@_top_k
@_seed
@json_option
def fill(image, mask, model_path, output, temperature, proposals, sweeps, quantize_known, top_k, seed, as_json):
    """Generate the region of IMAGE that MASK marks (white = fill) from its surroundings.

    MASK is an image of the same size: light, opaque pixels are generated, the others kept.

    \b
    Example:
      ntp image fill photo.png hole.png -m photos.ntp -o filled.png --seed 3
    """
    from .io import read_image, read_mask, save_png
    from .model import ImageModel

    m = ImageModel.load(model_path)
    rgba = read_image(image)
    hole = read_mask(mask, rgba.shape[:2])
    t0 = time.perf_counter()
    out = m.fill(rgba, hole, seed=seed, temperature=temperature, top_k=top_k, proposals=proposals, sweeps=sweeps,
                 quantize_known=quantize_known)
    seconds = time.perf_counter() - t0
    save_png(out, output)
    if as_json:
        emit_json({"output": str(output), "filled_pixels": int(hole.sum()), "seconds": round(seconds, 3)})
    else:
        click.echo(f"wrote {output} ({int(hole.sum()):,} pixels filled in {seconds:.2f} s)")


@image_group.command("eval")
@click.argument("images", nargs=-1, required=True)
@_model
@json_option
def evaluate(images, model_path, as_json):
    """Bits per pixel of IMAGES under the model, against PNG at the same palette.

    Each image is quantized to the model's palette; the model's figure is the size an
    arithmetic coder driven by it would need, PNG's the size of the best indexed PNG.

    \b
    Example:
      ntp image eval held_out/*.png -m photos.ntp
    """
    import numpy as np

    from .io import expand_sources, read_image
    from .model import ImageModel
    from .png_size import png_bytes

    m = ImageModel.load(model_path)
    rows = []
    for src in expand_sources(list(images)):
        rgba = read_image(src)
        ids = m.palette.ids(rgba)
        bits = m.pixel_bits(rgba)
        rows.append({
            "image": str(src), "pixels": int(ids.size),
            "model_bits_per_pixel": float(bits.mean()),
            "png_bits_per_pixel": 8.0 * png_bytes(ids, m.palette) / ids.size,
        })
    total = sum(r["pixels"] for r in rows)
    summary = {
        "pixels": total,
        "model_bits_per_pixel": float(np.sum([r["model_bits_per_pixel"] * r["pixels"] for r in rows]) / total),
        "png_bits_per_pixel": float(np.sum([r["png_bits_per_pixel"] * r["pixels"] for r in rows]) / total),
    }
    if as_json:
        emit_json({"images": rows, "total": summary})
        return
    width = max(len(os.path.basename(r["image"])) for r in rows + [{"image": "total"}])
    click.echo(f"{'image':<{width}}  {'pixels':>10}  {'model bpp':>9}  {'PNG bpp':>8}  {'model/PNG':>9}")
    for r in rows + [{"image": "total", **summary}]:
        click.echo(
            f"{os.path.basename(r['image']):<{width}}  {r['pixels']:>10,}  {r['model_bits_per_pixel']:>9.3f}  "
            f"{r['png_bits_per_pixel']:>8.3f}  {r['model_bits_per_pixel'] / r['png_bits_per_pixel']:>9.2f}"
        )
