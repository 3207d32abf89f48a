"""Joint bootstrap of several flows' lost trade: exact cases and coherent draws."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from belru_trade.errors import InvalidArgumentError
from belru_trade.models.counterfactual.joint import joint_lost

IDX = pd.period_range("2020-01", "2022-11", freq="M")
POST = np.asarray(pd.Period("2022-03", "M") <= IDX)
T = np.arange(1.0, len(IDX) + 1)


def test_noise_free_losses_and_share_by_hand():
    base_ru = 500 * np.exp(0.01 * T)
    base_kz = 100 * np.exp(0.005 * T)
    flows = pd.DataFrame(
        {"RU": base_ru * np.where(POST, 0.2, 1.0), "KZ": base_kz * np.where(POST, 1.5, 1.0)},
        index=IDX,
    )
    res = joint_lost(flows, "2022-03", seasonality=None, n_boot=99)
    drop = 0.8 * base_ru[POST].sum()
    excess = 0.5 * base_kz[POST].sum()
    lost = res.lost()
    assert lost.loc["RU", "lost"] == pytest.approx(drop, rel=1e-8)
    assert lost.loc["KZ", "lost"] == pytest.approx(-excess, rel=1e-8)
    share = res.share(["KZ"], "RU")
    assert share["estimate"] == pytest.approx(excess / drop, rel=1e-8)


@pytest.mark.parametrize("noise", ["ar1", "block"])
def test_draws_are_joint_histories(noise):
    """Two flows with the same noise (one is twice the other): in every joint draw the
    losses keep the ratio 2, so the interval of the ratio collapses to the point; a delta
    method treating the flows as independent would give a wide interval instead."""
    rng = np.random.default_rng(0)
    e = np.zeros(len(IDX))
    for t in range(1, len(IDX)):
        e[t] = 0.6 * e[t - 1] + rng.normal(0, 0.1)
    a = 300 * np.exp(0.004 * T + e) * np.where(POST, 0.4, 1.0)
    flows = pd.DataFrame({"a": a, "b": 2 * a}, index=IDX)
    res = joint_lost(flows, "2022-03", noise=noise, n_boot=199, seed=1)
    ratio = res.share(["b"], "a", sign=1.0)
    assert ratio["estimate"] == pytest.approx(2.0, rel=1e-9)
    assert ratio["conf_low"] == pytest.approx(2.0, rel=1e-6)
    assert ratio["conf_high"] == pytest.approx(2.0, rel=1e-6)
    spread = res.lost().loc["a", ["lost_low", "lost_high"]]
    assert spread["lost_high"] > 1.05 * spread["lost_low"]  # each loss is uncertain
    diff = res.difference("b", "a")
    assert diff["estimate"] == pytest.approx(res.lost().loc["a", "lost"], rel=1e-9)


def test_rescaling_one_flow_rescales_only_its_loss():
    rng = np.random.default_rng(3)
    flows = pd.DataFrame(
        np.exp(rng.normal(5, 0.1, (len(IDX), 3))), index=IDX, columns=["RU", "KZ", "AM"]
    )
    a = joint_lost(flows, "2022-03", n_boot=199, seed=2).lost()
    b = joint_lost(flows.assign(KZ=flows["KZ"] * 1e6), "2022-03", n_boot=199, seed=2).lost()
    np.testing.assert_allclose(b.loc["KZ"].to_numpy(), 1e6 * a.loc["KZ"].to_numpy(), rtol=1e-6)
    np.testing.assert_allclose(b.loc["RU"].to_numpy(), a.loc["RU"].to_numpy(), rtol=1e-6)


def test_bad_inputs():
    flows = pd.DataFrame({"RU": np.ones(len(IDX))}, index=IDX)
    with pytest.raises(InvalidArgumentError, match="noise"):
        joint_lost(flows, "2022-03", noise="iid")
    res = joint_lost(flows * 10, "2022-03", seasonality=None, n_boot=99)
    with pytest.raises(InvalidArgumentError, match="unknown flows"):
        res.share(["KZ"], "RU")
