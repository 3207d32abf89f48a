"""Which events cover a product, an origin, a destination and a date."""

from __future__ import annotations

from typing import Any

import pandas as pd

from belru_trade.errors import UnknownCodeError
from belru_trade.events.registry import Event, _events, load
from belru_trade.events.scope import _geo_covered, _product_covered
from belru_trade.geo import codes

__all__ = ["affecting"]


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
