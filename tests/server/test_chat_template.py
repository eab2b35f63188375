"""The chat template (next_token.server.chat_template): the exact prompt a chat becomes."""

from __future__ import annotations

import pytest

from next_token.server.chat_template import chat_prompt
from next_token.server.http_errors import ApiError


def test_user_and_assistant_texts_become_paragraphs_and_the_reply_the_next_one():
    messages = [{"role": "system", "content": "You are a helpful assistant."},
                {"role": "user", "content": "  The sea was calm.  "},
                {"role": "assistant", "content": [{"type": "text", "text": "The sun "}, {"type": "text", "text": "rose."}]},
                {"role": "developer", "content": "Be brief."},
                {"role": "assistant", "content": None},
                {"role": "user", "content": "The old man"}]
    assert chat_prompt(messages) == "The sea was calm.\n\nThe sun rose.\n\nThe old man\n\n"


def test_a_chat_of_instructions_only_is_an_empty_prompt():
    assert chat_prompt([{"role": "system", "content": "You are a helpful assistant."}]) == ""


@pytest.mark.parametrize("messages,param", [
    ([], "messages"),
    ("hello", "messages"),
    (["hello"], "messages[0]"),
    ([{"role": "robot", "content": "x"}], "messages[0].role"),
    ([{"role": "tool", "content": "42"}], "messages[0].role"),
    ([{"role": "assistant", "content": None, "tool_calls": [{"id": "1"}]}], "messages[0].tool_calls"),
    ([{"role": "user", "content": 5}], "messages[0].content"),
    ([{"role": "user", "content": "a"}, {"role": "user", "content": [{"type": "input_audio"}]}], "messages[1].content"),
])
def test_what_the_model_cannot_read_is_refused_naming_the_place(messages, param):
    with pytest.raises(ApiError) as err:
        chat_prompt(messages)
    assert err.value.status == 400 and err.value.param == param
