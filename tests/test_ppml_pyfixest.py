"""Agreement with pyfixest (an independent implementation) on random well-posed panels,
with the numpy loops and with the compiled ones (the ``loops`` fixture)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import belru_trade as bt

pf = pytest.importorskip("pyfixest")
pytestmark = pytest.mark.usefixtures("loops")


def panel(seed: int, n_exp: int, n_years: int, n_fe: int, with_offset: bool) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    exp, imp, year = np.meshgrid(
        np.arange(n_exp), np.arange(n_exp), np.arange(n_years), indexing="ij"
    )
    df = pd.DataFrame({"e": exp.ravel(), "i": imp.ravel(), "t": year.ravel()})
    df = df[df["e"] != df["i"]].reset_index(drop=True)
    df["et"] = df["e"] * 100 + df["t"]
    df["it"] = df["i"] * 100 + df["t"]
    df["pair"] = df["e"] * 100 + df["i"]
    df["x1"] = rng.normal(size=len(df))
    df["x2"] = rng.binomial(1, 0.4, size=len(df)).astype(float)
    df["off"] = rng.normal(scale=0.3, size=len(df)) if with_offset else 0.0
    eta = 1.5 + 0.4 * df["x1"] - 0.3 * df["x2"] + rng.normal(size=n_exp)[df["e"]] + df["off"]
    df["y"] = rng.poisson(np.exp(eta)).astype(float)
    return df


FES = {1: "et", 2: "et + it", 3: "et + it + pair"}


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    seed=st.integers(0, 10_000),
    n_exp=st.integers(6, 10),
    n_years=st.integers(4, 6),
    n_fe=st.sampled_from([1, 2, 3]),
    with_offset=st.booleans(),
)
def test_coefficients_match_pyfixest(seed, n_exp, n_years, n_fe, with_offset):
    df = panel(seed, n_exp, n_years, n_fe, with_offset)
    fml = f"y ~ x1 + x2 | {FES[n_fe]}"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = pf.fepois(
            fml, df, offset="off", fixef_tol=1e-12, iwls_tol=1e-12, iwls_maxiter=100, vcov="hetero"
        )
        ours = bt.ppml(fml, df, offset="off", tol=1e-12)
        default = bt.ppml(fml, df, offset="off")
    assert ours.nobs == theirs._N
    np.testing.assert_allclose(
        ours.params[["x1", "x2"]], theirs.coef()[["x1", "x2"]], atol=1e-6, rtol=0
    )
    np.testing.assert_allclose(ours.std_errors[["x1", "x2"]], theirs.se()[["x1", "x2"]], rtol=1e-4)
    # default tolerances (looser inner tolerance) stay within 1e-6 as well
    np.testing.assert_allclose(
        default.params[["x1", "x2"]], theirs.coef()[["x1", "x2"]], atol=1e-6, rtol=0
    )


def test_ols_matches_pyfixest_feols():
    df = panel(7, 9, 3, 3, False)
    df["ly"] = np.log1p(df["y"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = pf.feols(
            "ly ~ x1 + x2 | et + it + pair", df, vcov={"CRV1": "pair"}, fixef_tol=1e-12
        )
    ours = bt.ols("ly ~ x1 + x2 | et + it + pair", df, cluster="pair")
    np.testing.assert_allclose(ours.params[["x1", "x2"]], theirs.coef()[["x1", "x2"]], atol=1e-8)
    np.testing.assert_allclose(ours.std_errors[["x1", "x2"]], theirs.se()[["x1", "x2"]], rtol=1e-6)
