"""A suffix array over the corpus's token-id stream: count any n-gram, find the longest seen suffix.

The corpus is one id stream ``s[0..n)`` (sentences written ``<s> t1 .. tk </s>`` back to back). Its
suffix array ``sa`` lists the start positions of all n suffixes ``s[p:]`` in lexicographic order,
where a suffix that runs out of tokens sorts before any longer one (the end of the stream acts as a
token smaller than every id). All occurrences of a pattern ``P`` of length m are then one
contiguous block ``sa[lo:hi]``: the suffixes whose first m tokens equal ``P``. So

* ``count(P) = hi - lo``, found by two binary searches (O(m log n));
* inside that block the suffixes are sorted by the token that follows ``P``, so the tokens that
  follow ``P`` form a *sorted* column ``s[sa[lo:hi] + m]``; its runs are the continuation counts,
  and a run's boundaries can be found by bisection without reading the whole column;
* extending ``P`` by one token on the right narrows the block (a binary search inside it), which
  is how a whole held-out stream is matched in lockstep (``match_lengths``).

This is the index of infini-gram (Liu et al. 2024), the scalable form of the original library's
"trie of every sentence": the trie's paths are the SA's blocks, without storing the trie.

Storage (storage.py): the stream and the SA in the fewest bytes per value, compared as raw bytes.
One small side table, ``first``, holds where each first token's block starts (the unigram table;
the first binary search becomes a lookup). Continuation tables of huge blocks (the most frequent
short suffixes) are cached in memory after their first use. Building is build.py.

`SuffixArray` is one class, a little over 450 lines, on purpose: every query, single-pattern or
batched (`ranges`, `match_lengths` are the lockstep forms of `find_range`), reads the same three
arrays through the same private readers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping

import numpy as np

from ..errors import InputError, ModelFileError
from ..text.vocab import BOS, EOS
from .storage import PackedUInts, TokenStream, as_id_array, as_pattern

FORMAT = 1
_DIRECT_COLUMN = 16384  # below this block size, reading the whole column beats bisecting it
_SAMPLES = 1024  # first sample of a larger column, to estimate how many runs it has
_FANOUT = 16  # samples per interval when bisecting a column for run boundaries
_CACHE_BLOCK = 65536  # continuation tables of blocks this large are cached ...
_CACHE_ENTRIES = 4_000_000  # ... up to this many (token, count) entries in all (64 MB)


@dataclass(frozen=True, eq=False)
class Occurrence:
    """One place a pattern occurs in the corpus, with the sentence(s) around it.

    `ids` runs from the ``<s>`` that opens the sentence holding the match's first token to the
    ``</s>`` that closes the sentence holding its last token, found by scanning at most about
    `max_tokens` ids around the match (so it is clipped when sentences are huge or absent); the
    match is ``ids[match_start : match_start + match_len]``. `position` is the match's offset in
    the corpus stream; map it to a document with the corpus's own document offsets.
    """

    position: int
    ids: np.ndarray
    match_start: int
    match_len: int


class SuffixArray:
    """The suffix-array index of one token-id stream. Build with `build.build_index(stream)`.

    Every query is exact. Ranges ``(lo, hi)`` are half-open blocks of SA slots.
    """

    def __init__(self, stream: TokenStream, sa: PackedUInts, first: np.ndarray):
        self._s = stream
        self._sa = sa
        self._first = first  # first[t] .. first[t+1]: the block of suffixes starting with token t
        self.n = len(stream)
        self.id_bound = int(first.shape[0]) - 1  # ids >= id_bound never occur
        self._unigram = np.diff(first.astype(np.int64))
        self._cache: dict[tuple[int, int, int], tuple[np.ndarray, np.ndarray]] = {}
        self._cache_size = 0

    # -- building and saving -----------------------------------------------------------------

    def to_arrays(self, prefix: str = "sa.") -> dict[str, np.ndarray]:
        """The arrays to store in a model file (pair with `meta()`), names starting with `prefix`."""
        return {prefix + "stream": self._s.raw, prefix + "sa": self._sa.raw, prefix + "first": self._first}

    def meta(self) -> dict[str, Any]:
        """JSON-able facts `from_arrays` needs besides the arrays."""
        return {"format": FORMAT, "n": self.n, "stream_width": self._s.width, "sa_width": self._sa.width}

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray], meta: Mapping[str, Any], prefix: str = "sa.") -> "SuffixArray":
        """Rebuild the index from `to_arrays`/`meta` output, e.g. the memory-mapped arrays of
        `read_model_file`: nothing is copied, so an index larger than RAM can still be queried."""
        try:
            if int(meta["format"]) > FORMAT:
                raise ModelFileError("the suffix-array index was written by a newer version; upgrade the package")
            n, sw, aw = int(meta["n"]), int(meta["stream_width"]), int(meta["sa_width"])
            raw_s, raw_sa, first = arrays[prefix + "stream"], arrays[prefix + "sa"], arrays[prefix + "first"]
        except (KeyError, TypeError, ValueError) as e:
            raise ModelFileError(f"the suffix-array index is incomplete or unreadable ({e!s})") from None
        ok = (
            1 <= sw <= 4
            and 1 <= aw <= 8
            and raw_s.ndim == 1
            and raw_s.dtype == np.uint8
            and raw_s.shape[0] == TokenStream.raw_length(n, sw)
            and raw_sa.ndim == 1
            and raw_sa.shape[0] == PackedUInts.raw_length(n, aw)
            and raw_sa.dtype.itemsize == (aw if aw in (1, 2, 4, 8) else 1)
        )
        if not ok:
            raise ModelFileError("the suffix-array index is corrupted (array shapes disagree with its header)")
        if (first.ndim != 1 or first.shape[0] < 2 or first.dtype not in (np.uint32, np.uint64)
                or int(first[-1]) != n):
            raise ModelFileError("the suffix-array index is corrupted (unigram table does not add up)")
        return cls(TokenStream(raw_s, sw), PackedUInts(raw_sa, aw), first)

    def validate(self) -> None:
        """Check the values (O(n)): the unigram table ascending, every SA entry and every id in
        range, and each first token's block holding suffixes that start with that token. (The
        order of suffixes inside a block is not checked: that is a sort, O(n log n) comparisons
        of token sequences.)"""
        first = self._first.astype(np.int64)
        if first[0] != 0 or (np.diff(first) < 0).any():
            raise ModelFileError("the suffix-array index is corrupted (unigram table not ascending)")
        chunk = 1 << 22
        for a in range(0, self.n, chunk):
            pos = self._sa.slice(a, min(self.n, a + chunk))
            if len(pos) and (pos.min() < 0 or pos.max() >= self.n):
                raise ModelFileError("the suffix-array index is corrupted (positions out of range)")
            owner = np.searchsorted(first, np.arange(a, a + len(pos)), side="right") - 1
            if not np.array_equal(self._s.take(pos), owner):
                raise ModelFileError("the suffix-array index is corrupted (a suffix is in the wrong block)")

    def clear_cache(self) -> None:
        """Forget the cached continuation tables of huge blocks (to measure cold queries)."""
        self._cache.clear()
        self._cache_size = 0

    @property
    def nbytes(self) -> int:
        """Bytes of the stored index (stream + SA + unigram table), not counting the cache."""
        return self._s.nbytes + self._sa.nbytes + int(self._first.nbytes)

    @property
    def bytes_per_token(self) -> float:
        return self.nbytes / self.n

    @property
    def stream(self) -> TokenStream:
        return self._s

    @property
    def unigram_counts(self) -> np.ndarray:
        """Count of each id (int64, length `id_bound`): the continuation counts of the empty suffix."""
        return self._unigram

    def sa_slice(self, lo: int, hi: int) -> np.ndarray:
        """Start positions of the suffixes in SA slots lo .. hi-1 (int64)."""
        return self._sa.slice(lo, hi)

    def sa_take(self, slots: np.ndarray) -> np.ndarray:
        """Start positions of the suffixes in the given SA slots (vectorized; int64)."""
        return self._sa.take(slots)

    # -- single-pattern queries --------------------------------------------------------------

    def find_range(self, tokens: Iterable[int] | np.ndarray) -> tuple[int, int]:
        """The SA block ``(lo, hi)`` of the suffixes that start with `tokens`; ``hi - lo`` is its
        count. The empty pattern matches every suffix: ``(0, n)``."""
        return self._find_range(as_pattern(tokens))

    def _find_range(self, pat: list[int]) -> tuple[int, int]:
        if not pat:
            return 0, self.n
        t0 = pat[0]
        if t0 >= self.id_bound:
            return self.n, self.n
        lo, hi = int(self._first[t0]), int(self._first[t0 + 1])
        if len(pat) == 1 or lo == hi:
            return lo, hi
        if max(pat) >= self.id_bound:
            return lo, lo
        # Compare the rest of the pattern with each probed suffix as raw big-endian bytes (see
        # TokenStream): a suffix that runs out of tokens gives a shorter, hence smaller, key.
        m = len(pat) - 1
        key = self._s.encode(pat[1:])
        sa_item, window = self._sa.item, self._s.window_bytes
        a, b = lo, hi
        while a < b:
            mid = (a + b) >> 1
            if window(sa_item(mid) + 1, m) < key:
                a = mid + 1
            else:
                b = mid
        lo = a
        b = hi
        while a < b:
            mid = (a + b) >> 1
            if window(sa_item(mid) + 1, m) <= key:
                a = mid + 1
            else:
                b = mid
        return lo, a

    def count(self, tokens: Iterable[int] | np.ndarray) -> int:
        """How many times `tokens` occurs in the stream (any length; the empty pattern gives n)."""
        lo, hi = self.find_range(tokens)
        return hi - lo

    def _continuation_range(self, pat: list[int]) -> tuple[int, int]:
        """The block of occurrences of `pat` that are followed by a token. At most one occurrence
        is not (the one ending the stream), and it is the block's first slot, being a prefix of
        all the others."""
        lo, hi = self._find_range(pat)
        if hi > lo and pat and self._sa.item(lo) + len(pat) == self.n:
            lo += 1
        return lo, hi

    def longest_suffix_match(
        self, context: Iterable[int] | np.ndarray, max_suffix_len: int | None = None
    ) -> tuple[int, int, int]:
        """``(suffix_len, lo, hi)``: the longest suffix of `context` (at most `max_suffix_len`
        tokens) that occurs in the stream followed by at least one token, and the block of those
        occurrences. ``suffix_len`` is 0 (block ``(0, n)``) when not even the last token occurs.

        Having a continuation is monotone in the suffix length (a suffix of a continued match is
        a continued match), so the length is found by doubling then bisection: O(log len) range
        searches, most of them on short patterns.
        """
        ctx = as_pattern(context)
        if max_suffix_len is not None:
            if max_suffix_len < 0:
                raise InputError("max_suffix_len must be >= 0")
            ctx = ctx[len(ctx) - max_suffix_len :] if max_suffix_len < len(ctx) else ctx
        m = len(ctx)
        best = (0, 0, self.n)
        good, length = 0, 1
        bad = m + 1
        while length <= m:
            lo, hi = self._continuation_range(ctx[m - length :])
            if hi > lo:
                good, best = length, (length, lo, hi)
                length *= 2
            else:
                bad = length
                break
        while bad - good > 1:
            mid = (good + bad) >> 1
            lo, hi = self._continuation_range(ctx[m - mid :])
            if hi > lo:
                good, best = mid, (mid, lo, hi)
            else:
                bad = mid
        return best

    def next_token_counts(
        self, context: Iterable[int] | np.ndarray, max_suffix_len: int | None = None
    ) -> tuple[int, np.ndarray, np.ndarray]:
        """``(suffix_len, token_ids, counts)``: the tokens that follow the longest matched suffix
        of `context` in the corpus, ascending by id, with how often each does (exact; the counts
        add up to the suffix's continuation count). Suffix length 0 reads the unigram table."""
        length, lo, hi = self.longest_suffix_match(context, max_suffix_len)
        tokens, counts = self.continuations(lo, hi, length)
        return length, tokens, counts

    def continuations(self, lo: int, hi: int, depth: int) -> tuple[np.ndarray, np.ndarray]:
        """Distinct tokens at offset `depth` of the suffixes in block ``[lo, hi)`` and their counts.

        The block must be one whose suffixes share their first `depth` tokens (a `find_range`
        block) and all reach past `depth`. For depth 0 and the whole SA it is the unigram table.
        Otherwise the column is sorted, so only run boundaries need finding. A block of up to
        16,384 slots, or one whose first 1,024-point sample shows many distinct tokens, is read
        whole (one vectorized gather). In a larger block with long runs, an interval whose two
        end tokens are equal is one run, and only intervals whose ends differ are split (16
        ways, vectorized over all intervals): O(d * 16 * log16(block / d)) reads for d distinct
        continuations instead of the whole block. Always exact; no sampling of counts.
        """
        if hi <= lo:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        if depth == 0 and lo == 0 and hi == self.n:
            tokens = np.flatnonzero(self._unigram)
            return tokens.astype(np.int64), self._unigram[tokens]
        big = hi - lo >= _CACHE_BLOCK
        if big:
            hit = self._cache.get((lo, hi, depth))  # one lookup: safe if another thread clears
            if hit is not None:
                return hit
        starts = self._run_starts(lo, hi, depth)
        tokens = self.column(starts, depth)
        counts = np.diff(np.append(starts, hi))
        if big:
            # Huge blocks belong to the few most frequent short suffixes, which recur constantly
            # (every "the ..." context); keep their tables, within a bounded number of entries.
            if self._cache_size + tokens.size > _CACHE_ENTRIES:
                self._cache.clear()
                self._cache_size = 0
            self._cache[(lo, hi, depth)] = (tokens, counts)
            self._cache_size += tokens.size
        return tokens, counts

    def column(self, slots: np.ndarray, depth: int | np.ndarray) -> np.ndarray:
        """Token at offset `depth` of the suffix in each SA slot (vectorized; int64); -1 where
        the stream has ended. Inside a `find_range` block of a depth-token pattern this column is
        sorted: it lists what followed the pattern."""
        p = self._sa.take(slots) + depth
        out = np.full(p.shape, -1, np.int64)
        inside = p < self.n
        out[inside] = self._s.take(p[inside])
        return out

    def _run_starts(self, lo: int, hi: int, depth: int) -> np.ndarray:
        """SA slots in [lo, hi) where the (sorted) column at `depth` starts a new run.

        Reading the whole column costs one gather per slot. Bisection pays off only when runs
        are long, so a first sample of the column decides: if many adjacent samples already
        differ (many distinct continuations), read everything.
        """
        r = hi - lo
        if r > _DIRECT_COLUMN:
            pts = lo + (np.arange(_SAMPLES + 1, dtype=np.int64) * (r - 1)) // _SAMPLES
            col = self.column(pts, depth)
            diff = col[1:] != col[:-1]
            if diff.mean() <= 0.25:
                return self._bisect_runs(lo, pts[:-1][diff], pts[1:][diff], depth)
        col = self.column(np.arange(lo, hi, dtype=np.int64), depth)
        return lo + np.flatnonzero(np.concatenate(([True], col[1:] != col[:-1])))

    def _bisect_runs(self, lo: int, a: np.ndarray, b: np.ndarray, depth: int) -> np.ndarray:
        """Run starts inside the intervals [a, b] (inclusive) whose end tokens differ, plus lo."""
        found = [np.array([lo], np.int64)]
        steps = np.arange(_FANOUT + 1, dtype=np.int64)
        while a.size:
            small = (b - a) <= _FANOUT
            if small.any():
                # read every slot of the short intervals; record where the token changes
                sa_, sb_ = a[small], b[small]
                lens = sb_ - sa_ + 1
                heads = np.concatenate(([0], np.cumsum(lens[:-1])))
                slots = np.arange(int(lens.sum()), dtype=np.int64) + np.repeat(sa_ - heads, lens)
                col = self.column(slots, depth)
                change = np.zeros(slots.size, bool)
                change[1:] = col[1:] != col[:-1]
                change[heads] = False
                found.append(slots[change])
            a, b = a[~small], b[~small]
            if not a.size:
                break
            pts = a[:, None] + ((b - a)[:, None] * steps[None, :]) // _FANOUT
            col = self.column(pts.ravel(), depth).reshape(pts.shape)
            diff = col[:, 1:] != col[:, :-1]
            a, b = pts[:, :-1][diff], pts[:, 1:][diff]
        return np.unique(np.concatenate(found))

    # -- batched queries over an id stream ---------------------------------------------------

    def _bounds(self, lo: np.ndarray, hi: np.ndarray, depth: np.ndarray, tok: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Narrow each block ``[lo, hi)`` (suffixes sharing `depth` tokens) to the suffixes whose
        next token is `tok`: lockstep binary searches for the lower and upper bound."""
        q = lo.size
        left = np.concatenate([lo, lo])
        right = np.concatenate([hi, hi])
        target = np.concatenate([tok, tok])
        dep = np.concatenate([depth, depth])
        upper = np.zeros(2 * q, bool)
        upper[q:] = True
        act = np.flatnonzero(left < right)
        while act.size:
            la, ra = left[act], right[act]
            mid = (la + ra) >> 1
            key = self.column(mid, dep[act])
            t = target[act]
            go_right = np.where(upper[act], key <= t, key < t)
            left[act] = np.where(go_right, mid + 1, la)
            right[act] = np.where(go_right, ra, mid)
            act = act[left[act] < right[act]]
        return left[:q], left[q:]

    def _first_block(self, tok: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        ok = tok < self.id_bound
        t = np.where(ok, tok, 0)
        lo = np.where(ok, self._first[t].astype(np.int64), self.n)
        hi = np.where(ok, self._first[t + 1].astype(np.int64), self.n)
        return lo, hi

    def ranges(
        self, ids: np.ndarray, starts: np.ndarray, lengths: np.ndarray, *, with_prefix: bool = False
    ) -> tuple[np.ndarray, ...]:
        """Vectorized `find_range` for the patterns ``ids[start : start + length]``: int64 arrays
        ``lo, hi``; with `with_prefix`, also ``plo, phi``, the blocks of the patterns less their
        last token (empty patterns have an empty prefix block). Patterns are extended one token
        at a time in lockstep, so the prefix blocks come for free."""
        q = as_id_array(ids)
        st = np.asarray(starts, np.int64)
        ln = np.asarray(lengths, np.int64)
        if st.shape != ln.shape or st.ndim != 1:
            raise InputError("starts and lengths must be 1-D arrays of the same length")
        if st.size and (st.min() < 0 or ln.min() < 0 or int((st + ln).max()) > q.size):
            raise InputError("a pattern runs outside the id array")
        lo = np.zeros(st.size, np.int64)
        hi = np.full(st.size, self.n, np.int64)
        plo = np.zeros(st.size, np.int64)  # a one-token pattern's prefix is the empty pattern
        phi = np.where(ln >= 1, self.n, 0)
        act = np.flatnonzero(ln > 0)
        if act.size:
            lo[act], hi[act] = self._first_block(q[st[act]])
        d = 1
        while act.size:
            # lo, hi now hold the blocks of the first d tokens of the patterns in `act`
            rec = act[ln[act] == d + 1]
            plo[rec], phi[rec] = lo[rec], hi[rec]
            dead = act[(hi[act] <= lo[act]) & (ln[act] > d + 1)]
            plo[dead], phi[dead] = lo[dead], lo[dead]
            act = act[(ln[act] > d) & (hi[act] > lo[act])]
            if not act.size:
                break
            lo[act], hi[act] = self._bounds(lo[act], hi[act], np.full(act.size, d, np.int64), q[st[act] + d])
            d += 1
        return (lo, hi, plo, phi) if with_prefix else (lo, hi)

    def match_lengths(
        self, ids: np.ndarray, limits: np.ndarray | None = None, *, continuation: bool = True
    ) -> np.ndarray:
        """Matching statistics: for each start i, the largest l <= limits[i] such that
        ``ids[i : i + l]`` occurs in the stream (followed by a token, if `continuation`).

        All starts are extended in lockstep, one token per round, each round a vectorized
        binary search inside every still-matching block; the number of rounds is the longest
        match plus one.
        """
        q = as_id_array(ids)
        m = q.size
        room = m - np.arange(m, dtype=np.int64)
        lim = room if limits is None else np.minimum(np.asarray(limits, np.int64), room)
        out = np.zeros(m, np.int64)
        act = np.flatnonzero(lim >= 1)
        if not act.size:
            return out
        lo, hi = self._first_block(q[act])
        d = 1
        while act.size:
            ok = hi > lo
            if continuation:
                ends = np.zeros(act.size, bool)
                nz = np.flatnonzero(ok)
                ends[nz] = self._sa.take(lo[nz]) + d == self.n
                ok &= (hi - lo - ends) > 0
            out[act[ok]] = d
            keep = ok & (lim[act] > d)
            act, lo, hi = act[keep], lo[keep], hi[keep]
            if not act.size:
                break
            lo, hi = self._bounds(lo, hi, np.full(act.size, d, np.int64), q[act + d])
            d += 1
        return out

    # -- positions and attribution -----------------------------------------------------------

    def positions(self, tokens: Iterable[int] | np.ndarray, limit: int | None = 10) -> np.ndarray:
        """Start positions of up to `limit` occurrences of `tokens` (all with limit=None),
        ascending. Which ones are returned when there are more is the SA's order (by the text
        that follows), which is arbitrary but deterministic."""
        if limit is not None and limit < 0:
            raise InputError("limit must be >= 0 or None")
        lo, hi = self.find_range(tokens)
        if limit is not None:
            hi = min(hi, lo + limit)
        return np.sort(self._sa.slice(lo, hi))

    def occurrences(
        self, tokens: Iterable[int] | np.ndarray, limit: int = 2, *, max_tokens: int = 400
    ) -> list[Occurrence]:
        """Where `tokens` occurs, with the whole sentence(s) around each occurrence (for
        attribution: "this prediction came from here"). At most `limit` occurrences; each
        `Occurrence.ids` holds at most about `max_tokens` ids around the match."""
        pat = as_pattern(tokens)
        if limit < 0 or max_tokens < 1:
            raise InputError("limit must be >= 0 and max_tokens >= 1")
        return [self.occurrence_at(int(p), len(pat), max_tokens=max_tokens) for p in self.positions(pat, limit)]

    def occurrence_at(self, position: int, match_len: int, *, max_tokens: int = 400) -> Occurrence:
        """The sentence(s) around ``stream[position : position + match_len]``: back to the
        nearest ``<s>`` and on to the nearest ``</s>``, looking at most about `max_tokens` ids
        around the match."""
        if match_len < 0 or not 0 <= position <= self.n - match_len:
            raise InputError(f"no span of {match_len} tokens at position {position} in a stream of {self.n}")
        end = position + match_len  # exclusive
        margin = max(0, (max_tokens - match_len) // 2)
        # the first token's sentence starts at the last <s> at or before it ...
        lo = max(0, position - margin)
        before = self._s.slice(lo, min(position + 1, self.n))
        bos = np.flatnonzero(before == BOS)
        start = lo + int(bos[-1]) if bos.size else lo
        # ... and the last token's sentence ends at the first </s> at or after it
        last = max(end - 1, position)
        after = self._s.slice(last, min(self.n, last + 1 + margin))
        eos = np.flatnonzero(after == EOS)
        stop = last + int(eos[0]) + 1 if eos.size else last + after.size
        stop = max(stop, end)
        return Occurrence(
            position=position,
            ids=self._s.slice(start, stop),
            match_start=position - start,
            match_len=match_len,
        )
