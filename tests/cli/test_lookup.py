"""`ntp search`, `similar`, `analogy` and `paraphrase` on a small model trained on two files."""

import json
import re

import numpy as np
import pytest
from click.testing import CliRunner

from next_token import cli
from next_token.language_model import LanguageModel

pytestmark = pytest.mark.filterwarnings("ignore::next_token.ngram.kneser_ney.DiscountFallbackWarning")

ANIMALS = ["cat", "dog", "horse", "cow"]
PLACES = ["house", "barn", "field", "garden"]


def animal_lines(n: int = 600) -> list[str]:
    rng = np.random.default_rng(0)
    lines = []
    for _ in range(n):
        a, p = rng.choice(ANIMALS), rng.choice(PLACES)
        lines.append(rng.choice([f"The {a} slept in the {p}.", f"A {a} ran to the {p}.", f"My {a} ate near the {p}."]))
    return lines


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """Two files, so that hits name a real path and a line in it."""
    d = tmp_path_factory.mktemp("lookup")
    lines = animal_lines()
    files = [d / "first.txt", d / "second.txt"]
    files[0].write_text("\n".join(lines[:300]) + "\n", encoding="utf-8")
    files[1].write_text("\n".join(lines[300:]) + "\n", encoding="utf-8")
    return files


@pytest.fixture(scope="module")
def model(corpus, tmp_path_factory):
    pytest.importorskip("scipy")
    from next_token.lookup import VectorSettings

    path = tmp_path_factory.mktemp("m") / "animals.ntp"
    LanguageModel.train([str(f) for f in corpus], order=3, discount_fallback="ignore",
                        vectors=VectorSettings(dim=16, window=2, min_count=2, subsample=None)).save(path)
    return str(path)


@pytest.fixture(scope="module")
def bare_model(corpus, tmp_path_factory):
    """No corpus index and no word vectors."""
    path = tmp_path_factory.mktemp("bare") / "bare.ntp"
    LanguageModel.train([str(f) for f in corpus], order=3, index=False, discount_fallback="ignore").save(path)
    return str(path)


def run(*args, input=None):
    return CliRunner().invoke(cli.main, list(args), input=input, catch_exceptions=False)


def run_json(*args):
    r = run(*args, "--json")
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def occurrences(files, phrase):
    """Brute force: (file, line) of every occurrence of `phrase` as whole words, in text order."""
    out = []
    for path in files:
        for n, line in enumerate(path.read_text().splitlines(), 1):
            out += [(str(path), n)] * len(re.findall(rf"(?<!\w){re.escape(phrase)}(?!\w)", line))
    return out


def words_before(files, phrase):
    """Brute force: how often each word comes right before `phrase`."""
    text = "\n".join(f.read_text() for f in files)
    found = re.findall(rf"(\w+) {re.escape(phrase)}(?!\w)", text)
    return {w: found.count(w) for w in set(found)}


# ---------------------------------------------------------------------- search

def test_search_prints_count_then_file_and_line_of_each_hit_like_grep(model, corpus):
    want = occurrences(corpus, "the barn")
    r = run("search", "the barn", "-m", model, "-n", "5")
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert lines[0] == f'{len(want)} occurrences of "the barn", showing 1-5; --offset 5 for more'
    hits = lines[1:6]
    for (path, n), line in zip(want[:5], hits):
        assert line.startswith(f"{path}:{n}: ")
        text = corpus[0].read_text().splitlines()[n - 1] if path == str(corpus[0]) else None
        assert line.endswith("[the barn].") and text is not None and line == f"{path}:{n}: {text[:-10]} [the barn]."
    before, after = lines[6], lines[7]
    counts = words_before(corpus, "the barn")
    best = max(counts, key=counts.get)
    assert before.startswith("before: ") and f'"{best}" {counts[best]}' in before
    assert after == f'after:  "." {len(want)}'


def test_search_pages_through_hits_in_text_order(model, corpus):
    want = occurrences(corpus, "the garden")
    r = run("search", "the garden", "-m", model, "--offset", str(len(want) - 2), "-n", "10")
    hits = [line for line in r.stdout.splitlines() if "[the garden]" in line]
    assert [h.split(": ")[0] for h in hits] == [f"{p}:{n}" for p, n in want[-2:]]
    assert str(corpus[1]) in hits[-1]  # the last ones come from the second file
    assert f"showing {len(want) - 1}-{len(want)}" in r.stdout and "for more" not in r.stdout


def test_search_shows_sentence_boundaries_by_name(model):
    r = run("search", "My", "-m", model, "-n", "0")
    before = [line for line in r.stdout.splitlines() if line.startswith("before:")][0]
    assert "(sentence start)" in before and "<s>" not in before
    r = run("search", "garden", "-m", model, "-n", "0")
    assert '"." ' in r.stdout and "(sentence end)" not in r.stdout
    r = run("search", "garden .", "-m", model, "-n", "0")
    assert "(sentence end)" in r.stdout


def test_search_json_is_the_search_result(model, corpus):
    data = run_json("search", "ran to", "-m", model, "-n", "3", "--context", "2")
    assert set(data) == {"phrase", "tokens", "count", "offset", "hits", "before", "after"}
    assert data["count"] == len(occurrences(corpus, "ran to")) and data["tokens"] == ["ran", "to"]
    assert len(data["hits"]) == 3
    for hit, (path, n) in zip(data["hits"], occurrences(corpus, "ran to")):
        assert (hit["source"], hit["line"], hit["match"]) == (path, n, "ran to")
        assert len(hit["after"].split()) == 2  # --context 2: two tokens each side
    assert {a["token"] for a in data["after"]} == {"the"}
    assert sum(b["count"] for b in data["before"]) == data["count"]


def test_no_hit_is_not_an_error_and_case_is_suggested(model):
    r = run("search", "the unicorn", "-m", model)
    assert r.exit_code == 0 and r.stdout.splitlines() == ['0 occurrences of "the unicorn"']
    r = run("search", "THE BARN", "-m", model, "-n", "1")
    assert r.exit_code == 0 and "0 occurrences" in r.stdout and "ignoring case: add -i" in r.stdout
    assert "[the barn]" in run("search", "THE BARN", "-i", "-m", model, "-n", "1").stdout
    assert run_json("search", "the unicorn", "-m", model)["count"] == 0


def test_long_lines_are_trimmed_around_the_match(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # trained on a relative path: shown as given
    words = " ".join(f"word{i}" for i in range(60))
    (tmp_path / "long.txt").write_text(f"Start {words} the needle {words} end.\n", encoding="utf-8")
    LanguageModel.train(["long.txt"], order=2, discount_fallback="ignore").save("long.ntp")
    r = run("search", "needle", "-m", "long.ntp", "--context", "60")
    hit = r.stdout.splitlines()[1]
    assert hit.startswith("long.txt:1: ...word") and hit.endswith("...")
    assert " word59 the [needle] word0 word1 " in hit and 90 <= len(hit) <= 100


def test_a_model_without_an_index_names_the_option(bare_model):
    r = run("search", "the barn", "-m", bare_model)
    assert r.exit_code == 1 and "--no-index" in r.output and r.stdout == ""
    r = run("search", "the barn", "-m", bare_model, "--json")
    assert r.exit_code == 1
    error = json.loads(r.stdout)["error"]
    assert "--no-index" in error["message"] and error["type"] == "error"


def test_bad_search_arguments_are_usage_errors(model):
    assert run("search", "the", "-m", model, "-n", "-1").exit_code == 2
    assert run("search", "-m", model).exit_code == 2
    r = run("search", "   ", "-m", model)
    assert r.exit_code == 1 and "empty" in r.output


# ---------------------------------------------------------------------- similar / analogy

def test_similar_lists_neighbours_with_bars(model):
    r = run("similar", "cat", "-k", "3", "-m", model)
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert lines[0] == 'words used like "cat" (cosine of their vectors):' and len(lines) == 4
    assert {line.split()[0] for line in lines[1:]} == set(ANIMALS) - {"cat"}
    data = run_json("similar", "cat", "-k", "3", "-m", model)
    cosines = [n["cosine"] for n in data["similar"]]
    assert cosines == sorted(cosines, reverse=True) and all(0 < c <= 1 for c in cosines)
    for line, c in zip(lines[1:], cosines):
        assert line.endswith(f"{c:.3f}")
    assert lines[1].count("█") + lines[1].count("#") >= lines[3].count("█") + lines[3].count("#") > 10


def test_analogy_answers_a_b_c(model):
    r = run("analogy", "cat", "dog", "horse", "-k", "2", "-m", model)
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert lines[0] == "cat : dog :: horse : ?" and len(lines) == 3
    data = run_json("analogy", "cat", "dog", "horse", "-k", "2", "-m", model)
    assert [a["word"] for a in data["answers"]] == [line.split()[0] for line in lines[1:]]
    assert run("analogy", "cat", "dog", "-m", model).exit_code == 2


def test_unknown_words_and_missing_vectors_are_one_line_errors(model, bare_model):
    r = run("similar", "unicorn", "-m", model)
    assert r.exit_code == 1 and "unicorn" in r.output and "Traceback" not in r.output
    for args in (["similar", "cat"], ["analogy", "cat", "dog", "horse"], ["paraphrase", "The cat slept."]):
        r = run(*args, "-m", bare_model)
        assert r.exit_code == 1 and "--vectors" in r.output
        r = run(*args, "-m", bare_model, "--json")
        assert r.exit_code == 1 and "--vectors" in json.loads(r.stdout)["error"]["message"]


# ---------------------------------------------------------------------- paraphrase

SENTENCE = "The cat slept in the barn."


def test_paraphrase_shows_each_variant_and_its_changes(model):
    r = run("paraphrase", SENTENCE, "-n", "2", "-m", model)
    assert r.exit_code == 0, r.output
    data = run_json("paraphrase", SENTENCE, "-n", "2", "-m", model)
    found = data["paraphrases"]
    assert 1 <= len(found) <= 2 and data["sentence"] == SENTENCE
    lines = r.stdout.splitlines()
    for i, p in enumerate(found):
        assert lines[2 * i] == f"{i + 1}. {p['text']}"
        changes = ", ".join(f"{c['original']} -> {c['substitute']}" for c in p["changes"])
        assert lines[2 * i + 1].strip() == f"{changes}   (score {p['score']:+.2f})"
        text = SENTENCE
        for c in p["changes"]:
            text = text.replace(c["original"], c["substitute"], 1)
        assert text == p["text"]


def test_substitutes_for_a_word_or_its_number(model):
    r = run("paraphrase", SENTENCE, "--word", "cat", "-k", "3", "-m", model)
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert lines[0].split() == ["word", "fluency", "similarity", "score", "sentence"]
    data = run_json("paraphrase", SENTENCE, "--word", "cat", "-k", "3", "-m", model)
    subs = data["substitutes"]
    assert subs and {s["word"] for s in subs} <= set(ANIMALS) - {"cat"}
    for line, s in zip(lines[1:], subs):
        assert line.split()[:4] == [s["word"], f"{s['fluency']:+.2f}", f"{s['similarity']:.3f}", f"{s['score']:+.2f}"]
        assert line.endswith(SENTENCE.replace("cat", s["word"]))
    by_number = run_json("paraphrase", SENTENCE, "--word", "2", "-k", "3", "-m", model)
    assert by_number["substitutes"] == subs  # token 2 (counting from 1) is "cat"


def test_paraphrase_options_are_checked(model):
    assert run("paraphrase", SENTENCE, "-k", "3", "-m", model).exit_code == 2  # -k needs --word
    assert run("paraphrase", SENTENCE, "--word", "cat", "-n", "3", "-m", model).exit_code == 2
    r = run("paraphrase", SENTENCE, "--word", "unicorn", "-m", model)
    assert r.exit_code == 1 and "not a word of the sentence" in r.output
    r = run("paraphrase", SENTENCE, "--word", "0", "-m", model)
    assert r.exit_code == 2 and "from 1" in r.output
