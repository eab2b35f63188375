"""The REPL: its reactions line by line, and the real thing driven through a pseudo-terminal."""

import fcntl
import io
import os
import pty
import re
import select
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from next_token import cli
from next_token.errors import InputError
from next_token.language_model import LanguageModel, Prediction
from next_token.repl import Repl, bar_chart

pytestmark = pytest.mark.filterwarnings("ignore::next_token.ngram.kneser_ney.DiscountFallbackWarning")

NTP = Path(sys.executable).parent / "ntp"
TEXT = """The cat sat on the mat. The cat sat on the mat, and the dog sat on the log.
The dog ran to the park. The sun was warm, and the cat slept.
The sun rose over the hills. Then the cat sat on the mat again.
"""


@pytest.fixture(scope="module")
def lm():
    return LanguageModel.train(text=TEXT, order=3)


@pytest.fixture(scope="module")
def model_file(lm, tmp_path_factory):
    path = tmp_path_factory.mktemp("repl") / "small.ntp"
    lm.save(path)
    return str(path)


def session(lm, *lines, **kw):
    out = io.StringIO()
    r = Repl(lm, out=out, color=False, **kw)
    results = [r.handle(line) for line in lines]
    return r, out.getvalue(), results


# ---------------------------------------------------------------------- line by line

def test_a_line_shows_completion_and_top_k(lm):
    _, out, ok = session(lm, "The cat", k=3)
    lines = out.splitlines()
    assert ok == [True]
    assert lines[0] == "The cat" + lm.complete("The cat")
    assert lines[1] == "next (3 most probable):"
    assert [row.split()[0] for row in lines[2:]] == [p.token for p in lm.predict("The cat", k=3)]
    assert all(row.rstrip().endswith("%") for row in lines[2:])


def test_commands(lm):
    r, out, ok = session(lm, "/k 2", "The cat", "/temp 0.7", "/len 4", "/help", "/k zero", "/k 0",
                         "/temp hot", "/bogus", "", "   ", "/quit")
    assert ok == [True] * 11 + [False]
    assert (r.k, r.temperature, r.max_tokens) == (2, 0.7, 4)
    assert "showing the 2 most probable" in out and "next (2 most probable):" in out
    assert "sampled at temperature 0.7" in out and "at most 4 tokens" in out
    assert "/k N" in out and "now 2" in out  # the help shows the current settings
    assert out.count("usage: /k N") == 2 and "usage: /temp T" in out
    assert "unknown command /bogus" in out
    for q in ("/exit", "/q"):
        assert session(lm, q)[2] == [False]


def test_temperature_samples_and_len_limits(lm):
    r, out, _ = session(lm, "/temp 1", "/len 3", "The")
    line = [s for s in out.splitlines() if s.startswith("The")][0]
    assert 1 <= len(line[len("The"):].split()) <= 3


def test_model_errors_do_not_end_the_session():
    class Failing:
        def complete(self, text, max_tokens):
            raise InputError("the prompt is too strange")

    r, out, ok = session(Failing(), "hello", "/k 3")
    assert ok == [True, True] and "error: the prompt is too strange" in out and "showing the 3" in out


def test_run_reads_until_eof_or_quit(lm):
    lines = iter(["The cat", "/k 1", "The dog"])

    def read(prompt):
        try:
            return next(lines)
        except StopIteration:
            raise EOFError from None

    out = io.StringIO()
    Repl(lm, out=out, color=False).run(read=read)
    assert out.getvalue().count("most probable):") == 2 and "next (1 most probable):" in out.getvalue()


def test_bar_chart():
    rows = bar_chart([Prediction("a", 0.5), Prediction("</s>", 0.25), Prediction(" ", 0.0)], width=8)
    assert rows[0].split()[1] == "█" * 8 and "50.00%" in rows[0]
    assert rows[1].split()[1] == "████" and "(end of sentence)" in rows[1]
    assert "' '" in rows[2] and "0.00%" in rows[2]
    assert bar_chart([Prediction("a", 0.5)], width=4, ascii_only=True)[0].split()[1] == "####"
    assert bar_chart([]) == ["  (no prediction)"]


def test_repl_through_a_pipe(model_file):
    r = CliRunner().invoke(cli.main, ["repl", "-m", model_file, "-k", "2"], input="The cat\n/k 1\nThe dog\n")
    assert r.exit_code == 0, r.output
    assert "next (2 most probable):" in r.output and "next (1 most probable):" in r.output
    assert "> " not in r.output  # no prompt when not talking to a terminal


# ---------------------------------------------------------------------- a real terminal

ANSI = re.compile(r"\x1b(\[[0-9;?]*[ -/]*[@-~]|[=>]|\][^\x07]*\x07)")


def _controlling_terminal():
    """In the child: a new session whose controlling terminal is the pty, so Ctrl-C is SIGINT."""
    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class Terminal:
    """A child process on a pseudo-terminal; `expect` waits for a regex in its (ANSI-free) output."""

    def __init__(self, args, env):
        self.master, slave = pty.openpty()
        self.proc = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=slave, env=env,
                                     close_fds=True, preexec_fn=_controlling_terminal)
        os.close(slave)
        self.buffer = ""
        self.seen = 0

    def send(self, s: str) -> None:
        os.write(self.master, s.encode())

    def expect(self, pattern: str, timeout: float = 30) -> re.Match:
        rx = re.compile(pattern)
        end = time.monotonic() + timeout
        while True:
            m = rx.search(self.buffer, self.seen)
            if m:
                self.seen = m.end()
                return m
            left = end - time.monotonic()
            if left <= 0:
                raise AssertionError(f"timed out waiting for {pattern!r}; output so far:\n{self.buffer}")
            ready, _, _ = select.select([self.master], [], [], min(left, 0.5))
            if ready:
                try:
                    data = os.read(self.master, 65536)
                except OSError:  # the child closed the terminal
                    data = b""
                if not data and self.proc.poll() is not None:
                    raise AssertionError(f"process ended waiting for {pattern!r}; output:\n{self.buffer}")
                self.buffer += ANSI.sub("", data.decode("utf-8", "replace")).replace("\r", "")

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        os.close(self.master)


@pytest.fixture
def terminal(model_file, tmp_path):
    env = {**os.environ, "TERM": "xterm", "INPUTRC": "/dev/null", "NTP_CACHE_DIR": str(tmp_path)}
    env.pop("NO_COLOR", None)
    t = Terminal([str(NTP), "repl", "-m", model_file, "-k", "3"], env)
    yield t
    t.close()


def test_repl_in_a_terminal(terminal, lm, tmp_path):
    t = terminal
    t.expect(r"Type text and press Enter")
    t.expect(r"> ")
    t.send("The cat\r")
    t.expect(re.escape("The cat" + lm.complete("The cat")))
    t.expect(r"next \(3 most probable\):\n  sat .*%\n.*%\n.*%\n")
    t.expect(r"> ")
    t.send("/k 2\r")
    t.expect(r"showing the 2 most probable")
    t.expect(r"> ")
    # Up arrow twice walks back over "/k 2" to "The cat": readline history.
    t.send("\x1b[A\x1b[A\r")
    t.expect(r"next \(2 most probable\):\n  sat .*%\n.*%\n")
    t.expect(r"> ")
    # Ctrl-C drops a half-typed line and the session goes on.
    t.send("The do")
    t.expect(r"The do")
    # Python's readline checks for signals only while it waits in select(): a SIGINT landing
    # while it is still echoing the last key waits for the next key, so let it settle first.
    time.sleep(0.3)
    t.send("\x03")
    t.expect(r"\n> ")
    t.send("/temp 0.7\r")
    t.expect(r"sampled at temperature 0\.7")
    t.expect(r"> ")
    t.send("\x04")  # Ctrl-D
    assert t.proc.wait(timeout=30) == 0
    history = (tmp_path / "repl_history").read_text(encoding="utf-8")
    assert "The cat" in history and "/k 2" in history


def test_repl_quit_command_in_a_terminal(terminal):
    terminal.expect(r"> ")
    terminal.send("/quit\r")
    assert terminal.proc.wait(timeout=30) == 0


def test_demo_offers_the_repl_in_a_terminal(model_file, tmp_path):
    env = {**os.environ, "TERM": "xterm", "INPUTRC": "/dev/null", "NTP_CACHE_DIR": str(tmp_path)}
    t = Terminal([str(NTP), "demo", "-m", model_file], env)
    try:
        t.expect(r"get_completions\(\"The sun\"\)")
        t.expect(r"Try your own prompts in the REPL\? \[Y/n\]")
        t.send("\r")
        t.expect(r"> ")
        t.send("The sun\r")
        t.expect(r"most probable\):")
        t.send("/quit\r")
        assert t.proc.wait(timeout=30) == 0
    finally:
        t.close()
