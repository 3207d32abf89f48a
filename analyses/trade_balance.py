"""Belgium-Russia goods trade: exports, imports, balance; concepts and published figures.

Reproduces the Comext community-concept totals in the embedded snapshot, measures what the
transport-mode extract (DS-1262527) misses without the Air, Post and Self-propulsion modes,
explains why the published 2017 figures differ, and tests for a break in March 2022 with an
interrupted time series.
"""

from __future__ import annotations

import pandas as pd
from belru_trade.analyses._common import (
    ITSRow,
    analysis_result,
    annual_sums,
    deflated,
    its_row,
    its_sensitivity,
    its_table,
    mark_dates,
    monthly_series,
    new_figure,
    plot_its,
)
from belru_trade.analyses._common.real_values import real_annual_table
from matplotlib.figure import Figure

import belru_trade as bt
from belru_trade.plotting import PALETTE, series_line
from belru_trade.report import PARTNER, REPORTER, AnalysisResult, DataRequirement, Ours
from belru_trade.report import AnalysisConfig as Config
from belru_trade.report import published_table as literature_table
from belru_trade.report.published import published_figures

#: position in the report
ORDER = 10
TITLE = "Trade balance: {reporter_name}-Russia goods trade by year and month"
QUESTION = (
    "How large were Belgium's goods exports to and imports from Russia by year and month, "
    "what was the balance, and why do the figures for 2017 (2.63/6.86 bn EUR published by ING, "
    "3.87/6.50 bn EUR summed from Comext by transport mode) disagree?"
)
DATA = (
    "Eurostat Comext DS-045409, community concept (goods entering or leaving Belgium, "
    "including quasi-transit), reporter = the EU member state, all transport modes: "
    "snapshot sources comext_total_exports (exports, monthly 2019-01..2024-08) and "
    "comext_totals (exports and imports, 2020-01..2022-11). Eurostat DS-1262527 by transport "
    "mode (snapshot comext_by_mode, 2015-01..2021-12): only six modes (sea, rail, road, inland "
    "waterway, fixed mechanism, unknown); Air, Post and Self-propulsion are missing. EUR, "
    "current prices. Reporter data (no mirror: Russian reports are not in the snapshot)."
)
METHOD = (
    "Sums of monthly values by calendar year (months present counted; partial years marked). "
    "The missing-mode gap is all-mode total minus six-mode sum for the years both cover. "
    "Euro values deflated month by month to EUR of 2021 (euro-area HICP, bt.deflate): real "
    "annual columns beside the nominal ones; the ITS runs on real values (nominal: a "
    "sensitivity row). Interrupted time series on the monthly series with a level and "
    "slope change at 2022-03 "
    "(first full month after the invasion of 2022-02-24 and the EU export bans of "
    "Reg. 2022/328), quasi-Poisson log link, Fourier seasonality (2 harmonics), Newey-West "
    "errors; the counterfactual continues the pre-2022 path."
)
CAVEATS = (
    "The 2014-08 break (Russian counter-sanctions, EU Reg. 833/2014) is not covered: the "
    "snapshot's Belgian monthly totals start in 2015-01 (by mode) and 2019-01 (all modes). "
    "To cover it: belru-trade fetch comext --reporter BE --partner RU --product TOTAL "
    "--freq M --start 2010-01 --end 2016-12",
    "Mirror statistics (Russia's reported trade with Belgium) are not in the snapshot; "
    "Russia stopped publishing detailed customs data in 2022.",
    "2022 in comext_totals covers January-November only; comext_total_exports was downloaded "
    "in 2024 and includes later revisions, so 2020-2022 exports differ slightly between the "
    "two extracts.",
    "The national concept attributed to the 2017 ING figures is inferred from their size "
    "(the note does not state it). A figure of 3.9 / 9.4 bn EUR for 2017 circulates without "
    "a source that could be located; it is not used.",
    "The 2017 all-mode totals are estimates: the six-mode sums scaled by the missing share "
    "measured in later years (a range, from the lowest and highest later share), not "
    "published figures.",
)

_TOTAL = ("TOTAL",)
REQUIRES = (
    DataRequirement(
        "all-mode total exports to the partner, monthly 2019-2024 (Comext)",
        "comext",
        ("comext_total_exports",),
        reporter=(REPORTER,),
        partner=(PARTNER,),
        product=_TOTAL,
        flow="export",
        start="2019-01",
        end="2024-08",
    ),
    DataRequirement(
        "all-mode total exports and imports, monthly 2020-2022 (Comext)",
        "comext",
        ("comext_totals",),
        reporter=(REPORTER,),
        partner=(PARTNER,),
        product=_TOTAL,
        start="2020-01",
        end="2022-11",
    ),
    DataRequirement(
        "six-mode total exports and imports, monthly 2015-2021 (Comext DS-1262527)",
        "comext",
        ("comext_by_mode",),
        reporter=(REPORTER,),
        partner=(PARTNER,),
        product=_TOTAL,
        start="2015-01",
        end="2021-12",
    ),
)

#: row names of the quoted 2017 figures and their ids in belru_trade/data/published_estimates.csv
PUBLISHED_2017 = (("ING Belgium economic note, 21 Jun 2018", "ing_2017_be_ru"),)


def _published_rows() -> list[dict]:
    """The quoted 2017 exports and imports with concept and citation (packaged table)."""
    table = published_figures()
    rows = []
    for name, key in PUBLISHED_2017:
        exports, imports = table.loc[f"{key}_exports"], table.loc[f"{key}_imports"]
        cite = ", ".join(
            part
            for part in (exports["publisher"], exports["title"], exports["date_published"],
                         exports["url"] or exports["note"])
            if part
        )  # fmt: skip
        rows.append({"figure": name, "exports (EUR bn)": float(exports["value"]),
                     "imports (EUR bn)": float(imports["value"]),
                     "concept": exports["concept"], "source": cite})  # fmt: skip
    return rows


#: real euro columns: EUR of this year, deflated month by month by the euro-area HICP
REAL = "EUR m of 2021, euro-area HICP"
_SERIES = (
    ("comext_total_exports", "export", "all modes (2024 download)"),
    ("comext_totals", "export", "all modes (2023 download)"),
    ("comext_totals", "import", "all modes (2023 download)"),
    ("comext_by_mode", "export", "six modes (no Air/Post/Self-propulsion)"),
    ("comext_by_mode", "import", "six modes (no Air/Post/Self-propulsion)"),
)


def _series(panel: pd.DataFrame, config: Config, source: str, flow: str) -> pd.Series:
    return monthly_series(
        panel,
        scale=1e6,
        source=source,
        flow=flow,
        reporter=config.reporter,
        partner=config.partner,
        product="TOTAL",
    )


def annual_table(panel: pd.DataFrame, config: Config) -> pd.DataFrame:
    """Annual exports and imports (EUR m) by extract, with months present and balance."""
    rows = [
        annual_sums(_series(panel, config, src, flow)).assign(source=src, flow=flow, modes=c)
        for src, flow, c in _SERIES
    ]
    long = pd.concat(rows, ignore_index=True)
    wide = long.pivot_table(
        index=["year", "source", "modes"], columns="flow", values=["sum", "months"]
    )
    out = pd.DataFrame(
        {
            "year": wide.index.get_level_values("year"),
            "extract": wide.index.get_level_values("source"),
            "transport modes": wide.index.get_level_values("modes"),
            "months": wide["months"].max(axis=1).astype(int).to_numpy(),
            "exports (EUR m)": wide["sum"].get("export", pd.Series(dtype=float)).to_numpy(),
        }
    )
    imports = wide["sum"].get("import")
    out["imports (EUR m)"] = imports.to_numpy() if imports is not None else float("nan")
    out["balance (EUR m)"] = out["exports (EUR m)"] - out["imports (EUR m)"]
    real = {(src, flow): _series(panel, config, src, flow) for src, flow, _ in _SERIES}
    out = out.merge(real_annual_table(real, REAL), on=["year", "extract"], how="left")
    return out.sort_values(["year", "extract"]).reset_index(drop=True)


def mode_gap_table(panel: pd.DataFrame, config: Config) -> pd.DataFrame:
    """All-mode totals vs the six-mode sum for full years both extracts cover."""
    rows = []
    pairs = (
        ("export", "comext_total_exports"),
        ("export", "comext_totals"),
        ("import", "comext_totals"),
    )
    for flow, source in pairs:
        full = annual_sums(_series(panel, config, source, flow)).set_index("year")
        part = annual_sums(_series(panel, config, "comext_by_mode", flow)).set_index("year")
        both = full.add_suffix("_all").join(part.add_suffix("_six"), how="inner")
        both = both[(both["months_all"] == 12) & (both["months_six"] == 12)]
        for year, row in both.iterrows():
            gap = row["sum_all"] - row["sum_six"]
            rows.append(
                {
                    "year": int(year),
                    "flow": flow,
                    "all-mode extract": source,
                    "all modes (EUR m)": row["sum_all"],
                    "six modes (EUR m)": row["sum_six"],
                    "missing Air/Post/Self-prop. (EUR m)": gap,
                    "missing share of all modes (%)": 100 * gap / row["sum_all"],
                }
            )
    return pd.DataFrame(rows)


def _share_range(gaps: pd.DataFrame, flow: str) -> tuple[float, float]:
    shares = gaps.loc[gaps["flow"] == flow, "missing share of all modes (%)"] / 100
    return float(shares.min()), float(shares.max())


def published_table(panel: pd.DataFrame, config: Config, gaps: pd.DataFrame) -> pd.DataFrame:
    """Published 2017 figures beside the snapshot's 2017 six-mode sums and all-mode estimates.

    The all-mode estimate divides the 2017 six-mode sum by (1 - missing share), with the
    missing share's smallest and largest values over the years both extracts cover.
    """
    six = {flow: _series(panel, config, "comext_by_mode", flow) for flow in ("export", "import")}
    six_2017 = {f: float(s[[p.year == 2017 for p in s.index]].sum()) / 1e3 for f, s in six.items()}
    rows = _published_rows()
    rows.append(
        {
            "figure": "Comext DS-1262527, sum of the six transport modes in the extract",
            "exports (EUR bn)": six_2017["export"],
            "imports (EUR bn)": six_2017["import"],
            "concept": "community concept, Air/Post/Self-propulsion missing, reporter",
            "source": "snapshot comext_by_mode (Eurostat DS-1262527)",
        }
    )
    low_e, high_e = _share_range(gaps, "export")
    low_i, high_i = _share_range(gaps, "import")
    for label, share_e, share_i in (("low", low_e, low_i), ("high", high_e, high_i)):
        rows.append({
            "figure": f"Estimated 2017 all-mode total ({label} missing share)",
            "exports (EUR bn)": six_2017["export"] / (1 - share_e),
            "imports (EUR bn)": six_2017["import"] / (1 - share_i),
            "concept": "community concept, all modes (six-mode sum scaled by the "
            f"{100 * share_e:.1f}% / {100 * share_i:.1f}% gap measured later)",
            "source": "this analysis (arithmetic on the snapshot)"})  # fmt: skip
    return pd.DataFrame(rows)


def _figure_monthly(panel: pd.DataFrame, config: Config) -> Figure:
    fig, ax = new_figure(height=4.4)
    styles = (
        ("comext_total_exports", "export", "exports, all modes", "primary", "-"),
        ("comext_totals", "import", "imports, all modes", "secondary", "-"),
        ("comext_by_mode", "export", "exports, six modes", "primary", ":"),
        ("comext_by_mode", "import", "imports, six modes", "secondary", ":"),
    )
    for source, flow, label, role, style in styles:
        series = _series(panel, config, source, flow)
        series_line(ax, series.index, series, role=role, style=style, label=label)
    ax.set_ylabel("EUR million per month")
    ax.set_xlabel("month")
    ax.set_title(f"{config.reporter} goods trade with {config.partner}, Comext community concept")
    mark_dates(ax, [("2022-02-24", "invasion / EU bans")])
    ax.legend(loc="upper left", fontsize=8)
    ax.grid(alpha=0.3)
    return fig


def _figure_gap(gaps: pd.DataFrame, published: pd.DataFrame) -> Figure:
    fig, (left, right) = new_figure(1, 2, height=4.0)
    view = gaps[gaps["all-mode extract"] == "comext_totals"]
    labels = [f"{flow}\n{year}" for year, flow in zip(view["year"], view["flow"], strict=True)]
    six = view["six modes (EUR m)"]
    left.bar(labels, six, color=PALETTE["muted"], label="six modes in extract")
    left.bar(labels, view["missing Air/Post/Self-prop. (EUR m)"], bottom=six,
             color=PALETTE["accent"], label="missing: Air, Post, Self-propulsion")  # fmt: skip
    left.set_ylabel("EUR million per year")
    left.set_title("All-mode total = six modes + missing modes")
    left.legend(fontsize=8)
    names = ["ING 2018", "Comext 6 modes", "est. all (low)", "est. all (high)"]
    x = range(len(published))
    for shift, flow, role in ((-0.2, "exports", "primary"), (0.2, "imports", "secondary")):
        right.bar([i + shift for i in x], published[f"{flow} (EUR bn)"], 0.4, label=flow,
                  color=PALETTE[role])  # fmt: skip
    right.set_xticks(list(x), names[: len(published)], rotation=20, fontsize=8)
    right.set_ylabel("EUR billion (2017)")
    right.set_title("Published 2017 figures vs Comext")
    right.legend(fontsize=8)
    return fig


def _findings(annual: pd.DataFrame, gaps: pd.DataFrame, published: pd.DataFrame) -> list[str]:
    def pick(year: int, source: str, column: str) -> float:
        row = annual[(annual["year"] == year) & (annual["extract"] == source)]
        return float(row[column].iloc[0]) if len(row) else float("nan")

    exports_2019 = pick(2019, "comext_total_exports", "exports (EUR m)")
    imports_2021 = pick(2021, "comext_totals", "imports (EUR m)")
    balance_2021 = pick(2021, "comext_totals", "balance (EUR m)")
    imp_gap = gaps[gaps["flow"] == "import"]
    exp_gap = gaps[(gaps["flow"] == "export") & (gaps["all-mode extract"] == "comext_totals")]
    return [
        f"Community concept, all modes: exports {exports_2019:,.1f} m EUR in 2019; imports "
        f"{imports_2021:,.1f} m EUR and balance {balance_2021:,.1f} m EUR in 2021 (deficit).",
        "The transport-mode extract misses Air, Post and Self-propulsion: "
        + "; ".join(
            f"{r.flow} {r.year}: {r._6:,.1f} m EUR = {r._7:.1f}% of all modes"
            for r in pd.concat([exp_gap, imp_gap]).itertuples()
        )
        + ". The import gap is large because Antwerp's rough diamonds arrive by air.",
        *_findings_2017(published),
    ]


def _findings_2017(published: pd.DataFrame) -> list[str]:
    """The 2017 estimate of the all-mode Comext totals and the ING figures (two findings)."""
    est = published[published["figure"].str.startswith("Estimated")]
    by_name = published.set_index("figure")
    columns = ["exports (EUR bn)", "imports (EUR bn)"]
    ing_e, ing_i = by_name.loc[PUBLISHED_2017[0][0], columns]
    six_e, six_i = by_name.loc[
        "Comext DS-1262527, sum of the six transport modes in the extract", columns
    ]
    est_lo, est_hi = est["imports (EUR bn)"].min(), est["imports (EUR bn)"].max()
    return [
        "2017, estimated (community concept, all transport modes): the six-mode Comext sums "
        f"are {six_e:.2f} / {six_i:.2f} bn EUR (exports / imports); scaled by the missing share "
        f"measured in later years they give an estimate of {est['exports (EUR bn)'].min():.2f} "
        f"to {est['exports (EUR bn)'].max():.2f} bn EUR of exports and {est_lo:.2f} to "
        f"{est_hi:.2f} bn EUR of imports (the range spans the lowest and highest later missing "
        "share).",
        f"The ING note ({ing_e:.2f} / {ing_i:.2f} bn EUR) is {100 * (1 - ing_e / six_e):.0f}% "
        f"below the six-mode Comext sum on exports and {100 * (1 - ing_i / est_lo):.0f}-"
        f"{100 * (1 - ing_i / est_hi):.0f}% below the estimated all-mode "
        "imports: the size fits the national concept of the National Bank of Belgium, which "
        "leaves out quasi-transit (goods cleared in Belgium for non-resident owners).",
    ]


def run(panel: pd.DataFrame, config: Config) -> AnalysisResult:
    """Annual and monthly Belgium-Russia trade, missing-mode gap, 2017 reconciliation, ITS."""
    annual = annual_table(panel, config)
    gaps = mode_gap_table(panel, config)
    published = published_table(panel, config, gaps)
    monthly = pd.DataFrame(
        {
            "exports, all modes (EUR m)": _series(panel, config, "comext_total_exports", "export"),
            "imports, all modes (EUR m)": _series(panel, config, "comext_totals", "import"),
            "exports, six modes (EUR m)": _series(panel, config, "comext_by_mode", "export"),
            "imports, six modes (EUR m)": _series(panel, config, "comext_by_mode", "import"),
        }
    ).sort_index()
    monthly.insert(0, "month", monthly.index.astype(str))
    tables = {
        "Annual trade by extract (EUR m)": annual,
        "Missing transport modes vs all-mode totals (EUR m)": gaps,
        "Published 2017 figures and their concepts (EUR bn)": published,
        "Monthly trade (EUR m)": monthly.reset_index(drop=True),
    }
    figures = {
        "Monthly exports and imports (EUR m)": _figure_monthly(panel, config),
        "Missing modes and 2017 figures": _figure_gap(gaps, published),
    }
    findings = _findings(annual, gaps, published)
    models: dict = {}
    its_tables, its_figures, its_findings = _its_part(panel, config, models)
    tables.update(its_tables)
    figures.update(its_figures)
    findings += its_findings
    exports = annual[annual["extract"] == "comext_total_exports"].set_index("year")
    exports_m = _series(panel, config, "comext_total_exports", "export") * 1e6
    tables["Sensitivity of the 2022-03 break in exports (one choice varied at a time)"] = (
        its_sensitivity(
            deflated(exports_m),
            "2022-03",
            SENSITIVITY | {"nominal values (no deflator)": {"series": exports_m}},
            unit=REAL,
            scale=1e6,
        )
    )
    tables["Compared with published estimates"] = literature(annual, published)
    headline = (
        f"Exports {exports.loc[2021, 'exports (EUR m)'] / 1e3:.2f} bn EUR (2021) -> "
        f"{exports.loc[2023, 'exports (EUR m)'] / 1e3:.2f} bn EUR (2023; "
        f"{exports.loc[2023, f'exports ({REAL})'] / 1e3:.2f} bn EUR of 2021, euro-area "
        "HICP); air/post modes miss "
        f"{gaps.loc[gaps['flow'] == 'import', 'missing share of all modes (%)'].mean():.0f}% "
        "of imports; the 2017 figures differ by concept and transport-mode coverage."
    )
    return analysis_result(
        __name__,
        headline=headline,
        findings=tuple(findings),
        tables=tables,
        figures=figures,
        models=models,
        config=config,
        controls={
            "reporter": (config.reporter,),
            "partner": (config.partner,),
            "comparison group: none (the counterfactual is the pre-2022 path)": (),
        },
    )


def _its_part(panel: pd.DataFrame, config: Config, models: dict) -> tuple:
    """ITS with a break at 2022-03 on all-mode monthly exports and imports."""
    specs = (
        ("exports, all modes", "comext_total_exports", "export"),
        ("imports, all modes", "comext_totals", "import"),
    )
    rows, fig_data = [], []
    for label, source, flow in specs:
        series = deflated(_series(panel, config, source, flow).rename(label) * 1e6)
        try:
            fit = bt.its(series, ["2022-03"], family="quasipoisson", errors="hac")
        except (bt.BelruTradeError, ValueError) as exc:  # e.g. confidential months (gaps)
            rows.append(ITSRow(series=label, unit="EUR m", note=f"not estimable: {exc}"))
            continue
        models[f"its {label}"] = fit
        row, cf = its_row(fit, label=label, unit="EUR m", scale=1e6, placebo=10)
        rows.append(row)
        fig_data.append((label, cf, fit.interventions))
    rows = [r.with_columns(before={"values": REAL}) for r in rows]
    table = its_table(rows)
    if not fig_data:
        return {"Interrupted time series at 2022-03 (95% intervals)": table}, {}, []
    fig, axes = new_figure(1, 2, height=4.0, width=11)
    axes[1].set_visible(len(fig_data) > 1)
    for ax, (label, cf, dates) in zip(axes, fig_data, strict=False):
        text = f"{config.reporter}-{config.partner} {label}"
        plot_its(ax, cf, dates, label=text, unit="EUR m of 2021")
        ax.set_xlabel("month")
    axes[0].legend(fontsize=7, loc="lower left")
    findings = [
        f"ITS at 2022-03, {r['series']}: level change {r['level change (%)']:.1f}% "
        f"[{r['level CI low (%)']:.1f}, {r['level CI high (%)']:.1f}]; effect in the last "
        f"month ({r['last month']}) {r['effect in last month (%)']:.1f}% "
        f"[{r['effect CI low (%)']:.1f}, {r['effect CI high (%)']:.1f}]; cumulative "
        f"counterfactual minus observed {r['cumulative counterfactual - observed (EUR m)']:,.0f}"
        f" EUR m of 2021 (euro-area HICP) [{r['cumulative CI low']:,.0f}, "
        f"{r['cumulative CI high']:,.0f}] over {r['post months']} months (negative = above "
        "the pre-2022 path)."
        for r in (row.record() for row in rows if row.estimable and row.relative)
    ]
    tables = {"Interrupted time series at 2022-03 (95% intervals)": table}
    figures = {"ITS at 2022-03 with counterfactual bands (EUR m of 2021, HICP)": fig}
    return tables, figures, findings


SENSITIVITY = {
    "baseline: all months from 2019-01, EUR of 2021 (euro-area HICP), quasi-Poisson, "
    "Newey-West errors": {},
    "pre-period from 2020-07 (after the COVID-19 dip)": {"start": "2020-07"},
    "model family: Poisson": {"family": "poisson"},
    "error model: model-based (no Newey-West correction)": {"errors": "model"},
}


def _value(annual: pd.DataFrame, extract: str, year: int, column: str) -> tuple[float, int]:
    row = annual[(annual["extract"] == extract) & (annual["year"] == year)]
    if row.empty:
        return float("nan"), 0
    return float(row.iloc[0][column]) / 1e3, int(row.iloc[0]["months"])


def literature(annual: pd.DataFrame, published: pd.DataFrame) -> pd.DataFrame:
    """Published Belgian totals beside the Comext sums (no sampling interval: totals)."""
    exp22, _ = _value(annual, "comext_total_exports", 2022, "exports (EUR m)")
    imp22, months = _value(annual, "comext_totals", 2022, "imports (EUR m)")
    six = published.set_index("figure").loc[
        "Comext DS-1262527, sum of the six transport modes in the extract"
    ]
    concept = "Comext community concept vs the national concept of the Belgian sources"
    ours = {
        "bfta_2022_exports": Ours(
            f"{exp22:.2f} EUR bn (Comext, all modes; a total, no interval)",
            point=exp22,
            reason=f"{concept}; within 10% counts as consistent",
        ),
        "bfta_2022_imports": Ours(
            f"{imp22:.2f} EUR bn ({months} months)",
            comparable=months == 12,
            point=imp22,
            reason=concept if months == 12 else "the Comext extract covers 2022-01..11 only",
        ),
    }
    for flow in ("exports", "imports"):
        ours[f"ing_2017_be_ru_{flow}"] = Ours(
            f"{six[f'{flow} (EUR bn)']:.2f} EUR bn (six transport modes)",
            comparable=False,
            reason=f"{concept}, and the extract lacks air, post and self-propulsion",
        )
    return literature_table("trade_balance", ours)
