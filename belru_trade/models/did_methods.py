"""Heterogeneity-robust event studies behind ``did(method=...)``: imputation and Sun-Abraham.

Called by :func:`belru_trade.models.did.did` after the design is prepared (treatment start
dates, event-time indicators, fixed-effect columns); returns the same
:class:`~belru_trade.models.did.DiDResults` as two-way fixed effects.

- ``'imputation'``: post-treatment effects by imputation (OLS: Borusyak-Jaravel-Spiess /
  Gardner two-stage with GMM standard errors; PPML: Wooldridge's extended TWFE). The
  pre-period coefficients and the pre-trend test come from the Borusyak-Jaravel-Spiess test
  regression: the outcome on the fixed effects and pre-period event indicators (reference
  omitted) on untreated observations only, so the test is separate from the estimates.
- ``'sunab'``: Sun-Abraham interaction-weighted coefficients for every event time; the
  pre-trend test uses the aggregated pre-period coefficients.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from belru_trade.models.did import DiDResults
from belru_trade.models.did_engine import fit_fe
from belru_trade.models.did_imputation import etwfe_ppml, gardner_two_stage
from belru_trade.models.did_pretrend import pretrend_test
from belru_trade.models.did_sunab import sun_abraham

__all__ = ["fit_method"]


def _att_series(b: float, se: float, estimator: str) -> pd.Series:
    q = stats.norm.ppf(0.975)
    out = {"estimate": b, "std_error": se, "conf_low": b - q * se, "conf_high": b + q * se,
           "p_value": 2 * stats.norm.sf(abs(b / se))}  # fmt: skip
    if estimator == "ppml":
        out.update(ratio=np.exp(b), effect_pct=100 * (np.exp(b) - 1))
    return pd.Series(out)


def _n_clusters(df: pd.DataFrame, cluster: str | None) -> int | None:
    return None if cluster is None else int(df[cluster].nunique())


def _imputation(df, design, estimator, cluster):
    outcome, fe_cols, times, cols = design["outcome"], design["fe"], design["times"], design["cols"]
    untreated = ~(df["_k"] >= 0).fillna(False).to_numpy(bool)
    post_times = [t for t in times if t >= 0]
    if estimator == "ols":
        post_cols = [c for c, t in zip(cols, times, strict=True) if t >= 0]
        b, V = gardner_two_stage(df, outcome, fe_cols, df[post_cols], untreated, cluster)
        est, cov_t = b.set_axis(post_times), V.set_axis(post_times).set_axis(post_times, axis=1)
        treated = pd.DataFrame({"att": (~untreated).astype(float)}, index=df.index)
        a, Va = gardner_two_stage(df, outcome, fe_cols, treated, untreated, cluster)
        att = pd.Series({"estimate": a.iloc[0], "std_error": np.sqrt(Va.iloc[0, 0])})
        label = "two-stage GMM, " + (f"clustered by {cluster}" if cluster else "robust")
        nobs, cells = len(df), None
    else:
        est, cov_t, att, nobs, label, cells = etwfe_ppml(
            df, outcome, fe_cols, design["event"], post_times, cluster
        )
        label = f"extended TWFE {label}"
    pre_cols = [c for c, t in zip(cols, times, strict=True) if t < 0]
    sample = df.loc[untreated]
    p_pre, v_pre, _, _ = fit_fe(outcome, pre_cols, fe_cols, sample, estimator, cluster)
    pre_times = [t for t in times if t < 0]
    params = pd.concat([p_pre.set_axis(pre_times), est])
    cov = pd.DataFrame(np.nan, index=params.index, columns=params.index)
    cov.loc[pre_times, pre_times] = v_pre.to_numpy()
    cov.loc[post_times, post_times] = cov_t.loc[post_times, post_times].to_numpy()
    n_cl = _n_clusters(sample, cluster)
    return params, cov, att, nobs, label, cells, n_cl


def _sunab(df, design, estimator, cluster):
    est, cov_t, att, nobs, label, cells = sun_abraham(
        df, design["outcome"], design["fe"], design["event"], design["times"],
        design["reference"], estimator, cluster,
    )  # fmt: skip
    return est, cov_t, att, nobs, f"Sun-Abraham, {label}", cells, _n_clusters(df, cluster)


def fit_method(
    method: str,
    df: pd.DataFrame,
    design: dict,
    *,
    estimator: str,
    cluster: str | None,
) -> DiDResults:
    """Estimate the event study by ``method`` ('imputation' or 'sunab').

    Parameters
    ----------
    method : {'imputation', 'sunab'}
        Estimation method.
    df : pandas.DataFrame
        Prepared frame from :func:`~belru_trade.models.did.did` (``_k``, event columns,
        fixed-effect columns).
    design : dict
        ``outcome``, ``time``, ``fe`` (fixed-effect columns), ``cols``/``times``/``names``
        (event indicators, their event times and labels), ``window``, ``reference``,
        ``binned``, ``extra`` (fields shown by ``summary``).
    estimator : {'ols', 'ppml'}
        Outcome model.
    cluster : str or None
        Cluster column.

    Returns
    -------
    DiDResults
    """
    df = df.copy()
    df["_ord"] = pd.PeriodIndex(df[design["time"]]).asi8
    lo, hi = design["window"]
    k = df["_k"]
    design = {**design, "event": k.clip(lo, hi) if design["binned"] else k}
    fit = _imputation if method == "imputation" else _sunab
    params, cov, att, nobs, label, cells, n_cl = fit(df, design, estimator, cluster)
    name_of = dict(zip(design["times"], design["names"], strict=True))
    times = [int(t) for t in params.index]
    names = [name_of[t] for t in times]
    params = params.set_axis(names)
    cov = cov.set_axis(names).set_axis(names, axis=1)
    return DiDResults(
        params=params,
        std_errors=pd.Series(np.sqrt(np.diag(cov.to_numpy(float))), index=names),
        nobs=nobs,
        model=f"Event study ({estimator.upper()}, {method})",
        cov_type=label,
        extra={**design["extra"], "method": method},
        event_times=tuple(times),
        reference=design["reference"],
        cov=cov,
        att=_att_series(float(att["estimate"]), float(att["std_error"]), estimator),
        pretrend=pretrend_test(params, cov, times, design["reference"], n_cl),
        estimator=estimator,
        method=method,
        window=design["window"],
        binned=design["binned"],
        cells=cells,
    )
