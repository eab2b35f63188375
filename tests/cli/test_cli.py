"""The `ntp` command line, through click's runner and through real subprocesses."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from next_token import cli
from next_token.language_model import LanguageModel

pytestmark = pytest.mark.filterwarnings("ignore::next_token.ngram.kneser_ney.DiscountFallbackWarning")

NTP = Path(sys.executable).parent / "ntp"

TEXT = """The cat sat on the mat. The cat sat on the mat, and the dog sat on the log.
The dog ran to the park. The sun was warm, and the cat slept.
The sun rose over the hills. The sun was bright. Then the cat sat on the mat again.
It was a cold night. It was late, and the dog slept. In the morning the sun rose.
"""
HELD_OUT = "The cat sat on the log. The dog was warm.\n"

COMMANDS = ["train", "predict", "complete", "generate", "score", "eval", "repl", "info", "demo", "serve",
            "arpa", "arpa export", "arpa import", "search", "similar", "analogy", "paraphrase", "spell", "correct"]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    d = tmp_path_factory.mktemp("cli")
    (d / "train.txt").write_text(TEXT, encoding="utf-8")
    (d / "test.txt").write_text(HELD_OUT, encoding="utf-8")
    return d


@pytest.fixture(scope="module")
def model(corpus):
    path = corpus / "small.ntp"
    LanguageModel.train([str(corpus / "train.txt")], order=3).save(path)
    return str(path)


@pytest.fixture(scope="session")
def cache_env(tmp_path_factory):
    """NTP_CACHE_DIR for the session (the directory conftest.py also uses), with the default model built once."""
    cache = str(tmp_path_factory.getbasetemp() / "ntp-cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("NTP_CACHE_DIR", cache)
        LanguageModel.default()
    return {**os.environ, "NTP_CACHE_DIR": cache}


@pytest.fixture
def plain_env(tmp_path):
    """An environment for subprocesses that never touches the user's cache (nothing built)."""
    return {**os.environ, "NTP_CACHE_DIR": str(tmp_path / "ntp-cache")}


def run(*args, input=None):
    return CliRunner().invoke(cli.main, list(args), input=input, catch_exceptions=False)


def run_json(*args):
    r = run(*args, "--json")
    assert r.exit_code == 0, r.output
    return json.loads(r.output)


def subprocess_ntp(*args, env=None, input=None):
    return subprocess.run([str(NTP), *args], capture_output=True, text=True, env=env, input=input, timeout=120)


# ---------------------------------------------------------------------- help

@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(command):
    r = run(*command.split(), "--help")
    assert r.exit_code == 0
    assert "Example" in r.output and "ntp " in r.output.split("Example")[1]


def test_group_help_and_version():
    r = run("--help")
    assert r.exit_code == 0
    for name in ("train", "predict", "demo", "repl", "serve", "arpa"):
        assert f"  {name}" in r.output
    assert run("--version").output.strip().startswith("ntp, version")


# ---------------------------------------------------------------------- train / info

def test_train_prints_a_summary_and_writes_a_loadable_model(corpus, tmp_path):
    out = tmp_path / "m.ntp"
    r = run("train", str(corpus / "train.txt"), "-o", str(out), "--order", "2")
    assert r.exit_code == 0, r.output
    lm = LanguageModel.load(out)
    for needle in ("Built", "sentences", "tokens", "vocabulary", "n-grams", f"{lm.model.sizes[1]:,}"):
        assert needle in r.output
    data = run_json("train", str(corpus / "train.txt"), "-o", str(out), "--tokenizer", "char")
    assert data["tokenizer"] == "char" and data["order"] == 5
    assert data["ngrams"] == LanguageModel.load(out).model.sizes
    assert data["file_bytes"] == out.stat().st_size and data["sentences"] == 10


def test_train_bpe_and_stdin(tmp_path):
    out = tmp_path / "b.ntp"
    r = CliRunner().invoke(cli.main, ["train", "-", "-o", str(out), "--tokenizer", "bpe", "--bpe-vocab-size", "60",
                                      "--json"], input=TEXT * 3)
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert data["tokenizer"] == "bpe" and data["vocab_size"] <= 60 + 3
    assert LanguageModel.load(out).tokenizer.name == "bpe"


def test_train_unbounded_is_wired_or_says_so(corpus, tmp_path):
    import inspect

    r = CliRunner().invoke(cli.main, ["train", str(corpus / "train.txt"), "-o", str(tmp_path / "u.ntp"), "--unbounded"])
    if "unbounded" in inspect.signature(LanguageModel.train).parameters:
        assert r.exit_code == 0, r.output
    else:
        assert r.exit_code == 1 and "not available yet" in r.output
        assert not (tmp_path / "u.ntp").exists()


def test_info_positional_or_option(model):
    a = run_json("info", model)
    b = run_json("info", "-m", model)
    assert a == b and a["order"] == 3 and a["path"] == model and a["file_bytes"] > 0
    r = run("info", model)
    assert r.exit_code == 0 and "order" in r.output and "n-grams" not in r.output.split("ngrams")[0]


# ---------------------------------------------------------------------- queries

def test_predict_human_and_json(model):
    r = run("predict", "The cat", "-k", "3", "-m", model)
    assert r.exit_code == 0
    lines = r.output.splitlines()
    assert len(lines) == 3 and lines[0].split()[0] == "sat" and lines[0].rstrip().endswith("%")
    data = run_json("predict", "The cat", "-k", "5", "-m", model)
    probs = [p["probability"] for p in data["predictions"]]
    assert data["predictions"][0]["token"] == "sat" and probs == sorted(probs, reverse=True)
    assert 0 < sum(probs) <= 1
    lm = LanguageModel.load(model)
    assert probs == pytest.approx([p.probability for p in lm.predict("The cat", k=5)])
    pre = run_json("predict", "The cat sat on the", "--prefix", "m", "-m", model)
    assert pre["predictions"] and all(p["token"].startswith("m") for p in pre["predictions"])


def test_predict_shows_the_end_of_sentence(model):
    r = run("predict", "The cat sat on the mat", "-k", "3", "-m", model)
    assert "(end of sentence)" in r.output or "</s>" not in r.output


def test_complete_with_alternatives(model):
    data = run_json("complete", "The cat sat", "-n", "3", "-m", model)
    lm = LanguageModel.load(model)
    assert data["completion"] == lm.complete("The cat sat")
    assert [a["text"] for a in data["alternatives"]] == [c.text for c in lm.completions("The cat sat", k=3)]
    r = run("complete", "The cat sat", "-n", "2", "-m", model)
    assert r.output.startswith("The cat sat" + lm.complete("The cat sat"))
    assert "alternatives:" in r.output and "  1. The cat sat" in r.output


def test_generate_is_reproducible_with_a_seed(model):
    a = run_json("generate", "The", "--seed", "7", "--max-tokens", "20", "-m", model)
    b = run_json("generate", "The", "--seed", "7", "--max-tokens", "20", "-m", model)
    assert a["text"] == b["text"] and a["text"]
    lm = LanguageModel.load(model)
    assert a["text"] == lm.generate("The", max_tokens=20, seed=7)
    human = run("generate", "The", "--seed", "7", "--max-tokens", "20", "-m", model)
    assert human.output == "The" + a["text"] + "\n"
    greedy = run_json("generate", "The cat", "--temperature", "0", "--max-tokens", "3", "-m", model)
    assert greedy["text"].split()[0] == "sat"
    stopped = run_json("generate", "The cat", "--temperature", "0", "--stop", "mat", "-m", model)
    assert "mat" not in stopped["text"]


def test_score_file_stdin_and_text(model, corpus):
    lm = LanguageModel.load(model)
    expect = lm.score(HELD_OUT)
    by_file = run_json("score", str(corpus / "test.txt"), "-m", model)
    by_stdin = json.loads(run("score", "-", "-m", model, "--json", input=HELD_OUT).output)
    by_text = run_json("score", "--text", HELD_OUT, "-m", model)
    for d in (by_file, by_stdin, by_text):
        assert d["perplexity"] == pytest.approx(expect.perplexity)
        assert (d["tokens"], d["oov"]) == (expect.tokens, expect.oov)
    per = run_json("score", "--text", "The cat sat.", "--per-token", "-m", model)
    assert [t["token"] for t in per["token_logprobs"]] == ["The", "cat", "sat", ".", "</s>"]
    r = run("score", "--text", "The cat sat.", "-m", model)
    assert "perplexity" in r.output


def test_eval_human_and_json(model, corpus):
    data = run_json("eval", str(corpus / "test.txt"), "-m", model, "-k", "3")
    assert set(data["accuracy"]) == {"1", "3"} and set(data["keystrokes"]) == {"1", "3", "5"}
    assert data["accuracy_counts_end_of_sentence"] is True
    assert 0 <= data["keystrokes"]["5"]["saved_share"] <= 1 and data["keystrokes"]["5"]["saved"] > 0
    r = run("eval", str(corpus / "test.txt"), "-m", model, "--keystroke-k", "2")
    assert r.exit_code == 0 and "k = 2" in r.output and "% saved" in r.output and "top-5" in r.output
    none = run_json("eval", str(corpus / "test.txt"), "-m", model, "--keystroke-sentences", "0")
    assert none["keystrokes"] == {}


def test_arpa_round_trip(model, tmp_path):
    arpa = tmp_path / "m.arpa"
    r = run("arpa", "export", model, str(arpa))
    assert r.exit_code == 0, r.output
    assert arpa.read_text(encoding="utf-8").startswith("\\data\\")
    back = tmp_path / "back.ntp"
    r = run("arpa", "import", str(arpa), "-o", str(back), "--tokenizer", "word")
    assert r.exit_code == 0, r.output
    a = run_json("predict", "The cat sat on", "-m", model)
    b = run_json("predict", "The cat sat on", "-m", str(back))
    c = run_json("predict", "The cat sat on", "-m", str(arpa))  # an .arpa file loads directly too
    exported = run_json("arpa", "export", model, str(tmp_path / "again.arpa.gz"))
    imported = run_json("arpa", "import", exported["output"], "-o", str(tmp_path / "again.ntp"))
    assert exported["ngrams"] == imported["ngrams"] == LanguageModel.load(model).model.sizes
    assert [p["token"] for p in a["predictions"]] == [p["token"] for p in b["predictions"]]
    assert [p["probability"] for p in b["predictions"]] == pytest.approx([p["probability"] for p in a["predictions"]],
                                                                        rel=1e-4)
    assert b["predictions"] == c["predictions"]


# ---------------------------------------------------------------------- errors

@pytest.mark.parametrize(
    "args, code, message",
    [
        (["predict", "x", "-m", "{missing}"], 1, "not found"),
        (["predict", "x", "-m", "{notmodel}"], 1, "not a next-token-prediction model file"),
        (["predict", "x", "-m", "{dir}"], 1, "directory"),
        (["predict", "x", "-k", "0", "-m", "{model}"], 2, "-k"),
        (["predict", "x", "-k", "-3", "-m", "{model}"], 2, "-k"),
        (["predict", "x", "--bogus"], 2, "No such option"),
        (["train", "{missing}", "-o", "{out}"], 1, "no such file"),
        (["train", "{empty}", "-o", "{out}"], 1, "empty"),
        (["train", "{binary}", "-o", "{out}"], 1, "binary"),
        (["train", "{train}", "-o", "{dir}"], 2, "directory"),
        (["train", "{train}"], 2, "--output"),
        (["train", "{train}", "-o", "{out}", "--order", "0"], 2, "--order"),
        (["train", "{train}", "-o", "{out}", "--tokenizer", "pixels"], 2, "--tokenizer"),
        (["complete", "   ", "-m", "{model}"], 1, "empty"),
        (["generate", "x", "--temperature", "-1", "-m", "{model}"], 2, "--temperature"),
        (["generate", "x", "--top-p", "0", "-m", "{model}"], 2, "--top-p"),
        (["generate", "x", "--seed", "-1", "-m", "{model}"], 2, "--seed"),
        (["score", "-m", "{model}"], 2, "--text"),
        (["score", "{train}", "--text", "x", "-m", "{model}"], 2, "not both"),
        (["score", "{missing}", "-m", "{model}"], 1, "no such file"),
        (["eval", "{empty}", "-m", "{model}"], 1, "empty"),
        (["info", "{model}", "-m", "{train}"], 2, "not both"),
        (["arpa", "import", "{train}", "-o", "{out}"], 1, ""),
        (["nonsense"], 2, "No such command"),
    ],
)
def test_bad_input_gives_one_line_errors(args, code, message, model, corpus, tmp_path):
    (tmp_path / "empty.txt").write_text("  \n\n", encoding="utf-8")
    (tmp_path / "bin.txt").write_bytes(b"\x00\x01\x02binary\x00" * 50)
    (tmp_path / "notmodel.ntp").write_text("hello", encoding="utf-8")
    subs = {"missing": str(tmp_path / "missing.txt"), "notmodel": str(tmp_path / "notmodel.ntp"),
            "dir": str(tmp_path), "model": model, "out": str(tmp_path / "o.ntp"), "empty": str(tmp_path / "empty.txt"),
            "binary": str(tmp_path / "bin.txt"), "train": str(corpus / "train.txt")}
    r = CliRunner().invoke(cli.main, [a.format(**subs) for a in args])
    assert r.exit_code == code, r.output
    assert "Traceback" not in r.output
    assert isinstance(r.exception, SystemExit)  # a clean exit, not an exception escaping click
    assert message.lower() in r.output.lower()
    assert "Error:" in r.output
    if code == 1:  # bad data or files: exactly one line
        assert len(r.output.strip().splitlines()) == 1, r.output


# ---------------------------------------------------------------------- demo / serve / image

def test_demo_on_a_given_model(model):
    r = run("demo", "-m", model)
    assert r.exit_code == 0, r.output
    for needle in ('get_token_prediction("what")', 'get_token_sequence_prediction("what is", 5)',
                   'complete("hopefully")', 'get_completions("The sun")', "completion:", "%", "ntp repl -m"):
        assert needle in r.output
    assert "Try your own prompts in the REPL?" not in r.output  # stdin is not a terminal here
    data = run_json("demo", "-m", model)
    assert set(data["original_api"]) == {'get_token_prediction("what")', 'get_token_sequence_prediction("what is", 5)',
                                         'complete("hopefully")', 'get_completions("The sun")'}
    assert all(d["predictions"] and d["completion"] for d in data["prompts"])


def test_demo_and_default_model_in_a_subprocess(cache_env):
    r = subprocess_ntp("demo", "--no-repl", env=cache_env)
    assert r.returncode == 0, r.stderr
    assert "After \"The function returns\"" in r.stdout and 'agent.complete("hopefully")' in r.stdout
    assert "Building" not in r.stderr  # built once by the fixture, loaded from the cache since
    data = json.loads(subprocess_ntp("predict", "The function returns", "--json", env=cache_env).stdout)
    assert data["predictions"] and data["predictions"][0]["probability"] > 0.01


def test_subprocess_errors_are_one_line(tmp_path, plain_env):
    r = subprocess_ntp("predict", "x", "-m", str(tmp_path / "nope.ntp"), env=plain_env)
    assert r.returncode == 1 and r.stdout == ""
    assert r.stderr.strip().splitlines() == [f"Error: model file not found: {tmp_path / 'nope.ntp'}"]
    r = subprocess_ntp("train", "-", "-o", str(tmp_path / "x.ntp"), env=plain_env, input="")
    assert r.returncode == 1 and "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_subprocess_train_then_query(tmp_path, corpus, plain_env):
    out = tmp_path / "s.ntp"
    r = subprocess_ntp("train", str(corpus / "train.txt"), "-o", str(out), "--order", "3", env=plain_env)
    assert r.returncode == 0 and "Built" in r.stdout, r.stderr
    r = subprocess_ntp("complete", "The cat", "-m", str(out), env=plain_env)
    assert r.returncode == 0 and r.stdout.startswith("The cat sat")
    # A closed pipe (as with `| head`) ends generation quietly.
    p = subprocess.Popen(f"'{NTP}' generate The --max-tokens 5000 --seed 1 -m '{out}' | head -c 10",
                         shell=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=plain_env, text=True)
    so, se = p.communicate(timeout=120)
    assert len(so) == 10 and "Traceback" not in se


def test_serve_calls_the_server_with_the_options(model, monkeypatch):
    import next_token.server as server

    calls = []
    monkeypatch.setattr(server, "serve", lambda lm, host, port: calls.append((lm, host, port)))
    r = run("serve", "-m", model, "--host", "0.0.0.0", "--port", "8123")
    assert r.exit_code == 0, r.output
    (lm, host, port), = calls
    assert isinstance(lm, LanguageModel) and lm.path == model and (host, port) == ("0.0.0.0", 8123)
    assert run("serve", "-m", model, "--port", "99999").exit_code == 2


def test_image_command_is_there_exactly_when_its_module_is():
    import importlib.util

    present = importlib.util.find_spec("next_token.image.cli") is not None
    r = run("--help")
    assert ("  image" in r.output) == present
    assert (run("image", "--help").exit_code == 0) == present


def test_serve_for_real_in_a_subprocess(model, plain_env):
    import signal
    import socket
    import time
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    p = subprocess.Popen([str(NTP), "serve", "-m", model, "--port", str(port)], env=plain_env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = f"http://127.0.0.1:{port}/api/predict?context=The+cat&k=3"
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(url, timeout=5) as r:
                    data = json.loads(r.read())
                break
            except OSError:
                assert p.poll() is None and time.monotonic() < deadline, p.stderr.read() if p.poll() else "timeout"
                time.sleep(0.2)
        assert data["predictions"][0]["token"] == "sat"
    finally:
        p.send_signal(signal.SIGINT)
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
