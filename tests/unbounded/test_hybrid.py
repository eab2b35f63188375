"""The unbounded-context hybrid, through the LanguageModel facade."""

import numpy as np
import pytest

from next_token import InputError, LanguageModel, Text
from next_token.unbounded.hybrid import HybridModel
from next_token.unbounded.mixing import HybridWeights

PASSAGE = ("The lighthouse keeper climbed the spiral stair every evening at dusk and lit the great "
           "lamp that warned the fishing boats away from the black rocks of the northern cape.")
FILLER = "The boat was small. The sea was calm. The keeper was old. The lamp was bright. " * 20


@pytest.fixture(scope="module")
def pair():
    text = FILLER + PASSAGE + " " + FILLER
    plain = LanguageModel.train([Text(text)], order=3)
    hybrid = LanguageModel.train([Text(text)], order=3, unbounded=True)
    return plain, hybrid


def test_hybrid_is_a_distribution_and_topk_is_exact(pair):
    _, lm = pair
    ctx = lm.context_ids("The lighthouse keeper climbed the spiral")
    dist = lm.model.distribution(ctx)
    assert dist.sum() == pytest.approx(1.0, abs=1e-6)
    ids, probs = lm.model.top_k(ctx, 5)
    order = np.lexsort((np.arange(len(dist)), -dist))[:5]
    np.testing.assert_allclose(probs, dist[order], rtol=1e-9)


def test_long_context_beyond_the_order_is_used(pair):
    plain, lm = pair
    prompt = "The lighthouse keeper climbed the spiral stair every evening at dusk and lit the"
    assert lm.context_ids(prompt)[0] == 1 and len(lm.context_ids(prompt)) > lm.order
    # the passage continues with "great": the hybrid is surer of it than the trigram model
    assert lm.predict(prompt, 1)[0].token == "great"
    p_h = {p.token: p.probability for p in lm.predict(prompt, 10)}["great"]
    p_n = {p.token: p.probability for p in plain.predict(prompt, 50)}.get("great", 0)
    assert p_h > p_n


def test_explain_points_into_the_corpus(pair):
    _, lm = pair
    e = lm.explain("climbed the spiral stair every")
    assert e["matched"] == "climbed the spiral stair every" and e["count"] == 1
    assert e["occurrences"][0]["after"].startswith("evening at dusk")


def test_explain_needs_an_index():
    plain = LanguageModel.train(text=FILLER + PASSAGE, order=3, index=False, discount_fallback="ignore")
    with pytest.raises(InputError, match="no corpus index"):
        plain.explain("The boat")


def test_copy_guard_drops_the_unbounded_weight_after_a_long_copied_run(pair):
    _, lm = pair
    model = HybridModel(lm.model.ngram, lm.model.corpus_index, HybridWeights.constant(0.9))
    prompt = lm.context_ids("The lighthouse")
    words = PASSAGE.rstrip(".").split()[2:]
    guarded = model.generation_view(prompt)
    short = prompt + [lm.vocab.id(w) for w in words[:5]]  # 5 generated tokens, copied
    long = prompt + [lm.vocab.id(w) for w in words[:20]]  # 20: past the guard's 16
    ngram_only = lm.model.ngram.distribution
    assert not np.allclose(guarded.distribution(short), ngram_only(short))
    np.testing.assert_allclose(guarded.distribution(long), ngram_only(long))
    assert not np.allclose(model.distribution(long), ngram_only(long))  # scoring: no guard


def test_save_load_and_score(pair, tmp_path):
    _, lm = pair
    lm.save(tmp_path / "h.ntp")
    back = LanguageModel.load(tmp_path / "h.ntp")
    assert back.info()["unbounded"] is True
    a, b = back.predict("The lighthouse keeper", 3), lm.predict("The lighthouse keeper", 3)
    assert [p.token for p in a] == [p.token for p in b]
    assert [p.probability for p in a] == pytest.approx([p.probability for p in b], rel=1e-6)
    assert back.perplexity(PASSAGE) == pytest.approx(lm.perplexity(PASSAGE))
    assert lm.perplexity(PASSAGE) < LanguageModel.train([Text(FILLER + PASSAGE + " " + FILLER)], order=3).perplexity(PASSAGE)


def test_cli_trains_unbounded_and_explains(tmp_path):
    from click.testing import CliRunner

    from next_token.cli import main

    corpus = tmp_path / "c.txt"
    corpus.write_text(FILLER + PASSAGE + " " + FILLER)
    runner = CliRunner()
    res = runner.invoke(main, ["train", str(corpus), "--unbounded", "--order", "3", "-o", str(tmp_path / "m.ntp")])
    assert res.exit_code == 0, res.output
    res = runner.invoke(main, ["predict", "climbed the spiral stair", "--explain", "-m", str(tmp_path / "m.ntp")])
    assert res.exit_code == 0, res.output
    assert 'matched context: "climbed the spiral stair"' in res.output and "[climbed the spiral stair] every" in res.output
    plain = tmp_path / "p.ntp"
    runner.invoke(main, ["train", str(corpus), "--order", "3", "--no-index", "-o", str(plain)])
    res = runner.invoke(main, ["predict", "The boat", "--explain", "-m", str(plain)])
    assert res.exit_code != 0 and "--no-index" in res.output
