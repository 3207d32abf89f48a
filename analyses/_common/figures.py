"""Figures of the bundled analyses (Agg canvas, no pyplot, no global state)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd
from belru_trade.analyses._common.series import _period
from matplotlib.figure import Figure

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["mark_dates", "new_figure", "period_axis", "plot_its", "shade_interval"]


def new_figure(
    nrows: int = 1, ncols: int = 1, *, width: float = 9.0, height: float = 4.2
) -> tuple[Figure, Any]:
    """A figure and its axes (Agg canvas, constrained layout).

    >>> fig, ax = new_figure()
    >>> type(fig).__name__
    'Figure'
    """
    fig = Figure(figsize=(width, height * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=True)
    return fig, axes


def period_axis(index: pd.Index) -> np.ndarray:
    """Datetime x-values (period midpoints) for a PeriodIndex or a column of Periods."""
    periods = pd.PeriodIndex(index)
    return (periods.start_time + (periods.end_time - periods.start_time) / 2).to_numpy()


def mark_dates(ax: Axes, dates: Iterable[tuple[str, str]], *, color: str = "firebrick") -> None:
    """Draw dashed vertical lines at ``(date, label)`` pairs, labelled at the top.

    Also gives the (time) x axis concise date labels that do not overlap.
    """
    import matplotlib.dates as mdates

    locator = mdates.AutoDateLocator(minticks=3, maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ymax = ax.get_ylim()[1]
    for date, label in dates:
        x = pd.Timestamp(date)
        ax.axvline(x, color=color, linestyle="--", linewidth=1)
        ax.text(x, ymax, f" {label}", color=color, fontsize=8, va="top", ha="left", rotation=90)


def shade_interval(
    ax: Axes, x: Any, low: Any, high: Any, *, label: str, color: str = "tab:blue"
) -> None:
    """Shade a band between ``low`` and ``high`` (e.g. a counterfactual interval)."""
    ax.fill_between(x, low, high, color=color, alpha=0.2, linewidth=0, label=label)


def plot_its(
    ax: Axes, cf: pd.DataFrame, interventions: Sequence[Any], *, label: str, unit: str
) -> None:
    """Observed, fitted and counterfactual (shaded prediction band) from ``its_row``."""
    x = period_axis(cf.index)
    first = pd.Period(str(interventions[0]), freq=cast(pd.PeriodIndex, cf.index).freqstr)
    post = np.asarray(cf.index >= first)
    ax.plot(x, cf["observed"], "o-", markersize=2.5, linewidth=0.8, color="0.25", label="observed")
    ax.plot(x, cf["fitted"], color="black", linewidth=1.2, label="fitted")
    ax.plot(x[post], cf["counterfactual"][post], "--", color="#2166ac", label="counterfactual")
    shade_interval(
        ax,
        x[post],
        cf["cf_low"][post],
        cf["cf_high"][post],
        label="95% prediction band",
        color="#4393c3",
    )
    mark_dates(ax, [(str(p.start_time.date()), str(p)) for p in map(_period, interventions)])
    ax.set_ylabel(unit)
    ax.set_xlabel("month")
    ax.set_title(label, fontsize=10)
    ax.grid(alpha=0.3)
