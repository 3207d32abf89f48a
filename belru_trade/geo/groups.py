"""Dated country groups (EU, euro area, ASEAN, Russia's embargo list) and control pools."""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import pandas as pd

from belru_trade._registry_io import _interval, _read
from belru_trade.errors import UnknownCodeError

__all__ = [
    "embargo_control_origins",
    "embargo_origins",
    "group_members",
    "groups",
    "is_member",
    "russia_control_pool",
]

_GROUP_ALIASES = {"EUROZONE": "EA", "EU27": "EU27_2020"}


@functools.cache
def _groups() -> pd.DataFrame:
    frame = _read("country_groups.csv")
    for col in ("start", "end"):
        frame[col] = pd.to_datetime(frame[col].replace("", None))
    return frame


def groups() -> tuple[str, ...]:
    """Return the names of groups with a membership list.

    >>> "EU27_2020" in groups() and "RU_EMBARGO" in groups()
    True
    """
    return tuple(sorted(_group_names() | set(_GROUP_ALIASES)))


def group_members(group: str, date: Any = None) -> frozenset[str]:
    """Return the members of ``group`` on ``date``.

    Parameters
    ----------
    group : str
        'EU' and 'EA' (alias 'EUROZONE') have a changing composition (accession dates;
        the United Kingdom left the EU on 2020-01-31); 'EU28', 'EU27_2020', 'EA19',
        'EA20' are Eurostat's fixed-composition aggregates (same members on every date);
        'ASEAN' is dated; 'RU_EMBARGO' is the origin list of Russia's food embargo.
    date : str, Timestamp, Period or None
        A day, month or year; a country counts when it was a member at any time in it.
        None means today.

    Returns
    -------
    frozenset of str

    Examples
    --------
    >>> sorted(group_members("EU", "2013-06") ^ group_members("EU", "2013-07"))
    ['HR']
    >>> "GB" in group_members("EU", "2020-02"), len(group_members("EU27_2020"))
    (False, 27)
    """
    key = _GROUP_ALIASES.get(str(group).upper(), str(group).upper())
    if key not in _group_names():
        raise UnknownCodeError(
            f"group={group!r} is not a known group; expected one of {', '.join(groups())}"
        )
    return _members(key, *_interval(date))


@functools.cache
def _group_names() -> frozenset[str]:
    return frozenset(_groups()["group"])


@functools.cache
def _group_arrays(key: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rows = _groups()[_groups()["group"] == key]
    far_past, far_future = np.datetime64("1700-01-01", "ns"), np.datetime64("2200-12-31", "ns")
    start = rows["start"].to_numpy("datetime64[ns]")
    end = rows["end"].to_numpy("datetime64[ns]")
    start = np.where(np.isnat(start), far_past, start)
    end = np.where(np.isnat(end), far_future, end)
    return rows["member"].to_numpy(object), start, end


@functools.lru_cache(maxsize=4096)
def _members(key: str, start: pd.Timestamp, end: pd.Timestamp) -> frozenset[str]:
    members, first, last = _group_arrays(key)
    active = (first <= np.datetime64(end)) & (last >= np.datetime64(start))
    return frozenset(members[active])


def is_member(code: str, group: str, date: Any = None) -> bool:
    """Return whether ``code`` belongs to ``group`` on ``date`` (see :func:`group_members`).

    Raises
    ------
    UnknownCodeError
        Unknown group.

    Examples
    --------
    >>> is_member("GB", "EU28", "2019-06"), is_member("GB", "EU27_2020")
    (True, False)
    """
    return str(code).upper() in group_members(group, date)


def embargo_origins(date: Any) -> frozenset[str]:
    """Return the origins under Russia's food embargo on ``date``.

    From 2014-08-07 the EU28 member states, US, CA, AU and NO (RU-2014-RES778); from
    2015-08-13 also AL, ME, IS, LI (RU-2015-ADD-COUNTRIES); from 2016-01-01 UA
    (RU-2016-UKRAINE). The United Kingdom stays covered after Brexit (RU-2020-UK). The
    legislated end is 2026-12-31 (RU-2024-DEC807). A month or year counts when the
    embargo applied on any day of it.

    Examples
    --------
    >>> embargo_origins("2014-07")
    frozenset()
    >>> {"BE", "GB", "US"} <= embargo_origins("2014-08"), "UA" in embargo_origins("2015-12")
    (True, False)
    """
    return group_members("RU_EMBARGO", date)


def embargo_control_origins() -> tuple[str, ...]:
    """Return the control origins of the 2014 food-embargo analyses, sorted.

    Kept as data in ``belru_trade/data/embargo_2014_controls.csv`` (one row per origin, with
    the selection rule): the reporters of the embedded UN Comtrade snapshot (``comtrade``:
    legacy-API downloads, see ``belru_trade/data/snapshot/PROVENANCE.md``) with dairy
    exports (HS 0401-0406) to
    Russia in 2010-2020 that Russia's food embargo never covered up to 2016 (not in
    :func:`embargo_origins` of ``"2016-01"``); Belarus (the leakage channel), Ukraine
    (embargoed from 2016) and the EU28 aggregate row are left out. The bundled analyses
    ``milk`` and ``embargo_2014_food`` name them in their fetch command.

    Returns
    -------
    tuple of str
        34 ISO alpha-2 codes.

    Examples
    --------
    >>> controls = embargo_control_origins()
    >>> len(controls), controls[:3]
    (34, ('AE', 'AM', 'AR'))
    >>> set(controls) & (embargo_origins("2016-01") | {"BY", "UA"})
    set()
    """
    return tuple(sorted(_embargo_controls()))


@functools.cache
def _embargo_controls() -> tuple[str, ...]:
    """The pool as kept in ``belru_trade/data/embargo_2014_controls.csv`` (with its selection)."""
    return tuple(_read("embargo_2014_controls.csv")["member"])


#: Groups left out of every control pool of a Russia measure (see :func:`russia_control_pool`).
RUSSIA_POOL_EXCLUSIONS: tuple[str, ...] = ("EAEU", "RU_TRANSIT")


def russia_control_pool(
    candidates: Any, *, exclude: Any = RUSSIA_POOL_EXCLUSIONS
) -> tuple[str, ...]:
    """Return the control origins/destinations of a Russia measure among ``candidates``.

    Russia itself, the members of the Eurasian Economic Union at any date (``EAEU``: RU, BY,
    KZ, AM, KG; a customs union with Russia, so their trade moves with Russia's) and the
    documented transit routes for goods bound for Russia (``RU_TRANSIT``: AE, AM, BY, GE, KG,
    KZ, TR, UZ; sources in ``country_groups.csv``) are left out: they are exposed to the
    measure through re-exports and cannot show what would have happened without it.

    Parameters
    ----------
    candidates : iterable of str
        ISO alpha-2 codes.
    exclude : iterable of str
        Group names whose members are removed; ``()`` keeps every candidate but Russia.

    Returns
    -------
    tuple of str
        Sorted codes.

    Examples
    --------
    >>> russia_control_pool(["NZ", "KZ", "TR", "AR", "RU"])
    ('AR', 'NZ')
    >>> russia_control_pool(["NZ", "KZ"], exclude=())
    ('KZ', 'NZ')
    """
    dropped = {"RU"}
    for group in exclude:
        dropped |= _ever_members(group)
    return tuple(sorted({str(c).upper() for c in candidates} - dropped))


def _ever_members(group: str) -> frozenset[str]:
    key = _GROUP_ALIASES.get(str(group).upper(), str(group).upper())
    if key not in _group_names():
        raise UnknownCodeError(
            f"group={group!r} is not a known group; expected one of {', '.join(groups())}"
        )
    return frozenset(_group_arrays(key)[0])
