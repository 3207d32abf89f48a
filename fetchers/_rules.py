"""The fetchers' rules for periods and product codes, shared by both query builders.

The fetchers import nothing of belru_trade, so these are written again here; they agree with
the library's rules (:func:`belru_trade.periods.parse_period` and
:func:`belru_trade._validation.check_product_code`), and a test feeds the same table of
valid and hostile inputs to both. The rules:

- only ASCII digits (``[0-9]``, never ``\\d``, which also matches Arabic-Indic, fullwidth
  and other Unicode digits);
- the whole text must match (``re.fullmatch``: ``$`` would also match before a final
  newline); callers strip surrounding white space first, as the library does;
- months ``01``-``12``; years 1900-2100;
- product codes: ``'TOTAL'`` (any case) or an HS/CN code of an allowed even length.

Examples
--------
>>> month("2014-08"), month("201408", compact=True), month("2014-13"), month("２０１４-０８")
('2014-08', '2014-08', None, None)
>>> product("080830", (2, 4, 6)), product("08O8", (2, 4, 6)), product("total", (2, 4, 6))
('080830', None, 'TOTAL')
"""

from __future__ import annotations

import re

__all__ = ["MAX_YEAR", "MIN_YEAR", "digits", "month", "product", "year"]

MIN_YEAR = 1900
MAX_YEAR = 2100
_YEAR = re.compile(r"[0-9]{4}")
_MONTH = re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])")
_COMPACT_MONTH = re.compile(r"([0-9]{4})-?(0[1-9]|1[0-2])")
_DIGITS = re.compile(r"[0-9]+")


def _in_range(text: str) -> bool:
    return MIN_YEAR <= int(text[:4]) <= MAX_YEAR


def year(text: str) -> str | None:
    """``'YYYY'`` (ASCII digits, 1900-2100), else None."""
    return text if _YEAR.fullmatch(text) and _in_range(text) else None


def month(text: str, *, compact: bool = False) -> str | None:
    """``'YYYY-MM'`` (also ``'YYYYMM'`` when ``compact``) as ``'YYYY-MM'``, else None."""
    match = (_COMPACT_MONTH if compact else _MONTH).fullmatch(text)
    if match is None or not _in_range(text):
        return None
    return f"{match.group(1)}-{match.group(2)}"


def product(text: str, lengths: tuple[int, ...]) -> str | None:
    """``'TOTAL'`` or a code of ASCII digits whose length is in ``lengths``, else None."""
    if text.isascii() and text.upper() == "TOTAL":
        return "TOTAL"
    return text if _DIGITS.fullmatch(text) and len(text) in lengths else None


def digits(text: str, most: int) -> bool:
    """Whether ``text`` is 1 to ``most`` ASCII digits."""
    return bool(_DIGITS.fullmatch(text)) and len(text) <= most
