"""Trade that stops: one rule for its and scan, bounded report, counterfactual checked."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

import belru_trade as bt
from belru_trade.errors import BelruTradeError, SeparationWarning, SpecificationError

IDX = pd.period_range("2012-01", "2016-07", freq="M")
BAN = pd.Period("2014-08", "M")
PRE = np.asarray(IDX < BAN)


def _baseline(n: int, months: np.ndarray) -> np.ndarray:
    w = 2 * np.pi * months / 12
    t = np.arange(1.0, n + 1)
    return np.c_[np.ones(n), t, np.sin(w), np.cos(w), np.sin(2 * w), np.cos(2 * w)]


def _pre_only_path(y: pd.Series, stop: pd.Period) -> np.ndarray:
    """Independent route: statsmodels Poisson GLM on the periods before the stop."""
    B = _baseline(len(y), y.index.month.to_numpy())
    keep = np.asarray(y.index < stop)
    fit = sm.GLM(y.to_numpy()[keep], B[keep], family=sm.families.Poisson()).fit()
    return np.exp(B @ fit.params)


def _stopped_series(tail: float = 0.0) -> pd.Series:
    rng = np.random.default_rng(0)
    t = np.arange(len(IDX))
    mu = 800 * np.exp(0.01 * t + 0.3 * np.sin(2 * np.pi * IDX.month.to_numpy() / 12))
    y = rng.poisson(mu).astype(float)
    y[~PRE] = np.where(np.arange((~PRE).sum()) % 3 == 0, tail, 0.0)
    return pd.Series(y, index=IDX)


def test_a_99_percent_drop_recorded_every_month_is_not_a_stop():
    """Still reported every month at 0.5% of its former level: a finite level change."""
    y = _stopped_series()
    y[~PRE] = 4.0  # about 0.4% of the pre-period mean, positive every month
    with warnings.catch_warnings():
        warnings.simplefilter("error", SeparationWarning)
        res = bt.its(y, "2014-08")
    assert "status" not in res.extra
    assert bt.scan(y.to_frame("flow"), "2014-08").status["flow"] == "ok"


@pytest.mark.parametrize("tail", [0.0, 3.0])  # zero, or 3 units in a third of the months
def test_stopped_flow_reports_minus_100_and_pre_period_counterfactual(tail):
    y = _stopped_series(tail)
    with pytest.warns(SeparationWarning, match="trade stopped at 2014-08"):
        res = bt.its(y, "2014-08")
    assert res.extra["status"] == "trade stopped"
    row = res.tidy().set_index("term").loc["level_change"]
    assert row["ratio"] == 0.0 and row["ratio_high"] == 0.0  # bounded: -100 %
    cf = res.counterfactual(n_sim=500)
    expected = _pre_only_path(y, BAN)
    np.testing.assert_allclose(cf["counterfactual"], expected, rtol=1e-6)
    lost = float(np.sum(expected[~PRE] - y.to_numpy()[~PRE]))
    assert cf["cumulative_lost"].iloc[-1] == pytest.approx(lost, rel=1e-6)
    assert cf["cumulative_low"].iloc[-1] < lost < cf["cumulative_high"].iloc[-1]
    with pytest.raises(SpecificationError, match="stopped"):
        res.placebo()
    assert "trade stopped" in res.plot().axes[0].get_title()
    assert bt.scan(y.to_frame("flow"), "2014-08").status["flow"] == "stopped"


def test_stop_at_the_second_intervention_keeps_the_first_effect():
    y = _stopped_series()
    y[:] = np.where(PRE, y, 0.0)
    y[pd.Period("2013-06", "M") <= IDX] *= np.where(PRE[pd.Period("2013-06", "M") <= IDX], 0.5, 1)
    with pytest.warns(SeparationWarning):
        res = bt.its(y, ["2013-06", "2014-08"], slope_change=False)
    B = _baseline(len(y), IDX.month.to_numpy())
    step = np.asarray(pd.Period("2013-06", "M") <= IDX, dtype=float)
    X = np.c_[B, step][PRE]
    ref = sm.GLM(y.to_numpy()[PRE], X, family=sm.families.Poisson()).fit()
    assert res.params["level_change[2013-06]"] == pytest.approx(ref.params[-1], rel=1e-6)
    table = res.tidy().set_index("term")
    assert table.loc["level_change[2014-08]", "ratio"] == 0.0


def test_sparse_series_raises_in_its_and_is_flagged_in_scan():
    y = pd.Series(0.0, index=IDX)
    y.iloc[[3, 20, 40]] = 5.0
    with pytest.raises(SpecificationError, match="positive periods"):
        bt.its(y, "2014-08")
    assert bt.scan(y.to_frame("s"), "2014-08").status["s"] == "sparse"


def _dairy_to_russia(reporters: tuple[str, ...]) -> pd.DataFrame:
    rows = bt.load_snapshot("comtrade", partner="RU", flow="export")
    rows = rows[rows["reporter"].isin(reporters) & rows["product"].isin(
        ["0401", "0402", "0403", "0404", "0405", "0406"]) & rows["quantity"].notna()]  # fmt: skip
    # unit errors: Estonia reported 488,000 t and 132,000 t of whey in 2014-01/02 (its
    # largest other month is 424 t); no dairy flow here reaches 100,000 t a month
    rows = rows[rows["quantity"] < 1e8]
    wide = rows.pivot_table(index="period", columns=["reporter", "product"],
                            values="quantity", aggfunc="sum")  # fmt: skip
    wide.index = pd.PeriodIndex(wide.index)
    wide = wide.reindex(IDX).fillna(0.0)
    wide.columns = [f"{a}/{b}" for a, b in wide.columns]
    return wide.loc[:, (wide > 0).sum() >= 1]


_AGREE = {
    "ok": {"ok"},
    "trade stopped": {"stopped"},
    "SpecificationError": {"sparse", "separated", "all_zero"},
    "trouble": {"near_separated", "not_converged"},
}


def _its_label(y: pd.Series) -> str:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            res = bt.its(y, "2014-08")
        except SpecificationError:
            return "SpecificationError"
        except BelruTradeError:
            return "trouble"
    if res.extra.get("status") == "trade stopped":
        return "trade stopped"
    return "trouble" if any(w.category is SeparationWarning for w in caught) else "ok"


def test_real_dairy_flows_its_and_scan_agree_and_estonian_whey_stopped():
    """Comtrade snapshot, dairy exports to Russia 2012-01..2016-07 (2014 embargo).

    Estonia's whey (0404) averaged about 90 t a month before the ban (unit errors removed)
    and 5 kg in two years after it; Belgium's milk (0401) stopped entirely.
    """
    wide = _dairy_to_russia(("BE", "EE", "LT", "LV", "FI", "NL"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scan = bt.scan(wide, "2014-08")
    labels = {s: _its_label(wide[s]) for s in wide.columns}
    for series, label in labels.items():
        assert scan.status[series] in _AGREE[label], (series, label, scan.status[series])
    assert labels["EE/0404"] == "trade stopped" and labels["BE/0401"] == "trade stopped"
    with pytest.warns(SeparationWarning):
        whey = bt.its(wide["EE/0404"], "2014-08").counterfactual(n_sim=500)
    np.testing.assert_allclose(
        whey["counterfactual"], _pre_only_path(wide["EE/0404"], BAN), rtol=1e-6
    )
    assert sum(v == "ok" for v in labels.values()) >= 5


def test_placebo_counts_a_stop_at_a_fake_date_as_extreme():
    """A pre-period that itself stops for a while: those fake dates are 'stopped' fits."""
    y = _stopped_series()
    gap = (pd.Period("2013-09", "M") <= IDX) & (pd.Period("2014-08", "M") > IDX)
    y[gap] = 0.0  # trade already stopped 11 months before the real date
    y[~PRE] = 800.0
    res = bt.its(y, "2014-08", slope_change=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SeparationWarning)
        test = res.placebo(n=20)
    stopped = np.isneginf(test.placebos["statistic"])
    assert stopped.any()
    extreme = int((test.placebos["statistic"].abs() >= abs(test.statistic)).sum())
    assert test.p_value == pytest.approx((1 + extreme) / (1 + len(test.placebos)))
