"""Counterfactuals and intervals on the embedded snapshot: the figures quoted for review.

Usage::

    .venv/bin/python benchmarks/real_counterfactuals.py

Prints, on real data (the snapshot shipped with the package):

1. Belgian dairy exports to Russia (UN Comtrade, tonnes, 2012-01..2016-07, embargo
   2014-08; the series the milk analysis builds): own-trend ITS (``bt.its``, the current
   analyses), comparative ITS against the non-embargoed origins, own trend with the
   AR(1) bootstrap, and a synthetic control from the non-embargoed origins. Cumulative
   loss and the loss in the first full year (2015), against the pre-period peak year.
2. The 2022 leakage share (Comext, EU27 exports of sanctioned products, 2020-01..2022-11):
   the circumvention analysis's delta-method interval (ITS per series, independent
   series) against the joint bootstrap of :func:`bt.joint_lost`.
3. Finland's dairy exports to Russia, synthetic control with every other exporter as a
   donor (placebos included): time, pre-period fit and the poor-fit warning.
4. Trade that stops: Estonian whey (0404) and Belgian dairy headings in ``bt.its`` and
   ``bt.scan``.
5. Unit invariance of ITS intervals: the 2022 series whose dispersion in EUR million is
   at most one, in EUR and EUR million.
"""

from __future__ import annotations

import time
import warnings

import numpy as np
import pandas as pd
from belru_trade.analyses import circumvention_2022, milk

import belru_trade as bt
from belru_trade.report import AnalysisConfig

START, END, BAN = "2012-01", "2016-07", "2014-08"


def _dairy_rows() -> pd.DataFrame:
    rows, _ = milk.prepare(bt.load_snapshot("comtrade"), AnalysisConfig())
    return rows[rows["quantity"].notna()]


def belgian_dairy(rows: pd.DataFrame) -> pd.DataFrame:
    series = milk.groups(rows, AnalysisConfig())
    y = series["BE"].loc[START:END].rename("BE dairy (t)")
    control = series["non-embargoed origins"].loc[START:END]
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cf = bt.its(y, [BAN]).counterfactual()
    post = cf.index >= pd.Period(BAN, "M")
    y2015 = cf.loc[post & (cf.index.year == 2015), "lost"].sum()
    out["own-trend ITS, iid simulation (analyses today)"] = (
        cf["cumulative_lost"].iloc[-1], cf["cumulative_low"].iloc[-1],
        cf["cumulative_high"].iloc[-1], y2015,
    )  # fmt: skip
    for name, ctrl, noise in (
        ("comparative ITS vs non-embargoed origins, AR(1) bootstrap", control, "ar1"),
        ("comparative ITS vs non-embargoed origins, block bootstrap", control, "block"),
        ("own-trend ITS, AR(1) bootstrap (sensitivity)", None, "ar1"),
    ):
        res = bt.comparative_counterfactual(y, BAN, ctrl, noise=noise)
        total, year = res.lost().iloc[-1], res.lost(freq="Y").loc[2015, "lost"]
        out[name] = (total["cumulative_lost"], total["cumulative_low"],
                     total["cumulative_high"], year)  # fmt: skip
    donors = _control_reporters(rows)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        syn = bt.synth_counterfactual(donors.assign(BE=y.to_numpy()), "BE", BAN)
    total = syn.lost().iloc[-1]
    out[f"synthetic control ({len(donors.columns)} non-embargoed donors), gap bootstrap"] = (
        total["cumulative_lost"], total["cumulative_low"], total["cumulative_high"],
        syn.lost(freq="Y").loc[2015, "lost"],
    )  # fmt: skip
    table = pd.DataFrame(out, index=["lost (t)", "low", "high", "lost in 2015 (t)"]).T
    print(f"BE pre-period annual tonnes: {y.groupby(y.index.year).sum().round(0).to_dict()}")
    print(f"synthetic control pre-RMSPE relative to mean: {syn.details['pre_rmspe_relative']:.2f}")
    return table.round(0)


def _control_reporters(rows: pd.DataFrame) -> pd.DataFrame:
    ever = bt.codes.embargo_origins("2016-01") | {"UA", "BY"}
    sub = rows[~rows["reporter"].isin(ever)]
    wide = sub.groupby(["period", "reporter"])["quantity"].sum().unstack("reporter") / 1e3
    wide.index = pd.PeriodIndex(wide.index)
    wide = wide.reindex(pd.period_range(START, END, freq="M")).fillna(0.0)
    return wide.loc[:, (wide.loc[:"2014-07"] > 0).sum() >= 12]


def leakage_2022() -> pd.DataFrame:
    config = AnalysisConfig()
    panel = bt.load_snapshot("comext_sanctioned")
    wide = circumvention_2022.series_table(panel, config)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        effects, _ = circumvention_2022._fit_all(wide, config, {})
    before = circumvention_2022.leakage_table(effects, config).set_index("exporter")
    rows = {}
    for exporter in ("EU27", config.reporter):
        r = before.loc[exporter]
        rows[f"{exporter}: delta method, independent series (analysis today)"] = (
            r["leakage share (%)"], r["share CI low (%)"], r["share CI high (%)"])  # fmt: skip
        cols = [(exporter, d) for d in (config.partner, *circumvention_2022.NEIGHBOURS)
                if (exporter, d) in wide.columns]  # fmt: skip
        flows = wide[cols].fillna(0.0)
        flows.columns = [d for _, d in cols]
        neighbours = [c for c in flows.columns if c != config.partner]
        for noise in ("ar1", "block"):
            joint = bt.joint_lost(flows, "2022-03", noise=noise)
            s = joint.share(neighbours, config.partner)
            rows[f"{exporter}: joint bootstrap ({joint.details['noise']})"] = (
                100 * s["estimate"], 100 * s["conf_low"], 100 * s["conf_high"])  # fmt: skip
    return pd.DataFrame(rows, index=["share (%)", "low", "high"]).T.round(1)


def finland_synth(rows: pd.DataFrame) -> dict:
    wide = rows.groupby(["period", "reporter"])["quantity"].sum().unstack("reporter") / 1e3
    wide.index = pd.PeriodIndex(wide.index)
    wide = wide.reindex(pd.period_range(START, END, freq="M")).fillna(0.0)
    t0 = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = bt.synth(wide, treated="FI", start=BAN)
    seconds = time.perf_counter() - t0
    return {
        "donors": len(res.weights), "seconds (with placebos)": round(seconds, 2),
        "pre_rmspe (t)": round(res.pre_rmspe, 0),
        "FI pre-period mean (t)": round(float(wide.loc[:"2014-07", "FI"].mean()), 0),
        "pre_rmspe_relative": round(res.pre_rmspe_relative, 3), "p_value": res.p_value,
        "warnings": [str(w.message)[:90] for w in caught],
    }  # fmt: skip


def stops(rows: pd.DataFrame) -> pd.DataFrame:
    sub = rows[rows["reporter"].isin(["EE", "BE"])]
    wide = sub.pivot_table(index="period", columns=["reporter", "product"], values="quantity",
                           aggfunc="sum")  # fmt: skip
    wide.index = pd.PeriodIndex(wide.index)
    wide = wide.reindex(pd.period_range(START, END, freq="M")).fillna(0.0)
    wide.columns = [f"{a}/{b}" for a, b in wide.columns]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scan = bt.scan(wide, BAN)
    out = {}
    for name in ["EE/0404", "BE/0401", "BE/0402", "BE/0406"]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                res = bt.its(wide[name], BAN)
                ratio = res.tidy().set_index("term").loc["level_change", "ratio"]
                cf = res.counterfactual()
                status = res.extra.get("status", "ok")
                peak = cf["counterfactual"].max()
            except bt.BelruTradeError as exc:
                status, ratio, peak = type(exc).__name__, np.nan, np.nan
        out[name] = {"its": status, "level ratio": ratio, "max counterfactual (kg)": peak,
                     "scan": scan.status[name]}  # fmt: skip
    return pd.DataFrame(out).T


def unit_invariance() -> pd.DataFrame:
    config = AnalysisConfig()
    wide = circumvention_2022.series_table(bt.load_snapshot("comext_sanctioned"), config)
    out = {}
    for col in wide.columns:
        y = wide[col].fillna(0.0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                eur, meur = bt.its(y, "2022-03"), bt.its(y / 1e6, "2022-03")
            except bt.BelruTradeError:
                continue
        if meur.dispersion > 1:  # Pearson dispersion of the series in EUR million
            continue
        a, b = eur.counterfactual().iloc[-1], meur.counterfactual().iloc[-1]
        out[" -> ".join(col)] = {
            "dispersion (EUR m)": meur.dispersion,
            "EUR: low (m)": a["cumulative_low"] / 1e6, "EUR: high (m)": a["cumulative_high"] / 1e6,
            "EUR m: low": b["cumulative_low"], "EUR m: high": b["cumulative_high"],
        }  # fmt: skip
    return pd.DataFrame(out).T.round(2)


def main() -> None:
    rows = _dairy_rows()
    print("1. Belgian dairy exports to Russia, lost tonnes 2014-08..2016-07")
    print(belgian_dairy(rows).to_markdown())
    print("\n2. 2022 leakage share (excess to six neighbours / drop to Russia)")
    print(leakage_2022().to_markdown())
    print("\n3. Finland dairy synthetic control, all other exporters as donors")
    print(finland_synth(rows))
    print("\n4. Trade that stops")
    print(stops(rows).to_markdown())
    print("\n5. ITS intervals in EUR and EUR million (series with dispersion <= 1)")
    print(unit_invariance().to_markdown())


if __name__ == "__main__":
    main()
