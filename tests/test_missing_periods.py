"""Missing (unobserved) periods in the ITS and counterfactual estimators: ``missing='drop'``.

A month a UN Comtrade reporter filed nothing is not zero trade; the estimators leave such
months out instead of reading them as zeros. Checked against statsmodels (ITS) and a hand
calculation (comparative counterfactual).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

import belru_trade as bt
from belru_trade.errors import InvalidArgumentError

_IDX = pd.period_range("2012-01", "2016-07", freq="M")
_GAPS = [3, 10, 31, 40]  # 2014-08, the first treated month, is one of them


def _series(seed: int = 0) -> pd.Series:
    rng = np.random.default_rng(seed)
    y = pd.Series(rng.poisson(100, len(_IDX)).astype(float), index=_IDX)
    y[y.index >= pd.Period("2014-08", "M")] *= 0.5
    return y


def test_its_drop_equals_statsmodels_glm_on_the_observed_rows():
    y = _series()
    full = bt.its(y, ["2014-08"], family="poisson", errors="model")
    gapped = y.copy()
    gapped.iloc[_GAPS] = np.nan
    res = bt.its(gapped, ["2014-08"], family="poisson", errors="model", missing="drop")
    keep = np.ones(len(y), bool)
    keep[_GAPS] = False
    X = full.design.X.to_numpy()[keep]  # calendar-time design of the complete series
    ref = sm.GLM(y.to_numpy()[keep], X, family=sm.families.Poisson()).fit()
    np.testing.assert_allclose(res.params.to_numpy(), ref.params, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(res.std_errors.to_numpy(), ref.bse, rtol=1e-5)
    assert res.nobs == keep.sum()
    cf = res.counterfactual(n_sim=200)
    assert not cf.index.isin(_IDX[_GAPS]).any()
    post = cf.index >= pd.Period("2014-08", "M")
    hand = (cf["counterfactual"] - cf["observed"])[post].sum()
    assert cf["cumulative_lost"].iloc[-1] == pytest.approx(hand)


def test_its_refuses_nan_by_default_and_all_missing_series():
    y = _series()
    y.iloc[_GAPS] = np.nan
    with pytest.raises(InvalidArgumentError, match="missing='drop'"):
        bt.its(y, ["2014-08"])
    with pytest.raises(InvalidArgumentError, match="missing in every period"):
        bt.its(y * np.nan, ["2014-08"], missing="drop")
    with pytest.raises(InvalidArgumentError, match="missing"):
        bt.its(y, ["2014-08"], missing="zero")


def test_comparative_counterfactual_drop_sums_lost_trade_over_observed_months_only():
    start = pd.Period("2014-08", "M")
    shock = np.where(start <= _IDX, 0.6, 1.0)
    control = pd.Series(1000.0 * shock, index=_IDX)
    treated = pd.Series(200.0 * shock * np.where(start <= _IDX, 0.5, 1.0), index=_IDX)
    treated.iloc[[2, 35]] = np.nan  # one pre, one post month not filed
    control.iloc[[40, 41]] = np.nan  # two post months of the controls not filed
    res = bt.comparative_counterfactual(
        treated, "2014-08", control, n_boot=99, seed=0, missing="drop"
    )
    lost = res.lost()
    # hand calculation: 24 post months, 3 unobserved; each observed one loses 200*0.6*0.5
    assert len(lost) == 21
    assert lost["cumulative_lost"].iloc[-1] == pytest.approx(21 * 60.0)
    with pytest.raises(InvalidArgumentError, match="missing"):
        bt.comparative_counterfactual(treated, "2014-08", control, n_boot=99)


def test_comtrade_filing_rule_zero_missing_and_eu_members():
    from belru_trade.analyses._common.comtrade_filing import ComtradeFiling

    months = pd.PeriodIndex(["2014-01", "2014-02", "2014-03"], freq="M")
    rows = pd.DataFrame(
        {
            "source": "comtrade",
            "partner": "RU",
            # NZ: dairy in Jan and Mar, fish in Feb (filed: Feb dairy is a true zero);
            # UY: dairy in Jan only (filed nothing in Feb-Mar: missing);
            # BE: dairy in Jan only (EU member: its empty months are zeros)
            "reporter": ["NZ", "NZ", "NZ", "UY", "BE"],
            "product": ["0401", "0302", "0401", "0401", "0401"],
            "period": months[[0, 1, 2, 0, 0]],
            "quantity": [9000.0, 5.0, 9000.0, 1000.0, 500.0],
        }
    )
    f = ComtradeFiling.from_panel(rows, "RU", start="2014-01", end="2014-03")
    assert sorted((r, str(m)) for r, m in f.missing) == [("UY", "2014-02"), ("UY", "2014-03")]
    dairy = rows[rows["product"] == "0401"]
    nz = f.reporter_tonnes(dairy, "NZ", "2014-01", "2014-03")
    assert nz.tolist() == [9.0, 0.0, 9.0]
    uy = f.reporter_tonnes(dairy, "UY", "2014-01", "2014-03")
    assert uy.iloc[0] == 1.0 and uy.iloc[1:].isna().all()
    be = f.reporter_tonnes(dairy, "BE", "2014-01", "2014-03")
    assert be.tolist() == [0.5, 0.0, 0.0]
    # UY carries 1/10 of the pre-period volume (> 1%): the group total is missing when it
    # filed nothing; with a 20% tolerance its absence is read as zero
    group = f.group_tonnes(dairy, ["NZ", "UY"], "2014-01", "2014-03", pre_end="2014-01")
    assert group.iloc[0] == 10.0 and group.iloc[1:].isna().all()
    loose = ComtradeFiling(f.missing, f.first, f.last, tolerance=0.2)
    group = loose.group_tonnes(dairy, ["NZ", "UY"], "2014-01", "2014-03", pre_end="2014-01")
    assert group.tolist() == [10.0, 0.0, 9.0]
