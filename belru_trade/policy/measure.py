"""Proposed sanction measures and past analogue measures (inputs of ``bt.simulate``).

Examples
--------
>>> m = Measure(sender="EU", target="RU", kind="export_ban", products=["7102"], start="2026-07")
>>> m.flow, str(m.start)
('export', '2026-07')
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from belru_trade import events
from belru_trade._validation import check_choice, check_period, check_product_code
from belru_trade.errors import InvalidArgumentError, NotCoveredError
from belru_trade.geo.codes import AGGREGATES, country
from belru_trade.geo.groups import group_members

__all__ = [
    "EU27",
    "KINDS",
    "SANCTIONS_2022",
    "Analogue",
    "Leakage",
    "Measure",
    "default_analogues",
    "resolve_analogue",
]

#: First month of the EU's 2022 trade sanctions against Russia (Council Regulation (EU)
#: 2022/328 of 25 February 2022, the first package of export bans after the invasion).
SANCTIONS_2022 = "2022-03"

#: longest phase-in, in months (as long as the longest simulation horizon)
MAX_PHASE_IN = 240

#: Kinds of measure and the flow of the sender's members they act on.
KINDS = {"export_ban": "export", "import_ban": "import"}

#: EU member states (ISO alpha-2, Greece = GR), Belgium first, then alphabetical: the
#: ``EU27_2020`` group of ``belru_trade/data/country_groups.csv``.
EU27: tuple[str, ...] = ("BE", *sorted(group_members("EU27_2020") - {"BE"}))


def _codes(name: str, values: Any) -> tuple[str, ...]:
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, Sequence) or not values:
        raise InvalidArgumentError(f"{name}={values!r} must be a non-empty list of HS/CN codes")
    return tuple(check_product_code(name, code) for code in values)


@dataclass(frozen=True)
class Measure:
    """A proposed trade measure.

    Parameters
    ----------
    sender : str or sequence of str
        ``"EU"`` (all 27 members) or member states (ISO2 in any case, ISO3 or names).
    target : str
        Target country, e.g. ``"RU"``, ``"ru"``, ``"RUS"`` or ``"Russia"``; normalised by
        :func:`belru_trade.geo.codes.country`.
    kind : {"export_ban", "import_ban"}
        Export ban acts on the members' exports to the target, import ban on their imports.
    products : sequence of str
        HS/CN code prefixes (2, 4, 6 or 8 digits).
    start : str or Period
        First month in force (``"YYYY-MM"``).
    phase_in : int, optional
        Months over which the effect builds up linearly (None: full effect at once), at
        most ``MAX_PHASE_IN`` (240).
    exemptions : sequence of str
        Code prefixes excluded from the measure.

    Raises
    ------
    InvalidArgumentError
        Unknown kind, malformed codes or periods, negative phase-in; the message names the
        argument.
    UnknownCodeError
        A sender or target that is not a known country code or name.
    """

    sender: Any
    target: str
    kind: str
    products: Sequence[str]
    start: Any
    phase_in: int | None = None
    exemptions: Sequence[str] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        check_choice("kind", self.kind, tuple(KINDS))
        target = country(self.target, "target")
        if target in AGGREGATES:
            raise InvalidArgumentError(
                f"target={self.target!r} is an aggregate; expected one country (e.g. 'RU')"
            )
        object.__setattr__(self, "target", target)
        object.__setattr__(self, "products", _codes("products", self.products))
        exemptions = _codes("exemptions", self.exemptions) if self.exemptions else ()
        object.__setattr__(self, "exemptions", exemptions)
        object.__setattr__(self, "start", check_period("start", self.start, "M"))
        object.__setattr__(self, "sender", self._members(self.sender))
        if self.phase_in is not None and (
            isinstance(self.phase_in, bool)
            or not isinstance(self.phase_in, int)
            or not 0 <= self.phase_in <= MAX_PHASE_IN
        ):
            raise InvalidArgumentError(
                f"phase_in={self.phase_in!r} must be None or an int in [0, {MAX_PHASE_IN}] (months)"
            )

    @staticmethod
    def _members(sender: Any) -> tuple[str, ...]:
        if isinstance(sender, str):
            sender = list(EU27) if sender.upper() in ("EU", "EU27", "EU27_2020") else [sender]
        members = tuple(country(s, "sender") for s in sender)
        unknown = [m for m in members if m not in EU27]
        if not members or unknown:
            raise InvalidArgumentError(
                f"sender={sender!r}: {unknown} not EU member states; expected 'EU' or ISO2 codes "
                f"of members ({', '.join(EU27)})"
            )
        return members

    @property
    def flow(self) -> str:
        """Flow of the sender's members the measure acts on (``export`` or ``import``)."""
        return KINDS[self.kind]

    def describe(self) -> str:
        """One-line description used in briefs."""
        scope = "EU27" if len(self.sender) == 27 else ", ".join(self.sender)
        phase = f", phased in over {self.phase_in} months" if self.phase_in else ""
        exempt = f", exemptions {', '.join(self.exemptions)}" if self.exemptions else ""
        return (
            f"{self.kind.replace('_', ' ')} by {scope} on {self.target}, products "
            f"{', '.join(self.products)}, from {self.start}{phase}{exempt}"
        )


@dataclass(frozen=True)
class Analogue:
    """A past measure whose estimated effect stands in for the proposed one.

    Parameters
    ----------
    name : str
        Label (registry event id or a description).
    products : sequence of str
        HS/CN prefixes covered by the past measure.
    start : str or Period
        First month in force.
    target : str, default "RU"
        Partner of the affected flows.
    flow : {"export", "import"}
        Flow of the sender's members it acted on.
    """

    name: str
    products: Sequence[str]
    start: Any
    target: str = "RU"
    flow: str = "export"

    def __post_init__(self) -> None:
        object.__setattr__(self, "products", _codes("analogue products", self.products))
        object.__setattr__(self, "start", check_period("analogue start", self.start, "M"))
        check_choice("analogue flow", self.flow, ("export", "import"))


def resolve_analogue(analogue: Any) -> Analogue:
    """Turn an event id of the registry (``bt.events``) or an :class:`Analogue` into one.

    Raises
    ------
    NotCoveredError
        If the event has no HS codes.
    """
    if isinstance(analogue, Analogue):
        return analogue
    if not isinstance(analogue, str):
        raise InvalidArgumentError(f"analogue={analogue!r} must be an event id or an Analogue")
    event = events.get(analogue)
    if not event.hs_codes:
        raise NotCoveredError(f"analogue={analogue!r} has no HS codes in the registry")
    # flow of the EU members' trade the measure acted on
    flow = "import" if (event.party != "RU" and event.direction == "import") else "export"
    start = pd.Period(event.in_force, freq="M")
    return Analogue(name=analogue, products=list(event.hs_codes), start=start, flow=flow)


def _overlap(codes: Sequence[str], products: Sequence[str]) -> bool:
    return any(c.startswith(p) or p.startswith(c) for c in codes for p in products)


def default_analogues(measure: Measure) -> list[Any]:
    """Past measures that stand in for ``measure`` when the user names none.

    1. The registry's events (``bt.events``) that acted on the same flow of the sender's
       members, whose HS codes overlap the measure's products and that entered into force
       before the measure starts (by event id, newest last).
    2. Else, for measures against Russia, the same products under the EU's 2022 sanctions
       (an :class:`Analogue` starting :data:`SANCTIONS_2022`): how these flows responded
       to the 2022 packages.

    Parameters
    ----------
    measure : Measure

    Returns
    -------
    list of str or Analogue
        Event ids and/or one ad-hoc analogue.

    Raises
    ------
    NotCoveredError
        If neither rule gives an analogue (the message says to pass ``elasticity`` or
        ``analogues``).

    Examples
    --------
    >>> m = Measure(sender="EU", target="RU", kind="import_ban", products=["7102"],
    ...             start="2026-07")
    >>> "EU-2023-PKG12-DIAMONDS-DIRECT" in default_analogues(m)
    True
    >>> m = Measure(sender="EU", target="RU", kind="export_ban", products=["8703"],
    ...             start="2022-03")
    >>> [a.name for a in default_analogues(m)]
    ['the same products under the EU sanctions on RU from 2022-03']
    """
    found = []
    start = measure.start.to_timestamp()
    for event in events.load().itertuples():
        codes = tuple(event.hs_codes or ())
        if not codes or event.party == "RU" or pd.Timestamp(event.in_force) >= start:
            continue
        flow = "import" if event.direction == "import" else "export"
        if flow == measure.flow and _overlap(codes, measure.products):
            found.append(event.event_id)
    if found:
        return found
    if measure.target == "RU":
        name = f"the same products under the EU sanctions on RU from {SANCTIONS_2022}"
        return [Analogue(name, list(measure.products), SANCTIONS_2022, "RU", measure.flow)]
    raise NotCoveredError(
        f"no past measure on {list(measure.products)} ({measure.flow}s) to {measure.target} "
        "in the registry: give elasticity=CHANGE or analogues=[...]"
    )


@dataclass(frozen=True)
class Leakage:
    """Share of the lost direct flow that still reaches the target through third countries."""

    mean: float
    sd: float
    source: str

    def draw(self, rng: np.random.Generator, size: int) -> np.ndarray:
        if self.sd == 0:
            return np.full(size, self.mean)
        return np.clip(rng.normal(self.mean, self.sd, size), 0.0, 1.0)
