"""Treatment indicators for a tidy panel: :func:`treatment` and the engine behind it.

Rows are reduced to distinct (product, HS vintage year) and (origin, destination, period
start) keys, each key is checked once per event, and the answers are broadcast back.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from belru_trade._validation import check_choice
from belru_trade.errors import InvalidArgumentError
from belru_trade.events.registry import _EXEMPT_HS6, Event, get
from belru_trade.events.scope import _HS2012, _geo_covered, _product_covered
from belru_trade.geo import codes

__all__ = ["treatment"]


def build(
    panel: pd.DataFrame,
    chosen: Sequence[Event],
    *,
    kind: str,
    name: str | None,
    coarse: bool,
    apply_exemptions: bool,
) -> pd.Series:
    """Treatment column for ``panel`` from validated events (see :func:`events.treatment`)."""
    _check_columns(panel, kind)
    periods = pd.Series(panel["period"], index=panel.index)
    bounds = _period_bounds(periods)
    if kind == "step":
        out = np.zeros(len(panel), dtype=np.int8)
        for event in chosen:
            out |= _active_mask(event, bounds).to_numpy(np.int8)
        return pd.Series(out, index=panel.index, name=name or "treated")
    out = _indicator(panel, chosen, bounds, coarse=coarse)
    if apply_exemptions and any(e.party == "RU" for e in chosen):
        out &= ~_exempted(panel, bounds)
    return pd.Series(out.astype(np.int8), index=panel.index, name=name or "treated")


def _check_columns(panel: pd.DataFrame, kind: str) -> None:
    needed = ["period"] if kind == "step" else ["reporter", "partner", "product", "flow", "period"]
    missing = [c for c in needed if c not in panel.columns]
    if missing:
        raise InvalidArgumentError(f"panel is missing columns {missing}; needed: {needed}")
    if kind == "indicator":
        flows = set(pd.unique(panel["flow"].dropna()))
        if not flows <= {"import", "export"}:
            raise InvalidArgumentError(
                f"panel['flow'] has values {sorted(map(str, flows - {'import', 'export'}))}; "
                "allowed: 'import', 'export'"
            )


def _period_bounds(periods: pd.Series) -> pd.DataFrame:
    """Start and end timestamps of each row's period."""
    table = {v: codes._interval(v, "panel['period']") for v in pd.unique(periods.dropna())}
    start = periods.map({k: v[0] for k, v in table.items()})
    end = periods.map({k: v[1] for k, v in table.items()})
    return pd.DataFrame({"start": pd.to_datetime(start), "end": pd.to_datetime(end)})


def _active_mask(event: Event, bounds: pd.DataFrame) -> pd.Series:
    mask = bounds["end"] >= event.in_force
    if event.effective_end is not None:
        mask &= bounds["start"] <= event.effective_end
    return mask.fillna(False).astype(bool)


def _vintage_year(panel: pd.DataFrame, bounds: pd.DataFrame) -> np.ndarray:
    year = bounds["start"].dt.year.fillna(_HS2012).to_numpy(np.int64)
    if "nomenclature" in panel.columns:
        inverse, uniques = pd.factorize(panel["nomenclature"])
        found = (
            pd.Series(uniques, dtype=object).astype(str).str.extract(r"^(?:HS|CN)([0-9]{4})$")[0]
        )
        stated = np.append(pd.to_numeric(found, errors="coerce").to_numpy(float), np.nan)
        per_row = stated[np.where(inverse >= 0, inverse, len(stated) - 1)]
        year = np.where(np.isnan(per_row), year, per_row).astype(np.int64)
    return year


@dataclass(frozen=True)
class _Keys:
    """Row keys factorised once: product x vintage year, and origin x destination x day."""

    prod_inv: np.ndarray
    prod_uniq: list[tuple[str, int]]
    geo_inv: np.ndarray
    geo_uniq: list[tuple[str, str, pd.Timestamp]]


def _keys(panel: pd.DataFrame, bounds: pd.DataFrame) -> _Keys:
    export = (panel["flow"] == "export").to_numpy()
    reporter, partner, product = panel["reporter"], panel["partner"], panel["product"]
    year = _vintage_year(panel, bounds)
    prod_inv, first = _factorize(product, year)
    prod_uniq = list(zip(product.iloc[first].astype(str), year[first].tolist(), strict=True))
    start = bounds["start"].to_numpy()
    geo_inv, first = _factorize(export, reporter, partner, start)
    rep = reporter.iloc[first].astype(str).to_numpy()
    par = partner.iloc[first].astype(str).to_numpy()
    out_ = export[first]
    geo_uniq = list(
        zip(np.where(out_, rep, par), np.where(out_, par, rep), start[first], strict=True)
    )
    return _Keys(prod_inv, prod_uniq, geo_inv, geo_uniq)


def _factorize(*columns: Any) -> tuple[np.ndarray, np.ndarray]:
    """Integer code of each row's tuple of ``columns`` and one row index per distinct tuple."""
    combined = np.zeros(len(columns[0]), dtype=np.int64)
    for column in columns:
        codes_, uniques = pd.factorize(column, use_na_sentinel=False)
        combined = combined * (len(uniques) + 1) + codes_
    inverse, distinct = pd.factorize(combined)
    first = np.empty(len(distinct), dtype=np.int64)
    first[inverse[::-1]] = np.arange(len(inverse))[::-1]
    return inverse, first


def _indicator(
    panel: pd.DataFrame, chosen: Iterable[Event], bounds: pd.DataFrame, *, coarse: bool
) -> np.ndarray:
    keys = _keys(panel, bounds)
    out = np.zeros(len(panel), dtype=bool)
    for event in chosen:
        if not event.hs_codes:
            continue
        candidate = _active_mask(event, bounds).to_numpy() & ~out
        if not candidate.any():
            continue
        prod_ok = np.array(
            [_product_covered(p, event.hs_codes, y, coarse=coarse) for p, y in keys.prod_uniq],
            dtype=bool,
        )
        candidate &= prod_ok[keys.prod_inv]
        geo_ok = np.zeros(len(keys.geo_uniq), dtype=bool)
        for u in np.unique(keys.geo_inv[candidate]):
            o, d, s = keys.geo_uniq[u]
            geo_ok[u] = _pair_covered(event.event_id, o, d, max(pd.Timestamp(s), event.in_force))
        out |= candidate & geo_ok[keys.geo_inv]
    return out


@functools.lru_cache(maxsize=65536)
def _pair_covered(event_id: str, origin: str, dest: str, day: pd.Timestamp) -> bool:
    event = get(event_id)
    return _geo_covered(origin, event.origins_on(day), day) and _geo_covered(
        dest, event.destinations_on(day), day
    )


def _exempted(panel: pd.DataFrame, bounds: pd.DataFrame) -> np.ndarray:
    out = np.zeros(len(panel), dtype=bool)
    product = panel["product"].astype(str)
    for event_id, hs6 in _EXEMPT_HS6.items():
        event = get(event_id)
        active = (bounds["start"] >= event.in_force.normalize().replace(day=1)).to_numpy()
        out |= active & product.str.startswith(hs6).to_numpy()
    return out


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
        Tidy panel (:mod:`belru_trade.trade.panel`) with ``reporter``, ``partner``, ``product``,
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
    return build(
        panel, chosen, kind=kind, name=name, coarse=coarse, apply_exemptions=apply_exemptions
    )
