"""Small argument checkers shared by every public function.

Each raises :class:`~belru_trade.errors.InvalidArgumentError` naming the argument, the value
received and what is allowed.
"""

from __future__ import annotations

from collections.abc import Iterable
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


def check_period(
    name: str, value: Any, freq: str | None = None, *, side: str = "start"
) -> pd.Period:
    """Parse ``value`` with the strict rules of :func:`belru_trade.periods.parse_period`.

    ``side='end'`` makes a bare year the last period of the year at a finer frequency.

    >>> check_period("start", "2014-08"), check_period("end", "2012", "M", side="end")
    (Period('2014-08', 'M'), Period('2012-12', 'M'))
    """
    from belru_trade.periods import parse_period

    return parse_period(value, freq, side=side, name=name)  # type: ignore[arg-type]


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
