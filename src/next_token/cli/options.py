"""What the `ntp` commands share: the -m/--json options, loading a model, and printing for people."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click

from ..errors import ModelFileError


def model_option(f):
    return click.option(
        "-m", "--model", "model_path", metavar="MODEL", envvar="NTP_MODEL",
        help="Model file (.ntp, or .arpa/.arpa.gz). Default: the built-in model (Python's docs), or $NTP_MODEL.",
    )(f)


def json_option(f):
    return click.option("--json", "as_json", is_flag=True, help="Print JSON (for scripts) instead of text.")(f)


def load_model(path: str | None, quiet: bool = False):
    """The model at `path`, or the built-in default model (built and cached on first use)."""
    from ..language_model import LanguageModel

    if path is None:
        return _default_model(quiet)
    p = Path(path)
    if p.name.endswith((".arpa", ".arpa.gz")) and p.is_file():
        return LanguageModel.from_arpa(p)
    return LanguageModel.load(p)


def _default_model(quiet: bool):
    from ..language_model import LanguageModel, default_model_path

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


def predictions_json(preds):
    return [{"token": p.token, "probability": p.probability, "distance": p.distance} for p in preds]


def ascii_only() -> bool:
    enc = getattr(sys.stdout, "encoding", None) or "utf-8"
    try:
        "█▏".encode(enc)
        return False
    except (UnicodeEncodeError, LookupError):
        return True


def styled(s: str, **style) -> str:
    return click.style(s, **style)


def read_text(file: str | None, text: str | None, what: str) -> str:
    """The text of FILE ("-" for stdin) or of --text; exactly one of them."""
    from ..text.corpus import iter_texts

    if (file is None) == (text is None):
        raise click.UsageError(f"give the {what} as a FILE (or - for standard input) or with --text, not both")
    if text is not None:
        return text
    from ..errors import CorpusError

    try:
        return "\n\n".join(t for _, t in iter_texts([file]))
    except CorpusError as e:
        if "the corpus is empty" in str(e):  # the training wording does not fit here
            raise CorpusError(f"the {what} is empty: {file} holds no text") from None
        raise


def human_int(n) -> str:
    return f"{int(n):,}"


def human_bytes(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"
