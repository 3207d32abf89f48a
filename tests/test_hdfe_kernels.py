"""The compiled fixed-effect demeaning and the PPML loop built on it.

The accelerated block demeaning is checked against two independent computations written
here: plain (unaccelerated) alternating projections in numpy, and weighted least squares on
explicit dummy columns. The PPML fit is checked against pyfixest (coefficients and standard
errors) on a three-way fixed-effect gravity panel with weights, an offset and regressors
that the fixed effects absorb. Every test runs with the numpy loops and with the compiled
ones (the ``loops`` fixture).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import belru_trade as bt
from belru_trade.errors import ConvergenceError
from belru_trade.models.hdfe.absorb import Demeaner, FixedEffects, compact_codes
from belru_trade.models.hdfe.projection import partial

pytestmark = pytest.mark.usefixtures("loops")


def _unbalanced_fe(seed: int, n: int = 600) -> tuple[FixedEffects, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    codes = [rng.integers(0, 25, n), rng.integers(0, 40, n), rng.integers(0, 8, n)]
    fe = FixedEffects([compact_codes(c)[0] for c in codes])
    X = rng.normal(size=(n, 3)) + codes[0][:, None] * 0.1
    w = rng.uniform(0.2, 3.0, n)
    return fe, X, w


def _plain_map(x: np.ndarray, fe: FixedEffects, w: np.ndarray, sweeps: int) -> np.ndarray:
    """Unaccelerated alternating projections (weighted group means), numpy only."""
    r = x.copy()
    for _ in range(sweeps):
        for codes, size in zip(fe.codes, fe.sizes, strict=True):
            sw = np.bincount(codes, weights=w, minlength=size)
            r -= (np.bincount(codes, weights=w * r, minlength=size) / sw)[codes]
    return r


def _dummy_wls_residual(x: np.ndarray, fe: FixedEffects, w: np.ndarray) -> np.ndarray:
    """Residual of weighted least squares of x on dummies of every fixed effect."""
    D = np.hstack([np.eye(size)[codes] for codes, size in zip(fe.codes, fe.sizes, strict=True)])
    sw = np.sqrt(w)
    coef = np.linalg.lstsq(D * sw[:, None], x * sw, rcond=None)[0]
    return x - D @ coef


def test_accelerated_block_demeaning_equals_plain_projections_and_dummy_regression():
    fe, X, w = _unbalanced_fe(1)
    Xt, coef = partial(X, fe, w, 1e-13)
    for j in range(X.shape[1]):
        plain = _plain_map(X[:, j], fe, w, sweeps=3000)
        np.testing.assert_allclose(Xt[:, j], plain, atol=1e-8, rtol=0)
        np.testing.assert_allclose(Xt[:, j], _dummy_wls_residual(X[:, j], fe, w), atol=1e-8)
    # the coefficients returned reproduce the projection: x = x~ + sum of fixed effects
    fitted = sum(a[c] for a, c in zip(fe.split(coef[:, 0]), fe.codes, strict=True))
    np.testing.assert_allclose(Xt[:, 0] + fitted, X[:, 0], atol=1e-10)


def test_block_columns_equal_one_at_a_time_and_warm_start_equals_cold():
    fe, X, w = _unbalanced_fe(2)
    Xt, coef = partial(X, fe, w, 1e-13)
    for j in range(X.shape[1]):
        one, _ = partial(X[:, [j]], fe, w, 1e-13)
        np.testing.assert_allclose(Xt[:, j], one[:, 0], atol=1e-9)
    # warm start from the coefficients under other weights (as in an IRLS step)
    w2 = w * np.exp(np.random.default_rng(3).normal(scale=0.5, size=w.size))
    cold, _ = partial(X, fe, w2, 1e-13)
    warm, _ = partial(X, fe, w2, 1e-13, start=coef)
    np.testing.assert_allclose(warm, cold, atol=1e-9)
    one = Demeaner(fe, w2).demean(X[:, 1], tol=1e-13, start=fe.split(coef[:, 1]))[0]
    np.testing.assert_allclose(one, cold[:, 1], atol=1e-9)


def test_single_fixed_effect_is_the_weighted_group_mean():
    codes = np.array([0, 0, 1, 1, 1, 2])
    w = np.array([1.0, 3.0, 1.0, 1.0, 2.0, 5.0])
    x = np.array([1.0, 5.0, 2.0, 4.0, 7.0, 3.0])
    xt, _ = partial(x[:, None], FixedEffects([codes]), w, 1e-12)
    means = np.array([4.0, 5.0, 3.0])  # (1 + 15) / 4, (2 + 4 + 14) / 4, 3
    np.testing.assert_allclose(xt[:, 0], x - means[codes], atol=1e-14)


def test_demeaning_raises_when_maxiter_is_too_small():
    fe, X, w = _unbalanced_fe(4)
    with pytest.raises(ConvergenceError, match="maxiter=2"):
        partial(X, fe, w, 1e-14, maxiter=2)


@pytest.mark.parametrize(
    "codes",
    [
        np.array([7, 3, 3, 9, 7, 0]),
        np.array([5, 5, 5]),
        np.array([10**12, 4, 10**12]),  # beyond the counting range: sorted instead
        np.array([-3, 2, -3]),
    ],
)
def test_compact_codes_equals_sorting(codes):
    new, used = compact_codes(codes)
    ref_used, ref_new = np.unique(codes, return_inverse=True)
    assert new.tolist() == ref_new.ravel().tolist()
    assert used.tolist() == ref_used.tolist()


def _gravity(seed: int = 0, n: int = 9, years: int = 6) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    grid = np.meshgrid(np.arange(n), np.arange(n), np.arange(years), indexing="ij")
    e, i, t = (a.ravel() for a in grid)
    pair = e * n + i
    policy = ((rng.random(n * n) < 0.3)[pair] & (t >= years // 2)).astype(float)
    df = pd.DataFrame({"et": e * years + t, "it": i * years + t, "pair": pair, "policy": policy})
    df["dist"] = np.log1p(np.abs(e - i) + rng.random(n * n)[pair])  # absorbed by pair
    df["x"] = rng.normal(size=len(df))
    df["x2"] = 2.0 * df["x"] - policy  # collinear with x and policy
    df["w"] = rng.uniform(0.5, 2.0, len(df))
    df["off"] = rng.normal(scale=0.2, size=len(df))
    eta = 0.3 * policy + 0.2 * df["x"] + rng.normal(size=n * years)[e * years + t]
    eta += rng.normal(size=n * years)[i * years + t] + rng.normal(size=n * n)[pair] + df["off"]
    df["y"] = rng.poisson(5.0 * np.exp(eta)).astype(float)
    return df


def test_ppml_three_way_fe_with_weights_offset_and_dropped_regressors_matches_pyfixest():
    pf = pytest.importorskip("pyfixest")
    df = _gravity()
    fml = "y ~ policy + x + dist + x2 | et + it + pair"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = bt.ppml(fml, df, weights="w", offset="off", vcov={"CRV1": "pair"})
        theirs = pf.fepois(
            "y ~ policy + x | et + it + pair",
            df,
            weights="w",
            offset="off",
            vcov={"CRV1": "pair"},
            fixef_tol=1e-12,
            iwls_tol=1e-12,
        )
    assert set(ours.collinear.index) == {"dist", "x2"}
    assert ours.nobs == theirs._N
    np.testing.assert_allclose(ours.params, theirs.coef()[ours.params.index], atol=1e-6, rtol=0)
    np.testing.assert_allclose(ours.std_errors, theirs.se()[ours.params.index], rtol=1e-5)
