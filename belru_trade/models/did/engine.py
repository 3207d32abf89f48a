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

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from belru_trade.errors import SeparationWarning, SpecificationError
from belru_trade.models.hdfe.separation import SEPARATED

if TYPE_CHECKING:
    from belru_trade.models.hdfe.results import HDFEResults

__all__ = ["FEFit", "fit_fe"]


@dataclass(frozen=True)
class FEFit:
    """Estimates of the design terms (internal)."""

    params: pd.Series
    cov: pd.DataFrame
    nobs: int
    label: str
    df_resid: float | None  # None: z inference
    separated: bool = False  # rows dropped as separated by the regressors (PPML)


def fit_fe(
    y: str,
    X: list[str],
    fe: list[str],
    data: pd.DataFrame,
    estimator: str,
    cluster: str | None,
    ssc: str = "fixest",
    *,
    regressor_checks: bool = True,
) -> FEFit:
    """Fit ``y ~ X | fe`` by PPML or OLS with ``cluster`` (None: robust) and ``ssc``.

    ``regressor_checks=False`` runs only the fixed-effect separation check of PPML: for a
    caller that has proved the regressors cannot separate any row (their span lies inside
    that of a fit whose exact checks found none), which also makes the post-estimation
    vanishing-means warning a false alarm.
    """
    from belru_trade.models.hdfe.ols import ols
    from belru_trade.models.hdfe.ppml import ppml

    formula = f"{y} ~ {' + '.join(X)} | {' + '.join(fe)}"
    res: HDFEResults
    if estimator != "ppml":
        res = ols(formula, data, cluster=cluster, ssc=ssc)
    elif regressor_checks:
        res = ppml(formula, data, cluster=cluster, ssc=ssc)
    else:
        with warnings.catch_warnings():
            warnings.filterwarnings(
                "ignore", message=".*fitted means below", category=SeparationWarning
            )
            res = ppml(formula, data, cluster=cluster, ssc=ssc, separation=("fe",))
    params = res.params.reindex(X)
    if params.isna().any():
        missing = params.index[params.isna()].tolist()
        raise SpecificationError(f"terms {missing} were dropped (absorbed, collinear or separated)")
    name = "PPML-HDFE" if estimator == "ppml" else "OLS-HDFE"
    separated = estimator == "ppml" and bool((res.dropped["reason"] == SEPARATED).any())
    label = f"{name} ({res.cov_type})"
    return FEFit(params, res.cov.loc[X, X], int(res.nobs), label, res.df_resid, separated)
