"""The math of the hybrid: mixing the unbounded-context estimate with a smoothed fixed-order n-gram
model, fitting the mixing weights, and guard rails against copying the corpus when generating.
(The model object that holds the parts is hybrid.py.)

The rule
--------
For a context c whose longest matched suffix has length L, continuation count C and D distinct
continuations (see estimate.py),

    P(w | c) = lam(b) * P_inf(w | c) + (1 - lam(b)) * P_ngram(w | c),     b = bucket(L, C, D == 1),

with one weight per bucket of (suffix length, count, sparse), fitted by EM to maximize the
likelihood of held-out text (never the test text). Why this rule:

* Linear interpolation keeps a proper distribution (both parts sum to 1) and inherits the
  n-gram's smoothing: every token the n-gram allows keeps a non-zero probability, which the
  unsmoothed infinity-gram alone cannot give (on the books it assigns 0 to about half of the
  held-out tokens).
* How far the infinity-gram can be trusted depends on the evidence behind it, which is exactly
  what (L, C, sparse) measure. A long match means the context is a verbatim passage of the corpus
  and the ML estimate is often right; a count of 1 is a single anecdote; Liu et al. (2024) found
  that "sparse" estimates (one distinct continuation) are correct far more often than the others
  and used separate weights for them. Bucketing the weight by these statistics is the classical
  Jelinek-Mercer recipe of tying interpolation weights by context counts (Bahl et al. 1983; Chen &
  Goodman 1998), here with the infinity-gram's own statistics.
* For fixed buckets the held-out log-likelihood is concave in the weights, so EM (each weight
  becomes the mean posterior responsibility of the infinity-gram in its bucket) climbs to the
  optimum. Thin buckets are shrunk toward their suffix-length bucket, and that toward the global
  weight, by `prior` pseudo-tokens (a Beta prior centred on the parent), so a bucket seen twice in
  the held-out text cannot get an extreme weight. Weights are capped at `LAMBDA_MAX` so the
  n-gram always keeps some mass.

Guard rails
-----------
When the context is a long verbatim corpus passage, the infinity-gram is a point mass on the
corpus's next token, and a sampler would copy the corpus indefinitely. `CopyGuard` lets a decoder
(a) cap the suffix length the estimate may use, and (b) drop the infinity-gram's weight to 0 once
the last `max_copy_run` *generated* tokens all lie inside one verbatim match (the prompt itself
may be a quotation; only generated tokens count). Default for generation: `DEFAULT_COPY_GUARD`,
no length cap and ``max_copy_run=16``, so the unbounded part never pushes a generated copy past 16
tokens (the n-gram alone can still continue a quote for a few tokens; `copy_rate` measures how
often outputs contain 20+ token spans of the corpus). Scoring and single-step prediction use no
guard.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np

from ..errors import EstimationError, InputError
from ..text.vocab import BOS
from .estimate import UnboundedMatch, UnboundedModel
from .index import SuffixArray
from .storage import as_id_array

DEFAULT_LEN_EDGES: tuple[int, ...] = (0, 1, 2, 3, 4, 5, 6, 8, 11, 16, 24)
DEFAULT_COUNT_EDGES: tuple[int, ...] = (1, 2, 4, 10, 100)
LAMBDA_MAX = 0.995


def _bucket(edges: Sequence[int], values: np.ndarray) -> np.ndarray:
    """Index of the bucket [edges[j], edges[j+1]) holding each value (values below edges[0] go
    to bucket 0, values past the last edge to the last bucket)."""
    return np.clip(np.searchsorted(np.asarray(edges), values, side="right") - 1, 0, len(edges) - 1)


@dataclass(frozen=True, eq=False)
class HybridWeights:
    """The infinity-gram's weight per (suffix-length bucket, count bucket, sparse) cell.

    ``lambdas[i, j, s]`` applies to suffix lengths in ``[len_edges[i], len_edges[i+1])``, counts
    in ``[count_edges[j], count_edges[j+1])`` and sparse == s. `support` holds how many held-out
    tokens fell in each cell when the weights were fitted (diagnostics; zeros when not fitted).
    """

    lambdas: np.ndarray
    len_edges: tuple[int, ...] = DEFAULT_LEN_EDGES
    count_edges: tuple[int, ...] = DEFAULT_COUNT_EDGES
    support: np.ndarray = field(default=None)  # type: ignore[assignment]

    def __post_init__(self):
        shape = (len(self.len_edges), len(self.count_edges), 2)
        lam = np.asarray(self.lambdas, np.float64)
        if lam.shape != shape:
            raise InputError(f"lambdas must have shape {shape}, got {lam.shape}")
        if not np.all((lam >= 0) & (lam <= 1)):
            raise InputError("mixing weights must lie in [0, 1]")
        object.__setattr__(self, "lambdas", lam)
        sup = np.zeros(shape, np.int64) if self.support is None else np.asarray(self.support, np.int64)
        object.__setattr__(self, "support", sup)

    @classmethod
    def constant(cls, value: float, len_edges=DEFAULT_LEN_EDGES, count_edges=DEFAULT_COUNT_EDGES) -> "HybridWeights":
        """The same weight everywhere (a baseline; prefer `fit_weights`)."""
        return cls(np.full((len(len_edges), len(count_edges), 2), float(value)), tuple(len_edges), tuple(count_edges))

    def cells(self, suffix_len, count, sparse) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return (
            _bucket(self.len_edges, np.asarray(suffix_len)),
            _bucket(self.count_edges, np.asarray(count)),
            np.asarray(sparse).astype(np.int64),
        )

    def lam(self, suffix_len, count, sparse) -> np.ndarray:
        """The weight for each (suffix_len, count, sparse), vectorized (scalars give a 0-d array)."""
        return self.lambdas[self.cells(suffix_len, count, sparse)]

    def to_meta(self) -> dict[str, Any]:
        """JSON-able form, for a model file's meta."""
        return {
            "len_edges": list(self.len_edges),
            "count_edges": list(self.count_edges),
            "lambdas": self.lambdas.round(6).tolist(),
            "support": self.support.tolist(),
        }

    @classmethod
    def from_meta(cls, meta: Mapping[str, Any]) -> "HybridWeights":
        try:
            support = np.array(meta["support"], np.int64) if "support" in meta else None
            return cls(
                np.array(meta["lambdas"], np.float64),
                tuple(int(x) for x in meta["len_edges"]),
                tuple(int(x) for x in meta["count_edges"]),
                support,
            )
        except (KeyError, TypeError, ValueError) as e:
            raise InputError(f"unreadable hybrid weights ({e!s})") from None


def _info_arrays(info: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """suffix_len, count, sparse from a `MatchScores`, any object or mapping with those fields."""
    get = (lambda k: info[k]) if isinstance(info, Mapping) else (lambda k: getattr(info, k))
    try:
        return (
            np.asarray(get("suffix_len"), np.int64),
            np.asarray(get("count"), np.int64),
            np.asarray(get("sparse"), bool),
        )
    except (KeyError, AttributeError) as e:
        raise InputError(f"unbounded info needs suffix_len, count and sparse per token ({e!s})") from None


def _check_probs(name: str, p: Any, n: int, positive: bool) -> np.ndarray:
    a = np.asarray(p, np.float64)
    if a.shape != (n,):
        raise InputError(f"{name} must have shape ({n},), got {a.shape}")
    if not np.all(np.isfinite(a)) or np.any(a < 0) or np.any(a > 1 + 1e-9):
        raise InputError(f"{name} must be probabilities in [0, 1]")
    if positive and np.any(a <= 0):
        raise EstimationError(f"{name} has zeros: the n-gram side must be a smoothed model (p > 0 everywhere)")
    return a


def mix(p_unbounded: np.ndarray, p_ngram: np.ndarray, lam: np.ndarray | float) -> np.ndarray:
    """lam * p_unbounded + (1 - lam) * p_ngram (elementwise, broadcasting)."""
    lam = np.asarray(lam, np.float64)
    return lam * np.asarray(p_unbounded, np.float64) + (1.0 - lam) * np.asarray(p_ngram, np.float64)


def fit_weights(
    unbounded_info_per_token: Any,
    p_unbounded_per_token: np.ndarray,
    p_ngram_per_token: np.ndarray,
    *,
    len_edges: Sequence[int] = DEFAULT_LEN_EDGES,
    count_edges: Sequence[int] = DEFAULT_COUNT_EDGES,
    prior: float = 20.0,
    max_iter: int = 500,
    tol: float = 1e-7,
) -> HybridWeights:
    """Fit the bucketed weights by EM on held-out tokens (see the module docstring).

    `unbounded_info_per_token` has per-token ``suffix_len``, ``count`` and ``sparse`` (a
    `MatchScores` does); `p_unbounded_per_token` and `p_ngram_per_token` are the two models'
    probabilities of the held-out tokens (plain probabilities, the n-gram's all > 0). `prior` is
    the shrinkage strength in pseudo-tokens. Stops when the mean log-likelihood gains less than
    `tol` per iteration.
    """
    suffix_len, count, sparse = _info_arrays(unbounded_info_per_token)
    n = suffix_len.size
    if n == 0:
        raise EstimationError("cannot fit mixing weights on zero held-out tokens")
    if count.shape != (n,) or sparse.shape != (n,):
        raise InputError("suffix_len, count and sparse must have one entry per token")
    pu = _check_probs("p_unbounded_per_token", p_unbounded_per_token, n, positive=False)
    pn = _check_probs("p_ngram_per_token", p_ngram_per_token, n, positive=True)
    if prior < 0:
        raise InputError("prior must be >= 0")
    weights = HybridWeights.constant(0.5, tuple(len_edges), tuple(count_edges))
    li, ci, si = weights.cells(suffix_len, count, sparse)
    shape = weights.lambdas.shape
    cell = np.ravel_multi_index((li, ci, si), shape)
    n_cells, n_len = int(np.prod(shape)), shape[0]
    support = np.bincount(cell, minlength=n_cells)
    len_support = np.bincount(li, minlength=n_len)
    cell_len = np.unravel_index(np.arange(n_cells), shape)[0]
    lam_cell = np.full(n_cells, 0.5)
    prev = -np.inf
    for _ in range(max_iter):
        lam = lam_cell[cell]
        mixed = lam * pu + (1 - lam) * pn
        ll = float(np.mean(np.log(mixed)))
        if ll - prev < tol:
            break
        prev = ll
        resp = lam * pu / mixed  # posterior that the token came from the infinity-gram
        lam_global = float(resp.mean())
        lam_len = _shrunk(np.bincount(li, resp, n_len), len_support, prior, lam_global)
        lam_cell = _shrunk(np.bincount(cell, resp, n_cells), support, prior, lam_len[cell_len])
        lam_cell = np.clip(lam_cell, 0.0, LAMBDA_MAX)
    return HybridWeights(lam_cell.reshape(shape), tuple(len_edges), tuple(count_edges), support.reshape(shape))


def _shrunk(resp_sum: np.ndarray, support: np.ndarray, prior: float, parent) -> np.ndarray:
    """MAP weight of each bucket under a Beta prior of `prior` pseudo-tokens at the parent's
    weight; an empty bucket (with no prior) simply takes the parent's weight."""
    parent = np.broadcast_to(np.asarray(parent, np.float64), support.shape)
    denom = support + prior
    out = parent.copy()
    ok = denom > 0
    out[ok] = (resp_sum[ok] + prior * parent[ok]) / denom[ok]
    return out


def hybrid_logprobs(
    unbounded_info_per_token: Any, p_unbounded_per_token: np.ndarray, ngram_logprobs: np.ndarray, weights: HybridWeights
) -> np.ndarray:
    """log10 P_hybrid of each scored token, from the infinity-gram's per-token info and
    probability and the n-gram's log10 probabilities of the same tokens."""
    suffix_len, count, sparse = _info_arrays(unbounded_info_per_token)
    n = suffix_len.size
    lp = np.asarray(ngram_logprobs, np.float64)
    if lp.shape != (n,):
        raise InputError(f"ngram_logprobs must have shape ({n},), got {lp.shape}")
    pu = _check_probs("p_unbounded_per_token", p_unbounded_per_token, n, positive=False)
    with np.errstate(divide="ignore"):
        return np.log10(mix(pu, 10.0**lp, weights.lam(suffix_len, count, sparse)))


# --------------------------------------------------------------------------------------------
# One step of decoding
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CopyGuard:
    """Decoding options that stop the unbounded estimate from copying the corpus.

    `max_suffix_len`: the longest context suffix the infinity-gram may match (None: no cap).
    `max_copy_run`: once the last this-many generated tokens all lie in one verbatim corpus match
    (the matched suffix reaches back at least that far into the generated text), the
    infinity-gram's weight is 0 until the match breaks (None: never).
    """

    max_suffix_len: int | None = None
    max_copy_run: int | None = 16

    def __post_init__(self):
        for name in ("max_suffix_len", "max_copy_run"):
            v = getattr(self, name)
            if v is not None and v < 1:
                raise InputError(f"{name} must be >= 1 or None")

    def allows_unbounded(self, suffix_len: int, n_generated: int) -> bool:
        """Whether the infinity-gram may still be used after `n_generated` generated tokens whose
        context's matched suffix has `suffix_len` tokens."""
        return self.max_copy_run is None or min(suffix_len, n_generated) < self.max_copy_run


DEFAULT_COPY_GUARD = CopyGuard()


def weight_for(weights: HybridWeights, match: UnboundedMatch, guard: CopyGuard | None = None,
               n_generated: int = 0) -> float:
    """The infinity-gram's weight for one context: its bucket's weight, or 0 when the copy
    guard has seen `n_generated` generated tokens copied from the corpus for too long."""
    if guard is not None and not guard.allows_unbounded(match.suffix_len, n_generated):
        return 0.0
    return float(weights.lam(match.suffix_len, match.count, match.sparse))


@dataclass(frozen=True, eq=False)
class HybridStep:
    """The mixed next-token distribution for one context, the weight used, and the match."""

    probs: np.ndarray
    lam: float
    match: UnboundedMatch


def hybrid_distribution(
    unbounded: UnboundedModel,
    context: Iterable[int] | np.ndarray,
    ngram_probs: np.ndarray,
    weights: HybridWeights,
    *,
    guard: CopyGuard | None = None,
    n_generated: int = 0,
) -> HybridStep:
    """Mix the infinity-gram's distribution for `context` with `ngram_probs` (the n-gram's
    distribution for the same context, shape (vocab,)). With a `guard`, the suffix may be capped
    and the weight dropped to 0 after a long copied run of the last `n_generated` tokens."""
    pn = np.asarray(ngram_probs, np.float64)
    if pn.ndim != 1 or pn.size == 0:
        raise InputError("ngram_probs must be a 1-D distribution over the vocabulary")
    if abs(float(pn.sum()) - 1.0) > 1e-4:  # a distribution, up to the rounding of float32 tables
        raise InputError(f"ngram_probs must sum to 1 (got {float(pn.sum()):.6g})")
    if n_generated < 0:
        raise InputError("n_generated must be >= 0")
    cap = guard.max_suffix_len if guard is not None else None
    pu, match = unbounded.distribution_and_match(context, pn.size, cap)
    lam = weight_for(weights, match, guard, n_generated)
    return HybridStep(mix(pu, pn, lam), lam, match)


def hybrid_top_k(
    unbounded: UnboundedModel,
    context: Iterable[int] | np.ndarray,
    k: int,
    weights: HybridWeights,
    ngram_top_k: Callable[[int], tuple[np.ndarray, np.ndarray]],
    ngram_probabilities: Callable[[np.ndarray], np.ndarray],
    *,
    guard: CopyGuard | None = None,
    n_generated: int = 0,
) -> tuple[np.ndarray, np.ndarray, float, UnboundedMatch]:
    """The exact top-k of the hybrid distribution without scanning the vocabulary:
    ``(ids, probs, lam, match)``, best first, ties broken by the smaller id.

    `ngram_top_k(k)` must return the n-gram's exact top-k ``(ids, probs)`` for this context
    (ties: smaller id first) and `ngram_probabilities(ids)` the n-gram's probabilities of given ids.
    Why it is exact: a token the infinity-gram never saw after the matched suffix scores
    ``(1 - lam) * p_ngram``, so any such token outside the n-gram's top-k is beaten by all k
    tokens of that top-k. The top-k therefore lies among the n-gram's top-k and the suffix's
    continuations, and only those are scored.
    """
    if k < 1:
        raise InputError("k must be >= 1")
    cap = guard.max_suffix_len if guard is not None else None
    match, tokens, counts = unbounded.next_token_counts(context, cap)
    lam = weight_for(weights, match, guard, n_generated)
    top_ids, top_p = (np.asarray(a) for a in ngram_top_k(k))
    cand = np.union1d(top_ids.astype(np.int64), tokens) if lam > 0 else top_ids.astype(np.int64)
    pn = np.asarray(ngram_probabilities(cand), np.float64)
    pu = np.zeros(cand.size)
    if lam > 0:
        pu[np.searchsorted(cand, tokens)] = counts / counts.sum()
    p = mix(pu, pn, lam)
    order = np.lexsort((cand, -p))[:k]
    return cand[order], p[order], lam, match


# --------------------------------------------------------------------------------------------
# Measuring copying, and held-out text for tuning
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CopiedSpan:
    """The longest span of a sequence found verbatim in the corpus: ``ids[start : start+length]``
    equals ``stream[corpus_position : corpus_position+length]`` (-1 when length is 0)."""

    length: int
    start: int
    corpus_position: int


def longest_copied_span(ids: Sequence[int] | np.ndarray, index: SuffixArray) -> CopiedSpan:
    """The longest contiguous span of `ids` (e.g. a generated sequence) that occurs verbatim in
    the indexed corpus, by matching statistics over every start at once."""
    q = as_id_array(ids)
    if q.size == 0:
        return CopiedSpan(0, 0, -1)
    ms = index.match_lengths(q, continuation=False)
    start = int(np.argmax(ms))
    length = int(ms[start])
    if length == 0:
        return CopiedSpan(0, 0, -1)
    return CopiedSpan(length, start, int(index.positions(q[start : start + length], limit=1)[0]))


def copy_rate(sequences: Iterable[Sequence[int] | np.ndarray], index: SuffixArray, min_len: int = 20) -> float:
    """The fraction of `sequences` containing a span of at least `min_len` tokens copied verbatim
    from the corpus."""
    if min_len < 1:
        raise InputError("min_len must be >= 1")
    flags = [longest_copied_span(s, index).length >= min_len for s in sequences]
    if not flags:
        raise InputError("copy_rate needs at least one sequence")
    return float(np.mean(flags))


def heldout_split(ids: np.ndarray, fraction: float = 0.05, blocks: int = 20) -> tuple[np.ndarray, np.ndarray]:
    """Split a training stream into (train, held-out) at sentence boundaries, for fitting the
    mixing weights without touching test text: the stream is cut into `blocks` contiguous runs
    of sentences and the last `fraction` of each run is held out (like holding out the end of
    each book, while staying spread over the whole corpus)."""
    q = as_id_array(ids)
    if not 0 < fraction < 1:
        raise InputError("fraction must be between 0 and 1")
    if blocks < 1:
        raise InputError("blocks must be >= 1")
    starts = np.flatnonzero(q == BOS)
    if starts.size < 2:
        raise InputError("held-out splitting needs a stream of at least two <s>-delimited sentences")
    bounds = np.append(starts, q.size)
    n_sent = starts.size
    block_of = np.minimum(np.arange(n_sent) * blocks // n_sent, blocks - 1)
    block_start = np.searchsorted(block_of, np.arange(blocks), side="left")
    block_end = np.searchsorted(block_of, np.arange(blocks), side="right")
    keep_n = block_end - block_start
    cut = block_end - np.floor(keep_n * fraction).astype(np.int64)
    held_sent = np.arange(n_sent) >= cut[block_of]
    if held_sent.all() or not held_sent.any():
        raise InputError("the stream is too short to hold out that fraction")
    token_sent = np.repeat(np.arange(n_sent), np.diff(bounds))
    head = q[: starts[0]]  # tokens before the first <s> (if any) stay in training
    body = q[starts[0] :]
    held_tok = held_sent[token_sent]
    train = np.concatenate([head, body[~held_tok]]).astype(np.uint32)
    return train, body[held_tok].astype(np.uint32)
