"""The charts every results object draws: one function per kind of panel.

Each function draws on a given Axes (so that analyses can arrange several in one figure)
with the palette and the period-axis rule of :mod:`belru_trade.plotting.style`; the
results classes' ``plot()`` methods call them on the axes of a new figure (or the one
given) and return the Figure.

>>> import pandas as pd
>>> from belru_trade.plotting import new_figure
>>> idx = pd.period_range("2014-01", periods=6, freq="M")
>>> table = pd.DataFrame({"observed": [5.0, 6, 5, 2, 2, 1], "counterfactual": [5.0] * 6,
...                       "cf_low": [4.0] * 6, "cf_high": [6.0] * 6}, index=idx)
>>> fig, ax = new_figure()
>>> counterfactual_panel(ax, table, ["2014-04"], y="Exports", unit="t")
>>> [line.get_label() for line in ax.get_lines()][:2]
['observed', 'counterfactual']
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from belru_trade.plotting.charts import label_axes, mark_interventions, shade_band
from belru_trade.plotting.style import PALETTE, period_x, time_axis

__all__ = [
    "bar_panel",
    "bounds_panel",
    "counterfactual_panel",
    "event_study_panel",
    "series_line",
]


def series_line(
    ax: Any,
    index: Any,
    values: Any,
    *,
    role: str = "primary",
    label: str | None = None,
    style: str = "-",
    **line_options: Any,
) -> None:
    """One time series on a time axis: periods at their middle, colour from the palette.

    ``role`` is a key of :data:`~belru_trade.plotting.style.PALETTE` (``"primary"``,
    ``"secondary"``, ``"muted"``, ``"observed"``, ...).
    """
    ax.plot(
        period_x(index),
        np.asarray(values, float),
        style,
        color=PALETTE[role],
        label=label,
        **line_options,
    )


def _column(table: pd.DataFrame, *names: str) -> pd.Series:
    for name in names:
        if name in table:
            return table[name]
    raise KeyError(f"the table has none of the columns {names}")


def counterfactual_panel(
    ax: Any,
    table: pd.DataFrame,
    interventions: Sequence[Any],
    *,
    counterfactual_label: str = "counterfactual",
    band_label: str | None = None,
    whole_period: bool = False,
    y: str = "Value",
    unit: str | None = None,
    title: str | None = None,
    x: str = "Period",
    legend: bool = True,
) -> None:
    """Observed series, fitted path, counterfactual path and its band.

    Parameters
    ----------
    ax : matplotlib Axes
    table : DataFrame
        Indexed by period: ``observed``, ``counterfactual``, the band as ``cf_low`` /
        ``cf_high`` (or ``low`` / ``high``) and optionally ``fitted``.
    interventions : sequence of Period or str
        Drawn as dashed lines at the start of their period; the band is drawn from the
        first one on, and so is the counterfactual path when the table has a fitted path
        (without one, the counterfactual path is the model's path over every period).
    counterfactual_label, band_label : str
        Legend entries of the counterfactual path and of the band (no entry when None).
    whole_period : bool
        Draw the counterfactual and its band over every period (a projection), not only
        after the first intervention.
    y, unit, title, x : str
        Axis labels (``"y (unit)"``) and title.
    legend : bool
        Add a legend (placed where it covers the fewest points).
    """
    periods = pd.PeriodIndex(table.index)
    xs = period_x(periods)
    first = pd.Period(str(interventions[0]), freq=periods.freq)
    keep = np.ones(len(periods), bool) if whole_period else np.asarray(periods >= first)
    ax.plot(
        xs,
        table["observed"],
        "o-",
        markersize=2.5,
        linewidth=0.8,
        color=PALETTE["observed"],
        label="observed",
    )
    if "fitted" in table:
        ax.plot(xs, table["fitted"], color=PALETTE["fitted"], linewidth=1.2, label="fitted")
    line = keep if "fitted" in table else np.ones(len(periods), bool)
    ax.plot(
        xs[line],
        table["counterfactual"][line],
        "--",
        color=PALETTE["counterfactual"],
        label=counterfactual_label,
    )
    low, high = _column(table, "cf_low", "low"), _column(table, "cf_high", "high")
    shade_band(ax, xs[keep], low[keep], high[keep], label=band_label)
    mark_interventions(ax, interventions)
    time_axis(ax)
    label_axes(ax, x=x, y=y, unit=unit, title=title)
    if legend:
        ax.legend(loc="best", fontsize=8)


def event_study_panel(
    ax: Any,
    table: pd.DataFrame,
    reference: int,
    *,
    unit: str | None = None,
    title: str | None = None,
    x: str = "Periods since treatment",
) -> None:
    """Event-time coefficients with confidence intervals and the treatment line.

    ``table`` has ``event_time``, ``estimate``, ``conf_low`` and ``conf_high`` (NaN bounds,
    as at the reference period, draw no bar). The dashed line sits between the reference
    period and the next one (where treatment starts).
    """
    xs = table["event_time"].to_numpy(float)
    est = table["estimate"].to_numpy(float)
    low = table["conf_low"].to_numpy(float)
    high = table["conf_high"].to_numpy(float)
    err = np.vstack(
        [est - np.where(np.isnan(low), est, low), np.where(np.isnan(high), est, high) - est]
    )
    ax.errorbar(
        xs,
        est,
        yerr=err,
        fmt="o",
        color=PALETTE["fitted"],
        ecolor=PALETTE["band"],
        capsize=2,
        markersize=4,
    )
    ax.axhline(0.0, color=PALETTE["zero"], linewidth=0.8)
    ax.axvline(reference + 0.5, color=PALETTE["intervention"], linestyle="--", linewidth=1.0)
    label_axes(ax, x=x, y="Effect", unit=unit, title=title)


def bounds_panel(
    ax: Any,
    x: Any,
    estimate: Any,
    lower: Any,
    upper: Any,
    *,
    x_label: str,
    y: str,
    unit: str | None = None,
    title: str | None = None,
) -> None:
    """An identified set (band) around a point estimate against a sensitivity parameter."""
    xs = np.asarray(x, float)
    ax.fill_between(
        xs,
        np.asarray(lower, float),
        np.asarray(upper, float),
        color=PALETTE["band"],
        alpha=0.35,
        linewidth=0,
        label="identified set",
    )
    ax.plot(
        xs, np.asarray(estimate, float), color=PALETTE["fitted"], marker="o", label="point estimate"
    )
    ax.axhline(0.0, color=PALETTE["zero"], linewidth=0.8)
    label_axes(ax, x=x_label, y=y, unit=unit, title=title)
    ax.legend(loc="best", fontsize=8)


def bar_panel(
    ax: Any,
    labels: Sequence[str],
    values: Any,
    *,
    low: Any = None,
    high: Any = None,
    y: str,
    unit: str | None = None,
    title: str | None = None,
    x: str = "",
    role: str = "primary",
) -> None:
    """Bars with optional interval whiskers from ``low`` to ``high``."""
    mid = np.asarray(values, float)
    err = None
    if low is not None and high is not None:
        err = np.vstack([mid - np.asarray(low, float), np.asarray(high, float) - mid])
    ax.bar(list(labels), mid, yerr=err, capsize=2, color=PALETTE[role], ecolor=PALETTE["observed"])
    label_axes(ax, x=x, y=y, unit=unit, title=title)
    ax.grid(alpha=0.3, axis="y")
    ax.grid(False, axis="x")
