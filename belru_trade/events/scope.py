"""Scope matching shared by the registry and the coverage rules: HS prefixes and geography.

HS codes of events are prefixes of HS2012+ codes; before HS2012 the pear code 080830 did not
exist and the old 080820 (pears and quinces) is matched in its place. A country group counts
as covered on a day when all its members on that day are covered.
"""

from __future__ import annotations

import functools

import pandas as pd

from belru_trade.geo import codes

#: HS2012+ prefix -> codes of earlier vintages that contain it
_BACKWARD = {"080830": ("080820",)}
_HS2012 = 2012


def _prefixes(hs: tuple[str, ...], year: int) -> tuple[str, ...]:
    if year >= _HS2012:
        return hs
    extra = tuple(old for code in hs for old in _BACKWARD.get(code, ()))
    return hs + extra


def _product_covered(product: str, hs: tuple[str, ...], year: int, *, coarse: bool) -> bool:
    code = product.strip() if isinstance(product, str) else ""
    if not hs or not code.isdigit():
        return False  # TOTAL and non-HS products are never treated
    prefixes = _prefixes(hs, year)
    if code.startswith(prefixes):
        return True
    return coarse and code in _proper_prefixes(prefixes)


@functools.cache
def _proper_prefixes(prefixes: tuple[str, ...]) -> frozenset[str]:
    return frozenset(p[:k] for p in prefixes for k in range(1, len(p)))


def _geo_covered(code: str, covered: frozenset[str] | None, day: pd.Timestamp) -> bool:
    if covered is None:
        return True
    if code in covered:
        return True
    if code in codes.groups() and code not in {"RU_EMBARGO"}:
        members = codes.group_members(code, day.date().isoformat())
        return bool(members) and members <= covered
    return False
