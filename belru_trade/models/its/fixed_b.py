"""Fixed-b critical values for Newey-West t statistics (Kiefer & Vogelsang 2005).

Newey-West intervals with normal (or Student) critical values under-cover at the lengths
of interrupted time series (48-60 months): the HAC variance is itself noisy and biased
downwards when the bandwidth is a sizeable fraction of the sample. Fixed-b asymptotics
keep the ratio ``b = M / T`` (``M = lags + 1`` for Bartlett weights) fixed; the limit of
the t statistic is then pivotal but non-normal, and depends on the regressors (a trend
and intervention steps change it). Rather than a tabulated polynomial for the location
model, the critical values here are simulated for the **actual design**: ``R`` Gaussian
white-noise outcomes are regressed on ``X`` (weighted by ``sqrt(mu)`` for Poisson fits,
the IRLS weights), the same Bartlett HAC with the same lags (no small-sample factor, as
statsmodels) is applied, and the quantiles of ``|t|`` per coefficient are the critical
values. The fixed-b limit does not depend on the error autocorrelation, so white noise
suffices. One least-squares solve for all replications and ``k (lags + 1)`` products:
about 15 ms per table for ``R = 2000`` (BENCHMARKS.md), and :func:`its` itself is
unchanged.

References
----------
Kiefer & Vogelsang (2005), Econometric Theory 21(6):1130-1164.
Lazarus, Lewis, Stock & Watson (2018), J. Bus. Econ. Stat. 36(4):541-559.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from belru_trade._validation import check_draws, check_fraction, check_seed
from belru_trade.errors import InvalidArgumentError

__all__ = ["fixed_b_distribution", "fixed_b_scan", "fixed_b_tidy"]


def fixed_b_distribution(
    X: np.ndarray, lags: int, *, weights: np.ndarray | None = None, n_rep: int = 2000,
    seed: int = 0,
) -> np.ndarray:  # fmt: skip
    """Simulated ``|t|`` statistics ``(n_rep, k)`` under the null for design ``X``.

    Parameters
    ----------
    X : numpy.ndarray
        ``(n, k)`` design.
    lags : int
        Newey-West lags (Bartlett weights ``1 - l / (lags + 1)``).
    weights : numpy.ndarray, optional
        IRLS weights (fitted means of a Poisson fit); the design becomes ``sqrt(w) X``.
    n_rep : int, default 2000
        Null simulations, 200 to 100,000.
    seed : int, default 0
    """
    check_draws("n_rep", n_rep, minimum=200)
    check_seed(seed)
    Xw = X if weights is None else X * np.sqrt(np.asarray(weights, float))[:, None]
    rng = np.random.default_rng(seed)
    U = rng.standard_normal((X.shape[0], n_rep))
    Q = Xw @ np.linalg.inv(Xw.T @ Xw)  # influence of each observation on each coefficient
    params = Q.T @ U  # (k, R)
    E = U - Xw @ params
    out = np.empty((n_rep, Xw.shape[1]))
    for j in range(Xw.shape[1]):
        Z = Q[:, j, None] * E  # (n, R) score contributions to coefficient j
        var = np.einsum("tr,tr->r", Z, Z)
        for lag in range(1, lags + 1):
            w = 1.0 - lag / (lags + 1.0)
            var += 2.0 * w * np.einsum("tr,tr->r", Z[lag:], Z[:-lag])
        out[:, j] = np.abs(params[j]) / np.sqrt(var)
    return out


def fixed_b_tidy(
    results: Any, *, level: float = 0.95, n_rep: int = 2000, seed: int = 0
) -> pd.DataFrame:
    """Coefficient table of an :func:`~belru_trade.its` fit with fixed-b inference.

    Parameters
    ----------
    results : ITSResults
        A fit with ``errors='hac'``.
    level : float, default 0.95
    n_rep, seed
        Simulation size and seed for the critical values.

    Returns
    -------
    pandas.DataFrame
        ``term``, ``estimate``, ``std_error`` (Newey-West, unchanged), ``statistic``,
        ``p_value`` (share of simulated ``|t|`` at least the observed), ``critical_value``,
        ``conf_low``, ``conf_high`` (``estimate -+ critical_value * std_error``) and, for
        log-link families, ``ratio``, ``ratio_low``, ``ratio_high``.

    Raises
    ------
    InvalidArgumentError
        The fit does not use Newey-West errors.

    Examples
    --------
    >>> import numpy as np, pandas as pd, belru_trade as bt
    >>> idx = pd.period_range("2012-01", periods=60, freq="M")
    >>> y = pd.Series(np.random.default_rng(0).normal(10, 1, 60), index=idx)
    >>> res = bt.its(y, "2014-08", family="gaussian", seasonality=None)
    >>> table = fixed_b_tidy(res).set_index("term")
    >>> bool(table.loc["level_change", "critical_value"] > 1.96)
    True
    """
    check_fraction("level", level)
    lags = _hac_lags(results.cov_type, "fit")
    X = results.design.X.to_numpy()
    X = X[:, [results.design.X.columns.get_loc(c) for c in results.params.index]]
    X = X[: results.nobs]
    weights = None
    if results.family in ("poisson", "quasipoisson"):
        weights = results.fitted.to_numpy()[: results.nobs]
    sims = fixed_b_distribution(X, lags, weights=weights, n_rep=n_rep, seed=seed)
    table = pd.DataFrame(
        {"term": results.params.index, "estimate": results.params.to_numpy(),
         "std_error": results.std_errors.to_numpy()}
    )  # fmt: skip
    table["statistic"] = table["estimate"] / table["std_error"]
    table["p_value"] = (sims >= np.abs(table["statistic"].to_numpy())).mean(axis=0)
    table["critical_value"] = np.quantile(sims, level, axis=0)
    table["conf_low"] = table["estimate"] - table["critical_value"] * table["std_error"]
    table["conf_high"] = table["estimate"] + table["critical_value"] * table["std_error"]
    if results.family in ("loglinear", "poisson", "quasipoisson"):
        for col, src in (("ratio", "estimate"), ("ratio_low", "conf_low"),
                         ("ratio_high", "conf_high")):  # fmt: skip
            table[col] = np.exp(table[src])
    return table


def fixed_b_scan(
    results: Any, *, level: float = 0.95, n_rep: int = 2000, seed: int = 0
) -> pd.DataFrame:
    """:meth:`ScanResults.tidy` of a :func:`~belru_trade.scan` with fixed-b inference.

    One simulation serves every series: the critical values depend only on the shared
    design and the lags. For the OLS families this is exact; for (quasi-)Poisson scans
    the unweighted design stands in for each series' IRLS-weighted one (an
    approximation; :func:`fixed_b_tidy` weights a single fit exactly).

    Returns
    -------
    pandas.DataFrame
        The scan's ``tidy()`` columns with ``p_value``, ``conf_low``/``conf_high`` (and the
        ratio columns) from fixed-b critical values, plus ``critical_value``.

    Raises
    ------
    InvalidArgumentError
        The scan does not use Newey-West errors.
    """
    check_fraction("level", level)
    lags = _hac_lags(results.cov_type, "scan")
    X = results.design.X.to_numpy()
    sims = fixed_b_distribution(X, lags, n_rep=n_rep, seed=seed)
    cols = list(results.design.X.columns)
    table = results.tidy(level=level)
    k = np.array([cols.index(t) for t in table["term"]])
    stat = np.abs(table["statistic"].to_numpy())
    table["p_value"] = (sims[:, k] >= stat[None, :]).mean(axis=0)
    crit = np.quantile(sims, level, axis=0)[k]
    table["critical_value"] = crit
    table["conf_low"] = table["estimate"] - crit * table["std_error"]
    table["conf_high"] = table["estimate"] + crit * table["std_error"]
    if "ratio" in table.columns:
        table["ratio_low"] = np.exp(table["conf_low"])
        table["ratio_high"] = np.exp(table["conf_high"])
    return table


def _hac_lags(cov_type: str, what: str) -> int:
    """Lags of a ``"Newey-West HAC (L lags)"`` covariance; any other type is refused."""
    if not str(cov_type).startswith("Newey-West"):
        raise InvalidArgumentError(
            f"fixed-b critical values need errors='hac'; this {what} uses {cov_type!r}"
        )
    return int(cov_type.split("(")[1].split()[0])
