"""The sanction event registry: :class:`Event` rows read from ``sanction_events.csv``.

The scope rules are described in :mod:`belru_trade.events`.
"""

from __future__ import annotations

import difflib
import functools
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any

import pandas as pd

from belru_trade.errors import DataValidationError, UnknownCodeError
from belru_trade.events.scope import _product_covered
from belru_trade.geo import codes
from belru_trade.periods import is_day, parse_date, parse_period

__all__ = ["Event", "event_ids", "get", "load"]

_EXEMPTIONS = frozenset({"RU-2014-RES830", "RU-2021-LIST-AMEND"})
#: whole HS6 codes exempted by a carve-out row (compiler mapping from the description)
_EXEMPT_HS6 = {"RU-2014-RES830": ("070110",)}
_DIRECTIONS = frozenset({"import", "export", "services", "other"})
_ANY_DESTINATION = frozenset({"G7-2022-PRICECAP"})
_G7 = frozenset({"US", "CA", "GB", "FR", "DE", "IT", "JP"})
_BREXIT_TRANSITION_END = pd.Timestamp("2020-12-31")


@dataclass(frozen=True)
class Event:
    """One sanction event.

    Attributes
    ----------
    event_id, party, target, legal_act, description, source_url, confidence : str
        As in the registry (see ``events/PROVENANCE.md``).
    announced, in_force : pandas.Timestamp
        Adoption and binding dates (month-only dates resolved as described in the module).
    ended : pandas.Timestamp or None
        Last day of validity legislated by this act.
    effective_end : pandas.Timestamp or None
        ``ended``, or the end of the Russian embargo's extension chain for its rows.
    hs_codes : tuple of str
        HS prefixes (empty when the event has no product scope).
    kind : {'ban', 'extension', 'exemption', 'no_product_scope'}
    direction : {'import', 'export', 'services', 'other'}
        Trade the measure restricts, seen from the imposing party (the registry's
        ``direction`` column). Export measures cover goods from the imposing party's
        members to the target countries.
    origins, destinations : frozenset of str or None
        Covered origin and destination countries on ``in_force`` (None = any).
    """

    event_id: str
    party: str
    target: str
    announced: pd.Timestamp
    in_force: pd.Timestamp
    ended: pd.Timestamp | None
    effective_end: pd.Timestamp | None
    legal_act: str
    hs_codes: tuple[str, ...]
    description: str
    source_url: str
    confidence: str
    kind: str
    direction: str
    origins: frozenset[str] | None
    destinations: frozenset[str] | None

    def active(self, start: pd.Timestamp, end: pd.Timestamp) -> bool:
        """Return whether the event applies on some day in [start, end]."""
        return self.in_force <= end and (self.effective_end is None or self.effective_end >= start)

    def origins_on(self, date: Any) -> frozenset[str] | None:
        """Covered origins on ``date`` (a day, month or year; None = ``in_force``)."""
        return _origins(self.direction, self.party, self.target, self._day(date))

    def destinations_on(self, date: Any) -> frozenset[str] | None:
        """Covered destinations on ``date`` (a day, month or year; None = ``in_force``)."""
        return _destinations(
            self.event_id, self.direction, self.party, self.target, self._day(date)
        )

    def covers_product(self, product: Any, period: Any = None) -> bool:
        """Return whether ``product`` (HS/CN code) falls under the event's HS prefixes."""
        year = self.in_force.year if period is None else codes._interval(period)[0].year
        return _product_covered(str(product), self.hs_codes, year, coarse=False)

    def _day(self, date: Any) -> pd.Timestamp:
        return self.in_force if date is None else codes._interval(date)[0]


# ---------------------------------------------------------------- parsing


def _parse_date(text: str, announced: str = "") -> pd.Timestamp | None:
    text = str(text).strip()
    if not text:
        return None
    if not is_day(text):  # a month: its first day, or the announcement if in that month
        start = parse_period(text, "M", name="sanction_events.csv date").start_time
        if announced.startswith(text) and is_day(announced):
            return max(start, parse_date(announced, name="sanction_events.csv announced"))
        return start
    return parse_date(text, name="sanction_events.csv date")


def _required_date(rec: dict[Any, Any], column: str, announced: str = "") -> pd.Timestamp:
    value = _parse_date(rec[column], announced)
    if value is None:
        raise DataValidationError(
            column,
            f"event {rec['event_id']!r} in sanction_events.csv has no {column} date",
            [rec[column]],
        )
    return value


def _target_codes(target: str) -> list[str]:
    head = target.split("(")[0]
    return [t.strip() for t in head.split(";") if re.fullmatch(r"[A-Z0-9_]{2,9}", t.strip())]


def _eu_members(day: pd.Timestamp, *, with_transition: bool) -> frozenset[str]:
    members = codes.group_members("EU", day.date().isoformat())
    if with_transition and day <= _BREXIT_TRANSITION_END:
        members = members | {"GB"}
    return members


def _party_members(party: str, day: pd.Timestamp) -> frozenset[str]:
    if party == "EU":
        return _eu_members(day, with_transition=False)
    if party == "G7":
        return _G7 | _eu_members(day, with_transition=False)
    return frozenset({party})


def _origins(direction: str, party: str, target: str, day: pd.Timestamp) -> frozenset[str] | None:
    if direction == "export":
        return _party_members(party, day)
    if party != "RU":
        return frozenset({"RU"})
    if target.startswith("all embargoed origins"):
        return codes.embargo_origins(day.date().isoformat())
    result: set[str] = set()
    for code in _target_codes(target):
        if code in {"EU28", "EU27", "EU"}:
            result |= _eu_members(day, with_transition=True)
        else:
            result.add(code)
    return frozenset(result)


def _destinations(
    event_id: str, direction: str, party: str, target: str, day: pd.Timestamp
) -> frozenset[str] | None:
    if event_id in _ANY_DESTINATION:
        return None
    if direction == "export":
        return frozenset(_target_codes(target)) or frozenset({"RU"})
    if party == "RU":
        return frozenset({"RU"})
    return _party_members(party, day)


def _kind(event_id: str, hs: tuple[str, ...], description: str) -> str:
    if event_id in _EXEMPTIONS:
        return "exemption"
    if not hs:
        return "no_product_scope"
    return "extension" if "extend" in description.lower()[:40] else "ban"


def _direction(event_id: str, text: str) -> str:
    value = str(text).strip().lower()
    if value not in _DIRECTIONS:
        raise DataValidationError(
            "direction",
            f"event {event_id!r} in sanction_events.csv has direction={text!r}; "
            f"expected one of {', '.join(sorted(_DIRECTIONS))}",
            [text],
        )
    return value


@functools.cache
def _events() -> tuple[Event, ...]:
    path = resources.files("belru_trade") / "data" / "sanction_events.csv"
    with path.open("rb") as handle:
        raw = pd.read_csv(handle, dtype=str, keep_default_na=False)
    chain_end = pd.to_datetime(raw.loc[raw["party"] == "RU", "ended"].replace("", None)).max()
    result = []
    for rec in raw.to_dict("records"):
        hs = tuple(c.strip() for c in rec["hs_codes"].split(";") if c.strip())
        in_force = _required_date(rec, "in_force", rec["announced"])
        ended = _parse_date(rec["ended"])
        kind = _kind(rec["event_id"], hs, rec["description"])
        in_chain = rec["party"] == "RU" and kind in {"ban", "extension"}
        direction = _direction(rec["event_id"], rec["direction"])
        result.append(
            Event(
                event_id=rec["event_id"],
                party=rec["party"],
                target=rec["target"],
                announced=_required_date(rec, "announced"),
                in_force=in_force,
                ended=ended,
                effective_end=ended if ended is not None or not in_chain else chain_end,
                legal_act=rec["legal_act"],
                hs_codes=hs,
                description=rec["description"],
                source_url=rec["source_url"],
                confidence=rec["confidence"],
                kind=kind,
                direction=direction,
                origins=_origins(direction, rec["party"], rec["target"], in_force),
                destinations=_destinations(
                    rec["event_id"], direction, rec["party"], rec["target"], in_force
                ),
            )
        )
    return tuple(result)


def event_ids() -> tuple[str, ...]:
    """Return every event id in registry order.

    >>> len(event_ids())
    59
    """
    return tuple(e.event_id for e in _events())


def load() -> pd.DataFrame:
    """Return the event registry as a DataFrame.

    Returns
    -------
    pandas.DataFrame
        One row per event with the fields of :class:`Event`: dates as Timestamps (NaT when
        empty), ``hs_codes`` as a tuple of prefixes, ``origins``/``destinations`` as frozensets
        of ISO alpha-2 codes on the date of entry into force (None = any).

    Examples
    --------
    >>> frame = load()
    >>> frame.shape[0], frame.loc[frame.event_id == "RU-2016-UKRAINE", "origins"].item()
    (59, frozenset({'UA'}))
    """
    frame = pd.DataFrame([e.__dict__ for e in _events()])
    for col in ("announced", "in_force", "ended", "effective_end"):
        frame[col] = pd.to_datetime(frame[col])
    return frame


def get(event_id: str) -> Event:
    """Return one event.

    Raises
    ------
    UnknownCodeError
        Unknown id; the message lists close ids.

    Examples
    --------
    >>> get("EU-2024-PKG14-LNG-TRANSSHIP").hs_codes
    ('271111',)
    """
    for event in _events():
        if event.event_id == str(event_id).strip().upper():
            return event
    close = difflib.get_close_matches(str(event_id).upper(), event_ids(), n=5, cutoff=0.4)
    hint = f"; close ids: {', '.join(close)}" if close else ""
    raise UnknownCodeError(
        f"event_id={event_id!r} is not in the sanction event registry{hint} "
        "(see belru_trade.events.registry.event_ids())"
    )
