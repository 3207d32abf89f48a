"""Small-sample conventions (``ssc``) against independent implementations at 1e-6 relative.

* ``"stata"``: Stata's own output shipped with statsmodels' test suite (``poisson ... ,
  vce(robust)`` / ``vce(cluster ship)`` on the ships data; ``regress ..., vce(cluster
  company)`` and ``regress ... [aw=1/mvalue], robust`` on Grunfeld's data). Stata stores
  e(V) in full double precision there.
* ``"fixest"``, ``"cluster"``, ``"none"``: pyfixest's ``ssc()`` settings (``ssc()``,
  ``ssc(k_adj=False)`` and ``ssc(k_adj=False, G_adj=False)``) on a panel with three fixed
  effects, for hetero, one-way and two-way clustered covariances, PPML and OLS.

Each correction factor moves these SEs by far more than 1e-6 (N/(N-1) on N = 34 is 1.5%;
G/(G-1) with 5 to 12 clusters is 4-25%), so dropping or changing one fails here.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import belru_trade as bt

pf = pytest.importorskip("pyfixest")
stata_count = pytest.importorskip("statsmodels.discrete.tests.results.results_count_robust_cluster")
stata_ols = pytest.importorskip(
    "statsmodels.regression.tests.results.results_grunfeld_ols_robust_cluster"
)

RTOL = 1e-6


@pytest.fixture(scope="module")
def ships() -> pd.DataFrame:
    path = Path(stata_count.__file__).parent / "ships.csv"
    return pd.read_csv(path, index_col=False).dropna()


@pytest.fixture(scope="module")
def grunfeld() -> pd.DataFrame:
    from statsmodels.datasets import grunfeld as gr

    d = gr.data.load_pandas().data.iloc[:200].copy()  # Stata's copy lacks the last firm
    d["firm"] = d["firm"].astype(str)
    return d


def _stata_se(bunch, names):
    se = pd.Series(np.sqrt(np.diag(bunch.cov)), index=bunch.cov_rownames)
    return se.rename({"_cons": "Intercept"})[names]


def test_stata_poisson_robust_and_cluster(ships):
    assert len(ships) == stata_count.results_poisson_hc1.N
    names = ["yr_con", "op_75_79", "Intercept"]
    res = bt.ppml("accident ~ yr_con + op_75_79", ships, vcov="hetero", ssc="stata", tol=1e-12)
    b = pd.Series(stata_count.results_poisson_hc1.params_table[:, 0], index=names)
    np.testing.assert_allclose(res.params[names], b, rtol=RTOL)
    np.testing.assert_allclose(
        res.std_errors[names], _stata_se(stata_count.results_poisson_hc1, names), rtol=RTOL
    )
    clu = res.with_vcov(cluster="ship", data=ships, ssc="stata")
    assert stata_count.results_poisson_clu.N_clust == ships["ship"].nunique()
    np.testing.assert_allclose(
        clu.std_errors[names], _stata_se(stata_count.results_poisson_clu, names), rtol=RTOL
    )


def test_stata_regress_cluster_and_weighted_robust(grunfeld):
    names = ["value", "capital", "Intercept"]
    res = bt.ols("invest ~ value + capital", grunfeld, cluster="firm", ssc="stata")
    ref = stata_ols.results_cluster
    assert len(grunfeld) == ref.N and ref.N_clust == grunfeld["firm"].nunique()
    se = pd.Series(np.sqrt(np.diag(ref.cov)), index=names)
    np.testing.assert_allclose(res.std_errors[names], se, rtol=RTOL)
    w = grunfeld.assign(w=1 / grunfeld["value"])
    wres = bt.ols("invest ~ value + capital", w, weights="w", vcov="hetero", ssc="stata")
    ref = stata_ols.results_hc1_wls_small
    np.testing.assert_allclose(wres.params[names], ref.params_table[:, 0], rtol=RTOL)
    se = pd.Series(np.sqrt(np.diag(ref.cov)), index=names)
    np.testing.assert_allclose(wres.std_errors[names], se, rtol=RTOL)


def test_ols_keeps_its_ssc_for_later_covariances(grunfeld):
    # with_vcov() without ssc= reuses the fit's convention: Stata's clustered SEs again.
    names = ["value", "capital", "Intercept"]
    res = bt.ols("invest ~ value + capital", grunfeld, vcov="hetero", ssc="stata")
    assert res.ssc == "stata"
    clu = res.with_vcov(cluster="firm", data=grunfeld)
    assert clu.ssc == "stata"
    se = pd.Series(np.sqrt(np.diag(stata_ols.results_cluster.cov)), index=names)
    np.testing.assert_allclose(clu.std_errors[names], se, rtol=RTOL)


def _panel(seed: int = 11) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n_e, n_t = 12, 5
    e, i, t = np.meshgrid(np.arange(n_e), np.arange(n_e), np.arange(n_t), indexing="ij")
    df = pd.DataFrame({"e": e.ravel(), "i": i.ravel(), "t": t.ravel()})
    df = df[df["e"] != df["i"]].reset_index(drop=True)
    df["et"] = df["e"] * 100 + df["t"]
    df["it"] = df["i"] * 100 + df["t"]
    df["pair"] = df["e"] * 100 + df["i"]
    df["x1"] = rng.normal(size=len(df))
    df["x2"] = rng.binomial(1, 0.4, size=len(df)).astype(float)
    eta = 1.5 + 0.4 * df["x1"] - 0.3 * df["x2"] + rng.normal(size=n_e)[df["e"]]
    df["y"] = rng.poisson(np.exp(eta + rng.normal(scale=0.5, size=len(df)))).astype(float)
    df["ly"] = np.log1p(df["y"])
    return df


PF_SSC = {
    "fixest": {},
    "cluster": {"k_adj": False},
    "none": {"k_adj": False, "G_adj": False},
}
VCOVS = [
    ("hetero", None, "hetero"),
    ("cluster", "e", {"CRV1": "e"}),
    ("cluster", "e+t", {"CRV1": "e+t"}),  # 12 and 5 clusters: G/(G-1) of the smaller
]


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return _panel()


@pytest.mark.filterwarnings("ignore::belru_trade.errors.SeparationWarning")
@pytest.mark.parametrize("ssc", list(PF_SSC))
@pytest.mark.parametrize("estimator", ["ppml", "ols"])
def test_pyfixest_ssc_settings(panel, ssc, estimator):
    fml = ("y" if estimator == "ppml" else "ly") + " ~ x1 + x2 | et + it + pair"
    ours = bt.ppml(fml, panel, tol=1e-12) if estimator == "ppml" else bt.ols(fml, panel)
    fit = pf.fepois if estimator == "ppml" else pf.feols
    extra = {"iwls_tol": 1e-12} if estimator == "ppml" else {}
    for vcov, cluster, pf_vcov in VCOVS:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs = fit(
                fml, panel, vcov=pf_vcov, ssc=pf.ssc(**PF_SSC[ssc]), fixef_tol=1e-12, **extra
            )
        mine = ours.with_vcov(vcov, cluster=cluster, data=panel, ssc=ssc)
        np.testing.assert_allclose(
            mine.std_errors[["x1", "x2"]],
            theirs.se()[["x1", "x2"]],
            rtol=RTOL,
            err_msg=f"{estimator} {ssc} {pf_vcov}",
        )
