"""Fit one interrupted time series with statsmodels (OLS, GLM Poisson, SARIMAX errors).

Families and their estimating equations (``X`` from :mod:`belru_trade.models.its.design`):

* ``gaussian``:  ``y_t = X_t b + e_t`` (OLS);
* ``loglinear``: ``log y_t - log offset_t = X_t b + e_t`` (OLS);
* ``poisson`` / ``quasipoisson``: ``E[y_t] = offset_t exp(X_t b)`` (GLM, log link,
  Poisson pseudo-likelihood; quasi-Poisson scales the model-based covariance by the
  Pearson dispersion ``phi = sum((y - mu)^2 / mu) / (n - k)``).

Errors: ``hac`` Newey-West with Bartlett weights and ``hac_lags`` lags (default
``floor(4 (n/100)^(2/9))``, Newey & West 1994), no small-sample correction (statsmodels'
default, which reproduces the Sicily reference); ``model`` the model-based covariance;
``arima`` regression with ARMA(p, q) errors by exact Gaussian MLE (statsmodels ARIMA,
a SARIMAX state-space model), for the
gaussian and loglinear families, with (p, q) given or chosen by AIC over 0..2 each.
"""

from __future__ import annotations

import itertools
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from belru_trade._frames import insertion_point
from belru_trade._validation import check_choice, check_hac_lags
from belru_trade._warnings import expected
from belru_trade.errors import (
    ConvergenceError,
    ConvergenceWarning,
    InvalidArgumentError,
    SeparationWarning,
    TradeStoppedError,
)
from belru_trade.models.its.design import Design, newey_west_lags

__all__ = ["ERRORS", "FAMILIES", "LOG_LINK", "FitOutput", "check_segments", "fit_series"]

_FLOATING_POINT = "(overflow|divide by zero|invalid value|underflow) encountered"

FAMILIES = ("gaussian", "loglinear", "poisson", "quasipoisson")
ERRORS = ("hac", "arima", "model")
LOG_LINK = ("loglinear", "poisson", "quasipoisson")


@dataclass(frozen=True)
class FitOutput:
    """What a single-series fit returns (internal)."""

    params: pd.Series
    cov: pd.DataFrame
    df_resid: float | None
    cov_label: str
    dispersion: float
    noise_var: float
    extra: dict


def check_segments(y: np.ndarray, design: Design) -> None:
    """Raise TradeStoppedError when a segment is all zero (Poisson MLE does not exist)."""
    index = design.X.index
    bounds = [0, *[insertion_point(index, p) for p in design.interventions], len(index)]
    for lo, hi in itertools.pairwise(bounds):
        if np.all(y[lo:hi] == 0):
            raise TradeStoppedError(
                f"y is zero in every period from {index[lo]} to {index[hi - 1]}: the "
                "Poisson level change is -infinity (trade stopped entirely there); report "
                "the stop directly, shorten the series or use family='gaussian'"
            )


def fit_series(
    y: np.ndarray,
    design: Design,
    *,
    family: str,
    log_offset: np.ndarray | None,
    errors: str,
    hac_lags: int | None,
    arima_order: tuple[int, int] | None,
) -> FitOutput:
    """Fit one series; see the module docstring for the models."""
    check_choice("family", family, FAMILIES)
    check_choice("errors", errors, ERRORS)
    lags = _lags(hac_lags, len(y))
    if family in ("poisson", "quasipoisson"):
        if errors == "arima":
            raise InvalidArgumentError(
                f"errors='arima' is not available for family={family!r}; "
                "use family='loglinear' or 'gaussian' with ARIMA errors"
            )
        check_segments(y, design)
        return _fit_glm(y, design.X, family, log_offset, errors, lags)
    endog = _ols_endog(y, family, log_offset)
    if errors == "arima":
        return _fit_arima(endog, design.X, arima_order)
    return _fit_ols(endog, design.X, errors, lags)


def _lags(hac_lags: int | None, n: int) -> int:
    if hac_lags is None:
        return newey_west_lags(n)
    return check_hac_lags(hac_lags, n)


def _ols_endog(y: np.ndarray, family: str, log_offset: np.ndarray | None) -> np.ndarray:
    if family == "gaussian":
        if log_offset is not None:
            raise InvalidArgumentError(
                "offset is not allowed with family='gaussian'; divide y by it or use "
                "family='loglinear' or 'poisson'"
            )
        return y
    if (y <= 0).any():
        raise InvalidArgumentError(
            f"family='loglinear' needs y > 0 but y has {(y <= 0).sum()} zero or negative "
            "values; use family='poisson' or 'quasipoisson'"
        )
    return np.log(y) - (0.0 if log_offset is None else log_offset)


def _fit_ols(endog: np.ndarray, X: pd.DataFrame, errors: str, lags: int) -> FitOutput:
    from statsmodels.regression.linear_model import OLS  # not statsmodels.api: 0.5 s less

    model = OLS(endog, X)
    if errors == "hac":
        res = model.fit(cov_type="HAC", cov_kwds={"maxlags": lags})
        label = f"Newey-West HAC ({lags} lags)"
    else:
        res = model.fit()
        label = "OLS model-based"
    return FitOutput(
        params=pd.Series(res.params, index=X.columns),
        cov=pd.DataFrame(res.cov_params(), index=X.columns, columns=X.columns),
        df_resid=float(res.df_resid),
        cov_label=label,
        dispersion=1.0,
        noise_var=float(res.scale),
        extra={"r_squared": float(res.rsquared)},
    )


def _fit_glm(
    y: np.ndarray,
    X: pd.DataFrame,
    family: str,
    log_offset: np.ndarray | None,
    errors: str,
    lags: int,
) -> FitOutput:
    from statsmodels.genmod.families import Poisson
    from statsmodels.genmod.generalized_linear_model import GLM

    model = GLM(y, X, family=Poisson(), offset=log_offset)
    kwargs: dict = {"scale": "X2"} if family == "quasipoisson" else {}
    if errors == "hac":
        kwargs.update(cov_type="HAC", cov_kwds={"maxlags": lags})
        label = f"Newey-West HAC ({lags} lags)"
    else:
        label = "Pearson-scaled model-based" if family == "quasipoisson" else "model-based"
    advice = (
        "typically a flow with very few non-zero periods (quasi-separation): aggregate it "
        "(products, partners, quarters), drop seasonal terms or use family='gaussian'"
    )
    # floating-point trouble in intermediate IRLS steps is expected; the outcome is
    # checked below (convergence, vanishing fitted means), and other warnings pass
    with expected((RuntimeWarning, _FLOATING_POINT)):
        try:
            res = model.fit(**kwargs)
        except np.linalg.LinAlgError as exc:
            raise ConvergenceError(f"the {family} GLM has a singular Hessian; {advice}") from exc
    if not res.converged:
        raise ConvergenceError(f"the {family} GLM did not converge (IRLS); {advice}")
    mu = np.asarray(res.fittedvalues)
    if mu.min() < 1e-20 * y.mean():
        warnings.warn(
            "some fitted means are below 1e-20 x the series mean: a coefficient is diverging "
            "(quasi-separation, typically a flow with very few non-zero periods); its value "
            "and standard error are not meaningful",
            SeparationWarning,
            stacklevel=4,
        )
    phi = float(np.sum((y - mu) ** 2 / mu) / res.df_resid)
    return FitOutput(
        params=pd.Series(res.params, index=X.columns),
        cov=pd.DataFrame(res.cov_params(), index=X.columns, columns=X.columns),
        df_resid=None,
        cov_label=label,
        dispersion=phi if family == "quasipoisson" else 1.0,
        noise_var=np.nan,
        extra={"dispersion": phi, "deviance": float(res.deviance)},
    )


def _sarimax(endog: np.ndarray, X: pd.DataFrame, order: tuple[int, int]) -> Any:
    from statsmodels.tools.sm_exceptions import ConvergenceWarning as SMConvergenceWarning
    from statsmodels.tools.sm_exceptions import EstimationWarning
    from statsmodels.tsa.arima.model import ARIMA

    model = ARIMA(endog, exog=X.to_numpy(), order=(order[0], 0, order[1]), trend="n")
    # candidate orders often start from inadmissible values or stop early: expected while
    # searching; the chosen fit's convergence is checked in _fit_arima
    with expected(
        (EstimationWarning, "Non-(invertible|stationary) starting"),
        (SMConvergenceWarning, "Maximum Likelihood optimization failed to converge"),
    ):
        return model.fit()


def _fit_arima(endog: np.ndarray, X: pd.DataFrame, order: tuple[int, int] | None) -> FitOutput:
    from statsmodels.tsa.arima_process import arma_acovf

    if order is None:
        fits = {o: _sarimax(endog, X, o) for o in itertools.product(range(3), range(3))}
        order = min(fits, key=lambda o: fits[o].aic)
        res = fits[order]
    else:
        if len(order) != 2 or any(int(v) != v or v < 0 for v in order):
            raise InvalidArgumentError(f"arima_order={order!r}; expected (p, q) with p, q >= 0")
        order = (int(order[0]), int(order[1]))
        res = _sarimax(endog, X, order)
    if not res.mle_retvals.get("converged", True):
        warnings.warn(
            f"the ARMA({order[0]},{order[1]}) error model's likelihood optimisation did not "
            "converge; its estimates and standard errors may be off (try another "
            "arima_order or errors='hac')",
            ConvergenceWarning,
            stacklevel=5,  # the caller of bt.its
        )
    k = X.shape[1]
    params = pd.Series(np.asarray(res.params)[:k], index=X.columns)
    cov = pd.DataFrame(np.asarray(res.cov_params())[:k, :k], index=X.columns, columns=X.columns)
    ar = np.r_[1.0, -np.asarray(res.arparams)] if order[0] else np.array([1.0])
    ma = np.r_[1.0, np.asarray(res.maparams)] if order[1] else np.array([1.0])
    sigma2 = float(np.asarray(res.params)[-1])
    gamma0 = float(arma_acovf(ar, ma, nobs=1, sigma2=sigma2)[0])
    return FitOutput(
        params=params,
        cov=cov,
        df_resid=None,
        cov_label=f"ARMA({order[0]},{order[1]}) errors (state-space MLE, OPG)",
        dispersion=1.0,
        noise_var=gamma0,
        extra={"arima_order": f"({order[0]},0,{order[1]})", "aic": float(res.aic)},
    )
