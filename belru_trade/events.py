"""Sanction event registry and treatment indicators.

The registry (``belru_trade/data/sanction_events.csv``, 52 events; provenance in
``PROVENANCE_registries.md`` and the shared ``events/PROVENANCE.md``) lists Russia's food
embargo 2014-2026, the EU 2014 and 2022-2026 packages, diamond, LNG and gas measures.

Scope of an event
-----------------
* Russian (``RU``) events: banned goods originate in the target countries (``EU28``/``EU27``
  expand to the EU member states on the date, the United Kingdom included until the end of
  the Brexit transition on 2020-12-31; ``all embargoed origins`` expands to
  :func:`belru_trade.codes.embargo_origins`), destination Russia.
* EU import bans: origin Russia, destination the EU member states on the date. EU export
  measures of 2014 (Reg. 833/2014, 960/2014): origin the EU members, destination Russia.
  G7 measures: destination the G7 countries and the EU members; US: the United States;
  BE: Belgium. The G7 oil price cap (maritime services) has no destination restriction.
* HS codes are prefixes of HS2012+ codes. Before HS2012 the pear code 080830 did not exist;
  the old 080820 (pears and quinces) is matched in its place.
* Carve-out rows (``RU-2014-RES830``, ``RU-2021-LIST-AMEND``) are exemptions, not
  additions: they never create treatment. Where an exemption is a whole HS6 code (seed
  potatoes, 070110, by Res. 830) the code is removed from the Russian embargo's treatment
  from the exemption's date; the other exemptions (lactose-free dairy, smolt, seeds, whey
  D90, snails) are narrower than any HS6 code and are not subtracted.
* An event applies from ``in_force`` to ``ended``. Rows of the Russian food-embargo regime
  without an end of their own run to the end of the extension chain (2026-12-31,
  Decree 807). Month-only dates (``2015-08``) are read as the announcement day when it falls
  in that month, otherwise as the first day of the month.

Examples
--------
>>> from belru_trade import events
>>> ev = events.get("RU-2014-RES778")
>>> str(ev.in_force.date()), str(ev.effective_end.date()), "BE" in ev.origins
('2014-08-07', '2026-12-31', True)
>>> "EU-2023-PKG12-DIAMONDS-DIRECT" in set(events.affecting(product="710231", origin="RU",
...     destination="BE", date="2024-02")["event_id"])
True
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any, Literal

import pandas as pd

from belru_trade import codes
from belru_trade._validation import check_choice
from belru_trade.errors import InvalidArgumentError, UnknownCodeError

__all__ = ["Event", "affecting", "event_ids", "get", "load", "treatment"]

_EXEMPTIONS = frozenset({"RU-2014-RES830", "RU-2021-LIST-AMEND"})
#: whole HS6 codes exempted by a carve-out row (compiler mapping from the description)
_EXEMPT_HS6 = {"RU-2014-RES830": ("070110",)}
_EXPORT_MEASURES = frozenset({"EU-2014-REG833", "EU-2014-REG960"})
_ANY_DESTINATION = frozenset({"G7-2022-PRICECAP"})
_G7 = frozenset({"US", "CA", "GB", "FR", "DE", "IT", "JP"})
_BREXIT_TRANSITION_END = pd.Timestamp("2020-12-31")
#: HS2012+ prefix -> codes of earlier vintages that contain it
_BACKWARD = {"080830": ("080820",)}
_HS2012 = 2012


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
        Trade the measure restricts, seen from the imposing party.
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
        return _origins(self.event_id, self.party, self.target, self._day(date))

    def destinations_on(self, date: Any) -> frozenset[str] | None:
        """Covered destinations on ``date`` (a day, month or year; None = ``in_force``)."""
        return _destinations(self.event_id, self.party, self._day(date))

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
    if re.fullmatch(r"\d{4}-\d{2}", text):
        start = pd.Timestamp(f"{text}-01")
        if announced.startswith(text) and len(announced) == 10:
            return max(start, pd.Timestamp(announced))
        return start
    return pd.Timestamp(text)


def _target_codes(target: str) -> list[str]:
    head = target.split("(")[0]
    return [t.strip() for t in head.split(";") if re.fullmatch(r"[A-Z0-9_]{2,9}", t.strip())]


def _eu_members(day: pd.Timestamp, *, with_transition: bool) -> frozenset[str]:
    members = codes.group_members("EU", day.date().isoformat())
    if with_transition and day <= _BREXIT_TRANSITION_END:
        members = members | {"GB"}
    return members


def _origins(event_id: str, party: str, target: str, day: pd.Timestamp) -> frozenset[str] | None:
    if event_id in _EXPORT_MEASURES:
        return _eu_members(day, with_transition=False)
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


def _destinations(event_id: str, party: str, day: pd.Timestamp) -> frozenset[str] | None:
    if event_id in _ANY_DESTINATION:
        return None
    if party == "RU" or event_id in _EXPORT_MEASURES:
        return frozenset({"RU"})
    if party == "EU":
        return _eu_members(day, with_transition=False)
    if party == "G7":
        return _G7 | _eu_members(day, with_transition=False)
    return frozenset({party})


def _kind(event_id: str, hs: tuple[str, ...], description: str) -> str:
    if event_id in _EXEMPTIONS:
        return "exemption"
    if not hs:
        return "no_product_scope"
    return "extension" if "extend" in description.lower()[:40] else "ban"


def _direction(event_id: str, party: str, hs: tuple[str, ...]) -> str:
    if event_id in _EXPORT_MEASURES:
        return "export"
    if event_id in _ANY_DESTINATION:
        return "services"
    return "import" if hs or party == "RU" else "other"


@functools.cache
def _events() -> tuple[Event, ...]:
    path = resources.files("belru_trade") / "data" / "sanction_events.csv"
    with path.open("rb") as handle:
        raw = pd.read_csv(handle, dtype=str, keep_default_na=False)
    chain_end = pd.to_datetime(raw.loc[raw["party"] == "RU", "ended"].replace("", None)).max()
    result = []
    for rec in raw.to_dict("records"):
        hs = tuple(c.strip() for c in rec["hs_codes"].split(";") if c.strip())
        in_force = _parse_date(rec["in_force"], rec["announced"])
        ended = _parse_date(rec["ended"])
        kind = _kind(rec["event_id"], hs, rec["description"])
        in_chain = rec["party"] == "RU" and kind in {"ban", "extension"}
        result.append(
            Event(
                event_id=rec["event_id"],
                party=rec["party"],
                target=rec["target"],
                announced=_parse_date(rec["announced"]),
                in_force=in_force,
                ended=ended,
                effective_end=ended if ended is not None or not in_chain else chain_end,
                legal_act=rec["legal_act"],
                hs_codes=hs,
                description=rec["description"],
                source_url=rec["source_url"],
                confidence=rec["confidence"],
                kind=kind,
                direction=_direction(rec["event_id"], rec["party"], hs),
                origins=_origins(rec["event_id"], rec["party"], rec["target"], in_force),
                destinations=_destinations(rec["event_id"], rec["party"], in_force),
            )
        )
    return tuple(result)


def event_ids() -> tuple[str, ...]:
    """Return every event id in registry order.

    >>> len(event_ids())
    52
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
    (52, frozenset({'UA'}))
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
        "(see belru_trade.events.event_ids())"
    )


# ---------------------------------------------------------------- matching


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


def affecting(
    product: str | None = None,
    origin: str | None = None,
    destination: str | None = None,
    date: Any = None,
) -> pd.DataFrame:
    """Return the events whose scope covers a product, origin, destination and date.

    Parameters
    ----------
    product : str, optional
        HS/CN code or prefix; an event matches when its prefixes and ``product`` overlap
        (either starts with the other). Events without product scope are left out.
    origin, destination : str, optional
        Country or group codes (ISO alpha-2; Eurostat's EL/UK accepted).
    date : str, Timestamp or Period, optional
        Day, month or year: events in force on some day of it, with their scope on that
        day. Without a date, every event is considered with its scope at entry into force.

    Returns
    -------
    pandas.DataFrame
        Rows of :func:`load` that match (exemption rows included; see ``kind``).

    Examples
    --------
    >>> ids = set(affecting(product="0808", origin="BE", destination="RU", date="2014-09")
    ...           ["event_id"])
    >>> "RU-2014-RES778" in ids, "RU-2016-UKRAINE" in ids
    (True, False)
    """
    origin = None if origin is None else _canonical("origin", origin)
    destination = None if destination is None else _canonical("destination", destination)
    window = None if date is None else codes._interval(date)
    keep = []
    for event in _events():
        if window is not None and not event.active(*window):
            continue
        day = event.in_force if window is None else max(window[0], event.in_force)
        if product is not None and not _overlaps(str(product), event, day.year):
            continue
        if origin is not None and not _geo_covered(origin, event.origins_on(day), day):
            continue
        if destination is not None and not _geo_covered(
            destination, event.destinations_on(day), day
        ):
            continue
        keep.append(event.event_id)
    frame = load()
    return frame[frame["event_id"].isin(keep)].reset_index(drop=True)


def _overlaps(product: str, event: Event, year: int) -> bool:
    return _product_covered(product.strip(), event.hs_codes, year, coarse=True)


def _canonical(argument: str, value: str) -> str:
    text = str(value).strip().upper()
    if text in codes.known_geo_codes() or text in codes.groups():
        return text
    try:
        return codes.to_iso2(text, scheme="eurostat")
    except UnknownCodeError as exc:
        raise UnknownCodeError(f"{argument}={value!r}: {exc}") from exc


# ---------------------------------------------------------------- treatment


def treatment(
    panel: pd.DataFrame,
    event_ids: str | Sequence[str],
    *,
    kind: Literal["indicator", "step"] = "indicator",
    name: str | None = None,
    coarse: bool = True,
    apply_exemptions: bool = True,
) -> pd.Series:
    """Build a 0/1 treatment column for a tidy panel from sanction events.

    Parameters
    ----------
    panel : pandas.DataFrame
        Tidy panel (:mod:`belru_trade.panel`) with ``reporter``, ``partner``, ``product``,
        ``flow``, ``period`` and optionally ``nomenclature``.
    event_ids : str or sequence of str
        Events whose union defines treatment. Exemption rows are not allowed here.
    kind : {'indicator', 'step'}
        'indicator': 1 where the row's trade is covered on its period: origin and destination
        (exports: reporter -> partner; imports: partner -> reporter; an aggregate counts when
        all its members are covered), product (HS prefix; ``TOTAL`` is never treated) and
        date. 'step': a dated step, 1 on periods when any of the events is in force,
        whatever the row's scope (the ``Post_t`` of a difference-in-differences).
    name : str, optional
        Name of the returned Series (default ``'treated'``).
    coarse : bool, default True
        Treat a product code shorter than an event prefix (e.g. HS4 '7102' against 710231)
        as covered, since it contains covered goods.
    apply_exemptions : bool, default True
        Remove whole-HS6 exemptions (seed potatoes 070110 by RU-2014-RES830) from the
        Russian embargo from their date.

    Returns
    -------
    pandas.Series
        int8 0/1 aligned to ``panel.index``.

    Raises
    ------
    UnknownCodeError
        An unknown event id.
    InvalidArgumentError
        Missing columns, an exemption row among ``event_ids`` or a bad ``kind``.

    Notes
    -----
    Period convention: a period is treated when the event is in force on at least one day
    of it, so the month (or year) of entry into force counts as treated (the 2014 embargo
    started on 7 August: 2014-08 is treated, 2014-07 is not), and the month containing
    ``effective_end`` is the last treated one. In a difference-in-differences
    ``y = exp(beta * D_pdt + FE)``, ``D_pdt`` is this indicator.

    Examples
    --------
    >>> panel = pd.DataFrame({"reporter": ["BE", "BE", "BE"], "partner": ["RU"] * 3,
    ...     "product": ["080830", "080830", "271111"], "flow": ["export"] * 3,
    ...     "period": pd.PeriodIndex(["2014-07", "2014-08", "2014-08"], freq="M")})
    >>> treatment(panel, "RU-2014-RES778").tolist()
    [0, 1, 0]
    """
    check_choice("kind", kind, ("indicator", "step"))
    ids = [event_ids] if isinstance(event_ids, str) else list(event_ids)
    if not ids:
        raise InvalidArgumentError("event_ids=[] is empty; give at least one event id")
    chosen = [get(i) for i in ids]
    bad = [e.event_id for e in chosen if e.kind == "exemption"]
    if bad:
        raise InvalidArgumentError(
            f"event_ids contains exemption rows {bad}: carve-outs cannot create treatment "
            "(they are applied automatically to the Russian embargo, see apply_exemptions)"
        )
    from belru_trade import _treatment  # deferred: _treatment imports this module

    return _treatment.build(
        panel, chosen, kind=kind, name=name, coarse=coarse, apply_exemptions=apply_exemptions
    )
