"""Least squares after partialling out fixed effects: all columns of a matrix demeaned
together (optionally warm-started), the weighted normal equations on the partialled data,
and the fixed-effect coefficients recovered from the partialling.

Examples
--------
>>> import numpy as np
>>> from belru_trade.models.hdfe.absorb import FixedEffects
>>> fe = FixedEffects([np.array([0, 0, 1, 1])])
>>> Xt, _ = partial(np.array([[1.0], [3.0], [2.0], [6.0]]), fe, np.ones(4), 1e-12)
>>> Xt.ravel().tolist()
[-1.0, 1.0, -2.0, 2.0]
"""

from __future__ import annotations

import numpy as np
from scipy import linalg

from belru_trade.models.hdfe.absorb import Demeaner, FixedEffects

__all__ = ["fe_coefficients", "partial", "wls"]


def partial(
    X: np.ndarray,
    fe: FixedEffects | None,
    w: np.ndarray,
    tol: float,
    start: np.ndarray | None = None,
    *,
    maxiter: int = 10_000,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Partial fixed effects out of every column of X.

    Parameters
    ----------
    X : ndarray
        n x k matrix (not modified).
    fe : FixedEffects or None
        Fixed effects (None: X is returned as a copy).
    w : ndarray
        Observation weights.
    tol : float
        Stopping rule: relative to each column's weighted standard deviation
        (:meth:`Demeaner.demean_block`).
    start : ndarray, optional
        Warm-start coefficients, stacked levels x k.
    maxiter : int
        Maximum number of sweeps.

    Returns
    -------
    (ndarray, ndarray or None)
        The partialled columns (n x k, C order) and the fixed-effect coefficients (stacked
        levels of all fixed effects x k), or None without fixed effects.
    """
    r = np.array(X, dtype=np.float64, order="C")
    if fe is None:
        return r, None
    dm = Demeaner(fe, w)
    scale = dm.weighted_sd(r)
    if start is None:
        coef = np.zeros((int(dm.offsets[-1]), r.shape[1]))
    else:
        coef = np.array(start, dtype=np.float64, order="C")
        dm.subtract_fitted(r, coef)
    if r.shape[1]:
        dm.demean_block(r, coef, tol * np.maximum(scale, 1e-300), maxiter)
    return r, coef


def fe_coefficients(
    fe: FixedEffects | None, y_coef: np.ndarray, x_coef: np.ndarray, beta: np.ndarray
) -> list[np.ndarray]:
    """Fixed effects of the fit: those of the outcome minus ``beta`` times those of each
    regressor, split per fixed effect and normalised so that every fixed effect but the
    first has 0 at its first level.
    """
    if fe is None:
        return []
    coefs = fe.split(y_coef - x_coef @ beta if beta.size else y_coef.copy())
    for q in range(1, len(coefs)):
        shift = coefs[q][0]
        coefs[q] = coefs[q] - shift
        coefs[0] = coefs[0] + shift
    return coefs


def wls(Xt: np.ndarray, zt: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted least squares coefficients of ``zt`` on ``Xt``."""
    if Xt.shape[1] == 0:
        return np.zeros(0)
    Xw = Xt * w[:, None]
    return linalg.solve(Xw.T @ Xt, Xw.T @ zt, assume_a="pos")
