"""The loops of :mod:`belru_trade.models.hdfe._kernels` written with numpy and scipy.sparse.

Same functions, same arguments, same in-place contracts and the same algorithm (Gauss-Seidel
sweeps in coefficient space, Irons & Tuck extrapolation per column, the same stopping rule),
vectorised instead of compiled. They serve small problems: importing numba and loading its
compiled code costs about 110 MB of memory and, on the first run after an install, seconds
of compilation, which a fit of a few thousand rows never wins back
(:func:`belru_trade.models.hdfe._backend.kernels_for` chooses). Each sweep subtracts a fixed
effect's new coefficients at once instead of carrying them into the next pass, so results
agree with the compiled loops to rounding, not bit for bit.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from scipy.special import gammaln

__all__ = [
    "demean_block",
    "deviance_sums",
    "eta_update",
    "inverse_group_weights",
    "irls_prepare",
    "poisson_constants",
    "scores",
    "subtract_fitted",
    "weighted_gram",
]


def inverse_group_weights(codes: np.ndarray, offsets: np.ndarray, w: np.ndarray) -> np.ndarray:
    """1 / (sum of weights) per level of every fixed effect (0 for empty levels)."""
    sw = np.concatenate(
        [
            np.bincount(codes[q], weights=w, minlength=int(offsets[q + 1] - offsets[q]))
            for q in range(codes.shape[0])
        ]
    )
    out = np.zeros_like(sw)
    np.divide(1.0, sw, out=out, where=sw > 0)
    return out


def subtract_fitted(
    r: np.ndarray, codes: np.ndarray, offsets: np.ndarray, coef: np.ndarray
) -> None:
    """``r -= fitted(coef)``: every fixed effect's coefficient of each row, every column."""
    for q in range(codes.shape[0]):
        r -= coef[offsets[q] + codes[q]]


def _summers(codes: np.ndarray, offsets: np.ndarray, w: np.ndarray) -> list[sparse.csr_array]:
    """Per fixed effect, the sparse (levels x n) matrix of weights: ``S @ r`` is the
    weighted group sums of every column of r."""
    n = w.size
    rows = np.arange(n)
    return [
        sparse.csr_array((w, (codes[q], rows)), shape=(int(offsets[q + 1] - offsets[q]), n))
        for q in range(codes.shape[0])
    ]


def _sweep(
    r: np.ndarray,
    codes: np.ndarray,
    offsets: np.ndarray,
    inv: np.ndarray,
    coef: np.ndarray,
    summers: list[sparse.csr_array],
) -> None:
    """One Gauss-Seidel sweep: each fixed effect's level means of r are added to ``coef``
    and subtracted from r (both in place)."""
    for q, summer in enumerate(summers):
        lo, hi = int(offsets[q]), int(offsets[q + 1])
        step = (summer @ r) * inv[lo:hi, None]
        coef[lo:hi] += step
        r -= step[codes[q]]


def _converged(a: np.ndarray, b: np.ndarray, threshold: np.ndarray) -> bool:
    """True when every column's largest absolute change from a to b is within threshold."""
    if a.shape[0] == 0:
        return True
    return bool(np.all(np.abs(a - b).max(axis=0) <= threshold))


def demean_block(
    r: np.ndarray,
    w: np.ndarray,
    codes: np.ndarray,
    offsets: np.ndarray,
    inv: np.ndarray,
    coef: np.ndarray,
    threshold: np.ndarray,
    maxiter: int,
) -> int:
    """Partial the fixed effects out of every column of ``r`` (in place).

    Contract of :func:`belru_trade.models.hdfe._kernels.demean_block`: on entry
    ``r = x - fitted(coef)``, on return the same identity holds with the converged
    coefficients in ``coef``. Returns the number of sweeps, or -1 after ``maxiter`` sweeps.
    """
    nfe = codes.shape[0]
    summers = _summers(codes, offsets, w)
    sweeps = 0
    while sweeps < maxiter:
        g1 = coef.copy()
        _sweep(r, codes, offsets, inv, g1, summers)
        sweeps += 1
        if nfe == 1 or _converged(g1, coef, threshold):
            coef[:] = g1
            return sweeps
        g2 = g1.copy()
        _sweep(r, codes, offsets, inv, g2, summers)
        sweeps += 1
        if _converged(g2, g1, threshold):
            coef[:] = g2
            return sweeps
        d = g2 - g1
        d2 = d - g1 + coef
        num = np.einsum("gj,gj->j", d, d2)
        ssq = np.einsum("gj,gj->j", d2, d2)
        step = np.divide(num, ssq, out=np.zeros_like(num), where=ssq > 0)
        new = g2 - step * d
        subtract_fitted(r, codes, offsets, new - g2)
        coef[:] = new
    return -1


def weighted_gram(r: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``r' diag(w) r`` for an n x k block."""
    gram = r.T @ (r * w[:, None])
    return np.asarray((gram + gram.T) / 2.0)


def irls_prepare(
    y: np.ndarray,
    wu: np.ndarray,
    off: np.ndarray,
    eta: np.ndarray,
    mu: np.ndarray,
    z_prev: np.ndarray,
    r: np.ndarray,
    w: np.ndarray,
) -> float:
    """Working weights ``w = wu mu`` and response ``z = eta - off + (y - mu) / mu`` (in place
    in ``z_prev``); column 0 of ``r`` moves by ``z - z_prev``. Empty ``wu`` / ``off`` stand
    for ones / zeros. Returns the weighted standard deviation of z."""
    z = eta + (y - mu) / mu
    if off.size:
        z -= off
    w[:] = wu * mu if wu.size else mu
    r[:, 0] += z - z_prev
    z_prev[:] = z
    sw = float(w.sum())
    mean = float(w @ z) / sw
    dev = z - mean
    return float(np.sqrt(float(w @ (dev * dev)) / sw))


def eta_update(
    z: np.ndarray, r: np.ndarray, beta: np.ndarray, off: np.ndarray, eta: np.ndarray
) -> None:
    """New linear index ``eta = z - (z~ - X~ beta) + off``, capped at 700 (in place)."""
    e = z - r[:, 0] + r[:, 1:] @ beta
    if off.size:
        e += off
    np.minimum(e, 700.0, out=eta)


def deviance_sums(
    y: np.ndarray, wu: np.ndarray, eta: np.ndarray, mu: np.ndarray
) -> tuple[float, float]:
    """``sum wu y eta`` and ``sum wu mu`` (the varying parts of the Poisson deviance)."""
    if wu.size:
        return float((wu * y) @ eta), float(wu @ mu)
    return float(y @ eta), float(mu.sum())


def poisson_constants(y: np.ndarray, wu: np.ndarray) -> tuple[float, float, float, float]:
    """``sum wu y log y``, ``sum wu y``, ``sum wu`` and ``sum wu log(y!)``."""
    weights = wu if wu.size else np.ones(y.size)
    pos = y > 0
    ylogy = np.zeros(y.size)
    ylogy[pos] = y[pos] * np.log(y[pos])
    logfact = np.where(pos, gammaln(y + 1.0), 0.0)
    return (
        float(weights @ ylogy),
        float(weights @ y),
        float(weights.sum()),
        float(weights @ logfact),
    )


def scores(
    r: np.ndarray, scale: np.ndarray, y: np.ndarray, wu: np.ndarray, mu: np.ndarray
) -> np.ndarray:
    """Score contributions ``X~ wu (y - mu)`` of the regressors (columns 1.. of the block
    ``r = [z~, X~ / scale]``)."""
    u = y - mu
    if wu.size:
        u = u * wu
    return np.asarray(r[:, 1:] * scale * u[:, None])
