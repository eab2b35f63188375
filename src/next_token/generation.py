"""Writing: completions to the end of a sentence, step-by-step generation, streaming.

`Writing` is a mixin of `LanguageModel`: it needs `model`, `vocab`, `tokenizer`,
`context_ids` and `trim` from it, and owns every way the model writes text. The decoding
policies themselves (greedy, beam search, sampling over what the corpus showed) are decode.py;
this module turns their ids into text and `Step`s, with stop strings held back (stops.py).
"""

from __future__ import annotations

import math
from typing import Iterator, Sequence

import numpy as np

from .arguments import check_int, check_number
from .decode import beam_search, check_decoding, greedy, open_brackets, sample
from .errors import InputError
from .protocol import TokenModel
from .results import Completion, Step
from .stops import StopScanner
from .text.spacing import SENTENCE_END
from .text.vocab import BOS, EOS

MAX_K = 10_000
MAX_TOKENS = 10_000
END_OF_SENTENCE = "</s>"


class Writing:
    """The writing half of `LanguageModel` (see the module docstring)."""

    def _text_of(self, prompt: str, ids: Sequence[int]) -> str:
        """The text to append to `prompt` for the generated ids; sentences end where `</s>` is.
        Each token is spelled knowing the next (the last one: not knowing what may follow)."""
        speller = self.tokenizer.speller(prompt)
        out = []
        for j, i in enumerate(ids):
            if i == EOS:
                speller.end_sentence()
            else:
                out.append(speller.append(self.vocab.tokens[i], self._after(ids[j + 1] if j + 1 < len(ids) else None)))
        return "".join(out)

    def _after(self, i: int | None) -> str | None:
        """What a speller is told follows a token: the next token, the sentence end, or None."""
        return None if i is None else SENTENCE_END if i == EOS else self.vocab.tokens[i]

    def predict_sequence(self, context: str, n: int = 5, no_repeat_ngram: int | None = 3) -> Completion:
        """The n most likely next tokens, one step at a time among what the corpus showed after
        the context (decode.py's "seen" policy; may run past a sentence end)."""
        n = check_int(n, "n", 1, MAX_TOKENS)
        ctx = self.context_ids(context)
        steps = greedy(self._decoder(ctx), ctx, n, no_repeat_ngram, stop_at_eos=False)
        ids = [t for t, _ in steps]
        prob = math.prod(p for _, p in steps) if steps else 1.0
        return Completion(self._text_of(context, ids), prob, tuple(self.vocab.tokens[i] for i in ids))

    def complete(self, prompt: str, max_tokens: int = 30, no_repeat_ngram: int | None = 3) -> str:
        """The most probable continuation of `prompt` to the end of its sentence: the best of a
        beam search over what the corpus showed after each context, by probability with a
        length-aware score (log p / len^0.7), so that a longer sentence can beat a short one."""
        found = self.completions(prompt, 1, max_tokens, no_repeat_ngram)
        return found[0].text if found else ""

    def completions(self, prompt: str, k: int = 5, max_tokens: int = 30,
                    no_repeat_ngram: int | None = 3) -> list[Completion]:
        """k different continuations to the end of the sentence, best first by their length-aware
        `score` (beam search over what the corpus showed after each context)."""
        self._nonempty(prompt)
        k = check_int(k, "k", 1, 100)
        max_tokens = check_int(max_tokens, "max_tokens", 1, MAX_TOKENS if k == 1 else 200)
        sentence = self.context_ids(prompt, whole=True)  # brackets open anywhere in it count
        ctx = self.trim(sentence)
        signs = self.vocab.bracket_signs()
        opened = open_brackets([signs.get(i, 0) for i in sentence])
        found = beam_search(self._decoder(ctx), ctx, k, min(max_tokens, 200), no_repeat_ngram=no_repeat_ngram,
                            is_word=self.vocab.word_mask(), brackets=signs, open_brackets=opened)
        out, seen = [], set()
        for ids, lp, score in found:
            text = self._text_of(prompt, ids)
            if text.strip() and text not in seen:
                seen.add(text)
                out.append(Completion(text, math.exp(lp), tuple(self.vocab.tokens[i] for i in ids), score))
            if len(out) == k:
                break
        return out

    def steps(self, prompt: str = "", max_tokens: int = 50, temperature: float = 1.0, top_k: int | None = None,
              top_p: float | None = None, min_p: float | None = None, seed: int | None = None,
              stop: Sequence[str] | None = None, no_repeat_ngram: int | None = None, decoding: str = "seen",
              alternatives: int = 0, stop_at_sentence_end: bool = False) -> Iterator[Step]:
        """Generate token by token: one `Step` per token (its text, the token, its probability,
        and `alternatives` of the likeliest tokens with theirs), then a last `Step` that carries
        the text held back for stop strings and the `finish_reason` ("stop" or "length").

        `decoding="seen"` writes only what the corpus showed after each context (decode.py);
        "smoothed" samples the whole distribution. With `stop_at_sentence_end`, the first
        sentence end after some text ends generation ("stop"), as an answer ends. Each token's
        text costs the same whatever the length of the text before it (the tokenizer's
        incremental speller).
        """
        max_tokens = check_int(max_tokens, "max_tokens", 1, MAX_TOKENS)
        temperature = check_number(temperature, "temperature", 0, 100)
        if top_k is not None:
            top_k = check_int(top_k, "top_k", 1, MAX_K)
        if top_p is not None:
            top_p = check_number(top_p, "top_p", 0, 1, low_open=True)
        if min_p is not None:
            min_p = check_number(min_p, "min_p", 0, 1)
        if seed is not None:
            seed = check_int(seed, "seed", 0)
        check_decoding(decoding)
        alternatives = check_int(alternatives, "alternatives", 0, MAX_K)
        scanner = StopScanner(stop)  # holds back text that could still grow into a stop string
        rng = np.random.default_rng(seed)
        ctx = self.context_ids(prompt)
        model = self._decoder(ctx)
        speller = self.tokenizer.speller(prompt)
        tokens = self.vocab.tokens
        history = list(ctx)  # the context of the next token, for the alternatives
        wrote = False
        held = None  # the last word token drawn, its probability and alternatives: its text waits
        # for the next token, which decides some gaps ("range" + "(" is "range(" before ")")

        def release(after: int | None) -> Step:
            tok, p, alts = held
            piece = speller.append(tokens[tok], self._after(after))
            return Step(scanner.feed(piece), tokens[tok], p, None, alts, piece)

        for tok, p in sample(model, ctx, max_tokens, rng, temperature, top_k, top_p, no_repeat_ngram,
                             decoding=decoding, min_p=min_p):
            if held is not None:
                yield release(tok)
                held = None
                if scanner.stopped:
                    yield Step("", None, None, "stop")
                    return
            alts: tuple = ()
            if alternatives:  # spelled after the text so far, without knowing what would follow
                ids, probs = model.top_k(history, alternatives)
                alts = tuple((speller.copy().append(tokens[i]) if i > EOS else tokens[i], float(q))
                             for i, q in zip(ids.tolist(), probs.tolist()))
            if tok == EOS:
                speller.end_sentence()  # the next token's spacing starts the new sentence
                history = [BOS]
                yield Step(scanner.feed(""), END_OF_SENTENCE, p, None, alts)
                if stop_at_sentence_end and wrote:
                    yield Step(scanner.flush(), None, None, "stop")
                    return
                continue
            wrote = True
            history = self.trim(history + [tok])
            held = (tok, p, alts)
        if held is not None:
            yield release(None)
            if scanner.stopped:
                yield Step("", None, None, "stop")
                return
        yield Step(scanner.flush(), None, None, "length")

    def stream(self, prompt: str = "", max_tokens: int = 50, temperature: float = 1.0, top_k: int | None = None,
               top_p: float | None = None, seed: int | None = None, stop: Sequence[str] | None = None,
               no_repeat_ngram: int | None = None, decoding: str = "seen", min_p: float | None = None) -> Iterator[str]:
        """Generate text piece by piece; `"".join(stream(...)) == generate(...)`."""
        for step in self.steps(prompt, max_tokens, temperature, top_k, top_p, min_p, seed, stop, no_repeat_ngram,
                               decoding):
            if step.text:
                yield step.text

    def generate(self, prompt: str = "", max_tokens: int = 50, temperature: float = 1.0, top_k: int | None = None,
                 top_p: float | None = None, seed: int | None = None, stop: Sequence[str] | None = None,
                 no_repeat_ngram: int | None = None, decoding: str = "seen", min_p: float | None = None) -> str:
        """Sample a continuation of `prompt` (the continuation only). Same seed, same text.

        By default only what the corpus showed after each context is written (`decoding="seen"`,
        see decode.py), which reads like the corpus; `decoding="smoothed"` samples the model's
        whole distribution. temperature, top_k, top_p and min_p apply to either.
        """
        return "".join(self.stream(prompt, max_tokens, temperature, top_k, top_p, seed, stop, no_repeat_ngram,
                                   decoding, min_p))

    def _decoder(self, context: list[int]) -> TokenModel:
        """The model decoding runs on (with unbounded context, its copy guard is switched on)."""
        return self.model.generation_view(context)

    @staticmethod
    def _nonempty(prompt):
        if not isinstance(prompt, str):
            raise InputError(f"the prompt must be a string, got {type(prompt).__name__}")
        if not prompt.strip():
            raise InputError("the prompt is empty: give some text to continue")
