"""Heterogeneity-robust event studies behind ``did(method=...)``: imputation and Sun-Abraham.

Called by :func:`~belru_trade.models.did.estimator.did` after the design is prepared
(treatment start dates, event-time indicators, fixed-effect columns); returns the fields of
the same :class:`~belru_trade.models.did.estimator.DiDResults` as two-way fixed effects.

- ``'imputation'``: post-treatment effects by imputation (OLS: Borusyak-Jaravel-Spiess /
  Gardner two-stage with GMM standard errors; PPML: Wooldridge's extended TWFE). The
  pre-period coefficients and the pre-trend test come from the Borusyak-Jaravel-Spiess test
  regression: the outcome on the fixed effects and pre-period event indicators (reference
  omitted) on untreated observations only, so the test is separate from the estimates.
- ``'sunab'``: Sun-Abraham interaction-weighted coefficients for every event time; the
  pre-trend test uses the aggregated pre-period coefficients.

Inference: as :func:`~belru_trade.models.did.estimator.did` with TWFE, z for PPML and, for
OLS with clustered errors, Student t with ``G - 1`` degrees of freedom (the two-stage GMM
variance without clusters: z).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from belru_trade.models.did.engine import fit_fe
from belru_trade.models.did.imputation import etwfe_ppml, gardner_two_stage
from belru_trade.models.did.pretrend import pretrend_test
from belru_trade.models.did.sunab import sun_abraham

__all__ = ["fit_method"]


def _att_series(b: float, se: float, estimator: str, df_resid: float | None) -> pd.Series:
    dist = stats.norm() if df_resid is None else stats.t(df_resid)
    q = dist.ppf(0.975)
    out = {"estimate": b, "std_error": se, "conf_low": b - q * se, "conf_high": b + q * se,
           "p_value": 2 * dist.sf(abs(b / se))}  # fmt: skip
    if estimator == "ppml":
        out.update(ratio=np.exp(b), effect_pct=100 * (np.exp(b) - 1))
    return pd.Series(out)


def _n_clusters(df: pd.DataFrame, cluster: str | None) -> int | None:
    return None if cluster is None else int(df[cluster].nunique())


def _post_effects(
    df: pd.DataFrame, design: dict, estimator: str, cluster: str | None, untreated: np.ndarray
) -> dict:
    """Post-period effects: Gardner two-stage (OLS) or extended TWFE (PPML)."""
    outcome, fe_cols, times, cols = design["outcome"], design["fe"], design["times"], design["cols"]
    post_times = [t for t in times if t >= 0]
    if estimator == "ppml":
        est, cov_t, att, fit, cells = etwfe_ppml(
            df, outcome, fe_cols, design["event"], post_times, cluster, design["ssc"]
        )
        return {"est": est, "cov": cov_t, "att": att, "nobs": fit.nobs, "cells": cells,
                "label": f"extended TWFE {fit.label}", "df_resid": None}  # fmt: skip
    post_cols = [c for c, t in zip(cols, times, strict=True) if t >= 0]
    b, V = gardner_two_stage(df, outcome, fe_cols, df[post_cols], untreated, cluster)
    treated = pd.DataFrame({"att": (~untreated).astype(float)}, index=df.index)
    a, Va = gardner_two_stage(df, outcome, fe_cols, treated, untreated, cluster)
    n_cl = _n_clusters(df, cluster)
    return {
        "est": b.set_axis(post_times),
        "cov": V.set_axis(post_times).set_axis(post_times, axis=1),
        "att": pd.Series({"estimate": a.iloc[0], "std_error": np.sqrt(Va.to_numpy()[0, 0])}),
        "nobs": len(df),
        "cells": None,
        "label": "two-stage GMM, " + (f"clustered by {cluster}" if cluster else "robust"),
        "df_resid": None if n_cl is None else n_cl - 1,
    }


def _imputation(df: pd.DataFrame, design: dict, estimator: str, cluster: str | None) -> dict:
    untreated = ~(df["_k"] >= 0).fillna(False).to_numpy(bool)
    out = _post_effects(df, design, estimator, cluster, untreated)
    times, cols = design["times"], design["cols"]
    pre_cols = [c for c, t in zip(cols, times, strict=True) if t < 0]
    pre_times = [t for t in times if t < 0]
    sample = df.loc[untreated]
    test = fit_fe(design["outcome"], pre_cols, design["fe"], sample, estimator, cluster,
                  design["ssc"])  # fmt: skip
    params = pd.concat([test.params.set_axis(pre_times), out["est"]])
    cov = pd.DataFrame(np.nan, index=params.index, columns=params.index)
    cov.loc[pre_times, pre_times] = test.cov.to_numpy()
    post_times = list(out["est"].index)
    cov.loc[post_times, post_times] = out["cov"].to_numpy()
    return out | {"params": params, "cov": cov, "n_clusters": _n_clusters(sample, cluster),
                  "pre_df_resid": test.df_resid}  # fmt: skip


def _sunab(df: pd.DataFrame, design: dict, estimator: str, cluster: str | None) -> dict:
    est, cov_t, att, fit, cells = sun_abraham(
        df, design["outcome"], design["fe"], design["event"], design["times"],
        design["reference"], estimator, cluster, design["ssc"],
    )  # fmt: skip
    return {"params": est, "cov": cov_t, "att": att, "nobs": fit.nobs, "cells": cells,
            "label": f"Sun-Abraham, {fit.label}", "df_resid": fit.df_resid,
            "pre_df_resid": fit.df_resid, "n_clusters": _n_clusters(df, cluster)}  # fmt: skip


def fit_method(
    method: str,
    df: pd.DataFrame,
    design: dict,
    *,
    estimator: str,
    cluster: str | None,
) -> dict:
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
        ``binned``, ``extra`` (fields shown by ``summary``), ``ssc`` (small-sample
        correction of the fixed-effects fits).
    estimator : {'ols', 'ppml'}
        Outcome model.
    cluster : str or None
        Cluster column.

    Returns
    -------
    dict
        Keyword arguments of :class:`~belru_trade.models.did.estimator.DiDResults`.
    """
    df = df.copy()
    df["_ord"] = pd.PeriodIndex(df[design["time"]]).asi8
    lo, hi = design["window"]
    k = df["_k"]
    design = {**design, "event": k.clip(lo, hi) if design["binned"] else k}
    fit = _imputation if method == "imputation" else _sunab
    out = fit(df, design, estimator, cluster)
    name_of = dict(zip(design["times"], design["names"], strict=True))
    times = [int(t) for t in out["params"].index]
    names = [name_of[t] for t in times]
    params = out["params"].set_axis(names)
    cov = out["cov"].set_axis(names).set_axis(names, axis=1)
    att = out["att"]
    return dict(
        params=params,
        std_errors=pd.Series(np.sqrt(np.diag(cov.to_numpy(float))), index=names),
        nobs=out["nobs"],
        model=f"Event study ({estimator.upper()}, {method})",
        cov_type=out["label"],
        df_resid=out["df_resid"],
        extra={**design["extra"], "method": method},
        event_times=tuple(times),
        reference=design["reference"],
        cov=cov,
        att=_att_series(
            float(att["estimate"]), float(att["std_error"]), estimator, out["df_resid"]
        ),
        pretrend=pretrend_test(
            params, cov, times, design["reference"], out["n_clusters"], out["pre_df_resid"]
        ),
        estimator=estimator,
        method=method,
        window=design["window"],
        binned=design["binned"],
        cells=out["cells"],
    )
