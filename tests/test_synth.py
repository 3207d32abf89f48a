"""Synthetic control: exact convex combinations recovered, QP optimality, placebo p-value."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import optimize

import belru_trade as bt
from belru_trade.errors import InvalidArgumentError, ShortSeriesError
from belru_trade.models.synth import synth_weights

IDX = pd.period_range("2010-01", periods=84, freq="M")
UNITS = ["DE", "FR", "NL", "PL", "IT", "ES", "AT"]
TRUE = {"DE": 0.5, "FR": 0.0, "NL": 0.2, "PL": 0.3, "IT": 0.0, "ES": 0.0, "AT": 0.0}


def _donors(seed=0):
    rng = np.random.default_rng(seed)
    trend = np.linspace(0, 1, len(IDX))[:, None] * rng.normal(20, 10, len(UNITS))
    season = 5 * np.sin(2 * np.pi * IDX.month.to_numpy()[:, None] / 12 + rng.uniform(0, 6, 7))
    noise = rng.normal(0, 3, (len(IDX), len(UNITS))).cumsum(axis=0)
    return pd.DataFrame(100 + trend + season + noise, index=IDX, columns=UNITS)


def _data(effect=0.0):
    donors = _donors()
    treated = donors.to_numpy() @ np.array([TRUE[u] for u in UNITS])
    treated = treated - effect * (pd.Period("2014-08", "M") <= IDX)
    return donors.assign(RU=treated)


def test_exact_convex_combination_recovered():
    res = bt.synth(_data(effect=30.0), "RU", "2014-08")
    np.testing.assert_allclose(res.weights[UNITS], [TRUE[u] for u in UNITS], atol=1e-6)
    assert res.weights.sum() == pytest.approx(1.0, abs=1e-12)
    assert res.pre_rmspe < 1e-6
    post = res.path.index >= pd.Period("2014-08", "M")
    np.testing.assert_allclose(res.path.loc[post, "gap"], -30.0, atol=1e-4)
    # the treated ratio is the largest of the 8 units: p = 1/8
    assert res.p_value == pytest.approx(1 / 8)
    row = res.tidy().iloc[0]
    assert row["estimate"] == pytest.approx(-30.0, abs=1e-4)


def test_qp_optimum_matches_independent_solver():
    """Weights for a unit outside the convex hull equal an independent NNLS solution.

    Independent route: the constrained least squares with sum-to-one enforced by a heavily
    weighted extra row, solved by scipy's Lawson-Hanson NNLS (an active-set method).
    """
    donors = _donors(seed=3)
    target = donors.to_numpy() @ np.full(7, 1 / 7) * 1.15 + 4.0  # outside the hull
    pre = pd.Period("2014-08", "M") > IDX
    X0, x1 = donors.to_numpy()[pre], target[pre]
    w = synth_weights(x1, X0)
    big = 1e4 * np.abs(X0).max()
    w_nnls, _ = optimize.nnls(np.vstack([X0, big * np.ones(7)]), np.r_[x1, big])
    np.testing.assert_allclose(w, w_nnls, atol=1e-6)
    loss = np.sum((x1 - X0 @ w) ** 2)
    assert loss == pytest.approx(np.sum((x1 - X0 @ w_nnls) ** 2), rel=1e-6)


def test_predictors_and_panel_input(tmp_path):
    data = _data()
    pre = data.loc[data.index < pd.Period("2014-08", "M")]
    P = pd.concat([pre.mean(), pre.iloc[:12].mean(), pre.iloc[-12:].mean()], axis=1).T
    P.index = ["mean", "first_year", "last_year"]
    res = bt.synth(data, "RU", "2014-08", predictors=P, placebos=False)
    np.testing.assert_allclose(P[UNITS].to_numpy() @ res.weights[UNITS], P["RU"], rtol=1e-6)
    assert np.isnan(res.p_value)
    long = data.stack().reset_index()
    long.columns = ["period", "partner", "value"]
    res2 = bt.synth(long, "RU", "2014-08", unit="partner", donors=["DE", "NL", "PL", "FR"])
    np.testing.assert_allclose(res2.weights[["DE", "NL", "PL"]], [0.5, 0.2, 0.3], atol=1e-6)
    assert set(res2.placebos["unit"]) == {"RU", "DE", "NL", "PL", "FR"}
    from belru_trade.plotting.charts import save_png

    for kind in ("gap", "paths"):
        path = save_png(res2.plot(kind=kind), tmp_path / f"{kind}.png")
        assert path.stat().st_size > 1000


def test_synth_errors():
    data = _data()
    with pytest.raises(InvalidArgumentError, match="treated='XX'"):
        bt.synth(data, "XX", "2014-08")
    with pytest.raises(InvalidArgumentError, match="unknown units"):
        bt.synth(data, "RU", "2014-08", donors=["DE", "ZZ"])
    with pytest.raises(ShortSeriesError, match="pre"):
        bt.synth(data, "RU", "2010-02")
    with pytest.raises(InvalidArgumentError, match="gaps"):
        bt.synth(data.drop(index=IDX[5]), "RU", "2014-08")


def _nnls_fit(X0, x1):
    big = 1e4 * np.abs(X0).max()
    w, _ = optimize.nnls(np.vstack([X0, big * np.ones(X0.shape[1])]), np.r_[x1, big])
    return w


def test_placebo_table_and_p_value_match_independent_computation():
    """In-space placebos (Abadie, Diamond & Hainmueller 2010) recomputed with scipy's NNLS:
    every unit's pre/post RMSPE and their ratio, and p = share of units whose ratio is at
    least the treated unit's."""
    data = _data(effect=8.0)
    data["RU"] += np.random.default_rng(9).normal(0, 2.0, len(IDX))  # not an exact fit
    res = bt.synth(data, "RU", "2014-08")
    pre = np.asarray(pd.Period("2014-08", "M") > IDX)
    rows = {}
    for unit in ["RU", *UNITS]:
        pool = [u for u in UNITS if u != unit]
        Y0, y1 = data[pool].to_numpy(), data[unit].to_numpy()
        gap = y1 - Y0 @ _nnls_fit(Y0[pre], y1[pre])
        pre_r, post_r = np.sqrt(np.mean(gap[pre] ** 2)), np.sqrt(np.mean(gap[~pre] ** 2))
        rows[unit] = (pre_r, post_r, post_r / pre_r)
    expected = pd.DataFrame(rows, index=["pre_rmspe", "post_rmspe", "rmspe_ratio"]).T
    table = res.placebos.set_index("unit").loc[expected.index]
    np.testing.assert_allclose(table[expected.columns], expected, rtol=1e-4)
    ratios = expected["rmspe_ratio"]
    assert res.p_value == pytest.approx((ratios >= ratios["RU"]).mean())
    assert res.rmspe_ratio == pytest.approx(ratios["RU"], rel=1e-4)


def test_integer_years_and_annual_periods_give_the_same_fit():
    """Annual data: integer-year index (wide and panel) equals an annual PeriodIndex."""
    rng = np.random.default_rng(5)
    years = np.arange(1995, 2021)
    donors = pd.DataFrame(rng.normal(100, 10, (26, 4)).cumsum(0), index=years,
                          columns=["DE", "FR", "NL", "PL"])  # fmt: skip
    data = donors.assign(RU=0.6 * donors["DE"] + 0.4 * donors["PL"])
    by_int = bt.synth(data, treated="RU", start=2014, placebos=False)
    annual = data.copy()
    annual.index = pd.period_range("1995", periods=26, freq="Y")
    by_period = bt.synth(annual, treated="RU", start="2014", placebos=False)
    assert by_int.weights.round(3).to_dict() == {"DE": 0.6, "FR": 0.0, "NL": 0.0, "PL": 0.4}
    pd.testing.assert_series_equal(by_int.weights, by_period.weights)
    panel = (
        data.rename_axis("period")
        .reset_index()
        .melt(id_vars="period", var_name="partner", value_name="value")
    )
    by_panel = bt.synth(panel, treated="RU", start=2014, unit="partner", placebos=False)
    pd.testing.assert_series_equal(by_panel.weights, by_int.weights)
