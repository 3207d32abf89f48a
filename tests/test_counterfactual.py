"""Counterfactuals from comparison units: exact cases, statsmodels, scale equivariance."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from belru_trade.errors import InvalidArgumentError, ShortSeriesError
from belru_trade.models.counterfactual.comparative import (
    comparative_counterfactual,
    synth_counterfactual,
)
from belru_trade.models.counterfactual.resampling import block_indices

IDX = pd.period_range("2011-01", "2016-12", freq="M")
START = pd.Period("2014-08", "M")
POST = np.asarray(IDX >= START)
T = np.arange(1.0, len(IDX) + 1)
MONTH = IDX.month.to_numpy()


def _noisy(seed: int, rho: float = 0.5, sd: float = 0.08) -> tuple[pd.Series, pd.Series]:
    rng = np.random.default_rng(seed)
    e = np.zeros((len(IDX), 2))
    for t in range(1, len(IDX)):
        e[t] = rho * e[t - 1] + rng.normal(0, sd, 2)
    demand = np.where(POST, 0.55, 1.0) * np.exp(0.1 * np.sin(2 * np.pi * MONTH / 12))
    control = 5000 * np.exp(0.004 * T + e[:, 0]) * demand
    treated = 800 * np.exp(-0.002 * T + e[:, 1]) * demand * np.where(POST, 0.3, 1.0)
    return pd.Series(treated, IDX, name="treated"), pd.Series(control, IDX, name="control")


def test_noise_free_did_recovers_the_lost_trade_exactly():
    """Treated and control share a post-period demand shock; the treated also loses 70%.

    By hand: the counterfactual is the treated's no-shock path times the shock (0.55), so
    the lost trade is 0.7 x that path summed over the post periods.
    """
    season = np.exp(0.2 * np.cos(2 * np.pi * MONTH / 12))
    shock = np.where(POST, 0.55, 1.0)
    base_t = 800 * np.exp(-0.002 * T) * season
    control = pd.Series(5000 * np.exp(0.004 * T) * season**0.5 * shock, IDX)
    treated = pd.Series(base_t * shock * np.where(POST, 0.3, 1.0), IDX)
    res = comparative_counterfactual(treated, "2014-08", control, n_boot=99)
    expected = 0.7 * np.sum(base_t[POST] * 0.55)
    assert res.lost().iloc[-1]["cumulative_lost"] == pytest.approx(expected, rel=1e-8)
    np.testing.assert_allclose(res.path[POST], base_t[POST] * 0.55, rtol=1e-8)
    # the own-trend counterfactual charges the demand shock to the intervention
    own = comparative_counterfactual(treated, "2014-08", None, n_boot=99)
    assert own.lost().iloc[-1]["cumulative_lost"] == pytest.approx(
        np.sum(base_t[POST] * (1 - 0.55 * 0.3)), rel=1e-8
    )


def test_point_path_matches_statsmodels_pre_period_glms():
    treated, control = _noisy(1)
    res = comparative_counterfactual(treated, "2014-08", control, n_boot=99, harmonics=1)
    pre = ~POST
    B = np.c_[np.ones(len(IDX)), T, np.sin(2 * np.pi * MONTH / 12), np.cos(2 * np.pi * MONTH / 12)]
    fam = sm.families.Poisson()
    b_t = sm.GLM(treated.to_numpy()[pre], B[pre], family=fam).fit().params
    b_c = sm.GLM(control.to_numpy()[pre], B[pre], family=fam).fit().params
    expected = np.exp(B @ b_t) * control.to_numpy() / np.exp(B @ b_c)
    np.testing.assert_allclose(res.path.to_numpy(), expected, rtol=1e-7)


@pytest.mark.parametrize("noise", ["ar1", "block"])
def test_intervals_scale_exactly_with_the_unit_of_measurement(noise):
    treated, control = _noisy(2)
    kw = {"n_boot": 199, "seed": 3, "noise": noise}
    a = comparative_counterfactual(treated, "2014-08", control, **kw)
    b = comparative_counterfactual(treated * 1e6, "2014-08", control * 1e-3, **kw)
    np.testing.assert_allclose(b.lost().to_numpy(), 1e6 * a.lost().to_numpy(), rtol=1e-7)
    np.testing.assert_allclose(
        b.counterfactual().to_numpy(), 1e6 * a.counterfactual().to_numpy(), rtol=1e-7
    )


def test_block_bootstrap_widens_cumulative_interval_under_autocorrelation():
    treated, control = _noisy(4, rho=0.9, sd=0.05)
    kw = {"n_boot": 499, "noise": "block"}
    iid = comparative_counterfactual(treated, "2014-08", control, block=1, **kw)
    blocks = comparative_counterfactual(treated, "2014-08", control, block=6, **kw)
    width = lambda r: np.diff(r.lost().iloc[-1][["cumulative_low", "cumulative_high"]])[0]  # noqa: E731
    assert width(blocks) > 1.3 * width(iid)
    low, high = blocks.lost().iloc[-1][["cumulative_low", "cumulative_high"]]
    assert low < blocks.lost().iloc[-1]["cumulative_lost"] < high


def test_annual_lost_sums_the_months():
    treated, control = _noisy(5)
    res = comparative_counterfactual(treated, "2014-08", control, n_boot=99)
    monthly, annual = res.lost(), res.lost(freq="Y")
    assert annual["periods"].tolist() == [5, 12, 12]
    by_year = monthly["lost"].groupby(monthly.index.year).sum()
    np.testing.assert_allclose(annual["lost"].to_numpy(), by_year.to_numpy())
    assert annual["cumulative_lost"].iloc[-1] == pytest.approx(monthly["cumulative_lost"].iloc[-1])


def test_bad_inputs_raise_named_errors():
    treated, control = _noisy(6)
    with pytest.raises(InvalidArgumentError, match="controls"):
        comparative_counterfactual(treated, "2014-08", control.iloc[1:])
    with pytest.raises(InvalidArgumentError, match="zero in every pre-period"):
        comparative_counterfactual(treated.where(POST, 0.0), "2014-08", control)
    with pytest.raises(InvalidArgumentError, match="n_boot"):
        comparative_counterfactual(treated, "2014-08", control, n_boot=10)
    with pytest.raises(ShortSeriesError):
        comparative_counterfactual(treated, "2011-03", control)


def test_synth_counterfactual_exact_and_gap_band():
    rng = np.random.default_rng(0)
    donors = pd.DataFrame(
        100 + rng.normal(0, 3, (len(IDX), 4)).cumsum(0), index=IDX, columns=list("ABCD")
    )
    wiggle = np.tile([2.0, -2.0], len(IDX) // 2)  # pre-period gaps are +2, -2, ...
    pre = ~POST
    # donors orthogonal to the wiggle over the pre-period: then w = (0.6, 0.4, 0, 0) is the
    # exact optimum (the cross term wiggle' X0 (w0 - w) vanishes)
    proj = wiggle[pre] @ donors.to_numpy()[pre] / (wiggle[pre] @ wiggle[pre])
    donors = donors - np.outer(wiggle, proj)
    base = donors.to_numpy() @ np.array([0.6, 0.4, 0.0, 0.0])
    data = donors.assign(T=base + wiggle - 25.0 * POST)
    res = synth_counterfactual(data, "T", "2014-08", n_boot=199, block=2)
    np.testing.assert_allclose(res.details["weights"][["A", "B"]], [0.6, 0.4], atol=1e-4)
    # lost = 25 per month minus the wiggle's post-period sum (it is part of "observed")
    expected = 25.0 * POST.sum() - wiggle[POST].sum()
    assert res.lost().iloc[-1]["cumulative_lost"] == pytest.approx(expected, abs=1e-2)
    band = res.counterfactual().loc[POST]
    # blocks of two consecutive pre-period gaps are (+2, -2) or (-2, +2): band = synthetic +- 2
    np.testing.assert_allclose(band["cf_high"] - band["counterfactual"], 2.0, atol=1e-3)
    assert res.details["pre_rmspe"] == pytest.approx(2.0, abs=1e-3)


def test_block_indices_are_consecutive_blocks_in_range():
    idx = block_indices(20, 30, block=4, size=50, rng=np.random.default_rng(1))
    assert idx.min() >= 0 and idx.max() <= 19
    blocks = idx[:, :28].reshape(50, 7, 4)
    assert (np.diff(blocks, axis=2) == 1).all()
    with pytest.raises(InvalidArgumentError, match="block"):
        block_indices(3, 5, block=4, size=1, rng=np.random.default_rng(1))


def test_plot_and_repr():
    treated, control = _noisy(7)
    res = comparative_counterfactual(treated, "2014-08", control, n_boot=99)
    fig = res.plot(unit="t")
    assert fig.axes[0].get_ylabel().endswith("(t)")
    assert "comparative ITS" in repr(res)
    assert res.tidy().loc[0, "method"] == "comparative ITS"
