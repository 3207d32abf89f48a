"""Separation: the 18 ppmlhdfe test datasets (ground truth = the `separated` column).

For each file we check that the rows dropped equal the `separated` column exactly and that
the model on the remaining rows converges to the Poisson MLE computed independently by
statsmodels' GLM (fixed effects as dummy columns).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

import belru_trade as bt
import belru_trade.models.hdfe.separation as separation
from belru_trade.errors import SeparationWarning
from belru_trade.models.hdfe.absorb import FixedEffects

FILES = [f"{i:02d}.csv" for i in range(1, 19)]


def load(reference_dir, name):
    d = pd.read_csv(reference_dir / "ppmlhdfe_separation" / name)
    d.columns = d.columns.str.lower()
    xs = [c for c in d.columns if c.startswith("x")]
    ids = [c for c in d.columns if c.startswith("id")]
    return d, xs, ids


def formula(xs, ids):
    rhs = " + ".join(xs) if xs else "1"
    return f"y ~ {rhs}" + (f" | {' + '.join(ids)}" if ids else "")


@pytest.mark.parametrize("name", FILES)
def test_dropped_rows_equal_separated_column(reference_dir, name):
    d, xs, ids = load(reference_dir, name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = bt.ppml(formula(xs, ids), d, drop_singletons=False, drop_collinear=True, vcov="iid")
    dropped = d.index.isin(res.dropped.index)
    np.testing.assert_array_equal(dropped, d["separated"].to_numpy(dtype=bool))
    assert res.converged
    # independent check: statsmodels Poisson GLM with dummies on the kept rows
    kept = d[~dropped]
    dummies = [
        pd.get_dummies(kept[c].astype(str), prefix=c, drop_first=i > 0, dtype=float)
        for i, c in enumerate(ids)
    ]
    design = pd.concat([kept[xs].astype(float), *dummies], axis=1)
    if not ids:
        design.insert(0, "const", 1.0)
    glm = sm.GLM(kept["y"], design, family=sm.families.Poisson()).fit(
        method="irls", tol=1e-13, maxiter=500, wls_method="pinv"
    )
    ours = res.predict(kept)
    np.testing.assert_allclose(ours.to_numpy(), glm.fittedvalues.to_numpy(), rtol=1e-5, atol=1e-7)
    full_rank = np.linalg.matrix_rank(design.to_numpy()) == design.shape[1]
    for term in res.params.index:
        if full_rank and term in glm.params.index:
            assert res.params[term] == pytest.approx(glm.params[term], abs=1e-5)


def test_separation_warning_counts(reference_dir):
    d, xs, ids = load(reference_dir, "04.csv")
    with pytest.warns(SeparationWarning, match=r"83 observations.*82 all-zero FE group.*1 sep"):
        bt.ppml(formula(xs, ids), d, drop_singletons=False)


@pytest.mark.parametrize("name", ["02.csv", "03.csv", "04.csv", "07.csv", "12.csv", "13.csv"])
def test_linear_program_agrees_with_relu(reference_dir, name, monkeypatch):
    d, xs, ids = load(reference_dir, name)
    y = d["y"].to_numpy(float)
    X = d[xs].to_numpy(float) if xs else np.zeros((len(d), 0))
    fe = FixedEffects([pd.factorize(d[c])[0] for c in ids])
    dense = separation.detect(y, X, fe, ("fe", "simplex", "relu"), drop_singletons=False)
    monkeypatch.setattr(separation, "DENSE_LIMIT", 0)
    lp = separation.detect(y, X, fe, ("fe", "simplex", "relu"), drop_singletons=False)
    np.testing.assert_array_equal(dense, lp)
    np.testing.assert_array_equal(lp != "", d["separated"].to_numpy(dtype=bool))


def test_large_design_skips_relu_with_warning_and_post_check(reference_dir, monkeypatch):
    d, xs, ids = load(reference_dir, "02.csv")  # separated only by the FE combination
    monkeypatch.setattr(separation, "DENSE_LIMIT", 0)
    monkeypatch.setattr(separation, "LP_MAX_ROWS", 0)
    with pytest.warns(bt.BelruTradeWarning) as record:
        bt.ppml(formula(xs, ids), d, drop_singletons=False)
    messages = [str(w.message) for w in record]
    assert any("ReLU separation check skipped" in m for m in messages)
    # the separated row is flagged after estimation (its fitted mean vanishes)
    assert any(
        w.category is SeparationWarning and m.startswith("1 observations")
        for w, m in zip(record, messages, strict=True)
    )
