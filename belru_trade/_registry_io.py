"""Shared helpers of the registries: the one reader of packaged data files, date intervals.

Every table the library ships as data (``belru_trade/data/``: registries, groups, control
pools, the snapshot's source records) is read here: CSV with :func:`_read`, JSON with
:func:`read_json`.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import pandas as pd

from belru_trade.periods import is_day, parse_date, parse_period


def _read(name: str) -> pd.DataFrame:
    """Read ``belru_trade/data/<name>`` as strings (empty cells stay empty strings)."""
    path = resources.files("belru_trade") / "data" / name
    with path.open("rb") as handle:
        return pd.read_csv(handle, dtype=str, keep_default_na=False)


def read_json(name: str) -> Any:
    """Read ``belru_trade/data/<name>`` (UTF-8 JSON)."""
    path = resources.files("belru_trade") / "data" / name
    with path.open("rb") as handle:
        return json.loads(handle.read().decode("utf-8"))


def _interval(date: Any, argument: str = "date") -> tuple[pd.Timestamp, pd.Timestamp]:
    """Return the first and last instant of ``date``: a day (``'YYYY-MM-DD'``, a Timestamp
    or a date; first and last are that day) or a period (``'YYYY'``, ``'YYYY-MM'`` and the
    other shapes of :func:`belru_trade.periods.parse_period`); None is today."""
    if date is None:
        now = pd.Timestamp.today().normalize()
        return now, now
    if isinstance(date, pd.Period):
        return date.start_time, date.end_time
    if is_day(date):
        stamp = parse_date(date, name=argument)
        return stamp, stamp
    period = parse_period(date, name=argument)
    return period.start_time, period.end_time
