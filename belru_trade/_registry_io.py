"""Shared helpers of the registries: the one reader of packaged data files, date intervals.

Every table the library ships as data (``belru_trade/data/``: registries, groups, control
pools, the snapshot's source records) is read here: CSV with :func:`_read`, JSON with
:func:`read_json`.
"""

from __future__ import annotations

import json
import re
from importlib import resources
from typing import Any

import pandas as pd

from belru_trade.errors import InvalidArgumentError


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
    """Return the first and last instant of ``date`` (a day, month or year)."""
    if date is None:
        now = pd.Timestamp.today().normalize()
        return now, now
    if isinstance(date, pd.Period):
        return date.start_time, date.end_time
    text = str(date).strip()
    try:
        if re.fullmatch(r"[0-9]{4}", text):
            period = pd.Period(text, freq="Y")
        elif re.fullmatch(r"[0-9]{4}-[0-9]{1,2}", text):
            period = pd.Period(text, freq="M")
        else:
            stamp = pd.Timestamp(date)
            return stamp, stamp
    except (ValueError, TypeError) as exc:
        raise InvalidArgumentError(
            f"{argument}={date!r} is not a date; expected 'YYYY', 'YYYY-MM' or 'YYYY-MM-DD'"
        ) from exc
    return period.start_time, period.end_time
