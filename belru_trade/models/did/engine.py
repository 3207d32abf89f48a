"""Small adapter between the event-study design and the fixed-effects estimators.

``fit_fe(y, X, fe, data, estimator, cluster)`` returns ``(params, cov, nobs, label)`` so the
design code does not depend on one engine. PPML uses the project's PPML-HDFE engine
(:func:`belru_trade.models.hdfe.ppml.ppml`); OLS uses linearmodels' ``AbsorbingLS`` (fixed
effects absorbed, covariance clustered by ``cluster``).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from belru_trade.errors import SpecificationError

__all__ = ["fit_fe"]


def _ppml(y: str, X: list[str], fe: list[str], data: pd.DataFrame, cluster: str | None):
    from belru_trade.models.hdfe.ppml import ppml

    formula = f"{y} ~ {' + '.join(X)} | {' + '.join(fe)}"
    res = ppml(formula, data, cluster=cluster, vcov=None if cluster else "hetero")
    params = res.params.reindex(X)
    if params.isna().any():
        missing = params.index[params.isna()].tolist()
        raise SpecificationError(f"terms {missing} were dropped (absorbed or separated)")
    return params, res.cov.loc[X, X], int(res.nobs), f"PPML-HDFE ({res.cov_type})"


def _ols(y: str, X: list[str], fe: list[str], data: pd.DataFrame, cluster: str | None):
    from linearmodels.iv.absorbing import AbsorbingLS

    absorb = pd.DataFrame({f: pd.Categorical(data[f]) for f in fe}, index=data.index)
    model = AbsorbingLS(data[y], data[X], absorb=absorb, drop_absorbed=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if cluster:
            clusters = pd.DataFrame({"c": pd.Categorical(data[cluster]).codes}, index=data.index)
            res = model.fit(cov_type="clustered", clusters=clusters)
            label = f"OLS-HDFE (clustered by {cluster})"
        else:
            res = model.fit(cov_type="robust")
            label = "OLS-HDFE (heteroskedasticity-robust)"
    cov = pd.DataFrame(np.asarray(res.cov), index=X, columns=X)
    return pd.Series(np.asarray(res.params), index=X), cov, int(res.nobs), label


def fit_fe(
    y: str,
    X: list[str],
    fe: list[str],
    data: pd.DataFrame,
    estimator: str,
    cluster: str | None,
) -> tuple[pd.Series, pd.DataFrame, int, str]:
    """Fit ``y ~ X | fe`` by PPML or OLS; returns params, covariance, nobs, label."""
    if estimator == "ppml":
        return _ppml(y, X, fe, data, cluster)
    return _ols(y, X, fe, data, cluster)
