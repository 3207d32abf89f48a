"""Heterogeneity-robust event studies (did(method='imputation'/'sunab')) against independent
implementations: pyfixest's did2s and saturated event study on pyfixest's bundled df_het
data, direct least-squares computations on the castle-doctrine panel (Cheng & Hoekstra
2013, shipped by the causaldata package), and pyfixest fepois for the PPML extended TWFE."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import belru_trade as bt
from belru_trade.errors import InvalidArgumentError, SpecificationError

pf = pytest.importorskip("pyfixest")


@pytest.fixture(scope="module")
def df_het():
    raw = pd.read_csv(Path(pf.__file__).parent / "did" / "data" / "df_het.csv")
    # every third unit (500 units, 15,500 rows): pyfixest's did2s variance builds a dense
    # unit-dummy matrix, too slow and large on the full 1,500 units for the test suite
    raw = raw[raw["unit"] % 3 == 0].reset_index(drop=True)
    data = raw.assign(period=pd.PeriodIndex(raw["year"].astype(str), freq="Y"))
    return raw, data.assign(treated=raw["treat"].astype(int))


HET = dict(outcome="dep_var", treatment="treated", unit=("unit",), time="period",
           window=(-20, 20), binned=False, estimator="ols", fixed_effects=("unit", "time"),
           cluster="state")  # fmt: skip


def test_imputation_equals_pyfixest_did2s(df_het):
    raw, data = df_het
    res = bt.did(data, method="imputation", **HET)
    ref = raw.copy()
    post = [k for k in range(21)]
    for k in post:
        ref[f"ev{k}"] = ((ref["rel_year"] == k) & (ref["g"] > 0)).astype(float)
    att = pf.did2s(ref, yname="dep_var", first_stage="~ 0 | unit + year",
                   second_stage="~ treat", treatment="treat", cluster="state").tidy()  # fmt: skip
    assert res.att["estimate"] == pytest.approx(att.loc["treat", "Estimate"], rel=1e-6)
    assert res.att["std_error"] == pytest.approx(att.loc["treat", "Std. Error"], rel=1e-6)
    second = "~ " + " + ".join(f"ev{k}" for k in post)
    es = pf.did2s(ref, yname="dep_var", first_stage="~ 0 | unit + year",
                  second_stage=second, treatment="treat", cluster="state").tidy()  # fmt: skip
    ours = res.event_table().set_index("event_time").loc[post]
    np.testing.assert_allclose(ours["estimate"], es["Estimate"], rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(ours["std_error"], es["Std. Error"], rtol=1e-6)
    assert res.method == "imputation" and res.pretrend["test"] == "F"
    pt = res.pretrend  # Hotelling F(r, G - r) with G = 40 states, r = 19 pre-period terms
    assert pt["n_clusters"] == 40 and pt["df"] == 19 and pt["df_denom"] == 40 - 19


def _cell_weights(frame: pd.DataFrame, cohort: str, event: str) -> pd.Series:
    counts = frame.groupby([event, cohort]).size()
    return counts / counts.groupby(level=0).transform("sum")


def test_sunab_equals_pyfixest_saturated_event_study(df_het):
    raw, data = df_het
    res = bt.did(data, method="sunab", **HET)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = pf.feols("dep_var ~ i(rel_year, g, ref=-1, ref2=0) | unit + year", raw,
                       vcov={"CRV1": "state"})  # fmt: skip
    coefs, names = fit.coef(), fit._coefnames
    cells = pd.Series(names).str.extract(r"rel_year::(?P<k>[-\d.]+):g::(?P<g>\d+)").astype(float)
    beta = pd.Series(coefs.to_numpy(), index=pd.MultiIndex.from_frame(cells[["k", "g"]]))
    treated = raw[(raw["g"] > 0) & (raw["rel_year"] != -1)]
    w = _cell_weights(treated, "g", "rel_year").reindex(beta.index).fillna(0.0)
    R = pd.get_dummies(beta.index.get_level_values("k")).T.to_numpy(float) * w.to_numpy()
    V = fit._vcov
    ref_est = R @ beta.to_numpy()
    ref_se = np.sqrt(np.diag(R @ V @ R.T))
    ks = sorted(set(beta.index.get_level_values("k")))
    ours = res.event_table().set_index("event_time").loc[[int(k) for k in ks]]
    np.testing.assert_allclose(ours["estimate"], ref_est, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(ours["std_error"], ref_se, rtol=1e-6)  # same CRV1 and ssc


@pytest.fixture(scope="module")
def castle():
    from causaldata import castle as castle_data

    raw = castle_data.load_pandas().data[["sid", "year", "post", "l_homicide"]].copy()
    raw["treated"] = (raw["post"] > 0).astype(int)
    first = raw[raw["treated"] == 1].groupby("sid")["year"].min()
    raw["cohort"] = raw["sid"].map(first)
    raw["k"] = raw["year"] - raw["cohort"]
    raw["period"] = pd.PeriodIndex(raw["year"].astype(str), freq="Y")
    return raw


CASTLE = dict(outcome="l_homicide", treatment="treated", unit=("sid",), time="period",
              window=(-10, 4), binned=False, estimator="ols",
              fixed_effects=("unit", "time"))  # fmt: skip


def _dummies(raw: pd.DataFrame) -> np.ndarray:
    units = pd.get_dummies(raw["sid"], dtype=float)
    years = pd.get_dummies(raw["year"], dtype=float).iloc[:, 1:]
    return pd.concat([units, years], axis=1).to_numpy()


def test_imputation_on_castle_equals_direct_least_squares(castle):
    res = bt.did(castle, method="imputation", **CASTLE)
    X, y = _dummies(castle), castle["l_homicide"].to_numpy()
    untreated = castle["treated"].to_numpy() == 0
    theta = np.linalg.lstsq(X[untreated], y[untreated], rcond=None)[0]
    tau = pd.Series(y - X @ theta)[~untreated]
    assert res.att["estimate"] == pytest.approx(tau.mean(), rel=1e-8)
    by_k = tau.groupby(castle.loc[~untreated, "k"].to_numpy()).mean()
    ours = res.event_table().set_index("event_time")["estimate"]
    np.testing.assert_allclose(ours.loc[by_k.index], by_k, rtol=1e-8, atol=1e-10)


def test_sunab_on_castle_equals_direct_least_squares(castle):
    res = bt.did(castle, method="sunab", **CASTLE)
    cell = castle["cohort"].notna() & (castle["k"] != -1)
    key = (
        castle.loc[cell, "cohort"].astype(int).astype(str)
        + "_"
        + castle.loc[cell, "k"].astype(int).astype(str)
    )
    D = pd.get_dummies(key, dtype=float).reindex(castle.index, fill_value=0.0)
    X = np.column_stack([D.to_numpy(), _dummies(castle)])
    b = np.linalg.lstsq(X, castle["l_homicide"].to_numpy(), rcond=None)[0][: D.shape[1]]
    cells = pd.Series(b, index=D.columns)
    meta = pd.Series(D.columns).str.split("_", expand=True).astype(int)
    counts = pd.Series(D.sum().to_numpy())
    share = counts / counts.groupby(meta[1]).transform("sum")
    ref = (cells.to_numpy() * share).groupby(meta[1]).sum()
    ours = res.event_table().set_index("event_time")["estimate"]
    np.testing.assert_allclose(ours.loc[ref.index], ref, rtol=1e-7, atol=1e-9)
    post = (meta[1] >= 0).to_numpy()
    att = float((b * counts)[post].sum() / counts[post].sum())
    assert res.att["estimate"] == pytest.approx(att, rel=1e-7)


def test_sunab_last_treated_cohort_as_control(castle):
    """No never-treated units: the 2010 cohort is the control and 2010 is dropped."""
    treated_only = castle[castle["cohort"].notna()].reset_index(drop=True)
    res = bt.did(treated_only, method="sunab", **CASTLE)
    sample = treated_only[treated_only["year"] < 2010].reset_index(drop=True)
    cell = (sample["cohort"] < 2010) & (sample["k"] != -1)
    key = sample["cohort"].astype(int).astype(str) + "_" + sample["k"].astype(int).astype(str)
    D = pd.get_dummies(key.where(cell), dtype=float).reindex(sample.index, fill_value=0.0)
    X = np.column_stack([D.to_numpy(), _dummies(sample)])
    b = np.linalg.lstsq(X, sample["l_homicide"].to_numpy(), rcond=None)[0][: D.shape[1]]
    meta = pd.Series(D.columns).str.split("_", expand=True).astype(int)
    counts = pd.Series(D.sum().to_numpy())
    ref = (b * counts / counts.groupby(meta[1]).transform("sum")).groupby(meta[1]).sum()
    ours = res.event_table().set_index("event_time")["estimate"]
    assert sorted(ours.index) == sorted([*ref.index, -1])
    np.testing.assert_allclose(ours.loc[ref.index], ref, rtol=1e-7, atol=1e-9)


def _poisson_panel(seed=3):
    rng = np.random.default_rng(seed)
    units, years = 90, range(2010, 2020)
    cohort = np.repeat([2014, 2016, 0], units // 3)
    rows = [(i, t, cohort[i]) for i in range(units) for t in years]
    df = pd.DataFrame(rows, columns=["unit", "year", "g"])
    a = rng.normal(1.0, 0.5, units)[df["unit"]]
    post = (df["g"] > 0) & (df["year"] >= df["g"])
    effect = np.where(post, -0.3 - 0.05 * (df["year"] - df["g"]) + 0.2 * (df["g"] == 2016), 0)
    df["y"] = rng.poisson(np.exp(a + 0.05 * (df["year"] - 2010) + effect)).astype(float)
    df["treated"] = post.astype(int)
    df["period"] = pd.PeriodIndex(df["year"].astype(str), freq="Y")
    return df, post


def test_ppml_extended_twfe_equals_pyfixest_fepois():
    df, post = _poisson_panel()
    res = bt.did(df, outcome="y", treatment="treated", unit=("unit",), time="period",
                 window=(-6, 5), binned=False, estimator="ppml", method="imputation",
                 fixed_effects=("unit", "time"))  # fmt: skip
    ref = df.copy()
    key = (ref["g"].astype(str) + "_" + ref["year"].astype(str)).where(post)
    D = pd.get_dummies(key, dtype=float, prefix="c").reindex(ref.index, fill_value=0.0)
    D.columns = [c.replace("c_", "c").replace("_", "y") for c in D.columns]
    ref = pd.concat([ref, D], axis=1)
    fit = pf.fepois(f"y ~ {' + '.join(D.columns)} | unit + year", ref, vcov={"CRV1": "unit"})
    b = fit.coef()[list(D.columns)].to_numpy()
    mine = res.cells.set_index(["cohort", "period_ordinal"])["estimate"]
    g = [int(c[1:5]) for c in D.columns]
    t = [int(c[6:]) for c in D.columns]
    cohort_ord = [pd.Period(str(v), "Y").ordinal for v in g]
    cal_ord = [pd.Period(str(v), "Y").ordinal for v in t]
    np.testing.assert_allclose(mine.loc[list(zip(cohort_ord, cal_ord, strict=True))], b,
                               rtol=1e-6, atol=1e-7)  # fmt: skip
    n = D.sum().to_numpy()
    assert res.att["estimate"] == pytest.approx(float(b @ n / n.sum()), rel=1e-6)
    V = fit._vcov[np.ix_(range(len(b)), range(len(b)))]
    se = float(np.sqrt(n @ V @ n) / n.sum())
    assert res.att["std_error"] == pytest.approx(se, rel=1e-6)
    assert res.att["estimate"] < 0 and res.model.endswith("imputation)")


def test_ppml_sun_abraham_equals_pyfixest_fepois():
    df, _ = _poisson_panel(seed=4)
    res = bt.did(df, outcome="y", treatment="treated", unit=("unit",), time="period",
                 window=(-6, 5), binned=False, estimator="ppml", method="sunab",
                 fixed_effects=("unit", "time"))  # fmt: skip
    ref = df.copy()
    k = ref["year"] - ref["g"]
    cell = (ref["g"] > 0) & (k != -1)
    key = ("g" + ref["g"].astype(str) + "k" + (k + 10).astype(str)).where(cell)
    D = pd.get_dummies(key, dtype=float).reindex(ref.index, fill_value=0.0)
    fit = pf.fepois(f"y ~ {' + '.join(D.columns)} | unit + year", pd.concat([ref, D], axis=1))
    b = fit.coef()[list(D.columns)]
    meta = pd.DataFrame({"g": [int(c[1:5]) for c in D.columns],
                         "k": [int(c[6:]) - 10 for c in D.columns],
                         "n": D.sum().to_numpy()})  # fmt: skip
    share = meta["n"] / meta.groupby("k")["n"].transform("sum")
    expected = (b.to_numpy() * share).groupby(meta["k"]).sum()
    ours = res.event_table().set_index("event_time")["estimate"]
    np.testing.assert_allclose(ours.loc[expected.index], expected, rtol=1e-6, atol=1e-7)


def test_staggered_heterogeneous_effects_twfe_biased_robust_methods_not():
    """Effects growing with time since treatment and earlier cohorts as controls: TWFE's
    pooled estimate is pulled away from the true ATT; imputation and Sun-Abraham recover it."""
    rng = np.random.default_rng(5)
    years = range(2000, 2012)
    rows = [(i, t, 2003 + 3 * (i % 4)) for i in range(160) for t in years]  # 2012: never
    df = pd.DataFrame(rows, columns=["unit", "year", "g"])
    k = (df["year"] - df["g"]).where(df["g"] < 2012, -99)
    tau = np.where(k >= 0, 1.0 + 0.5 * k, 0.0)
    df["y"] = rng.normal(0, 0.5, 160)[df["unit"]] + 0.1 * (df["year"] - 2000) + tau
    df["y"] += rng.normal(0, 0.1, len(df))
    df["treated"] = (k >= 0).astype(int)
    df["period"] = pd.PeriodIndex(df["year"].astype(str), freq="Y")
    truth = tau[k >= 0].mean()
    kw = dict(outcome="y", unit=("unit",), time="period", window=(-9, 8), binned=False,
              estimator="ols", fixed_effects=("unit", "time"))  # fmt: skip
    twfe = bt.did(df, **kw)
    assert abs(twfe.att["estimate"] - truth) > 0.5
    for method in ("imputation", "sunab"):
        res = bt.did(df, method=method, **kw)
        assert res.att["estimate"] == pytest.approx(truth, abs=0.05), method


def test_method_errors(castle):
    with pytest.raises(InvalidArgumentError, match="method="):
        bt.did(castle, method="cs", **CASTLE)
    always = castle.copy()
    always.loc[always["sid"] == always.loc[always["treated"] == 1, "sid"].iloc[0], "treated"] = 1
    with pytest.raises(SpecificationError, match="cannot be imputed"):
        bt.did(always, method="imputation", **{**CASTLE, "window": (-10, 10)})
