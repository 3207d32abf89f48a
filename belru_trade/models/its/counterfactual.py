"""No-intervention paths of an ITS fit: point path, prediction intervals, cumulative effect.

The counterfactual mean is the fitted model with every intervention term set to zero
(``X_cf b``, mapped through the inverse link; for ``loglinear`` the lognormal mean
``exp(eta + s^2 / 2)``). Intervals come from simulation with a fixed seed: coefficient
draws ``b* ~ N(b, V)`` (``V`` the chosen covariance) combined with outcome noise drawn from
the family (Poisson; for quasi-Poisson a gamma with mean ``mu`` and variance ``phi * mu``,
whatever ``phi``, so that rescaling the outcome by ``c`` rescales every interval by ``c``:
``phi`` and ``mu`` both scale by ``c``; normal with the residual or ARMA marginal variance
for gaussian/loglinear). The cumulative effect
``sum_{t >= T1} (y_cf_t - y_t)`` (lost value or volume; positive = trade lost) is computed
per draw, so its interval accounts for both sources. Serial correlation of the outcome noise
is not simulated, so cumulative intervals under autocorrelated errors are narrow (coverage
0.62 for nominal 0.95 at 31 + 24 months, rho 0.6; BENCHMARKS.md); the AR(1) bootstrap of
:mod:`belru_trade.models.counterfactual.comparative` reaches 0.83-0.87 there.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from belru_trade._frames import insertion_point
from belru_trade._validation import check_draws, check_fraction, check_seed

__all__ = [
    "counterfactual_table",
    "inverse_link",
    "plot_counterfactual",
    "simulate_counterfactual",
]


def inverse_link(eta: np.ndarray, family: str, noise_var: float) -> np.ndarray:
    """Expected outcome for linear predictor ``eta`` (offset included)."""
    if family == "gaussian":
        return eta
    if family == "loglinear":
        return np.exp(eta + noise_var / 2.0)
    return np.exp(eta)


def _outcome_draws(
    mean: np.ndarray, family: str, dispersion: float, noise_var: float, rng: np.random.Generator
) -> np.ndarray:
    if family == "gaussian":
        return mean + rng.normal(0.0, np.sqrt(noise_var), size=mean.shape)
    if family == "loglinear":
        median = mean * np.exp(-noise_var / 2.0)
        return median * np.exp(rng.normal(0.0, np.sqrt(noise_var), size=mean.shape))
    if family == "quasipoisson":  # gamma with mean mu, variance phi * mu: unit-free
        return rng.gamma(shape=np.maximum(mean, 1e-300) / dispersion, scale=dispersion)
    return rng.poisson(mean).astype(float)


def simulate_counterfactual(
    *,
    observed: pd.Series,
    X_cf: np.ndarray,
    params: np.ndarray,
    cov: np.ndarray,
    log_offset: np.ndarray | None,
    family: str,
    dispersion: float,
    noise_var: float,
    start: int,
    level: float,
    n_sim: int,
    seed: int,
) -> pd.DataFrame:
    """Counterfactual table (see :meth:`ITSResults.counterfactual` for the columns)."""
    rng = np.random.default_rng(seed)
    off = 0.0 if log_offset is None else log_offset
    cf_mean = inverse_link(X_cf @ params + off, family, noise_var)
    draws = rng.multivariate_normal(params, cov, size=n_sim, method="eigh")
    mean_draws = inverse_link(draws @ X_cf.T + off, family, noise_var)
    outcome = _outcome_draws(mean_draws, family, dispersion, noise_var, rng)
    alpha = (1.0 - level) / 2.0
    y = observed.to_numpy(dtype=float)
    post = np.arange(len(y)) >= start
    lost = np.where(post, outcome - y, 0.0)
    cum = np.cumsum(lost, axis=1)
    cum_point = np.cumsum(np.where(post, cf_mean - y, 0.0))
    # both bounds from one partial sort per column (the same order statistics as two calls)
    cf_low, cf_high = np.quantile(outcome, [alpha, 1 - alpha], axis=0)
    cum_low, cum_high = np.quantile(cum, [alpha, 1 - alpha], axis=0)
    table = pd.DataFrame(
        {
            "observed": y,
            "counterfactual": cf_mean,
            "cf_low": cf_low,
            "cf_high": cf_high,
            "lost": np.where(post, cf_mean - y, np.nan),
            "cumulative_lost": np.where(post, cum_point, np.nan),
            "cumulative_low": np.where(post, cum_low, np.nan),
            "cumulative_high": np.where(post, cum_high, np.nan),
        },
        index=observed.index,
    )
    return table


def counterfactual_table(results: Any, level: float, n_sim: int, seed: int) -> pd.DataFrame:
    """The ``counterfactual()`` table of an ITS fit (shared by every ITS results class).

    ``results`` has ``y``, ``design``, ``params``, ``cov``, ``log_offset``, ``family``,
    ``dispersion``, ``noise_var``, ``interventions`` and ``fitted``; the counterfactual design
    is taken on the fitted terms (a fit on part of the design, e.g. before a stop, has fewer).
    """
    check_fraction("level", level)
    check_draws("n_sim", n_sim, minimum=100)
    check_seed(seed)
    table = simulate_counterfactual(
        observed=results.y,
        X_cf=results.design.counterfactual_design()[list(results.params.index)].to_numpy(),
        params=results.params.to_numpy(),
        cov=results.cov.to_numpy(),
        log_offset=results.log_offset,
        family=results.family,
        dispersion=results.dispersion,
        noise_var=results.noise_var,
        start=insertion_point(results.y.index, results.interventions[0]),
        level=level,
        n_sim=n_sim,
        seed=seed,
    )
    table.insert(1, "fitted", results.fitted.to_numpy())
    return table


def plot_counterfactual(results: Any, *, unit: str | None, title: str, ax: Any = None) -> Any:
    """Observed, fitted and counterfactual paths with the 95% prediction band.

    Drawn by :func:`belru_trade.plotting.counterfactual_panel` on ``ax`` (or a new
    figure); returns the :class:`matplotlib.figure.Figure`.
    """
    from belru_trade.plotting import counterfactual_panel, on_axes

    fig, ax = on_axes(ax)
    counterfactual_panel(
        ax,
        results.counterfactual(),
        [str(p) for p in results.interventions],
        band_label="95% prediction band",
        y=str(results.y.name or "y"),
        unit=unit,
        title=title,
    )
    return fig
