"""Shared matplotlib helpers (headless: figures are built without pyplot, PNG via Agg).

Every estimator's ``plot()`` returns a :class:`matplotlib.figure.Figure` built here, so
figures render in scripts, CI and notebooks without a display and leave no global state.

>>> import pandas as pd
>>> fig, ax = new_figure()
>>> x = period_x(pd.period_range("2014-01", periods=3, freq="M"))
>>> _ = ax.plot(x, [1, 2, 3])
>>> mark_interventions(ax, ["2014-02"])
>>> label_axes(ax, y="Exports", unit="EUR")
>>> ax.get_ylabel()
'Exports (EUR)'
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from belru_trade._outputs import atomic_write

__all__ = [
    "label_axes",
    "mark_interventions",
    "new_figure",
    "period_x",
    "save_png",
    "shade_band",
]

INTERVENTION_COLOR = "#b2182b"
BAND_COLOR = "#4393c3"


def new_figure(
    nrows: int = 1, ncols: int = 1, *, figsize: tuple[float, float] = (8.0, 4.5)
) -> tuple[Any, Any]:
    """A new Figure (Agg canvas, no pyplot) and its axes (array when several)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(nrows, ncols, squeeze=True)
    return fig, axes


def period_x(index: Iterable[Any]) -> np.ndarray:
    """Timestamps (period starts) for the x axis from periods, dates or strings."""
    values = pd.Index(index)
    if isinstance(values, pd.PeriodIndex):
        return values.to_timestamp().to_numpy()
    if isinstance(values, pd.DatetimeIndex):
        return values.to_numpy()
    return pd.PeriodIndex([pd.Period(str(v)) for v in values]).to_timestamp().to_numpy()


def mark_interventions(ax: Any, dates: Iterable[Any], *, labels: bool = True) -> None:
    """Dashed vertical lines at intervention dates, labelled with the date."""
    for date in dates:
        x = period_x([date])[0]
        ax.axvline(x, color=INTERVENTION_COLOR, linestyle="--", linewidth=1.0)
        if labels:
            ax.annotate(
                str(date),
                xy=(x, 1.0),
                xycoords=("data", "axes fraction"),
                xytext=(3, -12),
                textcoords="offset points",
                color=INTERVENTION_COLOR,
                fontsize=8,
            )


def shade_band(
    ax: Any, x: Any, low: Any, high: Any, *, label: str | None = None, color: str = BAND_COLOR
) -> None:
    """A translucent band between ``low`` and ``high`` (an interval)."""
    ax.fill_between(
        x, np.asarray(low, float), np.asarray(high, float), color=color, alpha=0.25, label=label
    )


def label_axes(
    ax: Any,
    *,
    x: str = "Period",
    y: str = "Value",
    unit: str | None = None,
    title: str | None = None,
) -> None:
    """Axis labels with the unit in brackets, and an optional title."""
    ax.set_xlabel(x)
    ax.set_ylabel(f"{y} ({unit})" if unit else y)
    if title:
        ax.set_title(title)


def save_png(fig: Any, path: str | os.PathLike[str], *, dpi: int = 120) -> Path:
    """Write ``fig`` as PNG atomically (:func:`belru_trade._outputs.atomic_write`)."""
    return atomic_write(path, lambda stream: fig.savefig(stream, format="png", dpi=dpi))
