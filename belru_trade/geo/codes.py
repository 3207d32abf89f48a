"""Country codes: ISO alpha-2/alpha-3, M49, UN Comtrade and Eurostat codes of one country.

The canonical geography code of belru_trade is the ISO 3166-1 alpha-2 code (``GR``, ``GB``;
``XK`` for Kosovo; a few historical and Eurostat special codes, see
:func:`countries`). Eurostat's ``EL``/``UK`` are translated on input
(``to_iso2("EL", scheme="eurostat")``) and on output (``eurostat_code("GB")``).
Aggregates (``EU27_2020``, ``EXTRA_EU27_2020``, ``WORLD``, ...) are explicit codes.

Examples
--------
>>> to_iso2("EL", scheme="eurostat"), eurostat_code("GB")
('GR', 'UK')
>>> comtrade_code("BE", "1998-06"), comtrade_code("BE", "1999-01")
(58, 56)
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd

from belru_trade._registry_io import _interval, _read
from belru_trade._validation import check_choice
from belru_trade.errors import InvalidArgumentError, UnknownCodeError
from belru_trade.geo.groups import (
    embargo_control_origins,
    embargo_origins,
    group_members,
    groups,
    is_member,
)
from belru_trade.geo.names import _hint, from_name

__all__ = [
    "AGGREGATES",
    "ComtradeCode",
    "comtrade_code",
    "comtrade_info",
    "countries",
    "country",
    "embargo_control_origins",
    "embargo_origins",
    "eurostat_code",
    "group_members",
    "groups",
    "is_member",
    "iso3",
    "known_geo_codes",
    "m49",
    "name",
    "to_iso2",
]

logger = logging.getLogger(__name__)

Scheme = Literal["iso2", "iso3", "m49", "comtrade", "eurostat", "name"]

#: Aggregate geography codes accepted in a panel's reporter/partner columns.
AGGREGATES: frozenset[str] = frozenset(
    {
        "EU27_2020",
        "EU28",
        "EU",
        "EA",
        "EA19",
        "EA20",
        "EUROZONE",
        "EXTRA_EU27_2020",
        "EXTRA_EU",
        "INTRA_EU",
        "INTRA_EU27_2020",
        "EU27_2020_EXTRA",
        "EU27_2020_INTRA",
        "WORLD",
        "ASEAN",
    }
)
_SCHEMES = ("iso2", "iso3", "m49", "comtrade", "eurostat", "name")


@dataclass(frozen=True)
class ComtradeCode:
    """One UN Comtrade reporter/partner code with its validity.

    Attributes
    ----------
    code : int
        Comtrade numeric code (e.g. 58).
    iso2 : str
        belru_trade code it maps to ('' when there is no equivalent).
    name : str
        Comtrade's name.
    valid_from, valid_to : pandas.Timestamp or None
        Validity window (None = open).
    note : str
        Coverage caveat, e.g. that code 58 includes Luxembourg.
    """

    code: int
    iso2: str
    name: str
    valid_from: pd.Timestamp | None
    valid_to: pd.Timestamp | None
    note: str


@functools.cache
def _countries() -> pd.DataFrame:
    return _read("countries.csv").set_index("iso2", drop=False)


@functools.cache
def _comtrade() -> pd.DataFrame:
    frame = _read("comtrade_codes.csv")
    frame["code"] = frame["code"].astype(int)
    for col in ("valid_from", "valid_to"):
        frame[col] = pd.to_datetime(frame[col].replace("", None))
    return frame


def countries() -> pd.DataFrame:
    """Return the country registry.

    Returns
    -------
    pandas.DataFrame
        One row per code: ``iso2`` (our canonical code), ``iso3``, ``m49`` (zero-padded),
        ``comtrade`` (current Comtrade reporter code), ``eurostat`` (geo code, ``EL``/``UK``),
        ``name`` (English), ``comtrade_name``, ``valid_from``/``valid_to`` (historical
        entities), ``kind`` (country, historical, special) and ``note``.

    Examples
    --------
    >>> countries().set_index("iso2").loc["FR", ["m49", "comtrade"]].tolist()
    ['250', '251']
    """
    return _countries().reset_index(drop=True).copy()


def known_geo_codes() -> frozenset[str]:
    """Return every code accepted in a panel's ``reporter``/``partner`` columns.

    Returns
    -------
    frozenset of str
        ISO alpha-2 codes (incl. ``XK``, historical and Eurostat special codes), the
        formerly used ISO 3166-3 codes that UN Comtrade's historical partners map to
        (``VD`` Dem. Rep. of Vietnam to 1974, ``YD``, ``PC``, ``PZ``) and the aggregates
        in :data:`AGGREGATES`.

    Examples
    --------
    >>> {"BE", "XK", "EU27_2020", "WORLD", "VD"} <= known_geo_codes()
    True
    >>> to_iso2(866, scheme="comtrade") in known_geo_codes()
    True
    """
    return frozenset(_countries()["iso2"]) | frozenset(_comtrade()["iso2"]) | AGGREGATES


def _unknown(argument: str, value: Any, what: str, choices: Iterable[str]) -> UnknownCodeError:
    return UnknownCodeError(
        f"{argument}={value!r} is not a known {what}{_hint(value, choices)} "
        "(see belru_trade.geo.codes.countries())"
    )


def _as_int(value: Any, argument: str) -> int:
    """Parse a numeric code given as int, integral float ('842.0', 842.0) or string."""
    try:
        number = float(str(value).strip())
    except (TypeError, ValueError) as exc:
        raise InvalidArgumentError(f"{argument}={value!r} is not a numeric code") from exc
    if not number.is_integer():
        raise InvalidArgumentError(f"{argument}={value!r} is not a whole numeric code")
    return int(number)


def _code_from_comtrade(value: Any, argument: str) -> str:
    number = _as_int(value, argument)
    table = _comtrade()
    hit = table[(table["code"] == number) & (table["iso2"] != "")]
    if hit.empty:
        raise _unknown(argument, value, "UN Comtrade code", table["code"].astype(str))
    row = hit.iloc[0]
    if row["note"]:
        logger.info("Comtrade code %s maps to %s: %s", number, row["iso2"], row["note"])
    return str(row["iso2"])


def _lookup_column(value: Any, column: str, argument: str) -> str:
    table = _countries()
    text = f"{_as_int(value, argument):03d}" if column == "m49" else str(value).strip().upper()
    hit = table.index[table[column] == text]
    if len(hit) == 0:
        if column == "iso2" and text in AGGREGATES:
            return text
        raise _unknown(argument, value, f"{column} code", table[column])
    return str(hit[0])


def to_iso2(value: Any, scheme: Scheme = "iso2") -> str:
    """Translate one code of ``scheme`` into belru_trade's canonical code.

    Parameters
    ----------
    value : str or int
        The code (or name when ``scheme='name'``).
    scheme : {'iso2', 'iso3', 'm49', 'comtrade', 'eurostat', 'name'}
        What ``value`` is (with 'eurostat', ISO's GR/GB are accepted beside EL/UK).
        Comtrade codes differ from M49 for a few reporters (France 251,
        USA 842, Switzerland 757, India 699, Norway 579). Comtrade's 58
        (Belgium-Luxembourg, valid to 1998-12-31) maps to ``'BE'`` and includes Luxembourg
        (see :func:`comtrade_info`). Aggregate codes pass through unchanged.

    Returns
    -------
    str
        ISO 3166-1 alpha-2 code (or aggregate code).

    Raises
    ------
    UnknownCodeError
        The value is not in the registry; the message lists close matches.
    InvalidArgumentError
        ``scheme`` is not allowed.

    Examples
    --------
    >>> to_iso2(842, scheme="comtrade"), to_iso2("UK", scheme="eurostat")
    ('US', 'GB')
    >>> to_iso2(58, scheme="comtrade")
    'BE'
    """
    check_choice("scheme", scheme, _SCHEMES)
    text = str(value).strip().upper() if isinstance(value, str) else value
    if isinstance(text, str) and text in AGGREGATES:
        return text
    if scheme == "comtrade":
        return _code_from_comtrade(value, "value")
    if scheme == "name":
        return from_name(str(value), scheme="any")
    if scheme == "eurostat" and str(value).strip().upper() in _countries().index:
        return _lookup_column(value, "iso2", "value")  # ISO spellings (GR, GB) also accepted
    return _lookup_column(value, scheme, "value")


def country(value: Any, argument: str = "code") -> str:
    """Normalise a country given as ISO2 (any case), ISO3, Eurostat code or name.

    Parameters
    ----------
    value : str
        ``"be"``, ``"BE"``, ``"BEL"``, ``"Belgium"``, ``"Belgique"``, Eurostat's ``"EL"``;
        aggregate codes (``"EU27_2020"``, ``"WORLD"``) pass through in upper case.
    argument : str
        Argument name used in the error message (e.g. ``"reporter"``).

    Returns
    -------
    str
        The canonical code (ISO 3166-1 alpha-2 or an aggregate code).

    Raises
    ------
    UnknownCodeError
        Not a known code or name; the message names the argument and lists close matches.

    Examples
    --------
    >>> [country(v) for v in ("be", "BEL", "Belgium", "EL", "eu27_2020")]
    ['BE', 'BE', 'BE', 'GR', 'EU27_2020']
    """
    if not isinstance(value, str) or not value.strip():
        raise InvalidArgumentError(f"{argument}={value!r} is not a country code or name")
    text = value.strip()
    upper = text.upper()
    table = _countries()
    if upper in AGGREGATES or upper in table.index:
        return upper
    for column in ("eurostat", "iso3"):
        hit = table.index[table[column] == upper]
        if len(hit):
            return str(hit[0])
    try:
        return from_name(text, scheme="any")
    except UnknownCodeError:
        raise _unknown(
            argument, value, "country code or name", [*table.index, *table["iso3"]]
        ) from None


def _row(code: str, argument: str = "code") -> pd.Series:
    table = _countries()
    key = str(code).strip().upper()
    if key not in table.index:
        raise _unknown(argument, code, "ISO alpha-2 country code", table.index)
    return table.loc[key]


def eurostat_code(code: str) -> str:
    """Return Eurostat's geo code for an ISO alpha-2 code (``GR`` -> ``EL``, ``GB`` -> ``UK``).

    Parameters
    ----------
    code : str
        ISO alpha-2 code or aggregate code (returned unchanged).

    Returns
    -------
    str

    Raises
    ------
    UnknownCodeError
        The code is not in the registry.

    Examples
    --------
    >>> eurostat_code("GR"), eurostat_code("BE"), eurostat_code("EU27_2020")
    ('EL', 'BE', 'EU27_2020')
    """
    if str(code).upper() in AGGREGATES:
        return str(code).upper()
    return str(_row(code)["eurostat"])


def iso3(code: str) -> str:
    """Return the ISO alpha-3 code of an ISO alpha-2 code.

    Raises
    ------
    UnknownCodeError
        The code is not in the registry.

    Examples
    --------
    >>> iso3("BE")
    'BEL'
    """
    return str(_row(code)["iso3"])


def m49(code: str) -> int:
    """Return the UN M49 numeric code of an ISO alpha-2 code.

    Raises
    ------
    UnknownCodeError
        Unknown code, or a code without M49 number (XK, Eurostat special codes).

    Examples
    --------
    >>> m49("FR")
    250
    """
    value = _row(code)["m49"]
    if not value:
        raise UnknownCodeError(f"code={code!r} has no UN M49 numeric code")
    return int(value)


def name(code: str) -> str:
    """Return the English (CLDR) name of an ISO alpha-2 code.

    Raises
    ------
    UnknownCodeError
        The code is not in the registry.

    Examples
    --------
    >>> name("BE")
    'Belgium'
    """
    return str(_row(code)["name"])


def comtrade_info(code: int) -> ComtradeCode:
    """Return the registry record of one UN Comtrade code (validity and coverage note).

    Parameters
    ----------
    code : int or str
        Comtrade reporter/partner code.

    Returns
    -------
    ComtradeCode

    Raises
    ------
    UnknownCodeError
        The code is not in the Comtrade reference list.

    Examples
    --------
    >>> info = comtrade_info(58)
    >>> info.iso2, str(info.valid_to.date()), "LU" in info.note
    ('BE', '1998-12-31', True)
    """
    number = _as_int(code, "code")
    table = _comtrade()
    hit = table[table["code"] == number]
    if hit.empty:
        raise _unknown("code", code, "UN Comtrade code", table["code"].astype(str))
    row = hit.iloc[0]
    return ComtradeCode(
        code=number,
        iso2=str(row["iso2"]),
        name=str(row["name"]),
        valid_from=None if pd.isna(row["valid_from"]) else row["valid_from"],
        valid_to=None if pd.isna(row["valid_to"]) else row["valid_to"],
        note=str(row["note"]),
    )


def comtrade_code(code: str, date: Any = None) -> int:
    """Return the UN Comtrade reporter code of a country valid on ``date``.

    Parameters
    ----------
    code : str
        ISO alpha-2 code.
    date : str, Timestamp, Period or None
        Day, month or year (its first day counts); None means today. Belgium is 58
        (Belgium-Luxembourg) up to 1998 and 56 from 1999-01-01.

    Returns
    -------
    int

    Raises
    ------
    UnknownCodeError
        Unknown country, or no Comtrade code valid on that date.
    InvalidArgumentError
        Unparseable date.

    Examples
    --------
    >>> comtrade_code("BE", "1998"), comtrade_code("BE", "1999"), comtrade_code("US")
    (58, 56, 842)
    """
    row = _row(code)
    start, _ = _interval(date)
    table = _comtrade()
    hits = table[(table["iso2"] == row["iso2"]) & (table["is_group"] == "false")]
    valid = hits[
        (hits["valid_from"].isna() | (hits["valid_from"] <= start))
        & (hits["valid_to"].isna() | (hits["valid_to"] >= start))
    ]
    if valid.empty:
        if row["comtrade"]:
            return int(row["comtrade"])
        raise UnknownCodeError(f"code={code!r} has no UN Comtrade code valid on {date!r}")
    preferred = valid[valid["code"] == int(row["comtrade"] or -1)]
    return int((preferred if not preferred.empty else valid).iloc[0]["code"])
