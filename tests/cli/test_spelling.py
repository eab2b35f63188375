"""`ntp spell` and `ntp correct` on a small word model."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from next_token import cli
from next_token.cli.spelling import _line_columns, _without_code
from next_token.language_model import LanguageModel

pytestmark = pytest.mark.filterwarnings("ignore::next_token.ngram.kneser_ney.DiscountFallbackWarning")

NTP = Path(sys.executable).parent / "ntp"

GOOD = "The cat slept in the barn.\nMy dog ate near the garden.\n"
# Three typos: "cta" (the model is fairly sure), "naer" and "feild" (very sure); the second line
# starts with spaces so that columns are not word numbers.
BAD = "The cta slept in the barn.\n  My dog ate naer the garden.\n\nA horse ran to the feild.\n"
TYPOS = {"cta": "cat", "naer": "near", "feild": "field"}


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    rng = np.random.default_rng(0)
    lines = []
    for _ in range(600):
        a, p = rng.choice(["cat", "dog", "horse", "cow"]), rng.choice(["house", "barn", "field", "garden"])
        lines.append(rng.choice([f"The {a} slept in the {p}.", f"A {a} ran to the {p}.", f"My {a} ate near the {p}."]))
    path = tmp_path_factory.mktemp("spell") / "animals.ntp"
    LanguageModel.train(text="\n".join(lines), order=3, discount_fallback="ignore").save(path)
    return str(path)


@pytest.fixture
def files(tmp_path):
    (tmp_path / "good.txt").write_text(GOOD, encoding="utf-8")
    (tmp_path / "bad.txt").write_text(BAD, encoding="utf-8")
    return tmp_path


def run(*args, input=None):
    return CliRunner().invoke(cli.main, list(args), input=input, catch_exceptions=False)


def expected_places(text: str) -> dict[str, tuple[int, int]]:
    """(line, column), from 1, of each typo, found by hand."""
    out = {}
    for n, line in enumerate(text.split("\n"), 1):
        for typo in TYPOS:
            if typo in line:
                out[typo] = (n, line.index(typo) + 1)
    return out


# ---------------------------------------------------------------------- spell

def test_spell_reports_file_line_and_column_of_each_typo(model, files):
    bad = str(files / "bad.txt")
    r = run("spell", bad, str(files / "good.txt"), "-m", model)
    assert r.exit_code == 1, r.output
    lines = r.stdout.splitlines()
    places = expected_places(BAD)
    assert len(lines) == 3
    for line, typo in zip(lines, ["cta", "naer", "feild"]):
        n, col = places[typo]
        prefix = f"{bad}:{n}:{col}: {typo} -> {TYPOS[typo]} (confidence "
        assert line.startswith(prefix) and line.endswith(")")
        assert 0.5 <= float(line[len(prefix):-1]) <= 1
    assert "3 possible misspellings in 1 of 2 files" in r.stderr


def test_spell_exits_0_on_clean_text(model, files):
    r = run("spell", str(files / "good.txt"), "-m", model)
    assert r.exit_code == 0 and r.stdout == "" and "No misspellings found in 1 file" in r.stderr
    r = run("spell", str(files / "good.txt"), "-m", model, "--json")
    assert r.exit_code == 0 and json.loads(r.stdout) == []


def test_spell_json_and_min_confidence(model, files):
    bad = str(files / "bad.txt")
    r = run("spell", bad, "-m", model, "--json")
    assert r.exit_code == 1
    found = json.loads(r.stdout)
    places = expected_places(BAD)
    assert [(f["file"], f["line"], f["column"], f["word"], f["suggestion"]) for f in found] == [
        (bad, *places[t], t, TYPOS[t]) for t in ("cta", "naer", "feild")]
    assert set(found[0]) == {"file", "line", "column", "word", "suggestion", "confidence"}
    # compare with the library: the same edits, the same confidence
    lm = LanguageModel.load(model)
    edits = lm.correct(BAD).edits
    assert [round(e.confidence, 4) for e in edits] == [f["confidence"] for f in found]
    cutoff = (min(f["confidence"] for f in found) + max(f["confidence"] for f in found)) / 2
    sure = run("spell", bad, "-m", model, "--json", "--min-confidence", str(cutoff))
    assert sure.exit_code == 1
    assert json.loads(sure.stdout) == [f for f in found if f["confidence"] >= cutoff] != found
    none = run("spell", bad, "-m", model, "--min-confidence", "1.0", "--json")
    if all(f["confidence"] < 1 for f in found):
        assert none.exit_code == 0 and json.loads(none.stdout) == []


def test_spell_counts_lines_across_the_pieces_of_a_long_file(model, files, monkeypatch):
    text = GOOD * 5 + BAD + GOOD * 3 + BAD
    (files / "long.txt").write_text(text, encoding="utf-8")
    whole = json.loads(run("spell", str(files / "long.txt"), "-m", model, "--json").stdout)
    monkeypatch.setattr("next_token.cli.spelling.PIECE_CHARS", 40)  # a piece every line or two
    pieces = json.loads(run("spell", str(files / "long.txt"), "-m", model, "--json").stdout)
    assert pieces == whole and len(whole) == 6
    lines = text.split("\n")
    for f in whole:
        assert lines[f["line"] - 1][f["column"] - 1:].startswith(f["word"])


def test_spell_reads_standard_input(model):
    r = run("spell", "-", "-m", model, input=BAD)
    assert r.exit_code == 1
    n, col = expected_places(BAD)["naer"]
    assert f"<stdin>:{n}:{col}: naer -> near" in r.stdout


def test_spell_usage_and_file_errors_exit_2(model, files):
    r = run("spell", "-m", model)
    assert r.exit_code == 2 and "Missing argument" in r.output
    r = run("spell", str(files / "missing.txt"), "-m", model)
    assert r.exit_code == 2 and "missing.txt" in r.output and r.stdout == ""
    r = run("spell", str(files / "missing.txt"), "-m", model, "--json")
    assert r.exit_code == 2 and "missing.txt" in json.loads(r.stdout)["error"]["message"]
    (files / "binary.txt").write_bytes(b"\x00\x01\x02 cat")
    r = run("spell", str(files / "binary.txt"), "-m", model)
    assert r.exit_code == 2 and "binary" in r.output
    assert run("spell", str(files / "good.txt"), "--min-confidence", "2", "-m", model).exit_code == 2


def test_spell_as_a_real_process(model, files):
    p = subprocess.run([str(NTP), "spell", "-", "-m", model], input=BAD, capture_output=True, text=True, timeout=120)
    assert p.returncode == 1 and p.stdout.count("<stdin>:") == 3
    p = subprocess.run([str(NTP), "spell", str(files / "good.txt"), "-m", model], capture_output=True, text=True,
                       timeout=120)
    assert p.returncode == 0 and p.stdout == ""


def test_spell_skips_markdown_code_in_place(model, files):
    md = ("The cta slept in `the feild` barn.\n```\nnaer feild cta\n```\n"
          "A horse ran to the feild ``with `naer` inside``.\n~~~python\ncta\n~~~\nMy dog ate naer the garden.\n")
    (files / "notes.md").write_text(md, encoding="utf-8")
    found = json.loads(run("spell", str(files / "notes.md"), "-m", model, "--json").stdout)
    lines = md.split("\n")
    assert [(f["word"], f["line"]) for f in found] == [("cta", 1), ("feild", 5), ("naer", 9)]
    for f in found:
        assert lines[f["line"] - 1][f["column"] - 1:].startswith(f["word"])


def test_code_is_blanked_character_for_character_across_pieces():
    text = "a `b` c\n```\nx\n"
    masked, open_fence = _without_code(text, False)
    assert masked == "a     c\n   \n \n" and open_fence
    assert _without_code("y\n```\nz", True) == (" \n   \nz", False)


@pytest.mark.parametrize("text", ["abc\ndef\n\nxy", "no newline at all", "\n\n\nthree\n", "é\nü é ü\n"])
def test_line_columns_match_a_count_by_hand(text):
    offsets = list(range(len(text)))
    for off, (line, col) in zip(offsets, _line_columns(text, offsets)):
        before = text[:off]
        assert line == before.count("\n") and col == len(before) - (before.rfind("\n") + 1)


# ---------------------------------------------------------------------- correct

def test_correct_leaves_correct_text_as_it_was(model, files):
    r = run("correct", str(files / "good.txt"), "-m", model)
    assert r.exit_code == 0 and r.stdout == GOOD
    (files / "plain.txt").write_text(GOOD.rstrip("\n"), encoding="utf-8")
    assert run("correct", str(files / "plain.txt"), "-m", model).stdout == GOOD.rstrip("\n")
    assert run("correct", "-", "-m", model, input=GOOD).stdout == GOOD


def test_correct_fixes_only_the_typos(model, files):
    want = BAD
    for typo, word in TYPOS.items():
        want = want.replace(typo, word)
    r = run("correct", str(files / "bad.txt"), "-m", model)
    assert r.exit_code == 0 and r.stdout == want
    r = run("correct", "--text", "A horse ran to the feild.", "-m", model)
    assert r.stdout == "A horse ran to the field.\n"  # --text gets a final newline


def test_correct_json_lists_the_edits_with_offsets(model):
    r = run("correct", "--text", BAD, "-m", model, "--json")
    assert r.exit_code == 0
    data = json.loads(r.stdout)
    assert set(data) == {"text", "edits"}
    assert [(e["original"], e["replacement"]) for e in data["edits"]] == list(TYPOS.items())
    for e in data["edits"]:
        assert BAD[e["start"]:e["end"]] == e["original"] and 0 < e["confidence"] <= 1
    assert data["text"] == run("correct", "--text", BAD, "-m", model).stdout


def test_correct_segment_splits_run_together_words(model):
    r = run("correct", "--text", "thecatsleptinthebarn", "--segment", "-m", model)
    assert r.exit_code == 0 and r.stdout == "the cat slept in the barn\n"
    r = run("correct", "-", "--segment", "-m", model, input="mydogatenearthegarden.\n\nacatrantothefield\n")
    assert r.stdout == "my dog ate near the garden.\n\na cat ran to the field\n"
    data = json.loads(run("correct", "--text", "thecat", "--segment", "--json", "-m", model).stdout)
    assert data == {"text": "the cat", "words": ["the", "cat"]}


def test_correct_input_errors(model):
    assert run("correct", "-m", model).exit_code == 2
    assert run("correct", "x.txt", "--text", "hi", "-m", model).exit_code == 2
    r = run("correct", "--text", "the cat", "-m", model, "--json", "--segment", "--bogus")
    assert r.exit_code == 2 and json.loads(r.stdout)["error"]["type"] == "usage_error"


def test_correct_leaves_markdown_code_alone(model):
    r = run("correct", "--text", "The cta slept in `cta` barn.\n```\nnaer\n```\nMy dog ate naer the garden.", "-m", model)
    assert r.stdout == "The cat slept in `cta` barn.\n```\nnaer\n```\nMy dog ate near the garden.\n"
    edits = json.loads(run("correct", "--text", "The cta slept in the barn. `cta`", "-m", model, "--json").stdout)
    assert edits["text"] == "The cat slept in the barn. `cta`" and [e["start"] for e in edits["edits"]] == [4]
