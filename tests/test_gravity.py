"""Structural gravity helpers: design() dummies and estimate() on a known-effect panel."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import belru_trade as bt
from belru_trade.errors import InvalidArgumentError

EU = ["BE", "NL", "PL", "DE"]
OTHERS = ["RU", "TR", "CN", "BY"]
YEARS = range(2010, 2019)
EVENT = "RU-2014-RES778"  # Russia's August 2014 food embargo (pears 080830 covered)


def known_panel(beta=-1.0, seed=0):
    """Exact gravity means; the embargo covers EU exporters -> RU from 2014 (annual data:
    a year counts as treated when the measure is in force on at least one day of it)."""
    rng = np.random.default_rng(seed)
    countries = EU + OTHERS
    pi = {(c, t): rng.normal() for c in countries for t in YEARS}
    chi = {(c, t): rng.normal() for c in countries for t in YEARS}
    mu = {(a, b): rng.normal() for a in countries for b in countries}
    rows = []
    for e in countries:
        for i in countries:
            if e == i:
                continue
            for t in YEARS:
                treated = e in EU and i == "RU" and t >= 2014
                value = np.exp(beta * treated + pi[e, t] + chi[i, t] + mu[e, i])
                rows.append((i, e, "080830", "import", str(t), value, treated))
    df = pd.DataFrame(
        rows, columns=["reporter", "partner", "product", "flow", "period", "value", "truth"]
    )
    df["period"] = pd.PeriodIndex(df["period"], freq="Y")
    return df


def test_design_dummies_follow_the_registry_scope():
    panel = known_panel()
    frame = bt.gravity.design(panel, events=[EVENT], lags=[1], leads=[1])
    merged = frame.merge(
        panel.rename(columns={"partner": "exporter", "reporter": "importer"}),
        on=["exporter", "importer", "period"],
    )
    np.testing.assert_array_equal(merged[EVENT].to_numpy(), merged["truth"].to_numpy())
    year = merged["period"].dt.year
    expected_lag = merged["exporter"].isin(EU) & (merged["importer"] == "RU") & (year >= 2015)
    np.testing.assert_array_equal(merged[f"{EVENT}_lag1"], expected_lag.astype(int))
    expected_lead = merged["exporter"].isin(EU) & (merged["importer"] == "RU") & (year >= 2013)
    np.testing.assert_array_equal(merged[f"{EVENT}_lead1"], expected_lead.astype(int))
    assert frame["exp_time"].nunique() == len(EU + OTHERS) * len(YEARS)
    assert frame["pair"].nunique() == 8 * 7


def test_estimate_recovers_known_effect():
    panel = known_panel(beta=-1.0)
    frame = bt.gravity.design(panel, events=[EVENT])
    res = bt.gravity.estimate(frame, events=[EVENT])
    assert list(res.params.index) == [EVENT]
    assert res.params[EVENT] == pytest.approx(-1.0, abs=1e-6)


def test_mirror_records_prefer_import_reports_and_aggregates_dropped():
    panel = known_panel().drop(columns="truth")
    exports = panel.assign(
        reporter=panel["partner"],
        partner=panel["reporter"],
        flow="export",
        value=panel["value"] * 2,
    )
    agg = panel.head(3).assign(partner="EU27_2020")
    frame = bt.gravity.design(pd.concat([panel, exports, agg]), events=[EVENT])
    assert len(frame) == len(panel)
    assert (frame["reported_by"] == "import").all()
    frame_x = bt.gravity.design(pd.concat([panel, exports]), events=[EVENT], prefer="export")
    assert (frame_x["reported_by"] == "export").all()


def test_domestic_flows_and_errors():
    panel = known_panel().drop(columns="truth")
    dom = pd.DataFrame(
        {
            "country": ["RU", "BE"],
            "product": ["080830"] * 2,
            "period": pd.PeriodIndex(["2012", "2012"], freq="Y"),
            "value": [100.0, 50.0],
        }
    )
    frame = bt.gravity.design(panel, events=[EVENT], domestic=dom)
    assert frame["international"].sum() == len(panel)
    with pytest.raises(InvalidArgumentError, match="events"):
        bt.gravity.design(panel, events=[])
    with pytest.raises(InvalidArgumentError, match="lags"):
        bt.gravity.design(panel, events=[EVENT], lags=[0])
    with pytest.raises(InvalidArgumentError, match="missing"):
        bt.gravity.design(panel.drop(columns="flow"), events=[EVENT])
    with pytest.raises(InvalidArgumentError, match="design"):
        bt.gravity.estimate(panel, events=["nope"])
