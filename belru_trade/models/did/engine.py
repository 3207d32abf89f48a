"""Small adapter between the event-study design and the fixed-effects estimators.

``fit_fe(y, X, fe, data, estimator, cluster, ssc)`` fits ``y ~ X | fe`` with the project's
own estimators, :func:`~belru_trade.models.hdfe.ppml.ppml` or
:func:`~belru_trade.models.hdfe.ols.ols`,
so that a model gives the same standard errors and the same p-value convention whatever
the entry point (``bt.did`` or ``bt.ppml``/``bt.ols`` on the same regression):
``cluster=None`` is the heteroskedasticity-robust covariance, ``ssc`` the small-sample
correction, z inference for PPML and t for OLS (``G - 1`` degrees of freedom when
clustered). The tests cross-check the OLS path against linearmodels' ``AbsorbingLS``.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from belru_trade.errors import SpecificationError

__all__ = ["FEFit", "fit_fe"]


@dataclass(frozen=True)
class FEFit:
    """Estimates of the design terms (internal)."""

    params: pd.Series
    cov: pd.DataFrame
    nobs: int
    label: str
    df_resid: float | None  # None: z inference


def fit_fe(
    y: str,
    X: list[str],
    fe: list[str],
    data: pd.DataFrame,
    estimator: str,
    cluster: str | None,
    ssc: str = "fixest",
) -> FEFit:
    """Fit ``y ~ X | fe`` by PPML or OLS with ``cluster`` (None: robust) and ``ssc``."""
    from belru_trade.models.hdfe.ols import ols
    from belru_trade.models.hdfe.ppml import ppml

    formula = f"{y} ~ {' + '.join(X)} | {' + '.join(fe)}"
    fit = ppml if estimator == "ppml" else ols
    res = fit(formula, data, cluster=cluster, ssc=ssc)
    params = res.params.reindex(X)
    if params.isna().any():
        missing = params.index[params.isna()].tolist()
        raise SpecificationError(f"terms {missing} were dropped (absorbed, collinear or separated)")
    name = "PPML-HDFE" if estimator == "ppml" else "OLS-HDFE"
    return FEFit(params, res.cov.loc[X, X], int(res.nobs), f"{name} ({res.cov_type})", res.df_resid)
