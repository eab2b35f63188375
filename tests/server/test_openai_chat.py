"""OpenAI's chat completions API (next_token.server.openai_chat), driven by the real `openai`
client's `chat.completions.create` against a uvicorn server (fixtures in conftest.py)."""

from __future__ import annotations

import math

import pytest

from next_token.server.schemas import Limits

openai = pytest.importorskip("openai")

# The template (chat_template.py): user and assistant texts as paragraphs, the reply next.
CHAT = [{"role": "user", "content": "Hello."}, {"role": "assistant", "content": "Hi."},
        {"role": "user", "content": "The old man"}]
PROMPT = "Hello.\n\nHi.\n\nThe old man\n\n"


@pytest.fixture(scope="module")
def lm(tiny_lm):
    return tiny_lm


@pytest.fixture(scope="module")
def client(openai_client):
    return openai_client


def reply(lm, prompt, **kwargs) -> tuple[str, str]:
    """What the model writes as a chat reply (one sentence), and why it ended."""
    steps = list(lm.steps(prompt, stop_at_sentence_end=True, **kwargs))
    return "".join(s.text for s in steps), steps[-1].finish_reason


def ask(client, messages=CHAT, **kwargs):
    return client.chat.completions.create(model="anything", messages=messages, **kwargs)


def streamed(client, messages=CHAT, **kwargs) -> list:
    return list(client.chat.completions.create(model="anything", messages=messages, stream=True, **kwargs))


def test_reply_is_the_models_generation_after_the_template(client, lm):
    r = ask(client, max_tokens=8, seed=5, temperature=0.9)
    assert r.object == "chat.completion" and r.model == "tiny-o3" and r.id.startswith("chatcmpl-")
    (choice,) = r.choices
    assert choice.message.role == "assistant"
    assert (choice.message.content, choice.finish_reason) == reply(lm, PROMPT, max_tokens=8, seed=5, temperature=0.9)
    assert choice.logprobs is None


def test_an_unfinished_last_message_is_continued(client, lm):
    """The one way a chat steers an n-gram: the reply completes the sentence the user began."""
    r = ask(client, max_tokens=6, temperature=0)
    assert r.choices[0].message.content == lm.generate("The old man", max_tokens=6, temperature=0).lstrip()
    assert r.choices[0].message.content.startswith("walked")  # "The old man walked his dog" in the corpus


def test_a_finished_last_message_gets_a_new_sentence(client, lm):
    r = ask(client, [{"role": "user", "content": "Where is the dog?"}], max_tokens=6, seed=3)
    assert r.choices[0].message.content == lm.generate("", max_tokens=6, seed=3)  # a sentence start
    assert r.choices[0].message.content[0].isupper()


def test_system_messages_are_left_out(client):
    system = {"role": "system", "content": "You are a helpful assistant"}
    developer = {"role": "developer", "content": "Answer briefly"}
    plain = ask(client, max_tokens=10, seed=8).choices[0].message.content
    assert ask(client, [system, *CHAT], max_tokens=10, seed=8).choices[0].message.content == plain
    # last, where it would matter most: kept, the reply would continue the instruction
    assert ask(client, [*CHAT, developer], max_tokens=10, seed=8).choices[0].message.content == plain
    assert ask(client, [*CHAT, system], max_tokens=10, seed=8).choices[0].message.content == plain


def test_content_may_be_a_list_of_text_parts(client):
    parts = [*CHAT[:2], {"role": "user", "content": [{"type": "text", "text": "The old"},
                                                     {"type": "text", "text": " man"}]}]
    assert (ask(client, parts, max_tokens=7, seed=2).choices[0].message.content
            == ask(client, max_tokens=7, seed=2).choices[0].message.content)


def test_usage_counts_prompt_and_reply_tokens(client):
    r = ask(client, max_tokens=9, seed=1, max_completion_tokens=None)
    # "Hello . Hi . The old man": the prompt's tokens as the tokenizer cuts them
    assert r.usage.prompt_tokens == 7
    assert r.usage.completion_tokens == 9  # every generated token, sentence ends included
    assert r.usage.total_tokens == 16


def test_max_completion_tokens_is_the_budget(client, lm):
    r = ask(client, max_completion_tokens=4, seed=6)
    assert r.usage.completion_tokens == 4
    assert r.choices[0].message.content == lm.generate(PROMPT, max_tokens=4, seed=6)


def test_seed_repeats_and_n_choices_differ(client, lm):
    a = ask(client, max_tokens=12, n=4, seed=3)
    b = ask(client, max_tokens=12, n=4, seed=3)
    assert [c.index for c in a.choices] == [0, 1, 2, 3]
    assert [c.message.content for c in a.choices] == [c.message.content for c in b.choices]
    assert len({c.message.content for c in a.choices}) > 1
    # choice i uses seed + i
    assert a.choices[2].message.content == reply(lm, PROMPT, max_tokens=12, seed=5)[0]
    assert a.usage.completion_tokens <= 4 * 12


def test_temperature_zero_is_greedy(client, lm):
    r = ask(client, max_tokens=6, temperature=0, n=2)
    assert r.choices[0].message.content == r.choices[1].message.content == lm.generate(PROMPT, max_tokens=6,
                                                                                       temperature=0)


def test_top_p_reaches_the_model(client, lm):
    r = ask(client, max_tokens=10, top_p=0.5, temperature=1.3, seed=9)
    assert r.choices[0].message.content == lm.generate(PROMPT, max_tokens=10, top_p=0.5, temperature=1.3, seed=9)


def test_stop_ends_the_reply_before_the_stop_string(client, lm):
    free = lm.generate(PROMPT, max_tokens=30, seed=2)
    stop = free.split()[len(free.split()) // 2]
    r = ask(client, max_tokens=30, seed=2, stop=stop)
    assert r.choices[0].finish_reason == "stop"
    assert r.choices[0].message.content == free[: free.find(stop)]
    chunks = streamed(client, max_tokens=30, seed=2, stop=[stop])
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == r.choices[0].message.content
    assert chunks[-1].choices[0].finish_reason == "stop"


def test_logprobs_are_the_models_exact_probabilities(client, lm, exact, token_of):
    r = ask(client, max_tokens=12, seed=4, logprobs=True, top_logprobs=3)
    choice = r.choices[0]
    content = choice.logprobs.content
    assert len(content) == 12
    assert "".join(t.token for t in content) == choice.message.content
    tokens = [token_of(t.token) for t in content]
    assert "</s>" in tokens, "the case should cross a sentence end"
    sentence = ["The", "old", "man"]  # the context: the last message's unfinished sentence
    for token, entry in zip(tokens, content):
        p = exact(sentence)
        assert entry.logprob == pytest.approx(math.log(p[token]), rel=1e-9)
        assert entry.bytes == list(entry.token.encode("utf-8"))
        best = sorted(p.items(), key=lambda kv: -kv[1])[:3]
        assert [token_of(a.token) for a in entry.top_logprobs] == [t for t, _ in best]
        assert [a.logprob for a in entry.top_logprobs] == pytest.approx([math.log(q) for _, q in best], rel=1e-9)
        assert all(a.bytes == list(a.token.encode("utf-8")) for a in entry.top_logprobs)
        sentence = [] if token == "</s>" else sentence + [token]


def test_logprobs_without_alternatives(client):
    content = ask(client, max_tokens=5, seed=4, logprobs=True).choices[0].logprobs.content
    assert len(content) == 5 and all(t.top_logprobs == [] for t in content)
    assert all(t.logprob <= 0 for t in content)


def test_stream_sends_the_same_reply_in_chunks(client):
    whole = ask(client, max_tokens=10, seed=11)
    chunks = streamed(client, max_tokens=10, seed=11)
    assert all(c.object == "chat.completion.chunk" and c.id == chunks[0].id for c in chunks)
    assert chunks[0].choices[0].delta.role == "assistant"
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == whole.choices[0].message.content
    assert [c.choices[0].finish_reason for c in chunks] == [None] * (len(chunks) - 1) + [whole.choices[0].finish_reason]
    assert len(chunks) > 3  # piece by piece, not one lump


def test_stream_with_n_choices_gives_each_choice(client):
    whole = ask(client, max_tokens=8, seed=21, n=3)
    chunks = streamed(client, max_tokens=8, seed=21, n=3)
    texts = {0: "", 1: "", 2: ""}
    finished = {}
    for c in chunks:
        (choice,) = c.choices
        texts[choice.index] += choice.delta.content or ""
        if choice.finish_reason:
            finished[choice.index] = choice.finish_reason
    assert [texts[i] for i in range(3)] == [c.message.content for c in whole.choices]
    assert finished == {c.index: c.finish_reason for c in whole.choices}


def test_stream_is_repeatable_with_a_seed(client):
    def text():
        return "".join(c.choices[0].delta.content or "" for c in streamed(client, max_tokens=15, seed=77))

    assert text() == text()


def test_streamed_logprobs_are_the_same(client):
    whole = ask(client, max_tokens=10, seed=7, logprobs=True, top_logprobs=2).choices[0].logprobs.content
    chunks = streamed(client, max_tokens=10, seed=7, logprobs=True, top_logprobs=2)
    content = [t for c in chunks if c.choices and c.choices[0].logprobs for t in c.choices[0].logprobs.content]
    assert [(t.token, t.logprob, [a.token for a in t.top_logprobs]) for t in content] == \
        [(t.token, t.logprob, [a.token for a in t.top_logprobs]) for t in whole]


def test_stream_usage_when_asked(client):
    whole = ask(client, max_tokens=6, seed=1, n=2)
    chunks = streamed(client, max_tokens=6, seed=1, n=2, stream_options={"include_usage": True})
    assert chunks[-1].choices == []
    assert chunks[-1].usage.model_dump() == whole.usage.model_dump()
    assert all(c.usage is None for c in chunks[:-1])
    assert streamed(client, max_tokens=2)[-1].usage is None  # not asked, not sent


def test_harmless_fields_are_ignored(client):
    r = ask(client, max_tokens=3, presence_penalty=0.5, frequency_penalty=0.5, user="u1", store=False,
            metadata={"k": "v"}, parallel_tool_calls=False, tool_choice="none", response_format={"type": "text"})
    assert r.choices[0].message.content


def test_an_empty_chat_is_refused(client):
    with pytest.raises(openai.BadRequestError, match="messages"):
        ask(client, [])


@pytest.mark.parametrize("kwargs,mentions", [
    (dict(tools=[{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]), "tools"),
    (dict(tool_choice="required"), "tool_choice"),
    (dict(response_format={"type": "json_object"}), "response_format"),
    (dict(logit_bias={"1": 5}), "logit_bias"),
    (dict(modalities=["text", "audio"], audio={"voice": "alloy", "format": "wav"}), "audio"),
    (dict(max_tokens=Limits().max_tokens + 1), "max_tokens"),
    (dict(max_completion_tokens=Limits().max_tokens + 1), "max_completion_tokens"),
    (dict(n=Limits().max_n + 1), "n"),
    (dict(logprobs=True, top_logprobs=Limits().max_logprobs + 1), "top_logprobs"),
    (dict(top_logprobs=2), "logprobs"),
    (dict(stop=["a", "b", "c", "d", "e"]), "stop"),
    (dict(temperature=3), "temperature"),
    (dict(messages=[{"role": "tool", "content": "42", "tool_call_id": "x"}]), "tools"),
    (dict(messages=[{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "http://x"}}]}]),
     "text only"),
    (dict(messages=[{"role": "user", "content": "x" * (Limits().max_prompt_chars + 1)}]), "messages"),
])
def test_what_it_cannot_do_is_a_bad_request(client, kwargs, mentions):
    args = dict(model="m", messages=CHAT, max_tokens=5) | kwargs
    with pytest.raises(openai.BadRequestError) as err:
        client.chat.completions.create(**args)
    assert mentions in str(err.value)
    assert err.value.status_code == 400
    assert err.value.body["message"]  # OpenAI's error shape: {"error": {message, type, param, code}}
    assert err.value.body["type"] == "invalid_request_error"


def test_a_refused_stream_is_a_400_before_any_chunk(client):
    with pytest.raises(openai.BadRequestError, match="top_k"):
        streamed(client, max_tokens=5, extra_body={"top_k": 10**9})  # refused by the model when it starts


def test_a_reply_ends_at_the_end_of_a_sentence(client, lm):
    r = ask(client, [{"role": "user", "content": "Where is the dog?"}], seed=3)
    (choice,) = r.choices
    assert choice.finish_reason == "stop" and choice.message.content.rstrip()[-1] in ".!?"
    assert (choice.message.content, "stop") == reply(lm, "Where is the dog?\n\n", max_tokens=100, seed=3)
