"""Cohort x event-time cells shared by the Sun-Abraham and extended-TWFE estimators.

A unit's cohort is its first treated period; untreated units have no cohort. A *cell* is a
(cohort, event time) pair with its own indicator column; cell estimates are aggregated to
event times (and to one overall effect) with weights equal to each cell's share of the
observations at that event time (Sun & Abraham 2021's cohort shares).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["aggregate_cells", "cell_dummies", "cohorts"]


def cohorts(df: pd.DataFrame) -> pd.Series:
    """Cohort (ordinal of the first treated period) of each row; NaN for never-treated units."""
    return (df["_ord"] - df["_k"]).astype("Float64")


def cell_dummies(
    df: pd.DataFrame, event: pd.Series, keep: pd.Series, prefix: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Indicator columns for each (cohort, event) cell among rows where ``keep`` holds.

    Parameters
    ----------
    df : pandas.DataFrame
        Prepared event-study frame (columns ``_k`` and ``_ord``).
    event : pandas.Series
        The event-time label of each row used to form cells (e.g. binned ``_k``).
    keep : pandas.Series of bool
        Rows that get a cell indicator (others are the comparison observations).
    prefix : str
        Column-name prefix.

    Returns
    -------
    (pandas.DataFrame, pandas.DataFrame)
        The indicator columns (aligned on ``df.index``) and the cell table with columns
        ``column``, ``cohort``, ``event_time``, ``n`` (observations in the cell).
    """
    cohort = cohorts(df)
    mask = (keep & cohort.notna()).fillna(False).to_numpy(bool)
    cells = pd.DataFrame({"cohort": cohort[mask].astype(int), "event_time": event[mask]})
    cells["event_time"] = cells["event_time"].astype(int)
    table = cells.value_counts().rename("n").reset_index()
    table = table.sort_values(["event_time", "cohort"]).reset_index(drop=True)
    table["column"] = [f"{prefix}{i}" for i in range(len(table))]
    index = pd.MultiIndex.from_frame(cells[["cohort", "event_time"]])
    position = pd.Series(np.arange(len(table)), index=pd.MultiIndex.from_frame(
        table[["cohort", "event_time"]]))  # fmt: skip
    dummies = np.zeros((len(df), len(table)))
    rows = np.flatnonzero(mask)
    dummies[rows, position.reindex(index).to_numpy()] = 1.0
    return pd.DataFrame(dummies, index=df.index, columns=table["column"]), table


def aggregate_cells(
    params: pd.Series, cov: pd.DataFrame, cells: pd.DataFrame, times: Sequence[int]
) -> tuple[pd.Series, pd.DataFrame, pd.Series]:
    """Cohort-share weighted averages of cell estimates by event time, and over post cells.

    Parameters
    ----------
    params, cov : pandas.Series, pandas.DataFrame
        Cell estimates and their covariance, indexed by ``cells['column']``.
    cells : pandas.DataFrame
        Cell table of :func:`cell_dummies`.
    times : sequence of int
        Event times to report (each must have at least one cell).

    Returns
    -------
    (pandas.Series, pandas.DataFrame, pandas.Series)
        Event-time estimates (indexed by event time), their covariance (delta method, weights
        held fixed) and the overall post-treatment effect as ``estimate``/``std_error``
        (weights: each post cell's share of all post-treatment observations).

    Examples
    --------
    >>> cells = pd.DataFrame({"column": ["a", "b"], "cohort": [1, 2], "event_time": [0, 0],
    ...                       "n": [1, 3]})
    >>> b = pd.Series([1.0, 2.0], index=["a", "b"])
    >>> V = pd.DataFrame(np.eye(2), index=b.index, columns=b.index)
    >>> est, _, att = aggregate_cells(b, V, cells, [0])
    >>> float(est[0]), float(att["estimate"])
    (1.75, 1.75)
    """
    cols = cells["column"].tolist()
    b, V = params[cols].to_numpy(float), cov.loc[cols, cols].to_numpy(float)
    R = np.zeros((len(times), len(cols)))
    for i, t in enumerate(times):
        at = (cells["event_time"] == t).to_numpy()
        R[i, at] = cells.loc[at, "n"] / cells.loc[at, "n"].sum()
    post = (cells["event_time"] >= 0).to_numpy()
    r = np.where(post, cells["n"], 0.0) / cells.loc[post, "n"].sum()
    est = pd.Series(R @ b, index=list(times))
    cov_t = pd.DataFrame(R @ V @ R.T, index=list(times), columns=list(times))
    att = pd.Series({"estimate": float(r @ b), "std_error": float(np.sqrt(r @ V @ r))})
    return est, cov_t, att
