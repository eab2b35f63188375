"""The unbounded-context ("infinity-gram") estimate of Liu et al. (2024) over a suffix-array index.

For a context ``c`` let ``s`` be its longest suffix that occurs in the corpus followed by at least
one token (``s`` may be empty). Then

    P(w | c) = count(s w) / count_cont(s),

where ``count_cont(s)`` counts the occurrences of ``s`` that have a next token, so the estimate is
a proper distribution over what followed ``s`` in the corpus. A fixed-order n-gram model forgets
everything beyond n-1 tokens; this one uses as much context as the corpus can support, which is
the original library's "continue the longest path in the trie of every sentence", exactly and at
scale. It is an unsmoothed maximum-likelihood estimate: a token never seen after ``s`` gets 0
(and so does a token never seen at all). mixing.py mixes it with the smoothed n-gram.

When ``s`` has a single distinct continuation the estimate is a point mass; Liu et al. call it
"sparse" and find such estimates far more often right, which is why the match info reports it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

import numpy as np

from ..errors import InputError
from ..text.vocab import BOS
from .index import Occurrence, SuffixArray
from .storage import as_id_array, as_pattern

_BATCH_BLOCK = 4096  # per-position top-k: blocks up to this size are ranked in one vectorized pass
_BATCH_SLOTS = 4_000_000  # ... a few million slots at a time


@dataclass(frozen=True)
class UnboundedMatch:
    """What the estimate for one context rests on: the matched suffix's length, its continuation
    count (the denominator) and how many distinct tokens followed it (1 = "sparse")."""

    suffix_len: int
    count: int
    distinct: int

    @property
    def sparse(self) -> bool:
        return self.distinct == 1


@dataclass(frozen=True, eq=False)
class Explanation:
    """Where a prediction comes from: the matched suffix (ids), its match statistics, and up to
    `limit` corpus occurrences of it with their sentences (ids; the caller detokenizes)."""

    suffix: np.ndarray
    match: UnboundedMatch
    occurrences: list[Occurrence]


@dataclass(frozen=True)
class MatchScores:
    """Per-token unbounded estimates for an id stream, one entry per *scored* position.

    Every position except those holding ``<s>`` (a sentence start is given, not predicted, as in
    KenLM) is scored, in stream order: ``positions[j]`` is the index in the stream, ``prob[j]`` is
    P(ids[t] | context) (0 when the token never followed the matched suffix), ``suffix_len[j]``
    and ``count[j]`` describe the matched suffix, ``sparse[j]`` says whether it had a single
    distinct continuation, and ``[lo[j], hi[j])`` is its continuation block in the index.
    """

    positions: np.ndarray
    prob: np.ndarray
    suffix_len: np.ndarray
    count: np.ndarray
    sparse: np.ndarray
    lo: np.ndarray
    hi: np.ndarray

    def __len__(self) -> int:
        return int(self.positions.size)

    @property
    def logprob(self) -> np.ndarray:
        """log10 of `prob` (-inf where the estimate is 0)."""
        with np.errstate(divide="ignore"):
            return np.log10(self.prob)


class UnboundedModel:
    """Next-token estimates from the longest matching suffix of the context (see module doc)."""

    def __init__(self, index: SuffixArray):
        self.index = index
        self._top_cache: dict[tuple[int, int, int], tuple[np.ndarray, np.ndarray]] = {}

    # -- one context -------------------------------------------------------------------------

    def next_token_counts(
        self, context: Iterable[int] | np.ndarray, max_suffix_len: int | None = None
    ) -> tuple[UnboundedMatch, np.ndarray, np.ndarray]:
        """``(match, token_ids, counts)`` for the longest matched suffix of `context`."""
        length, tokens, counts = self.index.next_token_counts(context, max_suffix_len)
        return UnboundedMatch(length, int(counts.sum()), int(tokens.size)), tokens, counts

    def match(self, context: Iterable[int] | np.ndarray, max_suffix_len: int | None = None) -> UnboundedMatch:
        """The matched suffix's length and count (no continuation table is built)."""
        length, lo, hi = self.index.longest_suffix_match(context, max_suffix_len)
        if hi - lo == self.index.n and length == 0:
            distinct = int(np.count_nonzero(self.index.unigram_counts))
        else:
            col = self.index.column(np.array([lo, hi - 1], np.int64), length)
            distinct = 1 if col[0] == col[1] else 2  # only "one or more than one" is cheap
            if distinct == 2:
                distinct = int(self.index.continuations(lo, hi, length)[0].size)
        return UnboundedMatch(length, hi - lo, distinct)

    def distribution(
        self, context: Iterable[int] | np.ndarray, vocab_size: int, max_suffix_len: int | None = None
    ) -> np.ndarray:
        """P(. | context) as a float64 array of length `vocab_size` (sums to 1)."""
        return self.distribution_and_match(context, vocab_size, max_suffix_len)[0]

    def distribution_and_match(
        self, context: Iterable[int] | np.ndarray, vocab_size: int, max_suffix_len: int | None = None
    ) -> tuple[np.ndarray, UnboundedMatch]:
        if vocab_size < 1:
            raise InputError("vocab_size must be >= 1")
        match, tokens, counts = self.next_token_counts(context, max_suffix_len)
        if tokens.size and int(tokens[-1]) >= vocab_size:
            raise InputError(f"the index holds id {int(tokens[-1])}, beyond vocab_size={vocab_size}")
        p = np.zeros(vocab_size, np.float64)
        p[tokens] = counts / counts.sum()
        return p, match

    def top_k(
        self, context: Iterable[int] | np.ndarray, k: int, max_suffix_len: int | None = None
    ) -> tuple[np.ndarray, np.ndarray, UnboundedMatch]:
        """The k most probable next ids (ties: smaller id first), their probabilities, the match.
        Fewer than k come back when fewer tokens ever followed the matched suffix."""
        if k < 1:
            raise InputError("k must be >= 1")
        match, tokens, counts = self.next_token_counts(context, max_suffix_len)
        order = np.lexsort((tokens, -counts))[:k]
        return tokens[order], counts[order] / match.count, match

    def prob(self, context: Iterable[int] | np.ndarray, token: int, max_suffix_len: int | None = None) -> float:
        match, tokens, counts = self.next_token_counts(context, max_suffix_len)
        j = np.searchsorted(tokens, token)
        return float(counts[j] / match.count) if j < tokens.size and tokens[j] == token else 0.0

    def _top_of_small_blocks(self, blocks: np.ndarray, k: int) -> np.ndarray:
        """Top-k ids of many small blocks (rows lo, hi, depth) in one vectorized pass: read all
        their columns, run-length encode them, sort runs by (block, -count, id)."""
        lo, hi, depth = blocks[:, 0], blocks[:, 1], blocks[:, 2]
        lens = hi - lo
        heads = np.concatenate(([0], np.cumsum(lens[:-1])))
        slots = np.arange(int(lens.sum()), dtype=np.int64) + np.repeat(lo - heads, lens)
        owner = np.repeat(np.arange(blocks.shape[0]), lens)
        col = self.index.column(slots, np.repeat(depth, lens))
        new_run = np.ones(slots.size, bool)
        new_run[1:] = (col[1:] != col[:-1]) | (owner[1:] != owner[:-1])
        run_start = np.flatnonzero(new_run)
        run_count = np.diff(np.append(run_start, slots.size))
        run_tok, run_own = col[run_start], owner[run_start]
        order = np.lexsort((run_tok, -run_count, run_own))
        run_tok, run_own = run_tok[order], run_own[order]
        rank = np.arange(run_own.size) - np.searchsorted(run_own, np.arange(blocks.shape[0]))[run_own]
        keep = rank < k
        out = np.full((blocks.shape[0], k), -1, np.int64)
        out[run_own[keep], rank[keep]] = run_tok[keep]
        return out

    def _top_of_block(self, lo: int, hi: int, depth: int, k: int) -> np.ndarray:
        """Top-k ids of one continuation block, cached: large blocks belong to short, frequent
        suffixes that recur across positions and across generation steps."""
        top = self._top_cache.get((lo, hi, depth))
        if top is None or (top[0].size < k and top[0].size < top[1]):
            tokens, counts = self.index.continuations(lo, hi, depth)
            order = np.lexsort((tokens, -counts))[: max(k, 8)]
            top = (tokens[order], tokens.size)
            if len(self._top_cache) >= 4096:
                self._top_cache.clear()
            self._top_cache[(lo, hi, depth)] = top
        return top[0][:k]

    def explain(
        self, context: Iterable[int] | np.ndarray, limit: int = 2, max_suffix_len: int | None = None
    ) -> Explanation:
        """The matched suffix of `context`, its count, and `limit` places in the corpus where it
        occurs followed by a token (for ``ntp predict --explain``)."""
        ctx = as_pattern(context)
        match = self.match(ctx, max_suffix_len)
        suffix = np.array(ctx[len(ctx) - match.suffix_len :] if match.suffix_len else [], np.int64)
        occ = self.index.occurrences(suffix, limit + 1) if match.suffix_len else []
        # the occurrence that ends the corpus has no next token: it explains nothing
        occ = [o for o in occ if o.position + o.match_len < self.index.n][:limit]
        return Explanation(suffix, match, occ)

    # -- a whole stream ----------------------------------------------------------------------

    def logprobs_stream(
        self, ids: np.ndarray, *, reset_at_bos: bool = True, max_suffix_len: int | None = None
    ) -> MatchScores:
        """Score every token of `ids` (except ``<s>``) given the tokens before it.

        With `reset_at_bos` the context of a token starts at its sentence's ``<s>``, as for the
        fixed-order model; without it, earlier sentences count too (the paper's document
        context). `max_suffix_len` caps the suffix used.

        Vectorized in three steps: (1) matching statistics ``ms[i]``, the longest continued
        match starting at each i (`SuffixArray.match_lengths`, all starts in lockstep); (2) for
        the token at t, the longest usable suffix starts at the smallest i with
        ``i + ms[i] >= t`` in t's sentence (a suffix of a match is a match, so every later i
        qualifies too), found for all t at once by a segmented running maximum and one
        `searchsorted`; (3) the counts of each chosen suffix and of suffix+token, by batched range
        searches.
        """
        q = as_id_array(ids)
        m = q.size
        if max_suffix_len is not None and max_suffix_len < 0:
            raise InputError("max_suffix_len must be >= 0")
        positions = np.flatnonzero(q != BOS)
        idx = self.index
        if m == 0 or positions.size == 0:
            e = np.zeros(0, np.int64)
            return MatchScores(e, np.zeros(0), e, e, np.zeros(0, bool), e, e)
        at = np.arange(m, dtype=np.int64)
        if reset_at_bos:
            is_bos = q == BOS
            seg = np.cumsum(is_bos)
            bos_pos = np.flatnonzero(is_bos)
            nxt = np.searchsorted(bos_pos, at, side="right")
            next_bos = np.where(nxt < bos_pos.size, bos_pos[np.minimum(nxt, bos_pos.size - 1)], m)
            limits = next_bos - 1 - at  # the longest context starting at i that stays in i's sentence
        else:
            seg = np.zeros(m, np.int64)
            limits = m - 1 - at
        if max_suffix_len is not None:
            limits = np.minimum(limits, max_suffix_len)
        ms = idx.match_lengths(q, limits, continuation=True)
        # Segment ids are scaled past any reach, so the running maximum restarts per sentence.
        big = m + 1
        best = np.maximum.accumulate(seg * big + at + ms)
        t = positions
        start = np.minimum(np.searchsorted(best, seg[t] * big + t, side="left"), t)
        depth = t - start
        jlo, jhi, clo, chi = idx.ranges(q, start, depth + 1, with_prefix=True)
        has = depth > 0
        ends = np.zeros(t.size, bool)
        k = np.flatnonzero(has & (chi > clo))
        ends[k] = idx.sa_take(clo[k]) + depth[k] == idx.n
        clo = np.where(has, clo + ends, 0)
        chi = np.where(has, chi, idx.n)
        count = chi - clo
        prob = (jhi - jlo) / np.maximum(count, 1)
        sparse = np.zeros(t.size, bool)
        k = np.flatnonzero(has & (count > 0))
        sparse[k] = idx.column(clo[k], depth[k]) == idx.column(chi[k] - 1, depth[k])
        sparse[~has] = np.count_nonzero(idx.unigram_counts) == 1
        return MatchScores(t, prob, depth, count, sparse, clo, chi)

    def top_k_stream(self, scores: MatchScores, k: int = 1) -> np.ndarray:
        """The k most probable next ids at each scored position (ties: smaller id), from the
        blocks in `scores`; shape (len(scores), k), -1 where fewer than k tokens are possible.

        Positions sharing a block are ranked once. Small blocks (most long suffixes) are ranked
        together in one vectorized pass; large blocks (short, frequent suffixes) are few, and
        each is ranked by `SuffixArray.continuations` and cached.
        """
        if k < 1:
            raise InputError("k must be >= 1")
        q = len(scores)
        out = np.full((q, k), -1, np.int64)
        live = np.flatnonzero(scores.hi > scores.lo)
        if not live.size:
            return out
        # positions often share a block (short suffixes): rank each distinct block once
        keys = np.stack([scores.lo[live], scores.hi[live], scores.suffix_len[live]], axis=1)
        uniq, inverse = np.unique(keys, axis=0, return_inverse=True)
        tops = np.full((uniq.shape[0], k), -1, np.int64)
        size = uniq[:, 1] - uniq[:, 0]
        small = np.flatnonzero((size <= _BATCH_BLOCK) & (uniq[:, 2] > 0))
        if small.size:
            # in chunks of about 4M slots, so memory stays bounded on long streams
            ends = np.cumsum(size[small])
            cuts = np.searchsorted(ends, np.arange(_BATCH_SLOTS, int(ends[-1]), _BATCH_SLOTS), side="right")
            for part in np.split(small, np.unique(cuts)):
                if part.size:
                    tops[part] = self._top_of_small_blocks(uniq[part], k)
        for u in np.setdiff1d(np.arange(uniq.shape[0]), small).tolist():
            lo, hi, depth = uniq[u].tolist()
            got = self._top_of_block(lo, hi, depth, k)
            tops[u, : got.size] = got
        out[live] = tops[inverse.ravel()]
        return out

