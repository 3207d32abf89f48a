"""Translate many country codes or names at once (each distinct value looked up once)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, Literal

import pandas as pd

from belru_trade._validation import check_choice
from belru_trade.errors import InvalidArgumentError, UnknownCodeError
from belru_trade.geo.codes import _SCHEMES, AGGREGATES, Scheme, to_iso2
from belru_trade.geo.names import _NAME_SCHEMES, NameScheme, from_name

__all__ = ["harmonise"]


def harmonise(
    values: Iterable[Any] | pd.Series,
    scheme: Scheme | NameScheme = "iso2",
    *,
    errors: Literal["raise", "coerce"] = "raise",
) -> pd.Series:
    """Translate many codes or names at once (each distinct value is looked up once).

    Parameters
    ----------
    values : iterable or pandas.Series
        Codes or names.
    scheme : str
        A code scheme of :func:`to_iso2` or a name scheme of :func:`from_name`.
    errors : {'raise', 'coerce'}
        'coerce' returns missing values for unknown entries instead of raising.

    Returns
    -------
    pandas.Series
        Canonical codes (dtype ``str``), same index as ``values`` when it is a Series.

    Raises
    ------
    UnknownCodeError
        Unknown entries (the first few are named) when ``errors='raise'``.

    Examples
    --------
    >>> harmonise(["USA", "Czech Rep.", "EU-28"], scheme="comtrade").tolist()
    ['US', 'CZ', 'EU28']
    >>> harmonise(pd.Series([251, 56]), scheme="comtrade").tolist()
    ['FR', 'BE']
    """
    check_choice("scheme", scheme, (*_SCHEMES, *_NAME_SCHEMES))
    check_choice("errors", errors, ("raise", "coerce"))
    series = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
    mapping: dict[Any, Any] = {}
    failed: list[Any] = []
    for item in pd.unique(series.dropna()):
        mapping[item] = _translate(item, scheme, failed)
    if failed and errors == "raise":
        shown = ", ".join(map(repr, failed[:5]))
        more = f" (and {len(failed) - 5} more)" if len(failed) > 5 else ""
        raise UnknownCodeError(f"values: unknown for scheme={scheme!r}: {shown}{more}")
    return series.map(mapping).astype("str")


def _is_number(item: Any) -> bool:
    return re.fullmatch(r"\s*-?[0-9]+(?:\.0*)?\s*", str(item)) is not None


def _translate(item: Any, scheme: str, failed: list[Any]) -> Any:
    text = str(item).strip()
    try:
        if text.upper() in AGGREGATES:
            return text.upper()
        if scheme in ("comtrade", "eurostat") and not _is_number(item):
            if scheme == "eurostat" and re.fullmatch(r"[A-Za-z]{2}", text):
                return to_iso2(text, scheme="eurostat")
            return from_name(text, scheme=scheme)
        if scheme in ("english", "french", "any"):
            return from_name(text, scheme=scheme)
        return to_iso2(item, scheme=scheme)
    except InvalidArgumentError:
        failed.append(item)
        return None
