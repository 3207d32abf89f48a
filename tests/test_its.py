"""Interrupted time series: Sicily reference values, input errors, counterfactual, placebo."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

import belru_trade as bt
from belru_trade.errors import (
    InvalidArgumentError,
    SeparationWarning,
    ShortSeriesError,
    SpecificationError,
)
from belru_trade.models.its.design import build_design, newey_west_lags


@pytest.fixture(scope="module")
def sicily(reference_dir):
    d = pd.read_csv(reference_dir / "sicily_lopezbernal2017.csv")
    idx = pd.PeriodIndex(
        [pd.Period(f"{a}-{b:02d}", "M") for a, b in zip(d.year, d.month, strict=True)]
    )
    y = pd.Series(d["aces"].to_numpy(float), index=idx, name="aces")
    return y, pd.Series(d["stdpop"].to_numpy(float), index=idx)


@pytest.fixture(scope="module")
def refs(reference_dir):
    table = pd.read_csv(reference_dir / "model_reference_values.csv").set_index("case_id")
    return table


def _ci(text: str, label: str = "95% CI") -> tuple[float, float]:
    match = re.search(re.escape(label) + r" (\d\.\d+)-(\d\.\d+)", text)
    assert match, text
    return float(match.group(1)), float(match.group(2))


def _row(res):
    return res.tidy().set_index("term").loc["level_change"]


def test_sicily_poisson_model_based(sicily, refs):
    y, pop = sicily
    ref = refs.loc["sicily_m1_poisson"]
    res = bt.its(
        y, "2005-01", family="poisson", exposure=pop, seasonality=None, slope_change=False,
        errors="model",
    )  # fmt: skip
    row = _row(res)
    tol = float(ref["tol_estimate"])
    assert row["ratio"] == pytest.approx(float(ref["estimate"]), abs=tol)
    low, high = _ci(ref["notes"])
    assert row["ratio_low"] == pytest.approx(low, abs=tol)
    assert row["ratio_high"] == pytest.approx(high, abs=tol)


def test_sicily_quasipoisson_seasonal(sicily, refs):
    y, pop = sicily
    ref = refs.loc["sicily_m3_seasonal"]
    res = bt.its(
        y, ["2005-01"], family="quasipoisson", exposure=pop, seasonality="fourier", harmonics=2,
        slope_change=False, errors="model",
    )  # fmt: skip
    row = _row(res)
    tol = float(ref["tol_estimate"])
    assert row["ratio"] == pytest.approx(float(ref["estimate"]), abs=tol)
    low, high = _ci(ref["notes"])
    assert (row["ratio_low"], row["ratio_high"]) == pytest.approx((low, high), abs=tol)
    dispersion = float(re.search(r"dispersion (\d\.\d+)", ref["notes"]).group(1))
    assert res.dispersion == pytest.approx(dispersion, abs=5e-5)
    trend = float(re.search(r"trend x(\d\.\d+) per year", ref["notes"]).group(1))
    assert np.exp(12 * res.params["trend"]) == pytest.approx(trend, abs=tol)


def test_sicily_newey_west(sicily, refs):
    y, pop = sicily
    ref = refs.loc["sicily_m3_seasonal"]
    assert newey_west_lags(len(y)) == 3  # the default rule gives the reference's 3 lags
    res = bt.its(y, "2005-01", family="poisson", exposure=pop, slope_change=False, errors="hac")
    low, high = _ci(ref["notes"], "Newey-West(3) Poisson CI")
    row = _row(res)
    assert (row["ratio_low"], row["ratio_high"]) == pytest.approx((low, high), abs=5e-5)
    assert "3 lags" in res.cov_type


def _irls_poisson(y, X, offset):
    """Poisson MLE by Newton's method in numpy (independent of statsmodels and its_fit)."""
    beta = np.zeros(X.shape[1])
    beta[0] = np.log(y.sum() / np.exp(offset).sum())
    for _ in range(100):
        mu = np.exp(X @ beta + offset)
        step = np.linalg.solve(X.T @ (X * mu[:, None]), X.T @ (y - mu))
        beta += step
        if np.max(np.abs(step)) < 1e-13:
            break
    mu = np.exp(X @ beta + offset)
    return beta, np.linalg.inv(X.T @ (X * mu[:, None])), mu


@pytest.mark.parametrize("seasonal", [False, True])
def test_sicily_models_against_independent_numpy_fit(reference_dir, sicily, seasonal):
    """The tutorial's models (Rcode.R model1 and the quasi-Poisson model with two harmonics)
    refitted by hand: estimates and SEs at 1e-6 relative, and the 95% intervals of both
    ``tidy()`` and ``effect()`` equal exp(b -/+ z * se) with the normal quantile."""
    d = pd.read_csv(reference_dir / "sicily_lopezbernal2017.csv")
    y = d["aces"].to_numpy(float)
    cols = [np.ones(len(d)), d["time"].to_numpy(float), d["smokban"].to_numpy(float)]
    if seasonal:
        for k in (1, 2):
            angle = 2 * np.pi * k * d["month"].to_numpy(float) / 12
            cols += [np.sin(angle), np.cos(angle)]
    X = np.column_stack(cols)
    beta, bread, mu = _irls_poisson(y, X, np.log(d["stdpop"].to_numpy(float)))
    scale = np.sum((y - mu) ** 2 / mu) / (len(y) - X.shape[1]) if seasonal else 1.0
    se = np.sqrt(bread[2, 2] * scale)
    yy, pop = sicily
    res = bt.its(
        yy, "2005-01", family="quasipoisson" if seasonal else "poisson", exposure=pop,
        seasonality="fourier" if seasonal else None, harmonics=2, slope_change=False,
        errors="model",
    )  # fmt: skip
    assert res.params["level_change"] == pytest.approx(beta[2], rel=1e-6)
    assert res.std_errors["level_change"] == pytest.approx(se, rel=1e-6)
    z = 1.959963984540054  # normal 97.5% quantile: GLM inference is asymptotic
    expected = (np.exp(beta[2] - z * se), np.exp(beta[2] + z * se))
    row = _row(res)
    assert (row["ratio_low"], row["ratio_high"]) == pytest.approx(expected, rel=1e-6)
    eff = res.effect("2006-06")
    assert eff["estimate"] == pytest.approx(beta[2], rel=1e-6)
    assert (eff["ratio_low"], eff["ratio_high"]) == pytest.approx(expected, rel=1e-6)


def test_gaussian_effect_interval_uses_t_quantile():
    y, _ = _simulated(n=96)
    res = bt.its(np.log(y), "2014-08", family="gaussian", errors="model", harmonics=1)
    X = res.design.X.to_numpy()
    ly = np.log(y.to_numpy())
    beta, *_ = np.linalg.lstsq(X, ly, rcond=None)
    df = len(ly) - X.shape[1]
    cov = np.linalg.inv(X.T @ X) * np.sum((ly - X @ beta) ** 2) / df
    j = list(res.design.X.columns).index("level_change")
    c = np.zeros(X.shape[1])
    c[j], c[j + 1] = 1.0, 3.0  # third post period: level + 3 x slope
    est, se = c @ beta, np.sqrt(c @ cov @ c)
    assert df == 90
    q = 1.9866745  # t(90) 97.5% quantile (R: qt(0.975, 90) = 1.986675); the normal's is 1.96
    eff = res.effect("2014-10")
    assert eff["estimate"] == pytest.approx(est, rel=1e-9)
    expected = (est - q * se, est + q * se)
    assert (eff["conf_low"], eff["conf_high"]) == pytest.approx(expected, abs=1e-7 * se)


def test_slope_convention_and_terms():
    idx = pd.period_range("2013-01", periods=30, freq="M")
    with pytest.raises(ShortSeriesError, match="12 observations; at least 14"):
        build_design(idx, ["2014-01"], seasonality="dummies")
    idx = pd.period_range("2012-01", periods=42, freq="M")
    d = build_design(idx, ["2014-01", "2014-07"], seasonality="dummies", slope_change=True)
    x = d.X
    assert "season[12]" in x.columns and "season[1]" not in x.columns
    assert x.loc[pd.Period("2014-01", "M"), "slope_change[2014-01]"] == 1.0
    assert x.loc[pd.Period("2013-12", "M"), "slope_change[2014-01]"] == 0.0
    assert x.loc[pd.Period("2014-07", "M"), "level_change[2014-07]"] == 1.0
    assert x.loc[pd.Period("2014-06", "M"), "level_change[2014-07]"] == 0.0


def _simulated(n=96, level=-0.5, slope=-0.01, seed=3, start="2014-08"):
    idx = pd.period_range("2010-01", periods=n, freq="M")
    t = np.arange(1, n + 1)
    post = idx >= pd.Period(start, "M")
    since = np.where(post, t - t[post][0] + 1, 0)
    eta = 5 + 0.005 * t + 0.2 * np.sin(2 * np.pi * idx.month / 12) + level * post + slope * since
    y = np.random.default_rng(seed).poisson(np.exp(eta)).astype(float)
    return pd.Series(y, index=idx, name="exports"), eta


def test_recovers_known_effects_and_effect_algebra():
    y, _ = _simulated(n=120)
    res = bt.its(y, "2014-08", family="poisson", errors="model", harmonics=1)
    assert res.params["level_change"] == pytest.approx(-0.5, abs=0.08)
    assert res.params["slope_change"] == pytest.approx(-0.01, abs=0.004)
    eff = res.effect("2014-10")  # third post period: level + 3 * slope
    assert eff["estimate"] == pytest.approx(
        res.params["level_change"] + 3 * res.params["slope_change"], rel=1e-12
    )
    assert eff["ratio"] == pytest.approx(eff["fitted"] / eff["counterfactual"], rel=1e-9)


def test_counterfactual_table(sicily):
    y, pop = sicily
    res = bt.its(y, "2005-01", family="quasipoisson", exposure=pop, slope_change=False)
    cf = res.counterfactual(n_sim=2000)
    pre = cf.index < pd.Period("2005-01", "M")
    # before the ban the counterfactual is the fitted path; after it, above by 1/RR
    assert np.allclose(cf.loc[pre, "counterfactual"], cf.loc[pre, "fitted"])
    ratio = cf.loc[~pre, "fitted"] / cf.loc[~pre, "counterfactual"]
    assert np.allclose(ratio, np.exp(res.params["level_change"]))
    last = cf.iloc[-1]
    assert last["cumulative_low"] < last["cumulative_lost"] < last["cumulative_high"]
    assert last["cumulative_lost"] == pytest.approx(cf.loc[~pre, "lost"].sum())
    assert (cf.loc[~pre, "cf_low"] < cf.loc[~pre, "counterfactual"]).all()
    assert cf.loc[pre, "cumulative_lost"].isna().all()


def test_placebo_and_plot(sicily, tmp_path):
    y, pop = sicily
    res = bt.its(y, "2005-01", family="quasipoisson", exposure=pop, slope_change=False)
    pl = res.placebo(n=8)
    assert len(pl.placebos) == 8
    assert (pl.placebos["date"] < pd.Period("2005-01", "M")).all()
    # rank p-value over the 9 dates (8 placebos + the ban) of |z| at least the ban's
    real = abs(res.params["level_change"] / res.std_errors["level_change"])
    assert pl.statistic == pytest.approx(-real)
    at_least = 1 + int((pl.placebos["statistic"].abs() >= real).sum())
    assert pl.p_value == pytest.approx(at_least / 9)
    assert pl.p_value == pytest.approx(1 / 9)  # no pre-ban date looks like the ban
    from belru_trade.plotting.charts import save_png

    path = save_png(res.plot(unit="events"), tmp_path / "its.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_several_interventions_suffixes():
    y, _ = _simulated(n=120)
    res = bt.its(y, ["2014-08", "2015-08"], family="quasipoisson")
    terms = set(res.tidy()["term"])
    assert {"level_change[2014-08]", "slope_change[2015-08]"} <= terms
    assert "level_change" not in terms


def test_arima_errors_and_gaussian():
    y, _ = _simulated(n=96)
    res = bt.its(np.log(y), "2014-08", family="gaussian", errors="arima", arima_order=(1, 0))
    assert "ARMA(1,0)" in res.cov_type
    assert res.params["level_change"] == pytest.approx(-0.5, abs=0.15)
    assert "ratio" not in res.tidy().columns
    with pytest.raises(InvalidArgumentError, match="arima"):
        bt.its(y, "2014-08", family="poisson", errors="arima")


def test_datetime_index_and_panel_selector():
    y, _ = _simulated(n=72)
    ydt = y.copy()
    ydt.index = y.index.to_timestamp()
    a = bt.its(y, "2014-08", family="poisson").params
    b = bt.its(ydt, "2014-08", family="poisson").params
    pd.testing.assert_series_equal(a, b)
    panel = pd.DataFrame(
        {"reporter": "BE", "partner": "RU", "product": "080830", "period": y.index, "value": y}
    )
    c = bt.its(panel, "2014-08", family="poisson", selector={"partner": "RU"}).params
    pd.testing.assert_series_equal(a, c)


@pytest.mark.parametrize(
    ("mutate", "error", "match"),
    [
        (lambda y: y.iloc[::-1], InvalidArgumentError, "non-monotonic"),
        (lambda y: y.drop(y.index[10]), InvalidArgumentError, "gaps"),
        (lambda y: y * 0, InvalidArgumentError, "zero in every period"),
        (lambda y: y.where(y.index != y.index[5]), InvalidArgumentError, "missing"),
        (lambda y: y.iloc[:-20].iloc[-66:], InvalidArgumentError, "outside the series"),
        (lambda y: y.iloc[50:], ShortSeriesError, "pre-intervention"),
        (lambda y: y.iloc[:56], ShortSeriesError, "segment starting"),
    ],
)
def test_input_errors(mutate, error, match):
    y, _ = _simulated(n=72)  # 2010-01 .. 2015-12, intervention 2014-08 at position 55
    with pytest.raises(error, match=match):
        bt.its(mutate(y), "2014-08", family="poisson")


def test_zero_segment_and_bad_options():
    y, _ = _simulated(n=72)
    stopped = y.where(y.index < pd.Period("2014-08", "M"), 0.0)
    with pytest.warns(SeparationWarning, match="trade stopped"):
        res = bt.its(stopped, "2014-08", family="quasipoisson")
    assert res.extra["status"] == "trade stopped"
    with pytest.raises(SpecificationError, match="trade stopped"):
        bt.its(y.where(y.index >= pd.Period("2014-08", "M"), 0.0), "2014-08")
    with pytest.raises(InvalidArgumentError, match="family="):
        bt.its(y, "2014-08", family="negbin")
    with pytest.raises(InvalidArgumentError, match="harmonics"):
        bt.its(y, "2014-08", harmonics=7)
    with pytest.raises(InvalidArgumentError, match="offset"):
        bt.its(y, "2014-08", family="gaussian", offset=y)
    with pytest.raises(InvalidArgumentError, match="loglinear"):
        bt.its(stopped, "2014-08", family="loglinear")
    annual = pd.Series(np.arange(1.0, 13.0), index=pd.period_range("2005", periods=12, freq="Y"))
    with pytest.raises(InvalidArgumentError, match="annual"):
        bt.its(annual, "2014", seasonality="dummies")
    res = bt.its(annual, "2014", family="gaussian", slope_change=False)
    assert res.params["level_change"] == pytest.approx(0.0, abs=1e-9)


def test_quarterly_frozen_and_effect_errors():
    import dataclasses

    idx = pd.period_range("2008Q1", periods=40, freq="Q")
    t = np.arange(1, 41)
    season = np.array([0.1, -0.05, 0.0, -0.05])[idx.quarter - 1]
    eta = 4 + 0.01 * t + season - 0.3 * (idx >= pd.Period("2014Q3", "Q"))
    y = pd.Series(np.random.default_rng(4).poisson(np.exp(eta)), index=idx, dtype=float)
    res = bt.its(y, "2014Q3", family="poisson", slope_change=False)
    assert [c for c in res.design.X.columns if c[:3] in ("sin", "cos")] == ["sin1", "cos1", "cos2"]
    assert res.params["level_change"] == pytest.approx(-0.3, abs=0.12)
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.family = "gaussian"
    with pytest.raises(InvalidArgumentError, match="outside the post-intervention"):
        res.effect("2010Q1")
    assert res.effect("2015Q1")["estimate"] == pytest.approx(res.params["level_change"])


def test_real_cheese_exports_to_russia_2014_embargo():
    """Cheese (HS 0406) exports to RU, kg, packaged Comtrade snapshot, 2011-01..2016-12.

    Published direction (registry section 3): embargoed imports from sanctioning countries
    fell by 80%+ while non-sanctioning suppliers gained about 40% (Miromanova 2018). EU28
    exports must fall by far more than 80% and Belarus's must rise. The cumulative loss is
    checked against simple arithmetic: the 2013 monthly mean times the 29 post months minus
    what was still exported.
    """
    panel = bt.load_snapshot("comtrade", product="0406", partner="RU", flow="export")
    keep = (panel["period"] >= pd.Period("2011-01", "M")) & (
        panel["period"] <= pd.Period("2016-12", "M")
    )
    panel = panel[keep]
    eu = bt.its(panel, "2014-08", selector={"reporter": "EU28"}, column="quantity")
    row = eu.tidy().set_index("term").loc["level_change"]
    assert row["ratio_high"] < 0.2
    assert eu.effect("2015-08")["ratio_high"] < 0.05
    y = eu.y
    rough = y.loc["2013-01":"2013-12"].mean() * 29 - y.loc["2014-08":].sum()
    assert eu.counterfactual().iloc[-1]["cumulative_lost"] == pytest.approx(rough, rel=0.3)
    by = bt.its(panel, "2014-08", selector={"reporter": "BY"}, column="quantity")
    assert by.tidy().set_index("term").loc["level_change", "ratio_low"] > 1.0


def test_arima_order_chosen_by_aic():
    y, _ = _simulated(n=72)
    res = bt.its(np.log(y), "2014-08", family="gaussian", errors="arima", harmonics=1)
    assert res.cov_type.startswith("ARMA(")
    assert res.extra["arima_order"].startswith("(") and np.isfinite(res.extra["aic"])
    cf = res.counterfactual(n_sim=500)
    assert (cf["cf_low"] < cf["counterfactual"]).all()


def test_offset_is_log_scale_like_statsmodels(sicily):
    """offset= is log scale (statsmodels/fixest); exposure= is raw and logged inside."""
    import statsmodels.api as sm

    y, pop = sicily
    kw = {"family": "poisson", "seasonality": None, "slope_change": False, "errors": "model"}
    by_offset = bt.its(y, "2005-01", offset=np.log(pop), **kw)
    by_exposure = bt.its(y, "2005-01", exposure=pop, **kw)
    X = by_offset.design.X.to_numpy()
    glm = sm.GLM(y.to_numpy(), X, family=sm.families.Poisson(), offset=np.log(pop.to_numpy()))
    ref = glm.fit()
    glm_exp = sm.GLM(y.to_numpy(), X, family=sm.families.Poisson(), exposure=pop.to_numpy())
    np.testing.assert_allclose(by_offset.params.to_numpy(), ref.params, rtol=1e-7)
    np.testing.assert_allclose(by_exposure.params.to_numpy(), glm_exp.fit().params, rtol=1e-7)
    np.testing.assert_allclose(by_offset.std_errors.to_numpy(), ref.bse, rtol=1e-6)
    # the Lopez Bernal et al. (2017) rate ratio, 0.894 (not 0.897 from a doubly logged offset)
    assert np.exp(by_offset.params["level_change"]) == pytest.approx(0.8944, abs=1e-4)
    with pytest.raises(InvalidArgumentError, match="both given"):
        bt.its(y, "2005-01", offset=np.log(pop), exposure=pop, **kw)
    with pytest.raises(InvalidArgumentError, match="exposure must be positive"):
        bt.its(y, "2005-01", exposure=-pop, **kw)


def test_integer_years_and_annual_periods():
    """Integer years and annual Periods give the same fit; no seasonality by default."""
    import statsmodels.api as sm

    years = np.arange(2000, 2020)
    mu = np.exp(5 + 0.03 * (years - 2000) - 0.4 * (years >= 2014))
    y_int = pd.Series(np.random.default_rng(3).poisson(mu).astype(float), index=years)
    y_per = y_int.copy()
    y_per.index = pd.period_range("2000", periods=20, freq="Y")
    a = bt.its(y_int, 2014, family="poisson", errors="model")
    b = bt.its(y_per, "2014", family="poisson", errors="model")
    assert list(a.params.index) == ["const", "trend", "level_change", "slope_change"]
    pd.testing.assert_series_equal(a.params, b.params)
    X = b.design.X.to_numpy()
    ref = sm.GLM(y_int.to_numpy(), X, family=sm.families.Poisson()).fit()
    np.testing.assert_allclose(a.params.to_numpy(), ref.params, rtol=1e-7)
    exposure = pd.Series(np.linspace(1, 2, 20), index=years)
    c = bt.its(y_int, 2014, family="poisson", errors="model", exposure=exposure)
    d = bt.its(y_per, "2014", family="poisson", errors="model", offset=np.log(exposure.to_numpy()))
    np.testing.assert_allclose(c.params.to_numpy(), d.params.to_numpy(), rtol=1e-10)
    with pytest.raises(InvalidArgumentError, match="not possible with annual data"):
        bt.its(y_int, 2014, seasonality="fourier")
    with pytest.raises(InvalidArgumentError, match="calendar years"):
        bt.its(pd.Series(y_int.to_numpy(), index=np.arange(20)), 14)


def test_a_segment_of_zeros_raises_the_named_trade_stopped_error():
    """A segment of zeros has no Poisson level change: a named subclass, not message text."""
    index = pd.period_range("2012-01", periods=36, freq="M")
    y = pd.Series(np.r_[np.linspace(100.0, 130.0, 12), np.zeros(12), np.full(12, 90.0)], index)
    with pytest.raises(bt.TradeStoppedError, match="zero in every period"):
        bt.its(y, ["2013-01", "2014-01"], family="poisson", seasonality=None)
    assert issubclass(bt.TradeStoppedError, bt.SpecificationError)
