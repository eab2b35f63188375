"""The LanguageModel facade: training, predictions, decoding, scoring, files."""

import pytest

from next_token.errors import CorpusError, InputError, ModelFileError
from next_token.language_model import LanguageModel
from next_token.text.corpus import Text
from shared_data import BOOKS_DIR, need_shared

STORY = (
    "The sun rose over the quiet sea. The sun was warm on the old stones. "
    "A boat sailed out of the harbour. The boat was small and the sea was calm. "
    "The old man watched the boat from the shore. He smiled, and the sun rose higher. "
) * 3


@pytest.fixture(scope="module")
def lm():
    return LanguageModel.train(text=STORY, order=3)


def test_predictions_are_ranked_probabilities(lm):
    preds = lm.predict("The sun", k=5)
    assert preds[0].token in {"rose", "was"}
    assert all(a.probability >= b.probability for a, b in zip(preds, preds[1:]))
    assert 0 < sum(p.probability for p in preds) <= 1


def test_context_matches_anywhere_not_only_at_sentence_start(lm):
    assert lm.predict("watched the", k=1)[0].token == "boat"


def test_complete_reads_naturally_and_ends_the_sentence(lm):
    text = lm.complete("The old man")
    assert text.startswith(" watched the boat")
    assert text.endswith(".") and " ." not in text and " ," not in text


def test_completions_are_distinct_alternatives(lm):
    alts = lm.completions("The boat", k=3)
    assert 1 <= len(alts) <= 3
    assert len({a.text for a in alts}) == len(alts)
    assert all(0 < a.probability <= 1 for a in alts)


def test_generation_is_reproducible_with_a_seed_and_streams_the_same_text(lm):
    a = lm.generate("The", max_tokens=20, seed=7, temperature=0.9)
    b = lm.generate("The", max_tokens=20, seed=7, temperature=0.9)
    assert a == b and a
    assert "".join(lm.stream("The", max_tokens=20, seed=7, temperature=0.9)) == a
    assert lm.generate("The", max_tokens=20, seed=7, temperature=0.9, stop=["sea"]).find("sea") == -1


def test_no_repeat_guard_stops_greedy_loops(lm):
    out = lm.predict_sequence("the sea", 30).tokens
    trigrams = [tuple(out[i : i + 3]) for i in range(len(out) - 2)]
    assert len(trigrams) == len(set(trigrams))


def test_score_counts_end_of_sentence_and_oov(lm):
    s = lm.score("The sun rose over the purple sea.")
    assert s.tokens == 9 and s.oov == 1
    assert s.perplexity > s.perplexity_excl_oov > 1
    assert s.token_logprobs[-1][0] == "</s>"


def test_save_and_load_give_the_same_answers(lm, tmp_path):
    lm.save(tmp_path / "m.ntp")
    back = LanguageModel.load(tmp_path / "m.ntp")
    assert back.predict("The sun", 5) == lm.predict("The sun", 5)
    assert back.complete("The old man") == lm.complete("The old man")


def test_bad_input_raises_typed_errors(lm, tmp_path):
    with pytest.raises(InputError):
        lm.predict("The", k=0)
    with pytest.raises(InputError):
        lm.complete("   ")
    with pytest.raises(InputError):
        lm.generate("x", temperature=-1)
    with pytest.raises(CorpusError):
        LanguageModel.train(text="   \n  ")
    with pytest.raises(ModelFileError):
        LanguageModel.load(tmp_path / "nothing.ntp")


def test_char_and_bpe_models_predict_their_own_units():
    chars = LanguageModel.train([Text(STORY)], order=5, tokenizer="char")
    assert chars.predict("The su", 1)[0].token == "n"
    bpe = LanguageModel.train([Text(STORY)], order=4, tokenizer="bpe", bpe_vocab_size=120)
    assert bpe.complete("The old").strip()


def test_books_model_answers_the_original_demo_prompts():
    need_shared(BOOKS_DIR)
    lm = LanguageModel.train([BOOKS_DIR], order=4)
    assert lm.predict("what", 1)[0].probability > 0
    assert lm.predict_sequence("what is", 5).text
    assert lm.complete("hopefully")
    assert lm.completions("The sun", 3)


def test_loaded_vocabulary_finds_tokens_without_decoding_everything(lm, tmp_path):
    lm.save(tmp_path / "m.ntp")
    back = LanguageModel.load(tmp_path / "m.ntp")
    assert back.vocab._index is None  # nothing decoded at load time
    for tok in ["The", "sun", "harbour", ".", "<s>", "</s>"]:
        assert back.vocab.id(tok) == lm.vocab.id(tok)
    assert back.vocab.id("zebra") == 0
    assert back.vocab.tokens[lm.vocab.id("boat")] == "boat"
    assert sorted(back.vocab.tokens[i] for i in back.vocab.with_prefix("s")) == sorted(
        t for t in lm.vocab.tokens if t.startswith("s"))
    assert [p.token for p in back.predict("The old man watched the", 3, prefix="b")] == ["boat"]


def test_nucleus_sampling_only_draws_from_the_nucleus(lm):
    ctx = lm.context_ids("The")
    probs = lm.model.distribution(ctx)
    order = [int(i) for i in probs.argsort()[::-1] if i != 0]
    cum, nucleus = 0.0, set()
    for i in order:
        nucleus.add(lm.vocab.tokens[i])
        cum += probs[i] / (1 - probs[0])
        if cum >= 0.5:
            break
    drawn = {lm.generate("The", max_tokens=1, top_p=0.5, seed=s, decoding="smoothed").strip() for s in range(60)}
    assert drawn <= nucleus and len(drawn) >= 1


def test_bad_seed_is_an_input_error(lm):
    with pytest.raises(InputError):
        lm.generate("The", seed=-1)


def test_a_stop_string_split_across_pieces_is_never_streamed(lm):
    full = lm.generate("The", max_tokens=25, seed=3, temperature=0.9)
    words = full.split()
    stop = " ".join(words[2:4])  # spans two pieces
    pieces = list(lm.stream("The", max_tokens=25, seed=3, temperature=0.9, stop=[stop]))
    streamed = "".join(pieces)
    assert stop not in streamed
    assert full.startswith(streamed) and full.find(stop) == len(streamed)


def test_a_finished_sentence_followed_by_a_space_starts_a_new_one(lm):
    assert lm.context_ids("The boat was small. ") == [1]
    assert lm.context_ids("The boat was small.")[-1] == lm.vocab.id(".")
    assert lm.predict("The sea was calm. ", 1)[0].token in {"The", "A", "He"}


def test_a_short_context_keeps_its_sentence_start():
    """The context window trims from the left only when the context is longer than it."""
    lm = LanguageModel.train(text="The cat sat on the mat. The dog sat on the log.", order=5,
                             discount_fallback="ignore")
    assert lm.context_ids("The") == [1, lm.vocab.id("The")]
    assert lm.context_ids("the cat sat on the") == [lm.vocab.id(t) for t in "cat sat on the".split()]
    assert lm.trim([1, 2, 3]) == [1, 2, 3] and lm.trim([1, 5, 6, 7, 8, 9]) == [6, 7, 8, 9]


def test_steps_carry_the_text_the_token_its_probability_and_why_it_ended(lm):
    steps = list(lm.steps("The", max_tokens=15, seed=4, alternatives=3))
    assert steps[-1].token is None and steps[-1].finish_reason == "length"
    assert "".join(s.text for s in steps) == lm.generate("The", max_tokens=15, seed=4)
    ctx = lm.context_ids("The")
    for s in steps[:-1]:
        tid = lm.vocab.id(s.token)
        assert s.probability == pytest.approx(float(lm.model.probabilities(ctx, [tid])[0]))
        assert [p for _, p in s.alternatives] == sorted((p for _, p in s.alternatives), reverse=True)
        ctx = [1] if s.token == "</s>" else lm.trim(ctx + [tid])
        assert s.text == "" or s.token != "</s>"
    stopped = list(lm.steps("The", max_tokens=30, seed=4, stop=["sun"]))
    assert stopped[-1].finish_reason in {"stop", "length"} and "sun" not in "".join(s.text for s in stopped)


def test_seen_sampling_writes_only_what_the_corpus_showed(lm):
    """Every pair of tokens written (a new sentence after each </s>) occurs in the corpus."""
    corpus_ids = lm.vocab.encode_sentences(list(lm.tokenizer.sentences(STORY))).tolist()
    bigrams = set(zip(corpus_ids, corpus_ids[1:]))
    for seed in range(20):
        ids = [1]
        for s in lm.steps("", max_tokens=40, seed=seed):
            if s.token:
                ids += [lm.vocab.id(s.token)] + ([1] if s.token == "</s>" else [])
        assert {(a, b) for a, b in zip(ids, ids[1:]) if a != 2} <= bigrams, seed


def test_smoothed_sampling_can_write_what_the_corpus_never_showed(lm):
    corpus_ids = lm.vocab.encode_sentences(list(lm.tokenizer.sentences(STORY))).tolist()
    bigrams = set(zip(corpus_ids, corpus_ids[1:]))
    unseen = 0
    for seed in range(20):
        ids = [1] + [lm.vocab.id(s.token) for s in lm.steps("", max_tokens=40, seed=seed, decoding="smoothed")
                     if s.token]
        unseen += sum((a, b) not in bigrams for a, b in zip(ids, ids[1:]) if a != 2)
    assert unseen > 0


def test_completions_end_sentences_best_first(lm):
    for prompt in ("The boat", "The old", "He smiled,"):
        alts = lm.completions(prompt, k=4)
        assert alts[0].text == lm.complete(prompt)
        assert [a.score for a in alts] == sorted((a.score for a in alts), reverse=True)
        assert all(lm.tokenizer.ends_sentence(lm.tokenizer.tokenize(a.text)) for a in alts)


def test_prefixes_use_smart_case():
    lm = LanguageModel.train(text="Christine sang. The chorus sang. Christine smiled at the chorus.", order=2,
                             discount_fallback="ignore")
    assert {p.token for p in lm.predict("", 5, prefix="chri", typos=False)} == {"Christine"}
    assert {p.token for p in lm.predict("", 5, prefix="ch", typos=False)} == {"Christine", "chorus"}
    assert {p.token for p in lm.predict("", 5, prefix="Ch", typos=False)} == {"Christine"}


def test_prefixes_tolerate_typos_after_the_exact_matches():
    lm = LanguageModel.train(text="Christine sang. The chorus sang. Christine smiled at the chorus.", order=2,
                             discount_fallback="ignore")
    found = lm.predict("", 5, prefix="Chirs")
    assert found and found[0].token == "Christine" and found[0].distance == 1  # a swap is one edit
    exact = lm.predict("", 5, prefix="cho")
    assert exact[0].token == "chorus" and exact[0].distance == 0
    assert all(p.distance > 0 for p in exact[1:])  # fills come after every exact match
    assert lm.predict("", 5, prefix="Chirs", typos=False) == []


def test_bad_decoding_is_an_input_error(lm):
    with pytest.raises(InputError, match="decoding"):
        lm.generate("The", decoding="greedy")
