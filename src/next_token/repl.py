"""`ntp repl`: type some text, press Enter, see how the model would go on.

For every line it prints the completion (greedy to the end of the sentence, or sampled when a
temperature is set) and the k most probable next tokens with their probabilities as a small bar
chart. Commands start with "/": /help, /k 20, /temp 0.7, /len 40, /quit (Ctrl-D works too;
Ctrl-C clears the line). With the standard `readline` module (Linux, macOS) the arrow keys edit
the line and walk the history, which is kept between sessions in the cache directory.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Callable, TextIO

from .errors import NtpError

END_OF_SENTENCE = "</s>"
HELP = """\
Type some text and press Enter: you get the model's completion and its top-k next tokens.
Commands:
  /k N       show the N most probable next tokens (now {k})
  /temp T    0 = the most likely completion; T > 0 samples with that temperature (now {temp})
  /len N     at most N tokens per completion (now {len})
  /help      this text
  /quit      leave (or Ctrl-D); Ctrl-C clears the line
Arrow keys: edit the line, walk the history."""


def bar_chart(predictions, width: int = 24, ascii_only: bool = False) -> list[str]:
    """One line per prediction: token, a bar scaled to the best probability, and the percentage.

    `predictions` is a list of objects with .token and .probability (`Prediction`). The end of
    a sentence `</s>` is shown as such, with a note.
    """
    if not predictions:
        return ["  (no prediction)"]
    shown = [_show_token(p.token) for p in predictions]
    tw = min(max(len(s) for s in shown), 24)
    top = max(p.probability for p in predictions) or 1.0
    full, parts = ("#", " ") if ascii_only else ("█", " ▏▎▍▌▋▊▉")
    lines = []
    for s, p in zip(shown, predictions):
        cells = p.probability / top * width
        whole = int(cells)
        frac = int((cells - whole) * len(parts))
        bar = full * whole + (parts[frac].strip() if whole < width and not ascii_only else "")
        note = "  (end of sentence)" if p.token == END_OF_SENTENCE else ""
        if getattr(p, "distance", 0):
            note = f"  ({p.distance} typo{'s' if p.distance > 1 else ''} away)"
        lines.append(f"  {s:<{tw}}  {bar:<{width}}  {100 * p.probability:6.2f}%{note}")
    return lines


def _show_token(token: str) -> str:
    # Blank or space-like tokens would print as nothing; show them visibly.
    if token == "" or token.isspace():
        return repr(token)
    return token


class Repl:
    """The loop's state and its reaction to one line; `run` drives it from a terminal or a pipe."""

    def __init__(self, model, k: int = 10, temperature: float = 0.0, max_tokens: int = 30,
                 out: TextIO | None = None, color: bool | None = None):
        self.model = model
        self.k = k
        self.temperature = temperature
        self.max_tokens = max_tokens
        self.out = out or sys.stdout
        if color is None:
            color = _isatty(self.out) and "NO_COLOR" not in os.environ
        self.color = color
        self.ascii_only = not _can_encode(self.out, "█▏")

    # ------------------------------------------------------------------ one line

    def handle(self, line: str) -> bool:
        """React to one input line; False means quit."""
        text = line.rstrip("\r\n")
        stripped = text.strip()
        if not stripped:
            return True
        if stripped.startswith("/"):
            return self._command(stripped)
        try:
            self._show(text)
        except NtpError as e:
            self._print(f"error: {e}")
        return True

    def _show(self, text: str) -> None:
        m = self.model
        if self.temperature > 0:
            cont = m.generate(text, max_tokens=self.max_tokens, temperature=self.temperature)
        else:
            cont = m.complete(text, max_tokens=self.max_tokens)
        self._print(text + self._style(cont, "cyan", bold=True))
        self._print(f"next ({self.k} most probable):")
        for row in bar_chart(m.predict(text, k=self.k), ascii_only=self.ascii_only):
            self._print(row)

    def _command(self, cmd: str) -> bool:
        name, _, arg = cmd.partition(" ")
        arg = arg.strip()
        if name in ("/quit", "/exit", "/q"):
            return False
        if name in ("/help", "/h", "/?"):
            self._print(HELP.format(k=self.k, temp=self.temperature, len=self.max_tokens))
        elif name == "/k":
            v = _parse(arg, int, lambda v: 1 <= v <= 1000)
            if v is None:
                self._print("usage: /k N, with N from 1 to 1000")
            else:
                self.k = v
                self._print(f"showing the {v} most probable next tokens")
        elif name in ("/temp", "/temperature", "/t"):
            v = _parse(arg, float, lambda v: 0 <= v <= 100)
            if v is None:
                self._print("usage: /temp T, with T from 0 (most likely) to 100")
            else:
                self.temperature = v
                self._print("completions: the most likely one" if v == 0 else f"completions: sampled at temperature {v:g}")
        elif name in ("/len", "/max"):
            v = _parse(arg, int, lambda v: 1 <= v <= 1000)
            if v is None:
                self._print("usage: /len N, with N from 1 to 1000")
            else:
                self.max_tokens = v
                self._print(f"completions: at most {v} tokens")
        else:
            self._print(f"unknown command {name}; /help lists them")
        return True

    # ------------------------------------------------------------------ the loop

    def run(self, read: Callable[[str], str] = input, history_file: Path | None = None) -> None:
        """Read lines until /quit or end of input (Ctrl-D)."""
        interactive = _isatty(sys.stdin) and _isatty(self.out)
        rl = _setup_readline(history_file) if interactive else None
        if interactive:
            self._print(f"{self.model!r}. Type text and press Enter; /help for commands, Ctrl-D to quit.")
        prompt = "> " if interactive else ""
        try:
            while True:
                try:
                    line = read(prompt)
                except KeyboardInterrupt:
                    self._print("")  # Ctrl-C: drop the line, keep going
                    continue
                except EOFError:
                    if interactive:
                        self._print("")
                    break
                if not self.handle(line):
                    break
        finally:
            if rl is not None and history_file is not None:
                try:
                    rl.write_history_file(str(history_file))
                except OSError:
                    pass  # history is a convenience: never fail the session over it

    # ------------------------------------------------------------------ helpers

    def _print(self, s: str) -> None:
        self.out.write(s + "\n")
        self.out.flush()

    def _style(self, s: str, fg: str, bold: bool = False) -> str:
        if not self.color:
            return s
        import click

        return click.style(s, fg=fg, bold=bold)


def history_path() -> Path:
    """Where the REPL keeps its history: $NTP_CACHE_DIR, else the user's cache directory."""
    base = os.environ.get("NTP_CACHE_DIR")
    if not base:
        from platformdirs import user_cache_dir

        base = user_cache_dir("next-token-prediction")
    return Path(base) / "repl_history"


def _setup_readline(history_file: Path | None):
    try:
        import readline
    except ImportError:  # Windows without pyreadline: plain input() still works
        return None
    if history_file is not None:
        try:
            history_file.parent.mkdir(parents=True, exist_ok=True)
            if history_file.exists():
                readline.read_history_file(str(history_file))
        except OSError:
            pass
        readline.set_history_length(1000)
    return readline


def _parse(arg: str, kind, ok):
    try:
        v = kind(arg)
    except ValueError:
        return None
    return v if ok(v) else None


def _isatty(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _can_encode(stream, chars: str) -> bool:
    enc = getattr(stream, "encoding", None) or "utf-8"
    try:
        chars.encode(enc)
        return True
    except (UnicodeEncodeError, LookupError):
        return False
