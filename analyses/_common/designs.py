"""Event-study designs shared by the 2014-embargo analyses."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from belru_trade.analyses._common.shared import shared

import belru_trade as bt

if TYPE_CHECKING:
    from belru_trade.models.did.estimator import DiDResults

if TYPE_CHECKING:
    pass

__all__ = ["describe_event_study", "did_row", "origin_event_study"]


def origin_event_study(
    rows: pd.DataFrame,
    treated: Iterable[str],
    *,
    start: str,
    end: str,
    event: str,
    min_pre: float = 120.0,
    window: tuple[int, int] = (-12, 12),
    method: str = "twfe",
    missing: Iterable[tuple[str, pd.Period]] = (),
) -> DiDResults:
    """Event study across origins of flows to one destination (``bt.did``, PPML).

    Units are (reporter, product) flows, observed monthly in tonnes (``quantity / 1000``;
    absent months within a flow's range are zero). Treated flows are those of ``treated``
    reporters from ``event`` on; the others are controls. Fixed effects: flow and
    product x month (absorbing the destination's demand per product, e.g. the ruble's fall).
    Flows shipping less than ``min_pre`` tonnes over the pre-event months are left out.
    ``method`` is passed to ``bt.did`` ('twfe', 'imputation' or 'sunab'). ``missing``
    (reporter, month) pairs are months the reporter filed nothing: left out, not zeros.

    Returns
    -------
    DiDResults
    """
    treated = set(treated)
    months = pd.period_range(start, end, freq="M")
    sub = bt.panel.select(
        rows, missing="drop", column="quantity", period=slice(months[0], months[-1])
    )
    flows = sub.groupby(["reporter", "product", "period"], as_index=False)["quantity"].sum()
    pairs = flows[["reporter", "product"]].drop_duplicates()
    grid = pairs.merge(pd.DataFrame({"period": months}), how="cross")
    data = grid.merge(flows, how="left", on=["reporter", "product", "period"])
    data["t"] = data["quantity"].fillna(0.0) / 1e3
    gone = set(missing)
    if gone:
        keys = zip(data["reporter"], data["period"], strict=True)
        data = data[[k not in gone for k in keys]]
    first = pd.Period(event, freq="M")
    pre = data[data["period"] < first].groupby(["reporter", "product"])["t"].sum()
    keep = pre[pre >= min_pre].index
    data = data.set_index(["reporter", "product"]).loc[lambda x: x.index.isin(keep)]
    data = data.reset_index()
    data["treated"] = (data["reporter"].isin(treated) & (data["period"] >= first)).astype(int)
    return _event_study(data, window=window, method=method)


@shared(maxsize=8)
def _event_study(data: pd.DataFrame, *, window: tuple[int, int], method: str) -> DiDResults:
    """``bt.did`` on the flows x months grid (one fit per distinct grid in a run)."""
    import warnings

    from belru_trade.models.hdfe.ppml import ALL_ZERO_GROUPS_DROPPED

    with warnings.catch_warnings():
        # origin x heading pairs with no trade in a window are expected; other warnings
        # (separation by the treatment, few clusters for the pre-trend test) are shown
        warnings.filterwarnings("ignore", ALL_ZERO_GROUPS_DROPPED, bt.SeparationWarning)
        return bt.did(
            data,
            outcome="t",
            treatment="treated",
            unit=("reporter", "product"),
            destination="product",
            window=window,
            estimator="ppml",
            method=method,
        )


def did_row(result: DiDResults, label: str) -> dict:
    """Pooled effect and pre-trend test of an event study, for a report table."""
    att = result.att
    return {
        "series": label,
        "pooled effect (%)": 100 * (np.exp(att["estimate"]) - 1),
        "CI low (%)": 100 * (np.exp(att["conf_low"]) - 1),
        "CI high (%)": 100 * (np.exp(att["conf_high"]) - 1),
        "flows x months": int(result.nobs),
        "pre-trend Wald p-value": float(result.pretrend["p_value"]),
    } | _bounds(result)


def _bounds(result: DiDResults, mbar: float = 1.0) -> dict:
    """Relative-magnitude bounds on the average post effect (Rambachan & Roth 2023) with
    post-period deviations up to ``mbar`` times the largest pre-period step, in %."""
    try:
        table = result.sensitivity(mbar=(mbar,)).table
    except (bt.BelruTradeError, ValueError):
        return {}
    avg = table[(table["target"] == "average") & (table["mbar"] == mbar)]
    if avg.empty:
        return {}
    r = avg.iloc[0]
    return {
        "M": mbar,
        "bound low (%)": 100 * (np.exp(r["lower"]) - 1),
        "bound high (%)": 100 * (np.exp(r["upper"]) - 1),
    }


def describe_event_study(
    row: Mapping[str, Any] | pd.Series, label: str, *, alpha: float = 0.05
) -> str:
    """One finding on an event study: the pooled effect only when the pre-trend test does
    not reject; otherwise the rejection, with the pooled effect marked as not credible."""
    p = float(row["pre-trend Wald p-value"])
    effect = (
        f"pooled effect {row['pooled effect (%)']:.1f}% [{row['CI low (%)']:.1f}, "
        f"{row['CI high (%)']:.1f}]"
    )
    if p >= alpha:
        return f"Event study, {label}: {effect}; pre-trend Wald p = {p:.3f} (no rejection)."
    bounds = ""
    if "bound low (%)" in row and np.isfinite(row.get("bound low (%)", np.nan)):
        bounds = (
            f" Sensitivity bounds allowing post-period deviations from parallel trends up to "
            f"the largest pre-period one (M = {row['M']:g}): [{row['bound low (%)']:.1f}, "
            f"{row['bound high (%)']:.1f}]%."
        )
    return (
        f"Event study, {label}: the pre-trend test rejects parallel pre-trends (Wald p = "
        f"{p:.3g}), so the {effect} is not a credible causal estimate and is not used as a "
        f"headline.{bounds}"
    )


#: the event-study estimators of the sensitivity tables: method of ``bt.did`` -> row label
EVENT_STUDY_FAMILIES = {
    "twfe": "model family: event study, PPML with flow and product x month fixed effects "
    "(pooled post effect)",
    "imputation": "model family: event study, imputation estimator (Borusyak, Jaravel & "
    "Spiess 2024; pooled post effect)",
    "sunab": "model family: event study, interaction-weighted estimator (Sun & Abraham "
    "2021; pooled post effect)",
}


def event_study_sensitivity(
    table: pd.DataFrame,
    rows: pd.DataFrame,
    treated: Iterable[str],
    *,
    baseline: DiDResults | None = None,
    **design: Any,
) -> pd.DataFrame:
    """Add the event-study estimators as "model family" rows of a sensitivity table.

    ``table`` is a :func:`~belru_trade.analyses._common.sensitivity.contrast_sensitivity`
    table (first row: the baseline); ``rows``, ``treated`` and ``design`` (``start``, ``end``,
    ``event``, ``missing``) are passed to :func:`origin_event_study` once per method of
    :data:`EVENT_STUDY_FAMILIES` (``baseline``: an already fitted TWFE result). Each row has
    the pooled post effect exp(b) - 1 (%) with its 95% interval in the table's columns and
    the pre-trend test in ``estimand``; ``fragile`` is flagged again against the first row
    by the same rule (sign flip or loss of significance).
    """
    from belru_trade.analyses._common.sensitivity import flag_fragile

    est, low, high = (
        "difference in level change (%)",
        "difference CI low (%)",
        "difference CI high (%)",
    )
    out = []
    for method, label in EVENT_STUDY_FAMILIES.items():
        try:
            res = (
                baseline
                if method == "twfe" and baseline is not None
                else (origin_event_study(rows, treated, method=method, **design))
            )
        except (bt.BelruTradeError, ValueError, np.linalg.LinAlgError) as exc:
            out.append({"choice varied": label, est: np.nan, "note": str(exc)[:80]})
            continue
        r = did_row(res, label)
        out.append(
            {
                "choice varied": label,
                est: r["pooled effect (%)"],
                low: r["CI low (%)"],
                high: r["CI high (%)"],
                "p-value": float(res.att["p_value"]),
                "estimand": "pooled post effect of the event study; pre-trend Wald p = "
                f"{r['pre-trend Wald p-value']:.3g}",
            }
        )
    base = table.drop(columns=["fragile"], errors="ignore")
    if "estimand" not in base:
        base = base.assign(
            estimand="level change at the break, treated minus controls (comparative ITS)"
        )
    both = pd.concat([base, pd.DataFrame(out)], ignore_index=True)
    return flag_fragile(both, estimate=est, low=low, high=high)
