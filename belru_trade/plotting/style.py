"""One palette and one period-axis rule for every figure of the package.

Period axis rule
----------------
A period (month, quarter, year) is drawn as **one point at its middle**: a monthly flow is
the total of the whole month, so its point sits inside the month it covers (February 2022 at
15 February, March 2022 at 16 March, noon) and never on a month boundary. Interventions are
vertical lines at the **start** of their period (a measure in force from 2022-03 is drawn
at 1 March 2022), so every post-intervention point lies to the right of the line and every
pre-intervention point to its left. Dates given as timestamps (not periods) are drawn where
they fall.

>>> import pandas as pd
>>> [str(pd.Timestamp(x)) for x in period_x(pd.period_range("2022-02", periods=2, freq="M"))]
['2022-02-15 00:00:00', '2022-03-16 12:00:00']
>>> str(period_start("2022-03"))
'2022-03-01 00:00:00'
>>> PALETTE["counterfactual"]
'#2166ac'
"""

from __future__ import annotations

from collections.abc import Iterable
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["PALETTE", "period_start", "period_x", "time_axis"]

#: Colour of each role in a figure (read-only). Blues for the model side (counterfactual,
#: its band, the primary series), red for interventions and a contrasting second series,
#: greys for data and references.
PALETTE = MappingProxyType(
    {
        "observed": "0.25",
        "fitted": "black",
        "counterfactual": "#2166ac",
        "band": "#4393c3",
        "intervention": "#b2182b",
        "zero": "0.4",
        "placebo": "0.75",
        "primary": "#2166ac",
        "secondary": "#b2182b",
        "muted": "0.55",
        "accent": "#e08214",
    }
)


def _periods(values: Iterable[Any]) -> pd.PeriodIndex | pd.DatetimeIndex:
    index = pd.Index(values)
    if isinstance(index, pd.PeriodIndex | pd.DatetimeIndex):
        return index
    if len(index) and all(isinstance(v, pd.Period) for v in index):
        return pd.PeriodIndex(index)
    return pd.PeriodIndex([pd.Period(str(v)) for v in index])


def period_x(index: Iterable[Any]) -> np.ndarray:
    """x positions (datetime64) of periods: the middle of each period.

    Parameters
    ----------
    index : PeriodIndex, DatetimeIndex or iterable of Period or str
        Periods (``"2022-03"``, ``"2022"``) or timestamps; timestamps are kept as they are.

    Returns
    -------
    numpy.ndarray
        ``datetime64[ns]`` positions.
    """
    values = _periods(index)
    if isinstance(values, pd.DatetimeIndex):
        return values.to_numpy()
    start = values.start_time
    return (start + ((values + 1).start_time - start) / 2).to_numpy()


def period_start(value: Any) -> pd.Timestamp:
    """Where an intervention at ``value`` is drawn: the start of its period.

    A ``Timestamp`` or a full date (``"2022-02-24"``) is drawn on that day.
    """
    if isinstance(value, pd.Timestamp):
        return value
    if isinstance(value, pd.Period):
        return value.start_time
    text = str(value)
    if len(text) == 10 and text[4] == "-" and text[7] == "-":
        return pd.Timestamp(text)
    return pd.Period(text).start_time


def time_axis(ax: Any) -> None:
    """Concise date ticks (3 to 8 of them, no overlapping labels) on a time x axis."""
    import matplotlib.dates as mdates

    locator = mdates.AutoDateLocator(minticks=3, maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
