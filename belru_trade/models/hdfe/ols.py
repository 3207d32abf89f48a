"""Ordinary least squares with high-dimensional fixed effects (OLS-HDFE).

Estimating equation::

    y_i = x_i' b + alpha_{f1(i)} + alpha_{f2(i)} + ... + e_i

The fixed effects are partialled out of ``y`` and ``X`` (Frisch-Waugh-Lovell) by the
accelerated alternating projections of :mod:`belru_trade.models.hdfe.absorb`; ``b`` is the
(weighted) least-squares fit of the partialled outcome on the partialled regressors.

Examples
--------
>>> import numpy as np, pandas as pd
>>> df = pd.DataFrame({"y": [1.0, 2, 4, 3, 8, 5], "x": [0.0, 1, 2, 0, 1, 2],
...                    "g": [0, 0, 0, 1, 1, 1]})
>>> round(float(ols("y ~ x | g", df).params["x"]), 4)  # within slope: (3 + 2) / 4
1.25
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import linalg

from belru_trade._validation import check_choice
from belru_trade.models.hdfe.collinearity import Partialled, check_collinearity
from belru_trade.models.hdfe.prepare import Prepared, dropped_frame, prepare
from belru_trade.models.hdfe.projection import fe_coefficients, partial, wls
from belru_trade.models.hdfe.results import (
    FitState,
    HDFEResults,
    collinear_frame,
    covariance,
    resolve_vcov,
)
from belru_trade.models.hdfe.separation import drop_fe_and_singletons
from belru_trade.models.hdfe.vcov import SSC_CHOICES

__all__ = ["OLSResults", "ols"]


@dataclass(frozen=True, repr=False, kw_only=True)
class OLSResults(HDFEResults):
    """Results of :func:`ols` (frozen; see :class:`HDFEResults` for the methods).

    Extra attributes: ``rss``, ``r2``, ``r2_within`` (after partialling out the fixed
    effects).
    """

    rss: float
    r2: float
    r2_within: float


def _fit(prep: Prepared, part: Partialled) -> dict[str, Any]:
    w = part.weights
    Xt, x_coef = part.Xt, part.coef
    yt, y_coef = partial(prep.y[:, None], prep.fe, w, 1e-11)
    yt = yt[:, 0]
    beta = wls(Xt, yt, w)
    resid = yt - Xt @ beta
    rss = float(np.dot(w, resid**2))
    ybar = np.average(prep.y, weights=w)
    fe_coefs = (
        []
        if y_coef is None or x_coef is None
        else fe_coefficients(prep.fe, y_coef[:, 0], x_coef, beta)
    )
    bread = linalg.inv((Xt * w[:, None]).T @ Xt) if Xt.shape[1] else np.zeros((0, 0))
    return {
        "beta": beta,
        "bread": bread,
        "scores": Xt * (w * resid)[:, None],
        "sigma2": rss / max(prep.y.size - 1, 1),
        "fe_coefs": fe_coefs,
        "rss": rss,
        "r2": 1 - rss / float(np.dot(w, (prep.y - ybar) ** 2)),
        "r2_within": 1 - rss / float(np.dot(w, yt**2)),
    }


def ols(
    formula: str,
    data: pd.DataFrame,
    *,
    cluster: Any = None,
    vcov: str | dict | None = None,
    weights: Any = None,
    drop_singletons: bool = False,
    drop_collinear: bool = True,
    ssc: str = "fixest",
) -> OLSResults:
    """Least squares with high-dimensional fixed effects.

    Parameters
    ----------
    formula : str
        ``"log(y) ~ x1 + x2 | fe1 + fe2 + a^b"`` (see :func:`belru_trade.ppml`). Rows where
        the outcome or a regressor is missing or not finite (e.g. ``log(0)``) are dropped.
    data : DataFrame
        Estimation data.
    cluster : str or list of str, optional
        Cluster column(s): ``"a"``, ``"a + b"`` or fixest's ``"~a + b"`` for two-way
        clustering, or a list of names.
    vcov : {"iid", "hetero", "HC1", "cluster"} or dict, optional
        Default ``"hetero"`` (``"cluster"`` with ``cluster``); pyfixest's
        ``{"CRV1": "a + b"}`` clusters by ``a`` and ``b``.
    weights : str or array-like, optional
        Analytic weights (column name or values).
    drop_singletons : bool, default False
        Drop observations alone in a fixed-effect level (fixest keeps them; reghdfe drops).
    drop_collinear : bool, default True
        Drop regressors absorbed by the fixed effects or collinear with others, with a
        :class:`~belru_trade.errors.CollinearityWarning` naming each (as fixest, pyfixest,
        reghdfe and ppmlhdfe do); they are listed in ``results.collinear`` and shown as
        dropped in ``summary()`` and ``tidy()``. ``False`` raises instead.
    ssc : {"fixest", "stata", "cluster", "none"}, default "fixest"
        Small-sample correction (:mod:`belru_trade.models.hdfe.vcov`).

    Returns
    -------
    OLSResults
        ``params``, ``std_errors``, ``tidy()``, ``fixef()``, ``predict()``, ``r2``,
        ``r2_within``, ``rss``, ``dropped``, ``with_vcov()``.

    Raises
    ------
    InvalidArgumentError
        Bad arguments.
    SpecificationError
        With ``drop_collinear=False``: regressors absorbed by the fixed effects or
        collinear (named).

    Notes
    -----
    Inference as fixest and pyfixest: Student t with ``G - 1`` degrees of freedom when
    clustered (G the smallest number of clusters), ``N - K`` otherwise (``df_resid``).

    ``b = (X~' W X~)^{-1} X~' W y~`` with ``~`` the within transformation. The iid
    variance is ``RSS / (N - K) (X~' W X~)^{-1}`` with K counting the fixed effects.

    References
    ----------
    Correia, S. (2017). Linear models with high-dimensional fixed effects: an efficient and
    feasible estimator. Working paper. Bergé, L. (2018), FENmlm.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"y": [1.0, 3, 2, 5], "x": [0.0, 1, 0, 1]})
    >>> ols("y ~ x", df).params.round(3).to_dict()
    {'Intercept': 1.5, 'x': 2.5}
    """
    kind, cluster = resolve_vcov(vcov, cluster)
    check_choice("ssc", ssc, SSC_CHOICES)
    check_choice("drop_singletons", drop_singletons, (True, False))
    prep = prepare(formula, data, weights, None, cluster)
    reason = np.full(prep.y.size, "", dtype=object)
    drop_fe_and_singletons(None, prep.fe, reason, singletons=drop_singletons, zero_groups=False)
    prep, part = check_collinearity(prep.subset(reason == ""), drop=drop_collinear, tol=1e-11)
    fit = _fit(prep, part)
    state = FitState(
        bread=fit["bread"],
        scores=fit["scores"],
        sigma2=fit["sigma2"],
        names=prep.names,
        index=prep.index,
        fe_names=prep.parsed.fe_names,
        fe_terms=prep.parsed.fixed_effects,
        fe_codes=prep.fe.codes if prep.fe is not None else [],
        fe_levels=prep.fe_levels,
        fe_coefs=fit["fe_coefs"],
        spec=prep.spec,
        kind="ols",
        link="identity",
        rhs=prep.parsed.rhs,
        i_levels=prep.i_levels,
    )
    cov, df_t, label = covariance(state, kind, prep.clusters, ssc)
    res = OLSResults(
        params=pd.Series(fit["beta"], index=prep.names, name="parameter"),
        std_errors=pd.Series(np.sqrt(np.clip(np.diag(cov), 0, None)), index=prep.names),
        nobs=int(prep.y.size),
        model="OLS",
        cov_type=label,
        df_resid=float(df_t),
        extra={"Fixed effects": ", ".join(prep.parsed.fe_names) or "none"},
        cov=pd.DataFrame(cov, index=prep.names, columns=prep.names),
        dropped=dropped_frame(prep.all_index, reason, prep.missing),
        collinear=collinear_frame(prep.collinear),
        formula=formula,
        fixed_effects=tuple(prep.parsed.fe_names),
        ssc=ssc,
        state=state,
        rss=fit["rss"],
        r2=fit["r2"],
        r2_within=fit["r2_within"],
    )
    extra = {**res.extra, "R2": round(res.r2, 4), "Within R2": round(res.r2_within, 4)}
    return dataclasses.replace(res, extra=extra)
