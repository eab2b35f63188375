"""`ntp prune` and `ntp export web`: small model files, and a model that runs in a browser tab."""

from __future__ import annotations

import os
import re

import click

from ..errors import InputError
from .options import emit_json, human_int, json_option, load_model

_SIZE = re.compile(r"^\s*(\d+(?:\.\d*)?)\s*([kmg]i?b?|b)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "b": 1, "k": 10**3, "m": 10**6, "g": 10**9, "ki": 2**10, "mi": 2**20, "gi": 2**30}


def parse_size(text: str | None) -> int | None:
    """'10MB' -> 10_000_000 (KB, MB, GB are powers of 1000; KiB, MiB, GiB of 1024)."""
    if text is None:
        return None
    m = _SIZE.match(text)
    if not m:
        raise click.BadParameter(f"{text!r} is not a size; write e.g. 10MB, 500KB or 2MiB", param_hint="--target-size")
    unit = (m.group(2) or "").lower().rstrip("b")
    return int(float(m.group(1)) * _UNITS[unit])


def megabytes(n: int) -> str:
    return f"{n / 1e6:.2f} MB" if n >= 100_000 else f"{n / 1e3:.1f} kB"


def size_options(f):
    f = click.option("--threshold", type=click.FloatRange(min=0, min_open=True), default=None,
                     help="Relative-entropy pruning threshold in nats (Stolcke): n-grams whose removal "
                          "costs less are removed, e.g. 1e-9.")(f)
    f = click.option("--bits", type=click.Choice(["8", "16", "32"]), default=None,
                     help="Bits per stored log-probability and backoff: 8 or 16 (quantized), 32 (exact).")(f)
    f = click.option("--target-size", "target_size", metavar="SIZE", default=None,
                     help="Largest model file allowed, e.g. 10MB: the most precise values that fit, "
                          "pruned only if 8 bits do not.")(f)
    return f


def _ngram_part(lm, notes: list):
    if lm.model.corpus_index is not None:
        notes.append("the unbounded-context index was left out: the small model is the n-gram part")
    left = [name for name, part in [("search index", lm.index), ("spelling lexicon", lm.lexicon),
                                    ("word vectors", lm.vectors)] if part is not None]
    if left and lm.model.corpus_index is None:
        notes.append(f"the {', '.join(left)} {'was' if len(left) == 1 else 'were'} left out: the small model is "
                     "the n-gram part (spelling still works, from the n-gram's counts)")
    return lm.model.ngram


@click.command()
@click.argument("model")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, writable=True),
              help="Where to write the small model.")
@size_options
@click.option("--heldout", type=click.Path(exists=True, dir_okay=False), default=None,
              help="A text file to measure the perplexity of both models on.")
@json_option
def prune(model, output, target_size, bits, threshold, heldout, as_json):
    """Make a smaller model file: packed, quantized and, if needed, pruned.

    Values are stored in 8 or 16 bits with buckets chosen to lose the least (or as exact float32),
    keys compressed, and n-grams whose removal costs the least (relative entropy, Stolcke 1998)
    removed until the file fits. The small file loads and answers like any other.
    Count cutoffs need the counts: give them to `ntp train --prune`.

    \b
    Example:
      ntp prune books.ntp -o books-small.ntp --target-size 10MB
      ntp prune books.ntp -o books-q8.ntp --bits 8 --heldout test.txt
    """
    from ..language_model import LanguageModel
    from ..ngram.prune import compact

    lm = load_model(model, quiet=as_json)
    notes: list[str] = []
    ngram = _ngram_part(lm, notes)
    before = os.path.getsize(lm.path) if lm.path and os.path.exists(lm.path) else None
    extra = sum(a.nbytes for a in lm.vocab.to_arrays().values()) + 16_384
    if lm.tokenizer.spacing is not None:
        extra += sum(a.nbytes for a in lm.tokenizer.spacing.to_arrays().values())
    packed, report = compact(ngram, target=parse_size(target_size), bits=int(bits) if bits else None,
                             threshold=threshold, extra_bytes=extra)
    small = LanguageModel(packed, lm.vocab, lm.tokenizer, lm.meta)
    small.save(output)
    size = os.path.getsize(output)
    summary = {"output": str(output), "file_bytes": size, "input_bytes": before, "bits": report["bits"],
               "threshold": report["threshold"], "ngrams": packed.sizes, "input_ngrams": ngram.sizes, "notes": notes}
    if heldout:
        from .options import read_text

        text = read_text(heldout, None, "held-out text")
        summary["perplexity"] = {"input": lm.perplexity(text), "output": small.perplexity(text)}
    if as_json:
        emit_json(summary)
        return
    was = f" (was {megabytes(before)})" if before else ""
    click.echo(f"Wrote {output}: {megabytes(size)}{was}, {report['bits']}-bit values")
    kept = sum(packed.sizes) / max(sum(ngram.sizes), 1)
    click.echo("  n-grams     " + "  ".join(f"{n}: {human_int(c)}" for n, c in enumerate(packed.sizes, 1))
               + f"  ({kept:.0%} kept)")
    if report["threshold"] is not None:
        click.echo(f"  pruned      relative entropy, threshold {report['threshold']:.3g}")
    if heldout:
        a, b = summary["perplexity"]["input"], summary["perplexity"]["output"]
        click.echo(f"  perplexity  {a:.2f} -> {b:.2f} ({(b / a - 1):+.2%}) on {heldout}")
    for note in notes:
        click.echo(f"  note        {note}")


@click.group()
def export():
    """Export a model to run somewhere else.

    \b
    Example:
      ntp export web books.ntp -o site/     then: python -m http.server -d site
    """


@export.command("web")
@click.argument("model", required=False)
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False), help="The folder to write.")
@size_options
@json_option
def export_web_command(model, output, target_size, bits, threshold, as_json):
    """Write a static folder that runs MODEL in a browser tab, with no server.

    The folder holds index.html (the autocomplete page of `ntp serve`: suggestions as you type,
    completions, sampling), next-token.js (the engine, an ES module any page can import) and the
    model file, packed; serve it from any static host, or locally:
    python -m http.server -d DIR. Without MODEL, the built-in model.

    \b
    Example:
      ntp export web books.ntp -o site/ --target-size 10MB
    """
    from ..web.export import export_web

    lm = load_model(model, quiet=as_json)
    try:
        summary = export_web(lm, output, target=parse_size(target_size), bits=int(bits) if bits else None,
                             threshold=threshold)
    except InputError as e:
        raise click.ClickException(str(e)) from None
    if as_json:
        emit_json(summary)
        return
    click.echo(f"Wrote {output}/: {megabytes(summary['bytes'])}, {megabytes(summary['gzip_bytes'])} with gzip "
               f"({summary['bits']}-bit values)")
    for name, f in summary["files"].items():
        click.echo(f"  {name:<14} {megabytes(f['bytes']):>10}  gzip {megabytes(f['gzip_bytes'])}")
    if summary["threshold"] is not None:
        click.echo(f"  pruned         relative entropy, threshold {summary['threshold']:.3g}")
    for note in summary["notes"]:
        click.echo(f"  note           {note}")
    click.echo(f"Try it: python -m http.server -d {output}   then open http://127.0.0.1:8000/")
