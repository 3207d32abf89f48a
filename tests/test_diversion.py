"""Diversion/leakage: known excess flows recovered, interval coverage, panel input, errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import belru_trade as bt
from belru_trade.errors import InvalidArgumentError

IDX = pd.period_range("2011-01", "2016-12", freq="M")
POST = np.asarray(pd.Period("2014-08", "M") <= IDX)
T_POST = int(POST.sum())  # 29 months


def _flows(seed=0, noise=3.0):
    rng = np.random.default_rng(seed)
    t = np.arange(len(IDX))
    season = 10 * np.sin(2 * np.pi * IDX.month.to_numpy() / 12)

    def series(base, slope, jump):
        return base + slope * t + season + jump * POST + rng.normal(0, noise, len(IDX))

    direct = pd.Series(series(100, 0.2, 0) - POST * (100 + 0.2 * t - 10 + season), index=IDX)
    ins = pd.DataFrame({"LT": series(40, 0.1, 30), "BY": series(10, 0.05, 20)}, index=IDX)
    outs = pd.DataFrame({"LT": series(15, 0.0, 25), "BY": series(30, 0.1, 40)}, index=IDX)
    prod = pd.DataFrame({"LT": series(200, 0.0, 0), "BY": series(80, 0.0, 20)}, index=IDX)
    return direct, ins, outs, prod


def test_known_leakage_recovered():
    direct, ins, outs, prod = _flows()
    res = bt.diversion(direct, ins, outs, ban="2014-08", production=prod, harmonics=1)
    table = res.table
    # true cumulative excesses: LT in 30, out 25; BY in 20, out 40 - production 20
    truth = {
        ("LT", "excess_in"): 30,
        ("LT", "excess_out"): 25,
        ("LT", "leakage"): 25,
        ("BY", "excess_in"): 20,
        ("BY", "excess_out"): 20,
    }
    for (country, col), per_month in truth.items():
        value = per_month * T_POST
        assert table.loc[country, f"{col}_low"] <= value <= table.loc[country, f"{col}_high"]
        assert table.loc[country, col] == pytest.approx(value, rel=0.25)
    # direct counterfactual ~ 100 + 0.2 t over the post window; share ~ 45 / cf mean
    cf_true = float(np.sum(100 + 0.2 * np.arange(len(IDX))[POST]))
    assert res.direct["counterfactual"] == pytest.approx(cf_true, rel=0.05)
    share_true = 45 * T_POST / cf_true
    assert res.share["low"] <= share_true <= res.share["high"]
    assert res.share["estimate"] == pytest.approx(share_true, abs=0.08)
    assert res.direct["lost"] == pytest.approx(cf_true - 10 * T_POST, rel=0.1)


def test_excess_interval_coverage():
    """95% intervals of the cumulative excess cover the true excess in ~95% of 150 runs.

    The observed flow is its counterfactual plus a known jump (same noise), so the true
    excess is exactly jump x post months. Binomial 99.9% band for 150 runs: [0.89, 0.99].
    """
    hits = []
    for seed in range(150):
        direct, ins, outs, _ = _flows(seed=100 + seed)
        res = bt.diversion(
            direct, ins[["LT"]], outs[["LT"]], ban="2014-08", harmonics=1, n_sim=600, seed=seed
        )
        row = res.table.loc["LT"]
        hits.append(row["excess_in_low"] <= 30 * T_POST <= row["excess_in_high"])
    lo, hi = stats.binom.interval(0.999, len(hits), 0.95)
    assert lo / len(hits) <= np.mean(hits) <= hi / len(hits)


def test_panel_input_with_mirror_flows(tmp_path):
    direct, ins, outs, _ = _flows(seed=2)
    rows = [("BE", "RU", "export", direct)]
    rows += [("BE", t, "export", ins[t]) for t in ("LT", "BY")]
    rows += [("LT", "RU", "export", outs["LT"]), ("RU", "BY", "import", outs["BY"])]
    panel = pd.concat(
        pd.DataFrame({"reporter": r, "partner": p, "flow": f, "product": "080830",
                      "period": s.index, "value": s.to_numpy()})
        for r, p, f, s in rows
    )  # fmt: skip
    a = bt.diversion(panel, ban="2014-08", origin="BE", target="RU", transit=["LT", "BY"])
    b = bt.diversion(direct, ins, outs, ban="2014-08")
    pd.testing.assert_frame_equal(a.table, b.table)
    from belru_trade.plotting.charts import save_png

    assert save_png(a.plot(unit="t"), tmp_path / "div.png").stat().st_size > 1000


def test_diversion_errors():
    direct, ins, outs, prod = _flows()
    with pytest.raises(InvalidArgumentError, match="same transit countries"):
        bt.diversion(direct, ins, outs[["LT"]], ban="2014-08")
    with pytest.raises(InvalidArgumentError, match="production has no column"):
        bt.diversion(direct, ins, outs, ban="2014-08", production=prod[["LT"]])
    with pytest.raises(InvalidArgumentError, match="origin="):
        bt.diversion(pd.DataFrame({"period": IDX, "value": 1.0}), ban="2014-08")
    with pytest.raises(InvalidArgumentError, match="family="):
        bt.diversion(direct, ins, outs, ban="2014-08", family="poisson")
    zero = ins.copy()
    zero.iloc[3, 0] = 0.0
    with pytest.raises(InvalidArgumentError, match="positive pre-ban"):
        bt.diversion(direct, zero, outs, ban="2014-08", family="loglinear")
