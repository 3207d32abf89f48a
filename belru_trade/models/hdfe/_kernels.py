"""Compiled (numba) loops of the fixed-effect demeaning and of the PPML IRLS step.

Every loop streams once over the observations. The fixed-effect codes of all fixed effects
are held as one ``(Q, n)`` int32 array ``codes`` with level offsets ``offsets`` (level g of
fixed effect q is row ``offsets[q] + g`` of a coefficient table). The demeaned block ``r``
(n x k, C order) is updated in place; every column is demeaned at once, so each pass reads the
codes and the weights once for all columns.

One Gauss-Seidel sweep over Q fixed effects takes Q passes: the pass that subtracts the new
coefficients of fixed effect q also accumulates the weighted group sums of fixed effect q + 1
(and the subtraction of the last one is carried into the first pass of the next sweep).
Sweeps are accelerated by Irons & Tuck (1969) extrapolation, per column, as in fixest.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

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


@njit(cache=True, nogil=True)
def inverse_group_weights(
    codes: np.ndarray, offsets: np.ndarray, w: np.ndarray
) -> np.ndarray:  # pragma: no cover - compiled
    """1 / (sum of weights) per level of every fixed effect (0 for empty levels)."""
    nfe, n = codes.shape
    sw = np.zeros(offsets[nfe])
    for q in range(nfe):
        off = offsets[q]
        for i in range(n):
            sw[off + codes[q, i]] += w[i]
    for g in range(sw.size):
        sw[g] = 1.0 / sw[g] if sw[g] > 0 else 0.0
    return sw


@njit(cache=True, nogil=True)
def _accumulate(
    r: np.ndarray, w: np.ndarray, ca: np.ndarray, oa: int, sums: np.ndarray
) -> None:  # pragma: no cover - compiled
    """Add w * r to the group sums (rows ``oa + ca``)."""
    n, k = r.shape
    for i in range(n):
        ga = oa + ca[i]
        wi = w[i]
        for j in range(k):
            sums[ga, j] += wi * r[i, j]


@njit(cache=True, nogil=True)
def _pass_one(
    r: np.ndarray,
    w: np.ndarray,
    cs: np.ndarray,
    os_: int,
    pending: np.ndarray,
    ca: np.ndarray,
    oa: int,
    sums: np.ndarray,
    acc: bool,
) -> None:  # pragma: no cover - compiled
    """Subtract the pending coefficients of one fixed effect (codes ``cs``, rows
    ``os_ + cs``) from r; if ``acc``, add w * r to the group sums of another (``ca``)."""
    n, k = r.shape
    for i in range(n):
        gs = os_ + cs[i]
        if acc:
            ga = oa + ca[i]
            wi = w[i]
            for j in range(k):
                x = r[i, j] - pending[gs, j]
                r[i, j] = x
                sums[ga, j] += wi * x
        else:
            for j in range(k):
                r[i, j] -= pending[gs, j]


@njit(cache=True, nogil=True)
def _pass_all(
    r: np.ndarray,
    w: np.ndarray,
    codes: np.ndarray,
    offsets: np.ndarray,
    pending: np.ndarray,
    ca: np.ndarray,
    oa: int,
    sums: np.ndarray,
    acc: bool,
) -> None:  # pragma: no cover
    """As :func:`_pass_one`, subtracting the pending coefficients of every fixed effect."""
    n, k = r.shape
    nfe = codes.shape[0]
    for i in range(n):
        for j in range(k):
            x = r[i, j]
            for q in range(nfe):
                x -= pending[offsets[q] + codes[q, i], j]
            r[i, j] = x
        if acc:
            ga = oa + ca[i]
            wi = w[i]
            for j in range(k):
                sums[ga, j] += wi * r[i, j]


@njit(cache=True, nogil=True)
def subtract_fitted(
    r: np.ndarray, codes: np.ndarray, offsets: np.ndarray, coef: np.ndarray
) -> None:  # pragma: no cover - compiled
    """``r -= fitted(coef)``: every fixed effect's coefficient of each row, every column."""
    _pass_all(r, np.empty(0), codes, offsets, coef, codes[0], 0, coef, False)


@njit(cache=True, nogil=True)
def _sweep(
    r: np.ndarray,
    w: np.ndarray,
    codes: np.ndarray,
    offsets: np.ndarray,
    inv: np.ndarray,
    coef: np.ndarray,
    pending: np.ndarray,
    state: int,
    sums: np.ndarray,
) -> None:  # pragma: no cover
    """One Gauss-Seidel sweep; ``coef`` is updated in place.

    ``state`` says what is pending on entry: 0 nothing, 1 the last fixed effect, 2 all of
    them. On return the new coefficients of the last fixed effect are pending (rows of fixed
    effect Q-1 in ``pending``).
    """
    nfe = codes.shape[0]
    last = nfe - 1
    sums[:] = 0.0
    if state == 0:
        _accumulate(r, w, codes[0], 0, sums)
    elif state == 1:
        _pass_one(r, w, codes[last], offsets[last], pending, codes[0], 0, sums, True)
    else:
        _pass_all(r, w, codes, offsets, pending, codes[0], 0, sums, True)
    for q in range(nfe):
        for g in range(offsets[q], offsets[q + 1]):
            for j in range(r.shape[1]):
                d = sums[g, j] * inv[g]
                pending[g, j] = d
                coef[g, j] += d
        if q < last:
            _pass_one(r, w, codes[q], offsets[q], pending, codes[q + 1], offsets[q + 1], sums, True)


@njit(cache=True, nogil=True)
def _max_change(
    a: np.ndarray, b: np.ndarray, threshold: np.ndarray
) -> bool:  # pragma: no cover - compiled
    """True when every column's largest absolute change from a to b is within threshold."""
    for j in range(a.shape[1]):
        m = 0.0
        for g in range(a.shape[0]):
            m = max(m, abs(a[g, j] - b[g, j]))
        if m > threshold[j]:
            return False
    return True


@njit(cache=True, nogil=True)
def _irons_tuck(
    flat: np.ndarray, g1: np.ndarray, g2: np.ndarray, pending: np.ndarray, nlast: int
) -> None:  # pragma: no cover - compiled
    """Extrapolate ``flat`` from two sweeps g1, g2 (per column); put the correction of the
    residual (new coefficients minus g2) in ``pending``, on top of the ``nlast`` pending
    rows of the last fixed effect."""
    ncoef, k = flat.shape
    start = ncoef - nlast
    for j in range(k):
        num = 0.0
        ssq = 0.0
        for g in range(ncoef):
            d = g2[g, j] - g1[g, j]
            d2 = d - g1[g, j] + flat[g, j]
            num += d * d2
            ssq += d2 * d2
        step = num / ssq if ssq > 0 else 0.0
        for g in range(ncoef):
            new = g2[g, j] - step * (g2[g, j] - g1[g, j])
            corr = new - g2[g, j]
            pending[g, j] = pending[g, j] + corr if g >= start else corr
            flat[g, j] = new


@njit(cache=True, nogil=True)
def demean_block(
    r: np.ndarray,
    w: np.ndarray,
    codes: np.ndarray,
    offsets: np.ndarray,
    inv: np.ndarray,
    coef: np.ndarray,
    threshold: np.ndarray,
    maxiter: int,
) -> int:  # pragma: no cover
    """Partial the fixed effects out of every column of ``r`` (in place).

    On entry ``r = x - fitted(coef)`` for the columns x to transform (warm start ``coef``,
    zeros for a cold start); on return the same identity holds with the converged
    coefficients in ``coef``. Stops when a sweep changes no coefficient of column j by more
    than ``threshold[j]``. Returns the number of sweeps, or -1 after ``maxiter`` sweeps.
    """
    nfe = codes.shape[0]
    ncoef, k = coef.shape
    nlast = offsets[nfe] - offsets[nfe - 1]
    pending = np.zeros((ncoef, k))
    sums = np.empty((ncoef, k))
    g1 = np.empty((ncoef, k))
    last = nfe - 1
    sweeps, state, done = 0, 0, False
    while sweeps < maxiter:
        g1[:] = coef
        _sweep(r, w, codes, offsets, inv, g1, pending, state, sums)
        state = 1
        sweeps += 1
        if nfe == 1 or _max_change(g1, coef, threshold):
            coef[:] = g1
            done = True
            break
        g2 = g1.copy()
        _sweep(r, w, codes, offsets, inv, g2, pending, state, sums)
        sweeps += 1
        if _max_change(g2, g1, threshold):
            coef[:] = g2
            done = True
            break
        _irons_tuck(coef, g1, g2, pending, nlast)
        state = 2
    if state == 1:
        _pass_one(r, w, codes[last], offsets[last], pending, codes[0], 0, sums, False)
    elif state == 2:
        _pass_all(r, w, codes, offsets, pending, codes[0], 0, sums, False)
    return sweeps if done else -1


@njit(cache=True, nogil=True)
def weighted_gram(r: np.ndarray, w: np.ndarray) -> np.ndarray:  # pragma: no cover - compiled
    """``r' diag(w) r`` for an n x k block."""
    n, k = r.shape
    out = np.zeros((k, k))
    for i in range(n):
        wi = w[i]
        for a in range(k):
            va = wi * r[i, a]
            for b in range(a + 1):
                out[a, b] += va * r[i, b]
    for a in range(k):
        for b in range(a):
            out[b, a] = out[a, b]
    return out


@njit(cache=True, nogil=True)
def irls_prepare(
    y: np.ndarray,
    wu: np.ndarray,
    off: np.ndarray,
    eta: np.ndarray,
    mu: np.ndarray,
    z_prev: np.ndarray,
    r: np.ndarray,
    w: np.ndarray,
) -> float:  # pragma: no cover - compiled
    """Working weights ``w = wu mu`` and response ``z = eta - off + (y - mu) / mu`` (in place
    in ``z_prev``); column 0 of ``r`` moves by ``z - z_prev`` (keeping its warm start).
    Empty ``wu`` / ``off`` stand for ones / zeros. Returns the weighted standard deviation
    of z."""
    n = y.size
    sw, s1, s2 = 0.0, 0.0, 0.0
    for i in range(n):
        zi = eta[i] + (y[i] - mu[i]) / mu[i]
        if off.size:
            zi -= off[i]
        wi = wu[i] * mu[i] if wu.size else mu[i]
        w[i] = wi
        r[i, 0] += zi - z_prev[i]
        z_prev[i] = zi
        sw += wi
        s1 += wi * zi
    mean = s1 / sw
    for i in range(n):
        d = z_prev[i] - mean
        s2 += w[i] * d * d
    return np.sqrt(s2 / sw)


@njit(cache=True, nogil=True)
def eta_update(
    z: np.ndarray, r: np.ndarray, beta: np.ndarray, off: np.ndarray, eta: np.ndarray
) -> None:  # pragma: no cover - compiled
    """New linear index ``eta = z - (z~ - X~ beta) + off`` from the demeaned block
    ``r = [z~, X~]``, capped at 700 (exp overflows above 709); empty ``off`` stands for
    zeros."""
    n, k = r.shape
    for i in range(n):
        resid = r[i, 0]
        for j in range(1, k):
            resid -= r[i, j] * beta[j - 1]
        e = z[i] - resid
        if off.size:
            e += off[i]
        eta[i] = min(e, 700.0)


@njit(cache=True, nogil=True)
def deviance_sums(
    y: np.ndarray, wu: np.ndarray, eta: np.ndarray, mu: np.ndarray
) -> tuple[float, float]:  # pragma: no cover - compiled
    """``sum wu y eta`` and ``sum wu mu`` (the varying parts of the Poisson deviance)."""
    a, b = 0.0, 0.0
    for i in range(y.size):
        wi = wu[i] if wu.size else 1.0
        a += wi * y[i] * eta[i]
        b += wi * mu[i]
    return a, b


@njit(cache=True, nogil=True)
def poisson_constants(
    y: np.ndarray, wu: np.ndarray
) -> tuple[float, float, float, float]:  # pragma: no cover - compiled
    """``sum wu y log y``, ``sum wu y``, ``sum wu`` and ``sum wu log(y!)``."""
    a, b, c, d = 0.0, 0.0, 0.0, 0.0
    for i in range(y.size):
        wi = wu[i] if wu.size else 1.0
        yi = y[i]
        if yi > 0:
            a += wi * yi * np.log(yi)
            d += wi * math.lgamma(yi + 1.0)
        b += wi * yi
        c += wi
    return a, b, c, d


@njit(cache=True, nogil=True)
def scores(
    r: np.ndarray, scale: np.ndarray, y: np.ndarray, wu: np.ndarray, mu: np.ndarray
) -> np.ndarray:  # pragma: no cover - compiled
    """Score contributions ``X~ wu (y - mu)`` of the regressors (columns 1.. of the block
    ``r = [z~, X~ / scale]``)."""
    n, k1 = r.shape
    out = np.empty((n, k1 - 1))
    for i in range(n):
        u = y[i] - mu[i]
        if wu.size:
            u *= wu[i]
        for j in range(k1 - 1):
            out[i, j] = r[i, j + 1] * scale[j] * u
    return out
