"""Building vectors end to end on small synthetic corpora with a planted structure."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

pytest.importorskip("scipy")

from next_token.errors import InputError  # noqa: E402
from next_token.lookup import VectorSettings, WordVectors, build_word_vectors  # noqa: E402

SPECIALS = ["<unk>", "<s>", "</s>"]


def synthetic_corpus(n_sentences: int = 3000, seed: int = 0):
    """Animals and vehicles used in disjoint frames: same-class words share every context."""
    rng = np.random.default_rng(seed)
    animals = ["cat", "dog", "horse", "cow"]
    vehicles = ["car", "bus", "truck", "train"]
    animal_frames = [["the", "*", "eats", "grass"], ["a", "*", "sleeps", "in", "the", "barn"], ["feed", "the", "*"]]
    vehicle_frames = [["the", "*", "needs", "fuel"], ["a", "*", "drives", "on", "the", "road"], ["park", "the", "*"]]
    sents = []
    for _ in range(n_sentences):
        if rng.random() < 0.5:
            frame, word = animal_frames[rng.integers(3)], animals[rng.integers(len(animals))]
        else:
            frame, word = vehicle_frames[rng.integers(3)], vehicles[rng.integers(len(vehicles))]
        if word == "cat" and rng.random() < 0.2:
            word = "Cat"  # a rarer spelling of the same word
        sents.append([word if t == "*" else t for t in frame])
    index = {t: i for i, t in enumerate(SPECIALS)}
    stream = []
    for s in sents:
        stream += [1] + [index.setdefault(t, len(index)) for t in s] + [2]
    return np.array(stream, dtype=np.uint32), list(index)


SMALL = VectorSettings(dim=4, window=3, min_count=2, subsample=None)


def test_planted_classes_are_recovered():
    stream, tokens = synthetic_corpus()
    v = build_word_vectors(stream, tokens, SMALL)
    assert isinstance(v, WordVectors)
    animals, vehicles = {"cat", "dog", "horse", "cow"}, {"car", "bus", "truck", "train"}
    for word, same in [("dog", animals), ("bus", vehicles)]:
        top = {n.word for n in v.similar(word, 3)}
        assert top <= same, (word, top)
    assert np.allclose(np.linalg.norm(v.matrix.astype(np.float32), axis=1), 1, atol=2e-3)


def test_lowercase_pools_case_variants():
    stream, tokens = synthetic_corpus()
    pooled = build_word_vectors(stream, tokens, SMALL)
    assert pooled.row("Cat") == pooled.row("cat")  # one vector, shown as the most frequent form
    assert pooled.word(pooled.row("CAT")) == "cat"
    kept = build_word_vectors(stream, tokens, dataclasses.replace(SMALL, lowercase=False))
    assert kept.row("Cat") != kept.row("cat")
    assert len(kept) == len(pooled) + 1


def test_min_count_and_the_id_mapping():
    stream, tokens = synthetic_corpus()
    counts = np.bincount(stream, minlength=len(tokens))
    s = dataclasses.replace(SMALL, lowercase=False, min_count=int(np.sort(counts[3:])[len(counts[3:]) // 2]))
    v = build_word_vectors(stream, tokens, s)
    expected = {tokens[i] for i in range(3, len(tokens)) if counts[i] >= s.min_count}
    assert {v.word(r) for r in range(len(v))} == expected
    assert all(counts[v.ids[r]] >= s.min_count for r in range(len(v)))
    assert np.all(np.diff(counts[v.ids]) <= 0)  # rows by frequency, most frequent first


def test_deterministic_for_a_seed():
    stream, tokens = synthetic_corpus()
    s = dataclasses.replace(SMALL, subsample=1e-2)
    a = build_word_vectors(stream, tokens, s).matrix
    b = build_word_vectors(stream, tokens, s).matrix
    c = build_word_vectors(stream, tokens, dataclasses.replace(s, seed=1)).matrix
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


def test_randomized_path(monkeypatch):
    # Force the randomized SVD (the path large corpora take) and check it still separates classes.
    import functools

    import next_token.lookup.build as build
    import next_token.lookup.svd as svd

    calls = []
    orthonormal = svd._orthonormal
    monkeypatch.setattr(svd, "_orthonormal", lambda Y: calls.append(Y.shape) or orthonormal(Y))
    monkeypatch.setattr(build, "truncated_svd", functools.partial(svd.truncated_svd, dense_below=2))
    stream, tokens = synthetic_corpus()
    v = build_word_vectors(stream, tokens, SMALL)
    assert len(calls) == 1 + 2 * SMALL.power_iterations
    assert {n.word for n in v.similar("cow", 3)} <= {"cat", "dog", "horse"}


def test_bad_input():
    stream, tokens = synthetic_corpus(50)
    with pytest.raises(InputError):
        build_word_vectors(np.array([1, 99, 2], dtype=np.uint32), tokens)  # id outside vocabulary
    with pytest.raises(InputError):
        build_word_vectors(np.zeros((2, 2), dtype=np.uint32), tokens)
    with pytest.raises(InputError):
        build_word_vectors(np.array([1, 2], dtype=np.uint32), tokens)  # no words at all
    for bad in ({"dim": 0}, {"window": 0}, {"min_count": 0}, {"subsample": -1.0}, {"dtype": "int8"}):
        with pytest.raises(InputError):
            build_word_vectors(stream, tokens, dataclasses.replace(SMALL, **bad))


def test_with_the_language_model_vocabulary():
    """The ids and tokens of a trained LanguageModel are accepted as they are."""
    from next_token import LanguageModel, Text

    text = " ".join(["The cat eats grass. The dog eats grass. The car needs fuel. The bus needs fuel."] * 40)
    lm = LanguageModel.train([Text(text)], order=2)
    try:
        tokens, stream = lm.vocab.tokens, lm.vocab.encode_sentences(lm.tokenizer.sentences(text))
    except AttributeError:
        pytest.skip("the LanguageModel layout changed; wire the vectors in through its new names")
    v = build_word_vectors(stream, tokens, dataclasses.replace(SMALL, dim=3))
    assert v.similar("cat", 1)[0].word == "dog"
    assert v.similar("bus", 1)[0].word == "car"
