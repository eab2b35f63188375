"""`ntp repl`, `ntp serve` and `ntp demo`: the interactive faces."""

from __future__ import annotations

import json
import sys
import time

import click

from ..repl import Repl, bar_chart, history_path
from .group import module_exists
from .options import ascii_only, emit_json, json_option, load_model, model_option, predictions_json, styled

# Prompts the demo shows: ones that suit the built-in corpus (Python's docs), and plain ones for
# a model of the user's own text.
DEMO_PROMPTS_DEFAULT = ("The function returns", "This module provides", "If the file does not exist,")
DEMO_PROMPTS_OTHER = ("It was", "The", "In the")

@click.command()
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


@click.command()
@model_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--api-key", "api_keys", multiple=True, envvar="NTP_API_KEY", metavar="KEY",
              help="Require 'Authorization: Bearer KEY' on the API (repeat for several keys; or set "
                   "NTP_API_KEY=\"KEY1 KEY2\", which keeps them out of the process list).")
@click.option("--cors-origin", "cors_origins", multiple=True, metavar="URL",
              help="Let pages from this origin call the API from a browser (repeat; '*' for any).")
def serve(model_path, host, port, api_keys, cors_origins):
    """Serve the model over HTTP: JSON API, OpenAI-compatible /v1, and an autocomplete page.

    The model file may be replaced while serving (even overwritten in place): the server
    serves a private copy and reloads the file once it is complete and valid.

    \b
    Example:
      ntp serve -m books.ntp --port 8000     then open http://127.0.0.1:8000/
      NTP_API_KEY=s3cret ntp serve -m books.ntp --host 0.0.0.0 --cors-origin https://example.org
    """
    if not module_exists("next_token.server"):
        raise click.ClickException("the server is not part of this installation")
    try:
        from .. import server
    except ImportError as e:
        raise click.ClickException(f"the server needs the [serve] extra ({e}): "
                                   "pip install 'next-token-prediction[serve]'") from None
    lm = load_model(model_path)
    guards = {k: v for k, v in (("api_keys", api_keys), ("cors_origins", cors_origins)) if v}
    server.serve(lm, host=host, port=port, **guards)


@click.command()
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
    from ..original_api import Language

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
        best = lm.completions(p, k=4)  # the completion is the best of the beam: show the others too
        prompts.append({
            "prompt": p,
            "predictions": lm.predict(p, k=k),
            "completion": best[0].text if best else "",
            "alternatives": best[1:],
        })
    if as_json:
        emit_json({
            "model": lm.info(),
            "load_seconds": round(ready, 3),
            "original_api": original,
            "prompts": [{**d, "predictions": predictions_json(d["predictions"]),
                         "alternatives": [{"text": c.text, "probability": c.probability} for c in d["alternatives"]]}
                        for d in prompts],
        })
        return

    plain = ascii_only()
    head = lambda s: click.echo("\n" + styled(s, bold=True, underline=True))  # noqa: E731
    click.echo(f"{lm!r}, ready in {ready:.2f} s" + (f" ({lm.path})" if lm.path else ""))
    for d in prompts:
        head(f"After \"{d['prompt']}\"")
        for row in bar_chart(d["predictions"], ascii_only=plain):
            click.echo(row)
        click.echo(f"  completion:  {d['prompt']}{styled(d['completion'], bold=True)}")
        for c in d["alternatives"]:
            click.echo(f"  alternative: {d['prompt']}{styled(c.text, bold=True)}")

    head("The original library's demo (from next_token import Language)")
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
