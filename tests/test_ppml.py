"""PPML-HDFE validation against published results (fixest vignette, Yotov et al. 2016).

Reference numbers and tolerances are read from tests/data/reference/model_reference_values.csv
(see PROVENANCE.md there); none is produced by this library.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import reference_values as rv
from scipy import stats

import belru_trade as bt
from belru_trade.errors import (
    ConvergenceError,
    InvalidArgumentError,
    SeparationWarning,
    SpecificationError,
)


@pytest.fixture(scope="module")
def refs():
    return rv.load()


@pytest.fixture(scope="module")
def trade(reference_dir):
    return pd.read_csv(reference_dir / "fixest_trade.csv.gz")


@pytest.fixture(scope="module")
def yotov(reference_dir):
    d = pd.read_csv(reference_dir / "yotov2016_agtpa_applications.csv.gz")
    d = d[d["year"].isin(range(1986, 2007, 4))].copy()
    year = d["year"].astype(int).astype(str)
    d["exp_year"] = d["exporter"] + year
    d["imp_year"] = d["importer"] + year
    d["log_dist"] = np.log(d["dist"])
    return d


check = rv.check


@pytest.mark.usefixtures("loops")
def test_fixest_vignette_four_fe_cluster_origin(trade, refs):
    ref = refs.loc["fixest_trade_pois_origin"]
    res = bt.ppml(
        "Euros ~ log(dist_km) | Origin + Destination + Product + Year", trade, cluster="Origin"
    )
    check(res, ref, "log(dist_km)")
    assert res.nobs == ref["n_obs"]
    assert res.converged and res.dropped.empty
    tidy = res.tidy()
    assert list(tidy.columns) == [
        "term",
        "estimate",
        "std_error",
        "statistic",
        "p_value",
        "conf_low",
        "conf_high",
    ]
    # fixest and pyfixest report z inference for Poisson models (df_resid None = normal)
    assert res.df_resid is None
    z = res.params["log(dist_km)"] / res.std_errors["log(dist_km)"]
    assert res.pvalues["log(dist_km)"] == pytest.approx(2 * stats.norm.sf(abs(z)), rel=1e-12)


def test_fixest_vignette_no_fe(trade, refs):
    ref = refs.loc["fixest_trade_pois_nofe"]
    res = bt.ppml("Euros ~ log(dist_km)", trade, cluster="Product", tol=1e-12)
    check(res, ref, se=False)
    assert res.params["Intercept"] == pytest.approx(24.70889, abs=5e-6)
    # at the converged fit the SEs agree with pyfixest (the vignette's differ, see below)
    check(res, refs.loc["fixest_trade_pois_nofe_converged"])
    assert res.std_errors["Intercept"] == pytest.approx(0.3300281228, rel=1e-6)


def test_fixest_vignette_no_fe_se_is_from_the_last_irls_iterate(trade, refs):
    """Why the vignette prints 0.330044 / 0.045954 and the converged fit gives 0.330028 /
    0.045957: fixest stops its IRLS when the relative deviance change falls below glm.tol =
    1e-8 (starting from mu = y + 0.1) and builds the bread from the weights of that last
    iteration, whose input is one step short of convergence. Replaying that loop in numpy
    reproduces the printed SEs to all six digits."""
    ref = refs.loc["fixest_trade_pois_nofe"]
    y = trade["Euros"].to_numpy(float)
    X = np.column_stack([np.ones(len(y)), np.log(trade["dist_km"].to_numpy(float))])
    g = pd.factorize(trade["Product"])[0]
    n, k, n_g = len(y), X.shape[1], g.max() + 1

    def deviance(mu):
        pos = y > 0
        return 2 * (np.sum(y[pos] * np.log(y[pos] / mu[pos])) - np.sum(y - mu))

    mu = y + 0.1
    eta, dev_old = np.log(mu), deviance(mu)
    for _ in range(25):
        w, z = mu, eta + (y - mu) / mu
        beta = np.linalg.solve(X.T @ (X * w[:, None]), X.T @ (w * z))
        eta, mu_prev, mu = X @ beta, mu, np.exp(X @ beta)
        dev = deviance(mu)
        if abs(dev - dev_old) / (0.1 + abs(dev)) < 1e-8:
            break
        dev_old = dev
    bread = np.linalg.inv(X.T @ (X * mu_prev[:, None]))
    scores = X * (y - mu)[:, None]
    meat = np.column_stack([np.bincount(g, scores[:, j]) for j in range(k)])
    cov = bread @ meat.T @ meat @ bread * n_g / (n_g - 1) * (n - 1) / (n - k)
    se = np.sqrt(np.diag(cov))
    assert se[1] == pytest.approx(float(ref["std_error"]), abs=float(ref["tol_se"]))
    assert se[0] == pytest.approx(0.330044, abs=5e-7)


def test_yotov_table1_ppml(yotov, refs):
    ref = refs.loc["yotov_t1_ppml_dist"]
    data = yotov[yotov["exporter"] != yotov["importer"]]
    res = bt.ppml(
        "trade ~ log_dist + cntg + lang + clny | exp_year + imp_year",
        data,
        cluster="pair_id",
        ssc="cluster",
    )
    assert res.nobs == ref["n_obs"]
    for term in ("dist", "cntg", "lang", "clny"):
        check(res, refs.loc[f"yotov_t1_ppml_{term}"])


@pytest.mark.usefixtures("loops")
def test_yotov_rta_pair_fe(yotov, refs):
    ref = refs.loc["yotov_rta_endog"]
    with pytest.warns(SeparationWarning, match="84"):
        res = bt.ppml(
            "trade ~ rta | exp_year + imp_year + pair_id", yotov, cluster="pair_id", ssc="cluster"
        )
    check(res, ref, "rta")
    assert res.nobs == ref["n_obs"]
    assert (res.dropped["reason"] == "all-zero FE group").sum() == 84
    # Stata log (RTAsEffects.log): robust SE .055771, Stata's ML convention N/(N-1)
    robust = res.with_vcov("hetero", ssc="stata")
    check(robust, refs.loc["yotov_rta_stata_robust"])
    assert robust.params["rta"] == res.params["rta"]
    # G/(G-1) only: pyfixest at 1e-6 relative (the factor itself is worth 1e-4 here)
    check(res, refs.loc["yotov_rta_pyfixest_cluster"])
    # fixef() reproduces the fitted linear index
    fx = res.fixef()
    assert set(fx) == {"exp_year", "imp_year", "pair_id"}
    pred = res.predict(yotov.loc[res.state.index])
    assert np.all(np.isfinite(pred))
    kept = yotov.loc[res.state.index]
    # PPML first-order condition with FE: fitted totals equal observed totals per exporter-year
    by = pd.DataFrame({"y": kept["trade"], "m": pred, "g": kept["exp_year"]}).groupby("g").sum()
    np.testing.assert_allclose(by["m"], by["y"], rtol=1e-6)


def small_panel(seed=0, n_groups=30, per=8):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {"g": np.repeat(np.arange(n_groups), per), "x": rng.normal(size=n_groups * per)}
    )
    df["h"] = np.tile(np.arange(per), n_groups)
    df["y"] = rng.poisson(np.exp(0.3 * df["x"] + 0.1 * (df["g"] % 5)))
    return df


def test_errors_name_the_problem():
    df = small_panel()
    with pytest.raises(InvalidArgumentError, match="formula"):
        bt.ppml("y x", df)
    with pytest.raises(InvalidArgumentError, match="negative"):
        bt.ppml("y ~ x | g", df.assign(y=-df["y"] - 1))
    with pytest.raises(SpecificationError, match=r"'gx' \(absorbed"):
        bt.ppml("y ~ x + gx | g", df.assign(gx=df["g"] * 2.0), drop_collinear=False)
    with pytest.raises(SpecificationError, match=r"'x2' \(collinear"):
        bt.ppml("y ~ x + x2 | g", df.assign(x2=2 * df["x"]), drop_collinear=False)
    with pytest.raises(ConvergenceError, match="maxiter=1"):
        bt.ppml("y ~ x | g", df, maxiter=1)
    with pytest.raises(InvalidArgumentError, match="ssc"):
        bt.ppml("y ~ x | g", df, ssc="bogus")
    with pytest.raises(InvalidArgumentError, match="cluster"):
        bt.ppml("y ~ x | g", df, cluster="nope")


def test_results_frozen_and_missing_rows_reported():
    df = small_panel()
    df.loc[3, "x"] = np.nan
    res = bt.ppml("y ~ x | g + h", df, vcov="iid")
    assert res.dropped.loc[3, "reason"] == "missing or non-finite value"
    with pytest.raises(AttributeError):
        res.params = None
    assert res.with_vcov("hetero") is not res
    assert 0 < res.pseudo_r2 < 1


def test_with_vcov_cluster_reproduces_fit_time_cluster(trade, refs):
    ref = refs.loc["fixest_trade_pois_origin"]
    res = bt.ppml("Euros ~ log(dist_km) | Origin + Destination + Product + Year", trade)
    assert res.cov_type.startswith("hetero")
    clustered = res.with_vcov(cluster="Origin", data=trade)
    check(clustered, ref)
    assert res.std_errors["log(dist_km)"] != clustered.std_errors["log(dist_km)"]
    with pytest.raises(InvalidArgumentError, match="data"):
        res.with_vcov(cluster="Origin")


def test_predict_unseen_level_is_nan_and_fixef_normalised():
    df = small_panel()
    res = bt.ppml("y ~ x | g + h", df)
    fx = res.fixef()
    assert fx["h"].iloc[0] == 0.0  # every FE but the first has its first level at 0
    new = df.head(2).assign(g=[999, 0])
    pred = res.predict(new)
    assert np.isnan(pred.iloc[0]) and np.isfinite(pred.iloc[1])
    np.testing.assert_allclose(
        res.predict(df.loc[res.state.index]).sum(), df.loc[res.state.index, "y"].sum(), rtol=1e-6
    )


def test_offset_column_is_labelled_and_used_by_predict():
    """An offset given as a column name shows as 'Offset', never as an internal key."""
    rng = np.random.default_rng(3)
    n = 300
    data = pd.DataFrame({"x": rng.normal(size=n), "g": rng.integers(0, 10, n)})
    data["log_e"] = np.log(rng.uniform(1.0, 3.0, n))
    data["y"] = rng.poisson(np.exp(0.3 * data["x"] + data["log_e"]))
    res = bt.ppml("y ~ x | g", data, offset="log_e")
    text = str(res.summary()) + str(bt.compare([res]))
    assert "_offset_column" not in text
    assert "Offset" in text and "log_e (log scale)" in text
    shifted = data.assign(log_e=data["log_e"] + 1.0)
    ratio = res.predict(shifted) / res.predict(data)
    assert np.allclose(ratio, np.e)
