"""Joint pre-trend test of event-study coefficients, robust to few clusters.

The cluster-robust covariance of ``K`` pre-period coefficients estimated from ``G`` clusters
has rank at most ``G - 1``; with ``K >= G - 1`` the usual Wald statistic ``b' V^-1 b``
inverts a (numerically) singular matrix and returns nonsense (``1e16``, p of 0 or 1). The
test here uses the Moore-Penrose inverse of ``V`` restricted to its numerical rank ``r``
(at most ``G - 1``) and, when the covariance is clustered, treats ``W = b' V^+ b`` as a
Hotelling T-squared built from ``G`` cluster scores: ``W (G - r) / (r (G - 1))`` is referred
to F(r, G - r) (Hotelling's exact small-sample law for normal scores, much less oversized
than chi-square(r) or ``W / r`` against F(r, G - 1) when ``r`` is close to ``G``; it is
conservative then, and has little power: hence the warning). Without clusters the
reference is chi-square(r).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from belru_trade.errors import FewClustersWarning

__all__ = ["LEVEL", "pretrend_test", "pretrend_verdict"]

LEVEL = 0.05
"""Size of the joint pre-trend test behind the ``rejected`` flag."""


def _rank_and_pinv(V: np.ndarray) -> tuple[int, np.ndarray]:
    """Numerical rank and pseudo-inverse of a symmetric positive semi-definite matrix."""
    vals, vecs = np.linalg.eigh((V + V.T) / 2)
    tol = max(vals.max(initial=0.0), 0.0) * max(V.shape) * 1e-10
    keep = vals > tol
    inv = (vecs[:, keep] / vals[keep]) @ vecs[:, keep].T
    return int(keep.sum()), inv


def pretrend_test(
    params: pd.Series,
    cov: pd.DataFrame,
    times: Sequence[int],
    reference: int,
    n_clusters: int | None = None,
    df_resid: float | None = None,
) -> pd.Series:
    """Joint test that every pre-period event coefficient is zero.

    Parameters
    ----------
    params : pandas.Series
        Event-time coefficients (same order as ``times``).
    cov : pandas.DataFrame
        Their covariance (at least the pre-period block).
    times : sequence of int
        Event time of each coefficient.
    reference : int
        Omitted event time; coefficients at earlier times are tested.
    n_clusters : int, optional
        Number of clusters behind ``cov`` (None: heteroskedasticity-robust covariance).
    df_resid : float, optional
        Residual degrees of freedom of an unclustered OLS fit: ``W / r`` is then referred to
        F(r, df_resid) (fixest's ``wald()``); None with no clusters: chi-square(r).

    Returns
    -------
    pandas.Series
        ``statistic`` (Wald ``b' V^+ b``), ``df`` (rank ``r`` of ``V``, at most ``G - 1``),
        ``df_denom`` (``G - r`` or NaN), ``f_statistic`` (``W (G - r) / (r (G - 1))`` or
        NaN), ``test`` ('F' or 'chi2'), ``p_value``, ``n_terms``, ``n_clusters`` and
        ``rejected`` (p below 0.05).

    Warns
    -----
    FewClustersWarning
        When ``G - 1`` is smaller than the number of pre-period coefficients: the test then
        only has power in ``G - 1`` directions.

    Examples
    --------
    >>> import pandas as pd
    >>> b = pd.Series([0.1, 0.2], index=["a", "b"])
    >>> V = pd.DataFrame([[0.01, 0.0], [0.0, 0.01]], index=b.index, columns=b.index)
    >>> out = pretrend_test(b, V, [-3, -2], -1)
    >>> round(float(out["statistic"]), 6), int(out["df"]), out["test"]
    (5.0, 2, 'chi2')
    """
    pre = [name for name, t in zip(params.index, times, strict=True) if t < reference]
    empty = {"statistic": np.nan, "df": 0, "df_denom": np.nan, "f_statistic": np.nan,
             "test": "none"}  # fmt: skip
    if not pre:
        return pd.Series({**empty, "p_value": np.nan, "n_terms": 0, "n_clusters": n_clusters,
                          "rejected": False})  # fmt: skip
    b = params[pre].to_numpy(float)
    rank, inv = _rank_and_pinv(cov.loc[pre, pre].to_numpy(float))
    if n_clusters is not None and n_clusters - 1 < len(pre):
        warnings.warn(
            f"{n_clusters} clusters for {len(pre)} pre-period coefficients: the clustered "
            f"covariance has rank {rank} <= G - 1 = {n_clusters - 1}; the joint pre-trend test "
            "uses its generalized inverse and a Hotelling F reference (low power)",
            FewClustersWarning,
            stacklevel=3,
        )
    stat = float(b @ inv @ b) if rank else np.nan
    if n_clusters is not None and n_clusters > 1 and rank:
        rank = min(rank, n_clusters - 1)
        denom: float = n_clusters - rank
        scaled = stat * denom / (rank * (n_clusters - 1))  # Hotelling T2 -> F(r, G - r)
        test, p = "F", float(stats.f.sf(scaled, rank, denom))
    elif df_resid is not None and rank:
        denom, scaled = df_resid, stat / rank
        test, p = "F", float(stats.f.sf(scaled, rank, df_resid))
    else:
        test, denom, scaled = "chi2", np.nan, np.nan
        p = float(stats.chi2.sf(stat, rank)) if rank else np.nan
    return pd.Series(
        {
            "statistic": stat,
            "df": rank,
            "df_denom": denom,
            "f_statistic": scaled,
            "test": test,
            "p_value": p,
            "n_terms": len(pre),
            "n_clusters": n_clusters,
            "rejected": bool(np.isfinite(p) and p < LEVEL),
        }
    )


def pretrend_verdict(pretrend: pd.Series) -> str:
    """One sentence stating the joint pre-trend test and whether it rejects.

    >>> s = pd.Series({"statistic": 30.0, "df": 5, "df_denom": 11.0, "f_statistic": 4.1,
    ...                "test": "F", "p_value": 0.0002, "n_terms": 5, "rejected": True})
    >>> pretrend_verdict(s).split(":")[0]
    'Pre-trend test REJECTS parallel pre-trends (F(5, 11) = 4.1, p = 0.0002)'
    """
    if pretrend.get("test", "none") == "none" or not np.isfinite(pretrend.get("p_value", np.nan)):
        return "Pre-trend test: not available (no pre-period coefficients)."
    df = int(pretrend["df"])
    if pretrend["test"] == "F":
        label = f"F({df}, {int(pretrend['df_denom'])}) = {pretrend['f_statistic']:.4g}"
    else:
        label = f"chi2({df}) = {pretrend['statistic']:.4g}"
    stat = f"({label}, p = {pretrend['p_value']:.2g})"
    if pretrend["rejected"]:
        return (
            f"Pre-trend test REJECTS parallel pre-trends {stat}: the pooled effect is not "
            "credible as a causal estimate; see sensitivity(mbar=[...]) for bounds."
        )
    return f"Pre-trend test does not reject parallel pre-trends at 5% {stat}."
