"""Event study / DiD: known effects and flat pre-trends recovered, independent GLM/OLS
check of the estimates, pre-trend detection, event-registry treatment, errors."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

import belru_trade as bt
from belru_trade.errors import InvalidArgumentError, SpecificationError

PERIODS = pd.period_range("2013-01", "2015-12", freq="M")
START = pd.Period("2014-08", "M")


def _panel(effect=-0.8, pretrend=0.0, n_products=12, seed=0):
    """Products x {RU, DE, PL} x months; products 0-5 embargoed to RU from 2014-08."""
    rng = np.random.default_rng(seed)
    rows = [(p, d, t) for p in range(n_products) for d in ("RU", "DE", "PL") for t in PERIODS]
    df = pd.DataFrame(rows, columns=["product", "partner", "period"])
    df["product"] = df["product"].map(lambda p: f"08{p:04d}")
    group = (df["product"] < "080006") & (df["partner"] == "RU")
    k = np.array([(t - START).n for t in df["period"]])
    df["treated"] = (group & (k >= 0)).astype(int)
    unit_fe = rng.normal(0, 0.5, n_products * 3).repeat(len(PERIODS))
    dest_time = {(d, t): rng.normal(0, 0.3) for d in ("RU", "DE", "PL") for t in PERIODS}
    shock = np.array([dest_time[(d, t)] for d, t in zip(df["partner"], df["period"], strict=True)])
    eta = 5 + unit_fe + shock + effect * df["treated"] + pretrend * group * np.minimum(k, 0)
    df["value"] = rng.poisson(np.exp(eta)).astype(float)
    return df


def test_known_effect_zero_pretrend_ppml(tmp_path):
    res = bt.did(_panel(), window=(-6, 6), estimator="ppml")
    att = res.att
    assert att["conf_low"] <= -0.8 <= att["conf_high"]
    assert att["estimate"] == pytest.approx(-0.8, abs=0.1)
    table = res.event_table().set_index("event_time")
    post = table.loc[0:, "estimate"]
    assert np.all(np.abs(post - (-0.8)) < 0.25)
    assert table.loc[-1, "estimate"] == 0.0
    assert res.pretrend["df"] == 5
    assert res.pretrend["p_value"] > 0.01
    assert "event[<=-6]" in res.params.index and "event[>=6]" in res.params.index
    from belru_trade.plotting.charts import save_png

    assert save_png(res.plot(), tmp_path / "es.png").stat().st_size > 1000


def test_pretrend_detected():
    res = bt.did(_panel(effect=0.0, pretrend=0.05), window=(-6, 6), estimator="ppml")
    assert res.pretrend["p_value"] < 0.001


@pytest.mark.parametrize("estimator", ["ppml", "ols"])
def test_estimates_equal_dummy_variable_regression(estimator):
    """Same coefficients as statsmodels with explicit fixed-effect dummies (small panel)."""
    df = _panel(n_products=8, seed=1)
    df = df[df["partner"] != "PL"].reset_index(drop=True)
    res = bt.did(df, window=(-3, 3), estimator=estimator, cluster=None)
    d = df.copy()
    d["unit"] = d["product"] + d["partner"]
    d["dt"] = d["partner"] + d["period"].astype(str)
    k = np.array([(t - START).n for t in d["period"]]).clip(-3, 3)
    group = (d["product"] < "080006") & (d["partner"] == "RU")
    ev = pd.DataFrame({e: (group & (k == e)).astype(float) for e in range(-3, 4) if e != -1})
    units = pd.get_dummies(d["unit"], dtype=float)  # full set, no constant
    first = d["period"] == d["period"].min()  # one omitted partner x period per partner
    dt = pd.get_dummies(d["dt"].where(~first, "ref"), dtype=float).drop(columns="ref")
    X = pd.concat([ev, units, dt], axis=1)
    if estimator == "ppml":
        ref = sm.GLM(d["value"], X, family=sm.families.Poisson()).fit(tol=1e-12)
    else:
        ref = sm.OLS(d["value"], X).fit()
    expected = ref.params[list(ev.columns)].to_numpy()
    np.testing.assert_allclose(res.params.to_numpy(), expected, rtol=1e-6, atol=1e-6)


def test_treatment_from_event_registry():
    df = _panel(n_products=6)
    df["product"] = df["product"].replace({"080000": "080830", "080001": "040690"})
    df = df.assign(reporter="BE", flow="export")
    res = bt.did(df, events="RU-2014-RES778", treatment=None, window=(-3, 3))
    from belru_trade.events import treatment

    manual = df.assign(d=treatment(df, "RU-2014-RES778"))
    assert set(manual.loc[manual["d"] == 1, "product"]) == {"080830", "040690"}
    res2 = bt.did(manual, treatment="d", window=(-3, 3))
    pd.testing.assert_series_equal(res.params, res2.params)


def test_did_errors():
    df = _panel(n_products=8)
    with pytest.raises(InvalidArgumentError, match="lacks columns"):
        bt.did(df.drop(columns="value"))
    with pytest.raises(InvalidArgumentError, match="only 0 and 1"):
        bt.did(df.assign(treated=df["treated"] * 2))
    with pytest.raises(InvalidArgumentError, match="window"):
        bt.did(df, window=(0, 6))
    with pytest.raises(SpecificationError, match="no treated"):
        bt.did(df.assign(treated=0))
    with pytest.raises(InvalidArgumentError, match="estimator="):
        bt.did(df, estimator="logit")
    with pytest.raises(InvalidArgumentError, match="duplicated"):
        bt.did(pd.concat([df, df.iloc[:1]]))


def test_product_time_effects_and_unbinned_window():
    res = bt.did(
        _panel(), window=(-4, 4), fixed_effects=("unit", "destination^time", "product^time"),
        binned=False, estimator="ppml",
    )  # fmt: skip
    assert res.att["conf_low"] <= -0.8 <= res.att["conf_high"]
    assert "event[-4]" in res.params.index and "event[<=-4]" not in res.params.index


def test_event_study_ses_and_pretrend_match_pyfixest():
    """Event coefficients, clustered SEs and the pre-trend Wald test against pyfixest
    (dummies built here, fepois with unit and destination x period effects, CRV1 by unit;
    the Wald statistic computed from pyfixest's covariance matrix)."""
    pf = pytest.importorskip("pyfixest")
    from scipy import stats

    df = _panel(pretrend=0.02)
    res = bt.did(df, window=(-6, 6), estimator="ppml")
    d = df.copy()
    d["unit"] = d["product"] + d["partner"]
    d["dt"] = d["partner"] + d["period"].astype(str)
    k = np.array([(t - START).n for t in d["period"]]).clip(-6, 6)
    group = (d["product"] < "080006") & (d["partner"] == "RU")
    times = [e for e in range(-6, 7) if e != -1]
    names = [f"e{'m' if e < 0 else 'p'}{abs(e)}" for e in times]
    for e, name in zip(times, names, strict=True):
        d[name] = (group & (k == e)).astype(float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = pf.fepois(
            f"value ~ {' + '.join(names)} | unit + dt", d, vcov={"CRV1": "unit"},
            fixef_tol=1e-12, iwls_tol=1e-12,
        )  # fmt: skip
    np.testing.assert_allclose(res.params.to_numpy(), fit.coef()[names].to_numpy(), atol=1e-6)
    np.testing.assert_allclose(res.std_errors.to_numpy(), fit.se()[names].to_numpy(), rtol=1e-6)
    pre = [n for n, e in zip(names, times, strict=True) if e < -1]
    vcov = pd.DataFrame(fit._vcov, index=fit.coef().index, columns=fit.coef().index)
    b = fit.coef()[pre].to_numpy()
    wald = float(b @ np.linalg.solve(vcov.loc[pre, pre].to_numpy(), b))
    assert res.pretrend["df"] == len(pre) == 5
    assert res.pretrend["statistic"] == pytest.approx(wald, rel=1e-6)
    assert res.pretrend["p_value"] == pytest.approx(stats.chi2.sf(wald, len(pre)), rel=1e-6)


def test_ols_did_has_the_standard_errors_of_bt_ols():
    """One model, one standard error: bt.did(estimator='ols') equals bt.ols on the same
    regression (clustered and robust, each ssc), with t(G - 1) p-values."""
    df = _panel(n_products=8, seed=3)
    k = np.array([(t - START).n for t in df["period"]]).clip(-3, 3)
    group = (df["product"] < "080006") & (df["partner"] == "RU")
    d = df.assign(unit=df["product"] + df["partner"], dt=df["partner"] + df["period"].astype(str))
    names = {e: f"e{e + 3}" for e in range(-3, 4) if e != -1}
    for e, col in names.items():
        d[col] = (group & (k == e)).astype(float)
    formula = f"value ~ {' + '.join(names.values())} | unit + dt"
    for cluster, ssc in [("unit", "fixest"), (None, "fixest"), ("unit", "none")]:
        res = bt.did(df, window=(-3, 3), estimator="ols", cluster=cluster, ssc=ssc)
        ref = bt.ols(formula, d, cluster="unit" if cluster else None, ssc=ssc)
        np.testing.assert_allclose(res.params.to_numpy(), ref.params.to_numpy(), rtol=1e-8)
        np.testing.assert_allclose(res.std_errors.to_numpy(), ref.std_errors.to_numpy(), rtol=1e-8)
        np.testing.assert_allclose(res.tidy()["p_value"], ref.tidy()["p_value"], rtol=1e-6)
        assert res.df_resid == ref.df_resid
    assert res.df_resid == d["unit"].nunique() - 1
    pooled = bt.ols("value ~ treated | unit + dt", d, cluster="unit", ssc="none")
    assert res.att["std_error"] == pytest.approx(pooled.std_errors["treated"], rel=1e-8)
    assert res.att["p_value"] == pytest.approx(pooled.pvalues["treated"], rel=1e-6)


def test_ols_cross_checked_with_linearmodels():
    """linearmodels' AbsorbingLS (independent implementation): same estimates; the same
    standard errors once its conventions are matched (no small-sample factor)."""
    from linearmodels.iv.absorbing import AbsorbingLS

    df = _panel(n_products=8, seed=4)
    d = df.assign(unit=df["product"] + df["partner"], dt=df["partner"] + df["period"].astype(str))
    absorb = pd.DataFrame({c: pd.Categorical(d[c]) for c in ("unit", "dt")})
    model = AbsorbingLS(d["value"], d[["treated"]], absorb=absorb)
    clusters = pd.DataFrame({"c": pd.Categorical(d["unit"]).codes})
    theirs = model.fit(cov_type="clustered", clusters=clusters, debiased=False)
    ours = bt.ols("value ~ treated | unit + dt", d, cluster="unit", ssc="none")
    assert ours.params["treated"] == pytest.approx(theirs.params["treated"], rel=1e-8)
    assert ours.std_errors["treated"] == pytest.approx(theirs.std_errors["treated"], rel=1e-8)
    robust = model.fit(cov_type="robust", debiased=False)
    ours_hc = bt.ols("value ~ treated | unit + dt", d, ssc="none")
    assert ours_hc.std_errors["treated"] == pytest.approx(robust.std_errors["treated"], rel=1e-8)
    via_did = bt.did(df, window=(-3, 3), estimator="ols", ssc="none")
    assert via_did.att["std_error"] == pytest.approx(theirs.std_errors["treated"], rel=1e-8)


def test_bin_labels_only_when_something_was_binned():
    df = _panel(n_products=8, seed=5)
    wide = bt.did(df, window=(-6, 6), estimator="ppml").params.index
    assert "event[<=-6]" in wide and "event[>=6]" in wide
    k = np.array([(t - START).n for t in df["period"]])
    short = df[(k >= -4) & (k <= 4)]
    exact = bt.did(short, window=(-4, 4), estimator="ppml").params.index
    assert "event[-4]" in exact and "event[4]" in exact
    assert not any("<=" in n or ">=" in n for n in exact)


def test_terms_absorbed_by_the_fixed_effects_are_named_by_event_time():
    """Every flow to RU treated: RU x period effects absorb the event terms (named)."""
    df = _panel(n_products=6, seed=5)
    with (
        pytest.warns(bt.CollinearityWarning),
        pytest.raises(SpecificationError, match=r"event\[0\]"),
    ):
        bt.did(df, window=(-3, 3), estimator="ppml")
