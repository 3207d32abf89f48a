"""The 2014 food-embargo data: reporters of the Comtrade extract and their exports."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import pandas as pd
from belru_trade.analyses._common.series import spike_mask

import belru_trade as bt

if TYPE_CHECKING:
    pass

__all__ = ["comtrade_exports_to", "embargo_2014_reporters"]


def embargo_2014_reporters() -> tuple[str, ...]:
    """The reporters the 2014 food-embargo analyses fetch from UN Comtrade, sorted.

    The origins under Russia's food embargo in 2014-08
    (:func:`belru_trade.geo.codes.embargo_origins`), the never-embargoed controls
    (:func:`belru_trade.geo.codes.embargo_control_origins`), Belarus (the leakage channel) and
    Ukraine (embargoed from 2016).

    >>> reporters = embargo_2014_reporters()
    >>> {"BE", "US", "NZ", "BY", "UA"} <= set(reporters), reporters == tuple(sorted(reporters))
    (True, True)
    """
    codes = bt.codes

    controls = set(codes.embargo_control_origins())
    return tuple(sorted(codes.embargo_origins("2014-08") | controls | {"BY", "UA"}))


def comtrade_exports_to(
    panel: pd.DataFrame, partner: str, products: Iterable[str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """UN Comtrade export rows to ``partner`` of ``products``, without unit-error spikes.

    The EU28 aggregate row is left out. Reported volumes above 1,000 t and 20 times the
    largest monthly volume of the same series in any other year (:func:`spike_mask`) are
    dropped.

    Returns
    -------
    rows : DataFrame
        The kept rows.
    dropped : DataFrame
        The dropped ones: ``reporter``, ``product``, ``period`` (str), ``reported (t)``.
    """
    rows = panel[
        (panel["source"] == "comtrade")
        & (panel["flow"] == "export")
        & (panel["partner"] == partner)
        & (panel["product"].isin(products))
        & (panel["reporter"] != "EU28")
    ]
    spikes = spike_mask(rows, factor=20.0, minimum=1e6)
    dropped = rows.loc[spikes, ["reporter", "product", "period", "quantity"]].copy()
    dropped["quantity"] = dropped["quantity"] / 1e3
    dropped["period"] = dropped["period"].astype(str)
    dropped = dropped.rename(columns={"quantity": "reported (t)"}).reset_index(drop=True)
    return rows.loc[~spikes], dropped
