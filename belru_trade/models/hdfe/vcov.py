"""Covariance estimators (iid, heteroskedasticity-robust, one- and multi-way cluster).

All are sandwich forms ``V = c * B^{-1} M B^{-1}`` with ``B = X~' W X~`` (the bread, from
the partialled regressors) and ``M`` built from the scores ``s_i = x~_i * u_i`` (u the
working residual times weight). ``c`` is the small-sample correction chosen by ``ssc``.

Small-sample conventions (``ssc``)
----------------------------------
``"fixest"`` (default)
    fixest/pyfixest defaults: ``(N-1)/(N-K)`` (``N/(N-K)`` for hetero) with K = regressors
    plus fixed-effect levels minus one per extra fixed effect, fixed effects nested in a
    cluster variable not counted; ``G/(G-1)`` with the smallest G for multi-way clusters.
``"stata"``
    Stata's conventions for maximum-likelihood models (``poisson``, ``ppmlhdfe``):
    robust ``N/(N-1)``; cluster ``G/(G-1)``. For OLS, reghdfe's: robust ``N/(N-K)``,
    cluster ``(N-1)/(N-K) * G/(G-1)``.
``"cluster"``
    ``G/(G-1)`` only (no K correction), as reported by capybara and in Yotov et al. (2016).
``"none"``
    No correction.

Inference (p-values and confidence intervals)
---------------------------------------------
As fixest and pyfixest: the normal distribution (z) for Poisson models (PPML, whose
results carry ``df_resid=None``); Student t for least squares, with ``G - 1`` degrees of
freedom when clustered (G the smallest number of clusters among the cluster variables) and
``N - K`` otherwise (the second value returned by :func:`sandwich`).

Examples
--------
>>> rng = np.random.default_rng(0)
>>> X = rng.normal(size=(50, 1)); u = rng.normal(size=50)
>>> bread = np.linalg.inv(X.T @ X)
>>> V = sandwich(bread, X * u[:, None], "hetero", ssc="none", dof=Dof(50, 1))[0]
>>> bool(np.isclose(V[0, 0], bread[0, 0] ** 2 * np.sum((X[:, 0] * u) ** 2)))
True
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations

import numpy as np

from belru_trade._validation import check_choice
from belru_trade.errors import InvalidArgumentError

__all__ = ["SSC_CHOICES", "Dof", "cluster_codes", "fe_nested_in", "sandwich"]

SSC_CHOICES = ("fixest", "stata", "cluster", "none")


@dataclass(frozen=True)
class Dof:
    """Counts that enter the small-sample corrections.

    Attributes
    ----------
    nobs : int
        Observations.
    k : int
        Estimated slope coefficients.
    fe_sizes : tuple of int
        Levels per fixed effect.
    fe_nested : tuple of bool
        Whether each fixed effect is nested in (one of) the cluster variables.
    model : str
        ``"ml"`` (PPML) or ``"ols"``.
    """

    nobs: int
    k: int
    fe_sizes: tuple[int, ...] = ()
    fe_nested: tuple[bool, ...] = field(default=())
    model: str = "ml"

    def df_k(self, nested_rule: bool) -> int:
        """Parameters counted in the K correction (fixest's ``fixef.K = 'nested'`` rule)."""
        if not self.fe_sizes:
            return self.k
        total = sum(self.fe_sizes) - (len(self.fe_sizes) - 1)
        if nested_rule and any(self.fe_nested):
            nested = [s for s, n in zip(self.fe_sizes, self.fe_nested, strict=True) if n]
            total += -sum(nested) + len(nested)
        return self.k + total


def fe_nested_in(fe_codes: np.ndarray, clusters: list[np.ndarray]) -> bool:
    """True if every level of the fixed effect lies in a single cluster of some variable.

    >>> fe_nested_in(np.array([0, 0, 1]), [np.array([5, 5, 6])])
    True
    """
    n_levels = np.unique(fe_codes).size
    for cl in clusters:
        combined = fe_codes.astype(np.int64) * (int(cl.max()) + 1) + cl
        if np.unique(combined).size == n_levels:
            return True
    return False


def cluster_codes(frame_cols: list[np.ndarray]) -> list[tuple[int, np.ndarray]]:
    """Codes of each cluster variable and of their intersections (for multi-way clusters)."""
    out = []
    for r in range(1, len(frame_cols) + 1):
        for combo in combinations(frame_cols, r):
            stacked = np.column_stack(combo)
            _, inv = np.unique(stacked, axis=0, return_inverse=True)
            out.append((r, inv.ravel()))
    return out


def _factors(kind: str, ssc: str, dof: Dof, n_clusters: list[int]) -> tuple[float, float, float]:
    """(K factor, G factor, t degrees of freedom) for the chosen convention."""
    n = dof.nobs
    df_k = dof.df_k(nested_rule=kind == "cluster")
    g = min(n_clusters) if n_clusters else n
    g_factor = g / (g - 1) if kind == "cluster" and g > 1 else 1.0
    df_t = (g - 1) if kind == "cluster" else max(n - df_k, 1)
    if ssc == "none":
        return 1.0, 1.0, df_t
    if ssc == "cluster":
        return 1.0, g_factor, df_t
    if ssc == "stata" and dof.model == "ml":
        return (n / (n - 1) if kind == "hetero" else 1.0), g_factor, df_t
    if kind == "hetero":
        return n / max(n - df_k, 1), 1.0, df_t
    return (n - 1) / max(n - df_k, 1), g_factor, df_t


def sandwich(
    bread: np.ndarray,
    scores: np.ndarray,
    kind: str,
    *,
    ssc: str = "fixest",
    dof: Dof,
    clusters: list[np.ndarray] | None = None,
    sigma2: float = 1.0,
) -> tuple[np.ndarray, float]:
    """Covariance matrix of the estimates.

    Parameters
    ----------
    bread : ndarray (k, k)
        Inverse of ``X~' W X~``.
    scores : ndarray (n, k)
        Score contributions ``x~_i * w_i * u_i``.
    kind : {"iid", "hetero", "cluster"}
        Estimator.
    ssc : {"fixest", "stata", "cluster", "none"}
        Small-sample convention (module docstring).
    dof : Dof
        Counts for the corrections.
    clusters : list of ndarray, optional
        Integer codes of each cluster variable (required for ``"cluster"``).
    sigma2 : float
        Residual variance for ``"iid"`` (1 for Poisson; RSS/(N-1) for OLS, before the K
        factor).

    Returns
    -------
    (ndarray, float)
        Covariance matrix and the degrees of freedom for t inference.
    """
    check_choice("vcov", kind, ("iid", "hetero", "cluster"))
    check_choice("ssc", ssc, SSC_CHOICES)
    if kind == "iid":
        kf, _, df_t = _factors(kind, ssc, dof, [])
        return bread * sigma2 * kf, df_t
    if kind == "hetero":
        kf, _, df_t = _factors(kind, ssc, dof, [])
        meat = scores.T @ scores
        return kf * bread @ meat @ bread, df_t
    if not clusters:
        raise InvalidArgumentError("vcov='cluster' needs cluster= column names")
    sizes = [int(c.max()) + 1 for c in clusters]
    kf, gf, df_t = _factors(kind, ssc, dof, sizes)
    if scores.shape[1] == 0:  # every regressor dropped
        return np.zeros((0, 0)), df_t
    meat = np.zeros((scores.shape[1], scores.shape[1]))
    for r, codes in cluster_codes(clusters):
        summed = np.column_stack(
            [np.bincount(codes, weights=scores[:, j]) for j in range(scores.shape[1])]
        )
        meat += (-1) ** (r + 1) * (summed.T @ summed)
    return kf * gf * bread @ meat @ bread, df_t
