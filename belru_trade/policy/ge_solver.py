"""Fixed-point solver of the one-sector structural gravity model (Anderson & van Wincoop 2003).

The model, in the notation of Yotov, Piermartini, Monteiro & Larch (2016, ch. 2), with
``T[i, j]`` the bilateral trade-cost term ``t_ij^(1 - sigma)`` (domestic pairs included):

    X_ij   = Y_i E_j T_ij / (OMR_i IMR_j)
    OMR_i  = sum_j T_ij E_j / IMR_j        (outward resistance, Pi_i^(1 - sigma))
    IMR_j  = sum_i T_ij Y_i / OMR_i        (inward resistance, P_j^(1 - sigma))

with the normalisation ``IMR_ref = 1`` (the reference country's inward resistance is the
numeraire, as in the book's do-files). In the full endowment equilibrium the value of output
moves with the factory-gate price, ``Y_i' = p_i Y_i``, expenditure follows output with the
baseline ratio ``phi_i = E_i / Y_i``, and market clearing gives
``p_i = (OMR_i' / OMR_i) ** (1 / sigma)``.

Examples
--------
>>> T = np.array([[1.0, 0.2], [0.2, 1.0]])
>>> Y = np.array([10.0, 5.0])
>>> omr, imr = solve_resistances(T, Y, Y, reference=0)
>>> float(imr[0])
1.0
"""

from __future__ import annotations

from typing import TypedDict

import numpy as np

from belru_trade.errors import ConvergenceError, InvalidArgumentError


class FullEquilibrium(TypedDict):
    """Solution of the full-endowment general equilibrium."""

    price: np.ndarray
    Y: np.ndarray
    E: np.ndarray
    omr: np.ndarray
    imr: np.ndarray
    iterations: int


__all__ = [
    "fit_two_way",
    "solve_full",
    "solve_full_yotov2016",
    "solve_resistances",
    "trade_matrix",
]


def _check_inputs(T: np.ndarray, Y: np.ndarray, E: np.ndarray) -> None:
    n = len(Y)
    if T.shape != (n, n) or E.shape != (n,):
        raise InvalidArgumentError(f"T must be {n}x{n} and E of length {n}; got {T.shape}")
    if not (np.all(np.isfinite(T)) and np.all(T >= 0)):
        raise InvalidArgumentError("trade costs T must be finite and non-negative")
    if not (np.all(Y > 0) and np.all(E > 0)):
        raise InvalidArgumentError("output Y and expenditure E must be strictly positive")


def solve_resistances(
    T: np.ndarray,
    Y: np.ndarray,
    E: np.ndarray,
    *,
    reference: int,
    tol: float = 1e-12,
    maxiter: int = 100_000,
) -> tuple[np.ndarray, np.ndarray]:
    """Solve the outward and inward multilateral resistances for given Y, E and T.

    Alternating (Sinkhorn) updates of the two resistance systems; the solution is unique up
    to a scalar, fixed by ``IMR[reference] = 1``.

    Parameters
    ----------
    T : ndarray (n, n)
        Trade-cost terms ``t_ij^(1-sigma)``, exporter in rows.
    Y, E : ndarray (n,)
        Output (value of sales incl. domestic) and expenditure.
    reference : int
        Index of the reference country.
    tol : float
        Convergence tolerance on the relative change of the resistances.
    maxiter : int
        Maximum number of sweeps.

    Returns
    -------
    omr, imr : ndarray
        ``Pi^(1-sigma)`` and ``P^(1-sigma)``.

    Raises
    ------
    ConvergenceError
        If the sweeps do not converge within ``maxiter``.
    """
    T = np.asarray(T, float)
    Y = np.asarray(Y, float)
    E = np.asarray(E, float) * (Y.sum() / np.asarray(E, float).sum())
    _check_inputs(T, Y, E)
    imr = np.ones(len(Y))
    for _ in range(maxiter):
        omr = T @ (E / imr)
        new = T.T @ (Y / omr)
        new = new / new[reference]
        change = np.max(np.abs(new / imr - 1.0))
        imr = new
        if change < tol:
            return T @ (E / imr), imr
    raise ConvergenceError(f"multilateral resistances did not converge in {maxiter} sweeps")


def trade_matrix(
    T: np.ndarray, Y: np.ndarray, E: np.ndarray, omr: np.ndarray, imr: np.ndarray
) -> np.ndarray:
    """Bilateral flows ``X_ij = Y_i E_j T_ij / (OMR_i IMR_j)``.

    >>> trade_matrix(np.ones((1, 1)), np.ones(1), np.ones(1), np.ones(1), np.ones(1)).tolist()
    [[1.0]]
    """
    return np.outer(Y / omr, E / imr) * T


def solve_full(
    T_cfl: np.ndarray,
    Y: np.ndarray,
    E: np.ndarray,
    omr_bln: np.ndarray,
    *,
    sigma: float,
    reference: int,
    tol: float = 1e-10,
    maxiter: int = 10_000,
) -> FullEquilibrium:
    """Full endowment general equilibrium under counterfactual costs ``T_cfl``.

    Iterates ``p <- (OMR'(p) / OMR_bln) ** (1 / sigma)`` where ``OMR'(p)`` solves the
    resistance system with ``Y' = p Y`` and ``E' = phi p Y`` (``phi = E / Y``); the map is a
    contraction (exponent ``1/sigma``), so the iteration converges for ``sigma > 1``.

    Parameters
    ----------
    T_cfl : ndarray (n, n)
        Counterfactual trade-cost terms.
    Y, E : ndarray (n,)
        Baseline output and expenditure.
    omr_bln : ndarray (n,)
        Baseline outward resistances (same normalisation).
    sigma : float
        Elasticity of substitution (> 1).
    reference : int
        Index of the reference country (``IMR = 1``).
    tol, maxiter : float, int
        Convergence tolerance on the price changes and maximum iterations.

    Returns
    -------
    dict
        ``price`` (p'/p), ``Y``, ``E``, ``omr``, ``imr`` and ``iterations``.
    """
    if not sigma > 1:
        raise InvalidArgumentError(f"sigma={sigma!r} must be greater than 1")
    phi = np.asarray(E, float) / np.asarray(Y, float)
    price = np.ones(len(Y))
    for iteration in range(1, maxiter + 1):
        y_new = price * Y
        omr, imr = solve_resistances(T_cfl, y_new, phi * y_new, reference=reference)
        new = (omr / omr_bln) ** (1.0 / sigma)
        change = np.max(np.abs(new - price))
        price = new
        if change < tol:
            y_new = price * Y
            e_new = phi * y_new * (y_new.sum() / (phi * y_new).sum())
            omr, imr = solve_resistances(T_cfl, y_new, e_new, reference=reference)
            return {
                "price": price,
                "Y": y_new,
                "E": e_new,
                "omr": omr,
                "imr": imr,
                "iterations": iteration,
            }
    raise ConvergenceError(f"full endowment equilibrium did not converge in {maxiter} iterations")


def fit_two_way(X: np.ndarray, T: np.ndarray, *, reference: int) -> dict[str, np.ndarray]:
    """PPML of ``X`` on exporter and importer fixed effects with offset ``log T``, in closed form.

    The Poisson first-order conditions make fitted row and column sums equal the observed
    ones, so the fit is the resistance solution for ``Y = X.sum(1)``, ``E = X.sum(0)``. The
    importer effect of ``reference`` is 0 (the Stata do-file's normalisation).

    Returns
    -------
    dict
        ``fitted``, ``exp_pi`` (exporter effects, exponentiated), ``exp_chi`` (importer).
    """
    rows, cols = X.sum(1), X.sum(0)
    omr, imr = solve_resistances(T, rows, cols, reference=reference)
    exp_pi = rows * cols[reference] / omr
    exp_chi = cols / (imr * cols[reference])
    return {"fitted": np.outer(exp_pi, exp_chi) * T, "exp_pi": exp_pi, "exp_chi": exp_chi}


def solve_full_yotov2016(
    T_bln: np.ndarray,
    T_cfl: np.ndarray,
    X: np.ndarray,
    *,
    sigma: float,
    reference: int,
    tol: float = 0.01,
    maxiter: int = 100,
) -> FullEquilibrium:
    """The full endowment loop of Yotov et al. (2016, ch. 2, do-file ``RTAsEffects.do``).

    Each step re-fits the constrained PPML on ``trade_s = hat_(s-1) * dp_i * dp_j /
    (dOMR_i * dIMR_j)`` (the changes of the previous step) and derives the next price
    change from the exporter effects, ``dp = ((exp_pi_s / exp_pi_(s-1)) / (E_R,s /
    E_R,(s-1))) ** (1/(1-sigma))``. The loop stops when both the maximum and the standard
    deviation (over countries, ddof=1) of the difference between two consecutive step
    changes fall below ``tol`` (0.01 in the book). The iterates oscillate around the
    equilibrium of :func:`solve_full`, so the book's stopping rule ends at a point that
    differs from the converged equilibrium; this function reproduces the published numbers.

    Returns
    -------
    dict
        ``price``, ``Y``, ``E``, ``omr``, ``imr`` (book definitions) and ``iterations``.

    Raises
    ------
    ConvergenceError
        If the stopping rule is not met within ``maxiter`` steps (as :func:`solve_full`).
    """
    inv = 1.0 / (1.0 - sigma)
    Y, E = X.sum(1), X.sum(0)
    phi, er0 = E / Y, E[reference]
    bln = fit_two_way(X, T_bln, reference=reference)
    state = fit_two_way(X, T_cfl, reference=reference)
    state.update(er=er0, omr=Y * er0 / state["exp_pi"], imr=E / (state["exp_chi"] * er0))
    step = (state["exp_pi"] / bln["exp_pi"]) ** inv
    d_omr = d_imr = np.ones(len(Y))
    previous = np.zeros(len(Y))
    for iteration in range(1, maxiter + 1):
        trade = state["fitted"] * np.outer(step, step) / np.outer(d_omr, d_imr)
        new = fit_two_way(trade, T_cfl, reference=reference)
        y_s = new["fitted"].sum(1)
        e_s = phi * y_s
        new.update(er=e_s[reference], e=e_s)
        new.update(omr=y_s * new["er"] / new["exp_pi"], imr=e_s / (new["exp_chi"] * new["er"]))
        diff = step - previous
        previous = step
        step = ((new["exp_pi"] / state["exp_pi"]) / (new["er"] / state["er"])) ** inv
        d_omr, d_imr = new["omr"] / state["omr"], new["imr"] / state["imr"]
        state = new
        if iteration > 1 and abs(diff.max()) <= tol and diff.std(ddof=1) <= tol:
            break
    else:
        raise ConvergenceError(
            f"the book's full endowment loop did not meet tol={tol!r} in maxiter={maxiter} "
            "iterations; raise maxiter or tol, or use method='exact'"
        )
    price = ((state["exp_pi"] / bln["exp_pi"]) / (state["er"] / er0)) ** inv
    y_full = price * Y
    return {
        "price": price,
        "Y": y_full,
        "E": phi * y_full,
        "omr": y_full * state["er"] / state["exp_pi"],
        "imr": state["imr"],
        "iterations": iteration,
    }
