"""Affected flows of a measure and their trend baseline (inputs of ``bt.simulate``).

Product codes are matched by prefix; when a prefix matches codes of several lengths (the
snapshot holds both HS4 and CN8 rows, e.g. ``7102`` and ``71022900``) only the shortest
matching length is kept, so the same trade is never summed twice.

The baseline of a member x sector series is a log-linear trend fitted by least squares on the
last ``window`` months before the measure starts (or before the end of the data):
``log v_t = a + b t + e_t``, projected forward with the smearing factor ``mean(exp(e))``
(Duan 1983). Sectors are HS chapters (``HS71``).

Examples
--------
>>> p = pd.DataFrame({"product": ["7102", "71022900", "8703"]})
>>> select_codes(p["product"], ["71", "8703"])
['7102', '8703']
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from belru_trade.errors import InvalidArgumentError, NotCoveredError
from belru_trade.trade.selection import select

__all__ = ["Trend", "affected_flows", "fit_trends", "select_codes"]


def select_codes(codes: pd.Series, prefixes: Sequence[str], exemptions: Sequence[str] = ()) -> list:
    """Codes of ``codes`` matching ``prefixes`` (shortest matching length per prefix)."""
    unique = pd.Index(pd.unique(codes.astype(str)))
    chosen: set[str] = set()
    for prefix in prefixes:
        hits = unique[unique.str.startswith(prefix)]
        if len(hits):
            shortest = hits.str.len().min()
            chosen.update(hits[hits.str.len() == shortest])
    out = [c for c in chosen if not any(c.startswith(e) for e in exemptions)]
    return sorted(out)


def affected_flows(
    panel: pd.DataFrame,
    *,
    members: Sequence[str],
    partner: str,
    flow: str,
    products: Sequence[str],
    exemptions: Sequence[str] = (),
) -> pd.DataFrame:
    """Monthly values of the flows a measure acts on, by member, sector (HS chapter) and month.

    Raises
    ------
    NotCoveredError
        If the panel has no rows for these members, partner, flow and products; the message
        names the products.
    """
    rows = select(panel, reporter=members, partner=partner, flow=flow)
    codes = select_codes(rows["product"], products, exemptions)
    if not codes:
        raise NotCoveredError(
            f"products={list(products)!r}: no {flow}s of these codes between "
            f"{'/'.join(members[:3])}{'...' if len(members) > 3 else ''} and {partner} in "
            "the panel; pass a panel that holds these flows"
        )
    rows = select(rows, product=codes, missing="drop")
    rows = rows.assign(sector="HS" + rows["product"].str[:2])
    out = rows.groupby(["reporter", "sector", "period"], as_index=False)["value"].sum()
    return out


@dataclass(frozen=True)
class Trend:
    """Fitted log-linear trend of one series (coefficients, covariance, smearing factor)."""

    coef: np.ndarray
    cov: np.ndarray
    smear: float
    origin: pd.Period
    n: int

    def project(self, periods: pd.PeriodIndex, draws: np.ndarray | None = None) -> np.ndarray:
        """Projected values (``len(periods)``) or one row per coefficient draw."""
        t = np.array([(p - self.origin).n for p in periods], dtype=float)
        design = np.column_stack([np.ones_like(t), t])
        coef = self.coef[None, :] if draws is None else draws
        out = np.exp(coef @ design.T) * self.smear
        return out[0] if draws is None else out

    def draw(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """Coefficient draws from the normal approximation."""
        return rng.multivariate_normal(self.coef, self.cov, size=size, method="eigh")


def _fit_one(series: pd.Series, origin: pd.Period) -> Trend:
    y = series[series > 0]
    t = np.array([(p - origin).n for p in y.index], dtype=float)
    logy = np.log(y.to_numpy(dtype=float))
    if len(y) < 6:  # too short for a slope: level only, with its standard error
        level = logy.mean() if len(y) else -np.inf
        var = logy.var(ddof=1) / len(y) if len(y) > 1 else 0.0
        return Trend(np.array([level, 0.0]), np.diag([var, 0.0]), 1.0, origin, len(y))
    design = np.column_stack([np.ones_like(t), t])
    coef, *_ = np.linalg.lstsq(design, logy, rcond=None)
    resid = logy - design @ coef
    sigma2 = resid @ resid / (len(y) - 2)
    cov = sigma2 * np.linalg.inv(design.T @ design)
    return Trend(coef, cov, float(np.mean(np.exp(resid))), origin, len(y))


def fit_trends(
    flows: pd.DataFrame, *, before: pd.Period, window: int = 24
) -> tuple[dict[tuple[str, str], Trend], pd.Period]:
    """Fit one trend per (reporter, sector) on the ``window`` months before ``before``.

    Returns the trends and the last month used (the projection origin).

    Raises
    ------
    InvalidArgumentError
        If ``before`` is not after the first month of the data plus 6 months (start before
        data).
    """
    first, last = flows["period"].min(), flows["period"].max()
    if before <= first + 6:
        raise InvalidArgumentError(
            f"start={before} is before the data allow a baseline: the panel starts {first}; "
            f"the measure must start after {first + 6}"
        )
    end = min(before - 1, last)
    begin = end - (window - 1)
    months = pd.period_range(begin, end, freq="M")
    trends = {}
    for (reporter, sector), group in flows.groupby(["reporter", "sector"]):
        series = group.set_index("period")["value"].reindex(months)
        trends[(reporter, sector)] = _fit_one(series.dropna(), end)
    return trends, end
