"""How a chat becomes a prompt for a model that only ever read plain text.

The template: the text of the user and assistant messages, in order, each stripped of the
whitespace around it, joined as paragraphs (a blank line between them), and a blank line after
the last one. The reply is the paragraph that comes next. System and developer messages are left
out. For messages "Hello." and "The old man":

    Hello.\\n\\nThe old man\\n\\n

Why this shape:
- The model counted n-grams of its corpus and never saw "User:" or "Assistant:"; a template of
  role markers would put it in contexts it never saw, and it would write what follows such
  markers in its corpus, or nonsense. Paragraphs are what its corpus is made of.
- An n-gram model reads only the last few tokens of the sentence it is in
  (`LanguageModel.context_ids`). When the last message ends a sentence ("...calm."), the blank
  line after it makes the reply start a new sentence, written as sentences start in the corpus.
  When the last message is an unfinished sentence ("The old man"), the model's context policy
  continues that sentence ("walked his dog in the park."): the one way the conversation can steer
  what an n-gram writes. Earlier messages give spacing and sentence boundaries, not meaning.
- System and developer messages are instructions about the reply, and this model cannot follow
  instructions. Kept in the text they would be continued as if they were the conversation (a
  chat of only "You are a helpful assistant" would be answered with the rest of that sentence),
  and clients add them by default. So they are read, checked and left out.
"""

from __future__ import annotations

from typing import Any

from .http_errors import ApiError

CONVERSATION_ROLES = ("user", "assistant")
INSTRUCTION_ROLES = ("system", "developer")
PARAGRAPH = "\n\n"


def message_text(message: Any, i: int) -> str:
    """The text of message i: a string, or the concatenated text parts of a list; a 400 for
    anything this model cannot read (images, audio, files, tool calls)."""
    where = f"messages[{i}]"
    if not isinstance(message, dict):
        raise ApiError(400, f"{where} must be an object with a role and content", where)
    role = message.get("role")
    if role not in CONVERSATION_ROLES + INSTRUCTION_ROLES:
        hint = " (this model cannot call tools)" if role in ("tool", "function") else ""
        raise ApiError(400, f"{where}.role must be one of {', '.join(CONVERSATION_ROLES + INSTRUCTION_ROLES)}, "
                       f"got {role!r}{hint}", f"{where}.role")
    if message.get("tool_calls") or message.get("function_call"):
        raise ApiError(400, f"{where} has tool calls: this model cannot call tools", f"{where}.tool_calls")
    content = message.get("content")
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        raise ApiError(400, f"{where}.content must be a string or a list of text parts", f"{where}.content")
    texts = []
    for j, part in enumerate(content):
        kind = part.get("type") if isinstance(part, dict) else None
        if kind != "text" or not isinstance(part.get("text"), str):
            raise ApiError(400, f"{where}.content[{j}] must be {{\"type\": \"text\", \"text\": ...}}: "
                           f"this model reads text only (got type {kind!r})", f"{where}.content")
        texts.append(part["text"])
    return "".join(texts)


def chat_prompt(messages: Any) -> str:
    """The prompt for `messages` (OpenAI's [{role, content}]): see the module doc."""
    if not isinstance(messages, list) or not messages:
        raise ApiError(400, "messages must be a non-empty list of {role, content}", "messages")
    paragraphs = []
    for i, message in enumerate(messages):
        text = message_text(message, i).strip()
        if text and message["role"] in CONVERSATION_ROLES:
            paragraphs.append(text)
    return "".join(p + PARAGRAPH for p in paragraphs)
