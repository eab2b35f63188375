"""Decoding: turn next-token distributions into token sequences.

Works on any model of the `protocol.TokenModel` contract (`top_k(context_ids, k) -> (ids,
probs)` and `distribution(context_ids) -> probs`), on token ids with `<s>` / `</s>` marking
sentences:

- greedy: the most probable token at each step;
- beam search: the k most probable whole continuations (to the end of the sentence);
- sampling: temperature, top-k and top-p (nucleus), reproducible with a seed.

Greedy decoding of an n-gram model loops ("of the house of the house of the ..."), because the
model forgets everything beyond its last N-1 tokens. The `no_repeat_ngram` constraint forbids any
token that would repeat an n-gram of that size already present in the prompt or the output
(the "no_repeat_ngram_size" of neural decoders).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterator, Sequence

import numpy as np

from .text.vocab import BOS, EOS, UNK


class RepeatGuard:
    """Remembers every n-gram of size `n` seen so far and vetoes tokens that would repeat one."""

    def __init__(self, n: int | None, history: Sequence[int] = ()):
        self.n = n if n and n > 0 else 0
        self.seen: set[tuple[int, ...]] = set()
        self.tail: list[int] = []
        for t in history:
            self.push(t)

    def allows(self, token: int) -> bool:
        if not self.n or len(self.tail) < self.n - 1:
            return True
        return tuple(self.tail[len(self.tail) - self.n + 1 :]) + (token,) not in self.seen

    def push(self, token: int) -> None:
        if not self.n:
            return
        self.tail.append(token)
        if len(self.tail) >= self.n:
            self.seen.add(tuple(self.tail[-self.n :]))
        if len(self.tail) > 4 * self.n:
            del self.tail[: -self.n]

    def copy(self) -> "RepeatGuard":
        g = RepeatGuard(None)
        g.n, g.seen, g.tail = self.n, set(self.seen), list(self.tail)
        return g


def _advance(context: list[int], token: int) -> list[int]:
    """The context after emitting `token`: a new sentence starts after `</s>`."""
    return [BOS] if token == EOS else context + [token]


def greedy(model, context: list[int], max_tokens: int, no_repeat_ngram: int | None = 3,
           stop_at_eos: bool = True, allow_unk: bool = False) -> list[tuple[int, float]]:
    """The most probable allowed token at each step, until `</s>` or `max_tokens`."""
    guard = RepeatGuard(no_repeat_ngram, context)
    out: list[tuple[int, float]] = []
    ctx = list(context)
    for _ in range(max_tokens):
        choice = _best_allowed(model, ctx, guard, allow_unk)
        if choice is None:
            break
        tok, p = choice
        out.append((tok, p))
        guard.push(tok)
        ctx = _advance(ctx, tok)
        if tok == EOS and stop_at_eos:
            break
    return out


def _best_allowed(model, ctx, guard: RepeatGuard, allow_unk: bool):
    for k in (8, 64, 512):
        ids, probs = model.top_k(ctx, k)
        for tok, p in zip(ids.tolist(), probs.tolist()):
            if (allow_unk or tok != UNK) and guard.allows(tok):
                return tok, p
        if len(ids) < k:
            return None
    return None


@dataclass
class _Beam:
    score: float
    logprob: float
    tokens: list[int]
    context: list[int]
    guard: RepeatGuard


def beam_search(model, context: list[int], k: int, max_tokens: int, width: int | None = None,
                no_repeat_ngram: int | None = 3, length_alpha: float = 0.7,
                min_tokens: int = 3) -> list[tuple[list[int], float]]:
    """The k best continuations that end the sentence (or reach `max_tokens`).

    Beams are ranked by log p / len^alpha (Wu et al. 2016), and the sentence may not end before
    `min_tokens` tokens, so that a short ending ("The sun.") does not win just by being short.
    Returns (tokens without `</s>`, total natural-log probability), best first.
    """
    width = width or max(2 * k, 8)
    start = _Beam(0.0, 0.0, [], list(context), RepeatGuard(no_repeat_ngram, context))
    beams, finished = [start], []
    for step in range(max_tokens):
        candidates = []
        for b in beams:
            ids, probs = model.top_k(b.context, width)
            for tok, p in zip(ids.tolist(), probs.tolist()):
                if tok == UNK or not b.guard.allows(tok) or p <= 0:
                    continue
                if tok == EOS and len(b.tokens) < min_tokens:
                    continue
                lp = b.logprob + math.log(p)
                n = len(b.tokens) + 1
                candidates.append((lp / n**length_alpha, lp, b, tok))
        if not candidates:
            break
        candidates.sort(key=lambda c: -c[0])
        beams = []
        for score, lp, b, tok in candidates:
            if tok == EOS or step == max_tokens - 1:
                finished.append((score, lp, b.tokens + ([tok] if tok != EOS else [])))
            elif len(beams) < width:
                g = b.guard.copy()
                g.push(tok)
                beams.append(_Beam(score, lp, b.tokens + [tok], _advance(b.context, tok), g))
            if len(beams) >= width and len(finished) >= 4 * k:
                break
        # Stop when k finished sequences beat every live beam (scores only fall as beams grow,
        # up to the length normalization, so this is a heuristic, as in every beam decoder).
        if len(finished) >= k and beams and sorted((f[0] for f in finished), reverse=True)[k - 1] >= beams[0].score:
            break
        if not beams:
            break
    finished.sort(key=lambda f: -f[0])
    return [(toks, lp) for _, lp, toks in finished]


def sample(model, context: list[int], max_tokens: int, rng: np.random.Generator, temperature: float = 1.0,
           top_k: int | None = None, top_p: float | None = None, no_repeat_ngram: int | None = None,
           stop_at_eos: bool = False) -> Iterator[tuple[int, float]]:
    """Yield sampled (token, probability) pairs. Temperature 0 is greedy.

    top-p (nucleus) draws from the smallest set of most probable tokens whose mass reaches p
    (after temperature, `<unk>` and repeat-blocked tokens removed). At temperature 1 a peaked
    distribution's nucleus comes from the exact top-64, without sorting the vocabulary.
    """
    guard = RepeatGuard(no_repeat_ngram, context)
    ctx = list(context)
    for _ in range(max_tokens):
        if temperature == 0:
            choice = _best_allowed(model, ctx, guard, allow_unk=False)
            if choice is None:
                return
            tok, p = choice
        else:
            ids, probs, complete = _candidates(model, ctx, temperature, top_k, top_p)
            keep = ids != UNK
            if guard.n:
                keep &= np.fromiter((guard.allows(t) for t in ids.tolist()), dtype=bool, count=len(ids))
            # The whole distribution's mass, less what was filtered out, normalizes top-p.
            total = probs[keep].sum() if complete else 1.0 - probs[~keep].sum()
            ids, probs = ids[keep], probs[keep]
            if len(ids) == 0:
                return
            w = _temper(probs, temperature)
            if top_p is not None and top_p < 1.0:
                cum = np.cumsum(w)  # candidates come best first
                target = top_p * (w.sum() if complete else total)
                cut = int(np.searchsorted(cum, target)) + 1
                ids, probs, w = ids[:cut], probs[:cut], w[:cut]
            cum = np.cumsum(w)
            i = min(int(np.searchsorted(cum, rng.random() * cum[-1], side="right")), len(ids) - 1)
            tok, p = int(ids[i]), float(probs[i])
        yield tok, p
        guard.push(tok)
        ctx = _advance(ctx, tok)
        if tok == EOS and stop_at_eos:
            return


def _candidates(model, ctx, temperature, top_k, top_p):
    """(ids, probs, complete): the tokens to draw from, best first; `complete` says whether
    they are the whole distribution (else the top of it, which top-p then cuts)."""
    if top_k:
        return (*model.top_k(ctx, top_k), True)
    if top_p is not None and top_p < 1.0 and temperature == 1.0:
        # The nucleus is a prefix of the exact top-k; a peaked distribution's fits in the top 64.
        # A wider one is cheaper to cut from the sorted full distribution (below) than from a
        # top-k of thousands, whose selection runs in Python.
        ids, probs = model.top_k(ctx, 64)
        if probs.sum() >= top_p or len(ids) < 64:
            return ids, probs, len(ids) < 64
    probs = model.distribution(ctx)
    ids = np.flatnonzero(probs > 0)
    probs = probs[ids]
    if top_p is not None and top_p < 1.0:
        order = np.argsort(-probs, kind="stable")
        ids, probs = ids[order], probs[order]
    return ids, probs, True


def _temper(probs: np.ndarray, temperature: float) -> np.ndarray:
    """p^(1/T), computed in log space so small probabilities do not underflow."""
    if temperature == 1.0:
        return probs
    with np.errstate(divide="ignore"):
        logits = np.log(probs) / temperature
    logits -= logits.max()
    return np.exp(logits)
