"""Country names: resolve the spellings that sources use to codes.

Alias lists (``country_aliases.csv``) hold Comtrade's and Eurostat's spellings, the French
Eurostat labels and CLDR English names; matching is exact first, then on a normalised form.
"""

from __future__ import annotations

import difflib
import functools
import re
import unicodedata
from collections.abc import Iterable
from typing import Any, Literal

from belru_trade._registry_io import _read
from belru_trade._validation import check_choice
from belru_trade.errors import UnknownCodeError

__all__ = ["from_name"]

NameScheme = Literal["comtrade", "eurostat", "english", "french", "any"]
_NAME_SCHEMES = ("comtrade", "eurostat", "english", "french", "any")


def _hint(value: Any, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(str(value), list(choices), n=5, cutoff=0.6)
    return f"; did you mean {', '.join(map(repr, close))}?" if close else ""


def _normalise(text: str) -> str:
    """Case-fold, strip accents and trailing '(...)' notes, unify punctuation."""
    value = str(text).replace("’", "'").replace("&", " and ")
    previous = None
    while previous != value:
        previous = value
        value = re.sub(r"\s*\((?:[^()]|\([^()]*\))*\)\s*$", "", value)
    value = unicodedata.normalize("NFKD", value)
    value = "".join(ch for ch in value if not unicodedata.combining(ch)).casefold()
    value = re.sub(r"[\s\-]+", " ", value)
    return value.strip(" .,")


@functools.cache
def _alias_maps() -> dict[str, dict[str, str]]:
    """scheme -> {alias or normalised alias -> code}; exact aliases win over normalised."""
    table = _read("country_aliases.csv")
    maps: dict[str, dict[str, str]] = {scheme: {} for scheme in _NAME_SCHEMES}
    for alias, code, scheme in table[["alias", "code", "scheme"]].itertuples(index=False):
        maps[scheme].setdefault(alias, code)
    for alias, code, scheme in table[["alias", "code", "scheme"]].itertuples(index=False):
        maps[scheme].setdefault("~" + _normalise(alias), code)
    return maps


def _scheme_order(scheme: str) -> tuple[str, ...]:
    rest = tuple(s for s in ("comtrade", "eurostat", "english", "french") if s != scheme)
    return (scheme, "any", *rest) if scheme != "any" else ("any", *rest)


def from_name(name: str, scheme: NameScheme = "english") -> str:
    """Return the code of a country or aggregate given by name.

    Parameters
    ----------
    name : str
        A name as delivered by a source, e.g. Comtrade's 'Rep. of Moldova', Eurostat's
        'Belgium (incl. Luxembourg 'LU' -> 1998)' or 'Extra-EU27 (from 2020)', a French
        Eurostat label ('Royaume-Uni'), or a CLDR English name ('Bosnia & Herzegovina').
    scheme : {'comtrade', 'eurostat', 'english', 'french', 'any'}
        Which spelling list to try first; the others are tried next. Matching is exact
        first, then on a normalised form (case, accents, trailing '(...)' notes).

    Returns
    -------
    str
        ISO alpha-2 code or aggregate code.

    Raises
    ------
    UnknownCodeError
        No alias matches; the message lists close names.

    Examples
    --------
    >>> from_name("Faeroe Isds", scheme="comtrade"), from_name("EU-28", scheme="comtrade")
    ('FO', 'EU28')
    >>> from_name("Royaume-Uni", scheme="french")
    'GB'
    """
    check_choice("scheme", scheme, _NAME_SCHEMES)
    maps = _alias_maps()
    text = str(name).strip()
    order = _scheme_order(scheme)
    for key in (text, "~" + _normalise(text)):
        for current in order:
            if key in maps[current]:
                return maps[current][key]
    names = [k for m in maps.values() for k in m if not k.startswith("~")]
    raise UnknownCodeError(
        f"name={name!r} is not a known country or aggregate name (scheme={scheme!r})"
        f"{_hint(text, names)}"
    )
