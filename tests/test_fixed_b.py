"""Fixed-b critical values: Kiefer-Vogelsang's published values, and the its table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import belru_trade as bt
from belru_trade.errors import InvalidArgumentError
from belru_trade.models.its.fixed_b import fixed_b_distribution, fixed_b_scan, fixed_b_tidy


@pytest.mark.parametrize("b", [0.25, 0.5, 1.0])
def test_location_model_matches_kiefer_vogelsang(b):
    """KV (2005) Bartlett 97.5% point: 1.96 + 2.9694 b + 0.4160 b^2 - 0.5324 b^3."""
    n = 200
    sims = fixed_b_distribution(np.ones((n, 1)), int(b * n) - 1, n_rep=10000, seed=1)
    published = 1.96 + 2.9694 * b + 0.4160 * b**2 - 0.5324 * b**3
    assert np.quantile(sims[:, 0], 0.95) == pytest.approx(published, rel=0.03)


def test_small_bandwidth_tends_to_normal():
    sims = fixed_b_distribution(np.ones((400, 1)), 0, n_rep=8000, seed=1)
    assert np.quantile(sims[:, 0], 0.95) == pytest.approx(1.96, abs=0.06)


def test_its_table_widens_the_interval_and_keeps_the_estimate():
    idx = pd.period_range("2012-01", periods=55, freq="M")
    rng = np.random.default_rng(0)
    e = np.zeros(55)
    for t in range(1, 55):
        e[t] = 0.5 * e[t - 1] + rng.normal(0, 0.1)
    y = pd.Series(np.exp(6 + e - 0.5 * (idx >= pd.Period("2014-08", "M"))) * 10, index=idx)
    res = bt.its(y, "2014-08")
    table = fixed_b_tidy(res).set_index("term")
    normal = res.tidy().set_index("term")
    pd.testing.assert_series_equal(table["estimate"], normal["estimate"])
    for term in ("level_change", "slope_change"):
        assert table.loc[term, "critical_value"] > 1.96
        width = table.loc[term, "conf_high"] - table.loc[term, "conf_low"]
        assert width > normal.loc[term, "conf_high"] - normal.loc[term, "conf_low"]
    with pytest.raises(InvalidArgumentError, match="hac"):
        fixed_b_tidy(bt.its(y, "2014-08", errors="model"))


def test_scan_table_equals_per_series_its_tables_for_ols():
    idx = pd.period_range("2012-01", periods=55, freq="M")
    rng = np.random.default_rng(1)
    wide = pd.DataFrame(rng.normal(10, 1, (55, 3)), index=idx, columns=["a", "b", "c"])
    scan = fixed_b_scan(bt.scan(wide, "2014-08", family="gaussian")).set_index(["series", "term"])
    for col in wide.columns:
        one = fixed_b_tidy(bt.its(wide[col], "2014-08", family="gaussian")).set_index("term")
        for term in ("level_change", "slope_change"):
            row = scan.loc[(col, term)]
            assert row["estimate"] == pytest.approx(one.loc[term, "estimate"], rel=1e-8)
            assert row["critical_value"] == pytest.approx(one.loc[term, "critical_value"])
            assert row["p_value"] == pytest.approx(one.loc[term, "p_value"])
