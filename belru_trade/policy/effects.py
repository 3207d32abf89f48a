"""Effect sizes for ex-ante simulation: estimated from analogue measures or user-given.

The analogue effect is a product-level difference in differences estimated with the gravity
engine (PPML, :func:`belru_trade.models.hdfe.ppml.ppml`): the senders' flows of the analogue's
products to the target and to control partners, summed over senders, by product, partner
and month,

    X_pdt = exp(beta * 1[d = target] * 1[t >= start] + FE_pd + FE_pt) * e_pdt,

with product x partner and product x month fixed effects and
standard errors clustered by product x partner. ``exp(beta) - 1`` is the proportional change
in the targeted flow. Controls receiving diverted trade bias ``beta`` away from zero; the
brief states the controls used.

Examples
--------
>>> e = Effect.given(-0.8, 0.1)
>>> round(e.log_ratio, 4)
-1.6094
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from belru_trade._warnings import expected
from belru_trade.errors import (
    InvalidArgumentError,
    NotCoveredError,
    SeparationWarning,
    SpecificationError,
)
from belru_trade.policy.baseline import select_codes
from belru_trade.policy.measure import Analogue
from belru_trade.trade.selection import select

__all__ = [
    "Effect",
    "analogue_effect",
    "analogue_effect_its",
    "analogue_leakage",
    "clean_controls",
    "combine_effects",
]

#: Default transit countries for the leakage estimate: Russia's neighbours in the snapshot that
#: are documented re-export routes (Chupilkin, Javorcik & Plekhanov 2023 for AM, KZ, KG; EBRD
#: via Global Trade Review for GE; WSJ for UZ; see ``country_groups.csv``, group RU_TRANSIT).
#: Belarus is left out: the EU mirrored its Russia export bans on Belarus from 2022-03-02.
TRANSIT = ("KZ", "GE", "AM", "UZ", "KG")
#: Kept for backward compatibility: the transit countries are *not* DiD controls any more.
CONTROLS = TRANSIT


def clean_controls(partners: Sequence[str], target: str) -> tuple[str, ...]:
    """Control partners for an analogue DiD: ``partners`` without the target and, for a
    Russia measure, without the Eurasian Economic Union members and the documented transit
    routes (:func:`belru_trade.geo.codes.russia_control_pool`).

    >>> clean_controls(["RU", "KZ", "GE", "CN", "TR", "US"], "RU")
    ('CN', 'US')
    """
    from belru_trade import geo as codes

    others = [p for p in partners if p != target]
    if target == "RU":
        return codes.russia_control_pool(others)
    return tuple(sorted(set(others)))


@dataclass(frozen=True)
class Effect:
    """Proportional effect on the targeted flow, on the log scale with its standard error."""

    log_ratio: float
    se: float
    source: str
    nobs: int = 0

    @classmethod
    def given(cls, change: float, sd: float = 0.0) -> Effect:
        """User-given proportional change (e.g. ``-0.8``) with its standard deviation.

        The uncertainty is mapped to the log scale by the delta method,
        ``se = sd / (1 + change)``.
        """
        change, sd = float(change), float(sd)
        if not -1.0 < change <= 10.0:
            raise InvalidArgumentError(
                f"elasticity={change!r} must be a proportional change in (-1, 10]"
            )
        if sd < 0:
            raise InvalidArgumentError(f"elasticity sd={sd!r} must be >= 0")
        log_ratio = float(np.log1p(change))
        return cls(log_ratio, sd / (1.0 + change), f"user-given change {change:+.0%} (sd {sd:.2f})")

    @property
    def change(self) -> float:
        """Point estimate of the proportional change ``exp(beta) - 1``."""
        return float(np.expm1(self.log_ratio))


def analogue_effect(
    panel: pd.DataFrame,
    analogue: Analogue,
    *,
    members: Sequence[str],
    controls: Sequence[str],
    months_before: int = 24,
    months_after: int = 12,
) -> Effect:
    """Estimate the effect of a past measure on the flows it targeted (PPML DiD).

    ``controls`` are the control partners; none of them may be a transit country of the
    leakage estimate (they receive diverted trade, which biases the effect away from zero).

    Raises
    ------
    NotCoveredError
        If the panel lacks the analogue's flows or post-period months.
    InvalidArgumentError
        If ``controls`` is empty or contains a documented transit route to Russia.
    """
    from belru_trade import geo as codes

    overlap = sorted(set(controls) - set(codes.russia_control_pool(controls)) - {"RU"})
    if analogue.target == "RU" and overlap:
        raise InvalidArgumentError(
            f"controls={list(controls)!r}: {overlap} are Eurasian Economic Union members or "
            "documented transit routes to Russia and cannot be DiD controls; use "
            "analogue_method='its' or control partners outside them"
        )
    if not list(controls):
        raise InvalidArgumentError("controls=(): the analogue DiD needs control partners")
    from belru_trade.models.hdfe.ppml import ALL_ZERO_GROUPS_DROPPED, ppml

    partners = [analogue.target, *controls]
    rows = select(panel, reporter=members, partner=partners, flow=analogue.flow, missing="drop")
    codes = select_codes(rows["product"], analogue.products)
    begin, end = analogue.start - months_before, analogue.start + (months_after - 1)
    rows = select(rows, product=codes, period=slice(begin, end))
    if rows.empty or not (rows["period"] >= analogue.start).any():
        raise NotCoveredError(
            f"analogue {analogue.name!r}: the panel has no {analogue.flow}s of "
            f"{list(analogue.products)} around {analogue.start}"
        )
    end = min(end, rows["period"].max())
    agg = rows.groupby(["product", "partner", "period"], as_index=False)["value"].sum()
    agg["treat"] = ((agg["partner"] == analogue.target) & (agg["period"] >= analogue.start)).astype(
        float
    )
    agg["pd"] = agg["product"] + "_" + agg["partner"]
    agg["pt"] = agg["product"] + "_" + agg["period"].astype(str)
    # all-zero product x partner groups are expected in a zero-filled analogue panel; any
    # other warning (separation by the treatment, few clusters) reaches the user
    with expected((SeparationWarning, ALL_ZERO_GROUPS_DROPPED)):
        try:
            fit = ppml("value ~ treat | pd + pt", data=agg, cluster="pd", drop_collinear=False)
        except SpecificationError as exc:
            raise NotCoveredError(
                f"analogue {analogue.name!r}: the panel's {analogue.flow}s of "
                f"{list(analogue.products)} to {'/'.join(controls)} do not identify its effect "
                f"({exc}); give elasticity= or another analogue"
            ) from exc
    return Effect(
        float(fit.params["treat"]),
        float(fit.std_errors["treat"]),
        f"analogue {analogue.name}: PPML DiD, {len(codes)} codes, {analogue.target} vs "
        f"{'/'.join(controls)}, {begin}..{end}",
        int(fit.nobs),
    )


def analogue_effect_its(
    panel: pd.DataFrame,
    analogue: Analogue,
    *,
    members: Sequence[str],
    months_before: int = 24,
    months_after: int = 12,
) -> Effect:
    """Estimate the analogue's effect by interrupted time series (:func:`bt.its`).

    The senders' monthly flow of the analogue's products with the target (summed; months
    without any row count as zero) is fitted by quasi-Poisson ITS with a level change at the
    start, no slope change, two Fourier harmonics and Newey-West errors; the level change is
    the log effect.
    """
    from belru_trade.models.its.estimator import its

    rows = select(
        panel, reporter=members, partner=analogue.target, flow=analogue.flow, missing="drop"
    )
    codes = select_codes(rows["product"], analogue.products)
    rows = select(rows, product=codes)
    begin, end = analogue.start - months_before, analogue.start + (months_after - 1)
    end = min(end, rows["period"].max()) if not rows.empty else end
    if rows.empty or end < analogue.start + 2:
        raise NotCoveredError(
            f"analogue {analogue.name!r}: too few {analogue.flow}s of "
            f"{list(analogue.products)} after {analogue.start} for an ITS"
        )
    months = pd.period_range(begin, end, freq="M")
    y = rows.groupby("period")["value"].sum().reindex(months, fill_value=0.0)
    fit = its(y, [str(analogue.start)], slope_change=False)
    row = fit.tidy().set_index("term").loc["level_change"]
    return Effect(
        float(row["estimate"]),
        float(row["std_error"]),
        f"analogue {analogue.name}: quasi-Poisson ITS level change, {len(codes)} codes, "
        f"{begin}..{end}",
        len(y),
    )


def combine_effects(effects: Sequence[Effect]) -> Effect:
    """Inverse-variance pooled effect of several analogues (fixed-effect meta-analysis)."""
    if len(effects) == 1:
        return effects[0]
    se = np.array([e.se for e in effects])
    if np.any(se <= 0):
        raise InvalidArgumentError("cannot pool analogue effects with zero standard errors")
    w = 1.0 / se**2
    est = float(np.sum(w * [e.log_ratio for e in effects]) / w.sum())
    source = "pooled (inverse variance): " + "; ".join(e.source for e in effects)
    return Effect(est, float(np.sqrt(1.0 / w.sum())), source, sum(e.nobs for e in effects))


def _monthly(rows: pd.DataFrame, months: pd.PeriodIndex) -> pd.Series:
    return rows.groupby("period")["value"].sum().reindex(months, fill_value=0.0)


def analogue_leakage(
    panel: pd.DataFrame,
    analogue: Analogue,
    *,
    members: Sequence[str],
    transit: Sequence[str] = TRANSIT,
    months_before: int = 24,
    months_after: int = 12,
    level: float = 0.95,
) -> tuple[float, float, str]:
    """Leakage share after an analogue measure from the diversion estimator (:func:`bt.diversion`).

    Flows summed over the senders: direct (senders -> target), senders -> each transit
    country, and transit country -> target (its reported exports, or the target's mirror
    imports); months without rows count as zero. Returns the share, a standard deviation
    derived from its interval (``(high - low) / (2 z)``) and a description.

    Raises
    ------
    NotCoveredError
        If the panel lacks the transit countries' flows to the target.
    """
    from belru_trade.models.diversion import diversion

    codes = select_codes(panel["product"], analogue.products)
    months = pd.period_range(
        analogue.start - months_before, analogue.start + (months_after - 1), freq="M"
    )
    rows = select(panel, product=codes, period=months, missing="drop")
    sent = select(rows, reporter=members, flow="export")
    direct = _monthly(select(sent, partner=analogue.target), months)
    to_t, t_to = {}, {}
    for t in transit:
        out = select(rows, reporter=t, partner=analogue.target)
        mirror = select(rows, reporter=analogue.target, partner=t, flow="import")
        out = select(out, flow="export") if not out.empty else mirror
        if out.empty:
            continue
        to_t[t] = _monthly(select(sent, partner=t), months)
        t_to[t] = _monthly(out, months)
    if not t_to:
        raise NotCoveredError(
            f"leakage='estimated': the panel has no flows of {list(analogue.products)} from the "
            f"transit countries {list(transit)} to {analogue.target}; give a share instead"
        )
    res = diversion(
        direct, pd.DataFrame(to_t), pd.DataFrame(t_to), ban=analogue.start, seasonality=None,
        level=level,
    )  # fmt: skip
    # bt.diversion expresses leakage as a share of the counterfactual direct flow; the
    # simulation needs it as a share of the lost direct flow
    lost = float(res.direct["lost"])
    if not lost > 0:
        raise NotCoveredError(f"analogue {analogue.name!r}: no direct loss to measure leakage")
    scale = float(res.direct["counterfactual"]) / lost
    z = stats.norm.ppf(0.5 + level / 2)
    low, high = res.share["low"] * scale, res.share["high"] * scale
    share = float(np.clip(res.share["estimate"] * scale, 0.0, 1.0))
    sd = float((high - low) / (2 * z))
    source = (
        f"diversion estimator on analogue {analogue.name} via {'/'.join(t_to)}: share of "
        f"the lost direct flow ({level:.0%} interval {low:.2f} to {high:.2f})"
    )
    return share, sd, source
