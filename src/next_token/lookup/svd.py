"""Truncated SVD of a sparse matrix, and the eigenvalue weighting of its factors.

The SPPMI matrix X (words x contexts) is factored as X ~ U S V^T keeping the `dim` largest
singular values: the best rank-`dim` approximation in the least-squares sense (Eckart-Young).
Rows of U are dense word representations that keep most of what the sparse rows say, with
correlated contexts merged (so "ghost" and "phantom" become close even when their exact
contexts barely overlap).

We compute it with the randomized range finder of Halko, Martinsson & Tropp (2011): multiply X
by a random Gaussian block of `dim + oversample` columns, which with high probability captures
the top singular directions; `power_iterations` rounds of multiplying by X^T then X sharpen the
spectrum (singular values are raised to the power 2q + 1, so the directions beyond `dim`
fade), each round re-orthonormalised so that small directions are not lost to rounding. The
small projected matrix is then decomposed exactly. All work is sparse-times-dense products and
dense factorizations of tall thin blocks: time grows with nnz(X) * dim, never with n^2.

Eigenvalue weighting (Levy, Goldberg & Dagan 2015, section 3.3): the word vectors are
W = U S^p rather than the "textbook" U S. p = 1 lets the few largest singular values dominate
every cosine; p = 0.5 (symmetric, like word2vec's word and context vectors) or p = 0 (U alone,
every kept direction equally weighted) work better on similarity tasks. Context vectors are
C = V S^p likewise.
"""

from __future__ import annotations

import numpy as np

# Below this many rows or columns a dense SVD is exact and fast enough.
_DENSE_BELOW = 500


def truncated_svd(
    rows: np.ndarray,
    cols: np.ndarray,
    values: np.ndarray,
    shape: tuple[int, int],
    dim: int,
    power_iterations: int = 2,
    oversample: int = 20,
    seed: int = 0,
    bar=None,
    dense_below: int = _DENSE_BELOW,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The `dim` largest singular triplets of the sparse matrix given by coordinates.

    Returns (U [n x dim], S [dim], V [m x dim]) with S descending; U and V float32. `dim` is
    capped at min(shape). `bar` (tqdm) advances once per sparse product. Matrices with fewer
    than `dense_below` rows or columns get an exact dense SVD.
    """
    import scipy.sparse as sparse  # build-time only: querying vectors needs numpy alone

    n, m = shape
    dim = max(1, min(dim, n, m))
    X = sparse.csr_matrix((values.astype(np.float32), (rows, cols)), shape=shape)
    if min(n, m) < dense_below:
        U, S, Vt = np.linalg.svd(X.toarray().astype(np.float64), full_matrices=False)
        if bar is not None:
            bar.update(2 * power_iterations + 2)
        return U[:, :dim].astype(np.float32), S[:dim], Vt[:dim].T.astype(np.float32)

    Xt = X.T.tocsr()  # row-major copy of the transpose: products with it stream rows too
    width = min(dim + oversample, n, m)
    rng = np.random.default_rng(seed)

    def product(A, B):
        out = _multiply(A, B)
        if bar is not None:
            bar.update(1)
        return out

    Q = _orthonormal(product(X, rng.standard_normal((m, width), dtype=np.float32)))
    for _ in range(power_iterations):
        Q = _orthonormal(product(X, _orthonormal(product(Xt, Q))))
    # X ~ Q Q^T X = Q B with B = Q^T X small (width x m). B's SVD from the eigenvectors of the
    # width x width Gram matrix B B^T = E L E^T: B = E sqrt(L) (B^T E / sqrt(L))^T.
    Bt = product(Xt, Q).astype(np.float64)
    L, E = np.linalg.eigh(Bt.T @ Bt)
    top = np.argsort(L)[::-1][:dim]
    S = np.sqrt(np.maximum(L[top], 0.0))
    U = Q.astype(np.float64) @ E[:, top]
    V = (Bt @ E[:, top]) / np.where(S > 0, S, 1.0)
    return U.astype(np.float32), S, V.astype(np.float32)


def _orthonormal(Y: np.ndarray) -> np.ndarray:
    """An orthonormal basis of the span of Y's columns (float32, same shape).

    Cholesky QR, twice ("CholeskyQR2", Fukaya et al. 2014): with G = Y^T Y = R^T R, Y R^-1 is
    orthonormal. It costs two matrix products of the thin block, 10x faster here than
    Householder QR, and the second pass removes the loss of orthogonality of the first (which
    grows with cond(Y)^2; in float64 and after one sparse product cond(Y) stays far below the
    1e8 where it breaks). If Y is too ill-conditioned anyway, Householder QR takes over.
    """
    Q = Y.astype(np.float64)
    try:
        for _ in range(2):
            R = np.linalg.cholesky(Q.T @ Q).T  # upper triangular, G = R^T R
            Q = Q @ np.linalg.inv(R)
    except np.linalg.LinAlgError:
        Q, _ = np.linalg.qr(Y.astype(np.float64))
    return np.ascontiguousarray(Q, dtype=np.float32)


def _multiply(A, B: np.ndarray) -> np.ndarray:
    """Sparse A times dense B, float32."""
    return np.asarray(A @ np.ascontiguousarray(B, dtype=np.float32))


def weighted_factors(
    U: np.ndarray, S: np.ndarray, V: np.ndarray, eig: float = 0.0, add_contexts: bool = False
) -> np.ndarray:
    """The word vectors W = U S^p (rows normalised), or W + C with C = V S^p.

    For a symmetric co-occurrence matrix the rows of V are vectors of the same words used as
    contexts. Adding them (Levy, Goldberg & Dagan 2015, "w + c") mixes first-order similarity
    (words that occur together) into the second-order one (words with the same neighbours);
    each part is normalised first so neither dominates.
    """
    scale = (S**eig).astype(np.float32)
    W = _normalize_rows(U * scale)
    if add_contexts:
        W = _normalize_rows(W + _normalize_rows(V * scale))
    return W


def _normalize_rows(M: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(M, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (M / norms).astype(np.float32)
