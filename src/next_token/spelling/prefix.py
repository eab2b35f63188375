"""Typo-tolerant completion: the words whose beginning is within a small edit distance of what
has been typed so far ("Chirs" -> "Christine", "Christian", ...), ranked in context.

A word w matches the typed prefix p when some prefix of w is within OSA distance d of p:

    min_j OSA(p, w[:j]) <= d

which is the last row of the OSA table of p against w, minimised over the columns. The table is
filled one typed character (one row) at a time for every lexicon key at once (numpy over keys),
and after each row the keys whose whole row already exceeds d are dropped: a row minimum never
decreases further down, so they can never match. After two or three letters only a few hundred
keys are still alive, so the cost is a handful of vectorized passes, not a Python loop per word.

Matches are ranked by the language model, p(w | context), times a penalty per edit:

    score(w) = log10 p(w | context) + distance(p, w) * edit_penalty
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from .distance import PAD, encode
from .judge import BOS, Judge
from .lexicon import Lexicon

_BIG = 1 << 14


@dataclass(frozen=True)
class Completion:
    word: str
    probability: float  # normalized over the returned matches' scores
    distance: int  # edits between the typed prefix and the word's best-matching beginning


def default_distance(prefix: str) -> int:
    """0 edits for one letter, 1 for two or three, 2 from four letters on."""
    return 0 if len(prefix) <= 1 else (1 if len(prefix) <= 3 else 2)


def fuzzy_prefix_matches(lexicon: Lexicon, prefix: str, max_distance: int) -> tuple[np.ndarray, np.ndarray]:
    """(key ids, distances) of every lexicon key that has a beginning within `max_distance`
    edits of `prefix` (lower-cased), best distance per key."""
    p = prefix.lower()
    K = len(lexicon)
    d = int(max_distance)
    if K == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    keys = np.arange(K)
    lengths = lexicon.index.lengths(keys)
    keys = keys[lengths >= max(len(p) - d, 1)]
    W = len(p) + d  # no column beyond len(p) + d can be within d on the last row
    C, lc = lexicon.index.matrix(keys, width=W)
    T, _ = encode([p])
    t_chars = T[0]
    cols = np.arange(W + 1)
    # Row 0 of the table: D[0][j] = j.
    row = np.broadcast_to(cols, (len(keys), W + 1)).astype(np.int32).copy()
    row[:, 1:][C == PAD] = _BIG  # columns past a key's end do not exist
    prev2 = None
    for i in range(1, len(p) + 1):
        t = t_chars[i - 1]
        cur = np.full_like(row, _BIG)
        cur[:, 0] = i
        for j in range(1, W + 1):
            c = C[:, j - 1]
            best = np.minimum(row[:, j - 1] + (c != t), row[:, j] + 1)
            best = np.minimum(best, cur[:, j - 1] + 1)
            if i >= 2 and j >= 2:
                swap = (t == C[:, j - 2]) & (t_chars[i - 2] == c) & (t != t_chars[i - 2])
                best = np.where(swap, np.minimum(best, prev2[:, j - 2] + 1), best)
            cur[:, j] = np.where(c == PAD, _BIG, best)
        # Drop keys that can no longer match: the row minimum never decreases further down.
        alive = cur.min(axis=1) <= d
        keys, C, cur, row = keys[alive], C[alive], cur[alive], row[alive]
        prev2, row = row, cur
    dist = row.min(axis=1)
    return keys, dist.astype(np.int64)


def fuzzy_prefix_ids(lexicon: Lexicon, prefix: str, max_distance: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(key ids, vocabulary ids, distances) of the words whose beginning is within
    `max_distance` edits of `prefix`: each key as its lower-case token, else its most frequent
    spelling; as its Capitalized token when the prefix is Capitalized and that token exists."""
    keys, dist = fuzzy_prefix_matches(lexicon, prefix, max_distance)
    kl, kt, kb = (np.asarray(a)[keys] for a in (lexicon.key_lower, lexicon.key_title, lexicon.key_best))
    ids = np.where(kl >= 0, kl, kb)
    if prefix[:1].isupper():
        ids = np.where(kt >= 0, kt, ids)
    return keys, ids, dist


def complete_prefix(lm, lexicon: Lexicon, prefix: str, context: str = "", k: int = 10,
                    max_distance: int | None = None, edit_penalty: float = -2.0) -> list[Completion]:
    """The k best words starting like `prefix` (typos allowed) after `context`."""
    judge = lm if isinstance(lm, Judge) else Judge(lm)
    if not isinstance(prefix, str) or not isinstance(context, str):
        raise InputError("prefix and context must be strings")
    prefix = prefix.strip()
    if not prefix:
        raise InputError("the prefix is empty: type at least one letter")
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k <= 0 or k > 1000:
        raise InputError(f"k must be a positive integer up to 1000, got {k!r}")
    d = default_distance(prefix) if max_distance is None else max_distance
    if d not in (0, 1, 2):
        raise InputError("max_distance must be 0, 1 or 2")
    keys, ids, dist = fuzzy_prefix_ids(lexicon, prefix, d)
    if len(keys) == 0:
        return []
    title = prefix[:1].isupper()
    sents = judge.sentences(context)
    ctx = [BOS] + [judge.id(t) for t in (sents[-1] if sents else [])]
    with np.errstate(divide="ignore"):
        score = np.log10(judge.probabilities(ctx[-(judge.order - 1):] if judge.order > 1 else [], ids))
    score = score + dist * edit_penalty
    order = np.lexsort((keys, -score))[: int(k)]
    p = 10.0 ** (score[order] - score[order].max())
    p /= p.sum()
    tokens = judge.tokens
    out = []
    for n, i in enumerate(order.tolist()):
        word = tokens[int(ids[i])]
        if title and not word[:1].isupper():
            word = word[:1].upper() + word[1:]
        out.append(Completion(word, float(p[n]), int(dist[i])))
    return out
