"""Stop sequences over a stream of text pieces, cut exactly, as OpenAI's API does it.

Used by `LanguageModel.steps` (its `stop=` argument); the last step says whether a stop string
ended the text (OpenAI's finish_reason).

A stop string can straddle pieces (" the" + " end" for stop "the end"), so text is only let out
once it cannot be the start of a stop string: the longest tail of the text so far that is a
prefix of some stop string is held back until the next piece decides. When a stop string
appears, everything before it is let out and the stream ends; the stop string itself is never
returned. So the output never contains a stop string, streamed or not, and the streamed pieces
join to exactly the non-streamed text.
"""

from __future__ import annotations

from typing import Iterable


class StopScanner:
    def __init__(self, stops: Iterable[str] | None):
        self.stops = [s for s in (stops or []) if s]
        self.held = ""
        self.stopped = False

    def feed(self, piece: str) -> str:
        """Take the next piece; return the text that is now safe to emit."""
        if self.stopped:
            return ""
        buf = self.held + piece
        hits = [i for i in (buf.find(s) for s in self.stops) if i >= 0]
        if hits:
            self.stopped, self.held = True, ""
            return buf[: min(hits)]
        keep = 0
        for s in self.stops:
            for n in range(min(len(s) - 1, len(buf)), keep, -1):
                if buf.endswith(s[:n]):
                    keep = n
                    break
        self.held = buf[len(buf) - keep:] if keep else ""
        return buf[: len(buf) - keep]

    def flush(self) -> str:
        """The end of the stream: what was held back is not a stop string after all."""
        out, self.held = self.held, ""
        return out
