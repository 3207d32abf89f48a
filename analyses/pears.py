"""Belgian pear exports to Russia, the 2014 embargo, and leakage via Lithuania and Belarus.

The embedded snapshot has no pear data: this analysis runs only once the local store holds
the Comext extract named in ``REQUIRES`` (``belru-trade fetch comext ...``).
"""

from __future__ import annotations

import pandas as pd
from belru_trade.analyses._common import (
    ITSRow,
    analysis_result,
    complete_months,
    fit_its_row,
    its_table,
    new_figure,
    plot_its,
)

import belru_trade as bt
from belru_trade.report import PARTNER, REPORTER, AnalysisResult, DataRequirement

#: position in the report
ORDER = 20
TITLE = "Pears: exports of {reporter_name} to Russia and the 2014 embargo"
QUESTION = (
    "What did Russia's August 2014 embargo do to the pear exports of {reporter_name} to "
    "Russia (HS 080830; 080820 before HS2012), in tonnes and euros, and how much of the lost "
    "trade reappeared as extra exports to Lithuania and Belarus (the leakage route reported "
    "by the press)?"
)
DATA = (
    "Eurostat Comext DS-045409 from the local store: the reporter's monthly exports of pears "
    "to Russia and to other destinations (EUR and kg), 2010-01..2018-12, community concept, "
    "reporter data. HS2007 080820 (pears and quinces) until 2011, HS2012 080830 (pears) from "
    "2012 (bt.products.sector('pears', period)). Optional: Lithuania's pear exports to "
    "Belarus and Russia (Comext) and Russia's pear imports from Belarus (UN Comtrade, mirror)."
)
METHOD = (
    "Interrupted time series on monthly tonnes and EUR to Russia, 2010-01..2016-07, level "
    "and slope change at 2014-08, quasi-Poisson log link, Fourier seasonality, Newey-West "
    "errors; lost volume and value = cumulative counterfactual minus observed. Leakage: the "
    "same ITS on exports to Lithuania and Belarus, whose excess over their pre-embargo path "
    "(observed minus counterfactual) is compared with the volume lost to Russia. Synthetic "
    "control (bt.synth): tonnes to Russia against a convex combination of tonnes to other "
    "destinations (DE, FR, NL, GB, SE, CZ, IT, ES, PL; not LT, LV, BY), in-space placebos. "
    "When trade stops entirely a Gaussian level model replaces the quasi-Poisson one. With "
    "Russia's mirror imports from Lithuania and Belarus in the store, bt.diversion compares "
    "the excess of BE -> LT/BY and of LT/BY -> RU over their pre-embargo trends "
    "(2012-01..2014-07) and gives the leakage share of the lost direct flow."
)
CAVEATS = (
    "Pre-2012 figures (080820) include quinces.",
    "Extra exports to Lithuania are an upper bound on leakage: Lithuanian demand and other "
    "re-export destinations also absorb them; tracing the route needs Lithuania's exports to "
    "Belarus and Russia's imports from Belarus (optional fetch commands).",
    "Press figures for comparison (secondary reports): 'almost half' of the Belgian and "
    "Dutch pear trade with Russia, about 70,000 t a year, still reached Russia via "
    "Lithuania and Belarus (de Volkskrant investigation, 2018, reported by NU.nl).",
)
_PEARS = ("080830", "080820")
DESTINATIONS = ("RU", "LT", "BY", "LV", "PL", "DE", "FR", "NL", "GB", "SE", "CZ", "IT", "ES")
REQUIRES = (
    DataRequirement(
        "the reporter's monthly pear exports to Russia and other destinations, 2010-2018 (Comext)",
        "comext",
        (),
        reporter=REPORTER,
        partner=(PARTNER, *DESTINATIONS),
        product=_PEARS,
        flow="export",
        start="2010-01",
        end="2018-12",
        overridable=True,
    ),
    DataRequirement(
        "Lithuania's monthly pear exports to Belarus and Russia, 2012-2018 (Comext)",
        "comext",
        (),
        reporter=("LT",),
        partner=("BY", "RU"),
        product=("080830",),
        flow="export",
        start="2012-01",
        end="2018-12",
        optional=True,
    ),
    DataRequirement(
        "Russia's monthly pear imports from Belarus and Lithuania, 2012-2018 (UN Comtrade, mirror)",
        "comtrade",
        (),
        reporter=("RU",),
        partner=("BY", "LT"),
        product=("080830",),
        flow="import",
        start="2012-01",
        end="2018-12",
        optional=True,
    ),
)
_BREAK = "2014-08"
_END = "2016-07"


def pear_rows(
    panel: pd.DataFrame, reporter: str, flow: str = "export", products=None
) -> pd.DataFrame:
    """Rows of pear codes valid in their period (080820 before 2012, 080830 after).

    With ``products`` (the configuration's product override) those codes are used in
    every period instead.
    """
    rows = bt.panel.select(panel, reporter=reporter, flow=flow)
    if products:
        return rows[rows["product"].str.startswith(tuple(products))]
    years = pd.PeriodIndex(rows["period"]).year
    old = rows["product"].str.startswith("080820") & (years < 2012)
    new = rows["product"].str.startswith("080830") & (years >= 2012)
    return rows[old | new]


def destination_table(rows: pd.DataFrame) -> pd.DataFrame:
    """Annual tonnes and EUR m by destination."""
    years = pd.PeriodIndex(rows["period"]).year
    grouped = rows.groupby([years, "partner"])[["quantity", "value"]].sum(min_count=1)
    grouped["quantity"] /= 1e6
    grouped["value"] /= 1e6
    table = grouped.rename(columns={"quantity": "kt", "value": "EUR m"}).unstack("partner")
    table.columns = [f"{dest} ({unit})" for unit, dest in table.columns]
    table.index.name = "year"
    return table.reset_index()


def _series(rows: pd.DataFrame, partner: str, column: str, scale: float) -> pd.Series:
    series = bt.panel.series(rows, partner=partner, column=column, scale=scale)
    return complete_months(series, "2010-01", _END)


def fit_series(rows: pd.DataFrame, config, models: dict) -> tuple[list[ITSRow], dict]:
    """ITS on tonnes and EUR to the partner, and tonnes to Lithuania and Belarus."""
    specs = [
        (config.partner, "quantity", 1e3, "t"),
        (config.partner, "value", 1e6, "EUR m"),
        ("LT", "quantity", 1e3, "t"),
        ("BY", "quantity", 1e3, "t"),
    ]
    out, cfs = [], {}
    for partner, column, scale, unit in specs:
        label = f"{config.reporter} -> {partner} ({unit})"
        y = _series(rows, partner, column, scale).rename(label)
        fit, row, cf = fit_its_row(y, [_BREAK], label=label, unit=unit, placebo=10)
        if fit is None:
            out.append(row)
            continue
        models[label] = fit
        out.append(row)
        cfs[label] = (cf, unit)
    return out, cfs


def leakage_table(effects: pd.DataFrame, config) -> pd.DataFrame:
    """Lost tonnes to the partner vs excess tonnes to Lithuania and Belarus."""
    key = "cumulative counterfactual - observed (t)"
    if key not in effects:
        return pd.DataFrame()
    table = effects.dropna(subset=[key]).set_index("series")
    lost_label = f"{config.reporter} -> {config.partner} (t)"
    if lost_label not in table.index:
        return pd.DataFrame()
    lost = table.loc[lost_label, key]
    rows = []
    for dest in ("LT", "BY"):
        label = f"{config.reporter} -> {dest} (t)"
        if label not in table.index:
            continue
        r = table.loc[label]
        rows.append(
            {
                "route": dest,
                f"lost to {config.partner} 2014-08..{_END} (t)": lost,
                "excess to route (t)": -r[key],
                "excess CI low (t)": -r["cumulative CI high"],
                "excess CI high (t)": -r["cumulative CI low"],
                "excess / lost (%)": 100 * -r[key] / lost if lost else float("nan"),
            }
        )
    return pd.DataFrame(rows)


_DONORS = ("DE", "FR", "NL", "GB", "SE", "CZ", "IT", "ES", "PL")


def synth_part(rows: pd.DataFrame, config, models: dict):
    """Synthetic control of tonnes to the partner from tonnes to other destinations.

    Lithuania, Latvia and Belarus (possible leakage routes) are left out of the donor pool.
    Returns ``(summary table, weights table, figure)`` or None when fewer than two donors
    have data.
    """
    wide = {
        dest: _series(rows, dest, "quantity", 1e3)
        for dest in (config.partner, *_DONORS)
        if (rows["partner"] == dest).any()
    }
    donors = [d for d in wide if d != config.partner]
    if config.partner not in wide or len(donors) < 2:
        return None
    data = pd.DataFrame(wide)
    fit = bt.synth(data, config.partner, _BREAK, donors=donors)
    models["synth"] = fit
    tidy = (
        fit.tidy()
        .rename(
            columns={
                "estimate": "average gap (t per month)",
                "relative": "gap / synthetic",
                "cumulative_gap": f"cumulative gap {_BREAK}..{_END} (t)",
                "pre_rmspe": "pre RMSPE (t)",
                "post_rmspe": "post RMSPE (t)",
                "rmspe_ratio": "RMSPE ratio",
                "p_value": "placebo p-value",
            }
        )
        .drop(columns="term")
    )
    weights = fit.weights.rename("weight").rename_axis("donor destination").reset_index()
    fig, (left, right) = new_figure(1, 2, width=11, height=3.6)
    fit.plot(kind="paths", unit="t per month", ax=left)
    fit.plot(kind="gap", unit="t per month", ax=right)
    return tidy, weights[weights["weight"] > 1e-4], fig


def diversion_part(panel: pd.DataFrame, rows: pd.DataFrame, config, models: dict):
    """bt.diversion: BE -> LT/BY excess against the partner's mirror imports from LT/BY.

    Needs the optional mirror data (the partner's pear imports from LT and BY); returns
    ``(transit table, share table, figure)`` or None without them.
    """
    mirror = pear_rows(panel, config.partner, flow="import")
    transit = [t for t in ("LT", "BY") if (mirror["partner"] == t).any()]
    transit = [t for t in transit if (rows["partner"] == t).any()]
    if not transit or not (rows["partner"] == config.partner).any():
        return None
    window = slice("2012-01", _END)
    direct = _series(rows, config.partner, "quantity", 1e3).loc[window]
    ins = pd.DataFrame({t: _series(rows, t, "quantity", 1e3).loc[window] for t in transit})
    outs = pd.DataFrame({t: _series(mirror, t, "quantity", 1e3).loc[window] for t in transit})
    res = bt.diversion(direct, ins, outs, ban=_BREAK, family="gaussian")
    models["diversion"] = res
    table = res.table.reset_index().rename(
        columns=lambda c: c if c == "transit" else f"{c} (t)".replace("_", " ")
    )
    share = pd.DataFrame(
        [
            {
                f"lost direct flow to {config.partner} (t)": res.direct["lost"],
                "leakage share of the counterfactual direct flow (%)": 100 * res.share["estimate"],
                "share CI low (%)": 100 * res.share["low"],
                "share CI high (%)": 100 * res.share["high"],
            }
        ]
    )
    return table, share, res.plot(unit="t per month")


def run(panel: pd.DataFrame, config) -> AnalysisResult:
    """ITS of pear exports to Russia, lost volume and value, leakage via LT and BY."""
    rows = pear_rows(panel, config.reporter, products=config.products)
    models: dict = {}
    its_rows, cfs = fit_series(rows, config, models)
    effects = its_table(its_rows)
    leakage = leakage_table(effects, config)
    fig, axes = new_figure(2, 2, width=11, height=3.0)
    for ax, (label, (cf, unit)) in zip(axes.ravel(), cfs.items(), strict=False):
        plot_its(ax, cf, [_BREAK], label=label, unit=f"{unit} per month")
    for ax in axes.ravel()[len(cfs) :]:
        ax.set_visible(False)
    axes.ravel()[0].legend(fontsize=7, loc="upper left")
    tables = {
        "Pear exports by destination and year": destination_table(rows),
        "Interrupted time series at 2014-08 (95% intervals)": effects,
        "Leakage: excess exports to Lithuania and Belarus vs volume lost to Russia": leakage,
    }
    figures = {"Pear exports: observed vs counterfactual": fig}
    synthetic = synth_part(rows, config, models)
    if synthetic is not None:
        tables["Synthetic control: exports to the partner vs other destinations (t)"] = synthetic[0]
        tables["Synthetic control donor weights"] = synthetic[1]
        figures["Synthetic control (t per month)"] = synthetic[2]
    diverted = diversion_part(panel, rows, config, models)
    if diverted is not None:
        tables["Diversion via Lithuania and Belarus (bt.diversion, 95% intervals)"] = diverted[0]
        tables["Leakage share of the counterfactual direct flow"] = diverted[1]
        figures["Diversion: flows against their pre-embargo trends (t)"] = diverted[2]
    findings = [row.describe() for row in its_rows if row.estimable]
    findings += [
        f"Excess exports to {r['route']}: {r['excess to route (t)']:,.0f} t "
        f"[{r['excess CI low (t)']:,.0f}, {r['excess CI high (t)']:,.0f}] = "
        f"{r['excess / lost (%)']:.1f}% of the volume lost to {config.partner}."
        for _, r in leakage.iterrows()
    ]
    return analysis_result(
        __name__,
        headline=findings[0] if findings else "No estimable series.",
        findings=tuple(findings),
        tables=tables,
        figures=figures,
        models=models,
        config=config,
    )
