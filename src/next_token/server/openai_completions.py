"""OpenAI's legacy completions API over the model, so existing clients can use it as a drop-in.

    POST /v1/completions    {model, prompt, max_tokens=16, temperature=1, top_p=1, n=1, stop, seed,
                             stream, stream_options, logprobs, echo}

Sampling, stop strings, seeds, usage and the extensions are shared with the chat endpoint
(openai_common.py). What is particular to this one:
- `prompt` is a string or a list of strings (n choices each); token-id prompts are refused.
- `logprobs` = k (0..limits.max_logprobs) returns, per generated token, its natural-log
  probability and the k likeliest tokens at that point, as the model reported them while
  generating; streamed chunks carry the logprobs of their own tokens.
- `echo` puts the prompt before the text. With `max_tokens` = 0 and `logprobs` it scores the
  prompt itself (LanguageModel.score), which is how evaluation harnesses (lm-evaluation-harness
  "local-completions") compute log-likelihoods: the first token has no logprob, as OpenAI does.
- `suffix` (insertion), `logit_bias` and token-id prompts are refused with a 400; best_of is
  accepted and ignored.
"""

from __future__ import annotations

import math
from typing import Any, Iterator

from fastapi import APIRouter
from pydantic import Field

from ..errors import InputError
from ..language_model import END_OF_SENTENCE
from .choice_recorder import Token
from .http_errors import ApiError, check_max, check_text
from .openai_common import (
    Envelope,
    SamplingRequest,
    Served,
    check_sampling,
    count_tokens,
    jobs_for,
    json_answer,
    run_choice,
    usage,
)
from .openai_streaming import Finished, StreamedChoices, sse_response

LN10 = math.log(10.0)
KIND = "text_completion"  # the object every answer and chunk is


class CompletionRequest(SamplingRequest):
    """OpenAI's completion request (the shared fields are in SamplingRequest)."""

    prompt: Any = ""
    max_tokens: int | None = Field(16, ge=0)
    logprobs: int | None = Field(None, ge=0)
    echo: bool | None = False
    suffix: str | None = None
    best_of: int | None = None


def _prompts(prompt: Any) -> list[str]:
    if prompt is None:
        return [""]
    if isinstance(prompt, str):
        return [prompt]
    if isinstance(prompt, list) and prompt and all(isinstance(p, str) for p in prompt):
        return prompt
    if isinstance(prompt, list) and not prompt:
        raise ApiError(400, "prompt must not be an empty list", "prompt")
    raise ApiError(400, "prompt must be a string or a list of strings (token-id prompts are not "
                   "supported: this model's tokens are words, not a BPE vocabulary)", "prompt")


def _token_spans(text: str, tokens: list[str]) -> list[tuple[int, int]] | None:
    """Where each of the scorer's tokens lies in `text`, left to right; None if one is not found.

    The scorer's tokens are substrings of the text for word and char tokenizers (a sentence end
    takes no room); the spans let echoed prompt tokens carry the prompt's own whitespace, so that
    they join back to it.
    """
    spans, pos = [], 0
    for tok in tokens:
        if tok == END_OF_SENTENCE:
            spans.append((pos, pos))
            continue
        at = text.find(tok, pos)
        if at < 0:
            return None
        spans.append((at, at + len(tok)))
        pos = at + len(tok)
    return spans


def legacy_logprobs(tokens: list[Token], k: int, base: int = 0) -> dict:
    """OpenAI's completions logprobs object for generated tokens; offsets start at `base`."""
    return {
        "tokens": [t.text for t in tokens],
        "token_logprobs": [t.logprob for t in tokens],
        "top_logprobs": [dict(t.alternatives[:k]) for t in tokens],
        "text_offset": [base + t.offset for t in tokens],
    }


SPELL_TOKENS = 64  # at most this many tokens of the sentence before a point spell the likeliest tokens there
SPELL_CHARS = 256  # the same in characters, where the tokens are not found in the prompt (BPE)


def scored_prompt(model, prompt: str, k: int, out: dict[str, list]) -> Iterator[None]:
    """The echoed prompt as logprobs: the model's score of each of its tokens (natural log), each
    with the k likeliest tokens before it; the first token has no logprob (OpenAI). A sentence end
    inside the prompt is a token that writes nothing (""), as in generated text.

    Linear in the prompt's length: it is tokenized and scored once, the likeliest tokens at each
    point come from the tokens of the sentence so far (only the model's context window of them
    for a fixed-order model), and their text from a speller over the sentence before the point
    (its last SPELL_TOKENS tokens in a longer sentence, where a quote opened further back could
    change an alternative's spacing, never a number). Before, each point re-read the whole
    prompt before it: 10,000 emoji took 82 s, now 0.9-1.7 s (bench/ABUSE_RESULTS.md).

    A generator that fills `out` and yields after each token, so that it runs in slices
    (runner.run_in_slices) and stops at the request's deadline.
    """
    try:
        pairs = list(model.score(prompt).token_logprobs)
    except InputError:  # nothing to score (empty or blank text)
        pairs = []
    if pairs:
        pairs.pop()  # the score's closing sentence end is not part of the prompt
    spans = _token_spans(prompt, [t for t, _ in pairs])
    bounded = not model.info().get("unbounded")  # a fixed-order model reads its last order-1 tokens
    for key in ("tokens", "token_logprobs", "top_logprobs", "text_offset"):
        out[key] = []
    prev = 0
    sentence: list[str] = []  # the tokens of the current sentence so far
    starts: list[int] = []  # where each token of the prompt starts (spans found)
    first = 0  # the index in `starts` of the first token of the last token's sentence
    new_sentence = False
    for i, (tok, lp) in enumerate(pairs):
        yield
        if spans is not None:  # the piece carries the whitespace before it
            at = prev
            if tok == END_OF_SENTENCE:
                piece = ""
            else:
                piece, prev = prompt[prev : spans[i][1]], spans[i][1]
            if i == len(pairs) - 1:
                piece += prompt[prev:]  # and the last one the prompt's trailing whitespace
        else:  # the scorer's tokens are not spelled as in the prompt (BPE): show them bare
            at = out["text_offset"][-1] + len(out["tokens"][-1]) if i else 0
            piece = tok
        out["tokens"].append(piece)
        out["text_offset"].append(at)
        out["token_logprobs"].append(None if i == 0 else lp * LN10)
        if i == 0 or k == 0:
            out["top_logprobs"].append(None if i == 0 else {})
        else:
            context = sentence[-model.order:] if bounded else sentence
            found = [p for p in model.predict(list(context), k) if p.probability > 0]
            if spans is None:
                before = max(0, at - SPELL_CHARS)
            else:  # a sentence's first token is spelled after the sentence before, as it follows it
                before = starts[max(first, len(starts) - SPELL_TOKENS)] if starts else 0
            texts = model.tokenizer.append_texts(prompt[before:at], [p.token for p in found])
            out["top_logprobs"].append({text: math.log(p.probability) for p, text in zip(found, texts)})
        if tok == END_OF_SENTENCE:
            sentence, new_sentence = [], True
        else:
            if spans is not None:
                if new_sentence:
                    first, new_sentence = len(starts), False
                starts.append(spans[i][0])
            sentence.append(tok)
            if bounded and len(sentence) > model.order:
                del sentence[0]


def completions_router(served: Served) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["openai"])
    runner, limits = served.runner, served.limits

    def validate(req: CompletionRequest) -> list[str]:
        prompts = _prompts(req.prompt)
        for p in prompts:
            check_text("prompt", p, limits.max_prompt_chars)
        req.max_tokens = 16 if req.max_tokens is None else req.max_tokens
        check_sampling(req, limits, req.max_tokens, "max_tokens", len(prompts))
        check_max("logprobs", req.logprobs, limits.max_logprobs)
        if req.max_tokens == 0 and not req.echo:
            raise ApiError(400, "max_tokens = 0 only makes sense with echo = true", "max_tokens")
        if req.suffix:
            raise ApiError(400, "suffix (insertion) is not supported by this model", "suffix")
        return prompts

    async def prompt_tokens(model, prompts: list[str]) -> int:
        return sum([await runner.call(count_tokens, model, p) for p in prompts])

    async def echo_scores(model, prompt: str, k: int, cache: dict[str, dict]) -> dict:
        """The echoed prompt's logprobs, computed once per prompt of the request (n choices share them)."""
        if prompt not in cache:
            out: dict[str, list] = {}
            await runner.run_in_slices(lambda: scored_prompt(model, prompt, k, out))
            cache[prompt] = out
        return cache[prompt]

    @router.post("/completions")
    async def completions(req: CompletionRequest):
        """OpenAI's completions API: the text after `prompt`, with logprobs on request."""
        model = served.model  # this request's model, whatever reloads happen meanwhile
        prompts = validate(req)
        answer = Envelope.new("cmpl", served)
        k = req.logprobs or 0
        jobs = jobs_for(prompts, req.n, req.max_tokens, k)
        if req.stream:
            return await stream(model, req, answer, jobs, prompts)

        out, completion_tokens, echoed = [], 0, {}
        for job in jobs:
            choice = await run_choice(runner, model, req, job)
            completion_tokens += choice.generated
            logprobs = None
            if req.logprobs is not None:
                base = len(job.prompt) if req.echo else 0
                logprobs = legacy_logprobs(choice.tokens, k, base)
                if req.echo:
                    scored = await echo_scores(model, job.prompt, k, echoed)
                    logprobs = {key: scored[key] + logprobs[key] for key in logprobs}
            out.append({"text": (job.prompt if req.echo else "") + choice.text, "index": job.index,
                        "logprobs": logprobs, "finish_reason": choice.finish_reason})
        return await json_answer(answer.wrap(KIND, out, usage(await prompt_tokens(model, prompts), completion_tokens)))

    async def stream(model, req: CompletionRequest, answer: Envelope, jobs, prompts: list[str]):
        choices = await StreamedChoices.start(served, model, req, jobs)
        k = req.logprobs or 0

        def chunk(index: int, text: str, finish: str | None, logprobs: dict | None = None) -> dict:
            return answer.wrap(KIND, [{"text": text, "index": index, "logprobs": logprobs, "finish_reason": finish}])

        async def chunks():
            echoed, scores = set(), {}
            async for ev in choices.events():
                if req.echo and ev.job.index not in echoed:
                    echoed.add(ev.job.index)
                    scored = None
                    if req.logprobs is not None:
                        scored = await echo_scores(model, ev.job.prompt, k, scores)
                    yield chunk(ev.job.index, ev.job.prompt, None, scored)
                if isinstance(ev, Finished):
                    yield chunk(ev.job.index, "", ev.finish_reason)
                    continue
                if not ev.text and req.logprobs is None:
                    continue  # a sentence end alone writes nothing to send
                base = len(ev.job.prompt) if req.echo else 0
                logprobs = legacy_logprobs(ev.tokens, k, base) if req.logprobs is not None else None
                yield chunk(ev.job.index, ev.text, None, logprobs)
            if req.include_usage:
                yield answer.wrap(KIND, [], usage(await prompt_tokens(model, prompts), choices.completion_tokens))

        return sse_response(chunks(), choices)

    return router
