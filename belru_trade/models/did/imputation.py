"""Imputation difference in differences (Borusyak, Jaravel & Spiess 2024; Gardner 2022).

OLS: the fixed effects are fitted on untreated observations only (never-treated units and
treated units before their first treated period), the untreated outcome is imputed for
treated observations, and the effects are averages of ``y - y_hat`` over treated
observations: overall and by (binned) event time. These equal Gardner's two-stage
estimates (second stage: ``y - y_hat`` on event-time indicators, no intercept). Standard
errors are Gardner's two-stage GMM cluster-robust variance, which accounts for the
estimation of the fixed effects in the first stage (the variance of R's ``did2s`` and
pyfixest's ``did2s``; no small-sample factor).

PPML: Wooldridge's (2023) extended TWFE, the Poisson counterpart of imputation: a PPML-HDFE
with one indicator per treated (cohort, calendar period) cell and the design's fixed
effects; untreated observations of treated units act as controls. Cell effects (log points)
are averaged to event times and overall with cohort-share weights; standard errors by the
delta method from the PPML-HDFE cluster-robust covariance.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from scipy import linalg

from belru_trade.errors import SpecificationError
from belru_trade.models.did.cells import aggregate_cells, cell_dummies
from belru_trade.models.did.engine import FEFit, fit_fe

__all__ = ["etwfe_ppml", "gardner_two_stage"]


def _fe_matrix(df: pd.DataFrame, fe_cols: list[str]) -> sp.csr_matrix:
    """Sparse indicator matrix with every level of every fixed effect."""
    blocks = []
    for col in fe_cols:
        codes, levels = pd.factorize(df[col])
        blocks.append(sp.csr_matrix((np.ones(len(df)), (np.arange(len(df)), codes)),
                                    shape=(len(df), len(levels))))  # fmt: skip
    return sp.hstack(blocks).tocsr()


def _solve(M: sp.csr_matrix, B: np.ndarray, x0: np.ndarray | None = None) -> np.ndarray:
    """Solve the consistent, possibly singular, PSD system ``M X = B`` column by column.

    Jacobi-preconditioned conjugate gradients (from zero the iterates stay in the range of
    ``M``); falls back to a dense pseudo-inverse if an iteration does not converge.
    """
    B = B.reshape(len(B), -1)
    diag = M.diagonal()
    precond = spla.LinearOperator(M.shape, matvec=lambda v: v / np.where(diag > 0, diag, 1.0))
    out = np.empty_like(B)
    for j in range(B.shape[1]):
        start = None if x0 is None else x0[:, j]
        x, info = spla.cg(M, B[:, j], x0=start, rtol=1e-13, atol=0.0, maxiter=20_000, M=precond)
        if info != 0:
            return linalg.pinvh(M.toarray()) @ B
        out[:, j] = x
    return out


def _check_imputable(
    X1: sp.csr_matrix, untreated: np.ndarray, M: Any, rhs: np.ndarray, theta: np.ndarray
) -> None:
    """Raise unless the treated rows' fixed effects are identified from untreated rows."""
    seen = np.asarray(X1[untreated].sum(axis=0)).ravel() > 0
    needed = np.asarray(X1[~untreated].sum(axis=0)).ravel() > 0
    shifted = np.random.default_rng(0).normal(size=(M.shape[0], 1))
    other = _solve(M, rhs, x0=shifted)  # differs from theta only by a null-space component
    drift = np.abs(X1[~untreated] @ (other - theta)).max(initial=0.0)
    if (needed & ~seen).any() or drift > 1e-6:
        raise SpecificationError(
            f"{int((needed & ~seen).sum())} fixed-effect levels of treated observations never "
            "occur among untreated observations (or are not separately identified there): "
            "the untreated outcome cannot be imputed; drop always-treated units or coarsen "
            "the fixed effects"
        )


def gardner_two_stage(
    df: pd.DataFrame,
    outcome: str,
    fe_cols: list[str],
    X2: pd.DataFrame,
    untreated: np.ndarray,
    cluster: str | None,
) -> tuple[pd.Series, pd.DataFrame]:
    """Two-stage DiD estimates of ``y - y_hat`` on ``X2`` and their GMM covariance.

    Parameters
    ----------
    df : pandas.DataFrame
        Estimation sample with ``outcome``, the fixed-effect columns and ``cluster``.
    outcome : str
        Outcome column.
    fe_cols : list of str
        Fixed-effect columns (first stage).
    X2 : pandas.DataFrame
        Second-stage regressors (event-time or treated indicators, zero for untreated rows).
    untreated : numpy.ndarray of bool
        Rows used in the first stage.
    cluster : str or None
        Cluster column; None treats each row as its own cluster.

    Returns
    -------
    (pandas.Series, pandas.DataFrame)
        Second-stage coefficients and their covariance.

    Notes
    -----
    With ``X1`` the fixed-effect indicators, ``X10`` its untreated rows (others zeroed),
    ``u1 = y - X1 theta`` and ``u2 = u1 - X2 b``, the covariance is
    ``(X2'X2)^-1 [sum_g W_g W_g'] (X2'X2)^-1`` with
    ``W_g = X2_g' u2_g - (X2'X1)(X10'X10)^+ X10_g' u1_g`` (Gardner 2022, GMM form).
    """
    y = df[outcome].to_numpy(float)
    X1 = _fe_matrix(df, fe_cols)
    X10 = sp.diags(untreated.astype(float)) @ X1
    M = (X10.T @ X10).tocsr()
    rhs = np.asarray(X10.T @ y).reshape(-1, 1)
    theta = _solve(M, rhs)
    _check_imputable(X1, untreated, M, rhs, theta)
    u1 = y - (X1 @ theta).ravel()
    Z = X2.to_numpy(float)
    ZZinv = np.linalg.inv(Z.T @ Z)
    beta = ZZinv @ (Z.T @ u1)
    u2 = u1 - Z @ beta
    correction = X10 @ _solve(M, np.asarray(X1.T @ Z))  # n x k, zero on treated rows
    scores = Z * u2[:, None] - correction * u1[:, None]
    groups = np.arange(len(df)) if cluster is None else pd.factorize(df[cluster])[0]
    S = pd.DataFrame(scores).groupby(groups).sum().to_numpy()
    cov = ZZinv @ (S.T @ S) @ ZZinv
    names = list(X2.columns)
    return pd.Series(beta, index=names), pd.DataFrame(cov, index=names, columns=names)


def etwfe_ppml(
    df: pd.DataFrame,
    outcome: str,
    fe_cols: list[str],
    event: pd.Series,
    times: list[int],
    cluster: str | None,
    ssc: str = "fixest",
) -> tuple[pd.Series, pd.DataFrame, pd.Series, FEFit, pd.DataFrame]:
    """Extended TWFE in PPML-HDFE: treated (cohort, period) cell effects, aggregated.

    Parameters
    ----------
    df : pandas.DataFrame
        Prepared frame (``_k``, ``_ord``, fixed-effect columns).
    outcome : str
        Outcome column (levels, zeros allowed).
    fe_cols : list of str
        Fixed-effect columns.
    event : pandas.Series
        Binned event time of each row (aggregation target of each cell).
    times : list of int
        Post-treatment event times to report.
    cluster : str or None
        Cluster column.
    ssc : str, default 'fixest'
        Small-sample correction of the cell covariance.

    Returns
    -------
    tuple
        Event-time estimates, their covariance, the overall effect (estimate, std_error),
        the PPML fit (nobs, label) and the cell table (column, cohort and period_ordinal as
        ``Period.ordinal``, binned event_time, n, estimate).
    """
    post = (df["_k"] >= 0).fillna(False)
    frame = df.copy()
    period_cells = frame["_k"].where(post)
    dummies, cells = cell_dummies(frame, period_cells, post, "_etw")
    frame = pd.concat([frame, dummies], axis=1)
    cols = cells["column"].tolist()
    fit = fit_fe(outcome, cols, fe_cols, frame, "ppml", cluster, ssc)
    params, cov = fit.params, fit.cov
    rows = post.to_numpy(bool)
    k = frame.loc[rows, "_k"].astype(int)
    cohort = (frame.loc[rows, "_ord"] - k).astype(int)
    binned = event[rows].astype(int).groupby([cohort, k]).first()
    cells["estimate"] = params[cols].to_numpy()
    cells.insert(2, "period_ordinal", cells["cohort"] + cells["event_time"])
    cells["event_time"] = [int(binned.loc[(g, k)]) for g, k in zip(
        cells["cohort"], cells["event_time"], strict=True)]  # fmt: skip
    est, cov_t, att = aggregate_cells(params, cov, cells, times)
    return est, cov_t, att, fit, cells
