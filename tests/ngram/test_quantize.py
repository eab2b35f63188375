"""Quantized and packed models: the codebooks, the packed key structure, exact top-k over the
stored values, files loaded memory-mapped, and `ntp prune`."""

import json
import warnings

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from next_token import LanguageModel
from next_token.cli import main
from next_token.errors import InputError, ModelFileError
from next_token.model_file import read_model_file
from next_token.ngram import quantize as Q
from next_token.ngram.build import ngram_from_stream
from next_token.ngram.kneser_ney import DiscountFallbackWarning
from next_token.ngram.packed import PackedKeys, PackedNgramModel, estimate_nbytes, pack, packed_nbytes
from next_token.text.corpus import Text

V = 12
sentences_st = st.lists(st.lists(st.integers(3, V - 1), min_size=0, max_size=12), min_size=1, max_size=20)


def _model(sentences, order, vocab_size=V):
    flat = []
    for s in sentences:
        flat += [1] + s + [2]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DiscountFallbackWarning)
        return ngram_from_stream(np.array(flat, dtype=np.uint32), order, vocab_size)


def _random_model(seed, order=4, n=300, vocab_size=V):
    rng = np.random.default_rng(seed)
    return _model([rng.integers(3, vocab_size, size=rng.integers(1, 14)).tolist() for _ in range(n)], order, vocab_size)


# ---------------------------------------------------------------- codebooks


def test_codebook_beats_equal_population_bins_and_pins_zero():
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(-2, 0.7, 5000), np.zeros(300), rng.normal(-5, 0.2, 2000)])
    w = rng.random(len(x))
    centers = Q.codebook(x, 8, w, pinned=(0.0,))
    assert len(centers) <= 256 and centers.dtype == np.float32 and (np.diff(centers) > 0).all()
    assert 0.0 in centers
    codes = Q.encode(x, centers)
    assert codes.dtype == np.uint8
    assert (centers[codes][x == 0] == 0).all()
    # every value takes its nearest center
    nearest = np.abs(x[:, None] - centers[None, :].astype(np.float64)).argmin(axis=1)
    np.testing.assert_array_equal(np.abs(centers[codes] - x), np.abs(centers[nearest] - x))
    # weighted Lloyd does at least as well as KenLM-style equal-population bins' means
    order = np.argsort(x)
    bins = np.array_split(order, 255)
    kenlm = np.unique(np.array([x[b].mean() for b in bins] + [0.0], dtype=np.float32))
    loss = lambda c: float((w * (c[Q.encode(x, c)] - x) ** 2).sum())  # noqa: E731
    assert loss(centers) <= loss(kenlm)


def test_few_distinct_values_are_kept_exactly():
    x = np.array([-1.5, -0.25, -1.5, -3.0], dtype=np.float32)
    centers = Q.codebook(x, 8)
    np.testing.assert_array_equal(centers[Q.encode(x, centers)], x)
    with pytest.raises(InputError):
        Q.codebook(x, 5)


# ---------------------------------------------------------------- packed keys


@pytest.mark.parametrize("vocab_size", [50, 70_000, 300_000])
def test_packed_keys_find_like_a_sorted_array(vocab_size):
    rng = np.random.default_rng(vocab_size)
    parents = np.sort(rng.integers(0, 5000, size=90_000))
    keys = np.unique(parents * vocab_size + rng.integers(0, vocab_size, size=len(parents)))
    pk = PackedKeys.encode(keys)
    np.testing.assert_array_equal(pk.decode(), keys)
    queries = np.concatenate([keys[::7], keys[::11] + 1, rng.integers(0, int(keys[-1]) + 10, size=3000), [-1]])
    want = np.searchsorted(keys, queries)
    hit = (want < len(keys)) & (keys[np.minimum(want, len(keys) - 1)] == queries)
    np.testing.assert_array_equal(pk.find_many(queries), np.where(hit, want, -1))
    for q, w, h in zip(queries[:-1:20].tolist(), want[:-1:20].tolist(), hit[:-1:20].tolist()):
        assert pk.bound(q) == w
        assert pk.find(q) == (w if h else -1)
    for node in np.unique(parents)[:50].tolist():  # a family's words, across buckets when V > 2^16
        first = node * vocab_size
        lo, hi = np.searchsorted(keys, [first, first + vocab_size])
        np.testing.assert_array_equal(pk.range_keys(int(lo), int(hi), first, vocab_size), keys[lo:hi])


# ---------------------------------------------------------------- packed models


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sentences=sentences_st, order=st.integers(1, 5), seed=st.integers(0, 99))
def test_packed_float32_answers_exactly_like_the_model(sentences, order, seed):
    model = _model(sentences, order)
    packed = pack(model, 32, 32)
    rng = np.random.default_rng(seed)
    for _ in range(6):
        ctx = rng.integers(0, V, size=rng.integers(0, order + 1)).tolist()
        for k in (1, 3, V + 1):
            for level in range(order):
                a, b = model.top_k(ctx, k, min_level=level), packed.top_k(ctx, k, min_level=level)
                np.testing.assert_array_equal(a[0], b[0])
                np.testing.assert_allclose(a[1], b[1], rtol=1e-12)
        np.testing.assert_allclose(model.distribution(ctx), packed.distribution(ctx), rtol=1e-6)
        np.testing.assert_allclose(model.probabilities(ctx, np.arange(V)), packed.probabilities(ctx, np.arange(V)),
                                   rtol=1e-6)
        level = model.seen_level(ctx)
        assert level == packed.seen_level(ctx)
        for a, b in zip(model.seen_weights(ctx, level), packed.seen_weights(ctx, level)):
            np.testing.assert_allclose(a, b, rtol=1e-6)
        for level in range(order):
            for a, b in zip(model.seen_continuations(ctx, level), packed.seen_continuations(ctx, level)):
                np.testing.assert_allclose(a, b, rtol=1e-6)
    stream = np.array([1, 3, 4, 5, 2, 1, 7, 7, 2], dtype=np.int64)
    np.testing.assert_allclose(model.score_stream(stream).logprob, packed.score_stream(stream).logprob, rtol=1e-6)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), bits=st.sampled_from([8, 16]), order=st.integers(2, 5))
def test_quantized_top_k_is_exact_over_the_stored_values(seed, bits, order):
    packed = pack(_random_model(seed, order), bits, bits)
    rng = np.random.default_rng(seed)
    for _ in range(8):
        ctx = rng.integers(0, V, size=rng.integers(0, order)).tolist()
        dist = packed.distribution(ctx)
        assert dist.sum() == pytest.approx(1.0, abs=0.1)  # quantized: near 1, not exactly
        for k in (1, 4, V):
            ids, probs = packed.top_k(ctx, k)
            want = np.lexsort((np.arange(V), -dist))[:k]
            want = want[dist[want] > 0]
            np.testing.assert_array_equal(ids, want)  # ties (frequent once quantized) by smaller id
            np.testing.assert_allclose(probs, dist[want], rtol=1e-9)
        stream = np.array([1] + ctx[-order:] + [2], dtype=np.int64)
        stream[1:-1] = np.maximum(stream[1:-1], 3)
        scores = packed.score_stream(stream)
        for pos, lp in zip(scores.positions.tolist(), scores.logprob.tolist()):
            assert lp == pytest.approx(np.log10(packed.distribution(stream[:pos])[stream[pos]]), abs=1e-9)


def test_quantization_costs_little_and_the_file_is_small(tmp_path):
    model = _random_model(7, order=4, n=3000, vocab_size=400)
    held = [np.random.default_rng(8).integers(3, 400, size=9).tolist() for _ in range(200)]
    stream = np.array([t for s in held for t in [1, *s, 2]], dtype=np.int64)
    base = model.score_stream(stream).total
    for bits, tolerance in ((16, 1e-3), (8, 2e-2)):
        packed = pack(model, bits, bits)
        assert abs(packed.score_stream(stream).total / base - 1) < tolerance
        assert packed_nbytes(packed) <= estimate_nbytes(model.order, model.vocab_size, model.keys, bits, bits)


def test_a_packed_file_is_mapped_and_checked(tmp_path):
    lm = LanguageModel.train([Text("The cat sat on the mat. The dog sat on the log. The cat ran. " * 5)], order=3)
    small = LanguageModel(pack(lm.model, 8, 8), lm.vocab, lm.tokenizer)
    path = tmp_path / "small.ntp"
    small.save(path)
    back = LanguageModel.load(path, verify=True)
    assert isinstance(back.model, PackedNgramModel)
    assert back.model._keys[1].low.base is not None  # a view of the mapped file, not a copy
    assert [p.token for p in back.predict("The cat", k=3)] == [p.token for p in small.predict("The cat", k=3)]
    assert back.completions("The cat", k=2) == small.completions("The cat", k=2)
    # a corrupted best-first list is caught by validation
    _, meta, arrays = read_model_file(path)
    arrays = {k: np.array(v) for k, v in arrays.items()}
    perm = arrays["ngram.ranked_words.1"]
    perm[[0, 1]] = perm[[1, 0]]
    broken = PackedNgramModel.from_arrays(meta["ngram"], arrays)
    with pytest.raises(ModelFileError):
        broken.validate()


def test_ntp_prune_meets_its_target(tmp_path):
    rng = np.random.default_rng(3)
    words = [f"w{i}" for i in range(400)]
    text = " ".join("Sentence " + " ".join(rng.choice(words, size=8, p=np.arange(400, 0, -1) / 80200)) + "."
                    for _ in range(4000))
    text += " Sentence 3 says 4 things about 2 cats." * 20
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DiscountFallbackWarning)
        lm = LanguageModel.train([Text(text)], order=4)
    big, small = tmp_path / "big.ntp", tmp_path / "small.ntp"
    lm.save(big)
    held = tmp_path / "held.txt"
    held.write_text("Sentence 3 says 4 things about 2 cats. Sentence 9 says 1 things.")
    target = big.stat().st_size // 4
    result = CliRunner().invoke(main, ["prune", str(big), "-o", str(small), "--target-size", str(target),
                                       "--heldout", str(held), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert small.stat().st_size <= target
    assert report["bits"] in (8, 16, 32) and report["perplexity"]["output"] > 0
    assert LanguageModel.load(small).predict("Sentence 3 says", k=1)[0].token == "4"
    result = CliRunner().invoke(main, ["prune", str(big), "-o", str(small), "--target-size", "ten"])
    assert result.exit_code == 2
