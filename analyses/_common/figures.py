"""Figures of the bundled analyses, drawn by :mod:`belru_trade.plotting`.

Thin adapters only: the analyses' figure sizes, the ``(date, label)`` event markers and the
ITS panel of :func:`its_row` tables. Every drawing (palette, period-axis rule, intervention
lines, bands) is :mod:`belru_trade.plotting`'s.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd
from belru_trade.analyses._common.series import _period

from belru_trade.plotting import counterfactual_panel, mark_interventions, time_axis
from belru_trade.plotting import new_figure as _new_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["mark_dates", "new_figure", "plot_its"]


def new_figure(
    nrows: int = 1, ncols: int = 1, *, width: float = 9.0, height: float = 4.2
) -> tuple[Figure, Any]:
    """A figure and its axes, ``height`` inches per row (:func:`belru_trade.plotting.new_figure`).

    >>> fig, ax = new_figure()
    >>> type(fig).__name__
    'Figure'
    """
    return _new_figure(nrows, ncols, width=width, height=height)


def mark_dates(ax: Any, dates: Iterable[tuple[str, str]]) -> None:
    """Dashed lines at ``(date, label)`` pairs, labelled at the top, on a concise time axis."""
    pairs = list(dates)
    mark_interventions(ax, [d for d, _ in pairs], labels=[label for _, label in pairs])
    time_axis(ax)


def plot_its(ax: Any, cf: pd.DataFrame, interventions: Sequence[Any], *, label: str,
             unit: str) -> Any:  # fmt: skip
    """Observed, fitted and counterfactual (shaded prediction band) from ``its_row``.

    Draws on ``ax`` and returns its :class:`matplotlib.figure.Figure`; the legend is left to
    the caller (one per figure).
    """
    counterfactual_panel(
        ax,
        cf,
        [str(_period(p)) for p in interventions],
        band_label="95% prediction band",
        y=unit,
        x="month",
        title=label,
        legend=False,
    )
    return ax.figure
