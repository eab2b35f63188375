"""Learning word vectors from co-occurrence counts: the build side.

    stream, tokens -> which words get vectors (vector_vocabulary.py)
                   -> windows inside sentences, subsampled (vector_vocabulary.kept_tokens)
                   -> weighted co-occurrence counts (cooccurrence.py)
                   -> shifted positive PMI with smoothed contexts (ppmi.py)
                   -> truncated SVD, eigenvalue weighting, w + c, unit rows (svd.py)
                   -> WordVectors (vectors.py)

This is the count-based recipe of Levy, Goldberg & Dagan (2015), who showed that the gains of
word2vec come largely from its hyperparameters (dynamic windows, subsampling, smoothed negative
sampling, adding context vectors) and carry over to PPMI + SVD; Sahlgren & Lenci (2016) found
such count-based vectors the most reliable on small corpora. It needs one pass of counting and
one sparse factorization: no epochs, no learning rate, deterministic for a given seed.

scipy is needed here only (imported lazily by svd.py); querying the result needs numpy alone.

Cost, measured on the 22M-token corpus (76k words with vectors, 2 shared cores): about 45 s and
2 GB of memory, of which counting takes about 5 s and the rest is the SVD's sparse products
(bench/VECTORS_RESULTS.md). On a busy machine, one BLAS thread (OPENBLAS_NUM_THREADS=1) is
faster: OpenBLAS threads waiting for a busy core made the books build 7x slower.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Sequence

import numpy as np

from ..errors import InputError
from .cooccurrence import count_cooccurrences
from .ppmi import shifted_ppmi
from .svd import truncated_svd, weighted_factors
from .vector_vocabulary import VectorVocabulary, check_stream, kept_tokens
from .vectors import WordVectors


@dataclass(frozen=True)
class VectorSettings:
    """How vectors are built. The defaults were chosen on the benchmarks of
    bench/bench_vectors.py (see VECTORS_RESULTS.md for what was tried).

    dim               dimensions kept by the SVD
    window            L: contexts up to L tokens to each side, inside the sentence
    dynamic_window    weight a context at distance d by (L - d + 1) / L (word2vec's expectation)
    min_count         words seen fewer times get no vector (and are removed before windowing)
    subsample         word2vec's subsampling threshold t, or None for no subsampling
    alpha             context-distribution smoothing exponent (1 = none)
    shift             k of shifted PMI: log k is subtracted (1 = no shift)
    eig               p of the eigenvalue weighting W = U S^p (0, 0.5 or 1) for similarity
    analogy_eig       p used by analogies (None: the same as `eig`); see vectors.py
    add_contexts      use W + C (word plus context vectors) instead of W
    lowercase         pool tokens that differ only by case into one word
    dtype             the stored matrix: "float32", or "float16" for half the bytes and about
                      10x slower queries (the same benchmark scores to 3 decimals)
    power_iterations  rounds of the randomized SVD (more = closer to the exact SVD, slower)
    seed              seeds subsampling and the randomized SVD
    """

    dim: int = 300
    window: int = 5
    dynamic_window: bool = True
    min_count: int = 5
    subsample: float | None = 1e-4
    alpha: float = 0.75
    shift: float = 1.0
    eig: float = 0.5
    analogy_eig: float | None = 1.0
    add_contexts: bool = True
    lowercase: bool = True
    dtype: str = "float32"
    power_iterations: int = 4
    seed: int = 0

    def checked(self) -> "VectorSettings":
        if self.dim < 1:
            raise InputError(f"dim must be at least 1, not {self.dim}")
        if self.window < 1:
            raise InputError(f"the window must be at least 1 token, not {self.window}")
        if self.min_count < 1:
            raise InputError(f"min_count must be at least 1, not {self.min_count}")
        if self.subsample is not None and not self.subsample > 0:
            raise InputError(f"subsample must be a positive threshold or None, not {self.subsample}")
        if self.dtype not in ("float16", "float32"):
            raise InputError(f"dtype must be 'float16' or 'float32', not {self.dtype!r}")
        if self.power_iterations < 0:
            raise InputError("power_iterations must be >= 0")
        return self


def build_word_vectors(
    stream: np.ndarray,
    tokens: Sequence[str],
    settings: VectorSettings | None = None,
    progress: bool = False,
) -> WordVectors:
    """Learn word vectors from an id stream (`<s> w1 .. wn </s>` per sentence, back to back;
    ids 0, 1, 2 = `<unk>`, `<s>`, `</s>`) and its vocabulary (`tokens[id]`).

    Raises InputError for bad settings, ids outside the vocabulary, or a corpus where fewer than
    two words reach `min_count`.
    """
    from tqdm.auto import tqdm

    s = (settings or VectorSettings()).checked()
    stream = check_stream(stream, len(tokens))
    vocab = VectorVocabulary.build(stream, tokens, s.min_count, s.lowercase)
    n = len(vocab)
    if n < 2:
        raise InputError(
            f"only {n} word(s) occur at least {s.min_count} times: too little text for word vectors "
            "(lower min_count or give more text)"
        )
    steps = s.window + 1 + 2 * s.power_iterations + 2 + 1
    with tqdm(total=steps, desc="word vectors", unit="step", disable=not progress, leave=False) as bar:
        bar.set_postfix_str("co-occurrences")
        rows, sentence = kept_tokens(stream, vocab, s.subsample, s.seed)
        cooc = count_cooccurrences(rows, sentence, n, s.window, s.dynamic_window, bar=bar)
        del rows, sentence
        bar.set_postfix_str("PPMI")
        r, c, w = cooc.symmetric()
        del cooc
        r, c, v = shifted_ppmi(r, c, w, (n, n), s.alpha, s.shift)
        del w
        bar.update(1)
        if v.size == 0:
            raise InputError("no word pair is associated above chance: too little text for word vectors")
        bar.set_postfix_str("SVD")
        U, S, V = truncated_svd(r, c, v, (n, n), s.dim, s.power_iterations, seed=s.seed, bar=bar)
        del r, c, v
        W = weighted_factors(U, S, V, s.eig, s.add_contexts).astype(s.dtype)
        scale = norms = None
        if s.analogy_eig is not None and s.analogy_eig != s.eig:
            scale = np.where(S > 0, S, 1.0) ** (s.analogy_eig - s.eig)
            scale = (scale / scale.max()).astype(np.float32)  # only ratios matter; keep it in range
            norms = np.linalg.norm(W.astype(np.float32) * scale, axis=1).astype(np.float32)
            norms[norms == 0] = 1.0
        bar.update(1)
    meta = {
        "settings": asdict(s),
        "dim_used": int(W.shape[1]),
        "tokens_counted": int(vocab.counts.sum()),
    }
    return WordVectors(W, vocab.ids, tokens, meta, analogy_scale=scale, analogy_norms=norms)
