"""The 2014 food-embargo data: reporters of the Comtrade extract and their exports."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import TYPE_CHECKING

import pandas as pd
from belru_trade.analyses._common.comtrade_filing import FILING_PRODUCTS, ComtradeFiling
from belru_trade.analyses._common.series import complete_months, spike_mask

import belru_trade as bt

if TYPE_CHECKING:
    from belru_trade.report import DataRequirement

__all__ = [
    "comtrade_exports_to",
    "control_pools",
    "earlier_bans",
    "embargo_2014_controls",
    "embargo_2014_reporters",
    "filing_requirement",
    "monthly_tonnes",
    "sensitivity_variants",
    "without_earlier_bans",
]


def filing_requirement() -> DataRequirement:
    """The optional UN Comtrade requirement of the 2014 analyses: every reporter's food trade
    with the partner in both directions, which tells a month a reporter filed nothing from a
    month without shipments (:mod:`belru_trade.analyses._common.comtrade_filing`)."""
    from belru_trade.report import PARTNER, DataRequirement

    return DataRequirement(
        "all reporters' food trade with the partner in both directions 2010-2020 (UN "
        "Comtrade), to tell a month a reporter filed nothing from a month without shipments",
        "comtrade",
        ("comtrade",),
        partner=(PARTNER,),
        product=FILING_PRODUCTS,
        start="2010-01",
        end="2020-12",
        fetch_reporters=embargo_2014_reporters(),
        optional=True,
    )


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
    rows = bt.panel.select(
        panel,
        source="comtrade",
        flow="export",
        partner=partner,
        product=products,
        exclude={"reporter": "EU28"},
    )
    spikes = spike_mask(rows, factor=20.0, minimum=1e6)
    dropped = rows.loc[spikes, ["reporter", "product", "period", "quantity"]].copy()
    dropped["quantity"] = dropped["quantity"] / 1e3
    dropped["period"] = dropped["period"].astype(str)
    dropped = dropped.rename(columns={"quantity": "reported (t)"}).reset_index(drop=True)
    return rows.loc[~spikes], dropped


def embargo_2014_controls() -> tuple[str, ...]:
    """The control origins of the 2014 food-embargo designs, sorted.

    The never-embargoed reporters of the extract
    (:func:`belru_trade.geo.codes.embargo_control_origins`) without the Eurasian Economic
    Union members and the documented transit routes to Russia
    (:func:`belru_trade.geo.codes.russia_control_pool`).

    >>> controls = embargo_2014_controls()
    >>> "NZ" in controls, {"KZ", "AM", "KG", "TR", "GE", "AE"} & set(controls)
    (True, set())
    """
    return bt.codes.russia_control_pool(bt.codes.embargo_control_origins())


def earlier_bans(
    start: str, event: str, *, before: str | None = None
) -> list[tuple[str, frozenset[str], tuple[str, ...]]]:
    """Russian import bans on single origins in force between ``start`` and ``event``.

    Events of the registry with ``party`` RU and ``direction`` import that bind before the
    day ``before`` (default: the first day of the embargo month ``event``) and are active
    after ``start`` (Lithuanian dairy from 2013-10, EU pork from 2014-01; with ``before`` the
    embargo's own first day, 2014-08-07, also the Polish fruit and vegetable ban of
    2014-08-01): (event id, origins, HS prefixes).

    >>> [e for e, _, _ in earlier_bans("2012-01", "2014-08")]
    ['RU-2013-LT-DAIRY', 'RU-2014-EU-PORK-ASF']
    >>> [e for e, _, _ in earlier_bans("2012-01", "2014-08", before="2014-08-07")][-1]
    'RU-2014-PL-FRUITVEG'
    """
    first = pd.Timestamp(before) if before else pd.Period(event, freq="M").start_time
    begin = pd.Period(start, freq="M").start_time
    out = []
    for ev in bt.events.load().itertuples():
        if ev.party != "RU" or ev.direction != "import" or not ev.hs_codes:
            continue
        if ev.in_force >= first or (pd.notna(ev.effective_end) and ev.effective_end < begin):
            continue
        out.append((ev.event_id, frozenset(ev.origins or ()), tuple(ev.hs_codes)))
    return out


#: first day of Russia's food embargo (Resolution 778): bans binding before it are checked
EMBARGO_DAY = "2014-08-07"


def without_earlier_bans(
    rows: pd.DataFrame, start: str, event: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Drop the flows treated by an earlier origin-specific ban from a 2014 design.

    A flow (reporter, product) covered by :func:`earlier_bans` (bans binding before the
    embargo's first day, :data:`EMBARGO_DAY`) in a month before ``event`` is already
    treated before the embargo, so it is neither a clean pre-period nor a clean control. A
    ban on a single origin (Lithuanian dairy) drops that origin's flows; a ban on many
    origins (EU pork) drops the product for every origin, so treated and control groups
    keep the same products. A ban binding inside the event month (Polish fruit and
    vegetables from 2014-08-01) treats its flows from the same month as the embargo: they
    are kept (monthly data cannot date the treatment more finely) and listed.

    Returns
    -------
    rows : DataFrame
        The kept rows.
    dropped : DataFrame
        One row per ban: ``event``, ``origins``, ``products``, ``rows dropped``,
        ``handling``.
    """
    keep = pd.Series(True, index=rows.index)
    notes = []
    month = pd.Period(event, freq="M")
    in_force = {ev.event_id: ev.in_force for ev in bt.events.load().itertuples()}
    for event_id, origins, prefixes in earlier_bans(start, event, before=EMBARGO_DAY):
        product = rows["product"].astype(str).str.startswith(prefixes)
        hit = product if len(origins) > 1 else product & rows["reporter"].isin(origins)
        same_month = pd.Period(in_force[event_id], freq="M") == month
        notes.append(
            {
                "event": event_id,
                "origins": "every origin" if len(origins) > 1 else ", ".join(sorted(origins)),
                "products": ", ".join(prefixes),
                "rows dropped": 0 if same_month else int((hit & keep).sum()),
                "handling": (
                    f"binds in {month} like the embargo: flows kept, treated from {month}"
                    if same_month
                    else "treated before the embargo: flows left out"
                ),
            }
        )
        if not same_month:
            keep &= ~hit
    return rows.loc[keep], pd.DataFrame(notes)


def control_pools(headline: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """The control pools of the 2014 sensitivity tables, by the label their variants use.

    ``baseline``: the headline pool (the clean controls that filed in every month of the
    design window, :func:`~belru_trade.analyses._common.regular_pool.control_pool`);
    ``all``: every clean control, irregular months missing; ``with EAEU and transit``: the
    earlier, wider pool.

    >>> pools = control_pools(("AR", "NZ"))
    >>> pools["baseline"], "UY" in pools["all"], "KZ" in pools["with EAEU and transit"]
    (('AR', 'NZ'), True, True)
    """
    return {
        "baseline": tuple(sorted(set(headline))),
        "all": embargo_2014_controls(),
        "with EAEU and transit": bt.codes.embargo_control_origins(),
    }


def monthly_tonnes(
    rows: pd.DataFrame,
    reporters: Iterable[str],
    start: str,
    end: str,
    products: Iterable[str] | None = None,
    *,
    filing: ComtradeFiling | None = None,
    tolerance: float | None = None,
) -> pd.Series:
    """Monthly tonnes summed over ``reporters`` (and ``products``), ``start``..``end``.

    With ``filing`` (:class:`ComtradeFiling`), months in which reporters carrying more than
    its tolerance (1%, or ``tolerance``) of the pre-period (``start``..2014-07) volume filed
    nothing are NaN; otherwise, and without ``filing``, months without a row inside
    2010-01..2020-12 are zeros (see :func:`complete_months`).
    """
    if filing is not None:
        if tolerance is not None:
            filing = replace(filing, tolerance=tolerance)
        return filing.group_tonnes(
            rows, reporters, start, end, pre_end="2014-07", products=products
        )
    where: dict = {"reporter": set(reporters)}
    if products is not None:
        where["product"] = set(products)
    series = bt.panel.series(rows, where, column="quantity", scale=1e3)
    return complete_months(series, "2010-01", "2020-12").loc[start:end]


def sensitivity_variants(extra: dict[str, dict] | None = None) -> dict[str, dict]:
    """The one-choice-at-a-time variants of the 2014 comparative ITS; ``extra`` rows go
    before the error-model row."""
    return {
        "baseline: controls (without EAEU and transit routes) that filed in every month "
        "2012-01..2016-07, pre-period from 2012-01, quasi-Poisson, Newey-West errors": {},
        "control pool: all controls, irregular months missing": {"pool": "all"},
        "control pool: all controls with the EAEU members and transit routes (KZ, AM, KG, TR, "
        "GE, AE), irregular months missing": {"pool": "with EAEU and transit"},
        "pre-period from 2013-01": {"start": "2013-01"},
        **(extra or {}),
        "group totals: missing when any reporter filed nothing (tolerance 0% of the "
        "pre-period volume instead of 1%)": {"data": {"tolerance": 0.0}},
        "error model: model-based (no Newey-West correction)": {"errors": "model"},
    }
