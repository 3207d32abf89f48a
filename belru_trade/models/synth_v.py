"""Predictor weights ``V`` chosen by the nested optimisation of Abadie et al. (2010).

For predictors ``X1`` (treated) and ``X0`` (donors), each row divided by its standard
deviation across all units, ``V = diag(v)`` with ``v >= 0`` and ``sum v = 1`` is chosen to
minimise the pre-period mean squared prediction error of the *outcome*::

    L(V) = (Z1 - Z0 W*(V))' (Z1 - Z0 W*(V)) / T0,
    W*(V) = argmin_{w in simplex} (X1 - X0 w)' V (X1 - X0 w)

The outer problem is not convex; it is solved by Nelder-Mead on ``v = |x| / sum |x|``
starting from equal weights on the standardised predictors (which is the fixed,
inverse-variance weighting of :func:`~belru_trade.models.synth.synth`), as pysyncon and
R's Synth do, so the result never fits the pre-period outcomes worse than that start.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import optimize

__all__ = ["NestedV", "nested_v"]


@dataclass(frozen=True)
class NestedV:
    """Outcome of :func:`nested_v`.

    Attributes
    ----------
    v_scaled : numpy.ndarray
        Weights on the standardised predictors (sum to one): the ``V`` that is reported.
    v : numpy.ndarray
        The same weights on the original predictor scale (``v_scaled / sd**2``), to pass
        to :func:`~belru_trade.models.synth.synth_weights`.
    loss : float
        Pre-period outcome MSPE at the optimum.
    loss_start : float
        The same at equal standardised weights.
    """

    v_scaled: np.ndarray
    v: np.ndarray
    loss: float
    loss_start: float


def nested_v(
    x1: np.ndarray,
    X0: np.ndarray,
    z1: np.ndarray,
    Z0: np.ndarray,
    *,
    solve: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray],
    maxiter: int = 1000,
) -> NestedV:
    """Choose ``V`` by the nested optimisation (see the module notes).

    Parameters
    ----------
    x1, X0 : numpy.ndarray
        Predictors of the treated unit ``(k,)`` and of the donors ``(k, J)``.
    z1, Z0 : numpy.ndarray
        Pre-period outcomes of the treated unit ``(T0,)`` and of the donors ``(T0, J)``.
    solve : callable
        The inner solver ``solve(x1, X0, v) -> w``
        (:func:`belru_trade.models.synth.synth_weights`).
    maxiter : int, default 1000
        Nelder-Mead iterations.

    Returns
    -------
    NestedV
    """
    sd = np.std(np.c_[X0, x1], axis=1, ddof=1)
    sd = np.where(sd > 0, sd, 1.0)
    k = len(x1)

    def weights(x: np.ndarray) -> np.ndarray:
        a = np.abs(x)
        total = a.sum()
        return np.full(k, 1.0 / k) if total == 0 else a / total

    def loss(x: np.ndarray) -> float:
        w = solve(x1, X0, weights(x) / sd**2)
        gap = z1 - Z0 @ w
        return float(gap @ gap / len(z1))

    start = np.full(k, 1.0 / k)
    res = optimize.minimize(loss, start, method="Nelder-Mead", options={"maxiter": maxiter})
    v_scaled = weights(res.x)
    best, loss_start = float(res.fun), loss(start)
    if loss_start < best:  # never worse than the fixed weighting it starts from
        v_scaled, best = start, loss_start
    return NestedV(v_scaled=v_scaled, v=v_scaled / sd**2, loss=best, loss_start=loss_start)
