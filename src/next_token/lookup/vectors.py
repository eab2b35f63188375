"""Word vectors: the query side. numpy only; the matrix may be memory-mapped.

A `WordVectors` is three things:

- `matrix` [rows x dim], float32 or float16, every row of unit length, so a dot product is a
  cosine similarity;
- `ids` [rows]: the model token id each row is shown as (see vector_vocabulary.py);
- the model's token list, to turn ids into words and words into rows.

Words are found without building a dict, so loading decodes nothing: two arrays of row numbers
sorted by word (`by_word`) and by lower-cased word then frequency (`by_folded`) are binary
searched, decoding about log2(rows) tokens per lookup. A query word is tried as written, then
lower-cased and matched against the lower-cased words, preferring the most frequent form, so
"Paris", "paris" and "PARIS" all find a vector whether the vectors were trained with case kept
or folded.

Cosines are one matrix-vector product over the whole matrix. A float16 matrix (half the bytes in
the model file) is widened to float32 one block at a time, which costs about 10x the float32
product (large corpus, 76k words x 300: `similar` 30 ms against 2.9 ms), hence float32 is the
default.

Analogies "a is to b as c is to ?" (a = "paris", b = "france", c = "london" -> "england"), over
every word but a, b and c:

- 3CosAdd (Mikolov et al. 2013):  argmax_d  cos(d, b) - cos(d, a) + cos(d, c)
- 3CosMul (Levy & Goldberg 2014): argmax_d  cos'(d, b) cos'(d, c) / (cos'(d, a) + 0.001)
  with cos' = (cos + 1) / 2 in [0, 1]. A product balances the two attractions instead of letting
  one large term (often cos(d, c): "london" is close to other cities) win the sum alone.

Analogies may use another eigenvalue weighting than similarity (svd.py explains the weighting).
The stored rows are w = U S^p (or w + c) for similarity; since each column is one singular
direction, the vectors of weighting p' are the same rows with column j scaled by s_j^(p' - p),
up to each row's length. So `analogy_scale` = S^(p' - p) and the rows' lengths after scaling
(`analogy_norms`) give analogies their own weighting without a second matrix: the cosine of rows
d and x becomes  (w_d * scale^2) . w_x / (norm_d norm_x),  still one matrix-vector product.
Measured: p = 0.5 is best for similarity, p' = 1 for analogies (bench/VECTORS_RESULTS.md).
"""

from __future__ import annotations

from bisect import bisect_left
from typing import Any, Mapping, NamedTuple, Sequence

import numpy as np

from ..errors import InputError, ModelFileError

FORMAT = 1
METHODS = ("3cosmul", "3cosadd")
_EPSILON = 0.001  # Levy & Goldberg's guard against dividing by a near-zero cos'(d, a)
_BLOCK_ROWS = 16384  # rows widened to float32 at a time (16384 x 300 floats = 20 MB)
MAX_K = 10_000


class Neighbor(NamedTuple):
    """A word and its score: the cosine for `similar`, the method's objective for `analogy`."""

    word: str
    score: float


class UnknownWordError(InputError, KeyError):
    """A word that has no vector: never seen, or seen fewer than `min_count` times."""

    def __init__(self, word: str, min_count: int | None = None):
        self.word = word
        rare = f", or seen fewer than {min_count} times" if min_count else ""
        super().__init__(f"no vector for {word!r}: it is not in the training text{rare}")

    def __str__(self) -> str:  # KeyError would quote the message
        return self.args[0]


class WordVectors:
    """Unit-length word vectors with similarity and analogy queries."""

    def __init__(
        self,
        matrix: np.ndarray,
        ids: np.ndarray,
        tokens: Sequence[str],
        meta: Mapping[str, Any] | None = None,
        by_word: np.ndarray | None = None,
        by_folded: np.ndarray | None = None,
        analogy_scale: np.ndarray | None = None,
        analogy_norms: np.ndarray | None = None,
    ):
        if matrix.ndim != 2 or len(ids) != matrix.shape[0]:
            raise InputError("the vector matrix needs one row per id")
        if (analogy_scale is None) != (analogy_norms is None):
            raise InputError("analogy_scale and analogy_norms go together")
        self.analogy_scale = analogy_scale
        self.analogy_norms = analogy_norms
        self.matrix = matrix
        self.ids = ids
        self.tokens = tokens
        self.meta = dict(meta or {})
        self._by_word = by_word
        self._by_folded = by_folded

    # ------------------------------------------------------------------ facts

    def __len__(self) -> int:
        return self.matrix.shape[0]

    @property
    def dim(self) -> int:
        return self.matrix.shape[1]

    def word(self, row: int) -> str:
        """The word shown for `row`."""
        return self.tokens[int(self.ids[row])]

    def __contains__(self, word: object) -> bool:
        return isinstance(word, str) and self.find(word) is not None

    # ------------------------------------------------------------------ lookup

    def find(self, word: str) -> int | None:
        """The row of `word`: as written, else its lower-cased form (most frequent spelling)."""
        if not isinstance(word, str):
            raise InputError(f"a word must be a string, not {type(word).__name__}")
        rows = memoryview(self.by_word)
        i = bisect_left(rows, word, key=self.word)
        if i < len(rows) and self.word(rows[i]) == word:
            return int(rows[i])
        return self.find_folded(word)

    def find_folded(self, word: str) -> int | None:
        """The row of the most frequent word equal to `word` once both are lower-cased."""
        folded = word.lower()
        rows = memoryview(self.by_folded)
        i = bisect_left(rows, folded, key=lambda r: self.word(r).lower())
        if i < len(rows) and self.word(rows[i]).lower() == folded:
            return int(rows[i])
        return None

    def row(self, word: str) -> int:
        """Like `find`, but an unknown word raises UnknownWordError."""
        r = self.find(word)
        if r is None:
            raise UnknownWordError(word, self.meta.get("settings", {}).get("min_count"))
        return r

    @property
    def by_word(self) -> np.ndarray:
        """Rows sorted by their word (built on first use when not loaded from a file)."""
        if self._by_word is None:
            words = [self.word(r) for r in range(len(self))]
            self._by_word = np.array(sorted(range(len(words)), key=words.__getitem__), dtype=np.int32)
        return self._by_word

    @property
    def by_folded(self) -> np.ndarray:
        """Rows sorted by lower-cased word, then by row (most frequent first)."""
        if self._by_folded is None:
            folded = [self.word(r).lower() for r in range(len(self))]
            self._by_folded = np.array(sorted(range(len(folded)), key=folded.__getitem__), dtype=np.int32)
        return self._by_folded

    # ------------------------------------------------------------------ queries

    def vector(self, word: str) -> np.ndarray:
        """The unit-length vector of `word` (float32, a copy)."""
        return np.array(self.matrix[self.row(word)], dtype=np.float32)

    def similarity(self, a: str, b: str) -> float:
        """Cosine similarity of two words."""
        return float(self.vector(a) @ self.vector(b))

    def similar(self, word: str, k: int = 10) -> list[Neighbor]:
        """The k words with the most similar vectors, best first, `word` itself excluded."""
        r = self.row(word)
        return self._ranked(self.cosines(self.matrix[r]), _check_k(k), [r])

    def similar_to_vector(self, vector: np.ndarray, k: int = 10, exclude: Sequence[str] = ()) -> list[Neighbor]:
        """The k words closest to any vector (normalised first), `exclude` left out."""
        v = np.asarray(vector, dtype=np.float32).reshape(-1)
        if v.shape[0] != self.dim:
            raise InputError(f"the vector has {v.shape[0]} dimensions, these vectors have {self.dim}")
        norm = float(np.linalg.norm(v))
        if not np.isfinite(norm) or norm == 0:
            raise InputError("the vector must be finite and not all zeros")
        return self._ranked(self.cosines(v / norm), _check_k(k), [self.row(w) for w in exclude])

    def analogy(self, a: str, b: str, c: str, k: int = 1, method: str = "3cosmul") -> list[Neighbor]:
        """`a` is to `b` as `c` is to ...? The k best answers, best first, a, b, c excluded.

        analogy("paris", "france", "london") -> [Neighbor("england", ...)] on a good model.
        """
        method = _check_method(method)
        k = _check_k(k)
        rows = [self.row(w) for w in (a, b, c)]
        cos_a, cos_b, cos_c = self._analogy_cosines(np.array(rows))  # one pass over the matrix
        return self._ranked(_analogy_scores(cos_a, cos_b, cos_c, method), k, rows)

    def _analogy_cosines(self, rows: np.ndarray) -> np.ndarray:
        """Cosines of the given rows with every row, in the analogies' weighting ([m, rows])."""
        q = np.asarray(self.matrix[rows], dtype=np.float32)
        if self.analogy_scale is None:
            return self.cosines(q)
        scale = np.asarray(self.analogy_scale, dtype=np.float32)
        norms = np.asarray(self.analogy_norms, dtype=np.float32)
        q = q * (scale * scale) / norms[rows][:, None]
        return self.cosines(q) / norms

    def cosines(self, unit: np.ndarray) -> np.ndarray:
        """Cosine of every row with the unit vector(s) `unit` ([dim] -> [rows], [m, dim] -> [m, rows])."""
        q = np.asarray(unit, dtype=np.float32)
        if self.matrix.dtype == np.float32:
            return q @ self.matrix.T if q.ndim == 2 else self.matrix @ q  # type: ignore[operator]
        out = np.empty((len(self),) + q.shape[:-1], dtype=np.float32)
        for lo in range(0, len(self), _BLOCK_ROWS):
            block = np.asarray(self.matrix[lo : lo + _BLOCK_ROWS], dtype=np.float32)
            out[lo : lo + len(block)] = block @ q.T
        return out.T if q.ndim == 2 else out

    def analogy_rows(
        self, a: np.ndarray, b: np.ndarray, c: np.ndarray, method: str = "3cosmul"
    ) -> np.ndarray:
        """Batched analogies by row numbers: the best row for each question (a, b, c excluded).

        For benchmarks (thousands of questions): one matrix product per block of questions.
        """
        method = _check_method(method)
        a, b, c = (np.asarray(x, dtype=np.int64) for x in (a, b, c))
        best = np.empty(len(a), dtype=np.int64)
        step = max(1, 2**23 // max(len(self), 1))  # questions per block: ~32 MB of scores each
        for lo in range(0, len(a), step):
            sl = slice(lo, lo + step)
            ca, cb, cc = (self._analogy_cosines(x[sl]) for x in (a, b, c))
            scores = _analogy_scores(ca, cb, cc, method)
            idx = np.arange(len(scores))
            for x in (a, b, c):
                scores[idx, x[sl]] = -np.inf
            best[sl] = scores.argmax(axis=1)
        return best

    def _ranked(self, scores: np.ndarray, k: int, exclude: Sequence[int]) -> list[Neighbor]:
        scores = np.array(scores, dtype=np.float32)
        scores[list(exclude)] = -np.inf
        k = min(k, len(scores) - len(set(exclude)))
        if k <= 0:
            return []
        top = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
        # Best first; equal scores in row order (more frequent words first), as a full sort would.
        top = top[np.lexsort((top, -scores[top]))]
        return [Neighbor(self.word(r), float(scores[r])) for r in top]

    # ------------------------------------------------------------------ persistence

    def to_arrays(self, prefix: str = "vectors.") -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """(meta, arrays) for the model file; the tokens are the model's own and not included."""
        meta = {"format": FORMAT, "rows": len(self), "dim": self.dim, **self.meta}
        arrays = {
            prefix + "matrix": self.matrix,
            prefix + "ids": np.asarray(self.ids, dtype=np.uint32),
            prefix + "by_word": np.asarray(self.by_word, dtype=np.int32),
            prefix + "by_folded": np.asarray(self.by_folded, dtype=np.int32),
        }
        if self.analogy_scale is not None:
            arrays[prefix + "analogy_scale"] = np.asarray(self.analogy_scale, dtype=np.float32)
            arrays[prefix + "analogy_norms"] = np.asarray(self.analogy_norms, dtype=np.float32)
        return meta, arrays

    @classmethod
    def from_arrays(
        cls,
        meta: Mapping[str, Any],
        arrays: Mapping[str, np.ndarray],
        tokens: Sequence[str],
        prefix: str = "vectors.",
    ) -> "WordVectors":
        """Wrap arrays written by `to_arrays` (e.g. memory-mapped): nothing is copied or decoded."""
        try:
            if int(meta["format"]) > FORMAT:
                raise ModelFileError("the word vectors were written by a newer version; upgrade the package")
            matrix, ids = arrays[prefix + "matrix"], arrays[prefix + "ids"]
            by_word, by_folded = arrays[prefix + "by_word"], arrays[prefix + "by_folded"]
            rows, dim = int(meta["rows"]), int(meta["dim"])
            scale = arrays.get(prefix + "analogy_scale")
            norms = arrays.get(prefix + "analogy_norms")
        except (KeyError, TypeError, ValueError, AttributeError) as e:
            raise ModelFileError(f"the word vectors are incomplete or unreadable ({e!s})") from None
        ok = (
            matrix.ndim == 2
            and matrix.shape == (rows, dim)
            and matrix.dtype in (np.float16, np.float32)
            and ids.shape == (rows,)
            and by_word.shape == (rows,)
            and by_folded.shape == (rows,)
            and (rows == 0 or int(ids.max()) < len(tokens))
            and (scale is None) == (norms is None)
            and (scale is None or (scale.shape == (dim,) and norms.shape == (rows,)))
        )
        if not ok:
            raise ModelFileError("the word vectors are corrupted (array shapes disagree with their header)")
        extra = {k: v for k, v in meta.items() if k not in ("format", "rows", "dim")}
        return cls(matrix, ids, tokens, extra, by_word, by_folded, scale, norms)


def validate_vectors(v: "WordVectors") -> None:
    """Raise ModelFileError unless the vectors' tables hold what they must (O(rows)): the two
    sort orders are permutations of the rows and every value is finite. Run when a model file
    is verified on load; `from_arrays` already checked the shapes."""
    rows = np.arange(len(v))
    if not (np.array_equal(np.sort(v.by_word), rows) and np.array_equal(np.sort(v.by_folded), rows)
            and bool(np.isfinite(v.matrix).all())):
        raise ModelFileError("the word vectors are corrupted (row orders or values)")


def _analogy_scores(cos_a: np.ndarray, cos_b: np.ndarray, cos_c: np.ndarray, method: str) -> np.ndarray:
    if method == "3cosadd":
        return cos_b - cos_a + cos_c
    # 3CosMul on cosines shifted to [0, 1], so that the product and quotient keep their order.
    return ((cos_b + 1) / 2) * ((cos_c + 1) / 2) / ((cos_a + 1) / 2 + _EPSILON)


def _check_k(k: int) -> int:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
        raise InputError(f"k must be an integer, not {k!r}")
    if k <= 0:
        raise InputError(f"k must be at least 1, not {k}")
    if k > MAX_K:
        raise InputError(f"k must be at most {MAX_K}, not {k}")
    return int(k)


def _check_method(method: str) -> str:
    m = str(method).lower()
    if m not in METHODS:
        raise InputError(f"unknown analogy method {method!r}: use one of {', '.join(METHODS)}")
    return m
