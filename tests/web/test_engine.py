"""next-token.js in headless Chromium answers exactly as the Python engine on the same model file:
top-10 (tokens, and probabilities to 1e-6 relative), prefix predictions and the text that accepts
them, the tokenizer and sentence splitter, completions (beam search) and seeded sampling."""

from __future__ import annotations

import random

import numpy as np
import pytest

from next_token.text.vocab import BOS, EOS

TRICKY = [
    "Ünïcödé Ωmega. Ça va? «Oui», dit-il. 3,000.5 x² l’été don't -- — … (a) [b]",
    "He said \"stop.\" Then he left.  Mr. Smith — well.\n\nNew paragraph here",
    "tabs\tand\u00a0no-break\u2009thin\u3000ideographic spaces. É is upper. é is not.",
    "code: f(x) = x**2; a_b_c = 'q' + \"r\"  # comment",
    "emoji 🙂 and 𝐁old math. Ⅻ roman. ① circled. ٣ arabic digit.",
    "a\u0085b\u2028c. D\x1ce",
    "",
    "   ",
]


def held_out_contexts(lm, texts, n, seed=0):
    """n contexts (id lists as the model reads them) cut at random places of held-out sentences."""
    rng = random.Random(seed)
    sentences = [s for _, t in texts for s in lm.tokenizer.sentences(t)]
    rng.shuffle(sentences)
    out = []
    for s in sentences[:n]:
        ids = [BOS] + [lm.vocab.id(t) for t in s]
        out.append(lm.trim(ids[: rng.randrange(1, len(ids) + 1)]))
    return out


def prompts(texts, n, seed=1):
    """Beginnings of held-out lines, as a person would type them."""
    rng = random.Random(seed)
    lines = [line.strip() for _, t in texts for line in t.splitlines() if len(line.split()) > 4]
    rng.shuffle(lines)
    return [" ".join(line.split()[: rng.randrange(2, 7)]) for line in lines[:n]]


@pytest.mark.parametrize("variant", ["f32", "q16", "q8", "pruned"])
def test_top10_equals_python(engine, sites, docs, variant):
    _, lm = sites[1][variant]
    contexts = held_out_contexts(lm, docs[1], 150)
    js = engine(variant).evaluate(
        "cs => cs.map(c => { const r = window.lm.model.topK(c, 10); return [r.ids, r.probs]; })", contexts)
    for ctx, (ids, probs) in zip(contexts, js):
        want_ids, want_probs = lm.model.top_k(ctx, 10)
        assert ids == want_ids.tolist(), ctx
        np.testing.assert_allclose(probs, want_probs, rtol=1e-6, atol=0)


def test_predictions_prefixes_and_accepting_texts_equal_python(engine, sites, docs):
    _, lm = sites[1]["q8"]
    queries = []
    for p in prompts(docs[1], 25):
        words = p.split()
        queries.append([p + " ", 8, None])
        queries.append([p, 5, None])
        if len(words[-1]) > 2:
            stem = " ".join(words[:-1]) + " "
            queries.append([stem, 8, words[-1][:2]])
            queries.append([stem, 8, words[-1][:2].lower()])
    js = engine("q8").evaluate(
        "qs => qs.map(([c, k, prefix]) => window.lm.predict(c, { k, prefix }))", queries)
    for (context, k, prefix), got in zip(queries, js):
        want = lm.predict(context, k=k, prefix=prefix, typos=False)  # the page has no spelling lexicon
        assert [g["token"] for g in got] == [w.token for w in want], (context, prefix)
        np.testing.assert_allclose([g["probability"] for g in got], [w.probability for w in want], rtol=1e-6)
        assert [g["text"] for g in got] == lm.tokenizer.append_texts(context, [w.token for w in want])


def test_tokenizer_sentences_and_context_policy_equal_python(engine, sites, docs):
    _, lm = sites[1]["q8"]
    texts = TRICKY + prompts(docs[1], 20, seed=5) + [t[:400] for _, t in docs[1][:10]]
    contexts = texts + [t + " " for t in texts] + ["The end. ", "It was (", 'He said "']
    js = engine("q8").evaluate(
        """([texts, contexts]) => [texts.map(t => window.lm.tokenizer.sentences(t)),
                                   contexts.map(c => window.lm.contextIds(c)),
                                   contexts.map(c => window.lm.tokenizer.appendTexts(c,
                                       ["the", ",", ".", "(", ")", '"', "'", "</s>", "foo_bar", "3", "x²", "Ωmega"]))]""",
        [texts, contexts])
    assert js[0] == [list(lm.tokenizer.sentences(t)) for t in texts]
    assert js[1] == [lm.context_ids(c) for c in contexts]
    assert js[2] == [lm.tokenizer.append_texts(c, ["the", ",", ".", "(", ")", '"', "'", "</s>", "foo_bar", "3", "x²",
                                                   "Ωmega"]) for c in contexts]


@pytest.mark.parametrize("variant", ["q8", "pruned"])
def test_completions_equal_python(engine, sites, docs, variant):
    _, lm = sites[1][variant]
    # held-out prompts, and prompts with brackets open, closed, or closed without being opened
    ps = prompts(docs[1], 12, seed=2) + ["The value (see", "Return a list [of", "The default (None) is", "It is) the"]
    js = engine(variant).evaluate(
        "ps => ps.map(p => window.lm.completions(p, { k: 5, maxTokens: 12 }).map(c => [c.text, c.probability]))", ps)
    for p, got in zip(ps, js):
        want = lm.completions(p, k=5, max_tokens=12)
        assert [g[0] for g in got] == [w.text for w in want], p
        np.testing.assert_allclose([g[1] for g in got], [w.probability for w in want], rtol=1e-9)


def test_sampling_with_a_seed_equals_python(engine, sites, docs):
    _, lm = sites[1]["q8"]
    cases = [[p, seed, temperature, decoding] for seed, (p, temperature, decoding) in enumerate(
        zip(prompts(docs[1], 12, seed=3), [0.8, 1.0, 0.5, 1.3] * 3, ["seen", "smoothed", "seen"] * 4))]
    js = engine("q8").evaluate(
        "cs => cs.map(([p, seed, temperature, decoding]) => window.lm.generate(p, { maxTokens: 25, temperature, seed, decoding }))",
        cases)
    for (p, seed, temperature, decoding), got in zip(cases, js):
        assert got == lm.generate(p, max_tokens=25, temperature=temperature, seed=seed, decoding=decoding), (p, seed)


def test_token_lists_are_spelled_as_python_spells_them(engine, sites, docs):
    _, lm = sites[1]["q8"]
    assert len(lm.tokenizer.spacing.keys[4]) > 0  # the level that looks at the next token is used
    sentences = [s for _, t in docs[1] for s in lm.tokenizer.sentences(t)][:300]
    sentences += [["Call", "range", "(", ")", "."], ["Pass", "input", "(", "a", "string", ")", "."]]
    ids = [[lm.vocab.id(t) for t in s] + [EOS] for s in sentences]
    js = engine("q8").evaluate("xs => xs.map(ids => window.lm.textOf('', ids))", ids)
    want = [lm._text_of("", i) for i in ids]
    assert js == want

    def blind(i):  # each token spelled without knowing the next
        speller = lm.tokenizer.speller("")
        return "".join(speller.append(lm.vocab.tokens[j]) for j in i if j != EOS)

    assert sum(blind(i) != w for i, w in zip(ids, want)) >= 2  # so the comparison covers looking ahead
