"""Diversion with joint AR(1) simulation: coverage under autocorrelation, joint draws."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import belru_trade as bt

IDX = pd.period_range("2011-01", "2016-12", freq="M")
POST = np.asarray(pd.Period("2014-08", "M") <= IDX)


def _ar(rng: np.random.Generator, rho: float, sd: float) -> np.ndarray:
    e = np.zeros(len(IDX))
    for t in range(1, len(IDX)):
        e[t] = rho * e[t - 1] + rng.normal(0, sd)
    return e


def _flows(seed: int):
    rng = np.random.default_rng(seed)
    t = np.arange(len(IDX))
    direct = pd.Series(100 + 0.2 * t + _ar(rng, 0.7, 3) - 80 * POST, index=IDX)
    ins = pd.DataFrame({"LT": 40 + 0.1 * t + _ar(rng, 0.7, 3) + 30 * POST}, index=IDX)
    outs = pd.DataFrame({"LT": 15 + _ar(rng, 0.7, 3) + 25 * POST}, index=IDX)
    return direct, ins, outs


def test_ar1_noise_restores_coverage_under_autocorrelated_errors():
    """True cumulative excess inflow: 30 x 29 months. AR(1) errors, rho = 0.7."""
    hits = {"iid": [], "ar1": []}
    for seed in range(80):
        direct, ins, outs = _flows(seed)
        for noise in hits:
            res = bt.diversion(direct, ins, outs, ban="2014-08", seasonality=None, n_sim=500,
                               seed=seed, noise=noise)  # fmt: skip
            row = res.table.loc["LT"]
            hits[noise].append(row["excess_in_low"] <= 30 * POST.sum() <= row["excess_in_high"])
    coverage = {k: float(np.mean(v)) for k, v in hits.items()}
    assert coverage["iid"] < 0.8  # independent noise: far too narrow
    assert coverage["ar1"] >= 0.85


def test_joint_draws_keep_identical_flows_identical():
    direct, ins, _ = _flows(1)
    res = bt.diversion(direct, ins, ins, ban="2014-08", seasonality=None, noise="ar1")
    row = res.table.loc["LT"]
    # in every joint draw the inflow and outflow excesses coincide, so leakage = excess
    assert row["leakage_low"] == pytest.approx(row["excess_in_low"], rel=1e-9)
    assert row["leakage_high"] == pytest.approx(row["excess_in_high"], rel=1e-9)
    independent = bt.diversion(direct, ins, ins, ban="2014-08", seasonality=None)
    iid_row = independent.table.loc["LT"]
    assert iid_row["leakage_high"] < iid_row["excess_in_high"]  # min of independent draws
