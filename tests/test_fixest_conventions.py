"""fixest conventions checked against pyfixest (an independent implementation).

Collinear and absorbed regressors are dropped with a warning naming each; ``i()`` factor
interactions; multi-way clusters written ``"~a + b"`` or ``{"CRV1": "a + b"}``; ``I()``
with ``|``; p-values z for Poisson and t(G - 1) for clustered OLS.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import belru_trade as bt
from belru_trade.errors import CollinearityWarning, InvalidArgumentError

pf = pytest.importorskip("pyfixest")


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    """Staggered-free event-study panel: 40 units x 10 periods, half treated at t = 0."""
    rng = np.random.default_rng(11)
    d = pd.DataFrame({"g": np.repeat(np.arange(40), 10), "t": np.tile(np.arange(-5, 5), 40)})
    d["region"] = d["g"] % 7
    d["treat"] = (d["g"] < 20).astype(float)
    d["x"] = rng.normal(size=len(d))
    d["gx"] = 2.0 * d["g"]  # absorbed by the unit fixed effect
    d["x2"] = 3.0 * d["x"]  # collinear with x
    effect = 0.4 * d["treat"] * (d["t"] >= 0)
    d["y"] = 0.3 * d["x"] + effect + rng.normal(size=40)[d["g"]] + rng.normal(size=len(d))
    d["count"] = rng.poisson(np.exp(1 + 0.3 * d["x"] + effect)).astype(float)
    return d


def _pyfixest(method, formula, data, vcov):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return getattr(pf, method)(formula, data, vcov=vcov, fixef_tol=1e-12)


@pytest.mark.parametrize("method", ["ols", "ppml"])
def test_collinear_terms_dropped_and_named_like_pyfixest(panel, method):
    y = "y" if method == "ols" else "count"
    formula = f"{y} ~ x + gx + x2 | g + t"
    with pytest.warns(CollinearityWarning, match=r"'gx' \(absorbed.*'x2' \(collinear"):
        ours = getattr(bt, method)(formula, panel, cluster="g")
    theirs = _pyfixest("feols" if method == "ols" else "fepois", formula, panel, {"CRV1": "g"})
    assert list(ours.params.index) == list(theirs.coef().index) == ["x"]
    assert ours.params["x"] == pytest.approx(theirs.coef()["x"], abs=1e-7)
    assert ours.std_errors["x"] == pytest.approx(theirs.se()["x"], rel=1e-5)
    assert ours.collinear["reason"].to_dict() == {
        "gx": "absorbed by the fixed effects",
        "x2": "collinear with other regressors",
    }
    tidy = ours.tidy().set_index("term")
    assert tidy.loc[["gx", "x2"], "estimate"].isna().all()
    assert "x2: dropped (collinear with other regressors)" in ours.summary()
    assert bt.compare([ours]).table.loc["gx"].iloc[0] == "dropped"


@pytest.mark.parametrize("method", ["ols", "ppml"])
@pytest.mark.parametrize("order", [("x", "z", "xz"), ("xz", "x", "z"), ("z", "xz", "x")])
def test_of_a_collinear_set_the_regressor_written_last_is_dropped(panel, method, order):
    """xz = 2 x + z: whichever of the three comes last in the formula is dropped, as in
    pyfixest (a pivoted QR would pick by geometry instead)."""
    data = panel.assign(z=np.random.default_rng(3).normal(size=len(panel)))
    data["xz"] = 2.0 * data["x"] + data["z"]
    y = "y" if method == "ols" else "count"
    formula = f"{y} ~ {' + '.join(order)} | g + t"
    with pytest.warns(CollinearityWarning, match=rf"'{order[-1]}' \(collinear"):
        ours = getattr(bt, method)(formula, data)
    theirs = _pyfixest("feols" if method == "ols" else "fepois", formula, data, "iid")
    assert list(ours.params.index) == list(theirs.coef().index) == list(order[:2])
    np.testing.assert_allclose(ours.params, theirs.coef(), rtol=1e-6, atol=1e-9)


def test_pvalues_z_for_poisson_t_for_clustered_ols(panel):
    ppml = bt.ppml("count ~ x | g + t", panel, cluster="g")
    fepois = _pyfixest("fepois", "count ~ x | g + t", panel, {"CRV1": "g"})
    assert ppml.df_resid is None and ppml.with_vcov("iid").df_resid is None
    assert ppml.pvalues["x"] == pytest.approx(fepois.pvalue()["x"], rel=1e-4)
    ci = ppml.conf_int().loc["x"].to_numpy()
    np.testing.assert_allclose(ci, fepois.confint().loc["x"].to_numpy(), rtol=1e-5)
    ols = bt.ols("y ~ x | t", panel, cluster="g")
    feols = _pyfixest("feols", "y ~ x | t", panel, {"CRV1": "g"})
    assert ols.df_resid == panel["g"].nunique() - 1
    assert ols.pvalues["x"] == pytest.approx(feols.pvalue()["x"], rel=1e-6)
    np.testing.assert_allclose(ols.conf_int().loc["x"], feols.confint().loc["x"], rtol=1e-6)


def test_multiway_cluster_spellings_match_pyfixest(panel):
    theirs = _pyfixest("feols", "y ~ x | t", panel, {"CRV1": "g + region"})
    fits = [
        bt.ols("y ~ x | t", panel, cluster="~g + region"),
        bt.ols("y ~ x | t", panel, vcov={"CRV1": "g + region"}),
        bt.ols("y ~ x | t", panel, cluster=["g", "region"]),
        bt.ols("y ~ x | t", panel).with_vcov(cluster="~ g + region", data=panel),
    ]
    for res in fits:
        assert res.std_errors["x"] == pytest.approx(theirs.se()["x"], rel=1e-6)
        assert res.cov_type == "cluster: g+region (ssc=fixest)"
    hc1 = bt.ols("y ~ x | t", panel, vcov="HC1")
    assert hc1.std_errors["x"] == pytest.approx(
        _pyfixest("feols", "y ~ x | t", panel, "HC1").se()["x"], rel=1e-6
    )
    with pytest.raises(InvalidArgumentError, match="CRV1"):
        bt.ols("y ~ x | t", panel, vcov={"CRV3": "g"})
    with pytest.raises(InvalidArgumentError, match="conflicts"):
        bt.ols("y ~ x | t", panel, vcov={"CRV1": "g"}, cluster="region")


@pytest.mark.parametrize(("method", "y"), [("ols", "y"), ("ppml", "count")])
def test_i_event_study_matches_pyfixest(panel, method, y):
    formula = f"{y} ~ i(t, treat, ref=-1) | g + t"
    ours = getattr(bt, method)(formula, panel, cluster="g")
    theirs = _pyfixest("feols" if method == "ols" else "fepois", formula, panel, {"CRV1": "g"})
    assert list(ours.params.index) == list(theirs.coef().index)
    assert "t::-1:treat" not in ours.params.index and "t::0:treat" in ours.params.index
    np.testing.assert_allclose(ours.params, theirs.coef(), atol=1e-7)
    np.testing.assert_allclose(ours.std_errors, theirs.se(), rtol=1e-5)
    np.testing.assert_allclose(ours.pvalues, theirs.pvalue(), rtol=1e-4, atol=1e-12)
    pred = ours.predict(panel.iloc[:25], type="link")  # pyfixest predicts the link
    np.testing.assert_allclose(pred, theirs.predict()[:25], rtol=1e-6)


def test_i_without_interaction_and_bad_i_terms(panel):
    import statsmodels.api as sm

    ours = bt.ols("y ~ x + i(region, ref=0)", panel)
    theirs = _pyfixest("feols", "y ~ x + i(region, ref=0)", panel, "hetero")
    assert list(ours.params.index) == list(theirs.coef().index)
    np.testing.assert_allclose(ours.params, theirs.coef(), atol=1e-9)
    np.testing.assert_allclose(ours.std_errors, theirs.se(), rtol=1e-6)
    two_refs = bt.ols("y ~ x + i(region, ref=[0, 1])", panel, vcov="iid")
    X = pd.get_dummies(panel["region"], prefix="region::", prefix_sep="", dtype=float)
    X = sm.add_constant(
        pd.concat([panel[["x"]], X.drop(columns=["region::0", "region::1"])], axis=1)
    )
    ref = sm.OLS(panel["y"], X).fit()
    np.testing.assert_allclose(two_refs.params.to_numpy(), ref.params.to_numpy(), atol=1e-10)
    np.testing.assert_allclose(two_refs.std_errors.to_numpy(), ref.bse.to_numpy(), rtol=1e-8)
    assert list(two_refs.params.index[2:]) == [f"region::{k}" for k in range(2, 7)]
    with pytest.raises(InvalidArgumentError, match="not a level"):
        bt.ols("y ~ i(t, treat, ref=-9)", panel)
    with pytest.raises(InvalidArgumentError, match="not in data"):
        bt.ols("y ~ i(nope, ref=1)", panel)


def test_pipe_inside_I_is_python_code(panel):
    manual = panel.assign(outside=((panel["x"] > 1) | (panel["x"] < -1)).astype(float))
    ours = bt.ols("y ~ I((x > 1) | (x < -1)) | g", panel)
    ref = bt.ols("y ~ outside | g", manual)
    assert ours.params.iloc[0] == pytest.approx(ref.params["outside"], rel=1e-12)
    assert ours.params.index[0].startswith("I((x > 1) | (x < -1))")
    with pytest.raises(InvalidArgumentError, match="at most one top-level"):
        bt.ols("y ~ x | g | t", panel)
