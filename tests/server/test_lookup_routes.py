"""The lookup and spelling endpoints (next_token.server.lookup_routes): answers equal to the
library's, offsets a browser can use, 400s that say why, and the runner's lanes and deadlines."""

from __future__ import annotations

import threading
import time

import httpx
import numpy as np
import pytest
from fastapi.testclient import TestClient

from next_token import LanguageModel
from next_token.server import create_app, running_server
from next_token.server.lookup_routes import utf16_offsets
from next_token.server.schemas import Limits

TEXT = ("He came from the house. She went from the garden to the house. They walked from the town. "
        "The ghost lived in the house. Their house was old. There was a ghost in their garden. ") * 20
ANIMALS = ["cat", "dog", "horse", "cow"]
PLACES = ["house", "barn", "field", "garden"]


def error_of(response) -> dict:
    body = response.json()
    assert set(body) == {"error"}, body
    assert body["error"]["message"], body
    return body["error"]


@pytest.fixture(scope="module")
def lm():
    """A word model with a corpus index and a lexicon (the defaults), no vectors."""
    return LanguageModel.train(text=TEXT, order=3, discount_fallback="ignore")


@pytest.fixture(scope="module")
def vlm():
    """A model with word vectors, on a corpus that repeats a few patterns (tests/lookup)."""
    pytest.importorskip("scipy")
    from next_token.lookup import VectorSettings

    rng = np.random.default_rng(0)
    lines = []
    for _ in range(600):
        a, p = rng.choice(ANIMALS), rng.choice(PLACES)
        lines.append(rng.choice([f"The {a} slept in the {p}.", f"A {a} ran to the {p}.", f"My {a} ate near the {p}."]))
    return LanguageModel.train(text="\n".join(lines), order=3, discount_fallback="ignore",
                               vectors=VectorSettings(dim=16, window=2, min_count=2, subsample=None))


@pytest.fixture(scope="module")
def client(lm):
    with TestClient(create_app(lm)) as c:
        yield c


@pytest.fixture(scope="module")
def vclient(vlm):
    with TestClient(create_app(vlm)) as c:
        yield c


# ---- search ------------------------------------------------------------------------------------


@pytest.mark.parametrize("body", [
    {"phrase": "the house"},
    {"phrase": "the house", "offset": 3, "limit": 4, "context": 2, "neighbours": 2},
    {"phrase": "THE GHOST", "ignore_case": True, "limit": 100},
    {"phrase": "the ghost", "limit": 0},
    {"phrase": "nowhere to be found"},
])
def test_search_equals_the_library(client, lm, body):
    r = client.post("/api/search", json=body)
    assert r.status_code == 200, r.text
    options = {k: v for k, v in body.items() if k != "phrase"}
    assert r.json() == lm.search(body["phrase"], **options).to_dict()


def test_search_pages_through_every_hit(client, lm):
    count = lm.search("the house").count
    hits, offset = [], 0
    while offset < count:
        page = client.post("/api/search", json={"phrase": "the house", "offset": offset, "limit": 7}).json()
        assert page["count"] == count and page["offset"] == offset
        hits += page["hits"]
        offset += 7
    assert hits == lm.search("the house", limit=count).to_dict()["hits"]
    assert [h["position"] for h in hits] == sorted(h["position"] for h in hits)  # in text order


def test_search_names_training_files_as_recorded_never_the_model_file(tmp_path):
    """A hit's source is corpus data (the file as it was given at training time); the model's own
    file, served from a snapshot, appears nowhere."""
    books = tmp_path / "books"
    books.mkdir()
    (books / "phantom.txt").write_text("The ghost spoke to Christine.\nNobody believed in the ghost.\n")
    model_file = tmp_path / "models" / "secret-name.ntp"
    model_file.parent.mkdir()
    LanguageModel.train([books], order=3, discount_fallback="ignore").save(model_file)
    with TestClient(create_app(LanguageModel.load(model_file))) as c:
        r = c.post("/api/search", json={"phrase": "the ghost"})
    assert [(h["source"], h["line"]) for h in r.json()["hits"]] == [(str(books / "phantom.txt"), 2)]
    assert "secret-name" not in r.text and str(model_file.parent) not in r.text


# ---- words -------------------------------------------------------------------------------------


def test_similar_equals_the_library(vclient, vlm):
    body = vclient.post("/api/similar", json={"word": "cat", "k": 3}).json()
    assert body["word"] == "cat"
    want = vlm.similar("cat", 3)
    assert [n["word"] for n in body["neighbours"]] == [n.word for n in want]
    assert [n["score"] for n in body["neighbours"]] == pytest.approx([n.score for n in want])
    assert {n["word"] for n in body["neighbours"]} == set(ANIMALS) - {"cat"}


def test_analogy_equals_the_library(vclient, vlm):
    body = vclient.post("/api/analogy", json={"a": "cat", "b": "dog", "c": "barn", "k": 2}).json()
    assert (body["a"], body["b"], body["c"]) == ("cat", "dog", "barn")
    want = vlm.analogy("cat", "dog", "barn", 2)
    assert [(n["word"], pytest.approx(n["score"])) for n in body["neighbours"]] == [(n.word, n.score) for n in want]


def test_paraphrase_equals_the_library(vclient, vlm):
    sentence = "My dog ate near the garden."
    body = vclient.post("/api/paraphrase", json={"sentence": sentence, "n": 4}).json()
    want = vlm.paraphrase(sentence, 4)
    assert body["sentence"] == sentence and body["word"] is None
    assert [p["text"] for p in body["paraphrases"]] == [p.text for p in want]
    assert [p["score"] for p in body["paraphrases"]] == pytest.approx([p.score for p in want])
    assert [p["changes"] for p in body["paraphrases"]] == [[list(c) for c in p.changes] for p in want]


@pytest.mark.parametrize("word", ["cat", 1])  # the word, or its token number
def test_paraphrase_with_a_word_gives_its_substitutes(vclient, vlm, word):
    sentence = "The cat slept in the barn."
    body = vclient.post("/api/paraphrase", json={"sentence": sentence, "n": 3, "word": word}).json()
    want = vlm.substitutes(sentence, word, 3)
    assert body["word"] == word
    got = body["paraphrases"]
    assert [p["text"] for p in got] == [s.text for s in want]
    assert [p["changes"] for p in got] == [[["cat", s.word]] for s in want]
    assert [x for p in got for x in (p["score"], p["fluency"], p["similarity"])] == pytest.approx(
        [x for s in want for x in (s.score, s.fluency, s.similarity)])


def test_an_unknown_word_is_a_400_that_names_it(vclient):
    r = vclient.post("/api/similar", json={"word": "unicorn"})
    assert r.status_code == 400 and "unicorn" in error_of(r)["message"]
    r = vclient.post("/api/paraphrase", json={"sentence": "The cat slept.", "word": "dog"})
    assert r.status_code == 400 and "not a word of the sentence" in error_of(r)["message"]
    r = vclient.post("/api/paraphrase", json={"sentence": "The cat slept.", "word": 9})
    assert r.status_code == 400 and "position" in error_of(r)["message"]


# ---- spelling ----------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["He came form the hosue.", "The gohst lived in the house. ", "Nothing to fix here."])
def test_correct_equals_the_library(client, lm, text):
    body = client.post("/api/correct", json={"text": text}).json()
    fixed = lm.correct(text)
    assert body["text"] == fixed.text
    assert [(e["start"], e["end"], e["original"], e["replacement"]) for e in body["edits"]] == [
        (e.start, e.end, e.original, e.replacement) for e in fixed.edits]
    assert [e["confidence"] for e in body["edits"]] == pytest.approx([e.confidence for e in fixed.edits])


def js_slice(text: str, start: int, end: int) -> str:
    """text.slice(start, end) as JavaScript computes it: offsets in UTF-16 code units."""
    return text.encode("utf-16-le")[2 * start : 2 * end].decode("utf-16-le")


@pytest.mark.parametrize("text,fixed,offsets", [
    ("😀 He came form the hosue.", "😀 He came from the house.", [(10, 14, 11, 15), (19, 24, 20, 25)]),
    ("😀😀 The gohst lived in the hosue.", "😀😀 The ghost lived in the house.", [(7, 12, 9, 14), (26, 31, 28, 33)]),
])
def test_correct_gives_offsets_for_python_and_for_javascript(client, text, fixed, offsets):
    """An emoji is one code point (Python) and two UTF-16 units (JavaScript): the typos after
    them are at different offsets for the two."""
    body = client.post("/api/correct", json={"text": text}).json()
    assert body["text"] == fixed
    assert [(e["start"], e["end"], e["start_utf16"], e["end_utf16"]) for e in body["edits"]] == offsets
    for e in body["edits"]:
        assert text[e["start"]:e["end"]] == e["original"]
        assert js_slice(text, e["start_utf16"], e["end_utf16"]) == e["original"]


def test_utf16_offsets_count_surrogate_pairs():
    text = "a😀b𝄞c"
    assert utf16_offsets(text, [0, 1, 2, 3, 4, 5]) == {0: 0, 1: 1, 2: 3, 3: 4, 4: 6, 5: 7}
    assert utf16_offsets(text, [5, 2, 2]) == {2: 3, 5: 7}
    assert utf16_offsets("plain", [3]) == {3: 3}


def test_suggest_equals_the_library(client, lm):
    body = client.post("/api/suggest", json={"word": "gardn", "context": "in their", "right_context": ".", "k": 3}).json()
    want = lm.suggest("gardn", context="in their", k=3, right_context=".")
    assert body["word"] == "gardn" and body["suggestions"][0]["word"] == "garden"
    assert [(s["word"], s["distance"]) for s in body["suggestions"]] == [(s.word, s.distance) for s in want]
    assert [s["probability"] for s in body["suggestions"]] == pytest.approx([s.probability for s in want])


# ---- what a model lacks, bad input -----------------------------------------------------------


@pytest.fixture(scope="module")
def bare_client():
    """A word model without an index or vectors, and a character model (no spelling)."""
    words = LanguageModel.train(text=TEXT, order=3, index=False, spelling=False, discount_fallback="ignore")
    chars = LanguageModel.train(text=TEXT, order=3, tokenizer="char", discount_fallback="ignore")
    with TestClient(create_app(words)) as w, TestClient(create_app(chars)) as c:
        yield {"words": w, "chars": c}


@pytest.mark.parametrize("model,path,body,mentions", [
    ("words", "/api/search", {"phrase": "the house"}, "--no-index"),
    ("words", "/api/similar", {"word": "house"}, "--vectors"),
    ("words", "/api/analogy", {"a": "house", "b": "garden", "c": "town"}, "--vectors"),
    ("words", "/api/paraphrase", {"sentence": "The ghost lived in the house."}, "--vectors"),
    ("words", "/api/paraphrase", {"sentence": "The ghost lived in the house.", "word": "ghost"}, "--vectors"),
    ("chars", "/api/correct", {"text": "teh house"}, "word model"),
    ("chars", "/api/suggest", {"word": "teh"}, "word model"),
])
def test_a_part_the_model_lacks_is_a_400_naming_the_training_option(bare_client, model, path, body, mentions):
    r = bare_client[model].post(path, json=body)
    assert r.status_code == 400, r.text
    assert mentions in error_of(r)["message"]


def test_info_says_which_parts_the_model_has(client, vclient, bare_client):
    def parts(c):
        model = c.get("/api/info").json()["model"]
        return {p: model[p] for p in ("index", "spelling", "vectors")}

    assert parts(client) == {"index": True, "spelling": True, "vectors": False}
    assert parts(vclient)["vectors"] is True
    # a word model trained without a stored lexicon still corrects (one is made on first use)
    assert parts(bare_client["words"]) == {"index": False, "spelling": True, "vectors": False}
    assert parts(bare_client["chars"])["spelling"] is False


def test_open_end_judges_the_last_word_without_a_full_stop(client):
    typed = "He came from the hosue "
    assert client.post("/api/correct", json={"text": typed}).json()["edits"] == []  # as if it ended there
    edits = client.post("/api/correct", json={"text": typed, "open_end": True}).json()["edits"]
    assert [(e["original"], e["replacement"]) for e in edits] == [("hosue", "house")]


LONG_WORD = "w" * (Limits().max_word_chars + 1)
BAD_REQUESTS = [
    ("/api/search", {}, "phrase"),
    ("/api/search", {"phrase": "the", "limit": 101}, "limit must be at most 100"),
    ("/api/search", {"phrase": "the", "limit": -1}, "limit"),
    ("/api/search", {"phrase": "the", "context": 51}, "context must be at most 50"),
    ("/api/search", {"phrase": "the", "neighbours": 1000}, "neighbours must be at most"),
    ("/api/search", {"phrase": "the", "offset": -1}, "offset"),
    ("/api/search", {"phrase": "the", "offset": "3"}, "offset"),
    ("/api/search", {"phrase": "the", "ignore_case": "yes"}, "ignore_case"),
    ("/api/search", {"phrase": "the " * 300}, "phrase is 1200 characters; this server accepts at most 1000"),
    ("/api/search", {"phrase": "   "}, "empty"),
    ("/api/search", {"phrase": "the", "page": 2}, "page"),
    ("/api/search", b'{"phrase": "\\ud800"}', "Unicode"),
    ("/api/correct", b'{"text": "teh \\udfff"}', "Unicode"),
    ("/api/similar", {"word": "house", "k": 0}, "k"),
    ("/api/similar", {"word": "house", "k": 101}, "k must be at most 100"),
    ("/api/similar", {"word": "house", "k": True}, "k"),
    ("/api/similar", {"word": LONG_WORD}, "word is 101 characters"),
    ("/api/similar", {"words": ["house"]}, "word: Field required"),
    ("/api/similar", {"word": "house", "words": ["house"]}, "words"),
    ("/api/analogy", {"a": "x", "b": "y"}, "c"),
    ("/api/analogy", {"a": "x", "b": "y", "c": LONG_WORD}, "c is 101 characters"),
    ("/api/paraphrase", {"sentence": "x", "n": 21}, "n must be at most 20"),
    ("/api/paraphrase", {"sentence": "word " * 201}, "sentence is 1005 characters"),
    ("/api/paraphrase", {"sentence": "x", "word": True}, "word"),
    ("/api/paraphrase", {"sentence": "x", "word": LONG_WORD}, "word is 101 characters"),
    ("/api/correct", {}, "text"),
    ("/api/correct", {"text": 5}, "text"),
    ("/api/correct", {"text": "x" * 10_001}, "text is 10001 characters; this server accepts at most 10000"),
    ("/api/correct", {"text": "teh", "language": "en"}, "language"),
    ("/api/suggest", {"word": "teh", "k": 101}, "k must be at most 100"),
    ("/api/suggest", {"word": "teh", "context": "x" * 10_001}, "context is 10001 characters"),
    ("/api/suggest", {"word": "teh", "right_context": "x" * 10_001}, "right_context is 10001 characters"),
    ("/api/suggest", {"word": "  "}, "empty"),
]


@pytest.mark.parametrize("path,body,mentions", BAD_REQUESTS)
def test_bad_input_gets_a_400_that_says_why(client, path, body, mentions):
    if isinstance(body, bytes):  # JSON the client library would not write (a lone surrogate)
        r = client.post(path, content=body, headers={"content-type": "application/json"})
    else:
        r = client.post(path, json=body)
    assert r.status_code == 400, r.text
    assert mentions.lower() in error_of(r)["message"].lower()


def test_limits_are_configurable_and_reported(lm):
    limits = Limits(max_search_hits=2, max_correct_chars=10, max_k=2, max_word_chars=3)
    with TestClient(create_app(lm, limits=limits)) as c:
        assert c.post("/api/search", json={"phrase": "the", "limit": 3}).status_code == 400
        assert c.post("/api/search", json={"phrase": "the", "limit": 2, "neighbours": 2}).status_code == 200
        assert c.post("/api/correct", json={"text": "x" * 11}).status_code == 400
        assert c.post("/api/correct", json={"text": "teh house"}).status_code == 200
        assert c.post("/api/suggest", json={"word": "teh", "k": 3}).status_code == 400
        assert c.post("/api/suggest", json={"word": "tehh"}).status_code == 400
        reported = c.get("/api/info").json()["limits"]
    assert reported["max_search_hits"] == 2 and reported["max_correct_chars"] == 10


def test_openapi_documents_the_endpoints(client):
    paths = client.get("/openapi.json").json()["paths"]
    for path in ["/api/search", "/api/similar", "/api/analogy", "/api/paraphrase", "/api/correct", "/api/suggest"]:
        assert "post" in paths[path]


# ---- the runner: lanes and deadlines -----------------------------------------------------------


ENDPOINTS = [
    ("/api/search", {"phrase": "the house"}),
    ("/api/similar", {"word": "cat"}),
    ("/api/analogy", {"a": "cat", "b": "dog", "c": "barn"}),
    ("/api/paraphrase", {"sentence": "The cat slept in the barn."}),
    ("/api/correct", {"text": "The gohst slept."}),
    ("/api/suggest", {"word": "gohst"}),
]


def test_every_endpoint_runs_the_model_through_the_runner(vlm):
    """The model is called in the runner's long lane (a thread, a turn, the deadline), never on
    the event loop."""
    app = create_app(vlm)
    runner = app.state.runner
    lanes: list[str] = []
    call = runner.call

    async def spy(fn, /, *args, lane="long", **kwargs):
        lanes.append(lane)
        return await call(fn, *args, lane=lane, **kwargs)

    runner.call = spy
    with TestClient(app) as c:
        for path, body in ENDPOINTS:
            lanes.clear()
            r = c.post(path, json=body)
            assert r.status_code == 200, (path, r.text)
            assert lanes == ["long"], path


@pytest.mark.parametrize("path,body", [ENDPOINTS[0], ENDPOINTS[4]])
def test_a_request_waiting_past_its_deadline_gets_a_503(tiny_lm, slow_model, until, path, body):
    """One model thread, held 1 s by a call that cannot be interrupted (a slow score): a search
    or a correction behind it waits in the queue until its budget runs out, and is told to come
    back later; the work ahead of it is still delivered."""
    model = slow_model(tiny_lm, score_delay=1.0)
    app = create_app(model, limits=Limits(request_timeout=0.4), model_threads=1)
    with running_server(app) as url, httpx.Client(base_url=url, timeout=10) as http:
        results = {}
        t = threading.Thread(target=lambda: results.setdefault(
            "first", httpx.post(url + "/api/score", json={"text": "The cat."}, timeout=10)))
        t.start()
        assert until(lambda: app.state.runner.lanes["long"].running == 1, 2)
        started = time.monotonic()
        r = http.post(path, json=body)
        waited = time.monotonic() - started
        t.join()
    assert r.status_code == 503, r.text
    assert r.json()["error"]["code"] == "server_busy" and "waited" in r.json()["error"]["message"]
    assert 0.3 < waited < 0.9
    assert results["first"].status_code == 200


def test_a_full_queue_refuses_a_search_at_once(tiny_lm, slow_model, until):
    model = slow_model(tiny_lm, score_delay=1.0)
    app = create_app(model, limits=Limits(max_queue=0), model_threads=1)
    with running_server(app) as url, httpx.Client(base_url=url, timeout=10) as http:
        t = threading.Thread(target=lambda: httpx.post(url + "/api/score", json={"text": "The cat."}, timeout=10))
        t.start()
        assert until(lambda: app.state.runner.lanes["long"].running == 1, 2)
        started = time.monotonic()
        r = http.post("/api/search", json={"phrase": "The cat"})
        assert time.monotonic() - started < 0.5
        t.join()
        assert r.status_code == 503 and "max_queue" in r.json()["error"]["message"]
        assert r.headers["retry-after"] == "1"
        assert http.post("/api/search", json={"phrase": "The cat"}).json()["count"] == tiny_lm.search("The cat").count
