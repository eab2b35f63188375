"""The truncated SVD against numpy's exact SVD, and the weighting of its factors."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("scipy")

from next_token.lookup.svd import truncated_svd, weighted_factors  # noqa: E402


def low_rank_sparse(n: int, m: int, rank: int, seed: int) -> np.ndarray:
    """A nonnegative rank-`rank` matrix with many zeros (sparse factors), well separated
    singular values: what a truncated SVD must recover exactly."""
    rng = np.random.default_rng(seed)
    B = rng.random((n, rank)) * (rng.random((n, rank)) < 0.3)
    C = rng.random((rank, m)) * (rng.random((rank, m)) < 0.3) * np.geomspace(4, 0.5, rank)[:, None]
    return B @ C


@pytest.mark.parametrize("dense_below", [10**9, 1])  # the exact path and the randomized one
def test_matches_exact_svd(dense_below):
    A = low_rank_sparse(300, 250, 8, seed=1)
    r, c = np.nonzero(A)
    U, S, V = truncated_svd(r, c, A[r, c], A.shape, dim=6, power_iterations=3, dense_below=dense_below)
    U0, S0, V0t = np.linalg.svd(A, full_matrices=False)
    assert U.shape == (300, 6) and V.shape == (250, 6) and S.shape == (6,)
    np.testing.assert_allclose(S, S0[:6], rtol=2e-3)
    # Same singular subspaces: |cosine| of matching singular vectors close to 1 (signs are free).
    assert np.all(np.abs(np.sum(U * U0[:, :6], axis=0)) > 0.99)
    assert np.all(np.abs(np.sum(V * V0t[:6].T, axis=0)) > 0.99)
    np.testing.assert_allclose(U.T @ U, np.eye(6), atol=1e-4)


def test_dim_is_capped_at_the_matrix_size():
    A = low_rank_sparse(5, 4, 2, seed=2)
    r, c = np.nonzero(A)
    U, S, V = truncated_svd(r, c, A[r, c], A.shape, dim=50)
    assert U.shape == (5, 4) and S.shape == (4,)


def test_weighted_factors():
    rng = np.random.default_rng(3)
    U, V = rng.standard_normal((20, 4)), rng.standard_normal((20, 4))
    S = np.array([4.0, 3.0, 2.0, 1.0])
    for eig in (0.0, 0.5, 1.0):
        W = weighted_factors(U, S, V, eig)
        expected = U * S**eig
        np.testing.assert_allclose(W, expected / np.linalg.norm(expected, axis=1, keepdims=True), rtol=1e-5)
    WC = weighted_factors(U, S, V, 0.5, add_contexts=True)
    np.testing.assert_allclose(np.linalg.norm(WC, axis=1), 1, rtol=1e-5)
    w = U * S**0.5 / np.linalg.norm(U * S**0.5, axis=1, keepdims=True)
    c = V * S**0.5 / np.linalg.norm(V * S**0.5, axis=1, keepdims=True)
    np.testing.assert_allclose(WC, (w + c) / np.linalg.norm(w + c, axis=1, keepdims=True), rtol=1e-4, atol=1e-6)
