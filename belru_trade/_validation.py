"""Small argument checkers shared by every public function.

Each raises :class:`~belru_trade.errors.InvalidArgumentError` naming the argument, the value
received and what is allowed.
"""

from __future__ import annotations

import re
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


#: HS/CN code lengths: HS chapter, heading, subheading and the CN's 8 digits
PRODUCT_CODE_LENGTHS = (2, 4, 6, 8)
_ASCII_DIGITS = re.compile(r"[0-9]+")


def check_product_code(
    name: str,
    value: Any,
    *,
    lengths: tuple[int, ...] = PRODUCT_CODE_LENGTHS,
    allow_total: bool = False,
) -> str:
    """Return an HS/CN product code as a string; raise otherwise (the one code rule).

    Surrounding white space is dropped; what remains must be ASCII digits (no other Unicode
    digits, no letter ``O`` for a zero) of one of ``lengths``, or ``'TOTAL'`` (any case)
    when ``allow_total``. Integers are refused: they have lost their leading zeros. The
    fetchers' validators apply the same rule (tests/test_rules_agree.py).

    >>> check_product_code("product", " 080830"), check_product_code("p", "total", allow_total=True)
    ('080830', 'TOTAL')
    """
    text = value.strip() if isinstance(value, str) else None
    if text is not None and allow_total and text.isascii() and text.upper() == "TOTAL":
        return "TOTAL"
    if text is None or not _ASCII_DIGITS.fullmatch(text) or len(text) not in lengths:
        sizes = ", ".join(map(str, lengths))
        total = "'TOTAL' or " if allow_total else ""
        raise InvalidArgumentError(
            f"{name}={value!r} is not an HS/CN code; expected {total}a string of {sizes} "
            "ASCII digits (leading zeros kept)"
        )
    return text


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


#: largest magnitude an estimator accepts before asking for a rescale (squares stay finite)
MAX_MAGNITUDE = 1e100
#: smallest non-zero magnitude accepted (products and squares stay normal floats)
MIN_MAGNITUDE = 1e-100


def check_unique_columns(name: str, frame: Any) -> None:
    """Raise when a DataFrame has duplicated column names (one name, two columns).

    >>> check_unique_columns("data", pd.DataFrame({"a": [1], "b": [2]}))
    """
    if isinstance(frame, pd.DataFrame) and frame.columns.duplicated().any():
        twice = sorted({str(c) for c in frame.columns[frame.columns.duplicated()]})
        raise InvalidArgumentError(
            f"{name} has duplicated column names {twice}; a formula cannot tell them apart: "
            "rename or drop the copies"
        )


def check_magnitude(name: str, values: Any) -> None:
    """Raise when finite values are too large or too small to estimate with (rescale them).

    Values beyond ``1e100`` (or non-zero values below ``1e-100`` in magnitude) overflow or
    underflow in squares and exponentials, giving inf/NaN estimates.

    >>> check_magnitude("y", [0.0, 1.5, 2e6])
    """
    import numpy as np

    array = np.asarray(values, dtype="float64").ravel()
    finite = np.abs(array[np.isfinite(array)])
    if not len(finite):
        return
    largest = float(finite.max())
    nonzero = finite[finite > 0]
    smallest = float(nonzero.min()) if len(nonzero) else 0.0
    if largest > MAX_MAGNITUDE or 0 < smallest < MIN_MAGNITUDE:
        raise InvalidArgumentError(
            f"{name} has values of magnitude {smallest:.3g} to {largest:.3g}; estimators need "
            f"magnitudes within [{MIN_MAGNITUDE:g}, {MAX_MAGNITUDE:g}]: rescale (e.g. to "
            "millions) before estimating"
        )


def check_hac_lags(value: Any, nobs: int) -> int:
    """Return ``value`` as a HAC lag count in ``[0, max(1, nobs // 4)]``.

    More lags than a quarter of the sample leave too few autocovariances to estimate and
    give absurdly small standard errors.

    >>> check_hac_lags(3, 72)
    3
    """
    lags = check_positive_int("hac_lags", value, minimum=0)
    most = max(1, nobs // 4)
    if lags > most:
        raise InvalidArgumentError(
            f"hac_lags={value!r} is too large for {nobs} observations; expected 0 to {most} "
            "(at most a quarter of the sample)"
        )
    return lags


def check_same_frequency(series: dict[str, Any]) -> str | None:
    """Raise when Period-indexed inputs mix frequencies (e.g. monthly and quarterly).

    >>> idx = pd.period_range("2014-01", periods=2, freq="M")
    >>> check_same_frequency({"a": pd.Series([1, 2], index=idx)})
    'M'
    """
    found: dict[str, str] = {}
    for name, value in series.items():
        index = getattr(value, "index", None)
        if isinstance(index, pd.PeriodIndex):
            found[name] = index.freqstr
        elif isinstance(value, pd.DataFrame) and "period" in value:
            dtype = value["period"].dtype
            if isinstance(dtype, pd.PeriodDtype):
                found[name] = dtype.freq.freqstr
    letters = {freq[0] for freq in found.values()}
    if len(letters) > 1:
        raise InvalidArgumentError(
            f"inputs mix frequencies {found}; convert them to one frequency first (e.g. "
            "aggregate monthly series to quarters)"
        )
    return next(iter(found.values()))[0] if found else None


def check_int_range(name: str, value: Any, minimum: int, maximum: int) -> int:
    """Return ``value`` as an int in ``[minimum, maximum]``; raise naming the bounds.

    Size-like arguments (horizons, draws, lags) are bounded so a typo cannot exhaust memory.

    >>> check_int_range("horizon_months", 24, 1, 240)
    24
    """
    if isinstance(value, bool) or not isinstance(value, int | float) or int(value) != value:
        raise InvalidArgumentError(f"{name}={value!r} is not an integer in [{minimum}, {maximum}]")
    if not minimum <= value <= maximum:
        raise InvalidArgumentError(
            f"{name}={value!r} is outside the allowed range [{minimum}, {maximum}]"
        )
    return int(value)


#: most Monte Carlo, bootstrap or null-simulation draws accepted (memory grows with draws)
MAX_DRAWS = 100_000
#: most seasonal Fourier pairs (a monthly season has six frequencies)
MAX_HARMONICS = 6
#: most placebo refits (fake dates or placebo units) in one call
MAX_PLACEBOS = 1_000
#: most series fitted together in one batch of a scan
MAX_CHUNK_SIZE = 1_000_000
#: most periods before or after the event in an event-study window
MAX_EVENT_WINDOW = 600
#: most sensitivity values (M-bar) in one call
MAX_MBAR = 1_000
#: largest random seed (numpy accepts any non-negative integer; 32 bits is plenty)
MAX_SEED = 2**32 - 1


def check_draws(name: str, value: Any, minimum: int = 1) -> int:
    """Return a draw count (``n_sim``, ``n_boot``, ``n_rep`` ...) in ``[minimum, MAX_DRAWS]``.

    >>> check_draws("n_sim", 4000, minimum=100)
    4000
    """
    return check_int_range(name, value, minimum, MAX_DRAWS)


def check_harmonics(value: Any) -> int:
    """Return ``harmonics`` in ``[1, MAX_HARMONICS]``.

    >>> check_harmonics(2)
    2
    """
    return check_int_range("harmonics", value, 1, MAX_HARMONICS)


def check_seed(value: Any) -> int | None:
    """Return a random seed in ``[0, MAX_SEED]`` (None is passed through).

    >>> check_seed(0), check_seed(None)
    (0, None)
    """
    return None if value is None else check_int_range("seed", value, 0, MAX_SEED)
