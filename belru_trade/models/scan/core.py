"""Vectorised least squares and Poisson IRLS over many series sharing one design matrix.

All series share the regressors ``X`` (n x k) and differ in the outcome ``Y`` (n x S).
Cross products weighted per series become one matrix product: with ``XX[t] = vec(x_t x_t')``
(n x k^2), ``X' W_s X = (W' XX)[s]``; Newey-West autocovariances of the scores
``u_ts = x_t e_ts`` are ``Gamma_l[s] = ((E[l:] * E[:-l])' vec(x_t x_{t-l}'))[s]``. So one
IRLS step for 5,000 series is a few BLAS calls and a batched ``k x k`` solve.

The estimates are those of statsmodels' OLS and GLM(Poisson) fits of each series (HAC with
Bartlett weights and no small-sample correction, statsmodels' default); ``tests/test_scan.py``
checks agreement to 1e-8.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["BatchFit", "fit_batch_glm", "fit_batch_ols", "hac_meat"]


@dataclass(frozen=True)
class BatchFit:
    """Batched estimates: ``params`` (S x k), ``cov`` (S x k x k), per-series extras."""

    params: np.ndarray
    cov: np.ndarray
    converged: np.ndarray
    dispersion: np.ndarray
    noise_var: np.ndarray
    min_mean_ratio: np.ndarray | None = None  # min fitted mean / mean(y) (GLM only)


def _outer_rows(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """Row-wise vec(a_t b_t') as an (n x k^2) matrix."""
    return (A[:, :, None] * B[:, None, :]).reshape(A.shape[0], -1)


def hac_meat(X: np.ndarray, E: np.ndarray, lags: int) -> np.ndarray:
    """Newey-West meat ``sum_l w_l (Gamma_l + Gamma_l')`` for every column of ``E``.

    Bartlett weights ``w_l = 1 - l / (lags + 1)``; returns (S x k x k).
    """
    k = X.shape[1]
    S = E.shape[1]
    meat = (E * E).T @ _outer_rows(X, X)
    meat = meat.reshape(S, k, k)
    for lag in range(1, lags + 1):
        weight = 1.0 - lag / (lags + 1.0)
        gamma = ((E[lag:] * E[:-lag]).T @ _outer_rows(X[lag:], X[:-lag])).reshape(S, k, k)
        meat += weight * (gamma + gamma.transpose(0, 2, 1))
    return meat


def _sandwich(bread: np.ndarray, meat: np.ndarray) -> np.ndarray:
    return bread @ meat @ bread


def fit_batch_ols(X: np.ndarray, Y: np.ndarray, *, errors: str, lags: int) -> BatchFit:
    """OLS of every column of ``Y`` on ``X`` with model-based or Newey-West covariance."""
    n, k = X.shape
    xtx_inv = np.linalg.inv(X.T @ X)
    B = (xtx_inv @ (X.T @ Y)).T
    E = Y - X @ B.T
    sigma2 = np.einsum("ts,ts->s", E, E) / (n - k)
    if errors == "hac":
        cov = _sandwich(xtx_inv[None], hac_meat(X, E, lags))
    else:
        cov = sigma2[:, None, None] * xtx_inv[None]
    S = Y.shape[1]
    return BatchFit(B, cov, np.ones(S, bool), np.ones(S), sigma2, np.full(S, np.nan))


def _take(a: np.ndarray, idx: np.ndarray, full: bool) -> np.ndarray:
    return a if full else a[idx]


def safe_solve(A: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Batched ``solve(A[s], b[s])``; singular or non-finite systems give NaN and ok=False.

    (Ill-conditioned but solvable systems are caught afterwards by the near-separation
    check on the fitted means.)
    """
    try:
        x = np.linalg.solve(A, b[:, :, None])[..., 0]
    except np.linalg.LinAlgError:  # at least one singular system: solve one by one
        x = np.full(b.shape, np.nan)
        for s in range(A.shape[0]):
            try:
                x[s] = np.linalg.solve(A[s], b[s])
            except np.linalg.LinAlgError:
                continue
    return x, np.isfinite(x).all(axis=1)


def _irls(
    X: np.ndarray, Y: np.ndarray, off: np.ndarray, tol: float, maxiter: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Batched IRLS on series-major arrays ``Y``, ``off`` (S x n); returns B, mu (S x n).

    A series whose weighted cross-product becomes singular or ill-conditioned (fitted
    means collapsing to zero: quasi-separation) stops and is reported as not converged.
    """
    S, k = Y.shape[0], X.shape[1]
    XX = _outer_rows(X, X)
    mu = (Y + Y.mean(axis=1, keepdims=True)) / 2.0  # statsmodels' starting values
    with np.errstate(divide="ignore"):  # an all-zero series: status "zero", not fitted
        eta = np.log(mu)
    B = np.zeros((S, k))
    converged = np.zeros(S, dtype=bool)
    idx = np.arange(S)
    for _ in range(maxiter):
        full = idx.size == S
        W, y, o = (_take(a, idx, full) for a in (mu, Y, off))
        # mu underflow or overflow: the series' system is not finite and it stops below
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            z = _take(eta, idx, full) - o + (y - W) / W
            b, ok = safe_solve((W @ XX).reshape(len(idx), k, k), (W * z) @ X)
        idx, b, o = idx[ok], b[ok], o[ok]
        e = b @ X.T + o
        with np.errstate(over="ignore"):
            m = np.exp(e)
        step = np.max(np.abs(b - B[idx]) / (1.0 + np.abs(b)), axis=1)
        done = step <= tol
        B[idx], eta[idx], mu[idx] = b, e, m
        converged[idx[done]] = True
        idx = idx[~done & np.isfinite(m).all(axis=1)]
        if idx.size == 0:
            break
    return B, mu, converged


def fit_batch_glm(
    X: np.ndarray,
    Y: np.ndarray,
    *,
    log_offset: np.ndarray | None,
    quasi: bool,
    errors: str,
    lags: int,
    tol: float = 1e-10,
    maxiter: int = 100,
) -> BatchFit:
    """Poisson (quasi-Poisson) GLM of every column of ``Y`` by batched IRLS.

    Convergence: largest coefficient step ``|b_new - b| / (1 + |b_new|)`` below ``tol``;
    IRLS converges quadratically, so the returned coefficients are accurate well beyond
    ``tol`` (statsmodels stops on a deviance change of 1e-8).
    """
    n, k = X.shape
    Yt = np.ascontiguousarray(Y.T)
    off = np.zeros_like(Yt) if log_offset is None else np.broadcast_to(log_offset.T, Yt.shape)
    B, mu, converged = _irls(X, Yt, off, tol, maxiter)
    S = Yt.shape[0]
    cov = np.full((S, k, k), np.nan)
    phi = np.full(S, np.nan)
    good = np.flatnonzero(converged)
    if good.size:
        m, e = mu[good], Yt[good] - mu[good]
        xtwx = (m @ _outer_rows(X, X)).reshape(-1, k, k)
        bread = np.stack(
            [safe_solve(xtwx, np.tile(e_j, (len(good), 1)))[0] for e_j in np.eye(k)], 2
        )
        phi[good] = np.sum(e**2 / m, axis=1) / (n - k)
        if errors == "hac":
            cov[good] = _sandwich(bread, hac_meat(X, e.T, lags))
        else:
            cov[good] = bread * (phi[good] if quasi else np.ones(good.size))[:, None, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = mu.min(axis=1) / Yt.mean(axis=1)
    return BatchFit(B, cov, converged, phi, np.full(S, np.nan), ratio)
