"""Search, explain, similar words and paraphrase on a trained LanguageModel, through save/load."""

import re

import numpy as np
import pytest

from next_token import InputError, LanguageModel

DOCS = {
    "phantom.txt": ("The Opera ghost was seen in the cellar.\nThe ghost spoke to Christine in the dark.\n\n"
                    "Nobody believed in the ghost. The managers laughed at the ghost.\n"),
    "notes.txt": "A ghost is only a story.\nChristine sang, and the ghost listened.\n",
}


@pytest.fixture(scope="module")
def books(tmp_path_factory):
    folder = tmp_path_factory.mktemp("books")
    for name, text in DOCS.items():
        (folder / name).write_text(text)
    return folder


@pytest.fixture(scope="module")
def lm(books, tmp_path_factory):
    path = tmp_path_factory.mktemp("m") / "m.ntp"
    LanguageModel.train([books], order=3, discount_fallback="ignore").save(path)
    return LanguageModel.load(path)


def occurrences(books, phrase):
    """Brute force: (file, line) of every occurrence of `phrase` as whole words, in file order."""
    out = []
    for path in sorted(books.iterdir()):
        for n, line in enumerate(path.read_text().splitlines(), 1):
            out += [(str(path), n)] * len(re.findall(rf"(?<!\w){re.escape(phrase)}(?!\w)", line))
    return out


@pytest.mark.parametrize("phrase", ["the ghost", "Christine", "ghost", "in the"])
def test_search_finds_every_occurrence_with_its_file_and_line(lm, books, phrase):
    found = lm.search(phrase, limit=100)
    want = occurrences(books, phrase)
    assert found.count == len(want)
    assert sorted((h.source, h.line) for h in found.hits) == sorted(want)
    assert all(h.match == phrase for h in found.hits)


def test_search_pages_and_ignores_case_when_asked(lm):
    every = lm.search("the ghost", limit=100)
    pages = lm.search("the ghost", limit=2).hits + lm.search("the ghost", offset=2, limit=100).hits
    assert pages == every.hits
    assert lm.search("the opera ghost").count == 0 and lm.search("the opera ghost", ignore_case=True).count == 1


def test_explain_names_the_source(lm):
    why = lm.explain("Nobody believed in the")
    assert why["matched"] == "Nobody believed in the" and why["count"] == 1
    assert why["occurrences"][0]["source"].endswith("phantom.txt") and why["occurrences"][0]["line"] == 4


def test_a_model_without_an_index_says_how_to_get_one(books):
    lm = LanguageModel.train([books], order=3, index=False, discount_fallback="ignore")
    assert lm.index is None and not lm.info()["index"]
    with pytest.raises(InputError, match="--no-index"):
        lm.search("ghost")


def test_a_bounded_memory_build_refuses_an_index(books):
    with pytest.raises(InputError, match="memory"):
        LanguageModel.train([books], order=3, index=True, memory="1G")


def test_vectors_are_asked_for(lm):
    assert lm.vectors is None
    for call in (lambda: lm.similar("ghost"), lambda: lm.vector("ghost"), lambda: lm.paraphrase("The ghost.")):
        with pytest.raises(InputError, match="--vectors"):
            call()


# ---------------------------------------------------------------------------- vectors

ANIMALS = ["cat", "dog", "horse", "cow"]
PLACES = ["house", "barn", "field", "garden"]


@pytest.fixture(scope="module")
def vlm(tmp_path_factory):
    pytest.importorskip("scipy")
    rng = np.random.default_rng(0)
    lines = []
    for _ in range(600):
        a, p = rng.choice(ANIMALS), rng.choice(PLACES)
        lines.append(rng.choice([f"The {a} slept in the {p}.", f"A {a} ran to the {p}.", f"My {a} ate near the {p}."]))
    from next_token.lookup import VectorSettings

    path = tmp_path_factory.mktemp("v") / "v.ntp"
    LanguageModel.train(text="\n".join(lines), order=3, vectors=VectorSettings(dim=16, window=2, min_count=2, subsample=None),
                        discount_fallback="ignore").save(path)
    return LanguageModel.load(path)


def test_similar_words_share_their_contexts(vlm):
    near = [n.word for n in vlm.similar("cat", k=3)]
    assert set(near) == set(ANIMALS) - {"cat"}
    assert abs(float(np.linalg.norm(vlm.vector("barn"))) - 1) < 1e-5


def test_substitutes_are_ranked_by_the_model_and_similarity(vlm):
    sentence = "The cat slept in the barn."
    subs = vlm.substitutes(sentence, "cat", k=5)
    assert subs and [s.score for s in subs] == sorted((s.score for s in subs), reverse=True)
    base = vlm.score(sentence).logprob
    for s in subs:
        assert s.text == sentence.replace("cat", s.word)
        assert s.fluency == pytest.approx(vlm.score(s.text).logprob - base, abs=1e-3)
        assert s.score == pytest.approx(min(s.fluency, 0) - 3.0 * (1 - s.similarity), abs=1e-3)
    assert vlm.substitutes(sentence, 1, k=5) == subs  # a token number names the same word


def test_paraphrases_change_one_or_two_words(vlm):
    sentence = "My dog ate near the garden."
    found = vlm.paraphrase(sentence, n=4)
    assert found and len({p.text for p in found}) == len(found)
    for p in found:
        assert 1 <= len(p.changes) <= 2 and p.text != sentence
        changed = [(a, b) for a, b in zip(sentence.split(), p.text.split()) if a != b]
        assert [(a.strip("."), b.strip(".")) for a, b in changed] == list(p.changes)


def test_bad_substitution_requests_are_input_errors(vlm):
    with pytest.raises(InputError, match="not a word of the sentence"):
        vlm.substitutes("The cat slept.", "dog")
    with pytest.raises(InputError, match="position"):
        vlm.substitutes("The cat slept.", 9)
    with pytest.raises(InputError):
        vlm.paraphrase("")
