"""Streaming OpenAI choices as server-sent events: `data: {chunk}` events, then `data: [DONE]`.

The choices of a request are generated one after the other; each endpoint turns the pieces into
its own chunk objects (text completion chunks, or chat chunks with a `delta`).
"""

from __future__ import annotations

from contextlib import aclosing
from dataclasses import dataclass
from typing import Any, AsyncIterator

from .choice_recorder import ChoiceRecorder, Token
from .http_errors import stream_error
from .openai_common import Job, SamplingRequest, Served, open_steps
from .sse import ClosingStreamingResponse, Prefetched, event

DONE = b"data: [DONE]\n\n"


@dataclass
class Released:
    """A streamed piece of a choice: text and the tokens that wrote it (either may be empty)."""

    job: Job
    text: str
    tokens: list[Token]


@dataclass
class Finished:
    """The end of a streamed choice."""

    job: Job
    finish_reason: str


class StreamedChoices:
    """The choices of a streamed request, generated one after the other.

    `start` computes the first step of the first choice before the response begins, so that
    arguments the model refuses are still a 4xx rather than a broken stream (sse.Prefetched).
    Every choice comes from `model`, the one the request started with.
    """

    def __init__(self, served: Served, model: Any, req: SamplingRequest, jobs: list[Job], first: Prefetched):
        self.served, self.model, self.req, self.jobs, self.first = served, model, req, jobs, first
        self.completion_tokens = 0

    @classmethod
    async def start(cls, served: Served, model: Any, req: SamplingRequest, jobs: list[Job]) -> "StreamedChoices":
        return cls(served, model, req, jobs, await cls._open(served, model, req, jobs[0]))

    @staticmethod
    async def _open(served: Served, model: Any, req: SamplingRequest, job: Job) -> Prefetched:
        return await Prefetched.start(served.runner.iterate(lambda: open_steps(model, req, job)))

    async def events(self) -> AsyncIterator[Released | Finished]:
        """Released pieces of each choice in turn, each choice ended by a Finished."""
        for n, job in enumerate(self.jobs):
            recorder = ChoiceRecorder()
            steps = self.first if n == 0 else await self._open(self.served, self.model, self.req, job)
            async with aclosing(steps):  # closed at once however the stream ends
                async for step in steps:
                    text, tokens = recorder.feed(step)
                    if text or tokens:
                        yield Released(job, text, tokens)
            self.completion_tokens += recorder.generated
            yield Finished(job, recorder.finish_reason)

    async def aclose(self) -> None:
        await self.first.aclose()


def sse_response(chunks: AsyncIterator[dict], choices: StreamedChoices) -> ClosingStreamingResponse:
    """Send `chunks` as `data: {json}` events, then `data: [DONE]`, as OpenAI streams.

    The status line is sent before the model runs, so a failure mid-stream (the deadline
    passing, say) is reported in-band as an error object in OpenAI's shape (the openai client
    raises it), and the stream still ends with [DONE].
    """

    async def body():
        try:
            async for chunk in chunks:
                yield event(chunk)
        except Exception as exc:
            yield event(stream_error(exc))
        finally:
            await choices.aclose()
        yield DONE

    return ClosingStreamingResponse(body())
