"""OpenAI's completions API (next_token.server.openai_completions, openai_models), driven by the
real `openai` client against a uvicorn server on a free loopback port (fixtures in conftest.py)."""

from __future__ import annotations

import math

import pytest

openai = pytest.importorskip("openai")

LN10 = math.log(10)


@pytest.fixture(scope="module")
def lm(tiny_lm):
    return tiny_lm


@pytest.fixture(scope="module")
def client(openai_client):
    return openai_client


def generated_tokens(lm, prompt, **kwargs) -> list[str]:
    """The tokens the model generates for these arguments (sentence ends included)."""
    return [s.token for s in lm.steps(prompt, **kwargs) if s.token is not None]


def test_models_lists_the_served_model(client):
    models = client.models.list()
    assert [m.id for m in models.data] == ["tiny-o3"]
    assert client.models.retrieve("tiny-o3").id == "tiny-o3"
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("gpt-4")


def test_completion_is_the_models_generation(client, lm):
    r = client.completions.create(model="anything", prompt="The cat", max_tokens=8, seed=5, temperature=0.9)
    assert r.object == "text_completion" and r.model == "tiny-o3"
    (choice,) = r.choices
    assert choice.text == lm.generate("The cat", max_tokens=8, seed=5, temperature=0.9)
    assert choice.finish_reason == "length"
    # usage counts every token the model generated, sentence ends included: the whole budget
    assert r.usage.completion_tokens == 8 == len(generated_tokens(lm, "The cat", max_tokens=8, seed=5,
                                                                  temperature=0.9))
    assert r.usage.prompt_tokens == 2
    assert r.usage.total_tokens == r.usage.prompt_tokens + r.usage.completion_tokens


def test_temperature_zero_is_greedy_and_repeatable(client, lm):
    a = client.completions.create(model="m", prompt="The old man", max_tokens=6, temperature=0)
    b = client.completions.create(model="m", prompt="The old man", max_tokens=6, temperature=0)
    assert a.choices[0].text == b.choices[0].text == lm.generate("The old man", max_tokens=6, temperature=0)


def test_top_p_and_temperature_reach_the_model(client, lm):
    r = client.completions.create(model="m", prompt="The", max_tokens=10, top_p=0.5, temperature=1.3, seed=9)
    assert r.choices[0].text == lm.generate("The", max_tokens=10, top_p=0.5, temperature=1.3, seed=9)


def test_extensions_reach_the_model(client, lm):
    """decoding, min_p and top_k (vLLM's names), sent as the openai client sends extras."""
    extra = {"decoding": "smoothed", "min_p": 0.05, "top_k": 20}
    r = client.completions.create(model="m", prompt="The", max_tokens=12, seed=4, extra_body=extra)
    assert r.choices[0].text == lm.generate("The", max_tokens=12, seed=4, decoding="smoothed", min_p=0.05, top_k=20)
    assert r.choices[0].text != lm.generate("The", max_tokens=12, seed=4)  # the default policy writes otherwise
    with pytest.raises(openai.BadRequestError, match="decoding"):
        client.completions.create(model="m", prompt="The", max_tokens=3, extra_body={"decoding": "beam"})


def test_stream_joins_to_the_same_text(client):
    kwargs = dict(model="m", prompt="The dog", max_tokens=10, seed=11)
    whole = client.completions.create(**kwargs).choices[0].text
    chunks = list(client.completions.create(**kwargs, stream=True))
    assert "".join(c.choices[0].text for c in chunks if c.choices) == whole
    assert chunks[-1].choices[0].finish_reason == "length"
    assert all(c.choices[0].finish_reason is None for c in chunks[:-1])


def test_stream_usage_when_asked(client, lm):
    chunks = list(client.completions.create(model="m", prompt="The dog", max_tokens=5, seed=1, stream=True,
                                            stream_options={"include_usage": True}))
    assert chunks[-1].choices == []
    assert chunks[-1].usage.completion_tokens == len(generated_tokens(lm, "The dog", max_tokens=5, seed=1)) == 5
    assert chunks[-1].usage.prompt_tokens == 2


def test_n_choices_differ_and_repeat_with_a_seed(client):
    kwargs = dict(model="m", prompt="The", max_tokens=12, n=4, seed=3)
    a = client.completions.create(**kwargs)
    b = client.completions.create(**kwargs)
    assert [c.index for c in a.choices] == [0, 1, 2, 3]
    assert [c.text for c in a.choices] == [c.text for c in b.choices]
    assert len({c.text for c in a.choices}) > 1


def test_several_prompts(client, lm):
    r = client.completions.create(model="m", prompt=["The cat", "A big dog"], max_tokens=3, n=2, seed=0)
    assert [c.index for c in r.choices] == [0, 1, 2, 3]
    # choice i uses seed + i, whichever prompt it belongs to
    assert r.choices[3].text == lm.generate("A big dog", max_tokens=3, seed=3)


def test_stop_ends_the_text_before_the_stop_string(client, lm):
    free = lm.generate("The", max_tokens=30, seed=2)
    words = free.split()
    stop = words[len(words) // 2]  # a word that does occur in the free text
    r = client.completions.create(model="m", prompt="The", max_tokens=30, seed=2, stop=[stop])
    choice = r.choices[0]
    assert choice.finish_reason == "stop"
    assert choice.text == free[: free.find(stop)] == lm.generate("The", max_tokens=30, seed=2, stop=[stop])
    streamed = list(client.completions.create(model="m", prompt="The", max_tokens=30, seed=2, stop=stop, stream=True))
    assert "".join(c.choices[0].text for c in streamed if c.choices) == choice.text
    assert streamed[-1].choices[0].finish_reason == "stop"


def test_logprobs_are_the_models_probabilities_of_the_generated_tokens(client, lm, exact, token_of):
    r = client.completions.create(model="m", prompt="The cat", max_tokens=12, seed=4, logprobs=3)
    choice = r.choices[0]
    lp = choice.logprobs
    assert "".join(lp.tokens) == choice.text
    assert len(lp.tokens) == len(lp.token_logprobs) == len(lp.top_logprobs) == len(lp.text_offset) == 12
    assert lp.text_offset == [sum(len(t) for t in lp.tokens[:i]) for i in range(len(lp.tokens))]
    tokens = [token_of(t) for t in lp.tokens]
    assert tokens == generated_tokens(lm, "The cat", max_tokens=12, seed=4)
    assert "</s>" in tokens, "the case should cross a sentence end"
    sentence = ["The", "cat"]
    for token, logprob, top in zip(tokens, lp.token_logprobs, lp.top_logprobs):
        p = exact(sentence)
        assert logprob == pytest.approx(math.log(p[token]), rel=1e-9)
        # the alternatives are the model's exact top-3 at that point, in natural log
        best = sorted(p.values(), reverse=True)[:3]
        assert list(top.values()) == pytest.approx([math.log(q) for q in best], rel=1e-9)
        assert [token_of(t) for t in top] == [t for t, _ in sorted(p.items(), key=lambda kv: -kv[1])[:3]]
        sentence = [] if token == "</s>" else sentence + [token]


def test_logprobs_agree_with_the_models_score(client, lm, token_of):
    """Scoring prompt + text (KenLM's way) gives the same numbers: nothing was re-estimated."""
    r = client.completions.create(model="m", prompt="The cat", max_tokens=12, seed=2, logprobs=0)
    lp = r.choices[0].logprobs
    scored = lm.score("The cat" + r.choices[0].text).token_logprobs[2:][: len(lp.tokens)]
    assert [token_of(t) for t in lp.tokens] == [t for t, _ in scored]
    assert lp.token_logprobs == pytest.approx([v * LN10 for _, v in scored], rel=1e-6)
    assert lp.top_logprobs == [{}] * len(lp.tokens)  # logprobs=0: the tokens' own only


def test_logprobs_with_a_stop_string_join_to_the_cut_text(client, lm):
    free = lm.generate("The", max_tokens=30, seed=2)
    stop = free.split()[len(free.split()) // 2]
    r = client.completions.create(model="m", prompt="The", max_tokens=30, seed=2, stop=[stop], logprobs=2)
    lp = r.choices[0].logprobs
    assert "".join(lp.tokens) == r.choices[0].text == free[: free.find(stop)]
    full = client.completions.create(model="m", prompt="The", max_tokens=30, seed=2, logprobs=2).choices[0].logprobs
    assert lp.token_logprobs == full.token_logprobs[: len(lp.tokens)]


def test_streamed_logprobs_are_the_same(client):
    kwargs = dict(model="m", prompt="The dog", max_tokens=10, seed=7, logprobs=2)
    whole = client.completions.create(**kwargs).choices[0].logprobs
    chunks = [c.choices[0] for c in client.completions.create(**kwargs, stream=True) if c.choices]
    streamed = [(t, lp) for c in chunks if c.logprobs for t, lp in zip(c.logprobs.tokens, c.logprobs.token_logprobs)]
    assert streamed == list(zip(whole.tokens, whole.token_logprobs))
    assert "".join(c.text for c in chunks) == "".join(whole.tokens)


def test_echo_with_zero_tokens_scores_the_prompt(client, lm):
    prompt = "The cat sat on the mat"
    r = client.completions.create(model="m", prompt=prompt, max_tokens=0, echo=True, logprobs=1)
    choice = r.choices[0]
    assert choice.text == prompt
    lp = choice.logprobs
    assert "".join(lp.tokens) == prompt
    assert lp.token_logprobs[0] is None
    score = lm.score(prompt)
    # every token after the first, in natural log; the score's last entry is the sentence end
    expected = [v * LN10 for _, v in score.token_logprobs[1:-1]]
    assert lp.token_logprobs[1:] == pytest.approx(expected)


def test_echo_puts_the_prompt_before_the_generated_text(client, lm):
    r = client.completions.create(model="m", prompt="The old man", max_tokens=5, seed=1, echo=True, logprobs=1)
    choice = r.choices[0]
    assert choice.text == "The old man" + lm.generate("The old man", max_tokens=5, seed=1)
    assert "".join(choice.logprobs.tokens) == choice.text
    assert choice.logprobs.text_offset[3] == len("The old man")  # the first generated token


@pytest.mark.parametrize("kwargs,param", [
    (dict(max_tokens=100_000), "max_tokens"),
    (dict(n=1000), "n"),
    (dict(logprobs=50), "logprobs"),
    (dict(prompt=[1, 2, 3]), "prompt"),
    (dict(suffix="tail"), "suffix"),
    (dict(temperature=5), "temperature"),
    (dict(stop=["a", "b", "c", "d", "e"]), "stop"),
    (dict(max_tokens=0), "max_tokens"),
    (dict(logit_bias={"50256": -100}), "logit_bias"),
])
def test_bad_arguments_raise_bad_request(client, kwargs, param):
    args = dict(model="m", prompt="The cat", max_tokens=5) | kwargs
    with pytest.raises(openai.BadRequestError) as err:
        client.completions.create(**args)
    assert param in str(err.value)


def test_server_keeps_serving_after_errors(client):
    for _ in range(3):
        with pytest.raises(openai.BadRequestError):
            client.completions.create(model="m", prompt="x", max_tokens=10**9)
    assert client.completions.create(model="m", prompt="The", max_tokens=2).choices[0].text
