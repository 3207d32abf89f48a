"""Dairy exports to Russia and the August 2014 embargo (HS 0401-0406).

Treated: the reporter and the other origins under Russia's food embargo (EU28, US, CA, AU,
NO from 2014-08-07); controls: origins never embargoed; leakage channel: Belarus.
"""

from __future__ import annotations

import pandas as pd
from belru_trade.analyses._common import (
    analysis_result,
    comtrade_exports_to,
    contrast_sensitivity,
    control_pools,
    describe_contrast,
    describe_event_study,
    describe_its,
    did_row,
    earlier_bans,
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
    regular_pool,
    sensitivity_variants,
    without_earlier_bans,
)
from belru_trade.analyses._common.comtrade_filing import (
    FILING_CAVEAT,
    ComtradeFiling,
)
from belru_trade.analyses._common.counterfactuals import lost_findings, lost_rows, lost_text
from belru_trade.analyses._common.designs import event_study_sensitivity
from belru_trade.analyses._common.regular_pool import POOL_CAVEAT, ControlPool, control_pool
from matplotlib.figure import Figure

import belru_trade as bt
from belru_trade.report import PARTNER, REPORTER, AnalysisConfig, AnalysisResult, DataRequirement
from belru_trade.report.published import Ours, published_table

#: position in the report
ORDER = 30
TITLE = "Milk and dairy: exports to Russia and the 2014 embargo"
QUESTION = (
    "What did Russia's August 2014 embargo do to the reporter's dairy exports to Russia "
    "(HS 0401-0406, by heading), to embargoed origins against non-embargoed ones, and did "
    "Belarus's dairy exports to Russia rise in their place? How much volume was lost?"
)
DATA = (
    "UN Comtrade (legacy API, snapshot comtrade): every reporter's monthly exports to Russia "
    "of dairy headings 0401-0406, net weight in kg (values are not in the extract), "
    "2010-01..2020-12, reporter data (not Russia's mirror imports). Treated: origins under "
    "the embargo in 2014-08 (bt.codes.embargo_origins: EU28 member states, US, CA, AU, NO). "
    "Controls: reporters never on the embargo list (e.g. AR, NZ, UY, CH, RS, JP), without "
    "the Eurasian Economic Union members and the documented transit routes to Russia (KZ, AM, "
    "KG, TR, GE, AE are left out); Belarus is analysed separately as the leakage channel; "
    "Ukraine (embargoed from 2016) and the EU28 aggregate row are left out. Lithuanian dairy, "
    "banned by Russia from October 2013, is left out of the treated flows. Headline control "
    "pool: the controls that filed in every month 2012-01..2016-07; all controls, with their "
    "missing months, are a sensitivity row."
)
METHOD = (
    "Interrupted time series on monthly volumes (tonnes), 2012-01..2016-07 (31 months before, "
    "24 after the ban), level and slope change at 2014-08, quasi-Poisson log link, Fourier "
    "seasonality, Newey-West errors. Comparative ITS: the embargoed origins' level change "
    "minus the controls' (difference in log levels = a difference-in-differences at the "
    "break). Lost volume = cumulative counterfactual minus observed, 2014-08..2016-07, with "
    "95% simulation intervals. Belarus's excess = observed minus counterfactual. Event study "
    "(bt.did, PPML): monthly tonnes of each origin x heading flow 2013-01..2016-07 (flows of "
    "at least 120 t before the ban), flow and heading x month fixed effects, event times "
    "-12..12 relative to 2014-07, errors clustered by flow. "
    "Headline lost volume: control-based counterfactual (bt.comparative_counterfactual): the "
    "treated pre-period path moved by the never-embargoed controls' deviation from their "
    "own path, with AR(1) parametric-bootstrap intervals; the own-trend ITS lost volume is "
    "a sensitivity row."
)
CAVEATS = (
    FILING_CAVEAT,
    POOL_CAVEAT,
    "Obvious unit errors are excluded: reported volumes above 1,000 t and 20 times the "
    "largest monthly volume of the same series in any other year (Estonia, January-March "
    "2014); they are listed in a table.",
    "Net weight adds up products of very different value (fresh milk, powder, cheese).",
    "Where the reporter's dairy went instead (destination shares 2011-2013 vs 2015-2017) needs the "
    "reporter's exports to every partner, which the snapshot lacks: the table appears once "
    "the Comext extract of the fetch command is in the local store.",
    "The estimates depend on the pre-period: starting in 2010 instead of 2012 extrapolates "
    "Belarus's steep 2010-2012 growth and turns its level change negative; 2012 is used so "
    "that the counterfactual rests on the two and a half years before the ban.",
    "The ruble's collapse in late 2014 hit all origins; the comparative ITS nets it out only "
    "insofar as the controls faced the same demand shock.",
)
_DAIRY = ("0401", "0402", "0403", "0404", "0405", "0406")
REQUIRES = (
    DataRequirement(
        "all reporters' monthly dairy exports to the partner 2010-2016 (UN Comtrade)",
        "comtrade",
        ("comtrade",),
        must_have=(REPORTER, "BY"),
        partner=(PARTNER,),
        product=_DAIRY,
        flow="export",
        start="2010-01",
        end="2020-12",
        fetch_reporters=embargo_2014_reporters(),
    ),
    filing_requirement(),
    DataRequirement(
        "the reporter's dairy exports to all destinations, annual 2011-2018 (Comext)",
        "comext",
        (),
        reporter=(REPORTER,),
        partner=("RU", "NL", "FR", "DE", "IT", "GB", "ES", "LT", "DZ", "CN", "SA", "US"),
        product=_DAIRY,
        flow="export",
        start="2011-01",
        end="2018-12",
        freq="A",
        optional=True,
    ),
)
_BREAK = "2014-08"
_START = "2012-01"
_END = "2016-07"
_ALL = "all controls, irregular months missing"  # lost-volume sensitivity row, not fitted


def prepare(
    panel: pd.DataFrame, config: AnalysisConfig, products: tuple[str, ...] = _DAIRY
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Dairy export rows to the partner (HS4) without unit-error spikes, and the spikes."""
    return comtrade_exports_to(panel, config.partner, products)


def pool(rows: pd.DataFrame, filing: ComtradeFiling) -> ControlPool:
    """The dairy control pools: the never-embargoed controls (never on the list, Ukraine
    neither) that filed in every month 2012-01..2016-07 (headline) and all of them."""
    controls = embargo_2014_controls()
    return control_pool(rows, filing, controls, group="dairy", start=_START, end=_END,
                        pre_end="2014-07")  # fmt: skip


def groups(
    rows: pd.DataFrame, config: AnalysisConfig, filing: ComtradeFiling, controls: ControlPool
) -> dict[str, pd.Series]:
    """Monthly tonnes: the reporter, embargoed origins, non-embargoed controls (headline
    pool), Belarus, and all controls; NaN in the months not observed (see
    :class:`ComtradeFiling`)."""
    origins = {
        config.reporter: (config.reporter,),
        "embargoed origins": tuple(bt.codes.embargo_origins(_BREAK)),
        "non-embargoed origins": controls.headline,
        "Belarus": ("BY",),
    }
    out = {
        label: filing.group_tonnes(rows, reporters, _START, _END, pre_end="2014-07").rename(label)
        for label, reporters in origins.items()
    }
    out[_ALL] = filing.group_tonnes(rows, controls.full, _START, _END, pre_end="2014-07")
    return out


def belarus_headings(rows: pd.DataFrame, filing: ComtradeFiling) -> dict[str, pd.Series]:
    """Belarus's monthly tonnes to the partner, one series per dairy heading (NaN in the
    months Belarus filed nothing)."""
    out = {}
    by = bt.panel.select(rows, reporter="BY")
    for product, sub in by.groupby("product"):
        label = f"Belarus {product}"
        out[label] = filing.reporter_tonnes(sub, "BY", _START, _END).rename(label)
    return out


def by_heading(rows: pd.DataFrame, reporter: str) -> pd.DataFrame:
    """The reporter's annual tonnes by heading."""
    own = bt.panel.select(rows, reporter=reporter)
    years = pd.PeriodIndex(own["period"]).year
    table = own.groupby([years, "product"])["quantity"].sum().unstack("product") / 1e3
    table.columns = [f"{c} (t)" for c in table.columns]
    table["total (t)"] = table.sum(axis=1)
    table.index.name = "year"
    return table.reset_index()


def fit_groups(series: dict[str, pd.Series], models: dict) -> tuple[pd.DataFrame, dict]:
    """ITS at 2014-08 on each group's monthly tonnes, 2010-01..2016-07."""
    rows, cfs = [], {}
    for label, full in series.items():
        y = full.loc[_START:_END].rename(f"{label} (t)")
        fit, row, cf = fit_its_row(y, [_BREAK], label=label, unit="t")
        if fit is None:
            rows.append(row)
            continue
        models[label] = fit
        pre = float(y.loc[:"2014-07"].tail(12).mean())
        rows.append(row.with_columns(after={"pre-embargo mean (t per month)": pre}))
        cfs[label] = cf
    return its_table(rows), cfs


def contrast_table(models: dict, config: AnalysisConfig) -> pd.DataFrame:
    """Comparative ITS: treated level change minus the controls'."""
    control = models.get("non-embargoed origins")
    rows = []
    for treated in (config.reporter, "embargoed origins", "Belarus"):
        if control is None or treated not in models:
            continue
        if models[treated].family != control.family:
            continue  # a Gaussian fallback fit is not on the log scale
        rows.append(
            {"treated": treated, "control": "non-embargoed origins"}
            | its_contrast(models[treated], control)
        )
    return pd.DataFrame(rows)


def event_study(
    rows: pd.DataFrame, config: AnalysisConfig, models: dict, filing: ComtradeFiling
) -> tuple[pd.DataFrame, Figure | None]:
    """Event study by origin x heading: embargoed vs non-embargoed origins (PPML)."""
    embargoed = bt.codes.embargo_origins(_BREAK)
    sample = bt.panel.select(rows, reporter=embargoed | set(embargo_2014_controls()))
    try:
        res = origin_event_study(
            sample, embargoed, start="2013-01", end=_END, event=_BREAK, missing=filing.missing
        )
    except (bt.BelruTradeError, ValueError) as exc:
        return pd.DataFrame([{"series": "dairy", "note": f"not estimable: {exc}"}]), None
    models["event study dairy"] = res
    fig, ax = new_figure(height=3.8)
    res.plot(ax=ax)
    ax.set_xlabel("months since 2014-08")
    return pd.DataFrame([did_row(res, "dairy, embargoed vs non-embargoed origins")]), fig


def destination_shares(panel: pd.DataFrame, config: AnalysisConfig) -> pd.DataFrame | None:
    """The reporter's dairy export destinations, shares before (2011-2013) and after
    (2015-2017) the ban, from the optional Comext extract in the local store; euro values
    nominal and in EUR of 2021 (euro-area HICP)."""
    rows = bt.panel.select(
        panel,
        reporter=config.reporter,
        flow="export",
        exclude={"source": "comtrade"},
        missing="drop",
    )
    rows = rows[rows["product"].str.startswith(_DAIRY)]
    if rows.empty:
        return None
    periods = pd.PeriodIndex(rows["period"])
    years = periods.year
    frame = pd.DataFrame({"period": periods, "value": rows["value"].to_numpy()}, index=rows.index)
    real = bt.deflate(frame, "hicp_ea", base=2021)["value"]
    windows = {"2011-2013": (2011, 2013), "2015-2017": (2015, 2017)}
    out = {}
    for label, (first, last) in windows.items():
        inside = (years >= first) & (years <= last)
        by_dest = rows[inside].groupby("partner")["value"].sum()
        n = last - first + 1
        out[f"{label} (EUR m per year, nominal)"] = by_dest / 1e6 / n
        out[f"{label} (EUR m of 2021 per year, euro-area HICP)"] = (
            real[inside].groupby(rows.loc[inside, "partner"]).sum() / 1e6 / n
        )
        out[f"{label} share (%)"] = 100 * by_dest / by_dest.sum()
    table = pd.DataFrame(out).fillna(0.0)
    table = table.sort_values("2011-2013 (EUR m per year, nominal)", ascending=False)
    table["change in share (pp)"] = table["2015-2017 share (%)"] - table["2011-2013 share (%)"]
    return table.rename_axis("destination").reset_index()


def _figure(cfs: dict) -> Figure:
    labels = list(cfs)
    fig, axes = new_figure(2, 2, width=11, height=3.0)
    for ax, label in zip(axes.ravel(), labels, strict=False):
        plot_its(ax, cfs[label], [_BREAK], label=f"{label}: dairy to Russia", unit="t per month")
    for ax in axes.ravel()[len(labels) :]:
        ax.set_visible(False)
    axes.ravel()[0].legend(fontsize=7, loc="upper left")
    return fig


def _findings(effects: pd.DataFrame, contrasts: pd.DataFrame, config: AnalysisConfig) -> list[str]:
    out = []
    key = "cumulative counterfactual - observed (t)"
    for _, r in effects.dropna(subset=[key]).iterrows():
        out.append(describe_its(r, "t"))
    for _, r in contrasts.iterrows():
        out.append(describe_contrast(r))
    return out


def run(panel: pd.DataFrame, config: AnalysisConfig) -> AnalysisResult:
    """Dairy to Russia: by heading, ITS per group, comparative ITS, Belarus leakage."""
    rows, dropped = prepare(panel, config)
    rows, earlier = without_earlier_bans(rows, _START, _BREAK)
    filing = ComtradeFiling.from_panel(panel, config.partner)
    controls = pool(rows, filing)
    series = groups(rows, config, filing, controls)
    models: dict = {}
    effects, cfs = fit_groups({k: v for k, v in series.items() if k != _ALL}, models)
    contrasts = contrast_table(models, config)
    study, study_fig = event_study(rows, config, models, filing)
    heading_models: dict = {}
    belarus, _ = fit_groups(belarus_headings(rows, filing), heading_models)
    models.update({f"its {k}": v for k, v in heading_models.items()})
    tables = {
        f"{config.reporter} dairy exports to {config.partner} by heading (t)": by_heading(
            rows, config.reporter
        ),
        "Interrupted time series at 2014-08 (95% intervals)": effects,
        "Comparative ITS: embargoed vs non-embargoed origins (95% intervals)": contrasts,
        "Event study, PPML: embargoed vs non-embargoed origins (95% intervals)": study,
        "Leakage channel: Belarus's dairy exports to Russia by heading, ITS (95% intervals)": (
            belarus
        ),
        "Excluded unit-error observations": dropped,
        "Flows left out: under an origin-specific Russian ban before 2014-08": earlier,
        f"Months read as missing: reporters that filed nothing with the partner "
        f"({_START}..{_END})": filing.table(_reporters(), _START, _END),
        "Control pools: controls that filed in every month (headline) and all controls": (
            regular_pool.pool_table([controls])
        ),
    }
    lost = lost_volume(series, effects, config)
    tables["Lost volume 2014-08.." + _END + ": control-based (headline) and own-trend ITS"] = lost
    tables[
        "Sensitivity of the comparative ITS and the event study (one choice varied at a time)"
    ] = sensitivity(rows, filing, models, controls)
    tables["Compared with published estimates"] = published(lost, config)
    shares = destination_shares(panel, config)
    if shares is not None:
        tables["Dairy export destinations before and after the ban (Comext, EUR)"] = shares
    figures = {"Dairy exports to Russia: observed vs counterfactual (t)": _figure(cfs)}
    if study_fig is not None:
        figures["Event study: embargoed vs non-embargoed origins (log points)"] = study_fig
        r = study.iloc[0]
        findings_es = [
            describe_event_study(r, "dairy (PPML, origin x heading flows, heading x month FE)")
        ]
    else:
        findings_es = []
    findings = (
        lost_findings(lost, f"2014-08..{_END}", "t")
        + _findings(effects, contrasts, config)
        + findings_es
    )
    findings += _findings(belarus, belarus.iloc[:0], config)
    return analysis_result(
        __name__,
        headline=_headline(lost, contrasts, config, controls.label) or (findings or ["-"])[0],
        findings=tuple(findings),
        tables=tables,
        figures=figures,
        models=models,
        config=config,
        controls=comparison_groups(config, controls),
        caveats=(*CAVEATS, controls.note()),
        missing_months=filing.provenance(_reporters(), _START, _END),
    )


def _reporters() -> tuple[str, ...]:
    return tuple(sorted(bt.codes.embargo_origins(_BREAK) | set(embargo_2014_controls()) | {"BY"}))


def comparison_groups(config: AnalysisConfig, controls: ControlPool) -> dict[str, tuple[str, ...]]:
    """The comparison groups of the analysis (ISO alpha-2 codes per group)."""
    return {
        "treated: origins under the embargo in 2014-08": tuple(bt.codes.embargo_origins(_BREAK)),
        **regular_pool.pool_groups([controls]),
        "left out of the treated dairy flows: origin banned before 2014-08": tuple(
            sorted(c for _, o, _ in earlier_bans(_START, _BREAK) if len(o) == 1 for c in o)
        ),
        "leakage channel": ("BY",),
        "reporter": (config.reporter,),
    }


SENSITIVITY = sensitivity_variants(
    {
        "pre-period from 2010-01": {"start": "2010-01"},
        "model family: Poisson (same mean model, no overdispersion)": {"family": "poisson"},
    }
)


def sensitivity(
    rows: pd.DataFrame, filing: ComtradeFiling, models: dict, controls: ControlPool
) -> pd.DataFrame:
    """Comparative ITS, embargoed origins vs controls, one choice varied at a time (net
    weight; nominal vs real does not apply to volumes), with the event-study estimators
    (PPML two-way FE, imputation, Sun-Abraham) as model-family rows."""
    embargoed = bt.codes.embargo_origins(_BREAK)
    pools = control_pools(controls.headline)
    table = contrast_sensitivity(
        lambda start, **data: monthly_tonnes(rows, embargoed, start, _END, filing=filing, **data),
        lambda pool, start, **data: monthly_tonnes(
            rows, pools[pool], start, _END, filing=filing, **data
        ),
        event=_BREAK,
        start=_START,
        variants=SENSITIVITY,
    )
    sample = rows[rows["reporter"].isin(embargoed | set(pools["all"]))]
    return event_study_sensitivity(
        table,
        sample,
        embargoed,
        baseline=models.get("event study dairy"),
        start="2013-01",
        end=_END,
        event=_BREAK,
        missing=filing.missing,
    )


def published(lost: pd.DataFrame, config: AnalysisConfig) -> pd.DataFrame:
    """Published figures beside the dairy results (none measures the same quantity)."""
    own = lost[lost["series"] == config.reporter].dropna(subset=["lost (t)"])
    text = (
        f"{config.reporter} dairy volume lost 2014-08..{_END} (control-based): "
        f"{lost_text(own.iloc[0].to_dict(), 't')}"
        if not own.empty
        else "not estimated"
    )
    return published_table(
        "milk",
        {
            "crozet_hinz_west": Ours(
                text,
                comparable=False,
                reason="all products of 37 countries in USD from a gravity GE model; ours is "
                "one reporter's dairy volume",
            ),
            "boulanger_income": Ours(
                text, comparable=False, reason="a welfare loss of Russia, not a trade volume"
            ),
        },
    )


def lost_volume(series: dict, effects: pd.DataFrame, config: AnalysisConfig) -> pd.DataFrame:
    """Lost dairy volume of the reporter and the embargoed origins: counterfactual from the
    never-embargoed controls of the headline pool, with all controls (irregular months
    missing) and the own-trend ITS as sensitivity rows."""
    controls = series["non-embargoed origins"].loc[_START:_END]
    others = {f"control-based, {_ALL} (sensitivity)": series[_ALL].loc[_START:_END]}
    out = []
    for label in (config.reporter, "embargoed origins"):
        own = effects[effects["series"] == label]
        key = "cumulative counterfactual - observed (t)"
        own_row = own.iloc[0].to_dict() if len(own) and pd.notna(own.iloc[0].get(key)) else None
        out += lost_rows(
            series[label].loc[_START:_END], controls, _BREAK, label=label, unit="t",
            own_trend=own_row, other_controls=others,
        )  # fmt: skip
    return pd.DataFrame(out)


def _headline(
    lost: pd.DataFrame, contrasts: pd.DataFrame, config: AnalysisConfig, controls: str
) -> str:
    own = lost[lost["series"] == config.reporter].dropna(subset=["lost (t)"])
    if own.empty:
        return ""
    head = own.iloc[0].to_dict()
    trend = own[own["counterfactual"].str.startswith("own-trend")].to_dict("records")
    text = (
        f"{config.reporter}: dairy exports to {config.partner} lost 2014-08..{_END}: "
        f"{lost_text(head, 't')} against {controls}"
    )
    if trend:
        text += f" (own-trend ITS, sensitivity: {lost_text(trend[0], 't')})"
    emb = contrasts[contrasts["treated"] == "embargoed origins"]
    if len(emb):
        r = emb.iloc[0]
        text += (
            f"; embargoed origins vs controls, level change "
            f"{r['difference in level change (%)']:.0f}% [{r['difference CI low (%)']:.0f}, "
            f"{r['difference CI high (%)']:.0f}]"
        )
    return text + "."
