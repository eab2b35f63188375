"""`ntp train`, `ntp info` and `ntp arpa`: making, describing and converting model files."""

from __future__ import annotations

import os
import sys
import time

import click

from ..text.tokenizer import TOKENIZER_NAMES, get_tokenizer
from .options import emit_json, human_bytes, human_int, json_option, load_model, model_option


@click.command()
@click.argument("sources", nargs=-1, required=True)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, writable=True),
              help="Where to write the model (one file, written atomically).")
@click.option("--order", default=5, show_default=True, type=click.IntRange(1, 12), help="n-gram order.")
@click.option("--tokenizer", default="word", show_default=True, type=click.Choice(TOKENIZER_NAMES),
              help="word: words and punctuation; char: characters; bpe: subwords learned from the corpus; "
                   "whitespace: pre-tokenized text, one sentence per line.")
@click.option("--bpe-vocab-size", default=8000, show_default=True, type=click.IntRange(1, 1_000_000),
              help="Subword vocabulary size for --tokenizer bpe.")
@click.option("--unbounded", is_flag=True,
              help="Also index the corpus with a suffix array for unbounded context.")
@click.option("--memory", default=None, metavar="SIZE",
              help="Build in bounded memory, e.g. 2G or 500M: files are read in pieces and n-grams counted "
                   "into sorted runs on disk (in --tmp), then merged and estimated in blocks. Same model, bit "
                   "for bit. Peak memory stays near SIZE plus about 200 MB and the vocabulary.")
@click.option("--tmp", "workdir", default=None, type=click.Path(file_okay=False, exists=True),
              help="Folder for the temporary files of --memory (default: the system's temporary folder).")
@click.option("--prune", default=None, metavar="COUNTS",
              help="Count cutoffs per order, as lmplz's --prune: '0 1 1' (or 0,1,1) drops the bigrams and "
                   "longer n-grams seen only once. `ntp prune` makes any model smaller afterwards.")
@click.option("--index/--no-index", default=None,
              help="Keep a suffix array of the text for `ntp search` and --explain (5-7 bytes per token). "
                   "Default: on, except with --memory.")
@click.option("--spelling/--no-spelling", default=None,
              help="Keep the spelling lexicon for `ntp spell`/`ntp correct`. Default: on for word models.")
@click.option("--vectors", is_flag=True,
              help="Learn word vectors for `ntp similar` and paraphrase (needs the vectors extra; a few "
                   "seconds per million tokens).")
@click.option("--workers", type=click.IntRange(1, 1024), default=None,
              help="Count on N local Dask worker processes (needs the dask extra); same model.")
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="Count on a running Dask cluster (tcp://host:8786 or a scheduler .json file); workers must "
                   "see the same paths.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
@json_option
def train(sources, output, order, tokenizer, bpe_vocab_size, unbounded, memory, workdir, prune, index, spelling,
          vectors, workers, scheduler, quiet, as_json):
    """Train a model on files, folders, globs or - (standard input).

    Folders are read recursively (*.txt, *.md, *.rst, and .gz versions). A corpus too large to
    build in memory is refused before any work, with a suggested --memory.

    \b
    Example:
      ntp train books/ notes.txt -o books.ntp --order 5
      cat corpus.txt | ntp train - -o corpus.ntp --tokenizer bpe
      ntp train web/ -o web.ntp --memory 4G --tmp /scratch
      ntp train shards/ -o web.ntp --scheduler tcp://head:8786
    """
    from ..files import check_output_path
    from ..language_model import LanguageModel

    check_output_path(output)  # before the work, not after it
    if workdir is not None and memory is None and not (workers or scheduler):
        raise click.UsageError("--tmp is for --memory builds")
    kwargs = dict(order=order, tokenizer=tokenizer, bpe_vocab_size=bpe_vocab_size, unbounded=unbounded,
                  progress=not quiet and not as_json and sys.stderr.isatty(), memory=memory,
                  prune=prune_counts(prune), index=index, spelling=spelling, vectors=vectors)
    if workdir is not None:
        kwargs["workdir"] = workdir
    t0 = time.perf_counter()
    if workers or scheduler:
        if unbounded or prune or index or vectors:
            raise click.UsageError("--unbounded, --prune, --index and --vectors are made on one machine: "
                                   "not with --workers/--scheduler")
        from ..distributed import connect, train_on_dask

        with connect(workers=workers, scheduler=scheduler) as client:
            lm = train_on_dask(list(sources), client, order=order, tokenizer=tokenizer,
                               bpe_vocab_size=bpe_vocab_size, memory=memory or "2G", workdir=workdir)
    else:
        lm = LanguageModel.train(list(sources), **kwargs)
    lm.save(output)
    seconds = time.perf_counter() - t0
    size = os.path.getsize(output)
    info = lm.info()
    summary = {
        "output": str(output),
        "file_bytes": size,
        "seconds": round(seconds, 3),
        "order": lm.order,
        "tokenizer": lm.tokenizer.name,
        "documents": info.get("documents"),
        "sentences": info.get("sentences"),
        "tokens": info.get("tokens"),
        "vocab_size": len(lm.vocab),
        "ngrams": list(lm.model.sizes),
        "index": info["index"],
        "spelling": info["spelling"],
        "vectors": info["vectors"],
    }
    if as_json:
        emit_json(summary)
        return
    click.echo(f"Built {output} in {seconds:.2f} s ({human_bytes(size)})")
    rows = [
        ("documents", human_int(summary["documents"] or 0)),
        ("sentences", human_int(summary["sentences"] or 0)),
        ("tokens", human_int(summary["tokens"] or 0)),
        ("vocabulary", f"{human_int(summary['vocab_size'])} ({lm.tokenizer.name} tokens)"),
        ("n-grams", "  ".join(f"{n}: {human_int(c)}" for n, c in enumerate(summary["ngrams"], 1))),
        ("lookup", ", ".join(name for name, on in [("search index", info["index"]), ("spelling", info["spelling"]),
                                                    ("word vectors", info["vectors"])] if on) or "none"),
    ]
    for name, value in rows:
        click.echo(f"  {name:<11} {value}")


@click.command()
@click.argument("model", required=False)
@model_option
@json_option
def info(model, model_path, as_json):
    """What a model is: order, tokenizer, vocabulary, n-grams, training data.

    \b
    Example:
      ntp info books.ntp
      ntp info --json          (the built-in model)
    """
    if model and model_path and model != model_path:
        raise click.UsageError("give the model either as MODEL or with -m, not both")
    lm = load_model(model or model_path, quiet=as_json)
    data = lm.info()
    if lm.path and os.path.exists(lm.path):
        data["file_bytes"] = os.path.getsize(lm.path)
    if as_json:
        emit_json(data)
        return
    for key, value in data.items():
        if key == "ngrams":
            value = "  ".join(f"{n}: {human_int(c)}" for n, c in enumerate(value, 1))
        elif key == "file_bytes":
            value = human_bytes(value)
        elif isinstance(value, int) and not isinstance(value, bool):
            value = human_int(value)
        elif isinstance(value, (list, tuple)):
            value = ", ".join(map(str, value))
        click.echo(f"{key:<16} {value}")


@click.group()
def arpa():
    """Convert to and from ARPA, the text format of KenLM and SRILM.

    \b
    Example:
      ntp arpa export books.ntp books.arpa
      ntp arpa import kenlm.arpa.gz -o kenlm.ntp
    """


@arpa.command("export")
@click.argument("model")
@click.argument("out", type=click.Path(dir_okay=False))
@json_option
def arpa_export(model, out, as_json):
    """Write MODEL as an ARPA file OUT (.gz to compress).

    \b
    Example:
      ntp arpa export books.ntp books.arpa.gz
    """
    lm = load_model(model, quiet=as_json)
    lm.to_arpa(out)
    if as_json:
        emit_json({"output": str(out), "file_bytes": os.path.getsize(out), "ngrams": list(lm.model.sizes)})
        return
    click.echo(f"Wrote {out} ({human_bytes(os.path.getsize(out))}; n-grams "
               + "  ".join(f"{n}: {human_int(c)}" for n, c in enumerate(lm.model.sizes, 1)) + ")")


@arpa.command("import")
@click.argument("arpa_file")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="Model file to write.")
@click.option("--tokenizer", default="whitespace", show_default=True, type=click.Choice(TOKENIZER_NAMES),
              help="How prompts are split into the ARPA file's tokens (bpe needs a trained model).")
@json_option
def arpa_import(arpa_file, output, tokenizer, as_json):
    """Read an ARPA file (KenLM, SRILM, ...) into a model file.

    \b
    Example:
      ntp arpa import books.o5.arpa.gz -o books-kenlm.ntp
    """
    from ..language_model import LanguageModel

    if get_tokenizer(tokenizer).needs_training:
        raise click.BadParameter(f"a {tokenizer} tokenizer must be trained; ARPA files do not carry one",
                                 param_hint="--tokenizer")
    lm = LanguageModel.from_arpa(arpa_file, tokenizer=tokenizer)
    lm.save(output)
    if as_json:
        emit_json({"output": str(output), "file_bytes": os.path.getsize(output), "order": lm.order,
                   "vocab_size": len(lm.vocab), "ngrams": list(lm.model.sizes)})
        return
    click.echo(f"Wrote {output} ({human_bytes(os.path.getsize(output))}; order {lm.order}, "
               f"vocabulary {human_int(len(lm.vocab))})")


def prune_counts(text: str | None) -> list[int] | None:
    """'0 1 1' or '0,1,1' -> [0, 1, 1] (the thresholds themselves are checked by training)."""
    if not text:
        return None
    try:
        return [int(x) for x in text.replace(",", " ").split()]
    except ValueError:
        raise click.BadParameter(f"{text!r}: give one whole number per order, e.g. '0 1 1'",
                                 param_hint="--prune") from None
