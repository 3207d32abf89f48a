"""Immutable estimation results shared by every estimator, and comparison tables.

Estimators return a subclass of :class:`EstimationResults` (frozen dataclass). Attribute
names follow linearmodels: ``params``, ``std_errors``, ``tstats``, ``pvalues``,
``conf_int()``, ``summary()``; ``tidy()`` gives the long table used in reports.

p-values and intervals use Student t with ``df_resid`` degrees of freedom, or the normal
when ``df_resid`` is None; each estimator sets it by the fixest convention (z for Poisson
and other maximum-likelihood fits, t with G - 1 or N - K degrees of freedom for least
squares; see :mod:`belru_trade.models.hdfe.vcov`).
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from belru_trade._validation import check_choice
from belru_trade.errors import InvalidArgumentError

__all__ = ["ComparisonTable", "EstimationResults", "compare", "tidy_frame"]

TIDY_COLUMNS = ("term", "estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high")


def tidy_frame(
    params: pd.Series, std_errors: pd.Series, *, df: float | None = None, level: float = 0.95
) -> pd.DataFrame:
    """Build the tidy coefficient table from estimates and standard errors.

    Uses Student's t with ``df`` degrees of freedom when given, else the normal.

    >>> t = tidy_frame(pd.Series({"x": 2.0}), pd.Series({"x": 1.0}))
    >>> round(float(t.loc[0, "conf_low"]), 4)
    0.04
    """
    if not 0 < level < 1:
        raise InvalidArgumentError(f"level={level!r} must be strictly between 0 and 1")
    estimate = params.astype(float)
    se = std_errors.reindex(estimate.index).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        statistic = estimate / se
    dist = stats.t(df) if df is not None and np.isfinite(df) and df > 0 else stats.norm()
    p_value = 2 * dist.sf(np.abs(statistic))
    q = dist.ppf(0.5 + level / 2)
    return pd.DataFrame(
        {
            "term": estimate.index.astype(str),
            "estimate": estimate.to_numpy(),
            "std_error": se.to_numpy(),
            "statistic": statistic.to_numpy(),
            "p_value": np.asarray(p_value, dtype=float),
            "conf_low": (estimate - q * se).to_numpy(),
            "conf_high": (estimate + q * se).to_numpy(),
        }
    )


@dataclass(frozen=True, repr=False)
class EstimationResults:
    """Base class of estimation results (immutable).

    Parameters
    ----------
    params : pandas.Series
        Point estimates indexed by term.
    std_errors : pandas.Series
        Standard errors, same index.
    nobs : int
        Observations used.
    model : str
        Short model name for tables (e.g. ``"PPML"``).
    cov_type : str
        Description of the covariance estimator.
    df_resid : float or None
        Degrees of freedom for t inference; ``None`` uses the normal distribution.
    extra : dict
        Model-specific statistics shown in :func:`compare` (e.g. pseudo R2, fixed effects).
    """

    params: pd.Series
    std_errors: pd.Series
    nobs: int
    model: str
    cov_type: str
    df_resid: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def tstats(self) -> pd.Series:
        """Estimates divided by standard errors."""
        return self.params / self.std_errors

    @property
    def pvalues(self) -> pd.Series:
        """Two-sided p-values (t with ``df_resid`` degrees of freedom, else normal)."""
        table = tidy_frame(self.params, self.std_errors, df=self.df_resid)
        return table.set_index("term")["p_value"].rename("pvalue")

    def conf_int(self, level: float = 0.95) -> pd.DataFrame:
        """Confidence intervals with columns ``lower`` and ``upper``."""
        tidy = tidy_frame(self.params, self.std_errors, df=self.df_resid, level=level)
        tidy = tidy.set_index("term")
        return tidy[["conf_low", "conf_high"]].rename(
            columns={"conf_low": "lower", "conf_high": "upper"}
        )

    def tidy(self, level: float = 0.95) -> pd.DataFrame:
        """Coefficient table: term, estimate, std_error, statistic, p_value, conf_low/high."""
        return tidy_frame(self.params, self.std_errors, df=self.df_resid, level=level)

    def summary(self) -> str:
        """Plain-text summary of the estimates and model statistics."""
        table = self.tidy().set_index("term")
        lines = [f"{self.model} estimates ({self.cov_type}), N = {self.nobs:,}"]
        lines += [f"  {k}: {v}" for k, v in self.extra.items()]
        lines.append(table.to_string(float_format=lambda v: f"{v:.6g}"))
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        caption = html.escape(f"{self.model} ({self.cov_type}), N = {self.nobs:,}")
        table = self.tidy().to_html(index=False, float_format=lambda v: f"{v:.6g}")
        head, close, rest = table.partition(">")  # the caption goes right after <table ...>
        return f"{head}{close}\n  <caption>{caption}</caption>{rest}"


@dataclass(frozen=True)
class ComparisonTable:
    """Side-by-side table of several results (estimates with standard errors below)."""

    table: pd.DataFrame

    def to_markdown(self) -> str:
        """Markdown (pipe) table."""
        return self.table.to_markdown()

    def to_latex(self) -> str:
        """LaTeX tabular."""
        return self.table.to_latex(escape=True)

    def to_html(self) -> str:
        """HTML table."""
        return self.table.to_html(escape=True)

    def __str__(self) -> str:
        return self.table.to_string()


def compare(
    results: list[EstimationResults] | dict[str, EstimationResults],
    *,
    stars: bool = True,
    digits: int = 4,
) -> ComparisonTable:
    """Compare several estimation results in one table.

    Parameters
    ----------
    results : list or dict of EstimationResults
        A dict gives the column names; a list numbers them (1), (2), ...
    stars : bool, default True
        Append significance stars (* 10%, ** 5%, *** 1%).
    digits : int, default 4
        Decimal places.

    Returns
    -------
    ComparisonTable
        With ``to_markdown()``, ``to_latex()`` and ``to_html()``.
    """
    if isinstance(results, dict):
        named = dict(results)
    else:
        named = {f"({i + 1})": r for i, r in enumerate(results)}
    if not named:
        raise InvalidArgumentError("results=[] is empty; pass at least one results object")
    for name, res in named.items():
        if not isinstance(res, EstimationResults):
            raise InvalidArgumentError(
                f"results[{name!r}] is a {type(res).__name__}; expected EstimationResults"
            )
    check_choice("stars", stars, (True, False))
    columns = {name: _column(res, stars, digits) for name, res in named.items()}
    table = pd.DataFrame(columns).fillna("")
    return ComparisonTable(table=table)


def _column(res: EstimationResults, stars: bool, digits: int) -> pd.Series:
    tidy = res.tidy()
    cells: dict[str, str] = {}
    rows = zip(
        tidy["term"].astype(str),
        tidy["estimate"].to_numpy(float),
        tidy["std_error"].to_numpy(float),
        tidy["p_value"].to_numpy(float),
        strict=True,
    )
    for term, estimate, std_error, p_value in rows:
        if np.isnan(estimate):  # a regressor dropped as collinear or absorbed
            cells[term] = "dropped"
            continue
        mark = ""
        if stars:
            mark = (
                "***"
                if p_value < 0.01
                else "**"
                if p_value < 0.05
                else ("*" if p_value < 0.1 else "")
            )
        cells[term] = f"{estimate:.{digits}f}{mark}"
        cells[f"{term} (se)"] = f"({std_error:.{digits}f})"
    cells["Model"] = res.model
    cells["Covariance"] = res.cov_type
    cells["Observations"] = f"{res.nobs:,}"
    for key, value in res.extra.items():
        cells[str(key)] = (
            value
            if isinstance(value, str)
            else f"{value:.{digits}g}"
            if isinstance(value, float)
            else str(value)
        )
    return pd.Series(cells)
