"""ITS counterfactual intervals: invariance to the unit of measurement, noise moments."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import belru_trade as bt
from belru_trade.models.its.counterfactual import _outcome_draws

IDX = pd.period_range("2018-01", "2022-11", freq="M")
POST = np.asarray(pd.Period("2022-03", "M") <= IDX)


def _series(noise_sd: float, seed: int = 0) -> pd.Series:
    rng = np.random.default_rng(seed)
    t = np.arange(len(IDX))
    mu = 50e6 * np.exp(0.004 * t - 0.8 * POST + 0.1 * np.sin(2 * np.pi * t / 12))
    return pd.Series(mu * np.exp(rng.normal(0, noise_sd, len(IDX))), index=IDX)


@pytest.mark.parametrize("noise_sd", [0.0001, 0.15])  # Pearson dispersion << 1 and >> 1
def test_rescaling_the_outcome_rescales_every_interval(noise_sd):
    y = _series(noise_sd)
    eur = bt.its(y, ["2022-03"])
    meur = bt.its(y / 1e6, ["2022-03"])
    assert (eur.dispersion < 1) == (noise_sd < 0.01)
    a, b = eur.counterfactual(n_sim=1000), meur.counterfactual(n_sim=1000)
    cols = ["counterfactual", "cf_low", "cf_high", "cumulative_low", "cumulative_high"]
    np.testing.assert_allclose(b[cols].to_numpy() * 1e6, a[cols].to_numpy(), rtol=1e-6)


@pytest.mark.parametrize("phi", [0.02, 0.7, 6.0])
def test_quasi_poisson_noise_has_mean_mu_and_variance_phi_mu(phi):
    mu = np.full(200_000, 40.0)
    draws = _outcome_draws(mu, "quasipoisson", phi, np.nan, np.random.default_rng(1))
    assert draws.mean() == pytest.approx(40.0, rel=0.01)
    assert draws.var() == pytest.approx(phi * 40.0, rel=0.02)
