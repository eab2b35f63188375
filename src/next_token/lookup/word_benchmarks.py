"""Intrinsic evaluation of word vectors: word similarity and analogies.

- Word similarity (WordSim-353, SimLex-999): people rated word pairs; the score is Spearman's
  rank correlation between their ratings and the vectors' cosines, over the pairs whose two
  words both have a vector (the coverage says how many). Spearman's rho is Pearson's correlation
  of the ranks, ties given their average rank.
- Analogies (Google's questions-words.txt, Mikolov et al. 2013): "a is to b as c is to d"; a
  question counts as right when the best answer over the whole vocabulary, a, b and c excluded,
  is d. Accuracy is over the questions whose four words all have vectors.

Words are looked up case-insensitively, preferring the most frequent spelling (the sets are
lower case; "paris" finds "Paris"), the convention of gensim's `case_insensitive=True`.
The file formats are those of the copies shipped in gensim's wheel (gensim/test/test_data/).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .vectors import WordVectors


@dataclass(frozen=True)
class SimilarityResult:
    spearman: float  # nan when fewer than 2 pairs are covered
    covered: int
    total: int


@dataclass(frozen=True)
class AnalogyResult:
    accuracy: float  # over covered questions; nan when none is covered
    correct: int
    covered: int
    total: int
    semantic: float  # accuracy of the first five sections (capitals, currency, family...)
    syntactic: float  # the gram* sections


def read_word_pairs(path: str | Path) -> list[tuple[str, str, float]]:
    """Tab- (or space-) separated `word1 word2 score` lines; `#` lines are comments."""
    pairs = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t") if "\t" in line else line.split()
        pairs.append((parts[0].strip(), parts[1].strip(), float(parts[2])))
    return pairs


def read_analogies(path: str | Path) -> list[tuple[str, str, str, str, str]]:
    """questions-words.txt: `: section` headers, then `a b c d` lines -> (section, a, b, c, d)."""
    out, section = [], ""
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.startswith(":"):
            section = line[1:].strip()
        elif line.strip():
            a, b, c, d = line.split()
            out.append((section, a, b, c, d))
    return out


def ranks(x: np.ndarray) -> np.ndarray:
    """1-based ranks of x, tied values sharing their average rank."""
    x = np.asarray(x, dtype=np.float64)
    order = np.argsort(x, kind="stable")
    _, inverse, counts = np.unique(x[order], return_inverse=True, return_counts=True)
    ends = np.cumsum(counts)  # rank of the last member of each group of ties
    average = ends - (counts - 1) / 2.0
    out = np.empty(len(x))
    out[order] = average[inverse]
    return out


def spearman(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman's rank correlation (nan if either side is constant or has < 2 values)."""
    if len(x) < 2:
        return float("nan")
    rx, ry = ranks(x), ranks(y)
    rx -= rx.mean()
    ry -= ry.mean()
    denom = np.sqrt((rx @ rx) * (ry @ ry))
    return float(rx @ ry / denom) if denom > 0 else float("nan")


def evaluate_similarity(vectors: WordVectors, pairs: list[tuple[str, str, float]]) -> SimilarityResult:
    human, model = [], []
    for a, b, score in pairs:
        ra, rb = vectors.find_folded(a), vectors.find_folded(b)
        if ra is None or rb is None:
            continue
        va = np.asarray(vectors.matrix[ra], dtype=np.float32)
        vb = np.asarray(vectors.matrix[rb], dtype=np.float32)
        human.append(score)
        model.append(float(va @ vb))
    return SimilarityResult(spearman(np.array(human), np.array(model)), len(human), len(pairs))


def evaluate_analogies(
    vectors: WordVectors, questions: list[tuple[str, str, str, str, str]], method: str = "3cosadd"
) -> AnalogyResult:
    cache: dict[str, int | None] = {}

    def row(w: str) -> int | None:
        if w not in cache:
            cache[w] = vectors.find_folded(w)
        return cache[w]

    covered, semantic = [], []
    for section, *words in questions:
        rows = [row(w) for w in words]
        if None not in rows:
            covered.append(rows)
            semantic.append(not section.startswith("gram"))
    if not covered:
        nan = float("nan")
        return AnalogyResult(nan, 0, 0, len(questions), nan, nan)
    q = np.array(covered, dtype=np.int64)
    right = vectors.analogy_rows(q[:, 0], q[:, 1], q[:, 2], method) == q[:, 3]
    sem = np.array(semantic)

    def acc(mask: np.ndarray) -> float:
        return float(right[mask].mean()) if mask.any() else float("nan")

    return AnalogyResult(acc(np.ones(len(q), bool)), int(right.sum()), len(q), len(questions), acc(sem), acc(~sem))
