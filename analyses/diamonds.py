"""Antwerp's rough-diamond imports from Russia and the 2024 EU ban steps.

The embedded snapshot has no diamond imports: this analysis runs only once the local store
holds the Comext extract named in ``REQUIRES`` (``belru-trade fetch comext ...``).
"""

from __future__ import annotations

import numpy as np
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
ORDER = 40
TITLE = "Diamonds: Antwerp's rough-diamond imports from Russia and the 2024 ban"
QUESTION = (
    "What did the EU's diamond ban steps (2024-01 direct ban, 2024-03 indirect >= 1 ct, "
    "2024-09 indirect >= 0.5 ct) do to Belgium's imports of non-industrial diamonds (HS "
    "710210, 710231, 710239) from Russia, and did imports from the UAE and India rise "
    "instead?"
)
DATA = (
    "Eurostat Comext DS-045409 from the local store: the reporter's monthly imports of "
    "710210, 710231 and 710239 by origin (EUR and kg; carats are not in Comext's standard "
    "extract), 2019-01..2025-06, community concept, reporter data."
)
METHOD = (
    "Interrupted time series on monthly EUR imports from Russia with level changes at "
    "2024-01, 2024-03 and 2024-09 (no slope changes: the segments are short), quasi-Poisson "
    "log link, Fourier seasonality, Newey-West errors; cumulative counterfactual minus "
    "observed from 2024-01. Diversion: ITS with a level and slope change at 2024-01 on "
    "imports from the UAE and India; excess = observed minus counterfactual."
)
CAVEATS = (
    "Rough diamonds are often imported, sorted and re-exported within weeks; Comext records "
    "the country of origin declared at import, which for mixed parcels may not be Russia "
    "even when Russian stones are included (the mixed-origin Kimberley certificates were "
    "required only from 2025-03).",
    "Russian imports had already fallen sharply in 2022-2023 (National Bank of Belgium via "
    "VRT: -83% in 2022 on 2021; see the published-figures data), so the pre-ban path is "
    "itself affected by the war; the counterfactual extrapolates 2022-2023, not the pre-war level.",
)
_DIAMONDS = ("710210", "710231", "710239")
ORIGINS = ("RU", "AE", "IN", "BW", "ZA", "CA", "AO", "NA", "CD", "GB", "CH", "IL", "US")
REQUIRES = (
    DataRequirement(
        "the reporter's monthly imports of non-industrial diamonds by origin, 2019-2025 (Comext)",
        "comext",
        (),
        reporter=REPORTER,
        partner=(PARTNER, *ORIGINS),
        product=_DIAMONDS,
        flow="import",
        start="2019-01",
        end="2025-06",
        overridable=True,
    ),
)
BREAKS = ("2024-01", "2024-03", "2024-09")


def origin_series(panel: pd.DataFrame, config, partner: str) -> pd.Series:
    """Monthly EUR imports of the three codes from ``partner`` (absent months = 0)."""
    rows = bt.panel.select(panel, reporter=config.reporter, flow="import", partner=partner)
    series = bt.panel.series(
        rows[rows["product"].str.startswith(tuple(config.products or _DIAMONDS))]
    )
    if series.empty:
        return series
    return complete_months(series, "2019-01", str(series.index.max()))


def annual_table(panel: pd.DataFrame, config) -> pd.DataFrame:
    """Annual EUR m by origin and Russia's share."""
    out = {}
    for origin in dict.fromkeys((config.partner, *ORIGINS)):
        series = origin_series(panel, config, origin)
        if len(series):
            out[f"{origin} (EUR m)"] = series.groupby(series.index.year).sum() / 1e6
    table = pd.DataFrame(out)
    table[f"{config.partner} share (%)"] = 100 * table.iloc[:, 0] / table.sum(axis=1)
    table.index.name = "year"
    return table.reset_index()


def fit_all(panel: pd.DataFrame, config, models: dict) -> tuple[list[ITSRow], dict]:
    """ITS for Russia (three level changes) and for the UAE and India (one break)."""
    specs = [(config.partner, list(BREAKS), False), ("AE", ["2024-01"], True)]
    specs.append(("IN", ["2024-01"], True))
    rows, cfs = [], {}
    for origin, breaks, slope in specs:
        label = f"{config.reporter} imports from {origin} (EUR m)"
        y = origin_series(panel, config, origin).rename(label)
        fit, row, cf = fit_its_row(
            y, breaks, label=label, unit="EUR m", scale=1e6, slope_change=slope
        )
        if fit is None:
            rows.append(row)
            continue
        models[label] = fit
        steps = {
            f"{term.term} (%)": 100 * (term.ratio - 1)
            for term in fit.tidy().itertuples()
            if term.term.startswith("level_change[")
        }
        rows.append(row.with_columns(after=steps))
        cfs[label] = (cf, breaks)
    return rows, cfs


def run(panel: pd.DataFrame, config) -> AnalysisResult:
    """Diamond imports by origin, ITS at the ban steps, diversion via UAE and India."""
    models: dict = {}
    rows, cfs = fit_all(panel, config, models)
    effects = its_table(rows)
    fig, axes = new_figure(len(cfs) or 1, 1, height=3.2)
    for ax, (label, (cf, breaks)) in zip(np.atleast_1d(axes).ravel(), cfs.items(), strict=False):
        plot_its(ax, cf, breaks, label=label, unit="EUR m per month")
    findings = [row.describe() for row in rows if row.estimable]
    return analysis_result(
        __name__,
        headline=findings[0] if findings else "No estimable series.",
        findings=tuple(findings),
        tables={
            "Non-industrial diamond imports by origin and year": annual_table(panel, config),
            "Interrupted time series at the ban steps (95% intervals)": effects,
        },
        figures={"Diamond imports: observed vs counterfactual (EUR m)": fig},
        models=models,
        config=config,
    )
