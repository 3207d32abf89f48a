"""Product scope of events below the HS prefixes of the registry: CN codes and thresholds.

``belru_trade/data/sanction_event_scope.csv`` records, per event, the CN codes and value
thresholds that a source states (today: the luxury-goods export ban of Reg. (EU) 2022/428,
Annex XVIII of Reg. 833/2014 as inserted). It is not the full annex: only the codes and
thresholds found in a cited source are listed (``source_url``, ``source_kind``); the
registry's ``hs_codes`` remain the prefixes used for treatment.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import pandas as pd

from belru_trade.errors import InvalidArgumentError

__all__ = ["product_scope"]


@cache
def _table() -> pd.DataFrame:
    path = resources.files("belru_trade") / "data" / "sanction_event_scope.csv"
    with path.open() as handle:
        frame = pd.read_csv(handle, dtype=str, keep_default_na=False)
    frame["value_threshold_eur"] = pd.to_numeric(frame["value_threshold_eur"])
    return frame


def product_scope(event_id: str | None = None) -> pd.DataFrame:
    """CN codes and value thresholds of an event's scope, with their sources.

    Parameters
    ----------
    event_id : str, optional
        An event of the registry; None returns every row.

    Returns
    -------
    pandas.DataFrame
        ``event_id``, ``cn_code`` (string, empty for a threshold of a whole category),
        ``category``, ``value_threshold_eur`` (per item), ``rule``, ``source_url``,
        ``source_kind``.

    Raises
    ------
    InvalidArgumentError
        ``event_id`` has no scope rows.

    Examples
    --------
    >>> scope = product_scope("EU-2022-PKG4-LUXURY")
    >>> "22041011" in set(scope["cn_code"]), int(scope["value_threshold_eur"].min())
    (True, 300)
    """
    frame = _table()
    if event_id is None:
        return frame.copy()
    rows = frame[frame["event_id"] == event_id]
    if rows.empty:
        known = sorted(set(frame["event_id"]))
        raise InvalidArgumentError(
            f"event_id={event_id!r} has no product-scope rows; events with rows: {known}"
        )
    return rows.reset_index(drop=True)
