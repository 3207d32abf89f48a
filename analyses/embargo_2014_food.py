"""Russia's August 2014 food embargo across food groups: dairy, meat, fish.

The same comparative design as the milk analysis, for every embargoed food group in the
snapshot: origins under the embargo against origins never under it, per group, with the
lost volume.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
from belru_trade.analyses._common import (
    analysis_result,
    comtrade_exports_to,
    contrast_sensitivity,
    control_pools,
    describe_contrast,
    describe_event_study,
    did_row,
    embargo_2014_controls,
    embargo_2014_reporters,
    filing_requirement,
    fit_its_row,
    its_contrast,
    its_table,
    monthly_tonnes,
    new_figure,
    origin_event_study,
    plot_its,
    sensitivity_variants,
    without_earlier_bans,
)
from belru_trade.analyses._common.comtrade_filing import (
    FILING_CAVEAT,
    ComtradeFiling,
)
from belru_trade.analyses._common.counterfactuals import lost_rows, lost_text
from belru_trade.analyses._common.designs import event_study_sensitivity
from belru_trade.analyses._common.regular_pool import (
    POOL_CAVEAT,
    ControlPool,
    control_pool,
    pool_groups,
    pool_table,
)

import belru_trade as bt
from belru_trade.report import (
    PARTNER,
    REPORTER,
    AnalysisConfig,
    AnalysisResult,
    DataRequirement,
    Ours,
    published_table,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: position in the report
ORDER = 60
TITLE = "The 2014 food embargo: dairy, meat and fish exports to Russia"
QUESTION = (
    "By how much did Russia's August 2014 embargo cut exports to Russia of dairy, meat and "
    "fish from the embargoed origins (the EU, US, CA, AU, NO) relative to origins not under "
    "the embargo, and what volume did the embargoed origins and the reporter lose?"
)
DATA = (
    "UN Comtrade (legacy API, snapshot comtrade): every reporter's monthly exports to Russia, "
    "net weight in kg, 2010-01..2020-12, reporter data: dairy 0401-0406, meat 0201-0205, "
    "fish 0301-0305 (HS4 as reported). Treated: origins under the embargo in 2014-08 "
    "(bt.codes.embargo_origins). Controls: reporters never on the list, without the Eurasian "
    "Economic Union members and the documented transit routes to Russia (Belarus, Ukraine, KZ, "
    "AM, KG, TR, GE, AE and the EU28 aggregate row are left out). Flows under an earlier "
    "origin-specific Russian ban are left out: Lithuanian dairy (from 2013-10) and pork and "
    "live pigs from every origin (EU pork banned from 2014-01). Headline control pool: the "
    "controls that filed in every month 2012-01..2016-07; all controls, with their missing "
    "months, are a sensitivity row."
)
METHOD = (
    "Per food group and origin group: interrupted time series on monthly tonnes, "
    "2012-01..2016-07, level and slope change at 2014-08, quasi-Poisson log link, Fourier "
    "seasonality, Newey-West errors. Comparative ITS: the embargoed origins' level change "
    "minus the controls' (a difference in differences of log levels at the break), normal "
    "interval. Lost volume = cumulative counterfactual minus observed over 2014-08..2016-07 "
    "with 95% simulation intervals. Event study (bt.did, PPML): monthly tonnes of each origin x "
    "HS4 flow, 2013-01..2016-07, flow and product x month fixed effects, event times -12..12 "
    "relative to 2014-07 (end points binned), errors clustered by flow; pooled effect "
    "exp(b) - 1 and a Wald pre-trend test. "
    "Headline lost volume: control-based counterfactual (bt.comparative_counterfactual): the "
    "treated pre-period path moved by the never-embargoed controls' deviation from their "
    "own path, with AR(1) parametric-bootstrap intervals; the own-trend ITS lost volume is "
    "a sensitivity row."
)
CAVEATS = (
    FILING_CAVEAT,
    POOL_CAVEAT,
    "Reported volumes above 1,000 t and 20 times the largest monthly volume of the same "
    "series in any other year are treated as unit errors and excluded (listed in a table).",
    "Values (USD) exist for meat and fish only, so the comparison is in net weight.",
    "The ruble's collapse in late 2014 and Russia's import substitution policy hit all "
    "origins; the comparison nets them out only insofar as controls faced the same shocks.",
    "The event studies keep flows (origin x HS4 heading) shipping at least 120 t over "
    "2013-01..2014-07; small flows are left out. A significant pre-trend test means the "
    "controls are imperfect (e.g. anticipation, the 2014 ruble slide): read the pooled "
    "effect with the event-time plot.",
)
FOOD_GROUPS = {
    "dairy": ("0401", "0402", "0403", "0404", "0405", "0406"),
    "meat": ("0201", "0202", "0203", "0204", "0205"),
    "fish": ("0301", "0302", "0303", "0304", "0305"),
}
REQUIRES = (
    DataRequirement(
        "all reporters' monthly food exports (dairy, meat, fish) to the partner 2010-2020 "
        "(UN Comtrade)",
        "comtrade",
        ("comtrade",),
        must_have=(REPORTER,),
        partner=(PARTNER,),
        product=tuple(code for codes in FOOD_GROUPS.values() for code in codes),
        flow="export",
        start="2010-01",
        end="2020-12",
        fetch_reporters=embargo_2014_reporters(),
    ),
    filing_requirement(),
)
_BREAK = "2014-08"
_START = "2012-01"
_ES_START = "2013-01"
_END = "2016-07"
_ALL = "all controls, irregular months missing"  # lost-volume sensitivity row, not fitted


def prepare(panel: pd.DataFrame, config: AnalysisConfig) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Food export rows to the partner without unit-error spikes, and the spikes."""
    codes = {c for group in FOOD_GROUPS.values() for c in group}
    return comtrade_exports_to(panel, config.partner, codes)


def control_pools_by_food(rows: pd.DataFrame, filing: ComtradeFiling) -> dict[str, ControlPool]:
    """Per food group, the controls that filed in every month 2012-01..2016-07 (headline,
    unless fewer than 5 of them ship the group) and all controls (sensitivity)."""
    return {
        food: control_pool(
            rows,
            filing,
            embargo_2014_controls(),
            group=food,
            start=_START,
            end=_END,
            pre_end="2014-07",
            products=codes,
        )
        for food, codes in FOOD_GROUPS.items()
    }


def group_series(
    rows: pd.DataFrame,
    config: AnalysisConfig,
    filing: ComtradeFiling,
    pools: dict[str, ControlPool],
) -> dict[tuple[str, str], pd.Series]:
    """Monthly tonnes per (food group, origin group); NaN in months not observed (the
    reporters carrying more than 1% of the group's pre-period volume filed nothing). The
    controls are the food group's headline pool; ``_ALL`` is the full pool."""
    out = {}
    for food, codes in FOOD_GROUPS.items():
        origins = {
            "embargoed origins": bt.codes.embargo_origins(_BREAK),
            "non-embargoed origins": pools[food].headline,
            config.reporter: (config.reporter,),
            _ALL: pools[food].full,
        }
        for origin, reporters in origins.items():
            series = filing.group_tonnes(
                rows, reporters, _START, _END, pre_end="2014-07", products=codes
            )
            out[(food, origin)] = series.rename(f"{food}, {origin} (t)")
    return out


def fit_all(series: dict, models: dict) -> tuple[pd.DataFrame, dict]:
    """ITS per series; rows with the food and origin group, counterfactual tables."""
    rows, cfs = [], {}
    for (food, origin), y in series.items():
        if origin == _ALL:
            continue
        label = f"{food}: {origin}"
        fit, row, cf = fit_its_row(y, [_BREAK], label=origin, unit="t")
        row = row.with_columns(before={"food group": food})
        if fit is None:
            rows.append(row)
            continue
        models[label] = fit
        pre = float(y.loc[:"2014-07"].tail(12).mean())
        rows.append(row.with_columns(after={"pre-embargo mean (t per month)": pre}))
        cfs[(food, origin)] = cf
    return its_table(rows), cfs


def contrasts(models: dict, config: AnalysisConfig) -> pd.DataFrame:
    """Comparative ITS per food group: embargoed (and reporter) vs non-embargoed origins."""
    out = []
    for food in FOOD_GROUPS:
        control = models.get(f"{food}: non-embargoed origins")
        for treated in ("embargoed origins", config.reporter):
            fit = models.get(f"{food}: {treated}")
            if control is None or fit is None or fit.family != control.family:
                continue  # missing, or a Gaussian fallback fit (not on the log scale)
            out.append({"food group": food, "treated": treated} | its_contrast(fit, control))
    return pd.DataFrame(out)


def event_studies(
    rows: pd.DataFrame, models: dict, filing: ComtradeFiling
) -> tuple[pd.DataFrame, object]:
    """Event study per food group: embargoed vs non-embargoed origins, PPML."""
    embargoed = bt.codes.embargo_origins(_BREAK)
    sample = bt.panel.select(rows, reporter=embargoed | set(embargo_2014_controls()))
    out = []
    fig, axes = new_figure(1, len(FOOD_GROUPS), width=12, height=3.6)
    for ax, (food, codes) in zip(axes, FOOD_GROUPS.items(), strict=True):
        try:
            res = origin_event_study(
                bt.panel.select(sample, product=codes),
                embargoed,
                start=_ES_START,
                end=_END,
                event=_BREAK,
                missing=filing.missing,
            )
        except (bt.BelruTradeError, ValueError) as exc:
            out.append({"series": food, "note": f"not estimable: {exc}"})
            ax.set_visible(False)
            continue
        models[f"event study {food}"] = res
        out.append(did_row(res, food))
        res.plot(ax=ax)
        ax.set_title(f"{food}: p(pre-trend) = {res.pretrend['p_value']:.3f}", fontsize=10)
        ax.set_xlabel("months since 2014-08")
    return pd.DataFrame(out), fig


def _figure(cfs: dict) -> Figure:
    foods = list(FOOD_GROUPS)
    fig, axes = new_figure(len(foods), 2, width=11, height=2.9)
    for i, food in enumerate(foods):
        for j, origin in enumerate(("embargoed origins", "non-embargoed origins")):
            ax = axes[i, j]
            if (food, origin) in cfs:
                plot_its(
                    ax, cfs[(food, origin)], [_BREAK], label=f"{food}: {origin}", unit="t per month"
                )
            else:
                ax.set_visible(False)
    axes[0, 0].legend(fontsize=7, loc="upper left")
    fig.suptitle("Exports to Russia by food group: observed vs counterfactual")
    return fig


def _findings(lost: pd.DataFrame, table: pd.DataFrame, config: AnalysisConfig) -> list[str]:
    out = []
    for (food, origin), grp in lost.groupby(["food group", "series"], sort=False):
        parts = [
            f"{r['counterfactual']} {lost_text(r, 't')}"
            for r in grp.to_dict("records")
            if pd.notna(r["lost (t)"])
        ]
        if parts:
            out.append(f"{food}, {origin}: lost volume 2014-08..{_END}: " + "; ".join(parts) + ".")
    for _, r in table.iterrows():
        out.append(f"{r['food group']}, " + describe_contrast(r, p_value=False))
    return out


def run(panel: pd.DataFrame, config: AnalysisConfig) -> AnalysisResult:
    """Comparative ITS per food group with lost volumes."""
    rows, dropped = prepare(panel, config)
    rows, earlier = without_earlier_bans(rows, _START, _BREAK)
    filing = ComtradeFiling.from_panel(panel, config.partner)
    pools = control_pools_by_food(rows, filing)
    models: dict = {}
    series = group_series(rows, config, filing, pools)
    effects, cfs = fit_all(series, models)
    table = contrasts(models, config)
    lost = lost_volume(series, effects, config)
    studies, es_fig = event_studies(rows, models, filing)
    findings = _findings(lost, table, config)
    findings += [
        describe_event_study(r, r["series"])
        for _, r in studies.dropna(subset=["pooled effect (%)"]).iterrows()
    ]
    emb = table[table["treated"] == "embargoed origins"]
    headline = "Embargoed origins vs controls, change at 2014-08: " + "; ".join(
        f"{r['food group']} {r['difference in level change (%)']:.0f}% "
        f"[{r['difference CI low (%)']:.0f}, {r['difference CI high (%)']:.0f}]"
        for _, r in emb.iterrows()
    )
    return analysis_result(
        __name__,
        headline=headline,
        findings=tuple(findings),
        tables={
            "Comparative ITS per food group (95% intervals)": table,
            "Event study per food group, PPML (95% intervals)": studies,
            "Lost volume 2014-08.." + _END + ": control-based (headline) and own-trend ITS": lost,
            "Interrupted time series per food and origin group (95% intervals)": effects,
            "Excluded unit-error observations": dropped,
            "Flows left out: under an origin-specific Russian ban before 2014-08": earlier,
            "Months read as missing: reporters that filed nothing with the partner "
            "(2012-01.." + _END + ")": filing.table(_reporters(), _START, _END),
            "Control pools per food group: controls that filed in every month (headline) and "
            "all controls": pool_table(pools.values()),
            "Sensitivity of the comparative ITS and the event study (one choice varied at "
            "a time)": sensitivity(rows, filing, models, pools),
            "Compared with published estimates": published(table),
        },
        figures={
            "Food exports to Russia: observed vs counterfactual (t)": _figure(cfs),
            "Event studies: embargoed vs non-embargoed origins (log points)": es_fig,
        },
        models=models,
        config=config,
        controls=comparison_groups(config, pools),
        caveats=(*CAVEATS, *(p.note() for p in pools.values())),
        missing_months=filing.provenance(_reporters(), _START, _END),
    )


def _reporters() -> tuple[str, ...]:
    return tuple(sorted(bt.codes.embargo_origins(_BREAK) | set(embargo_2014_controls())))


def comparison_groups(
    config: AnalysisConfig, pools: dict[str, ControlPool]
) -> dict[str, tuple[str, ...]]:
    """The comparison groups of the analysis (ISO alpha-2 codes per group)."""
    return {
        "treated: origins under the embargo in 2014-08": tuple(bt.codes.embargo_origins(_BREAK)),
        **pool_groups(pools.values()),
        "left out: Belarus (leakage channel), Ukraine (embargoed from 2016)": ("BY", "UA"),
        "reporter": (config.reporter,),
    }


SENSITIVITY = sensitivity_variants()


def sensitivity(
    rows: pd.DataFrame, filing: ComtradeFiling, models: dict, by_food: dict[str, ControlPool]
) -> pd.DataFrame:
    """Comparative ITS per food group, one choice varied at a time (net weight), with the
    event-study estimators (PPML two-way FE, imputation, Sun-Abraham) as model-family rows."""
    embargoed = bt.codes.embargo_origins(_BREAK)
    out = []
    for food, codes in FOOD_GROUPS.items():
        pools = control_pools(by_food[food].headline)
        table = contrast_sensitivity(
            lambda start, codes=codes, **data: monthly_tonnes(
                rows, embargoed, start, _END, codes, filing=filing, **data
            ),
            lambda pool, start, codes=codes, pools=pools, **data: monthly_tonnes(
                rows, pools[pool], start, _END, codes, filing=filing, **data
            ),
            event=_BREAK,
            start=_START,
            variants=SENSITIVITY,
        )
        sample = rows[
            rows["reporter"].isin(embargoed | set(pools["all"])) & rows["product"].isin(codes)
        ]
        table = event_study_sensitivity(
            table,
            sample,
            embargoed,
            baseline=models.get(f"event study {food}"),
            start=_ES_START,
            end=_END,
            event=_BREAK,
            missing=filing.missing,
        )
        out.append(table.assign(**{"food group": food}))
    frame = pd.concat(out, ignore_index=True)
    return frame[["food group", *[c for c in frame.columns if c != "food group"]]]


def published(table: pd.DataFrame) -> pd.DataFrame:
    """Published figures beside the food-group results (none measures the same quantity)."""
    emb = table[table["treated"] == "embargoed origins"] if not table.empty else table
    text = (
        "; ".join(
            f"{r['food group']} {r['difference in level change (%)']:.0f}% "
            f"[{r['difference CI low (%)']:.0f}, {r['difference CI high (%)']:.0f}]"
            for _, r in emb.iterrows()
        )
        or "not estimated"
    )
    text = f"change in volume to Russia vs controls at 2014-08: {text}"
    return published_table(
        "embargo_2014_food",
        {
            "crozet_hinz_west": Ours(
                text,
                comparable=False,
                reason="a USD loss over all products from a gravity GE model; ours are "
                "relative volume changes of three embargoed food groups",
            ),
            "boulanger_income": Ours(
                text, comparable=False, reason="a welfare loss of Russia, not a trade change"
            ),
        },
    )


def lost_volume(series: dict, effects: pd.DataFrame, config: AnalysisConfig) -> pd.DataFrame:
    """Lost volume per food group of the embargoed origins and the reporter: counterfactual
    from the never-embargoed controls of the headline pool, with all controls (irregular
    months missing) and the own-trend ITS as sensitivity rows."""
    out = []
    key = "cumulative counterfactual - observed (t)"
    for food in FOOD_GROUPS:
        controls = series.get((food, "non-embargoed origins"))
        others = {f"control-based, {_ALL} (sensitivity)": series[(food, _ALL)]}
        for origin in ("embargoed origins", config.reporter):
            y = series.get((food, origin))
            if y is None or controls is None:
                continue
            own = effects[(effects["food group"] == food) & (effects["series"] == origin)]
            own_row = own.iloc[0].to_dict() if len(own) and pd.notna(own.iloc[0].get(key)) else None
            rows = lost_rows(y, controls, _BREAK, label=origin, unit="t", own_trend=own_row,
                             other_controls=others)  # fmt: skip
            out += [{"food group": food} | r for r in rows]
    return pd.DataFrame(out)
