"""Sun & Abraham (2021) interaction-weighted event study.

The event-study regression is saturated in cohort x event time: one indicator per
(cohort, event time) cell of treated units, except at the reference event time, next to the
design's fixed effects, estimated by OLS or PPML. Controls are never-treated units; if there
are none, the last-treated cohort is the control and periods from its first treated period
on are dropped. Each event-time effect is the average of the cell effects at that event time
weighted by the cohort's share of the observations at that event time; the overall effect
averages every post-treatment cell with weights proportional to its observations. Standard
errors: delta method on the cluster-robust covariance of the cell effects, weights held
fixed (as fixest's ``sunab`` aggregation).
"""

from __future__ import annotations

import pandas as pd

from belru_trade.models.did.cells import aggregate_cells, cell_dummies, cohorts
from belru_trade.models.did.engine import FEFit, fit_fe

__all__ = ["sun_abraham"]


def sun_abraham(
    df: pd.DataFrame,
    outcome: str,
    fe_cols: list[str],
    event: pd.Series,
    times: list[int],
    reference: int,
    estimator: str,
    cluster: str | None,
    ssc: str = "fixest",
) -> tuple[pd.Series, pd.DataFrame, pd.Series, FEFit, pd.DataFrame]:
    """Interaction-weighted event study.

    Parameters
    ----------
    df : pandas.DataFrame
        Prepared frame (``_k``, ``_ord`` and the fixed-effect columns).
    outcome : str
        Outcome column.
    fe_cols : list of str
        Fixed-effect columns.
    event : pandas.Series
        Event time of each row used for the cells (binned when the window is binned).
    times : list of int
        Event times to report (the reference excluded).
    reference : int
        Omitted event time.
    estimator : {'ols', 'ppml'}
        Outcome model.
    cluster : str or None
        Cluster column.
    ssc : str, default 'fixest'
        Small-sample correction of the cell covariance.

    Returns
    -------
    tuple
        Event-time estimates (indexed by event time), their covariance, the overall
        post-treatment effect (estimate, std_error), the cell-regression fit (nobs, label,
        df_resid), and the cell table (column, cohort, event_time, n, estimate).
    """
    cohort = cohorts(df)
    frame = df
    control = cohort.isna()
    if not control.any():
        last = cohort.max()
        keep_rows = (df["_ord"] < last).to_numpy(bool)
        frame, cohort, event = df[keep_rows], cohort[keep_rows], event[keep_rows]
        control = cohort == last
    treated_cell = (~control & event.notna() & (event != reference)).fillna(False)
    dummies, cells = cell_dummies(frame, event, treated_cell, "_sa")
    frame = pd.concat([frame, dummies], axis=1)
    cols = cells["column"].tolist()
    fit = fit_fe(outcome, cols, fe_cols, frame, estimator, cluster, ssc)
    cells["estimate"] = fit.params[cols].to_numpy()
    present = [t for t in times if (cells["event_time"] == t).any()]
    est, cov_t, att = aggregate_cells(fit.params, fit.cov, cells, present)
    return est, cov_t, att, fit, cells
