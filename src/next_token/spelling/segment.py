"""Word segmentation of run-together text ("thequickbrownfox" -> "the quick brown fox").

Dynamic programming over cut points with the language model as the judge: a hypothesis is a
segmentation of the first i characters, scored

    log10 P(w_1 .. w_m) = sum_t log10 P(w_t | w_{t-N+1} .. w_{t-1})    (+ log10 P(</s>) at the end)

and only the last N-1 words matter for what comes next, so hypotheses ending at the same
position with the same last N-1 words merge (the better one survives: Viterbi); a beam of the
best few per position keeps it linear in the text length. Every extension of one hypothesis --
each vocabulary word starting at its end position -- is scored in one batched model call.

A piece the vocabulary does not have may still be a word (a name, a number): it is scored as
<unk> plus `unknown_penalty` per character, so the search prefers known words but never fails.
Whitespace already in the text is kept as a forced boundary.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from .judge import BOS, EOS, UNK, Judge

MAX_SEGMENT_TEXT = 10_000


@dataclass(frozen=True)
class Segmentation:
    words: tuple[str, ...]
    logprob: float  # log10 P(words) under the model, </s> included

    @property
    def text(self) -> str:
        return " ".join(self.words)


def segment(lm, text: str, max_word_length: int = 24, beam: int = 8, unknown_penalty: float = 1.0) -> Segmentation:
    """The most probable split of `text` into words (see the module docstring)."""
    judge = lm if isinstance(lm, Judge) else Judge(lm)
    if not isinstance(text, str):
        raise InputError(f"the text must be a string, got {type(text).__name__}")
    if not text.strip():
        raise InputError("the text is empty: give some run-together words to split")
    if len(text) > MAX_SEGMENT_TEXT:
        raise InputError(f"the text is longer than {MAX_SEGMENT_TEXT} characters: split it in pieces first")
    if max_word_length < 1 or beam < 1:
        raise InputError("max_word_length and beam must be at least 1")
    chunks = text.split()
    keep = judge.order - 1
    # hyps: (score, context ids tuple, words tuple); start with <s>.
    hyps = [(0.0, (BOS,), ())]
    for chunk in chunks:
        hyps = _segment_chunk(judge, chunk, hyps, keep, max_word_length, beam, unknown_penalty)
    best = None
    for score, ctx, words in hyps:
        final = score + float(np.log10(judge.probabilities(list(ctx), np.array([EOS]))[0]))
        if best is None or final > best[0]:
            best = (final, words)
    return Segmentation(best[1], best[0])


def _segment_chunk(judge, chunk, start_hyps, keep, max_len, beam, unknown_penalty):
    n = len(chunk)
    # The vocabulary id of every piece chunk[i:j] (exact spelling first, else lower case).
    piece_id: dict[tuple[int, int], int] = {}
    for i in range(n):
        for j in range(i + 1, min(n, i + max_len) + 1):
            p = chunk[i:j]
            t = judge.id(p)
            if t == UNK and not p.islower():
                t = judge.id(p.lower())
            piece_id[(i, j)] = t
    at: list[dict] = [dict() for _ in range(n + 1)]  # position -> {context: (score, words)}
    for score, ctx, words in start_hyps:
        _offer(at[0], ctx, score, words)
    for i in range(n):
        if not at[i]:
            continue
        live = sorted(((s, c, w) for c, (s, w) in at[i].items()), reverse=True)[:beam]
        ends = list(range(i + 1, min(n, i + max_len) + 1))
        ids = np.array([piece_id[(i, j)] for j in ends], dtype=np.int64)
        known = ids != UNK
        # An unknown piece is allowed where no known word starts, or as the whole rest.
        allow = known | (np.array(ends) == n) | (not known.any())
        for score, ctx, words in live:
            with np.errstate(divide="ignore"):
                lp = np.log10(judge.probabilities(list(ctx), ids))
            for j, t, l, ok in zip(ends, ids.tolist(), lp.tolist(), allow.tolist()):
                if not ok:
                    continue
                piece = chunk[i:j]
                s = score + l - (0.0 if t != UNK else unknown_penalty * len(piece))
                new_ctx = (ctx + (t,))[-keep:] if keep else ()
                _offer(at[j], new_ctx, s, words + (piece,))
    final = sorted(((s, c, w) for c, (s, w) in at[n].items()), reverse=True)[:beam]
    return final


def _offer(cell: dict, ctx, score, words):
    """Keep the better of two hypotheses with the same future (same last N-1 ids)."""
    old = cell.get(ctx)
    if old is None or score > old[0]:
        cell[ctx] = (score, words)
