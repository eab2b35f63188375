"""Decoding: turn next-token distributions into token sequences.

Works on any model of the `protocol.TokenModel` contract, on token ids with `<s>` / `</s>`
marking sentences:

- greedy: the most probable token at each step;
- beam search: the k most probable whole continuations (to the end of the sentence);
- sampling: temperature, top-k, top-p (nucleus) and min-p, reproducible with a seed.

Two policies say which tokens may be written (`decoding=`); the probabilities are always the
model's exact ones:

- ``"seen"`` (the default for text people read): only tokens the corpus showed after the
  context, as markovify does. The context is the longest suffix with at least two different
  continuations in the corpus, or the last two tokens when even they were followed by one token
  only (`NgramModel.seen_level`). Interpolated Kneser-Ney passes much probability to the lower
  orders, so after "but the" the full distribution ranks "," first (it follows the most
  different words); writing only what followed the context in the corpus avoids "the ," and
  the word salad of sampling the smoothed tail. Greedy and beam search rank those tokens by the
  model's probability. Sampling draws them in proportion to the corpus's counts after that
  context, raised to the power `SEEN_SHARPNESS` (1.2) before the temperature: with the model's
  own probabilities the lower orders' mass still favours "," (twice its corpus rate after a
  determiner), and with the bare counts one-off continuations make text ramble; the exponent
  was chosen on bench_writing.py's judge perplexity and distinct-2. After `MAX_FORCED` steps in
  a row whose context had a single continuation (the sampler is reciting the corpus), the
  context may shrink below two tokens to find a choice.
  Beam search ends a sentence only where the corpus ended one after the longest part of the
  context it has seen continued (`_ends_here`): "sys ." often ends a sentence, "Python sys ."
  never did.
- ``"smoothed"``: the whole smoothed distribution, every token with its full probability.

The probability reported with each token is always the model's exact p(token | context).

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

from .errors import InputError
from .text.vocab import BOS, EOS, UNK

DECODINGS = ("seen", "smoothed")
MIN_BRANCH = 2  # a context must have been followed by this many different tokens to be used ...
MIN_CONTEXT = 2  # ... unless it is this short (markovify's state size)
SEEN_SHARPNESS = 1.2  # the power of the corpus's counts "seen" sampling draws by (module doc)
MAX_FORCED = 4  # forced steps in a row (one continuation) before a shorter context is used


def check_decoding(decoding: str) -> str:
    if decoding not in DECODINGS:
        raise InputError(f"decoding must be one of {', '.join(DECODINGS)}, got {decoding!r}")
    return decoding


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


def _advance(context: list[int], token: int, window: int | None = None) -> list[int]:
    """The context after emitting `token`: a new sentence starts after `</s>`; only the last
    `window` tokens are kept when the model reads no more (so each step costs the same)."""
    if token == EOS:
        return [BOS]
    context = context + [token]
    return context[len(context) - window :] if window and len(context) > window else context


def candidates(model, context: Sequence[int], k: int, decoding: str = "seen") -> tuple[np.ndarray, np.ndarray]:
    """The k most probable tokens the policy allows after `context`, best first (ties: smaller
    id), with their exact probabilities; fewer when fewer are allowed."""
    if decoding == "smoothed":
        return model.top_k(context, k)
    level = model.seen_level(context, MIN_BRANCH, MIN_CONTEXT)
    return model.top_k(context, k, min_level=level)


def greedy(model, context: list[int], max_tokens: int, no_repeat_ngram: int | None = 3,
           stop_at_eos: bool = True, allow_unk: bool = False, decoding: str = "seen") -> list[tuple[int, float]]:
    """The most probable allowed token at each step, until `</s>` or `max_tokens`."""
    guard = RepeatGuard(no_repeat_ngram, context)
    out: list[tuple[int, float]] = []
    ctx = list(context)
    for _ in range(max_tokens):
        choice = _best_allowed(model, ctx, guard, allow_unk, decoding)
        if choice is None:
            break
        tok, p = choice
        out.append((tok, p))
        guard.push(tok)
        ctx = _advance(ctx, tok, model.context_window)
        if tok == EOS and stop_at_eos:
            break
    return out


def _best_allowed(model, ctx, guard: RepeatGuard, allow_unk: bool, decoding: str = "smoothed"):
    for policy in (decoding, "smoothed") if decoding != "smoothed" else ("smoothed",):
        for k in (8, 64, 512):
            ids, probs = candidates(model, ctx, k, policy)
            for tok, p in zip(ids.tolist(), probs.tolist()):
                if (allow_unk or tok != UNK) and guard.allows(tok):
                    return tok, p
            if len(ids) < k:
                break  # all the policy allows is vetoed: fall back to the smoothed distribution
    return None


@dataclass
class _Beam:
    score: float
    logprob: float
    tokens: list[int]
    context: list[int]
    guard: RepeatGuard
    depth: int = 0  # brackets open in the sentence (the prompt's and the beam's own)
    own: int = 0  # of those, the ones the beam opened: it must close them before ending


def beam_search(model, context: list[int], k: int, max_tokens: int, width: int | None = None,
                no_repeat_ngram: int | None = 3, length_alpha: float = 0.7,
                min_tokens: int = 3, decoding: str = "seen", is_word: np.ndarray | None = None,
                brackets: dict[int, int] | None = None, open_brackets: int = 0) -> list[tuple[list[int], float, float]]:
    """The k best continuations that end the sentence (or reach `max_tokens`).

    Beams are ranked by log p / len^alpha (Wu et al. 2016), and the sentence may not end before
    `min_tokens` tokens, so that a short ending ("The sun.") does not win just by being short;
    with `is_word` (a bool per id), only words count, so "..." alone is no completion either.
    With `brackets` ({id: +1} for an opening bracket, -1 for a closing one), a beam closes only
    brackets that are open (`open_brackets` of them in the prompt's sentence, plus its own), and
    ends the sentence only once it has closed those it opened: an n-gram forgets a "(" four
    tokens back, and 2% of the built-in model's completions wrote a stray ")" or left one open.
    Each beam grows by the tokens the decoding policy allows. Returns (tokens without `</s>`,
    total natural-log probability with `</s>` when the sentence ended, score), best first.
    """
    width = width or max(2 * k, 8)
    start = _Beam(0.0, 0.0, [], list(context), RepeatGuard(no_repeat_ngram, context), open_brackets)
    length = (lambda toks: len(toks)) if is_word is None else (lambda toks: int(is_word[toks].sum()))
    beams, finished = [start], []
    for step in range(max_tokens):
        cands = []
        for b in beams:
            ids, probs = candidates(model, b.context, width, decoding)
            for tok, p in zip(ids.tolist(), probs.tolist()):
                if tok == UNK or not b.guard.allows(tok) or p <= 0:
                    continue
                if tok == EOS and (length(b.tokens) < min_tokens or b.own):
                    continue
                if brackets and brackets.get(tok, 0) < 0 and not b.depth:
                    continue
                lp = b.logprob + math.log(p)
                n = len(b.tokens) + 1
                cands.append((lp / n**length_alpha, lp, b, tok))
        if not cands:
            break
        cands.sort(key=lambda c: -c[0])
        beams = []
        for score, lp, b, tok in cands:
            if tok == EOS and decoding == "seen" and not _ends_here(model, b.context):
                continue  # asked only of the endings good enough to be taken: it costs a lookup
            if tok == EOS or step == max_tokens - 1:
                finished.append((score, lp, b.tokens + ([tok] if tok != EOS else [])))
            elif len(beams) < width:
                g = b.guard.copy()
                g.push(tok)
                sign = brackets.get(tok, 0) if brackets else 0
                beams.append(_Beam(score, lp, b.tokens + [tok], _advance(b.context, tok, model.context_window), g,
                                   b.depth + sign, max(b.own + sign, 0)))
            if len(beams) >= width and len(finished) >= 4 * k:
                break
        # Stop when k finished sequences beat every live beam (scores only fall as beams grow,
        # up to the length normalization, so this is a heuristic, as in every beam decoder).
        if len(finished) >= k and beams and sorted((f[0] for f in finished), reverse=True)[k - 1] >= beams[0].score:
            break
        if not beams:
            break
    finished.sort(key=lambda f: -f[0])
    return [(toks, lp, score) for score, lp, toks in finished]


def open_brackets(signs: Sequence[int]) -> int:
    """How many brackets a sentence leaves open, given each token's sign (+1 "(", -1 ")");
    a closing bracket with none open is ignored."""
    depth = 0
    for sign in signs:
        depth = max(depth + sign, 0)
    return depth


def _ends_here(model, context: list[int]) -> bool:
    """Whether the corpus ended a sentence after the longest part of `context` it has seen
    followed by anything. "seen" candidates come from a shorter context when the longest had a
    single continuation, and there the sentence end of "sys . </s>" would cut "sys.path" in two."""
    level = model.seen_level(context, 1, 0)
    return level == 0 or EOS in model.seen_continuations(context, level)[0]


def sample(model, context: list[int], max_tokens: int, rng: np.random.Generator, temperature: float = 1.0,
           top_k: int | None = None, top_p: float | None = None, no_repeat_ngram: int | None = None,
           stop_at_eos: bool = False, decoding: str = "smoothed",
           min_p: float | None = None) -> Iterator[tuple[int, float]]:
    """Yield sampled (token, probability) pairs. Temperature 0 is greedy.

    The candidates are what `decoding` allows (module doc), less `<unk>` and repeat-blocked
    tokens; then top-k keeps the k most probable, min-p those at least `min_p` times as
    probable as the best, and top-p (nucleus) the smallest set of most probable tokens whose
    mass (after temperature) reaches p of the candidates' mass. At temperature 1 a peaked
    smoothed distribution's nucleus comes from the exact top-64, without sorting the vocabulary.
    """
    guard = RepeatGuard(no_repeat_ngram, context)
    ctx = list(context)
    forced = 0  # "seen" steps in a row whose context had a single continuation: a recitation
    for _ in range(max_tokens):
        if temperature == 0:
            choice = _best_allowed(model, ctx, guard, allow_unk=False, decoding=decoding)
            if choice is None:
                return
            tok, p = choice
        else:
            ids, probs, complete = _candidates(model, ctx, temperature, top_k, top_p, decoding, forced)
            forced = forced + 1 if decoding == "seen" and len(ids) == 1 else 0
            weighted = decoding == "seen"  # probs are sampling weights (corpus shares), not the model's
            keep = ids != UNK
            if guard.n:
                keep &= np.fromiter((guard.allows(t) for t in ids.tolist()), dtype=bool, count=len(ids))
            if not keep.any() and decoding != "smoothed":  # all the corpus showed is vetoed
                ids, probs, complete = _candidates(model, ctx, temperature, top_k, top_p, "smoothed")
                keep = (ids != UNK) & np.fromiter((guard.allows(t) for t in ids.tolist()), dtype=bool, count=len(ids))
            # The whole distribution's mass, less what was filtered out, normalizes top-p.
            total = probs[keep].sum() if complete else 1.0 - probs[~keep].sum()
            ids, probs = ids[keep], probs[keep]
            if len(ids) == 0:
                return
            if weighted and top_k and len(ids) > top_k:
                best = np.lexsort((ids, -probs))[:top_k]
                ids, probs = ids[best], probs[best]
            if min_p:
                ok = probs >= min_p * probs.max()
                ids, probs = ids[ok], probs[ok]
                total = probs.sum() if complete else total
            w = _temper(probs, temperature)
            if top_p is not None and top_p < 1.0:
                order = np.argsort(-probs, kind="stable")
                ids, probs, w = ids[order], probs[order], w[order]
                cum = np.cumsum(w)
                target = top_p * (w.sum() if complete else total)
                cut = int(np.searchsorted(cum, target)) + 1
                ids, probs, w = ids[:cut], probs[:cut], w[:cut]
            cum = np.cumsum(w)
            i = min(int(np.searchsorted(cum, rng.random() * cum[-1], side="right")), len(ids) - 1)
            tok, p = int(ids[i]), float(probs[i])
            if weighted:
                p = float(model.probabilities(ctx, [tok])[0])
        yield tok, p
        guard.push(tok)
        ctx = _advance(ctx, tok, model.context_window)
        if tok == EOS and stop_at_eos:
            return


def _candidates(model, ctx, temperature, top_k, top_p, decoding, forced=0):
    """(ids, probs, complete): the tokens to draw from; `complete` says whether they are all the
    policy allows (else the top of the smoothed distribution, which top-p then cuts). After
    `MAX_FORCED` forced "seen" steps in a row, a shorter context with a choice is used."""
    if decoding == "seen":
        level = model.seen_level(ctx, MIN_BRANCH, MIN_CONTEXT if forced < MAX_FORCED else 1)
        ids, shares = model.seen_weights(ctx, level)
        return ids, shares ** SEEN_SHARPNESS, True
    if top_k:
        return (*model.top_k(ctx, top_k), True)
    if top_p is not None and top_p < 1.0 and temperature == 1.0:
        # The nucleus is a prefix of the exact top-k; a peaked distribution's fits in the top 64.
        # A wider one is cheaper to cut from the full distribution (below) than from a top-k of
        # thousands, whose selection runs in Python.
        ids, probs = model.top_k(ctx, 64)
        if probs.sum() >= top_p or len(ids) < 64:
            return ids, probs, len(ids) < 64
    probs = model.distribution(ctx)
    ids = np.flatnonzero(probs > 0)
    return ids, probs[ids], True


def _temper(probs: np.ndarray, temperature: float) -> np.ndarray:
    """p^(1/T), computed in log space so small probabilities do not underflow."""
    if temperature == 1.0:
        return probs
    with np.errstate(divide="ignore"):
        logits = np.log(probs) / temperature
    logits -= logits.max()
    return np.exp(logits)
