"""Figure building blocks: new figures, axes labels, intervention lines, bands, PNG output.

Figures are :class:`matplotlib.figure.Figure` objects attached to an Agg canvas, built
without pyplot, so they render in scripts, CI and notebooks without a display, change no
global state (no ``matplotlib.use``, no current figure) and are freed as soon as nothing
refers to them. Figures use matplotlib's constrained layout, so writing one draws it once
(no ``bbox_inches="tight"`` second pass).

>>> import pandas as pd
>>> from belru_trade.plotting import period_x
>>> fig, ax = new_figure()
>>> x = period_x(pd.period_range("2014-01", periods=3, freq="M"))
>>> _ = ax.plot(x, [1, 2, 3])
>>> mark_interventions(ax, ["2014-02"])
>>> label_axes(ax, y="Exports", unit="EUR")
>>> ax.get_ylabel()
'Exports (EUR)'
>>> png_bytes(fig)[:4]
b'\\x89PNG'
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from belru_trade._outputs import atomic_write
from belru_trade.errors import InvalidArgumentError
from belru_trade.plotting.style import PALETTE, period_start

__all__ = [
    "DPI",
    "label_axes",
    "mark_interventions",
    "new_figure",
    "on_axes",
    "png_bytes",
    "save_png",
    "shade_band",
]

#: resolution of written figures (dots per inch)
DPI = 110


def new_figure(
    nrows: int = 1,
    ncols: int = 1,
    *,
    figsize: tuple[float, float] | None = None,
    width: float = 8.0,
    height: float = 4.5,
) -> tuple[Any, Any]:
    """A new Figure (Agg canvas, constrained layout, no pyplot) and its axes.

    Parameters
    ----------
    nrows, ncols : int
        Grid of axes.
    figsize : (float, float), optional
        Size in inches; default ``(width, height * nrows)``.
    width, height : float
        Figure width and the height of one row of axes, in inches.

    Returns
    -------
    (matplotlib.figure.Figure, Axes or numpy.ndarray of Axes)
        A single Axes for a 1 x 1 grid, else an array (squeezed as by ``subplots``).
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize or (width, height * nrows), layout="constrained")
    FigureCanvasAgg(fig)
    return fig, fig.subplots(nrows, ncols, squeeze=True)


def on_axes(ax: Any = None, **figure_options: Any) -> tuple[Any, Any]:
    """``(figure, ax)``: the given axes and its figure, or a new one-axes figure.

    Every ``plot()`` of the package draws on ``ax`` when given (so that it can fill one
    panel of a larger figure) and returns the Figure either way.
    """
    if ax is None:
        return new_figure(**figure_options)
    if not hasattr(ax, "figure") or not hasattr(ax, "plot"):
        raise InvalidArgumentError(
            f"ax is a {type(ax).__name__}; expected a matplotlib Axes or None"
        )
    return ax.figure, ax


def mark_interventions(
    ax: Any, dates: Iterable[Any], *, labels: bool | Iterable[str] = True
) -> None:
    """Dashed vertical lines at the start of each intervention period, labelled at the top.

    Parameters
    ----------
    ax : matplotlib Axes
        With a time x axis (positions from :func:`period_x`).
    dates : iterable of Period, str or Timestamp
        ``"2014-08"`` is drawn at 1 August 2014; a full date ``"2022-02-24"`` on that day.
    labels : bool or iterable of str
        ``True`` labels each line with its date as given, ``False`` draws no label, and
        strings give the labels.
    """
    dates = list(dates)
    if labels is True:
        texts = [str(d) for d in dates]
    elif labels is False:
        texts = [""] * len(dates)
    else:
        texts = [str(t) for t in labels]
    for date, text in zip(dates, texts, strict=True):
        x = period_start(date)
        ax.axvline(x, color=PALETTE["intervention"], linestyle="--", linewidth=1.0)
        if text:
            ax.annotate(
                text,
                xy=(x, 1.0),
                xycoords=("data", "axes fraction"),
                xytext=(2, -3),
                textcoords="offset points",
                color=PALETTE["intervention"],
                fontsize=8,
                rotation=90,
                ha="left",
                va="top",
            )


def shade_band(
    ax: Any,
    x: Any,
    low: Any,
    high: Any,
    *,
    label: str | None = None,
    color: str | None = None,
) -> None:
    """A translucent band between ``low`` and ``high`` (an interval), without edge lines."""
    ax.fill_between(
        x,
        np.asarray(low, float),
        np.asarray(high, float),
        color=color or PALETTE["band"],
        alpha=0.25,
        linewidth=0,
        label=label,
    )


def label_axes(
    ax: Any,
    *,
    x: str = "Period",
    y: str = "Value",
    unit: str | None = None,
    title: str | None = None,
) -> None:
    """Axis labels with the unit in brackets, an optional title, a light grid."""
    ax.set_xlabel(x)
    ax.set_ylabel(f"{y} ({unit})" if unit else y)
    if title:
        ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)


def png_bytes(fig: Any, *, dpi: int = DPI) -> bytes:
    """The figure as PNG bytes, drawn once.

    A figure with a layout engine (every figure of this package) is written as laid out;
    one without (e.g. a user's own Figure) is cropped to its contents instead.
    """
    buffer = io.BytesIO()
    tight = {} if fig.get_layout_engine() is not None else {"bbox_inches": "tight"}
    fig.savefig(buffer, format="png", dpi=dpi, **tight)
    return buffer.getvalue()


def save_png(fig: Any, path: str | os.PathLike[str], *, dpi: int = DPI) -> Path:
    """Write ``fig`` as PNG atomically (:func:`belru_trade._outputs.atomic_write`)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write(target, png_bytes(fig, dpi=dpi))
