"""Comtrade query validation and chunking (pure; no network).

:func:`comtrade_query` checks numeric Comtrade/M49 codes, HS codes and periods in the
format of the frequency (the wrong one returns an empty result, not an error) and raises
:class:`~belru_trade.fetchers.errors.InvalidQueryError`; :func:`chunk_sizes` and
:func:`chunks` split a query into the fewest requests that respect the 12-period limit, the
record cap and the URL length. Used by :mod:`belru_trade.fetchers.comtrade`.

Examples
--------
>>> q = comtrade_query(56, 643, "080830", flow="export", freq="A", start="2010", end="2014")
>>> q.periods, chunk_sizes(q, record_cap=500)
(('2010', '2011', '2012', '2013', '2014'), (1, 1, 1, 5))
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd

from . import _rules
from .errors import InvalidQueryError

__all__ = [
    "KEY_RECORD_CAP",
    "MAX_PERIODS",
    "PREVIEW_RECORD_CAP",
    "ComtradeQuery",
    "chunk_sizes",
    "chunks",
    "comtrade_query",
]

PREVIEW_RECORD_CAP = 500
KEY_RECORD_CAP = 100_000  # free key; premium plans allow 250,000 (pass record_cap)
MAX_PERIODS = 12
MAX_URL = 4000
_FLOWS = {"import": ("M",), "export": ("X",), "both": ("M", "X")}
_PRODUCT_LENGTHS = (2, 4, 6)
# reporter codes valid only on part of the calendar (Comtrade Reporters.json)
_VALIDITY = {
    56: (1999, 9999, "58 (Belgium-Luxembourg) before 1999"),
    58: (0, 1998, "56 (Belgium) from 1999"),
}


@dataclass(frozen=True)
class ComtradeQuery:
    """A validated Comtrade query (codes are Comtrade numeric codes)."""

    reporters: tuple[int, ...]
    partners: tuple[int, ...]
    products: tuple[str, ...]
    flows: tuple[str, ...]
    periods: tuple[str, ...]
    freq: str = "M"
    type_code: str = "C"
    classification: str = "HS"
    partner2: int = 0
    customs: str = "C00"
    mot: int = 0

    def records_bound(self) -> int:
        """Most records one request for this query can return (one per combination)."""
        return math.prod(
            len(x) for x in (self.reporters, self.partners, self.products, self.flows, self.periods)
        )

    def as_dict(self) -> dict[str, Any]:
        """Plain dict (for provenance)."""
        return {
            "reporters": list(self.reporters),
            "partners": list(self.partners),
            "products": list(self.products),
            "flows": list(self.flows),
            "periods": [self.periods[0], self.periods[-1]] if self.periods else [],
            "n_periods": len(self.periods),
            "freq": self.freq,
            "type_code": self.type_code,
            "classification": self.classification,
            "partner2": self.partner2,
            "customs": self.customs,
            "mot": self.mot,
        }


def _codes(name: str, value: Any, *, allow_world: bool) -> tuple[int, ...]:
    items = list(value) if isinstance(value, list | tuple) else [value]
    if not items:
        raise InvalidQueryError(f"{name}={value!r} is empty; give at least one code")
    out = []
    for item in items:
        text = str(item).strip() if isinstance(item, str | int) else ""
        if isinstance(item, bool) or not _rules.digits(text, 3):
            raise InvalidQueryError(
                f"{name}={item!r} is not allowed; expected a Comtrade numeric code 0-999 "
                "(e.g. Belgium 56, Russia 643, Belarus 112, Lithuania 440)"
            )
        if int(text) == 0 and not allow_world:
            raise InvalidQueryError(f"{name}=0 (World) is not a reporter")
        out.append(int(text))
    return tuple(dict.fromkeys(out))


def _products(value: Any) -> tuple[str, ...]:
    items = list(value) if isinstance(value, list | tuple) else [value]
    if not items:
        raise InvalidQueryError(f"product={value!r} is empty; give at least one code")
    out = []
    for item in items:
        checked = _rules.product(item.strip(), _PRODUCT_LENGTHS) if isinstance(item, str) else None
        if checked is None:
            raise InvalidQueryError(
                f"product={item!r} is not allowed; expected 'TOTAL' or an HS code string of "
                "2, 4 or 6 ASCII digits (leading zeros kept)"
            )
        out.append(checked)
    return tuple(dict.fromkeys(out))


def _period_list(freq: str, start: Any, end: Any) -> tuple[str, ...]:
    shape = "'YYYY'" if freq == "A" else "'YYYY-MM' or 'YYYYMM'"
    texts = []
    for name, value in (("start", start), ("end", end)):
        text = str(value).strip() if isinstance(value, str | int) and value is not True else ""
        checked = _rules.year(text) if freq == "A" else _rules.month(text, compact=True)
        if isinstance(value, bool) or checked is None:
            raise InvalidQueryError(
                f"{name}={value!r} is not allowed for freq={freq!r}; expected {shape} (ASCII "
                f"digits, years {_rules.MIN_YEAR}-{_rules.MAX_YEAR}; Comtrade starts in 1962)"
            )
        texts.append(checked.replace("-", ""))
    pandas_freq = "Y" if freq == "A" else "M"
    first, last = (pd.Period(f"{t[:4]}-{t[4:]}" if len(t) == 6 else t, pandas_freq) for t in texts)
    if first > last:
        raise InvalidQueryError(f"start={start!r} is after end={end!r}")
    fmt = "%Y" if freq == "A" else "%Y%m"
    return tuple(p.strftime(fmt) for p in pd.period_range(first, last, freq=pandas_freq))


def _check_validity(reporters: tuple[int, ...], periods: tuple[str, ...]) -> None:
    first, last = int(periods[0][:4]), int(periods[-1][:4])
    for code in reporters:
        if code in _VALIDITY:
            low, high, hint = _VALIDITY[code]
            if first < low or last > high:
                span = f"{low or '...'}-{high if high < 9999 else '...'}"
                raise InvalidQueryError(
                    f"reporter={code} is valid only for {span}; periods "
                    f"{periods[0]}-{periods[-1]} need {hint}"
                )


def comtrade_query(
    reporter: int | str | Sequence[int | str],
    partner: int | str | Sequence[int | str],
    product: str | Sequence[str],
    *,
    flow: str = "both",
    freq: str = "M",
    start: str | int,
    end: str | int,
    type_code: str = "C",
    classification: str = "HS",
) -> ComtradeQuery:
    """Validate a Comtrade goods query.

    Parameters
    ----------
    reporter, partner : int, str or list
        Comtrade numeric codes (Belgium 56 from 1999, 58 Belgium-Luxembourg up to 1998;
        Russia 643; Belarus 112; Lithuania 440; partner 0 = World).
    product : str or list of str
        ``TOTAL`` or HS codes of 2, 4 or 6 digits, as strings.
    flow : {'import', 'export', 'both'}
    freq : {'M', 'A'}
    start, end : str or int
        ``YYYY`` (annual) or ``YYYY-MM`` / ``YYYYMM`` (monthly), inclusive.
    type_code : {'C'}
        Goods (services use other classifications and are not supported here).
    classification : {'HS'}
        HS as reported (the API no longer lets one choose the HS revision).

    Raises
    ------
    InvalidQueryError
        Naming the argument, the value and what is allowed.
    """
    for name, value, allowed in (
        ("freq", freq, ("M", "A")),
        ("flow", flow, tuple(_FLOWS)),
        ("type_code", type_code, ("C",)),
        ("classification", classification, ("HS",)),
    ):
        if not isinstance(value, str) or value not in allowed:
            raise InvalidQueryError(f"{name}={value!r} is not allowed; expected one of {allowed}")
    reporters = _codes("reporter", reporter, allow_world=False)
    partners = _codes("partner", partner, allow_world=True)
    products = _products(product)
    periods = _period_list(freq, start, end)
    _check_validity(reporters, periods)
    return ComtradeQuery(reporters, partners, products, _FLOWS[flow], periods, freq)


def _url_length(rep: int, par: int, prod: int, per: int, width: int) -> int:
    return 400 + 4 * rep + 4 * par + (width + 1) * prod + 7 * per


def chunk_sizes(
    query: ComtradeQuery, *, record_cap: int, max_periods: int = MAX_PERIODS
) -> tuple[int, int, int, int]:
    """Chunk sizes (reporters, partners, products, periods) giving the fewest requests.

    Each request must have at most ``max_periods`` periods, a records bound (product of the
    sizes times the number of flows) at most ``record_cap`` and a URL under 4,000
    characters. Ties are broken by the smallest records bound per request.
    """
    n_rep, n_par = len(query.reporters), len(query.partners)
    n_prod, n_per, flows = len(query.products), len(query.periods), len(query.flows)
    width = max(len(p) for p in query.products)
    best: tuple[int, int, tuple[int, int, int, int]] | None = None
    for per in range(1, min(max_periods, n_per) + 1):
        for par in range(1, n_par + 1):
            for rep in range(1, n_rep + 1):
                prod = min(n_prod, record_cap // (per * par * rep * flows))
                while prod and _url_length(rep, par, prod, per, width) > MAX_URL:
                    prod -= 1
                if prod == 0:
                    break
                calls = (
                    math.ceil(n_per / per) * math.ceil(n_par / par) * math.ceil(n_rep / rep)
                ) * math.ceil(n_prod / prod)
                bound = per * par * rep * flows * prod
                if best is None or (calls, bound) < best[:2]:
                    best = (calls, bound, (rep, par, prod, per))
    if best is None:
        raise InvalidQueryError(f"record_cap={record_cap} is too small for {flows} flow(s)")
    return best[2]


def _parts(items: tuple[Any, ...], size: int) -> list[tuple[Any, ...]]:
    count = math.ceil(len(items) / size)
    base, extra = divmod(len(items), count)
    out, at = [], 0
    for i in range(count):
        step = base + (1 if i < extra else 0)
        out.append(items[at : at + step])
        at += step
    return out


def chunks(query: ComtradeQuery, *, record_cap: int, max_periods: int = MAX_PERIODS):
    """Sub-queries covering ``query`` with the sizes of :func:`chunk_sizes`."""
    rep, par, prod, per = chunk_sizes(query, record_cap=record_cap, max_periods=max_periods)
    return [
        replace(query, reporters=r, partners=p, products=c, periods=t)
        for r in _parts(query.reporters, rep)
        for p in _parts(query.partners, par)
        for c in _parts(query.products, prod)
        for t in _parts(query.periods, per)
    ]
