"""The error model P(typed | intended): how likely a slip of the fingers or of memory turns the
intended word into what was typed (the "channel" of the noisy-channel corrector).

A typed word is the intended word passed through independent character edits, so

    log10 P(typed | intended) = sum over the edits of the best alignment of log10 p(edit)

(the best alignment stands in for the sum over all alignments: they are dominated by one).
The edits and their parameters, all log10 probabilities per intended character:

    substitute x -> y   sub[x, y]: a neighbouring key or another vowel is far likelier
                        than an arbitrary letter
    insert y            ins[y], or `dup` when y repeats the previous typed letter ("untill")
    drop x              dele[x], or `undouble` when x repeats the previous letter ("ocured")
    swap xy -> yx       `swap`
    type x right        `keep_char` = log10(1 - error rate), the cost of every untouched letter

Some errors are not slips of single letters but confusions of whole words that sound alike
("their" / "there", "then" / "than"): `confusions` maps such a word to the words it is confused
with and log10 P(typed | intended) for each. They make real-word errors at distance 2 reachable.
`ENGLISH_CONFUSIONS` is the default list; any model can carry its own (or none).

`ErrorModel.default()` sets them from a QWERTY keyboard and typing-error rates; `learn(pairs)`
re-estimates them from (misspelling, correction) pairs (Kernighan, Church & Gale 1990: count the
edits on each pair's best alignment, divide by how often the intended letter occurs), smoothed
towards the current model and rescaled to its overall error rate, since a list of misspellings
says which errors people make, not how often they make one.

Letters a-z have their own rows; every other character shares one (index 26). The corrector
works on lower-cased words, so upper case never reaches the model.
"""

from __future__ import annotations

from typing import Iterable

import numpy as np

from ..errors import InputError, ModelFileError
from .distance import banded_alignment, encode

A = 27  # a..z and "anything else"
OTHER = 26
_VOWELS = "aeiouy"
_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")

ENGLISH_CONFUSIONS = (
    "their there they're", "your you're", "its it's", "then than", "to too two", "lose loose",
    "affect effect", "accept except", "weather whether", "whose who's", "were where we're",
    "quiet quite", "advice advise", "breath breathe", "peace piece", "principal principle",
    "passed past", "hear here", "know no", "knew new", "write right", "buy by", "of off",
    "loose lose", "dose does", "sight site", "cloths clothes", "lead led", "wander wonder",
)
CONFUSION_LOGP = -2.0  # log10 P(typed w2 | meant w1) for a listed pair: common, not a slip
_STAGGER = (0.0, 0.25, 0.75)


def letter_index(codepoints: np.ndarray) -> np.ndarray:
    """a..z -> 0..25, any other code point (or padding) -> 26."""
    cp = np.asarray(codepoints)
    return np.where((cp >= 97) & (cp <= 122), cp - 97, OTHER)


def keyboard_neighbours() -> np.ndarray:
    """adjacent[x, y]: True when keys x and y touch on a QWERTY keyboard."""
    pos = {}
    for r, row in enumerate(_ROWS):
        for c, ch in enumerate(row):
            pos[ord(ch) - 97] = (c + _STAGGER[r], float(r))
    adj = np.zeros((A, A), dtype=bool)
    for x, (ax, ay) in pos.items():
        for y, (bx, by) in pos.items():
            if x != y and abs(ay - by) <= 1 and abs(ax - bx) <= 1.0:
                adj[x, y] = True
    return adj


class ErrorModel:
    """Edit log10 probabilities; `costs()` gives the -log10 view `banded_alignment` adds up."""

    FIELDS = ("sub", "ins", "dele", "scalars")

    def __init__(self, sub: np.ndarray, ins: np.ndarray, dele: np.ndarray, dup: float, undouble: float,
                 swap: float, keep_char: float, confusions: dict[str, dict[str, float]] | None = None):
        self.confusions = dict(confusions or {})
        self.sub = np.asarray(sub, dtype=np.float64)
        self.ins = np.asarray(ins, dtype=np.float64)
        self.dele = np.asarray(dele, dtype=np.float64)
        self.dup = float(dup)
        self.undouble = float(undouble)
        self.swap = float(swap)
        self.keep_char = float(keep_char)
        self._neg_sub = -self.sub
        self._neg_ins = -self.ins
        self._neg_dele = -self.dele

    @classmethod
    def default(cls, error_rate: float = 0.02) -> "ErrorModel":
        """A keyboard-and-vowel prior: of a letter's errors (rate `error_rate`), 45% are
        substitutions (60% of them to a neighbouring key, 15% to another vowel), 20% drops
        (half of a double letter's errors drop one of the pair), 20% insertions (a third of them
        doubling), 15% swaps."""
        if not 0 < error_rate < 0.5:
            raise InputError("error_rate must lie in (0, 0.5)")
        e = error_rate
        adj = keyboard_neighbours()
        vowel = np.zeros(A, dtype=bool)
        vowel[[ord(v) - 97 for v in _VOWELS]] = True
        sub = np.zeros((A, A))
        for x in range(A):
            near = adj[x].copy()
            vow = vowel & ~near & vowel[x]
            vow[x] = False
            rest = ~near & ~vow
            rest[x] = False
            shares = [(near, 0.60), (vow, 0.15), (rest, 0.25)]
            total = sum(w for m, w in shares if m.any())
            for m, w in shares:
                if m.any():
                    sub[x, m] = e * 0.45 * (w / total) / m.sum()
        np.fill_diagonal(sub, 1.0)  # never used: a match costs nothing
        ins = np.full(A, e * 0.20 * (2 / 3) / A)
        dele = np.full(A, e * 0.20)
        return cls(np.log10(sub), np.log10(ins), np.log10(dele), dup=np.log10(e * 0.20 / 3),
                   undouble=np.log10(e * 0.5), swap=np.log10(e * 0.15), keep_char=np.log10(1 - e),
                   confusions=confusion_table(ENGLISH_CONFUSIONS))

    # ------------------------------------------------------------------ the EditCosts view

    def substitute(self, typed, intended):
        return self._neg_sub[letter_index(intended), letter_index(typed)]

    def insert(self, typed, typed_before):
        return np.where(typed == typed_before, -self.dup, self._neg_ins[letter_index(typed)])

    def delete(self, intended, intended_before):
        return np.where(intended == intended_before, -self.undouble, self._neg_dele[letter_index(intended)])

    def swap_cost(self, first, second):
        return np.full(np.shape(first), -self.swap)

    def costs(self):
        """This model as `distance.EditCosts` (-log10 p per edit)."""
        return _Costs(self)

    # ------------------------------------------------------------------ scoring

    def log_likelihood(self, typed: str, intended: list[str], band: int = 2) -> tuple[np.ndarray, np.ndarray]:
        """log10 P(typed | w) for each w in `intended` (-inf beyond `band` edits), and the OSA
        distances. Untouched letters add `keep_char` each."""
        if not intended:
            return np.zeros(0), np.zeros(0, dtype=np.int64)
        C, lc = encode(intended)
        T, lt = encode([typed])
        T, lt = np.repeat(T, len(intended), axis=0), np.repeat(lt, len(intended))
        dist, cost = banded_alignment(T, lt, C, lc, band, self.costs())
        return self.channel(cost, dist, lc), dist

    def channel(self, cost: np.ndarray, dist: np.ndarray, intended_len: np.ndarray) -> np.ndarray:
        """log10 P(typed | intended) from an alignment's cost (see `log_likelihood`)."""
        kept = np.maximum(np.asarray(intended_len) - dist, 0)
        return -np.asarray(cost) + kept * self.keep_char

    def keep(self, length) -> np.ndarray:
        """log10 P(w typed as w): every letter right."""
        return np.asarray(length) * self.keep_char

    # ------------------------------------------------------------------ learning

    def learn(self, pairs: Iterable[tuple[str, str]], pseudo_chars: float = 200.0, iterations: int = 2) -> "ErrorModel":
        """A new model re-estimated from (typed, intended) misspelling pairs, smoothed towards
        this one (`pseudo_chars` imaginary letters of each kind behave like this model)."""
        pairs = [(t.lower(), w.lower()) for t, w in pairs if t and w and t.lower() != w.lower()]
        if not pairs:
            raise InputError("learn() needs at least one (misspelling, correction) pair that differ")
        model = self
        for _ in range(iterations):
            model = model._reestimate(pairs, pseudo_chars)
        return model

    def _reestimate(self, pairs, m):
        n_sub = np.zeros((A, A))
        n_ins = np.zeros(A)
        n_del = np.zeros(A)
        n_dup = n_undouble = n_swap = 0.0
        chars = np.zeros(A)
        total_chars = doubles = 0
        for typed, intended in pairs:
            ops = self.alignment(typed, intended)
            if ops is None:
                continue
            for c in intended:
                chars[_li(c)] += 1
            total_chars += len(intended)
            doubles += sum(a == b for a, b in zip(intended, intended[1:]))
            for op in ops:
                kind = op[0]
                if kind == "sub":
                    n_sub[_li(op[1]), _li(op[2])] += 1
                elif kind == "ins":
                    n_ins[_li(op[1])] += 1
                elif kind == "dup":
                    n_dup += 1
                elif kind == "del":
                    n_del[_li(op[1])] += 1
                elif kind == "undouble":
                    n_undouble += 1
                else:
                    n_swap += 1
        n_ops = n_sub.sum() + n_ins.sum() + n_del.sum() + n_dup + n_undouble + n_swap
        if n_ops == 0:
            return self
        # Scale the counts to this model's overall error rate: the pairs say which errors
        # people make, not how often.
        rate = 1 - 10**self.keep_char
        s = rate * total_chars / n_ops
        chars_safe = chars + m
        p = lambda lp: 10.0 ** lp  # noqa: E731
        sub = (s * n_sub + m * p(self.sub)) / chars_safe[:, None]
        dele = (s * n_del + m * p(self.dele)) / chars_safe
        C = total_chars + m
        ins = (s * n_ins + m * p(self.ins)) / C
        dup = (s * n_dup + m * p(self.dup)) / C
        # A double letter can lose one of its pair: that rate is per double, not per letter.
        undouble = (s * n_undouble + m * p(self.undouble)) / (doubles + m)
        swap = (s * n_swap + m * p(self.swap)) / C
        np.fill_diagonal(sub, 1.0)
        return ErrorModel(np.log10(sub), np.log10(ins), np.log10(dele), np.log10(dup), np.log10(undouble),
                          np.log10(swap), self.keep_char, self.confusions)

    def alignment(self, typed: str, intended: str, band: int = 3):
        """The edits of the cheapest alignment of `intended` into `typed` (full table with a
        backtrace; for learning, not for the hot path), or None when more than `band` apart."""
        n, mlen = len(typed), len(intended)
        if abs(n - mlen) > band:
            return None
        INF = float("inf")
        D = [[INF] * (mlen + 1) for _ in range(n + 1)]
        back = [[None] * (mlen + 1) for _ in range(n + 1)]
        D[0][0] = 0.0
        for i in range(n + 1):
            for j in range(mlen + 1):
                if i == j == 0:
                    continue
                best, how = INF, None
                if i and j:
                    a, b = typed[i - 1], intended[j - 1]
                    c = D[i - 1][j - 1] + (0.0 if a == b else -self.sub[_li(b), _li(a)])
                    if c < best:
                        best, how = c, ("match",) if a == b else ("sub", b, a)
                if i:
                    a = typed[i - 1]
                    dup = i >= 2 and typed[i - 2] == a
                    c = D[i - 1][j] + (-self.dup if dup else -self.ins[_li(a)])
                    if c < best:
                        best, how = c, ("dup", a) if dup else ("ins", a)
                if j:
                    b = intended[j - 1]
                    und = j >= 2 and intended[j - 2] == b
                    c = D[i][j - 1] + (-self.undouble if und else -self.dele[_li(b)])
                    if c < best:
                        best, how = c, ("undouble", b) if und else ("del", b)
                if (i >= 2 and j >= 2 and typed[i - 1] == intended[j - 2] and typed[i - 2] == intended[j - 1]
                        and typed[i - 1] != typed[i - 2]):
                    c = D[i - 2][j - 2] - self.swap
                    if c < best:
                        best, how = c, ("swap", intended[j - 2], intended[j - 1])
                D[i][j], back[i][j] = best, how
        ops = []
        i, j = n, mlen
        while i or j:
            how = back[i][j]
            if how is None:
                return None
            if how[0] != "match":
                ops.append(how)
            if how[0] in ("match", "sub"):
                i, j = i - 1, j - 1
            elif how[0] in ("ins", "dup"):
                i -= 1
            elif how[0] in ("del", "undouble"):
                j -= 1
            else:
                i, j = i - 2, j - 2
        if len(ops) > band:
            return None
        return ops[::-1]

    # ------------------------------------------------------------------ persistence

    def to_arrays(self, prefix: str = "error_model.") -> dict[str, np.ndarray]:
        pairs = [(a, b, lp) for a, row in sorted(self.confusions.items()) for b, lp in sorted(row.items())]
        text = "".join(f"{a}\t{b}\n" for a, b, _ in pairs)
        return {
            f"{prefix}sub": self.sub,
            f"{prefix}ins": self.ins,
            f"{prefix}dele": self.dele,
            f"{prefix}scalars": np.array([self.dup, self.undouble, self.swap, self.keep_char]),
            f"{prefix}confusion_text": np.frombuffer(text.encode("utf-8"), dtype=np.uint8),
            f"{prefix}confusion_logp": np.array([lp for _, _, lp in pairs], dtype=np.float64),
        }

    @classmethod
    def from_arrays(cls, arrays, prefix: str = "error_model.") -> "ErrorModel":
        try:
            s = np.asarray(arrays[f"{prefix}scalars"], dtype=np.float64)
            text = np.asarray(arrays[f"{prefix}confusion_text"], dtype=np.uint8).tobytes().decode("utf-8")
            logp = np.asarray(arrays[f"{prefix}confusion_logp"], dtype=np.float64).tolist()
            confusions: dict[str, dict[str, float]] = {}
            for line, lp in zip(text.splitlines(), logp):
                a, b = line.split("\t")
                confusions.setdefault(a, {})[b] = lp
            return cls(arrays[f"{prefix}sub"], arrays[f"{prefix}ins"], arrays[f"{prefix}dele"], *s.tolist(),
                       confusions=confusions)
        except (KeyError, TypeError, ValueError) as e:
            raise ModelFileError(f"the spelling error model lacks or garbles the table {e}") from None


def confusion_table(groups, logp: float = CONFUSION_LOGP) -> dict[str, dict[str, float]]:
    """typed word -> {intended word: log10 P(typed | intended)} for every ordered pair of words
    within each whitespace-separated group."""
    table: dict[str, dict[str, float]] = {}
    for group in groups:
        words = group.split()
        for a in words:
            for b in words:
                if a != b:
                    table.setdefault(a, {})[b] = logp
    return table


class _Costs:
    """ErrorModel as distance.EditCosts (costs are -log10 probabilities)."""

    def __init__(self, model: ErrorModel):
        self.substitute = model.substitute
        self.insert = model.insert
        self.delete = model.delete
        self.swap = model.swap_cost


def _li(ch: str) -> int:
    o = ord(ch)
    return o - 97 if 97 <= o <= 122 else OTHER
