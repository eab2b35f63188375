"""The OpenAI-compatible routes (next_token.server.openai_compat), driven by the real `openai`
client against a uvicorn server on a free loopback port."""

from __future__ import annotations

import math
import warnings

import pytest

from next_token.language_model import LanguageModel
from next_token.server import running_server
from next_token.text.corpus import Text

openai = pytest.importorskip("openai")

CORPUS = """
The cat sat on the mat. The dog sat on the log. The cat saw the dog, and the dog saw the cat.
A small cat is a good pet. A big dog is a good friend. The old man walked his dog in the park.
The young woman read a book in the garden. She read the book slowly, and then she read it again.
In the morning the sun rose over the hills. In the evening the sun set behind the trees.
The children played in the park until the rain came. Then they ran home and ate their dinner.
"""


@pytest.fixture(scope="module")
def lm():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # too little text for Kneser-Ney discounts: fallbacks are fine
        return LanguageModel.train([Text(CORPUS)], order=3)


@pytest.fixture(scope="module")
def server(lm):
    with running_server(lm, model_id="tiny-o3") as url:
        yield url


@pytest.fixture(scope="module")
def client(server):
    with openai.OpenAI(base_url=server + "/v1", api_key="not-needed", max_retries=0, timeout=20) as c:
        yield c


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
    # usage counts the text pieces the model streamed (a sentence end has no piece)
    assert r.usage.completion_tokens == len(list(lm.stream("The cat", max_tokens=8, seed=5, temperature=0.9)))
    assert r.usage.total_tokens == r.usage.prompt_tokens + r.usage.completion_tokens


def test_temperature_zero_is_greedy_and_repeatable(client, lm):
    a = client.completions.create(model="m", prompt="The old man", max_tokens=6, temperature=0)
    b = client.completions.create(model="m", prompt="The old man", max_tokens=6, temperature=0)
    assert a.choices[0].text == b.choices[0].text == lm.generate("The old man", max_tokens=6, temperature=0)


def test_top_p_and_temperature_reach_the_model(client, lm):
    r = client.completions.create(model="m", prompt="The", max_tokens=10, top_p=0.5, temperature=1.3, seed=9)
    assert r.choices[0].text == lm.generate("The", max_tokens=10, top_p=0.5, temperature=1.3, seed=9)


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
    assert chunks[-1].usage.completion_tokens == len(list(lm.stream("The dog", max_tokens=5, seed=1)))


def test_n_choices_differ_and_repeat_with_a_seed(client):
    kwargs = dict(model="m", prompt="The", max_tokens=12, n=4, seed=3)
    a = client.completions.create(**kwargs)
    b = client.completions.create(**kwargs)
    assert [c.index for c in a.choices] == [0, 1, 2, 3]
    assert [c.text for c in a.choices] == [c.text for c in b.choices]
    assert len({c.text for c in a.choices}) > 1


def test_several_prompts(client):
    r = client.completions.create(model="m", prompt=["The cat", "A big dog"], max_tokens=3, n=2, seed=0)
    assert [c.index for c in r.choices] == [0, 1, 2, 3]


def test_stop_ends_the_text_before_the_stop_string(client, lm):
    free = lm.generate("The", max_tokens=30, seed=2)
    words = free.split()
    stop = words[len(words) // 2]  # a word that does occur in the free text
    r = client.completions.create(model="m", prompt="The", max_tokens=30, seed=2, stop=[stop])
    choice = r.choices[0]
    assert choice.finish_reason == "stop"
    assert choice.text == free[: free.find(stop)]
    streamed = "".join(c.choices[0].text for c in client.completions.create(
        model="m", prompt="The", max_tokens=30, seed=2, stop=stop, stream=True) if c.choices)
    assert streamed == choice.text


def test_logprobs_are_the_models(client, lm):
    r = client.completions.create(model="m", prompt="The cat", max_tokens=6, seed=4, logprobs=3)
    choice = r.choices[0]
    lp = choice.logprobs
    assert "".join(lp.tokens) == choice.text
    assert len(lp.tokens) == len(lp.token_logprobs) == len(lp.top_logprobs) == len(lp.text_offset)
    assert lp.text_offset == [sum(len(t) for t in lp.tokens[:i]) for i in range(len(lp.tokens))]
    for i, (token, logprob, top) in enumerate(zip(lp.tokens, lp.token_logprobs, lp.top_logprobs)):
        assert logprob is not None and logprob <= 0
        assert 1 <= len(top) <= 3
        assert list(top.values()) == sorted(top.values(), reverse=True)
        # the alternatives are the model's own top-3, in natural log
        context = "The cat" + "".join(lp.tokens[:i])
        expected = lm.predict(context, k=3)
        assert list(top.values()) == pytest.approx([math.log(p.probability) for p in expected])
        if token in top:  # the token's own logprob agrees with the alternatives list
            assert logprob == pytest.approx(top[token], rel=1e-6)


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
    expected = [v * math.log(10) for _, v in score.token_logprobs[1:-1]]
    assert lp.token_logprobs[1:] == pytest.approx(expected)


@pytest.mark.parametrize("kwargs,param", [
    (dict(max_tokens=100_000), "max_tokens"),
    (dict(n=1000), "n"),
    (dict(logprobs=50), "logprobs"),
    (dict(prompt=[1, 2, 3]), "prompt"),
    (dict(suffix="tail"), "suffix"),
    (dict(temperature=5), "temperature"),
    (dict(stop=["a", "b", "c", "d", "e"]), "stop"),
    (dict(max_tokens=0), "max_tokens"),
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
