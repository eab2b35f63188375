"""WordVectors queries against brute force, lookups, errors, and the array round trip."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from next_token.errors import InputError, ModelFileError
from next_token.lookup import Neighbor, UnknownWordError, WordVectors

WORDS = ["<unk>", "<s>", "</s>", "Paris", "France", "London", "England", "paris", "Rome", "Italy", "the", "sea"]


def make_vectors(seed: int, dtype=np.float32, dim: int = 5, scaled: bool = False) -> WordVectors:
    rng = np.random.default_rng(seed)
    ids = np.arange(3, len(WORDS), dtype=np.uint32)
    M = rng.standard_normal((len(ids), dim))
    M /= np.linalg.norm(M, axis=1, keepdims=True)
    M = M.astype(dtype)
    if not scaled:
        return WordVectors(M, ids, WORDS)
    g = np.linspace(1, 0.3, dim).astype(np.float32)
    return WordVectors(M, ids, WORDS, analogy_scale=g, analogy_norms=np.linalg.norm(M * g, axis=1).astype(np.float32))


def brute_similar(v: WordVectors, word: str, k: int):
    M = v.matrix.astype(np.float32)
    r = v.row(word)
    scores = [(-float(M[i] @ M[r]), i) for i in range(len(v)) if i != r]
    return [v.word(i) for _, i in sorted(scores)[:k]]


def brute_analogy(v: WordVectors, a: str, b: str, c: str, method: str):
    M = v.matrix.astype(np.float64)
    ra, rb, rc = v.row(a), v.row(b), v.row(c)
    best, best_row = -np.inf, None
    for i in range(len(v)):
        if i in (ra, rb, rc):
            continue
        ca, cb, cc = M[i] @ M[ra], M[i] @ M[rb], M[i] @ M[rc]
        if method == "3cosadd":
            s = cb - ca + cc
        else:
            s = ((cb + 1) / 2) * ((cc + 1) / 2) / ((ca + 1) / 2 + 0.001)
        if s > best:
            best, best_row = s, i
    return v.word(best_row)


vector_words = st.sampled_from(WORDS[3:])


@settings(max_examples=100, deadline=None)
@given(seed=st.integers(0, 10_000), word=vector_words, k=st.integers(1, 12), half=st.booleans())
def test_similar_equals_brute_force(seed, word, k, half):
    v = make_vectors(seed, np.float16 if half else np.float32)
    got = v.similar(word, k)
    assert [n.word for n in got] == brute_similar(v, word, k)
    assert word not in [n.word for n in got]
    assert all(isinstance(n, Neighbor) for n in got)
    scores = [n.score for n in got]
    assert scores == sorted(scores, reverse=True)


@settings(max_examples=100, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    abc=st.lists(vector_words, min_size=3, max_size=3, unique=True),
    method=st.sampled_from(["3cosmul", "3cosadd"]),
)
def test_analogy_equals_brute_force_and_excludes_inputs(seed, abc, method):
    v = make_vectors(seed)
    a, b, c = abc
    got = v.analogy(a, b, c, k=len(v), method=method)
    words = [n.word for n in got]
    assert not {a, b, c} & set(words)
    assert len(words) == len(v) - 3
    assert words[0] == brute_analogy(v, a, b, c, method)
    # The batched form used by benchmarks gives the same best answer.
    best = v.analogy_rows(np.array([v.row(a)]), np.array([v.row(b)]), np.array([v.row(c)]), method)
    assert v.word(best[0]) == words[0]


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    abc=st.lists(vector_words, min_size=3, max_size=3, unique=True),
    method=st.sampled_from(["3cosmul", "3cosadd"]),
)
def test_analogy_weighting_equals_rescaled_vectors(seed, abc, method):
    """With analogy_scale g, analogies must act on the unit rows of (w * g): built explicitly here."""
    v = make_vectors(seed)
    g = np.random.default_rng(seed + 1).uniform(0.2, 1.0, v.dim).astype(np.float32)
    norms = np.linalg.norm(v.matrix * g, axis=1).astype(np.float32)
    weighted = WordVectors(v.matrix, v.ids, WORDS, analogy_scale=g, analogy_norms=norms)
    explicit = WordVectors((v.matrix * g / norms[:, None]).astype(np.float32), v.ids, WORDS)
    got = weighted.analogy(*abc, k=4, method=method)
    want = explicit.analogy(*abc, k=4, method=method)
    assert [n.word for n in got] == [n.word for n in want]
    np.testing.assert_allclose([n.score for n in got], [n.score for n in want], rtol=1e-4, atol=1e-5)
    assert weighted.similar(abc[0], 3) == v.similar(abc[0], 3)  # similarity is unaffected


def test_analogy_finds_a_planted_relation():
    # england = france - paris + london exactly: both methods must find it.
    rng = np.random.default_rng(0)
    base = {w: rng.standard_normal(50) for w in ["Paris", "France", "London", "Rome", "Italy", "the", "sea", "paris"]}
    base["England"] = base["France"] - base["Paris"] + base["London"]
    ids = np.array([WORDS.index(w) for w in base], dtype=np.uint32)
    M = np.array(list(base.values()))
    M /= np.linalg.norm(M, axis=1, keepdims=True)
    v = WordVectors(M.astype(np.float32), ids, WORDS)
    for method in ("3cosadd", "3cosmul"):
        assert v.analogy("Paris", "France", "London", method=method)[0].word == "England"


def test_lookup_exact_then_case_insensitive():
    v = make_vectors(0)
    assert v.word(v.row("paris")) == "paris"  # an exact match wins
    assert v.word(v.row("PARIS")) == "Paris"  # folded: the most frequent (first) row
    assert v.word(v.row("rome")) == "Rome"
    assert "ROME" in v and "Madrid" not in v
    with pytest.raises(UnknownWordError) as e:
        v.similar("Madrid")
    assert isinstance(e.value, InputError) and "Madrid" in str(e.value)


def test_bad_arguments():
    v = make_vectors(0)
    for k in (0, -1, 2.5, True):
        with pytest.raises(InputError):
            v.similar("sea", k=k)
    with pytest.raises(InputError):
        v.analogy("Paris", "France", "London", method="cosine")
    with pytest.raises(InputError):
        v.vector(3)  # type: ignore[arg-type]
    with pytest.raises(InputError):
        v.similar_to_vector(np.zeros(v.dim))


def test_vector_and_similarity():
    v = make_vectors(1)
    x = v.vector("sea")
    assert x.dtype == np.float32 and np.isclose(np.linalg.norm(x), 1, atol=1e-5)
    assert v.similarity("sea", "the") == pytest.approx(float(x @ v.vector("the")))
    near = v.similar_to_vector(3 * x, k=2, exclude=["sea"])
    assert near[0].word == v.similar("sea", 1)[0].word


@pytest.mark.parametrize("dtype", [np.float16, np.float32])
@pytest.mark.parametrize("scaled", [False, True])
def test_array_round_trip_through_memory_map(tmp_path, dtype, scaled):
    v = make_vectors(2, dtype, scaled=scaled)
    meta, arrays = v.to_arrays()
    for name, a in arrays.items():
        np.save(tmp_path / f"{name}.npy", a)
    mapped = {name: np.load(tmp_path / f"{name}.npy", mmap_mode="r") for name in arrays}
    w = WordVectors.from_arrays(meta, mapped, WORDS)
    assert isinstance(w.matrix, np.memmap)  # wrapped, not copied
    assert w.matrix.dtype == dtype and len(w) == len(v)
    for word in ("sea", "PARIS", "England"):
        assert w.similar(word, 4) == v.similar(word, 4)
    assert w.analogy("Paris", "France", "London", k=3) == v.analogy("Paris", "France", "London", k=3)
    assert set(arrays) == {f"vectors.{n}" for n in ["matrix", "ids", "by_word", "by_folded"]} | (
        {"vectors.analogy_scale", "vectors.analogy_norms"} if scaled else set()
    )


def test_corrupted_arrays_are_refused():
    v = make_vectors(3)
    meta, arrays = v.to_arrays()
    bad = dict(arrays)
    bad["vectors.ids"] = arrays["vectors.ids"][:-1]
    with pytest.raises(ModelFileError):
        WordVectors.from_arrays(meta, bad, WORDS)
    with pytest.raises(ModelFileError):
        WordVectors.from_arrays({**meta, "format": 99}, arrays, WORDS)
    with pytest.raises(ModelFileError):  # half of the analogy weighting
        WordVectors.from_arrays(meta, {**arrays, "vectors.analogy_scale": np.ones(v.dim, np.float32)}, WORDS)
    del bad["vectors.matrix"]
    with pytest.raises(ModelFileError):
        WordVectors.from_arrays(meta, bad, WORDS)
