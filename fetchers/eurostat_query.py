"""Eurostat query validation: friendly arguments into an :class:`EurostatQuery`.

The first of the client's four stages (see :mod:`belru_trade.fetchers.eurostat`):
:func:`comext_query` and :func:`dataset_query` check every argument and raise
:class:`~belru_trade.fetchers.errors.InvalidQueryError` naming the argument, the value and
the rule.

Examples
--------
>>> comext_query("BE", "RU", "080830", start="2014-01", end="2014-02").codes("product")
('080830',)
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from . import _rules
from .errors import InvalidQueryError

__all__ = [
    "COMEXT_DATASET",
    "COMEXT_DIMENSIONS",
    "COMEXT_INDICATORS",
    "EurostatQuery",
    "Format",
    "comext_query",
    "dataset_query",
]

EUROSTAT_URL = "https://ec.europa.eu/eurostat/api/dissemination"
COMEXT_URL = "https://ec.europa.eu/eurostat/api/comext/dissemination"
COMEXT_DATASET = "DS-045409"
COMEXT_DIMENSIONS = ("freq", "reporter", "partner", "product", "flow", "indicators")
COMEXT_INDICATORS = ("VALUE_IN_EUROS", "QUANTITY_IN_100KG", "SUPPLEMENTARY_QUANTITY")
MAX_CELLS = 5_000_000
MAX_URL = 4000
_FLOWS = {"import": ("1",), "export": ("2",), "both": ("1", "2")}
_GEO = re.compile(r"[A-Z][A-Z0-9_]{1,19}")
_PRODUCT_LENGTHS = (2, 4, 6, 8)
_CODE = re.compile(r"[A-Za-z0-9_.\-]{1,40}")
_DATASET = re.compile(r"DS-[0-9]{6}|[A-Za-z][A-Za-z0-9_]{1,40}")
_PERIOD = {"M": _rules.month, "A": _rules.year}
_LITERAL = re.compile(r"[0-9]{4}(-([0-9]{2}|Q[1-4]|S[12]|W[0-9]{2}))?")
Format = Literal["json", "tsv", "csv"]


@dataclass(frozen=True)
class EurostatQuery:
    """A validated Eurostat query.

    Attributes
    ----------
    dataset : str
        Dataset code (``DS-045409`` or e.g. ``ert_bil_eur_m``).
    filters : tuple of (str, tuple of str)
        Dimension id -> codes (each code becomes a repeated parameter).
    since, until : str or None
        First and last period (``YYYY-MM`` or ``YYYY``).
    fmt : {'json', 'tsv', 'csv'}
        JSON-stat via the Statistics API, or SDMX 2.1 TSV / SDMX-CSV.
    dimensions : tuple of str
        Dimension ids in key order (needed for the SDMX formats).
    """

    dataset: str
    filters: tuple[tuple[str, tuple[str, ...]], ...]
    since: str | None = None
    until: str | None = None
    fmt: Format = "json"
    dimensions: tuple[str, ...] = ()

    def codes(self, dimension: str) -> tuple[str, ...]:
        """Codes requested for ``dimension`` (empty when unfiltered)."""
        return dict(self.filters).get(dimension, ())

    def with_codes(self, dimension: str, codes: Sequence[str]) -> EurostatQuery:
        """Copy with ``dimension`` restricted to ``codes``."""
        filters = tuple((d, tuple(codes) if d == dimension else c) for d, c in self.filters)
        return replace(self, filters=filters)

    def as_dict(self) -> dict[str, Any]:
        """Plain dict (for provenance)."""
        return {
            "dataset": self.dataset,
            "filters": {d: list(c) for d, c in self.filters},
            "since": self.since,
            "until": self.until,
            "fmt": self.fmt,
        }


def _choice(name: str, value: Any, allowed: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise InvalidQueryError(f"{name}={value!r} is not allowed; expected one of {allowed}")
    return value


def _listify(name: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str | int):
        items = [value]
    elif isinstance(value, Sequence) and not isinstance(value, bytes):
        items = list(value)
    else:
        raise InvalidQueryError(f"{name}={value!r} must be a code or a list of codes")
    if not items:
        raise InvalidQueryError(f"{name}={value!r} is empty; give at least one code")
    out = []
    for item in items:
        if not isinstance(item, str | int) or isinstance(item, bool):
            raise InvalidQueryError(f"{name}={item!r} is not a code (expected a string)")
        out.append(str(item).strip())
    return tuple(dict.fromkeys(out))


def _check_codes(name: str, codes: tuple[str, ...], pattern: re.Pattern[str], rule: str) -> None:
    for code in codes:
        if not pattern.fullmatch(code):
            raise InvalidQueryError(f"{name}={code!r} is not allowed; expected {rule}")


def _products(value: Any) -> tuple[str, ...]:
    codes = _listify("product", value)
    items = [value] if isinstance(value, str | int) else list(value)
    if any(not isinstance(item, str) for item in items):
        raise InvalidQueryError(
            f"product={value!r} is not allowed; give code strings (an integer has lost its "
            "leading zeros)"
        )
    out = []
    for code in codes:
        checked = _rules.product(code, _PRODUCT_LENGTHS)
        if checked is None:
            raise InvalidQueryError(
                f"product={code!r} is not allowed; expected 'TOTAL' or a 2, 4, 6 or 8-digit "
                "code string (ASCII digits)"
            )
        out.append(checked)
    return tuple(out)


def _check_periods(freq: str, start: Any, end: Any) -> tuple[str | None, str | None]:
    shape = "'YYYY-MM'" if freq == "M" else "'YYYY'"
    out = []
    for name, value in (("start", start), ("end", end)):
        if value is None:
            out.append(None)
            continue
        text = str(value).strip() if isinstance(value, str | int) else None
        if text is None or isinstance(value, bool) or _PERIOD[freq](text) is None:
            raise InvalidQueryError(
                f"{name}={value!r} is not allowed; expected {shape} (ASCII digits, years "
                f"{_rules.MIN_YEAR}-{_rules.MAX_YEAR})"
            )
        out.append(text)
    if out[0] and out[1] and out[0] > out[1]:
        raise InvalidQueryError(f"start={out[0]!r} is after end={out[1]!r}")
    return out[0], out[1]


def comext_query(
    reporter: str | Sequence[str],
    partner: str | Sequence[str],
    product: str | Sequence[str],
    *,
    flow: str = "both",
    freq: str = "M",
    start: str | None = None,
    end: str | None = None,
    indicators: Sequence[str] = ("VALUE_IN_EUROS", "QUANTITY_IN_100KG"),
    fmt: Format = "json",
) -> EurostatQuery:
    """Validate a Comext ``DS-045409`` query.

    Parameters
    ----------
    reporter, partner : str or list of str
        Eurostat geo codes (``BE``, ``EL``, ``EU27_2020``, ``EXT_EU27_2020``, ``WORLD``).
    product : str or list of str
        ``TOTAL`` or HS2/HS4/HS6/CN8 codes as strings (leading zeros kept).
    flow : {'import', 'export', 'both'}
    freq : {'M', 'A'}
    start, end : str, optional
        ``YYYY-MM`` (monthly) or ``YYYY`` (annual).
    indicators : list of str
        Among ``VALUE_IN_EUROS``, ``QUANTITY_IN_100KG``, ``SUPPLEMENTARY_QUANTITY``.
    fmt : {'json', 'tsv', 'csv'}

    Raises
    ------
    InvalidQueryError
        Naming the argument, the value and what is allowed.
    """
    _choice("freq", freq, tuple(_PERIOD))
    _choice("flow", flow, tuple(_FLOWS))
    _choice("fmt", fmt, ("json", "tsv", "csv"))
    reporters = tuple(c.upper() for c in _listify("reporter", reporter))
    partners = tuple(c.upper() for c in _listify("partner", partner))
    products = _products(product)
    chosen = _listify("indicators", list(indicators) if indicators else [])
    _check_codes("reporter", reporters, _GEO, "an upper-case Eurostat geo code such as 'BE'")
    _check_codes("partner", partners, _GEO, "an upper-case Eurostat geo code such as 'RU'")
    for code in chosen:
        if code not in COMEXT_INDICATORS:
            raise InvalidQueryError(
                f"indicators={code!r} is not allowed; expected {COMEXT_INDICATORS}"
            )
    since, until = _check_periods(freq, start, end)
    filters = (
        ("freq", (freq,)),
        ("reporter", reporters),
        ("partner", partners),
        ("product", products),
        ("flow", _FLOWS[flow]),
        ("indicators", chosen),
    )
    return EurostatQuery(COMEXT_DATASET, filters, since, until, fmt, COMEXT_DIMENSIONS)


def dataset_query(
    dataset: str,
    filters: Mapping[str, str | Sequence[str]],
    *,
    start: str | None = None,
    end: str | None = None,
    fmt: Format = "json",
    dimensions: Sequence[str] = (),
) -> EurostatQuery:
    """Validate a query on any dissemination dataset (e.g. ``ert_bil_eur_m``).

    Parameters
    ----------
    dataset : str
        Dataset code.
    filters : mapping
        Dimension id -> code or codes. Pass ``freq``: unfiltered dimensions return every
        code.
    start, end : str, optional
        Periods in the dataset's format (``YYYY``, ``YYYY-MM``, ``YYYY-Qn``...).
    fmt : {'json', 'tsv', 'csv'}
    dimensions : list of str
        Key order, required for the SDMX formats (see
        :func:`belru_trade.fetchers.eurostat_parse.parse_datastructure`).
    """
    if not isinstance(dataset, str) or not _DATASET.fullmatch(dataset):
        raise InvalidQueryError(f"dataset={dataset!r} is not a Eurostat dataset code")
    if not isinstance(filters, Mapping):
        raise InvalidQueryError(f"filters={filters!r} must be a mapping dimension -> codes")
    _choice("fmt", fmt, ("json", "tsv", "csv"))
    pairs = []
    for dim, codes in filters.items():
        if not isinstance(dim, str) or not _CODE.fullmatch(dim):
            raise InvalidQueryError(f"filters key {dim!r} is not a dimension id")
        values = _listify(f"filters[{dim!r}]", codes)
        _check_codes(f"filters[{dim!r}]", values, _CODE, "letters, digits, '_', '-' or '.'")
        pairs.append((dim.lower(), values))
    periods = []
    for name, value in (("start", start), ("end", end)):
        if value is not None and not _LITERAL.fullmatch(str(value)):
            raise InvalidQueryError(f"{name}={value!r} is not a Eurostat period literal")
        if value is not None and _rules.year(str(value)[:4]) is None:
            raise InvalidQueryError(
                f"{name}={value!r}: the year is outside {_rules.MIN_YEAR}-{_rules.MAX_YEAR}"
            )
        periods.append(None if value is None else str(value))
    if fmt != "json" and not dimensions:
        raise InvalidQueryError(f"fmt={fmt!r} needs dimensions=(...) in the dataset's key order")
    return EurostatQuery(dataset, tuple(pairs), periods[0], periods[1], fmt, tuple(dimensions))
