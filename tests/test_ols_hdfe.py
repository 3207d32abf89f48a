"""OLS-HDFE validation: fixest vignette (two-way cluster) and Yotov et al. (2016) Table 1."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import reference_values as rv
import statsmodels.api as sm

import belru_trade as bt
from belru_trade.errors import SpecificationError


@pytest.fixture(scope="module")
def refs():
    return rv.load()


def test_fixest_vignette_ols_twoway_cluster(reference_dir, refs):
    ref = refs.loc["fixest_trade_ols_twoway"]
    trade = pd.read_csv(reference_dir / "fixest_trade.csv.gz")
    res = bt.ols(
        "log(Euros) ~ log(dist_km) | Origin + Destination + Product + Year",
        trade,
        cluster="Origin+Destination",
    )
    assert res.nobs == ref["n_obs"]
    rv.check(res, ref)


def test_yotov_table1_ols(reference_dir, refs):
    ref = refs.loc["yotov_t1_olsfe_dist"]
    d = pd.read_csv(reference_dir / "yotov2016_agtpa_applications.csv.gz")
    d = d[d["year"].isin(range(1986, 2007, 4)) & (d["exporter"] != d["importer"])].copy()
    year = d["year"].astype(int).astype(str)
    d["exp_year"], d["imp_year"] = d["exporter"] + year, d["importer"] + year
    d["log_dist"] = np.log(d["dist"])
    res = bt.ols(
        "log(trade) ~ log_dist + cntg + lang + clny | exp_year + imp_year",
        d,
        cluster="pair_id",
        ssc="cluster",
    )
    assert res.nobs == ref["n_obs"]  # log(0) rows dropped as non-finite
    assert (res.dropped["reason"] == "missing or non-finite value").sum() == len(d) - ref["n_obs"]
    for term in ("dist", "cntg", "lang", "clny"):
        rv.check(res, refs.loc[f"yotov_t1_olsfe_{term}"])
    # the fixest default (K correction) is not what the book printed: 0.0382 vs 0.0376
    default = res.with_vcov(cluster="pair_id", data=d, ssc="fixest")
    assert not rv.within(default.std_errors["log_dist"], ref, "std_error")


def dummy_panel(seed=3):
    rng = np.random.default_rng(seed)
    n = 300
    df = pd.DataFrame(
        {
            "a": rng.integers(0, 12, n),
            "b": rng.integers(0, 7, n),
            "x": rng.normal(size=n),
            "z": rng.normal(size=n),
            "w": rng.uniform(0.5, 2, n),
        }
    )
    df["y"] = 1.5 * df["x"] - 0.5 * df["z"] + 0.3 * df["a"] + rng.normal(size=n)
    return df


def test_matches_statsmodels_with_dummies():
    df = dummy_panel()
    res = bt.ols("y ~ x + z | a + b", df, weights="w", vcov="hetero", ssc="none")
    X = pd.concat(
        [
            df[["x", "z"]],
            pd.get_dummies(df["a"], prefix="a", dtype=float),
            pd.get_dummies(df["b"], prefix="b", drop_first=True, dtype=float),
        ],
        axis=1,
    )
    sm_res = sm.WLS(df["y"], X, weights=df["w"]).fit(cov_type="HC0")
    np.testing.assert_allclose(res.params[["x", "z"]], sm_res.params[["x", "z"]], rtol=1e-9)
    np.testing.assert_allclose(res.std_errors[["x", "z"]], sm_res.bse[["x", "z"]], rtol=1e-7)
    # iid with the fixest convention = classical OLS variance with K = all parameters
    iid = res.with_vcov("iid", ssc="fixest")
    sm_iid = sm.WLS(df["y"], X, weights=df["w"]).fit()
    np.testing.assert_allclose(iid.std_errors[["x", "z"]], sm_iid.bse[["x", "z"]], rtol=1e-7)
    np.testing.assert_allclose(res.predict(df), sm_res.fittedvalues, rtol=1e-8)
    assert res.r2 == pytest.approx(sm_iid.rsquared, rel=1e-9)


def test_collinear_regressor_is_named():
    df = dummy_panel().assign(a2=lambda d: d["a"] * 3.0)
    with pytest.raises(SpecificationError, match=r"'a2' \(absorbed"):
        bt.ols("y ~ x + a2 | a", df, drop_collinear=False)


def test_compare_table_mixes_ols_and_ppml():
    df = dummy_panel()
    df["count"] = np.random.default_rng(0).poisson(np.exp(0.2 * df["x"]))
    table = bt.compare({"OLS": bt.ols("y ~ x | a", df), "PPML": bt.ppml("count ~ x | a", df)})
    md = table.to_markdown()
    assert "OLS" in md and "PPML" in md and "x (se)" in md
    assert "\\begin{tabular}" in table.to_latex()


def test_notebook_html_has_a_caption_and_the_estimates():
    df = dummy_panel()
    res = bt.ols("y ~ x | a", df)
    html = res._repr_html_()
    assert html.startswith("<table") and html.count("<caption>") == 1
    assert f"OLS ({res.cov_type}), N = {res.nobs:,}" in html
    assert f"{res.params['x']:.6g}" in html
