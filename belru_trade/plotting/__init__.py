"""Every figure of the package: one palette, one period-axis rule, one way to draw.

Object-oriented matplotlib only: figures are :class:`matplotlib.figure.Figure` objects on
an Agg canvas (no pyplot, no ``matplotlib.use``, no global state), laid out by the
constrained layout engine and written in one draw. Every ``plot()`` method of a results
object and every ``plot_*`` function returns a Figure; given ``ax=``, it draws on that
Axes and returns its Figure.

Period-axis rule: a period is drawn at its middle (a monthly total at mid-month);
interventions are dashed lines at the start of their period (see
:mod:`belru_trade.plotting.style`). Colours come from :data:`PALETTE`.

Modules: :mod:`~belru_trade.plotting.style` (palette, period axis),
:mod:`~belru_trade.plotting.charts` (figures, labels, intervention lines, bands, PNG),
:mod:`~belru_trade.plotting.panels` (counterfactual, event-study, bounds and bar panels).
"""

from __future__ import annotations

from belru_trade.plotting.charts import (
    DPI,
    label_axes,
    mark_interventions,
    new_figure,
    on_axes,
    png_bytes,
    save_png,
    shade_band,
)
from belru_trade.plotting.panels import (
    bar_panel,
    bounds_panel,
    counterfactual_panel,
    event_study_panel,
    series_line,
)
from belru_trade.plotting.style import PALETTE, period_start, period_x, time_axis

__all__ = [
    "DPI",
    "PALETTE",
    "bar_panel",
    "bounds_panel",
    "counterfactual_panel",
    "event_study_panel",
    "label_axes",
    "mark_interventions",
    "new_figure",
    "on_axes",
    "period_start",
    "period_x",
    "png_bytes",
    "save_png",
    "series_line",
    "shade_band",
    "time_axis",
]
