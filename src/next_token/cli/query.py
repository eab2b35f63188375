"""`ntp predict`, `complete`, `generate`, `score` and `eval`: asking a model about text."""

from __future__ import annotations

import sys

import click

from ..repl import bar_chart
from .options import (
    ascii_only,
    emit_json,
    human_int,
    json_option,
    load_model,
    model_option,
    predictions_json,
    read_text,
    styled,
)


@click.command()
@click.argument("text")
@click.option("-k", default=10, show_default=True, type=click.IntRange(1, 10_000), help="How many tokens.")
@click.option("--prefix", default=None, help="Only tokens that start with this (a word being typed).")
@click.option("--typos/--no-typos", default=True, show_default=True,
              help="With --prefix: fill up with words 1-2 edits away when few start with it (\"Chirs\" -> Christine).")
@click.option("--explain", is_flag=True,
              help="Also show the longest part of TEXT seen in the corpus, how often, and where "
                   "(models with a corpus index: the default for text models).")
@model_option
@json_option
def predict(text, k, prefix, typos, explain, model_path, as_json):
    """The k most probable next tokens after TEXT, with probabilities.

    "</s>" is the end of the sentence.

    \b
    Example:
      ntp predict "The sun" -k 5 -m books.ntp
      ntp predict "import" --prefix s          (next words starting with "s")
      ntp predict "I saw" --prefix Chirs -m books.ntp   (typos allowed: Christine)
      ntp predict "swung to her" --explain -m books.ntp
    """
    lm = load_model(model_path, quiet=as_json)
    preds = lm.predict(text, k=k, prefix=prefix, typos=typos)
    why = lm.explain(text) if explain else None
    if as_json:
        doc = {"context": text, "prefix": prefix, "predictions": predictions_json(preds)}
        if why is not None:
            doc["explanation"] = why
        emit_json(doc)
        return
    for row in bar_chart(preds, ascii_only=ascii_only()):
        click.echo(row)
    if why is not None:
        click.echo(f"\nmatched context: \"{why['matched']}\" ({why['matched_tokens']} tokens), "
                   f"seen {why['count']:,} times, followed by {why['continuations']:,} different tokens")
        for place in why["occurrences"]:
            where = f"{place['source']}:{place['line']}" if "source" in place else f"token {place['position']:,}"
            click.echo(f"  at {where}: ...{place['before'][-60:]} [{place['match']}] {place['after'][:60]}...")


@click.command()
@click.argument("text")
@click.option("-n", "--alternatives", default=0, show_default=True, type=click.IntRange(0, 100),
              help="Also show this many alternative completions (beam search).")
@click.option("--max-tokens", default=30, show_default=True, type=click.IntRange(1, 1000),
              help="At most this many tokens.")
@model_option
@json_option
def complete(text, alternatives, max_tokens, model_path, as_json):
    """The most probable continuation of TEXT to the end of its sentence (beam search).

    \b
    Example:
      ntp complete "The sun" -m books.ntp
      ntp complete "The sun" -n 5 --json
    """
    lm = load_model(model_path, quiet=as_json)
    best = lm.complete(text, max_tokens=max_tokens)
    alts = lm.completions(text, k=alternatives, max_tokens=min(max_tokens, 200)) if alternatives else []
    if as_json:
        emit_json({
            "prompt": text,
            "completion": best,
            "alternatives": [{"text": c.text, "probability": c.probability} for c in alts],
        })
        return
    click.echo(text + styled(best, bold=True))
    if alts:
        click.echo("alternatives:")
        for i, c in enumerate(alts, 1):
            click.echo(f"  {i}. {text}{styled(c.text, bold=True)}   (p = {c.probability:.2g})")


@click.command()
@click.argument("text", required=False, default="")
@click.option("--max-tokens", default=50, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--temperature", "-t", default=1.0, show_default=True, type=click.FloatRange(0, 100),
              help="0 = always the most likely token; higher = more varied.")
@click.option("--top-k", default=None, type=click.IntRange(1, 10_000), help="Sample only among the k best tokens.")
@click.option("--top-p", default=None, type=click.FloatRange(0, 1, min_open=True),
              help="Sample only among the best tokens that make up this much probability (nucleus).")
@click.option("--seed", default=None, type=click.IntRange(0), help="Same seed, same text (a non-negative integer).")
@click.option("--stop", multiple=True, help="Stop before this string (repeatable).")
@click.option("--no-repeat-ngram", default=None, type=click.IntRange(1, 100),
              help="Never repeat an n-gram of this size.")
@click.option("--decoding", default="seen", show_default=True, type=click.Choice(["seen", "smoothed"]),
              help="seen: write only what the corpus showed after each context (reads like the corpus); "
                   "smoothed: sample the model's whole distribution.")
@click.option("--min-p", default=None, type=click.FloatRange(0, 1),
              help="Drop tokens less than this fraction as probable as the best one.")
@model_option
@json_option
def generate(text, max_tokens, temperature, top_k, top_p, seed, stop, no_repeat_ngram, decoding, min_p, model_path,
             as_json):
    """Generate text after TEXT (or from nothing), token by token, as it comes.

    \b
    Example:
      ntp generate "It was a dark night" --max-tokens 40 --temperature 0.8 --seed 1
      ntp generate --top-p 0.9 --stop "." -m books.ntp
    """
    lm = load_model(model_path, quiet=as_json)
    args = dict(max_tokens=max_tokens, temperature=temperature, top_k=top_k, top_p=top_p, seed=seed,
                stop=list(stop) or None, no_repeat_ngram=no_repeat_ngram, decoding=decoding, min_p=min_p)
    if as_json:
        out = lm.generate(text, **args)
        emit_json({"prompt": text, "text": out, **{k: v for k, v in args.items() if k != "stop"},
                   "stop": list(stop)})
        return
    pieces = lm.stream(text, **args)
    first = next(pieces, None)  # argument errors surface here, before anything is printed
    click.echo(text, nl=False)
    if first is not None:
        click.echo(styled(first, bold=True), nl=False)
        for piece in pieces:
            click.echo(styled(piece, bold=True), nl=False)
    click.echo()


@click.command()
@click.argument("files", nargs=-1)
@click.option("--text", default=None, help="Score this text instead of a file.")
@click.option("--per-token", is_flag=True, help="Also list every token's log10 probability.")
@click.option("--per-document", is_flag=True,
              help="One row per document (each file) instead of one total: TSV, or JSON lines with --json.")
@click.option("--lines", is_flag=True, help="Every line of every file is a document (implies --per-document).")
@click.option("--workers", type=click.IntRange(1, 1024), default=None,
              help="Score documents on N local Dask worker processes (implies --per-document; needs the dask extra).")
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="Score documents on a running Dask cluster, e.g. tcp://10.0.0.5:8786 or a scheduler .json file; "
                   "workers must see the same paths as this machine.")
@model_option
@json_option
def score(files, text, per_token, per_document, lines, workers, scheduler, model_path, as_json):
    """Log-probability and perplexity of FILES (- for standard input) or of --text.

    Sentence by sentence, "</s>" counted, unknown tokens scored as <unk> (as KenLM's query does).
    With --per-document, --lines, --workers or --scheduler: one row per document, in input
    order (document, tokens, oov, logprob, perplexity, perplexity_excl_oov), the way KenLM is
    used to filter web text.

    \b
    Example:
      ntp score held-out.txt -m books.ntp
      ntp score --text "The sun was setting." --per-token
      ntp score crawl/ --lines --workers 8 -m clean.ntp > scores.tsv
      ntp score crawl/*.txt --scheduler tcp://head:8786 -m /shared/clean.ntp --json
    """
    if lines or workers or scheduler or per_document:
        _score_documents(files, text, per_token, lines, workers, scheduler, model_path, as_json)
        return
    if len(files) > 1:
        raise click.UsageError("several FILES are scored one row each: add --per-document")
    file = files[0] if files else None
    body = read_text(file, text, "text to score")
    lm = load_model(model_path, quiet=as_json)
    s = lm.score(body, per_token=per_token)
    result = {
        "tokens": s.tokens,
        "oov": s.oov,
        "logprob": s.logprob,
        "perplexity": s.perplexity,
        "perplexity_excl_oov": s.perplexity_excl_oov,
    }
    if per_token:
        result["token_logprobs"] = [{"token": t, "logprob": lp} for t, lp in s.token_logprobs]
    if as_json:
        emit_json(result)
        return
    click.echo(f"tokens      {human_int(s.tokens)} (one </s> per sentence), {human_int(s.oov)} unknown")
    click.echo(f"log10 prob  {s.logprob:.4f}")
    click.echo(f"perplexity  {s.perplexity:.2f} (excluding unknown tokens: {s.perplexity_excl_oov:.2f})")
    if per_token:
        for t, lp in s.token_logprobs:
            click.echo(f"  {lp:9.4f}  {t}")


def _score_documents(files, text, per_token, lines, workers, scheduler, model_path, as_json):
    """`ntp score` one row per document, locally or on Dask."""
    from ..distributed.scoring import score_documents, write_rows

    if text is not None or not files:
        raise click.UsageError("per-document scoring reads FILES (files, folders or globs), not --text")
    if per_token:
        raise click.UsageError("--per-token is for one text; per-document rows give totals")
    if "-" in files:
        raise click.UsageError("per-document scoring reads files, not standard input")
    if workers and scheduler:
        raise click.UsageError("give --workers or --scheduler, not both")
    lm = load_model(model_path, quiet=True)
    if lm.path is None:
        raise click.UsageError("per-document scoring needs a model file (-m MODEL)")
    if workers or scheduler:
        from ..distributed import connect, score_on_dask

        with connect(workers=workers, scheduler=scheduler) as client:
            write_rows(score_on_dask(lm.path, list(files), client, lines=lines), sys.stdout, as_json)
        return
    write_rows(score_documents(lm.path, list(files), lines=lines), sys.stdout, as_json)


@click.command("eval")
@click.argument("testfile")
@click.option("-k", default=5, show_default=True, type=click.IntRange(1, 1000),
              help="Report top-1 and top-k next-token accuracy.")
@click.option("--keystroke-k", multiple=True, type=click.IntRange(1, 1000),
              help="Suggestion counts for the keystroke simulation (repeatable). Default: 1, 3, 5.")
@click.option("--max-sentences", default=None, type=click.IntRange(1), help="Use only the first N sentences.")
@click.option("--keystroke-sentences", default=None, type=click.IntRange(0),
              help="Simulate typing only the first N sentences (the slow part); 0 skips it.")
@model_option
@json_option
def eval_(testfile, k, keystroke_k, max_sentences, keystroke_sentences, model_path, as_json):
    """Evaluate a model on held-out text: perplexity, accuracy, keystroke savings.

    Accuracy counts every token, sentence ends ("</s>") included; unknown tokens count as misses.
    Keystroke savings: a person types the text; before each keystroke the top-k suggestions for
    the current token are shown, and the token is accepted with one keystroke (which also types
    the following space) as soon as it is among them. See `next_token.evaluate` for exactly what
    is counted.

    \b
    Example:
      ntp eval test.txt -m books.ntp
      ntp eval test.txt -m books.ntp --keystroke-sentences 300 --json
    """
    from ..evaluate import evaluate

    body = read_text(testfile, None, "test text")
    lm = load_model(model_path, quiet=as_json)
    ev = evaluate(lm, body, accuracy_ks=sorted({1, k}), keystroke_ks=keystroke_k or (1, 3, 5),
                  max_sentences=max_sentences, keystroke_sentences=keystroke_sentences,
                  progress=not as_json and sys.stderr.isatty())
    if as_json:
        emit_json(ev.to_dict())
        return
    click.echo(f"sentences   {human_int(ev.sentences)}; tokens {human_int(ev.tokens)} "
               f"(one </s> per sentence), {human_int(ev.oov)} unknown")
    click.echo(f"perplexity  {ev.perplexity:.2f} (excluding unknown tokens: {ev.perplexity_excl_oov:.2f})")
    click.echo("accuracy    " + "   ".join(f"top-{kk}: {100 * v:.2f}%" for kk, v in ev.accuracy.items()))
    if ev.keystrokes:
        first = next(iter(ev.keystrokes.values()))
        click.echo(f"keystrokes  typing {human_int(first.tokens)} tokens of {human_int(ev.keystroke_sentences)} "
                   f"sentences takes {human_int(first.keystrokes)} keystrokes; with suggestions:")
        for kk, ks in ev.keystrokes.items():
            click.echo(f"  k = {kk:<3} {human_int(ks.with_suggestions):>10} keystrokes, "
                       f"{100 * ks.saved_share:5.1f}% saved ({human_int(ks.accepted)} tokens accepted)")
    click.echo(f"({ev.seconds:.1f} s)")
