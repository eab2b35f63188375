"""The queryable n-gram model: exact top-k, full distributions and vectorized scoring.

Data layout, per order n (index n-1 in every list):

    keys[n]         sorted parent * V + word (order 1 is implicit: the index is the word id);
                    uint32 where every possible key fits, else uint64
    logprob[n]      float32 log10 p(word | context) for every stored n-gram (backoff form)
    backoff[n]      float32 log10 b(n-gram as a context), orders below the top
    ranked_words[n] uint32 and ranked_lp[n] float32: the same n-grams' words and log10 p, in
                    parent order but best first within each parent, so the children of a context
                    sorted by probability are one slice (order 1: every token, best first)

Backoff-form query (KenLM's semantics): with h the last N-1 tokens and h_j its last j tokens,

    p(w | h) = p*(w | h_L) * prod_{j = L+1}^{|h|} b(h_j)

where L is the longest suffix of h such that h_L w is stored, and b(h_j) = 1 when h_j is not
stored. Every token whose probability comes from level L is multiplied by the same factor B_L,
so ranking within a level is ranking by stored probability: the exact top-k is the best of the
per-level top-k lists, where level L offers the children of h_L (best first, already sorted)
minus the tokens claimed by a longer suffix. That costs O(k * levels + children of the claimed
levels), never a scan of the vocabulary.

`NgramModel` is one class, over 450 lines, on purpose: every query (top-k, distributions,
scoring, the seen-continuation views decoding uses) reads the tables through the same few
private readers, which packed.py overrides to answer the same queries from its compact layout.
Splitting the queries apart would split those readers from their callers.
"""

from __future__ import annotations

import heapq
import math
import threading
from bisect import bisect_left
from typing import Sequence

import numpy as np

from ..errors import InputError, ModelFileError
from ..protocol import StreamScores
from ..text.vocab import BOS


class NgramModel:
    """An estimated backoff n-gram model over token ids [0, vocab_size) (the query side; built by
    `ngram.build`). Meets the `protocol.TokenModel` contract."""

    corpus_index = None  # an n-gram keeps counts, not the corpus

    @property
    def context_window(self) -> int:
        return self.order - 1

    @property
    def ngram(self) -> "NgramModel":
        return self

    def generation_view(self, prompt_context: Sequence[int]) -> "NgramModel":
        return self

    def __init__(self, order, vocab_size, keys, logprob, backoff, ranked=None, sentence_mode=True, meta=None):
        self.order = int(order)
        self.vocab_size = int(vocab_size)
        self.logprob = logprob
        self.backoff = backoff
        self.sentence_mode = bool(sentence_mode)
        self.meta = dict(meta or {})
        # keys[0] is None: unigrams are indexed by id. Narrow keys to uint32 where they fit.
        self.keys = [None] + [
            np.asarray(k, dtype=_key_dtype(len(logprob[n - 1]), self.vocab_size)) for n, k in enumerate(keys[1:], 1)
        ]
        self.ranked_words, self.ranked_lp = ranked if ranked is not None else self._rank()
        self._local = threading.local()
        # Single queries walk the trie with bisect over memoryviews: a C loop that yields Python
        # ints, about twice as fast as a numpy call on a scalar (numpy's per-call overhead).
        self._keys_mv = [None] + [memoryview(k) for k in self.keys[1:]]
        self._words_mv = [memoryview(np.ascontiguousarray(w)) for w in self.ranked_words]
        self._lp_mv = [memoryview(np.ascontiguousarray(lp)) for lp in self.ranked_lp]
        self._backoff_mv = [memoryview(np.ascontiguousarray(b)) for b in self.backoff]

    def _rank(self) -> tuple[list[np.ndarray], list[np.ndarray]]:
        V = self.vocab_size
        lp0 = self.logprob[0]
        ids = np.arange(V)
        if self.sentence_mode:
            ids = ids[ids != BOS]  # <s> is never predicted
        best = ids[np.lexsort((ids, -lp0[ids]))]
        words, lps = [best.astype(np.uint32)], [lp0[best]]
        for n in range(1, self.order):
            keys = self.keys[n].astype(np.uint64)
            parent, word = keys // np.uint64(V), (keys % np.uint64(V)).astype(np.uint32)
            # One stable sort on parent << 32 | bits(-log p): the bit patterns of non-negative
            # float32 order like the floats, and stability keeps ties in word order.
            neg = (np.float32(0) - self.logprob[n].astype(np.float32)).view(np.uint32)
            perm = np.argsort((parent << np.uint64(32)) | neg.astype(np.uint64), kind="stable")
            words.append(word[perm])
            lps.append(self.logprob[n][perm])
        return words, lps

    # ---------------------------------------------------------------- persistence

    def to_arrays(self, prefix: str = "ngram.") -> tuple[dict, dict[str, np.ndarray]]:
        meta = {
            "order": self.order,
            "vocab_size": self.vocab_size,
            "sentence_mode": self.sentence_mode,
            "sizes": self.sizes,
            **self.meta,
        }
        arrays = {}
        for n in range(self.order):
            if n:
                arrays[f"{prefix}keys.{n + 1}"] = self.keys[n]
            arrays[f"{prefix}logprob.{n + 1}"] = self.logprob[n]
            arrays[f"{prefix}ranked_words.{n + 1}"] = self.ranked_words[n]
            arrays[f"{prefix}ranked_lp.{n + 1}"] = self.ranked_lp[n]
            if n < self.order - 1:
                arrays[f"{prefix}backoff.{n + 1}"] = self.backoff[n]
        return meta, arrays

    @classmethod
    def from_arrays(cls, meta: dict, arrays: dict[str, np.ndarray], prefix: str = "ngram.") -> "NgramModel":
        """The model stored by `to_arrays`; its shapes and types are checked (`validate` checks
        the values too)."""
        N, V = meta.get("order"), meta.get("vocab_size")
        if not (_is_int(N) and 1 <= N <= 12 and _is_int(V) and 1 <= V < 2**32):
            raise ModelFileError("the n-gram header is corrupted (order or vocabulary size out of range)")
        try:
            keys = [None] + [arrays[f"{prefix}keys.{n}"] for n in range(2, N + 1)]
            logprob = [arrays[f"{prefix}logprob.{n}"] for n in range(1, N + 1)]
            backoff = [arrays[f"{prefix}backoff.{n}"] for n in range(1, N)]
            ranked = (
                [arrays[f"{prefix}ranked_words.{n}"] for n in range(1, N + 1)],
                [arrays[f"{prefix}ranked_lp.{n}"] for n in range(1, N + 1)],
            )
        except KeyError as e:
            raise ModelFileError(f"the model file lacks the n-gram table {e}") from None
        sentence_mode = meta.get("sentence_mode", True)
        _check_tables(N, V, keys, logprob, backoff, ranked, bool(sentence_mode))
        if "sizes" in meta and meta["sizes"] != [len(lp) for lp in logprob]:
            raise ModelFileError("the n-gram header is corrupted (its sizes disagree with the tables)")
        extra = {k: v for k, v in meta.items() if k not in ("order", "vocab_size", "sentence_mode", "sizes")}
        return cls(N, V, keys, logprob, backoff, ranked, sentence_mode, extra)

    def validate(self) -> None:
        """Check what the tables mean, not only their shapes (O(n log n); `verify` loads):
        keys sorted and pointing at existing parents and words, log-probabilities finite and at
        most 0, backoffs finite, and the best-first lists exactly those of the tables."""
        V = self.vocab_size
        for n in range(self.order):
            lp = self.logprob[n]
            if len(lp) and (not np.isfinite(lp).all() or lp.max() > 1e-4):
                raise ModelFileError(f"the {n + 1}-gram log-probabilities are corrupted")
            if n < self.order - 1 and len(self.backoff[n]) and not np.isfinite(self.backoff[n]).all():
                raise ModelFileError(f"the {n + 1}-gram backoffs are corrupted")
            if n:
                k = self.keys[n].astype(np.uint64)
                if len(k) and ((k[1:] <= k[:-1]).any() or int(k[-1]) // V >= len(self.logprob[n - 1])):
                    raise ModelFileError(f"the {n + 1}-gram keys are corrupted (unsorted or out of range)")
        words, lps = self._rank()
        for n in range(self.order):
            if not (np.array_equal(words[n], self.ranked_words[n]) and np.array_equal(lps[n], self.ranked_lp[n])):
                raise ModelFileError(f"the best-first list of the {n + 1}-grams is corrupted")

    # ---------------------------------------------------------------- lookups

    @property
    def sizes(self) -> list[int]:
        return [len(lp) for lp in self.logprob]

    def lookup(self, order: int, parents: np.ndarray, words: np.ndarray) -> np.ndarray:
        """Index in `order` of the n-grams (parent n-gram, word), or -1 where not stored (or where
        the parent is -1: those are not searched)."""
        keys = self.keys[order - 1]
        parents, words = np.broadcast_arrays(np.asarray(parents, dtype=np.int64), np.asarray(words, dtype=np.int64))
        out = np.full(parents.shape, -1, dtype=np.int64)
        if len(keys) == 0 or parents.size == 0:
            return out
        flat_parents, flat_words = parents.reshape(-1), words.reshape(-1)
        valid = np.flatnonzero(flat_parents >= 0)
        q = flat_parents[valid] * self.vocab_size + flat_words[valid]
        out.reshape(-1)[valid] = search_sorted_keys(keys, q)
        return out

    def _children(self, order: int, node: int) -> tuple[int, int]:
        """The range [lo, hi) of the children of `node` (an (order-1)-gram) in `order`."""
        mv = self._keys_mv[order - 1]
        first = node * self.vocab_size
        lo = bisect_left(mv, first)
        return lo, bisect_left(mv, first + self.vocab_size, lo)

    def _check_context(self, context: Sequence[int]) -> list[int]:
        """The last N-1 tokens of `context` as Python ints, checked to be valid ids."""
        keep = self.order - 1
        if keep == 0:
            return []
        tail = context[-keep:] if isinstance(context, (list, tuple, np.ndarray)) else list(context)[-keep:]
        ctx = tail.tolist() if isinstance(tail, np.ndarray) else [int(t) for t in tail]
        if ctx and (min(ctx) < 0 or max(ctx) >= self.vocab_size):
            raise InputError(f"token ids must lie in [0, {self.vocab_size})")
        return ctx

    def suffix_nodes(self, context: Sequence[int]) -> list[int]:
        """nodes[j] = index of the last j context tokens in order j, or -1; nodes[0] = 0 (root)."""
        ctx = self._check_context(context)
        L = len(ctx)
        nodes = [0] + [-1] * L
        if L == 0:
            return nodes
        # Extend every window of the context one token to the right at a time; the window that
        # starts at L - j after j steps is the suffix of length j. Python ints: the arrays are
        # tiny, and numpy's per-call overhead would dominate.
        V = self.vocab_size
        cur = ctx  # cur[a]: node of the window of the current length starting at a
        nodes[1] = ctx[-1]
        for j in range(2, L + 1):
            nxt = [-1] * (L - j + 1)
            for a in range(L - j + 1):
                if cur[a] >= 0:
                    nxt[a] = self._find_key(j, cur[a] * V + ctx[a + j - 1])
            cur = nxt
            nodes[j] = cur[-1]
            if nodes[j] < 0:
                break  # a longer suffix contains this one, so it is not stored either
        return nodes

    def _find_key(self, order: int, q: int) -> int:
        """The index of the key q in `order`, or -1 (a bisect over a memoryview)."""
        mv = self._keys_mv[order - 1]
        i = bisect_left(mv, q)
        return i if i < len(mv) and mv[i] == q else -1

    # What the queries read of the tables, in one place each, so that another storage (packed.py:
    # quantized values, compressed keys) answers the same queries by overriding only these.

    def _ranked_level(self, L: int, node: int):
        """Level L's candidates best first: (words, log10 p, lo, hi), where [lo, hi) is the slice
        of the two sequences holding the children of `node` in order L + 1 (level 0: all tokens)."""
        if L == 0:
            return self._words_mv[0], self._lp_mv[0], 0, len(self._words_mv[0])
        lo, hi = self._children(L + 1, node)
        return self._words_mv[L], self._lp_mv[L], lo, hi

    def _child_words(self, L: int, node: int, lo: int, hi: int) -> np.ndarray:
        """The words (ascending, int64) of `node`'s children [lo, hi) in order L + 1."""
        return (self.keys[L][lo:hi] % self.vocab_size).astype(np.int64)

    def _child_lp(self, L: int, lo: int, hi: int) -> np.ndarray:
        """The stored log10 p of the n-grams [lo, hi) of order L + 1."""
        return self.logprob[L][lo:hi]

    def _lp_at(self, L: int, idx) -> np.ndarray:
        """The stored log10 p of the n-grams `idx` of order L + 1."""
        return self.logprob[L][idx]

    def _levels(self, context):
        """(L, node, log10 factor B_L) for every level that can supply probabilities, top first."""
        nodes = self.suffix_nodes(context)
        deepest = max(j for j, nd in enumerate(nodes) if nd >= 0)
        levels, cum = [], 0.0
        for L in range(len(nodes) - 1, -1, -1):
            if L <= deepest:
                levels.append((L, nodes[L], cum))
            if L >= 1 and nodes[L] >= 0:
                cum += self._backoff_mv[L - 1][nodes[L]]
        return levels

    # ---------------------------------------------------------------- queries

    def top_k(self, context: Sequence[int], k: int, min_level: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """The k most probable next tokens and their probabilities, exactly, best first.

        Levels are visited longest context first, each best first; a level stops as soon as its
        next value (times the level's backoff factor) cannot beat the k-th best so far, so most
        levels look at a handful of tokens. Ties are broken by smaller id. With `min_level`, only
        tokens seen after the context's last `min_level` tokens compete (fewer than k may come
        back): the best of what the corpus showed there, with their exact probabilities.
        """
        if k <= 0:
            raise InputError(f"k must be a positive number, got {k}")
        heap: list[tuple[float, int]] = []  # (log10 p, -id): a min-heap of the best k so far
        room = k
        threshold = -math.inf
        claimed: set[int] = set()  # children of the small levels above
        big: list[tuple] = []  # large levels above (words, lo, hi), stamped only when needed
        stamp = stamp_mv = qid = None
        for L, node, cum in self._levels(context):
            if L < min_level:
                break
            words_mv, lp_mv, lo, hi = self._ranked_level(L, node)
            if lo == hi:
                continue
            for i in range(lo, hi):
                lp = lp_mv[i] + cum
                if lp < threshold:
                    break
                w = words_mv[i]
                if w in claimed:
                    continue
                if big:
                    if stamp is None:
                        stamp, qid = self._stamp()
                        stamp_mv = memoryview(stamp)
                    for bwords, blo, bhi in big:
                        stamp[np.asarray(bwords[blo:bhi])] = qid
                    big.clear()
                if stamp_mv is not None and stamp_mv[w] == qid:
                    continue
                item = (lp, -w)
                if room:
                    heapq.heappush(heap, item)
                    room -= 1
                elif item > heap[0]:
                    heapq.heapreplace(heap, item)
                else:
                    continue
                if not room:
                    threshold = heap[0][0]
            if L > 0:  # this level's tokens are settled: lower levels must skip them
                if hi - lo <= 64:
                    claimed.update(words_mv[lo:hi].tolist())
                else:
                    big.append((words_mv, lo, hi))
        best = sorted(heap, reverse=True)
        ids = np.array([-w for _, w in best], dtype=np.int64)
        return ids, 10.0 ** np.array([lp for lp, _ in best], dtype=np.float64)

    def seen_level(self, context: Sequence[int], min_branch: int = 2, min_context: int = 2) -> int:
        """How many of the last context tokens to condition on when only seen continuations may
        follow (decoding that reads like its corpus): the longest suffix with at least
        `min_branch` distinct continuations in the corpus, but a suffix of `min_context` tokens
        (or the whole context, if shorter) is used even with a single continuation, as markovify
        uses its state. Longer suffixes with a single continuation are passed over: following
        them would recite the corpus."""
        for L, node, _ in self._levels(context):
            if L == 0:
                return 0
            lo, hi = self._children(L + 1, node)
            if hi - lo >= min_branch or (hi > lo and L <= min_context):
                return L
        return 0

    def seen_continuations(self, context: Sequence[int], level: int) -> tuple[np.ndarray, np.ndarray]:
        """The tokens seen after the last `level` tokens of `context` (ascending ids) and their
        exact probabilities p(w | context) (a token also seen after a longer suffix gets that
        longer suffix's estimate, as in `distribution`)."""
        V = self.vocab_size
        found = None
        for L, node, cum in reversed(self._levels(context)):  # shortest first; longer overwrite
            if L < level:
                continue
            if L == 0:
                ids = np.arange(V, dtype=np.int64)
                lp = self.logprob[0].astype(np.float64) + cum
                if self.sentence_mode:
                    ids, lp = ids[ids != BOS], lp[ids != BOS]
                found = (ids, lp)
                continue
            lo, hi = self._children(L + 1, node)
            words = self._child_words(L, node, lo, hi)
            lps = self._child_lp(L, lo, hi).astype(np.float64) + cum
            if found is None:
                found = (words, lps)
            else:
                at = np.searchsorted(found[0], words)
                found[1][at] = lps
        if found is None:
            return np.zeros(0, np.int64), np.zeros(0)
        return found[0], 10.0 ** found[1]

    def seen_weights(self, context: Sequence[int], level: int) -> tuple[np.ndarray, np.ndarray]:
        """The tokens seen after the context's last `level` tokens (ascending ids) and their
        share of that context's (adjusted) counts, c(h w) / c(h): what the corpus did there.

        The counts are not stored, but the estimate gives them back: for a seen w,
        p(w | h) = (c(h w) - D) / c(h) + gamma(h) p(w | h'), so subtracting the interpolated
        lower order leaves the discounted share, and gamma(h) / n (the discount mass spread over
        h's n continuations) puts the average discount back. Level 0 gives the unigram estimate.
        """
        V = self.vocab_size
        levels = {L: (node, cum) for L, node, cum in self._levels(context)}
        if level == 0 or level not in levels:
            w = 10.0 ** self.logprob[0].astype(np.float64)
            if self.sentence_mode:
                w[BOS] = 0.0
            return np.arange(V, dtype=np.int64), w / w.sum()
        node = levels[level][0]
        lo, hi = self._children(level + 1, node)
        ids = self._child_words(level, node, lo, hi)
        p = 10.0 ** self._child_lp(level, lo, hi).astype(np.float64)
        gamma = 10.0 ** float(self._backoff_mv[level - 1][node])
        if level == 1:
            lower = 10.0 ** self.logprob[0][ids].astype(np.float64)
        else:  # every w seen after h was seen after h' too: it is among h's parent's children
            parent = levels[level - 1][0]
            plo, phi = self._children(level, parent)
            at = np.searchsorted(self._child_words(level - 1, parent, plo, phi), ids)
            lower = 10.0 ** self._lp_at(level - 1, plo + at).astype(np.float64)
        w = np.maximum(p - gamma * lower, 0.0) + gamma / len(ids)
        return ids, w / w.sum()

    def distribution(self, context: Sequence[int]) -> np.ndarray:
        """p(w | context) for every token id (float64; sums to 1; `<s>` gets 0)."""
        levels = self._levels(context)
        out = None
        for L, node, cum in reversed(levels):  # shortest first; longer suffixes overwrite
            if L == 0:
                out = self.logprob[0].astype(np.float64) + cum
            else:
                lo, hi = self._children(L + 1, node)
                out[self._child_words(L, node, lo, hi)] = self._child_lp(L, lo, hi) + cum
        p = 10.0 ** out
        if self.sentence_mode:
            p[BOS] = 0.0
        return p

    def probabilities(self, context: Sequence[int], ids: np.ndarray) -> np.ndarray:
        """p(w | context) for the given ids only: one vectorized lookup per level, no scan."""
        ids = np.asarray(ids, dtype=np.int64).reshape(-1)
        lp = np.zeros(len(ids))
        for L, node, cum in reversed(self._levels(context)):  # shortest first; longer overwrite
            if L == 0:
                lp = self.logprob[0][ids].astype(np.float64) + cum
            else:
                idx = self.lookup(L + 1, np.full(len(ids), node, dtype=np.int64), ids)
                found = idx >= 0
                lp[found] = self._lp_at(L, idx[found]) + cum
        p = 10.0**lp
        if self.sentence_mode:
            p[ids == BOS] = 0.0
        return p

    def score_stream(self, stream: np.ndarray) -> StreamScores:
        """Score every token of a sentence stream given its preceding tokens in the sentence."""
        ids = np.asarray(stream, dtype=np.int64).reshape(-1)
        if len(ids) and (ids.min() < 0 or ids.max() >= self.vocab_size):
            raise InputError(f"token ids must lie in [0, {self.vocab_size})")
        T = len(ids)
        # match[n][t]: index of the n-gram ending at t. context[j][t]: index of the j-gram
        # ending at t-1, which is both the context of length j and the parent of match[j+1].
        match, context = [None, ids], [None]
        for n in range(2, self.order + 1):
            before = np.full(T, -1, dtype=np.int64)
            before[1:] = match[n - 1][:-1]
            context.append(before)
            match.append(self.lookup(n, before, ids))
        lp = self._combine(ids, match, context)
        scored = np.flatnonzero(ids != BOS) if self.sentence_mode else np.arange(T)
        return StreamScores(lp[scored], ids[scored], scored)

    def logprob_rows(self, rows: np.ndarray) -> np.ndarray:
        """log10 p(row[-1] | row[:-1]) for each row (context columns..., token), vectorized."""
        rows = np.asarray(rows, dtype=np.int64)
        if rows.ndim != 2 or rows.shape[1] != self.order:
            raise InputError(f"rows must have shape (M, {self.order})")
        N = self.order
        M = rows.shape[0]
        match = [None] * (N + 1)
        context = [None] * N
        cur = rows  # windows of the current length, one column per start
        for length in range(1, N + 1):
            if length > 1:
                cur = self.lookup(length, cur[:, :-1], rows[:, length - 1 :])
            match[length] = cur[:, N - length]  # the window that ends at the token column
            if length < N:
                context[length] = cur[:, N - 1 - length]  # the window that ends just before it
        return self._combine(rows[:, -1], match, context).reshape(M)

    def _combine(self, target, match, context):
        """Backoff-form log10 p from the longest matches and the context nodes (see module doc)."""
        order = np.ones(len(target), dtype=np.int8)  # the longest match's order
        for n in range(2, self.order + 1):
            order[match[n] >= 0] = n
        lp = np.empty(len(target))
        for n in range(1, self.order + 1):  # one gather per token, from its longest match
            at = np.flatnonzero(order == n)
            lp[at] = self.logprob[n - 1][(target if n == 1 else match[n])[at]]
        for j in range(1, self.order):
            use = (context[j] >= 0) & (order <= j)
            lp[use] += self.backoff[j - 1][context[j][use]]
        return lp

    def _stamp(self) -> tuple[np.ndarray, int]:
        """A per-thread scratch array marking claimed tokens; a fresh query id avoids clearing it."""
        local = self._local
        if not hasattr(local, "stamp"):
            local.stamp = np.zeros(self.vocab_size, dtype=np.int64)
            local.qid = 0
        local.qid += 1
        return local.stamp, local.qid


def _is_int(x) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _check_tables(N, V, keys, logprob, backoff, ranked, sentence_mode) -> None:
    """Shapes and dtypes of stored tables (O(1)): what indexing them relies on."""
    def ok(a, dtypes, length):
        return isinstance(a, np.ndarray) and a.ndim == 1 and a.dtype in dtypes and len(a) == length

    f32, u32, keyt = (np.dtype(np.float32),), (np.dtype(np.uint32),), (np.dtype(np.uint32), np.dtype(np.uint64))
    if not ok(logprob[0], f32, V):
        raise ModelFileError("the unigram table is corrupted (its length is not the vocabulary size)")
    for n in range(N):
        size = len(logprob[n]) if isinstance(logprob[n], np.ndarray) else -1
        if not ok(logprob[n], f32, size) or (n and not ok(keys[n], keyt, size)):
            raise ModelFileError(f"the {n + 1}-gram tables are corrupted (lengths or types disagree)")
        if n < N - 1 and not ok(backoff[n], f32, size):
            raise ModelFileError(f"the {n + 1}-gram backoffs are corrupted (lengths or types disagree)")
        ranked_len = size - (1 if n == 0 and sentence_mode and V > 1 else 0)
        if not (ok(ranked[0][n], u32, ranked_len) and ok(ranked[1][n], f32, ranked_len)):
            raise ModelFileError(f"the best-first list of the {n + 1}-grams is corrupted (lengths disagree)")


def search_sorted_keys(keys: np.ndarray, q: np.ndarray) -> np.ndarray:
    """The index of each query in the sorted `keys`, or -1 where absent (q: int64, >= 0).

    numpy's searchsorted narrows each search from the previous result when the queries come
    sorted: far fewer cache misses on large tables. So the queries are sorted first, each
    carrying its position in its low bits (a plain sort, several times faster than argsort),
    and each distinct query is searched once (common n-grams repeat in any text).
    """
    n = len(q)
    if n <= 256:
        pos = np.minimum(keys.searchsorted(q.astype(keys.dtype)), len(keys) - 1)
        return np.where(keys[pos] == q, pos, -1)
    pos_bits = (n - 1).bit_length()
    top = int(q.max())
    if top.bit_length() + pos_bits <= 63:
        packed = q << pos_bits
        packed |= np.arange(n, dtype=np.int64)
        packed.sort()
        at = packed & ((1 << pos_bits) - 1)
        packed >>= pos_bits
        sorted_q = packed
    else:
        at = np.argsort(q, kind="stable")
        sorted_q = q[at]
    new = np.empty(n, dtype=bool)
    new[0] = True
    np.not_equal(sorted_q[1:], sorted_q[:-1], out=new[1:])
    distinct = sorted_q[new].astype(keys.dtype)
    pos = np.minimum(_search_near(keys, distinct), len(keys) - 1)
    found = np.where(keys[pos] == distinct, pos, -1)
    out = np.empty(n, dtype=np.int64)
    out[at] = found[np.cumsum(new) - 1]
    return out


def _search_near(keys: np.ndarray, q: np.ndarray, per: int = 1024) -> np.ndarray:
    """keys.searchsorted(q) for sorted q, searching each run of `per` queries only in the stretch
    of keys between the positions of its first query and the next run's: the searches stay in a
    few hundred kilobytes instead of roaming the whole table (a quarter faster on large tables)."""
    if len(q) < 4 * per:
        return keys.searchsorted(q)
    anchors = keys.searchsorted(q[::per]).tolist() + [len(keys)]
    out = np.empty(len(q), dtype=np.int64)
    for i in range(len(anchors) - 1):
        lo = anchors[i]
        out[i * per : (i + 1) * per] = keys[lo : anchors[i + 1]].searchsorted(q[i * per : (i + 1) * per])
        out[i * per : (i + 1) * per] += lo
    return out


def _key_dtype(n_parents: int, vocab_size: int):
    """uint32 when every key parent * V + word of this order fits in 32 bits."""
    return np.uint32 if n_parents * vocab_size < 2**32 else np.uint64
