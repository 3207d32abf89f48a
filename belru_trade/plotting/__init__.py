"""Figures: every estimator's ``plot()`` and the report's charts are built here.

Object-oriented matplotlib only (no pyplot, no global state), PNG through the Agg canvas.
"""

from __future__ import annotations

from belru_trade.plotting.charts import (
    label_axes,
    mark_interventions,
    new_figure,
    period_x,
    save_png,
    shade_band,
)

__all__ = [
    "label_axes",
    "mark_interventions",
    "new_figure",
    "period_x",
    "save_png",
    "shade_band",
]
