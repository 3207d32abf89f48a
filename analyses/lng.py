"""LNG imports of the reporter from Russia: volumes, values, Russia's share, the Yamal era.

Zeebrugge (Fluxys) became the transshipment hub for Yamal LNG in 2018; the EU's 14th
package banned transshipment of Russian LNG, applied at Zeebrugge from 2025-03-27.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
from belru_trade.analyses._common import (
    analysis_result,
    complete_months,
    its_row,
    its_sensitivity,
    its_table,
    mark_dates,
    monthly_series,
    new_figure,
    plot_its,
)

import belru_trade as bt
from belru_trade.plotting import series_line
from belru_trade.report import (
    PARTNER,
    REPORTER,
    AnalysisConfig,
    AnalysisResult,
    DataRequirement,
    Ours,
    published_table,
)
from belru_trade.trade.prices import price_index

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: position in the report
ORDER = 50
TITLE = "LNG: imports of liquefied natural gas from Russia into {reporter_name}"
QUESTION = (
    "How much LNG (HS 271111) did {reporter_name} import from Russia since 2008, in energy, "
    "tonnes and euros; what share of its LNG came from Russia in the Yamal era, counted as "
    "arrivals and as imports; and did arrivals change after the invasion of Ukraine "
    "(2022-03) and the 2025-03-27 transshipment ban (applied at Zeebrugge)?"
)
DATA = (
    "Eurostat energy statistics (nrg_ti_gasm, snapshot eurostat_energy): imports of LNG by "
    "partner in TJ, monthly 2008-01..2022-09 (the reporter's LNG rows; Belgium's from 2013). "
    "Eurostat Comext "
    "DS-045409 (snapshot comext_fossil): imports of 271111 by partner, EUR and kg, monthly "
    "2019-2021, community concept. CREA's combined Comtrade/Eurostat series (snapshot crea): "
    "imports from Russia, EUR and tonnes, 2016-01..2022-11. Customs data record LNG released "
    "for free circulation in the reporter; transshipped cargoes (customs warehouse) are mostly "
    "not recorded as imports. Two concepts of Russia's share follow: the share of LNG "
    "arrivals (energy statistics, TJ: every cargo unloaded, Yamal transshipment at Zeebrugge "
    "included) and the share of imports by value (Comext, EUR: goods declared for import)."
)
METHOD = (
    "Annual sums and Russia's share of the partner total (TJ, EUR and tonnes); euro values "
    "nominal and in EUR of 2021 (deflated month by month with the euro-area HICP, "
    "bt.deflate; shares are ratios of same-year values and need no deflator). Interrupted "
    "time series on Russia's monthly LNG deliveries (TJ) from the first Yamal-era delivery to "
    "2022-09, with a level and slope change at 2022-03, quasi-Poisson log link, Fourier "
    "seasonality (2 harmonics), Newey-West errors; the counterfactual continues the "
    "2019-2022 path."
)
CAVEATS = (
    "The snapshot ends in 2022: the 2024-06-25 14th package and the 2025-03-27 transshipment "
    "ban at Zeebrugge cannot be assessed offline (fetch command below).",
    "Transshipment (Yamal ice-class to conventional carriers) is largely invisible in customs "
    "imports; terminal and cargo-tracking data (Fluxys, FPS Economy, Kpler) would be needed.",
    "Sources disagree on the start: CREA/Comext record Russian cargoes from 2018 (first Yamal "
    "cargo at Zeebrugge on 2018-04-11), the energy statistics only from 2019.",
    "Absent months are 'not available' in Eurostat, not zero: a month in which the reporter "
    "filed no LNG row for any partner is missing. A month in which it filed rows for other "
    "partners but none for Russia is read as no Russian delivery (the statistics list the "
    "partners that delivered); the number of such months is given in the findings. Russia's "
    "share is computed over the partners reported in each year.",
)
_LNG = ("271111",)
#: LNG suppliers named in fetch commands (where the snapshot's all-partner rows are missing)
SUPPLIERS = ("RU", "QA", "US", "NO", "DZ", "NG", "EG", "AO", "TT", "PE", "GQ", "CM")
REQUIRES = (
    DataRequirement(
        "LNG imports by partner in TJ, monthly 2013-2022 (Eurostat energy statistics)",
        "comext",
        ("eurostat_energy",),
        reporter=(REPORTER,),
        product=_LNG,
        flow="import",
        start="2008-01",
        end="2022-09",
        fetch_partners=SUPPLIERS,
    ),
    DataRequirement(
        "LNG imports by partner in EUR and kg, monthly 2019-2021 (Comext)",
        "comext",
        ("comext_fossil",),
        reporter=(REPORTER,),
        product=_LNG,
        flow="import",
        start="2019-01",
        end="2021-12",
        fetch_partners=SUPPLIERS,
    ),
    DataRequirement(
        "LNG imports from the partner, EUR and tonnes, monthly 2016-2022 (CREA)",
        "comext",
        ("crea",),
        reporter=(REPORTER,),
        partner=(PARTNER,),
        product=_LNG,
        flow="import",
        start="2016-01",
        end="2022-11",
    ),
    DataRequirement(
        "LNG imports from the partner after the transshipment ban, 2023-2025 (Comext)",
        "comext",
        (),
        reporter=(REPORTER,),
        partner=(PARTNER,),
        product=_LNG,
        flow="import",
        start="2023-01",
        end="2025-12",
        optional=True,
    ),
)
_EVENTS = [
    ("2018-04-11", "first Yamal cargo"),
    ("2022-02-24", "invasion"),
]


#: base year of the real (deflated) euro columns: euro-area HICP, 2021 = 100
REAL_BASE = 2021


def _real(rows: pd.DataFrame) -> pd.Series:
    """Monthly EUR values in EUR of :data:`REAL_BASE` (euro-area HICP, ``bt.deflate``);
    NaN for months after the shipped index ends."""
    last = price_index("hicp_ea").index.max()
    periods = pd.PeriodIndex(rows["period"])
    covered = rows.loc[periods <= last, ["period", "value"]]
    real = bt.deflate(covered, "hicp_ea", base=REAL_BASE)["value"]
    return real.reindex(rows.index)


def _by_partner_year(
    panel: pd.DataFrame, config: AnalysisConfig, source: str, column: str, *, real: bool = False
) -> pd.DataFrame:
    rows = bt.panel.select(
        panel,
        source=source,
        reporter=config.reporter,
        product="271111",
        missing="drop",
        column=column,
    )
    rows = rows[~rows["partner"].str.startswith("EU")]
    values = _real(rows) if real else rows[column]
    years = pd.PeriodIndex(rows["period"]).year
    sums = values.groupby([years, rows["partner"]]).sum(min_count=1)
    if real:  # a year with a month after the index is not summed
        sums = sums.where(values.isna().groupby([years, rows["partner"]]).sum() == 0)
    return sums.unstack(level=-1)


def annual_table(panel: pd.DataFrame, config: AnalysisConfig) -> pd.DataFrame:
    """Imports from the partner by year: TJ, share of TJ, EUR m (nominal, and in EUR of
    :data:`REAL_BASE` deflated by the euro-area HICP), kt, share of EUR, unit values."""
    tj = _by_partner_year(panel, config, "eurostat_energy", "quantity")
    eur = _by_partner_year(panel, config, "comext_fossil", "value")
    eur_real = _by_partner_year(panel, config, "comext_fossil", "value", real=True)
    kg = _by_partner_year(panel, config, "comext_fossil", "quantity")
    crea = bt.panel.select(panel, source="crea", partner=config.partner)
    crea_years = pd.PeriodIndex(crea["period"]).year
    crea_y = crea.groupby(crea_years)[["value", "quantity"]].sum()
    crea_real = _real(crea.dropna(subset=["value"])) if crea["value"].notna().any() else None
    crea_y["real"] = (
        crea_real.groupby(crea_years[crea["value"].notna()]).sum(min_count=1)
        if crea_real is not None
        else float("nan")
    )
    years = sorted(set(tj.index) | set(crea_y.index) | set(eur.index))
    out = pd.DataFrame({"year": years}).set_index("year")
    p = config.partner
    out["from partner (TJ)"] = tj.get(p, pd.Series(dtype=float)).reindex(years)
    out["all partners (TJ)"] = tj.sum(axis=1, min_count=1).reindex(years)
    out["partner share of TJ (%)"] = 100 * out["from partner (TJ)"] / out["all partners (TJ)"]
    out["from partner, Comext (EUR m, nominal)"] = (
        eur.get(p, pd.Series(dtype=float)).reindex(years) / 1e6
    )
    out[f"from partner, Comext (EUR m of {REAL_BASE}, euro-area HICP)"] = (
        eur_real.get(p, pd.Series(dtype=float)).reindex(years) / 1e6
    )
    out["from partner, Comext (kt)"] = kg.get(p, pd.Series(dtype=float)).reindex(years) / 1e6
    out["partner share of EUR, Comext (%)"] = (
        100 * eur.get(p, pd.Series(dtype=float)) / eur.sum(axis=1, min_count=1)
    ).reindex(years)
    out["from partner, CREA (EUR m, nominal)"] = crea_y["value"].reindex(years) / 1e6
    out[f"from partner, CREA (EUR m of {REAL_BASE}, euro-area HICP)"] = (
        crea_y["real"].reindex(years) / 1e6
    )
    out["from partner, CREA (kt)"] = crea_y["quantity"].reindex(years) / 1e3
    out["unit value, CREA (EUR/t, nominal)"] = crea_y["value"].reindex(years) / crea_y["quantity"]
    out[f"unit value, CREA (EUR of {REAL_BASE} per t, euro-area HICP)"] = (
        crea_y["real"].reindex(years) / crea_y["quantity"]
    )
    return out.reset_index()


def _monthly_tj(panel: pd.DataFrame, config: AnalysisConfig) -> pd.Series:
    return monthly_series(
        panel,
        column="quantity",
        source="eurostat_energy",
        reporter=config.reporter,
        partner=config.partner,
        product="271111",
    )


def _filed_months(panel: pd.DataFrame, config: AnalysisConfig) -> set:
    """Months in which the reporter filed an LNG row for any partner (energy statistics)."""
    rows = bt.panel.select(
        panel,
        source="eurostat_energy",
        reporter=config.reporter,
        product="271111",
        missing="drop",
        column="quantity",
    )
    return set(pd.PeriodIndex(rows["period"]))


def concepts_table(annual: pd.DataFrame) -> pd.DataFrame:
    """Russia's share by year under the two concepts, side by side."""
    out = annual[["year"]].copy()
    out["share of LNG arrivals, energy statistics, TJ (%)"] = annual["partner share of TJ (%)"]
    out["share of LNG imports by value, Comext, EUR (%)"] = annual[
        "partner share of EUR, Comext (%)"
    ]
    keep = out.iloc[:, 1:].notna().any(axis=1)
    return out[keep].reset_index(drop=True)


def _figure_monthly(panel: pd.DataFrame, config: AnalysisConfig) -> Figure:
    fig, (top, bottom) = new_figure(2, 1, height=3.4)
    partner = _monthly_tj(panel, config)
    total = monthly_series(
        panel[~panel["partner"].str.startswith("EU")],
        column="quantity",
        source="eurostat_energy",
        reporter=config.reporter,
        product="271111",
    )
    series_line(top, total.index, total, role="muted", label="all partners")
    series_line(top, partner.index, partner, role="secondary", label=config.partner)
    top.set_ylabel("LNG imports (TJ per month)")
    top.set_title(f"{config.reporter} LNG imports (Eurostat energy statistics)")
    top.legend(fontsize=8, loc="upper left")
    mark_dates(top, _EVENTS)
    crea = monthly_series(
        panel, column="quantity", source="crea", partner=config.partner, scale=1e3
    )
    series_line(bottom, crea.index, crea, role="secondary", style="o-", markersize=3)
    bottom.set_ylabel(f"from {config.partner} (kt per month)")
    bottom.set_xlabel("month")
    bottom.set_title("Imports from the partner, CREA (Comtrade/Eurostat), tonnes")
    mark_dates(bottom, _EVENTS)
    for ax in (top, bottom):
        ax.grid(alpha=0.3)
    return fig


def _its_part(
    panel: pd.DataFrame, config: AnalysisConfig, models: dict
) -> tuple[pd.DataFrame, Figure] | None:
    series = _monthly_tj(panel, config)
    if series.empty:
        return None
    last = str(series.index.max())
    filed = _filed_months(panel, config)
    full = complete_months(series, str(series.index.min()), last)
    not_filed = [m for m in full.index if m not in filed]
    if not_filed:  # the reporter filed nothing: missing, not zero; keep the last run
        full = full.loc[max(not_filed) + 1 :]
    full = full.rename(f"LNG from {config.partner} (TJ)")
    fit = bt.its(full, ["2022-03"], family="quasipoisson", errors="hac")
    models["its lng TJ"] = fit
    row, cf = its_row(fit, label=str(full.name), unit="TJ", placebo=10)
    fig, ax = new_figure(height=4.0)
    plot_its(
        ax,
        cf,
        fit.interventions,
        label=f"{config.reporter} LNG imports from {config.partner}",
        unit="TJ per month",
    )
    ax.set_xlabel("month")
    ax.legend(fontsize=7, loc="upper left")
    return its_table([row]), fig


def run(panel: pd.DataFrame, config: AnalysisConfig) -> AnalysisResult:
    """Annual LNG imports from the partner, its share, the Yamal era and an ITS at 2022-03."""
    annual = annual_table(panel, config)
    models: dict = {}
    tables = {"LNG imports from the partner by year": annual}
    figures = {"Monthly LNG imports (TJ, kt)": _figure_monthly(panel, config)}
    its_part = _its_part(panel, config, models)
    findings = []
    by_year = annual.set_index("year")
    concepts = concepts_table(annual)
    tables["Russia's share under two concepts: arrivals (TJ) and imports (EUR)"] = concepts
    name = bt.codes.name(config.reporter)
    arrivals = concepts.dropna(subset=[concepts.columns[1]])
    value = concepts.dropna(subset=[concepts.columns[2]])
    if len(arrivals) or len(value):
        findings.append(
            f"Russia's share of LNG arriving in {name} (energy statistics, TJ; cargoes for "
            "transshipment included): "
            + (", ".join(f"{int(y)}: {v:.0f}%" for y, v in arrivals.iloc[:, :2].values) or "none")
            + " (2022 to September). Its share of LNG imports by value (Comext, EUR; goods "
            "declared for import): "
            + (", ".join(f"{int(y)}: {v:.0f}%" for y, v in value.iloc[:, [0, 2]].values) or "none")
            + "."
        )
    real_col = f"from partner, CREA (EUR m of {REAL_BASE}, euro-area HICP)"
    crea = by_year[["from partner, CREA (EUR m, nominal)", real_col, "from partner, CREA (kt)"]]
    crea = crea.dropna(subset=["from partner, CREA (EUR m, nominal)"])
    findings.append(
        f"Imports from Russia (CREA; EUR m nominal, in EUR of {REAL_BASE} deflated by the "
        "euro-area HICP, and kt): "
        + "; ".join(
            f"{y}: {r.iloc[0]:,.1f} m EUR ({r.iloc[1]:,.1f} m EUR of {REAL_BASE}) / "
            f"{r.iloc[2]:,.0f} kt"
            for y, r in crea.iterrows()
        )
        + ". The Yamal era starts with the first cargo at Zeebrugge on 2018-04-11."
    )
    headline = findings[0] if findings else "No Russian LNG recorded."
    if its_part is not None:
        table, fig = its_part
        tables["Interrupted time series at 2022-03 (95% intervals)"] = table
        figures["ITS at 2022-03 with counterfactual band (TJ)"] = fig
        r = table.iloc[0]
        findings.append(
            f"ITS at 2022-03 on monthly TJ from Russia: level change {r['level change (%)']:.1f}% "
            f"[{r['level CI low (%)']:.1f}, {r['level CI high (%)']:.1f}]; cumulative "
            f"counterfactual minus observed {r['cumulative counterfactual - observed (TJ)']:,.0f}"
            f" TJ [{r['cumulative CI low']:,.0f}, {r['cumulative CI high']:,.0f}] over "
            f"{r['post months']} months (negative = more than the pre-invasion path); placebo "
            f"p = {r['placebo p-value']:.2f}."
        )
    series = _its_series(panel, config)
    if series is not None:
        tables["Sensitivity of the 2022-03 break (one choice varied at a time)"] = its_sensitivity(
            series, "2022-03", SENSITIVITY, unit="TJ"
        )
    tables["Compared with published estimates"] = published(concepts)
    return analysis_result(
        __name__,
        headline=headline,
        findings=tuple(findings),
        tables=tables,
        figures=figures,
        models=models,
        caveats=(*CAVEATS, _zero_note(panel, config)),
        config=config,
        controls={
            "reporter": (config.reporter,),
            "partner": (config.partner,),
            "comparison group: none (the counterfactual is the 2019-2022 path)": (),
        },
    )


SENSITIVITY = {
    "baseline: from the first Russian delivery, quasi-Poisson, Newey-West errors": {},
    "pre-period from 2020-01 (first full Yamal year)": {"start": "2020-01"},
    "model family: Poisson": {"family": "poisson"},
    "error model: model-based (no Newey-West correction)": {"errors": "model"},
}


def _its_series(panel: pd.DataFrame, config: AnalysisConfig) -> pd.Series | None:
    series = _monthly_tj(panel, config)
    if series.empty:
        return None
    filed = _filed_months(panel, config)
    full = complete_months(series, str(series.index.min()), str(series.index.max()))
    not_filed = [m for m in full.index if m not in filed]
    return full.loc[max(not_filed) + 1 :] if not_filed else full


def _zero_note(panel: pd.DataFrame, config: AnalysisConfig) -> str:
    series = _monthly_tj(panel, config)
    if series.empty:
        return "No Russian LNG row in the energy statistics."
    filed = _filed_months(panel, config)
    window = pd.period_range(series.index.min(), series.index.max(), freq="M")
    zero = [str(m) for m in window if m not in series.index and m in filed]
    gaps = [str(m) for m in window if m not in filed]
    return (
        f"Between the first and last Russian delivery, {len(zero)} month(s) "
        f"({', '.join(zero) or 'none'}) have rows for other partners but none for Russia and "
        f"count as zero deliveries; {len(gaps)} month(s) without any filing are left out."
    )


def published(concepts: pd.DataFrame) -> pd.DataFrame:
    """FPS Economy's share of arrivals beside ours."""
    col = "share of LNG arrivals, energy statistics, TJ (%)"
    rows = concepts.dropna(subset=[col])
    last = rows.iloc[-1] if len(rows) else None
    text = (
        f"{last[col]:.0f}% of arrivals in {int(last['year'])} (to September); no interval "
        "(a ratio of totals)"
        if last is not None
        else "not estimated"
    )
    return published_table(
        "lng",
        {
            "fps_lng_arrivals_2023": Ours(
                text,
                comparable=False,
                reason="same concept (arrivals incl. transshipment) but the snapshot ends in "
                "2022-09; the published figure covers 2023-01..2023-11",
            )
        },
    )
