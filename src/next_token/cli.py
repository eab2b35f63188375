"""`ntp`, the command line: train, predict, complete, generate, score, evaluate, explore.

Every command takes `-m/--model MODEL` (a .ntp file, or an .arpa / .arpa.gz file; default: the
built-in model of Python's documentation, or $NTP_MODEL), prints for people by default and JSON
with `--json`, and turns bad input into a one-line error and a non-zero exit status
(1 for bad data or files, 2 for bad usage).
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import sys
import time
from pathlib import Path

import click

from . import __version__
from .errors import ModelFileError, NtpError
from .repl import Repl, bar_chart, history_path

TOKENIZERS = ("word", "char", "bpe", "whitespace")
# Prompts the demo shows: ones that suit the built-in corpus (Python's docs), and plain ones for
# a model of the user's own text.
DEMO_PROMPTS_DEFAULT = ("The function returns", "This module provides", "If the file does not exist,")
DEMO_PROMPTS_OTHER = ("It was", "The", "In the")

# Subcommands other parts of the package provide; imported only when used, and only listed when
# their module exists, so the CLI works without them (and starts fast).
LAZY_COMMANDS = {"image": ("next_token.image.cli", "image_group")}


class NtpGroup(click.Group):
    """A click group that reports library errors in one line, and loads optional commands lazily."""

    def list_commands(self, ctx):
        names = set(super().list_commands(ctx))
        names.update(n for n, (mod, _) in LAZY_COMMANDS.items() if _module_exists(mod))
        return sorted(names)

    def get_command(self, ctx, name):
        cmd = super().get_command(ctx, name)
        if cmd is None and name in LAZY_COMMANDS:
            mod, attr = LAZY_COMMANDS[name]
            if _module_exists(mod):
                cmd = getattr(importlib.import_module(mod), attr)
        return cmd

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except NtpError as e:
            raise click.ClickException(str(e)) from None
        except OSError as e:  # e.g. an output path in a folder that does not exist
            if isinstance(e, BrokenPipeError):
                _quiet_broken_pipe()
            what = f"{e.strerror}: {e.filename}" if e.strerror and e.filename else str(e)
            raise click.ClickException(what) from None
        except MemoryError:
            raise click.ClickException("out of memory: try a smaller corpus or a lower --order") from None


def _module_exists(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def _quiet_broken_pipe():
    """`ntp generate | head` closes our stdout early: leave without a second error on exit."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    sys.exit(1)


# ---------------------------------------------------------------------- shared options and helpers

def model_option(f):
    return click.option(
        "-m", "--model", "model_path", metavar="MODEL", envvar="NTP_MODEL",
        help="Model file (.ntp, or .arpa/.arpa.gz). Default: the built-in model (Python's docs), or $NTP_MODEL.",
    )(f)


def json_option(f):
    return click.option("--json", "as_json", is_flag=True, help="Print JSON (for scripts) instead of text.")(f)


def load_model(path: str | None, quiet: bool = False):
    """The model at `path`, or the built-in default model (built and cached on first use)."""
    from .language_model import LanguageModel

    if path is None:
        return _default_model(quiet)
    p = Path(path)
    if p.name.endswith((".arpa", ".arpa.gz")) and p.is_file():
        return LanguageModel.from_arpa(p)
    return LanguageModel.load(p)


def _default_model(quiet: bool):
    from .language_model import LanguageModel, default_model_path

    try:
        cached = default_model_path().exists()
    except ImportError as e:  # the built-in corpus module is missing from this installation
        raise ModelFileError(f"the built-in model is not available ({e}); pass a model with -m MODEL") from None
    if not cached and not quiet:
        click.echo("Building the default model from Python's documentation (first run only)...", err=True)
    t0 = time.perf_counter()
    lm = LanguageModel.default(progress=not quiet and sys.stderr.isatty())
    if not cached and not quiet:
        click.echo(f"Built and cached in {time.perf_counter() - t0:.1f} s: {lm.path or default_model_path()}", err=True)
    return lm


def emit_json(obj) -> None:
    click.echo(json.dumps(obj, ensure_ascii=False, indent=2))


def _predictions_json(preds):
    return [{"token": p.token, "probability": p.probability} for p in preds]


def _ascii_only() -> bool:
    enc = getattr(sys.stdout, "encoding", None) or "utf-8"
    try:
        "█▏".encode(enc)
        return False
    except (UnicodeEncodeError, LookupError):
        return True


def _styled(s: str, **style) -> str:
    return click.style(s, **style)


def _read_text(file: str | None, text: str | None, what: str) -> str:
    """The text of FILE ("-" for stdin) or of --text; exactly one of them."""
    from .corpus import iter_texts

    if (file is None) == (text is None):
        raise click.UsageError(f"give the {what} as a FILE (or - for standard input) or with --text, not both")
    if text is not None:
        return text
    return "\n\n".join(t for _, t in iter_texts([file]))


def _human_int(n) -> str:
    return f"{int(n):,}"


def _human_bytes(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"


# ---------------------------------------------------------------------- the group

@click.group(cls=NtpGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ntp")
def main():
    """Next-token prediction with fast, exact count-based language models.

    \b
    Start here:
      ntp demo                                   see it work on the built-in model
      ntp train books/ -o books.ntp              train on your own text
      ntp predict "The sun" -m books.ntp         the next word, with probabilities
      ntp repl -m books.ntp                      try prompts interactively
    """


# ---------------------------------------------------------------------- train

@main.command()
@click.argument("sources", nargs=-1, required=True)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, writable=True),
              help="Where to write the model (one file, written atomically).")
@click.option("--order", default=5, show_default=True, type=click.IntRange(1, 12), help="n-gram order.")
@click.option("--tokenizer", default="word", show_default=True, type=click.Choice(TOKENIZERS),
              help="word: words and punctuation; char: characters; bpe: subwords learned from the corpus; "
                   "whitespace: pre-tokenized text, one sentence per line.")
@click.option("--bpe-vocab-size", default=8000, show_default=True, type=click.IntRange(1, 1_000_000),
              help="Subword vocabulary size for --tokenizer bpe.")
@click.option("--unbounded", is_flag=True,
              help="Also index the corpus with a suffix array for unbounded context.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
@json_option
def train(sources, output, order, tokenizer, bpe_vocab_size, unbounded, quiet, as_json):
    """Train a model on files, folders, globs or - (standard input).

    Folders are read recursively (*.txt, *.md, *.rst, and .gz versions).

    \b
    Example:
      ntp train books/ notes.txt -o books.ntp --order 5
      cat corpus.txt | ntp train - -o corpus.ntp --tokenizer bpe
    """
    from .language_model import LanguageModel

    kwargs = dict(order=order, tokenizer=tokenizer, bpe_vocab_size=bpe_vocab_size, unbounded=unbounded,
                  progress=not quiet and not as_json and sys.stderr.isatty())
    t0 = time.perf_counter()
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
        "ngrams": list(lm.ngram.sizes),
    }
    if as_json:
        emit_json(summary)
        return
    click.echo(f"Built {output} in {seconds:.2f} s ({_human_bytes(size)})")
    rows = [
        ("documents", _human_int(summary["documents"] or 0)),
        ("sentences", _human_int(summary["sentences"] or 0)),
        ("tokens", _human_int(summary["tokens"] or 0)),
        ("vocabulary", f"{_human_int(summary['vocab_size'])} ({lm.tokenizer.name} tokens)"),
        ("n-grams", "  ".join(f"{n}: {_human_int(c)}" for n, c in enumerate(summary["ngrams"], 1))),
    ]
    for name, value in rows:
        click.echo(f"  {name:<11} {value}")


# ---------------------------------------------------------------------- predict / complete / generate

@main.command()
@click.argument("text")
@click.option("-k", default=10, show_default=True, type=click.IntRange(1, 10_000), help="How many tokens.")
@click.option("--prefix", default=None, help="Only tokens that start with this (a word being typed).")
@click.option("--explain", is_flag=True,
              help="Also show the longest part of TEXT seen in the corpus, how often, and where "
                   "(models trained with --unbounded).")
@model_option
@json_option
def predict(text, k, prefix, explain, model_path, as_json):
    """The k most probable next tokens after TEXT, with probabilities.

    "</s>" is the end of the sentence.

    \b
    Example:
      ntp predict "The sun" -k 5 -m books.ntp
      ntp predict "import" --prefix s          (next words starting with "s")
      ntp predict "swung to her" --explain -m books-unbounded.ntp
    """
    lm = load_model(model_path, quiet=as_json)
    preds = lm.predict(text, k=k, prefix=prefix)
    why = lm.explain(text) if explain else None
    if as_json:
        doc = {"context": text, "prefix": prefix, "predictions": _predictions_json(preds)}
        if why is not None:
            doc["explanation"] = why
        emit_json(doc)
        return
    for row in bar_chart(preds, ascii_only=_ascii_only()):
        click.echo(row)
    if why is not None:
        click.echo(f"\nmatched context: \"{why['matched']}\" ({why['matched_tokens']} tokens), "
                   f"seen {why['count']:,} times, followed by {why['continuations']:,} different tokens")
        for place in why["occurrences"]:
            click.echo(f"  at token {place['position']:,}: ...{place['before'][-60:]} "
                       f"[{place['match']}] {place['after'][:60]}...")


@main.command()
@click.argument("text")
@click.option("-n", "--alternatives", default=0, show_default=True, type=click.IntRange(0, 100),
              help="Also show this many alternative completions (beam search).")
@click.option("--max-tokens", default=30, show_default=True, type=click.IntRange(1, 1000),
              help="At most this many tokens.")
@model_option
@json_option
def complete(text, alternatives, max_tokens, model_path, as_json):
    """The most likely continuation of TEXT to the end of its sentence.

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
    click.echo(text + _styled(best, bold=True))
    if alts:
        click.echo("alternatives:")
        for i, c in enumerate(alts, 1):
            click.echo(f"  {i}. {text}{_styled(c.text, bold=True)}   (p = {c.probability:.2g})")


@main.command()
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
@model_option
@json_option
def generate(text, max_tokens, temperature, top_k, top_p, seed, stop, no_repeat_ngram, model_path, as_json):
    """Generate text after TEXT (or from nothing), token by token, as it comes.

    \b
    Example:
      ntp generate "It was a dark night" --max-tokens 40 --temperature 0.8 --seed 1
      ntp generate --top-p 0.9 --stop "." -m books.ntp
    """
    lm = load_model(model_path, quiet=as_json)
    args = dict(max_tokens=max_tokens, temperature=temperature, top_k=top_k, top_p=top_p, seed=seed,
                stop=list(stop) or None, no_repeat_ngram=no_repeat_ngram)
    if as_json:
        out = lm.generate(text, **args)
        emit_json({"prompt": text, "text": out, **{k: v for k, v in args.items() if k != "stop"},
                   "stop": list(stop)})
        return
    pieces = lm.stream(text, **args)
    first = next(pieces, None)  # argument errors surface here, before anything is printed
    click.echo(text, nl=False)
    if first is not None:
        click.echo(_styled(first, bold=True), nl=False)
        for piece in pieces:
            click.echo(_styled(piece, bold=True), nl=False)
    click.echo()


# ---------------------------------------------------------------------- score / eval

@main.command()
@click.argument("file", required=False)
@click.option("--text", default=None, help="Score this text instead of a file.")
@click.option("--per-token", is_flag=True, help="Also list every token's log10 probability.")
@model_option
@json_option
def score(file, text, per_token, model_path, as_json):
    """Log-probability and perplexity of FILE (- for standard input) or of --text.

    Sentence by sentence, "</s>" counted, unknown tokens scored as <unk> (as KenLM's query does).

    \b
    Example:
      ntp score held-out.txt -m books.ntp
      ntp score --text "The sun was setting." --per-token
    """
    body = _read_text(file, text, "text to score")
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
    click.echo(f"tokens      {_human_int(s.tokens)} (one </s> per sentence), {_human_int(s.oov)} unknown")
    click.echo(f"log10 prob  {s.logprob:.4f}")
    click.echo(f"perplexity  {s.perplexity:.2f} (excluding unknown tokens: {s.perplexity_excl_oov:.2f})")
    if per_token:
        for t, lp in s.token_logprobs:
            click.echo(f"  {lp:9.4f}  {t}")


@main.command("eval")
@click.argument("testfile")
@click.option("-k", default=5, show_default=True, type=click.IntRange(1, 10_000),
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
    from .evaluate import evaluate

    body = _read_text(testfile, None, "test text")
    lm = load_model(model_path, quiet=as_json)
    ev = evaluate(lm, body, accuracy_ks=sorted({1, k}), keystroke_ks=keystroke_k or (1, 3, 5),
                  max_sentences=max_sentences, keystroke_sentences=keystroke_sentences,
                  progress=not as_json and sys.stderr.isatty())
    if as_json:
        emit_json(ev.to_dict())
        return
    click.echo(f"sentences   {_human_int(ev.sentences)}; tokens {_human_int(ev.tokens)} "
               f"(one </s> per sentence), {_human_int(ev.oov)} unknown")
    click.echo(f"perplexity  {ev.perplexity:.2f} (excluding unknown tokens: {ev.perplexity_excl_oov:.2f})")
    click.echo("accuracy    " + "   ".join(f"top-{kk}: {100 * v:.2f}%" for kk, v in ev.accuracy.items()))
    if ev.keystrokes:
        first = next(iter(ev.keystrokes.values()))
        click.echo(f"keystrokes  typing {_human_int(first.tokens)} tokens of {_human_int(ev.keystroke_sentences)} "
                   f"sentences takes {_human_int(first.keystrokes)} keystrokes; with suggestions:")
        for kk, ks in ev.keystrokes.items():
            click.echo(f"  k = {kk:<3} {_human_int(ks.with_suggestions):>10} keystrokes, "
                       f"{100 * ks.saved_share:5.1f}% saved ({_human_int(ks.accepted)} tokens accepted)")
    click.echo(f"({ev.seconds:.1f} s)")


# ---------------------------------------------------------------------- repl / info

@main.command()
@click.option("-k", default=10, show_default=True, type=click.IntRange(1, 1000), help="Next tokens shown.")
@click.option("--temperature", "-t", default=0.0, show_default=True, type=click.FloatRange(0, 100),
              help="0 = the most likely completion; above 0 = sampled.")
@model_option
def repl(k, temperature, model_path):
    """Type text, press Enter, see the completion and the top-k next tokens.

    Commands: /help, /k 20, /temp 0.7, /len 40, /quit (or Ctrl-D). Arrow keys walk the history.

    \b
    Example:
      ntp repl -m books.ntp -k 5
    """
    lm = load_model(model_path)
    Repl(lm, k=k, temperature=temperature).run(history_file=history_path())


@main.command()
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
            value = "  ".join(f"{n}: {_human_int(c)}" for n, c in enumerate(value, 1))
        elif key == "file_bytes":
            value = _human_bytes(value)
        elif isinstance(value, int) and not isinstance(value, bool):
            value = _human_int(value)
        elif isinstance(value, (list, tuple)):
            value = ", ".join(map(str, value))
        click.echo(f"{key:<16} {value}")


# ---------------------------------------------------------------------- arpa

@main.group()
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
        emit_json({"output": str(out), "file_bytes": os.path.getsize(out), "ngrams": list(lm.ngram.sizes)})
        return
    click.echo(f"Wrote {out} ({_human_bytes(os.path.getsize(out))}; n-grams "
               + "  ".join(f"{n}: {_human_int(c)}" for n, c in enumerate(lm.ngram.sizes, 1)) + ")")


@arpa.command("import")
@click.argument("arpa_file")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="Model file to write.")
@click.option("--tokenizer", default="whitespace", show_default=True, type=click.Choice(TOKENIZERS),
              help="How prompts are split into the ARPA file's tokens (bpe needs a trained model).")
@json_option
def arpa_import(arpa_file, output, tokenizer, as_json):
    """Read an ARPA file (KenLM, SRILM, ...) into a model file.

    \b
    Example:
      ntp arpa import books.o5.arpa.gz -o books-kenlm.ntp
    """
    from .language_model import LanguageModel

    if tokenizer == "bpe":
        raise click.BadParameter("a BPE tokenizer must be trained; ARPA files do not carry one", param_hint="--tokenizer")
    lm = LanguageModel.from_arpa(arpa_file, tokenizer=tokenizer)
    lm.save(output)
    if as_json:
        emit_json({"output": str(output), "file_bytes": os.path.getsize(output), "order": lm.order,
                   "vocab_size": len(lm.vocab), "ngrams": list(lm.ngram.sizes)})
        return
    click.echo(f"Wrote {output} ({_human_bytes(os.path.getsize(output))}; order {lm.order}, "
               f"vocabulary {_human_int(len(lm.vocab))})")


# ---------------------------------------------------------------------- serve

@main.command()
@model_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
def serve(model_path, host, port):
    """Serve the model over HTTP: JSON API, OpenAI-compatible /v1, and an autocomplete page.

    \b
    Example:
      ntp serve -m books.ntp --port 8000     then open http://127.0.0.1:8000/
    """
    if not _module_exists("next_token.server"):
        raise click.ClickException("the server is not part of this installation")
    try:
        from .server import serve as run_server
    except ImportError as e:
        raise click.ClickException(f"the server needs the [serve] extra ({e}): "
                                   "pip install 'next-token-prediction[serve]'") from None
    lm = load_model(model_path)
    run_server(lm, host=host, port=port)


# ---------------------------------------------------------------------- demo

@main.command()
@click.option("-k", default=5, show_default=True, type=click.IntRange(1, 50), help="Next tokens shown per prompt.")
@click.option("--no-repl", is_flag=True, help="Do not offer the interactive prompt at the end.")
@model_option
@json_option
def demo(k, no_repl, model_path, as_json):
    """Show what the model does: next words, a completion, alternatives; then try it yourself.

    Uses the built-in model (trained on Python's documentation on first run, then cached) unless
    -m is given. Includes the four demo calls of the original JavaScript library.

    \b
    Example:
      ntp demo
      ntp demo -m books.ntp --no-repl
    """
    from .compat import Language

    t0 = time.perf_counter()
    lm = load_model(model_path, quiet=as_json)
    ready = time.perf_counter() - t0
    agent = Language(model=lm, top_k=k)
    original = {
        'get_token_prediction("what")': agent.get_token_prediction("what"),
        'get_token_sequence_prediction("what is", 5)': agent.get_token_sequence_prediction("what is", 5),
        'complete("hopefully")': agent.complete("hopefully"),
        'get_completions("The sun")': agent.get_completions("The sun"),
    }
    prompts = []
    for p in DEMO_PROMPTS_DEFAULT if model_path is None else DEMO_PROMPTS_OTHER:
        prompts.append({
            "prompt": p,
            "predictions": lm.predict(p, k=k),
            "completion": lm.complete(p),
            "alternatives": lm.completions(p, k=3),
        })
    if as_json:
        emit_json({
            "model": lm.info(),
            "load_seconds": round(ready, 3),
            "original_api": original,
            "prompts": [{**d, "predictions": _predictions_json(d["predictions"]),
                         "alternatives": [{"text": c.text, "probability": c.probability} for c in d["alternatives"]]}
                        for d in prompts],
        })
        return

    ascii_only = _ascii_only()
    head = lambda s: click.echo("\n" + _styled(s, bold=True, underline=True))  # noqa: E731
    click.echo(f"{lm!r}, ready in {ready:.2f} s" + (f" ({lm.path})" if lm.path else ""))
    for d in prompts:
        head(f"After \"{d['prompt']}\"")
        for row in bar_chart(d["predictions"], ascii_only=ascii_only):
            click.echo(row)
        click.echo(f"  completion:  {d['prompt']}{_styled(d['completion'], bold=True)}")
        for c in d["alternatives"]:
            click.echo(f"  alternative: {d['prompt']}{_styled(c.text, bold=True)}")

    head("The original library's demo (from next_token.compat import Language)")
    click.echo("  agent = Language(bootstrap=True)")
    for call, result in original.items():
        click.echo(f"  agent.{call}")
        click.echo(f"    -> {_short(result)}")

    if not no_repl and sys.stdin.isatty() and sys.stdout.isatty():
        click.echo()
        if click.confirm("Try your own prompts in the REPL?", default=True):
            Repl(lm, k=k).run(history_file=history_path())
    elif not no_repl:
        click.echo("\nTry your own prompts: ntp repl" + (f" -m {model_path}" if model_path else ""))


def _short(result, limit: int = 6) -> str:
    """A dict result on one line, long lists cut to `limit` items."""
    if isinstance(result, str):
        return json.dumps(result, ensure_ascii=False)
    parts = []
    for key, value in result.items():
        if isinstance(value, list) and len(value) > limit:
            value = value[:limit] + ["..."]
        parts.append(f"{key}: {json.dumps(value, ensure_ascii=False)}")
    return "{" + ", ".join(parts) + "}"


if __name__ == "__main__":  # python -m next_token.cli
    main()
