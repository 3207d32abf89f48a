"""Series taken from a tidy panel: monthly sums, annual sums, complete months, spikes."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

import belru_trade as bt

__all__ = ["annual_sums", "complete_months", "monthly_series", "spike_mask"]


def monthly_series(
    panel: pd.DataFrame,
    *,
    column: str = "value",
    scale: float = 1.0,
    **filters: str | Sequence[str],
) -> pd.Series:
    """Sum ``column`` over the rows matching ``filters`` by period, divided by ``scale``.

    :func:`belru_trade.trade.panel.series` with ``missing="drop"`` and ``empty="return"``:
    rows with a missing ``column`` are left out; periods with no row at all are absent
    (not zero); no match gives an empty series. The result has a PeriodIndex sorted in time.

    >>> p = pd.DataFrame({"period": pd.PeriodIndex(["2020-01", "2020-01"], freq="M"),
    ...                   "flow": ["export", "import"], "value": [2e6, 5e6]})
    >>> monthly_series(p, flow="export", scale=1e6).tolist()
    [2.0]
    """
    return bt.panel.series(
        panel, filters, column=column, scale=scale, missing="drop", empty="return"
    )


def annual_sums(series: pd.Series) -> pd.DataFrame:
    """Calendar-year sums of a monthly series with the number of months present.

    >>> s = pd.Series([1.0, 2.0], index=pd.period_range("2020-11", periods=2, freq="M"))
    >>> annual_sums(s).to_dict("records")
    [{'year': 2020, 'months': 2, 'sum': 3.0}]
    """
    years = series.index.year
    grouped = series.groupby(years)
    return pd.DataFrame(
        {"year": grouped.size().index, "months": grouped.size().to_numpy(), "sum": grouped.sum()}
    ).reset_index(drop=True)


def _period(value) -> pd.Period:
    return value if isinstance(value, pd.Period) else pd.Period(str(value), freq="M")


def complete_months(series: pd.Series, start: str, end: str) -> pd.Series:
    """Reindex a monthly series to every month ``start..end``; absent months become 0.

    Use only where an absent month means no trade (say so in the caveats).

    >>> s = pd.Series([1.0], index=pd.PeriodIndex(["2020-02"], freq="M"))
    >>> complete_months(s, "2020-01", "2020-03").tolist()
    [0.0, 1.0, 0.0]
    """
    index = pd.period_range(start, end, freq="M")
    return series.reindex(index, fill_value=0.0).rename(series.name)


def spike_mask(
    panel: pd.DataFrame, *, factor: float = 20.0, minimum: float = 0.0, column: str = "quantity"
) -> pd.Series:
    """Flag reported values more than ``factor`` times any value of other years.

    For each reporter, partner, product and flow, a row is flagged when ``column`` exceeds
    ``factor`` times the largest monthly value the same series has in any *other* calendar
    year (typical of unit errors, e.g. grams reported as kilograms). Series with a single
    year are never flagged, nor values not above ``minimum``.

    Returns
    -------
    pandas.Series of bool aligned with ``panel``.

    >>> p = pd.DataFrame({"reporter": "EE", "partner": "RU", "product": "0401",
    ...     "flow": "export", "period": pd.PeriodIndex(["2013-01", "2014-01", "2015-01"],
    ...     freq="M"), "quantity": [10.0, 5000.0, 12.0]})
    >>> spike_mask(p).tolist()
    [False, True, False]
    """
    keys = ["reporter", "partner", "product", "flow"]
    frame = panel[keys].copy()
    frame["year"] = pd.PeriodIndex(panel["period"]).year
    frame["x"] = panel[column].astype(float)
    yearly = frame.groupby([*keys, "year"])["x"].max().rename("ymax").reset_index()

    rank = yearly.groupby(keys)["ymax"].rank(method="first", ascending=False)
    top = yearly.groupby(keys)["ymax"].transform("max")
    second = yearly[rank == 2].set_index(keys)["ymax"].rename("second")
    yearly = yearly.join(second, on=keys)
    yearly["other"] = np.where(rank == 1, yearly["second"], top)
    merged = frame.merge(yearly[[*keys, "year", "other"]], on=[*keys, "year"], how="left")
    flagged = (merged["x"] > factor * merged["other"]) & merged["other"].notna()
    flagged &= merged["x"] > minimum
    return pd.Series(flagged.to_numpy(), index=panel.index)
