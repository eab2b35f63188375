"""The README's examples run as written."""

import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from next_token.cli import main

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def _blocks(lang):
    return re.findall(rf"```{lang}\n(.*?)```", README, flags=re.S)


SHARED_BOOKS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "books"


@pytest.mark.parametrize("code", _blocks("python"), ids=lambda c: c.splitlines()[0][:40])
def test_python_examples_run(code, tmp_path, monkeypatch):
    # Examples that train on "books/" ask about words of novels ("storm", "paris"): they run on the
    # shared books, in a working folder of their own.
    if '"books/"' in code:
        if not SHARED_BOOKS.is_dir():
            pytest.skip("needs ../shared/corpus/books")
        (tmp_path / "books").symlink_to(SHARED_BOOKS)
        monkeypatch.chdir(tmp_path)
    exec(compile(code, "README.md", "exec"), {})


def _ntp_commands():
    cmds = set()
    for block in _blocks("bash"):
        for line in block.splitlines():
            line = line.split("#")[0].strip()
            for part in line.split("&&"):
                words = shlex.split(part)
                if "ntp" in words:
                    i = words.index("ntp")
                    rest = [w for w in words[i + 1 :] if not w.startswith("-")]
                    if rest:
                        sub = rest[:2] if rest[0] in ("image", "arpa") else rest[:1]
                        cmds.add(tuple(sub))
    return sorted(cmds)


@pytest.mark.parametrize("cmd", _ntp_commands(), ids=" ".join)
def test_every_command_shown_exists(cmd):
    res = CliRunner().invoke(main, [*cmd, "--help"])
    assert res.exit_code == 0, res.output
    assert "Example" in res.output


def test_readme_opens_with_the_two_commands():
    first = _blocks("bash")[0].strip().splitlines()
    assert len(first) == 2 and "ntp demo" in first[0] and "pytest" in first[1]
