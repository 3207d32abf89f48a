"""Product registry: named sectors with their HS codes per HS vintage.

A sector is a set of HS prefixes (2, 4 or 6 digits) valid for one HS vintage; product codes
(HS6 or CN8 strings) belong to it when they start with one of the prefixes. The HS vintage
in force for a period follows the WCO revisions: HS1992 (1988-1995), HS1996 (1996-2001),
HS2002 (2002-2006), HS2007 (2007-2011), HS2012 (2012-2016), HS2017 (2017-2021), HS2022
(from 2022).

Registry file: ``belru_trade/data/sectors.csv`` (provenance in ``PROVENANCE_registries.md``).

Examples
--------
>>> from belru_trade.trade import products
>>> products.sector("pears", "2011").codes, products.sector("pears", "2012").codes
(('080820',), ('080830',))
>>> products.matches("08083010", "pears", "2014-08")
True
"""

from __future__ import annotations

import difflib
import functools
from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd

from belru_trade.errors import InvalidArgumentError, UnknownCodeError
from belru_trade.periods import parse_period

__all__ = [
    "HS_VINTAGES",
    "SectorCodes",
    "hs_vintage",
    "matches",
    "sector",
    "sector_of",
    "sector_table",
    "sectors",
]

#: HS vintages and the first year each applies (WCO revision dates).
HS_VINTAGES: dict[str, int] = {
    "HS1992": 1988,
    "HS1996": 1996,
    "HS2002": 2002,
    "HS2007": 2007,
    "HS2012": 2012,
    "HS2017": 2017,
    "HS2022": 2022,
}
_TOTAL = "TOTAL"


@dataclass(frozen=True)
class SectorCodes:
    """The HS codes of one sector valid in one HS vintage.

    Attributes
    ----------
    name : str
        Sector name, e.g. ``'pears'``.
    codes : tuple of str
        HS prefixes (``'080830'``, ``'0401'``) or ``('TOTAL',)``.
    nomenclature : str
        HS vintage the codes belong to (``'HS2012'``) or ``'TOTAL'``.
    note : str
        Caveat, e.g. that pre-2012 pears include quinces.
    description : str
        What the sector covers.
    parent : str or None
        Broader sector (``'milk_dairy'`` for ``'cheese'``).
    """

    name: str
    codes: tuple[str, ...]
    nomenclature: str
    note: str = ""
    description: str = ""
    parent: str | None = None

    def matches(self, product_code: Any) -> bool:
        """Return whether ``product_code`` starts with one of the sector's codes.

        >>> sector("milk_dairy", "2014").matches("040630")
        True
        """
        code = _code_text(product_code)
        if self.codes == (_TOTAL,) or code.upper() == _TOTAL:
            return self.codes == (_TOTAL,) and code.upper() == _TOTAL
        return code.isdigit() and code.startswith(self.codes)


def _code_text(product_code: Any) -> str:
    """Code as a string; an int lost its leading zero (80830 is '080830'): restore it."""
    if isinstance(product_code, bool):
        raise InvalidArgumentError(f"product_code={product_code!r} is not an HS code")
    if isinstance(product_code, int | np.integer):
        if product_code < 0:
            raise InvalidArgumentError(f"product_code={product_code!r} is not an HS code")
        text = str(int(product_code))
        return text.zfill(len(text) + len(text) % 2)
    return str(product_code).strip()


@functools.cache
def _table() -> pd.DataFrame:
    path = resources.files("belru_trade") / "data" / "sectors.csv"
    with path.open("rb") as handle:
        frame = pd.read_csv(handle, dtype=str, keep_default_na=False)
    frame["first"] = frame["first_vintage"].map(HS_VINTAGES)
    frame["last"] = frame["last_vintage"].map(HS_VINTAGES)
    return frame


def sector_table() -> pd.DataFrame:
    """Return the registry: one row per sector and range of HS vintages.

    Returns
    -------
    pandas.DataFrame
        Columns ``sector``, ``first_vintage``, ``last_vintage``, ``codes``
        (semicolon-separated prefixes), ``parent``, ``description``, ``note``.

    Examples
    --------
    >>> sector_table().query("sector == 'pears'")["codes"].tolist()
    ['080820', '080830']
    """
    return _table().drop(columns=["first", "last"]).copy()


def sectors() -> tuple[str, ...]:
    """Return the sector names in registry order.

    >>> sectors()[:3]
    ('pears', 'apples', 'milk_dairy')
    """
    return tuple(dict.fromkeys(_table()["sector"]))


def hs_vintage(period: Any = None) -> str:
    """Return the HS vintage in force in ``period``.

    Parameters
    ----------
    period : str, int, Timestamp, Period or None
        A year, month or day ('2005', 2005, '2014-08'), or an HS vintage name ('HS2007',
        returned unchanged). None means the latest vintage.

    Returns
    -------
    str
        One of :data:`HS_VINTAGES`.

    Raises
    ------
    InvalidArgumentError
        The period cannot be parsed or is before 1988 (no HS).

    Examples
    --------
    >>> hs_vintage("2011-12"), hs_vintage(2012), hs_vintage("HS2007"), hs_vintage()
    ('HS2007', 'HS2012', 'HS2007', 'HS2022')
    """
    if period is None:
        return next(reversed(HS_VINTAGES))
    text = str(period).strip().upper()
    if text in HS_VINTAGES:
        return text
    year = _year(period)
    if year < HS_VINTAGES["HS1992"]:
        raise InvalidArgumentError(
            f"period={period!r} is before the Harmonized System (1988); expected 1988 or later"
        )
    return [name for name, first in HS_VINTAGES.items() if first <= year][-1]


def _year(period: Any) -> int:
    """The year of ``period`` under the one strict parser (:mod:`belru_trade.periods`)."""
    return parse_period(period, None, name="period").year


def _check_sector(name: Any) -> str:
    key = str(name).strip().lower()
    valid = sectors()
    if key not in valid:
        close = difflib.get_close_matches(key, valid, n=3, cutoff=0.5)
        hint = f" (did you mean {', '.join(map(repr, close))}?)" if close else ""
        raise UnknownCodeError(
            f"sector={name!r} is not a known sector{hint}; valid sectors: {', '.join(valid)}"
        )
    return key


def sector(name: str, period: Any = None) -> SectorCodes:
    """Return the HS codes of sector ``name`` valid in ``period``.

    Parameters
    ----------
    name : str
        A name from :func:`sectors` (pears, apples, milk_dairy and its headings
        milk_cream, milk_concentrated, yoghurt_buttermilk, whey, butter, cheese,
        rough_diamonds, lng, pipeline_gas, meat, fish, total).
    period : str, int, Timestamp, Period or None
        Period or HS vintage (see :func:`hs_vintage`); None means the latest vintage.

    Returns
    -------
    SectorCodes

    Raises
    ------
    UnknownCodeError
        Unknown sector; the message lists the valid ones.
    InvalidArgumentError
        Unparseable period.

    Examples
    --------
    >>> s = sector("pears", "2005")
    >>> s.codes, s.nomenclature, "quinces" in s.note
    (('080820',), 'HS2002', True)
    >>> sector("total").codes
    ('TOTAL',)
    """
    key = _check_sector(name)
    vintage = hs_vintage(period)
    year = HS_VINTAGES[vintage]
    table = _table()
    row = table[(table["sector"] == key) & (table["first"] <= year) & (table["last"] >= year)]
    if row.empty:  # pragma: no cover - every sector spans all vintages in the registry
        raise UnknownCodeError(f"sector={name!r} has no codes for {vintage}")
    rec = row.iloc[0]
    codes = tuple(rec["codes"].split(";"))
    return SectorCodes(
        name=key,
        codes=codes,
        nomenclature=_TOTAL if codes == (_TOTAL,) else vintage,
        note=rec["note"],
        description=rec["description"],
        parent=rec["parent"] or None,
    )


def matches(product_code: Any, sector_name: str, period: Any = None) -> bool:
    """Return whether ``product_code`` (HS6/CN8/HS4 string) belongs to a sector in ``period``.

    Examples
    --------
    >>> matches("080820", "pears", "2010"), matches("080820", "pears", "2014")
    (True, False)
    >>> matches("710221", "rough_diamonds"), matches("TOTAL", "total")
    (False, True)
    """
    return sector(sector_name, period).matches(product_code)


def sector_of(product_code: Any, period: Any = None) -> str | None:
    """Return the most specific sector containing ``product_code`` in ``period`` (or None).

    Examples
    --------
    >>> sector_of("040690", "2016"), sector_of("080830", "2016"), sector_of("999999")
    ('cheese', 'pears', None)
    """
    best: tuple[int, str] | None = None
    for name in sectors():
        codes = sector(name, period)
        if codes.matches(product_code):
            depth = 1 if codes.parent else 0
            if best is None or depth > best[0]:
                best = (depth, name)
    return None if best is None else best[1]
