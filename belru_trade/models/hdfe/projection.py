"""Least squares after partialling out fixed effects: every column of a matrix demeaned
(warm-started per column), and the weighted normal equations on the partialled data.

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

from collections.abc import Sequence

import numpy as np
from scipy import linalg

from belru_trade.models.hdfe.absorb import Demeaner, FixedEffects

__all__ = ["partial", "wls"]


def partial(
    X: np.ndarray,
    fe: FixedEffects | None,
    w: np.ndarray,
    tol: float,
    starts: Sequence[list[np.ndarray] | None] | None = None,
) -> tuple[np.ndarray, list]:
    """Partial fixed effects out of every column of X (warm starts per column)."""
    if fe is None:
        return X.copy(), [None] * X.shape[1]
    dm = Demeaner(fe, w)
    out = np.empty_like(X)
    alphas = []
    for j in range(X.shape[1]):
        start = None if starts is None else starts[j]
        out[:, j], a = dm.demean(X[:, j], tol=tol, start=start)
        alphas.append(a)
    return out, alphas


def wls(Xt: np.ndarray, zt: np.ndarray, w: np.ndarray) -> np.ndarray:
    if Xt.shape[1] == 0:
        return np.zeros(0)
    Xw = Xt * w[:, None]
    return linalg.solve(Xw.T @ Xt, Xw.T @ zt, assume_a="pos")
