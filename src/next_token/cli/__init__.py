"""`ntp`, the command line: train, predict, complete, generate, score, evaluate, explore.

Every command takes `-m/--model MODEL` (a .ntp file, or an .arpa / .arpa.gz file; default: the
built-in model of Python's documentation, or $NTP_MODEL), prints for people by default and JSON
with `--json`, and turns bad input into a one-line error and a non-zero exit status
(1 for bad data or files, 2 for bad usage).

    group        the click groups: error reporting, lazily loaded command groups
    options      shared options, model loading, output helpers
    model_files  train, info, arpa
    query        predict, complete, generate, score, eval
    lookup       search, similar, analogy, paraphrase
    spelling     spell, correct
    interactive  repl, serve, demo
    export       prune, export web
"""

from __future__ import annotations

import warnings

import click

from .. import __version__
from ..files import exit_on_sigterm
from .export import export, prune
from .group import NtpGroup
from .interactive import demo, repl, serve
from .lookup import analogy, paraphrase, search, similar
from .model_files import arpa, info, train
from .query import complete, eval_, generate, predict, score
from .spelling import correct, spell


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
    exit_on_sigterm()  # so that an interrupted save removes its temporary file
    warnings.showwarning = _one_line_warning


def _one_line_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Library warnings (e.g. Kneser-Ney's fallback discounts on a tiny text) as one line for a
    person, not Python's file:line and source echo."""
    click.echo(f"Warning: {message}", err=True)


for command in (train, predict, complete, generate, score, eval_, repl, info, arpa, serve, demo, prune, export,
                search, similar, analogy, paraphrase, spell, correct):
    main.add_command(command)
