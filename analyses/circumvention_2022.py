"""Exports of EU-sanctioned products to Russia and its neighbours after 2022-03.

Did exports of the products listed in Reg. 833/2014's annexes fall to Russia and rise to
Belarus, Kazakhstan, Armenia, Georgia, Kyrgyzstan and Uzbekistan after the 2022 packages?
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, cast

import numpy as np
import pandas as pd
from belru_trade.analyses._common import (
    analysis_result,
    complete_months,
    deflated,
    fit_its_row,
    its_table,
    new_figure,
    plot_its,
)

import belru_trade as bt
from belru_trade.report import (
    AnalysisConfig,
    AnalysisResult,
    DataRequirement,
    Ours,
    published_table,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: position in the report
ORDER = 70
TITLE = "Circumvention 2022: sanctioned-product exports to Russia and its neighbours"
QUESTION = (
    "After the export bans of March 2022, how much did the EU's and the reporter's exports of "
    "sanctioned products to Russia drop, and how much more than their pre-war path went to "
    "Belarus, Kazakhstan, Armenia, Georgia, Kyrgyzstan and Uzbekistan?"
)
DATA = (
    "Eurostat Comext DS-045409 (snapshot comext_sanctioned): EU27 member states' exports of "
    "the CN8 codes listed in the annexes of Reg. 833/2014 (consolidated 2022-10-07), monthly "
    "2020-01..2022-11, EUR, community concept, reporter data. Only the CN8 codes are summed "
    "(the HS4 codes of the extract overlap them and are left out). 'EU27' is the sum over the "
    "member states present each month."
)
METHOD = (
    "For each exporter (EU27, the reporter) and destination: interrupted time series on "
    "monthly values with a level and slope change at 2022-03, quasi-Poisson log link, Fourier "
    "seasonality (2 harmonics), Newey-West errors; the cumulative counterfactual minus observed "
    "over 2022-03..2022-11 is the drop (Russia) or, with the sign reversed, the excess "
    "(neighbours), with 95% simulation intervals. Leakage share = total excess to the "
    "leakage channels / drop to Russia. Belarus is not "
    "a channel: the EU mirrored its Russia export bans on Belarus from 2 March 2022 (Reg. "
    "2022/355), so its series is shown but not counted. Values are deflated to EUR of 2021 "
    "by the euro-area HICP (bt.deflate) so that the 2022 price surge does not count as "
    "excess exports; nominal values are a sensitivity row. The headline interval of the EU27 "
    "leakage share is a joint bootstrap over all flows (bt.joint_lost); the delta method "
    "treating the flows as independent is a sensitivity row."
)
CAVEATS = (
    "Excess exports to neighbours are an upper bound on circumvention: part is genuine "
    "demand (relocated firms, Russian demand met by local producers) and part may have been "
    "re-exported to Russia; mirror data (the neighbours' exports to Russia) are needed to "
    "trace it and are not in the snapshot.",
    "The product list is the annex list as consolidated in October 2022; products added "
    "later are not covered, and some listed products were banned only from later dates.",
    "Nine post-war months only; the counterfactual extrapolates a 2020-2021 path that "
    "includes the COVID-19 dip of spring 2020.",
    "Months with no row for a small exporter-destination pair are counted as zero.",
    "Cumulative intervals come from simulation without serial correlation of the outcome "
    "noise (see bt.its), so they are too narrow when errors are autocorrelated.",
)
NEIGHBOURS = ("BY", "KZ", "AM", "GE", "KG", "UZ")
#: the deflator of the headline values
DEFLATOR = "real, euro-area HICP, 2021 = 100"


def real_table(nominal: pd.DataFrame) -> pd.DataFrame:
    """The monthly table of :func:`series_table` in EUR of 2021 (deflated by the euro-area HICP).

    Each month's sum is deflated (the deflator varies by month only, so this equals summing
    deflated rows, without a deflated copy of the million annex rows). The consumer-price
    index is the deflator shipped with the package; an export price index of the annex
    products would be closer but is not available. It removes the general 2022 inflation
    from the 'excess' exports, not product-specific price rises.
    """
    return nominal.apply(deflated)


def with_joint_share(
    leakage: pd.DataFrame, wide: pd.DataFrame, config: AnalysisConfig
) -> pd.DataFrame:
    """Add the EU27 leakage share with a joint bootstrap over the flows (one draw moves all
    flows together, so the drop and the excess are not treated as independent)."""
    out = leakage.copy()
    for col in ("joint share (%)", "joint CI low (%)", "joint CI high (%)"):
        out[col] = float("nan")
    channels = [c for c in leakage_channels() if ("EU27", c) in wide.columns]
    if ("EU27", config.partner) not in wide.columns or not channels:
        return out
    start, end = str(wide.index.min()), str(wide.index.max())
    cols = [config.partner, *channels]
    flows = (
        pd.concat(
            [complete_months(wide[("EU27", c)].dropna(), start, end).rename(c) for c in cols],
            axis=1,
        )
        / 1e6
    )
    res = bt.joint_lost(flows, _BREAK, n_boot=499, seed=0)
    share = res.share(channels, config.partner)
    mask = out["exporter"] == "EU27"
    out.loc[mask, "joint share (%)"] = 100 * share["estimate"]
    out.loc[mask, "joint CI low (%)"] = 100 * share["conf_low"]
    out.loc[mask, "joint CI high (%)"] = 100 * share["conf_high"]
    return out


def leakage_channels(
    neighbours: Sequence[str] = NEIGHBOURS, break_: str = "2022-03"
) -> tuple[str, ...]:
    """The neighbours that count as leakage channels after ``break_``.

    A neighbour that is itself the destination of an EU export measure in force by the end
    of the break month (Belarus: Reg. 2022/355 of 2 March 2022, mirroring the Russia
    export bans) is not a channel: exports there fall under bans of their own.

    >>> leakage_channels()
    ('KZ', 'AM', 'GE', 'KG', 'UZ')
    """
    end = pd.Period(break_, freq="M").end_time
    frame = bt.events.load()
    export = frame[(frame["direction"] == "export") & (frame["in_force"] <= end)]
    banned = set().union(*(d for d in export["destinations"] if d)) - {"RU"}
    return tuple(n for n in neighbours if n not in banned)


def _annex_codes() -> tuple[str, ...]:
    """CN8 codes of the annex list as shipped in the snapshot (for the fetch command)."""
    rows = bt.load_snapshot("comext_sanctioned", reporter="BE", partner="RU")
    return tuple(sorted(c for c in rows["product"].unique() if len(c) == 8))


REQUIRES = (
    DataRequirement(
        "EU27 members' exports of Reg. 833/2014 annex products to RU and six neighbours, "
        "monthly 2020-2022 (Comext)",
        "comext",
        ("comext_sanctioned",),
        partner=("{partner}", *NEIGHBOURS),
        flow="export",
        start="2020-01",
        end="2022-11",
        fetch_reporters=tuple(sorted(bt.codes.group_members("EU27_2020"))),
        fetch_products=_annex_codes,
    ),
)
_BREAK = "2022-03"


def series_table(panel: pd.DataFrame, config: AnalysisConfig) -> pd.DataFrame:
    """Monthly exports (EUR) of CN8 annex products: columns (exporter, destination)."""
    rows = bt.panel.select(panel, source="comext_sanctioned", missing="drop")
    rows = rows[rows["product"].str.len() == 8]
    if config.products is not None:
        rows = rows[rows["product"].str.startswith(tuple(config.products))]
    eu = rows.groupby(["partner", "period"])["value"].sum().unstack("partner")
    own = bt.panel.select(rows, reporter=config.reporter)
    mine = own.groupby(["partner", "period"])["value"].sum().unstack("partner")
    eu.columns = pd.MultiIndex.from_product([["EU27"], eu.columns])
    mine.columns = pd.MultiIndex.from_product([[config.reporter], mine.columns])
    out = pd.concat([eu, mine], axis=1)
    out.index = pd.PeriodIndex(out.index)
    return out.sort_index()


def _fit_all(wide: pd.DataFrame, config: AnalysisConfig, models: dict) -> tuple[pd.DataFrame, dict]:
    rows, cfs = [], {}
    start, end = str(wide.index.min()), str(wide.index.max())
    for exporter in ("EU27", config.reporter):
        for dest in (config.partner, *NEIGHBOURS):
            if (exporter, dest) not in wide.columns:
                continue
            label = f"{exporter} -> {dest}"
            series = complete_months(wide[(exporter, dest)].dropna(), start, end).rename(label)
            fit, row, cf = fit_its_row(series, [_BREAK], label=label, unit="EUR m", scale=1e6)
            if fit is None:
                rows.append(row)
                continue
            models[f"its {label}"] = fit
            pre_war = float(series[series.index < pd.Period(_BREAK, "M")].mean() / 1e6)
            rows.append(row.with_columns(after={"pre-war mean (EUR m per month)": pre_war}))
            cfs[label] = cf
    return its_table(rows), cfs


def _ci_sd(low: float, high: float) -> float:
    return (high - low) / (2 * 1.959964)


def leakage_table(
    effects: pd.DataFrame, config: AnalysisConfig, channels: Sequence[str] | None = None
) -> pd.DataFrame:
    """Drop to the partner, excess to the leakage channels and the leakage share."""
    key = "cumulative counterfactual - observed (EUR m)"
    channels = leakage_channels() if channels is None else tuple(channels)
    names = [f"{e} -> {c}" for e in ("EU27", config.reporter) for c in channels]
    out = []
    for exporter in ("EU27", config.reporter):
        sub = effects[effects["series"].str.startswith(f"{exporter} ->")].set_index("series")
        target = f"{exporter} -> {config.partner}"
        if target not in sub.index or key not in sub.columns:
            continue
        lost = sub.loc[target]
        neigh = sub[sub.index.isin(names)].dropna(subset=[key])
        excess = -neigh[key].sum()
        sd_excess = math.sqrt(
            sum(
                _ci_sd(r["cumulative CI low"], r["cumulative CI high"]) ** 2
                for _, r in neigh.iterrows()
            )
        )
        sd_lost = _ci_sd(lost["cumulative CI low"], lost["cumulative CI high"])
        share = excess / lost[key]
        sd_share = (
            abs(share) * math.sqrt((sd_excess / excess) ** 2 + (sd_lost / lost[key]) ** 2)
            if excess
            else float("nan")
        )
        out.append(
            {
                "exporter": exporter,
                f"drop to {config.partner} 2022-03..end (EUR m)": lost[key],
                "drop CI low": lost["cumulative CI low"],
                "drop CI high": lost["cumulative CI high"],
                "channels": ", ".join(channels),
                "excess to the channels (EUR m)": excess,
                "excess CI low": excess - 1.959964 * sd_excess,
                "excess CI high": excess + 1.959964 * sd_excess,
                "leakage share (%)": 100 * share,
                "share CI low (%)": 100 * (share - 1.959964 * sd_share),
                "share CI high (%)": 100 * (share + 1.959964 * sd_share),
            }
        )
    return pd.DataFrame(out)


def _figure(cfs: dict, config: AnalysisConfig, exporter: str) -> Figure | None:
    labels = [k for k in cfs if k.startswith(f"{exporter} ->")]
    if not labels:
        return None
    ncols = 2
    nrows = int(np.ceil(len(labels) / ncols))
    fig, axes = new_figure(nrows, ncols, width=11, height=2.9)
    axes = np.atleast_1d(axes).ravel()
    for ax, label in zip(axes, labels, strict=False):
        plot_its(ax, cfs[label], [_BREAK], label=label, unit="EUR m per month")
    for ax in axes[len(labels) :]:
        ax.set_visible(False)
    axes[0].legend(fontsize=7, loc="lower left")
    fig.suptitle(f"{exporter} exports of sanctioned products: observed vs pre-war path")
    return fig


def run(panel: pd.DataFrame, config: AnalysisConfig) -> AnalysisResult:
    """ITS per exporter and destination, then drop, excess and leakage share."""
    nominal = series_table(panel, config)
    wide = real_table(nominal)
    models: dict = {}
    effects, cfs = _fit_all(wide, config, models)
    leakage = with_joint_share(leakage_table(effects, config), wide, config)
    years = cast(pd.PeriodIndex, nominal.index).year
    annual = (nominal.groupby(years).sum(min_count=1) / 1e6).T
    annual.columns = [f"{y} (EUR m{', Jan-Nov' if y == 2022 else ''})" for y in annual.columns]
    annual = annual.reset_index().rename(columns={"level_0": "exporter", "level_1": "to"})
    tables = {
        "Exports of sanctioned products by year (EUR m, nominal)": annual,
        f"Drop to Russia, excess to the channels, leakage share ({DEFLATOR}; 95% intervals)": (
            leakage
        ),
        f"Interrupted time series per exporter and destination ({DEFLATOR}; 95% intervals)": (
            effects
        ),
    }
    figures = {}
    for exporter in ("EU27", config.reporter):
        fig = _figure(cfs, config, exporter)
        if fig is not None:
            figures[f"{exporter}: observed vs counterfactual (EUR m of 2021)"] = fig
    findings = [
        f"{r['exporter']}, in EUR of 2021 ({DEFLATOR}): exports to {config.partner} fell by "
        f"{r[f'drop to {config.partner} 2022-03..end (EUR m)']:,.0f} m EUR "
        f"[{r['drop CI low']:,.0f}, {r['drop CI high']:,.0f}] below the pre-war path over "
        f"2022-03..{wide.index.max()}; exports to the leakage channels ({r['channels']}) "
        f"exceeded their path by {r['excess to the channels (EUR m)']:,.0f} m EUR "
        f"[{r['excess CI low']:,.0f}, "
        f"{r['excess CI high']:,.0f}], i.e. {r['leakage share (%)']:.1f}% "
        f"[{r['share CI low (%)']:.1f}, {r['share CI high (%)']:.1f}] of the drop (delta "
        "method)"
        + (
            f"; joint bootstrap over the flows: {r['joint share (%)']:.1f}% "
            f"[{r['joint CI low (%)']:.1f}, {r['joint CI high (%)']:.1f}]."
            if pd.notna(r["joint share (%)"])
            else "."
        )
        for _, r in leakage.iterrows()
    ]
    headline = _headline(leakage, config, str(wide.index.max())) or "No estimable series."
    tables["Sensitivity of the leakage share (one choice varied at a time)"] = sensitivity(
        wide, effects, leakage, config, nominal
    )
    tables["Compared with published estimates"] = published(leakage)
    return analysis_result(
        __name__,
        headline=headline,
        findings=tuple(findings),
        tables=tables,
        figures=figures,
        models=models,
        config=config,
        controls={
            "treated destination": (config.partner,),
            "leakage channels": leakage_channels(),
            "left out of the channels: under EU export bans itself from 2022-03-02": tuple(
                sorted(set(NEIGHBOURS) - set(leakage_channels()))
            ),
            "exporters: EU27 member states": tuple(bt.codes.group_members("EU27_2020")),
        },
    )


def _share_row(choice: str, leak: pd.DataFrame, *, joint: bool = False) -> dict:
    eu = leak[leak["exporter"] == "EU27"]
    if eu.empty:
        return {"choice varied": choice, "leakage share (%)": float("nan")}
    r = eu.iloc[0]
    keys = (
        ("joint share (%)", "joint CI low (%)", "joint CI high (%)")
        if joint
        else ("leakage share (%)", "share CI low (%)", "share CI high (%)")
    )
    return {
        "choice varied": choice,
        "leakage share (%)": r[keys[0]],
        "CI low (%)": r[keys[1]],
        "CI high (%)": r[keys[2]],
    }


def sensitivity(
    wide: pd.DataFrame,
    effects: pd.DataFrame,
    leakage: pd.DataFrame,
    config: AnalysisConfig,
    nominal: pd.DataFrame,
) -> pd.DataFrame:
    """EU27 leakage share under one changed choice at a time (fragile: loses significance or
    changes sign)."""
    rows = [
        _share_row(
            f"baseline: {DEFLATOR}, channels without Belarus, pre-period from 2020-01, "
            "joint bootstrap interval",
            leakage,
            joint=True,
        ),
        _share_row("error model: delta method treating the flows as independent", leakage),
    ]
    nominal_effects, _ = _fit_all(nominal, config, {})
    rows.append(
        _share_row(
            "nominal EUR instead of real (no deflation)",
            with_joint_share(leakage_table(nominal_effects, config), nominal, config),
            joint=True,
        )
    )
    rows.append(
        _share_row(
            "channels: all six neighbours, Belarus included (delta-method interval)",
            leakage_table(effects, config, channels=NEIGHBOURS),
        )
    )
    late = wide.loc["2021-01":]
    late_effects, _ = _fit_all(late, config, {})
    rows.append(
        _share_row(
            "pre-period from 2021-01 (no COVID-19 dip; delta-method interval)",
            leakage_table(late_effects, config),
        )
    )
    table = pd.DataFrame(rows)
    base = table.iloc[0]
    table["fragile"] = [
        "yes"
        if (r["CI low (%)"] <= 0 or (r["leakage share (%)"] > 0) != (base["leakage share (%)"] > 0))
        else "no"
        for _, r in table.iterrows()
    ]
    return table


def published(leakage: pd.DataFrame) -> pd.DataFrame:
    """The leakage share beside the published shares of the Eurasian flows."""
    eu = leakage[leakage["exporter"] == "EU27"]
    if eu.empty:
        return published_table("circumvention_2022", {})
    r = eu.iloc[0]
    text = (
        f"{r['joint share (%)']:.1f}% [{r['joint CI low (%)']:.1f}, "
        f"{r['joint CI high (%)']:.1f}] (EU27, {r['channels']}; EUR of 2021)"
    )
    reason = (
        "our share counts all excess exports of annex products to the channels (an upper "
        "bound on re-exports), against the EU27 drop only"
    )
    ours = {
        key: Ours(text, low=r["joint CI low (%)"], high=r["joint CI high (%)"], reason=reason)
        for key in ("chupilkin_offset", "javorcik_eurasian_flows")
    }
    return published_table("circumvention_2022", ours)


def _headline(leakage: pd.DataFrame, config: AnalysisConfig, last: str) -> str:
    eu = leakage[leakage["exporter"] == "EU27"]
    if eu.empty:
        return ""
    r = eu.iloc[0]
    return (
        f"EU27, EUR of 2021 (HICP-deflated), 2022-03..{last}: exports to {config.partner} "
        f"{r[f'drop to {config.partner} 2022-03..end (EUR m)']:,.0f} m below the pre-war path "
        f"[{r['drop CI low']:,.0f}, {r['drop CI high']:,.0f}]; excess to {r['channels']} "
        f"{r['excess to the channels (EUR m)']:,.0f} m; leakage share "
        f"{r['joint share (%)']:.1f}% [{r['joint CI low (%)']:.1f}, "
        f"{r['joint CI high (%)']:.1f}] (joint bootstrap)."
    )
