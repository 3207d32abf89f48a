"""Small argument checkers shared by every public function.

Each raises :class:`~belru_trade.errors.InvalidArgumentError` naming the argument, the value
received and what is allowed.
"""

from __future__ import annotations

from collections.abc import Iterable
from numbers import Integral
from typing import Any

import pandas as pd

from belru_trade.errors import InvalidArgumentError


def check_choice(name: str, value: Any, allowed: Iterable[Any]) -> Any:
    """Return ``value`` if it is one of ``allowed``; raise otherwise.

    >>> check_choice("flow", "import", ["import", "export"])
    'import'
    """
    allowed = list(allowed)
    if value not in allowed:
        raise InvalidArgumentError(
            f"{name}={value!r} is not allowed; expected one of {', '.join(map(repr, allowed))}"
        )
    return value


def check_period(name: str, value: Any, freq: str | None = None) -> pd.Period:
    """Parse ``value`` as a pandas Period ('2014-08', '2014', Timestamp, Period).

    >>> check_period("start", "2014-08")
    Period('2014-08', 'M')
    """
    if isinstance(value, pd.Period):
        period = value
    else:
        try:
            integral = isinstance(value, Integral) and not isinstance(value, bool)
            text = str(int(value)) if integral else str(value)
            guess = "Y" if len(text) == 4 and text.isdigit() else "M"
            period = pd.Period(text if integral else value, freq=freq or guess)
        except (ValueError, TypeError) as exc:
            raise InvalidArgumentError(
                f"{name}={value!r} is not a period; expected 'YYYY' or 'YYYY-MM'"
            ) from exc
    if freq is not None and period.freqstr[0] != freq[0]:
        period = period.asfreq(freq)
    return period


def check_fraction(name: str, value: Any) -> float:
    """Return ``value`` as a float in [0, 1]; raise otherwise.

    >>> check_fraction("leakage", 0.3)
    0.3
    """
    try:
        number = float(value)
    except (TypeError, ValueError) as exc:
        raise InvalidArgumentError(f"{name}={value!r} is not a number in [0, 1]") from exc
    if not 0.0 <= number <= 1.0:
        raise InvalidArgumentError(f"{name}={value!r} is outside the allowed range [0, 1]")
    return number


def check_positive_int(name: str, value: Any, minimum: int = 1) -> int:
    """Return ``value`` as an int >= ``minimum``; raise otherwise.

    >>> check_positive_int("maxiter", 10)
    10
    """
    if isinstance(value, bool) or not isinstance(value, int | float) or int(value) != value:
        raise InvalidArgumentError(f"{name}={value!r} is not an integer >= {minimum}")
    if value < minimum:
        raise InvalidArgumentError(f"{name}={value!r} is below the allowed minimum {minimum}")
    return int(value)
