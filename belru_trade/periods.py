"""One strict period parser for every public entry point.

Rules of :func:`parse_period`:

- ``'YYYY-MM'`` or ``'YYYYMM'``: that month (``'2014-13'`` is refused);
- ``'YYYY-MM-DD'``: the month of a real calendar day (``'2014-02-30'`` is refused);
- ``'YYYYQn'`` or ``'YYYY-Qn'``: the quarter; at monthly frequency always its first month
  (``'2014Q3'`` is ``2014-07`` as a start and as an end);
- ``'YYYY'`` (or an int): the year; at monthly or quarterly frequency its first period when it
  starts a range (``side='start'``) and its last when it ends one (``side='end'``);
- ``pandas.Period``, ``Timestamp``, ``datetime.date``: converted with the same rules;
- anything else, and day-first or month-first forms such as ``'01/02/2014'`` (ambiguous),
  raise :class:`~belru_trade.errors.InvalidArgumentError` naming the argument and the value.

Examples
--------
>>> parse_period("2012", "M", side="end"), parse_period("2012", "M")
(Period('2012-12', 'M'), Period('2012-01', 'M'))
>>> parse_period("2014Q3", "M", side="end")
Period('2014-07', 'M')
>>> parse_period("201408", "M"), parse_period("2014-08", "A")
(Period('2014-08', 'M'), Period('2014', 'Y-DEC'))
"""

from __future__ import annotations

import datetime as dt
import re
from numbers import Integral
from typing import Any, Literal

import pandas as pd

from belru_trade.errors import InvalidArgumentError

__all__ = ["MAX_YEAR", "MIN_YEAR", "is_day", "parse_date", "parse_period"]

MIN_YEAR = 1900
MAX_YEAR = 2100
_FREQS = {"M": "M", "Q": "Q", "A": "Y", "Y": "Y"}
# ASCII digits only (``\d`` also matches Arabic-Indic, fullwidth... digits) and whole-text
# matches (``$`` also matches before a final newline); the fetchers' validators follow the
# same rules (``belru_trade.fetchers._rules``, compared in tests/test_rules_agree.py).
_YEAR = re.compile(r"([0-9]{4})")
_MONTH = re.compile(r"([0-9]{4})-?([0-9]{2})")
_DAY = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_QUARTER = re.compile(r"([0-9]{4})-?Q([0-9])", re.IGNORECASE)
_AMBIGUOUS = re.compile(r"[0-9]{1,2}[/.\-][0-9]{1,2}[/.\-][0-9]{2,4}")
_SHAPES = "'YYYY', 'YYYY-MM', 'YYYYMM', 'YYYY-MM-DD' or 'YYYYQn'"


def _bad(name: str, value: Any, why: str) -> InvalidArgumentError:
    return InvalidArgumentError(f"{name}={value!r} is not a period: {why}")


def _from_text(text: str, name: str, value: Any) -> tuple[pd.Period, bool]:
    """Parse a string; return the period and whether it was a bare year."""
    if match := _YEAR.fullmatch(text):
        return pd.Period(match.group(1), freq="Y"), True
    if match := _MONTH.fullmatch(text):
        year, month = int(match.group(1)), int(match.group(2))
        if not 1 <= month <= 12:
            raise _bad(name, value, f"month {month:02d} is not in 01-12")
        return pd.Period(year=year, month=month, freq="M"), False
    if match := _DAY.fullmatch(text):
        try:
            day = dt.date(*(int(g) for g in match.groups()))
        except ValueError as exc:
            raise _bad(name, value, f"no such calendar day ({exc})") from None
        return pd.Period(year=day.year, month=day.month, freq="M"), False
    if match := _QUARTER.fullmatch(text):
        quarter = int(match.group(2))
        if not 1 <= quarter <= 4:
            raise _bad(name, value, f"quarter {quarter} is not in 1-4")
        return pd.Period(f"{match.group(1)}Q{quarter}", freq="Q"), False
    if _AMBIGUOUS.fullmatch(text):
        raise _bad(name, value, f"day/month order is ambiguous; write {_SHAPES}")
    raise _bad(name, value, f"expected {_SHAPES}")


def _coerce(value: Any, name: str) -> tuple[pd.Period, bool]:
    if isinstance(value, bool) or value is None:
        raise _bad(name, value, f"expected {_SHAPES}")
    if isinstance(value, pd.Period):
        return value, False
    if isinstance(value, Integral):
        return _from_text(str(int(value)), name, value)
    if isinstance(value, dt.date | pd.Timestamp):
        if pd.isna(value):
            raise _bad(name, value, "missing (NaT)")
        return pd.Period(year=value.year, month=value.month, freq="M"), False
    if isinstance(value, str):
        return _from_text(value.strip(), name, value)
    raise _bad(name, value, f"expected a string such as {_SHAPES}, not {type(value).__name__}")


def parse_period(
    value: Any,
    freq: str | None = None,
    *,
    side: Literal["start", "end"] = "start",
    name: str = "period",
) -> pd.Period:
    """Parse ``value`` strictly into a :class:`pandas.Period` of frequency ``freq``.

    Parameters
    ----------
    value : str, int, pandas.Period, Timestamp or date
        See the module rules.
    freq : {'M', 'Q', 'A', 'Y'} or None
        Target frequency; None keeps a bare year annual and anything finer monthly.
    side : {'start', 'end'}
        Which end of a coarser period (a bare year) to take at a finer frequency.
    name : str
        Argument name shown in error messages.

    Returns
    -------
    pandas.Period

    Raises
    ------
    InvalidArgumentError
        Unknown shape, impossible month, day or quarter, ambiguous order, a year outside
        1900-2100, or an unknown ``freq``/``side``.
    """
    if freq is not None and freq not in _FREQS:
        raise InvalidArgumentError(f"freq={freq!r} is not allowed; expected 'M', 'Q' or 'A'")
    if side not in ("start", "end"):
        raise InvalidArgumentError(f"side={side!r} is not allowed; expected 'start' or 'end'")
    period, bare_year = _coerce(value, name)
    if not MIN_YEAR <= period.year <= MAX_YEAR:
        raise _bad(name, value, f"year {period.year} is outside {MIN_YEAR}-{MAX_YEAR}")
    target = _FREQS[freq] if freq else ("Y" if bare_year else "M")
    if period.freqstr[0] == target[0]:
        return period
    how = side if bare_year or period.freqstr[0] not in ("Q",) else "start"
    return period.asfreq(target, how=how)


def parse_date(value: Any, *, name: str = "date") -> pd.Timestamp:
    """Parse ``value`` strictly into a calendar day (a midnight :class:`pandas.Timestamp`).

    ``'YYYY-MM-DD'`` (ASCII digits, a real calendar day, a year in 1900-2100), a
    ``Timestamp`` or a ``datetime.date``; anything else, including day-first or month-first
    forms such as ``'01/02/2014'``, raises :class:`~belru_trade.errors.InvalidArgumentError`.

    >>> parse_date("2014-08-07")
    Timestamp('2014-08-07 00:00:00')
    """
    if isinstance(value, dt.date | pd.Timestamp) and not isinstance(value, bool):
        if pd.isna(value):
            raise InvalidArgumentError(f"{name}={value!r} is not a date: missing (NaT)")
        day = dt.date(value.year, value.month, value.day)
    elif isinstance(value, str) and (match := _DAY.fullmatch(value.strip())):
        try:
            day = dt.date(*(int(g) for g in match.groups()))
        except ValueError as exc:
            raise InvalidArgumentError(
                f"{name}={value!r} is not a date: no such calendar day ({exc})"
            ) from None
    else:
        raise InvalidArgumentError(f"{name}={value!r} is not a date; expected 'YYYY-MM-DD'")
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise InvalidArgumentError(
            f"{name}={value!r} is not a date: year {day.year} is outside {MIN_YEAR}-{MAX_YEAR}"
        )
    return pd.Timestamp(day)


def is_day(value: Any) -> bool:
    """Whether ``value`` is written as a calendar day (a ``'YYYY-MM-DD'`` string, a
    ``Timestamp`` or a ``datetime.date``) rather than as a period."""
    if isinstance(value, str):
        return _DAY.fullmatch(value.strip()) is not None
    return isinstance(value, dt.date | pd.Timestamp)
