"""Pre-trend test with few clusters, its verdict in summary()/tidy(), and relative-magnitude
sensitivity bounds checked against honestdid (stored reference values) and against a
linear program written out here."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, stats

import belru_trade as bt
from belru_trade.errors import FewClustersWarning, InvalidArgumentError, SpecificationError
from belru_trade.models.did.sensitivity import relative_magnitude_bounds

DATA = Path(__file__).parent / "data" / "did"
PERIODS = pd.period_range("2013-01", "2015-12", freq="M")
START = pd.Period("2014-08", "M")


def _panel(n_products=4, pretrend=0.0, seed=0):
    """n_products x {RU, DE, PL} monthly flows (OLS outcome); half the products treated."""
    rng = np.random.default_rng(seed)
    rows = [(p, d, t) for p in range(n_products) for d in ("RU", "DE", "PL") for t in PERIODS]
    df = pd.DataFrame(rows, columns=["product", "partner", "period"])
    group = df["product"] < n_products // 2
    k = np.array([(t - START).n for t in df["period"]])
    df["treated"] = (group & (k >= 0)).astype(int)
    unit = rng.normal(0, 1, n_products * 3).repeat(len(PERIODS))
    df["value"] = unit - 0.5 * df["treated"] + pretrend * group * np.minimum(k, 0)
    df["value"] += rng.normal(0, 0.3, len(df))
    return df


def _fit(df, window=(-14, 12)):
    return bt.did(df, window=window, estimator="ols", fixed_effects=("unit", "time"))


def test_twelve_clusters_give_a_finite_generalized_inverse_f_test():
    with pytest.warns(FewClustersWarning, match="12 clusters for 13 pre-period"):
        res = _fit(_panel())
    pt = res.pretrend
    assert pt["n_clusters"] == 12 and pt["n_terms"] == 13
    assert pt["test"] == "F" and 1 <= pt["df"] <= 11 and pt["df_denom"] == 12 - pt["df"]
    assert np.isfinite(pt["statistic"]) and 0 < pt["statistic"] < 1e6
    pre = [t for t in res.event_times if t < -1]
    b = res.params.iloc[: len(pre)].to_numpy()
    V = res.cov.iloc[: len(pre), : len(pre)].to_numpy()
    W = float(b @ np.linalg.pinv(V, rcond=1e-9, hermitian=True) @ b)
    r = np.linalg.matrix_rank(V, tol=1e-9 * np.abs(V).max())
    assert pt["statistic"] == pytest.approx(W, rel=1e-6)
    assert pt["df"] == min(r, 11)
    r = pt["df"]
    hotelling = W * (12 - r) / (r * 11)
    assert pt["p_value"] == pytest.approx(stats.f.sf(hotelling, r, 12 - r), rel=1e-9)
    assert 0 < pt["p_value"] < 1


def test_pretrend_size_and_power_with_twelve_clusters():
    """12 clusters, 5 pre-period coefficients: F(5, 7) Hotelling reference."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", FewClustersWarning)
        null = [_fit(_panel(seed=s), window=(-6, 6)).pretrend["p_value"] for s in range(6)]
        trend = _fit(_panel(pretrend=0.05, seed=1), window=(-6, 6))
    assert all(0 < p < 1 for p in null) and np.median(null) > 0.05
    assert trend.pretrend["rejected"] and trend.pretrend["p_value"] < 0.01
    assert "REJECTS parallel pre-trends" in trend.summary()
    assert trend.summary().startswith("Pooled effect (twfe)")
    table = trend.tidy()
    assert table["pretrend_rejected"].all() and "REJECTS" in table.attrs["pretrend"]


def test_many_clusters_no_warning_and_verdict_when_not_rejected():
    with warnings.catch_warnings():
        warnings.simplefilter("error", FewClustersWarning)
        res = bt.did(_panel(n_products=10, seed=1), window=(-3, 3), estimator="ols")
    assert res.pretrend["test"] == "F" and res.pretrend["df"] == 2
    assert not res.pretrend["rejected"]
    assert "does not reject" in res.summary()


def test_bounds_equal_honestdid_reference_values():
    ref = pd.read_csv(DATA / "honestdid_rm_bounds.csv")
    for _, case in ref.groupby("case"):
        n_pre, n_post = int(case["n_pre"].iloc[0]), int(case["n_post"].iloc[0])
        beta = [float(v) for v in case["beta"].iloc[0].split()]
        times = [*list(range(-n_pre - 1, -1)), -1, *list(range(n_post))]
        table = pd.DataFrame({"event_time": times, "estimate": [*beta[:n_pre], 0, *beta[n_pre:]]})
        ours = relative_magnitude_bounds(
            table, sorted(case["mbar"].unique()), window=(times[0], times[-1]), binned=False
        ).table
        merged = case.merge(ours, on=["mbar", "target"], suffixes=("_ref", ""))
        assert len(merged) == len(case)
        np.testing.assert_allclose(merged["lower"], merged["lower_ref"], atol=1e-8)
        np.testing.assert_allclose(merged["upper"], merged["upper_ref"], atol=1e-8)


def _lp_bounds(pre, post, l_vec, mbar):
    """Identified set of l'tau under Delta^RM(mbar) by linear programming over delta_post,
    taking the union over the pre-period step that attains the maximum and its sign."""
    path = np.append(pre, 0.0)
    steps = np.diff(path)
    n = len(post)
    lows, highs = [], []
    for s in range(len(steps)):
        bound = mbar * abs(steps[s])
        if abs(steps[s]) < np.max(np.abs(steps)) - 1e-12:
            continue  # only the largest pre-step can be the binding max
        D = np.eye(n) - np.eye(n, k=-1)  # delta_post steps, delta_{-1} = 0
        A = np.vstack([D, -D])
        b = np.full(2 * n, bound)
        hi = optimize.linprog(-l_vec, A_ub=A, b_ub=b, bounds=[(None, None)] * n)
        lo = optimize.linprog(l_vec, A_ub=A, b_ub=b, bounds=[(None, None)] * n)
        lows.append(l_vec @ post + hi.fun)
        highs.append(l_vec @ post - lo.fun)
    return min(lows), max(highs)


def test_bounds_equal_linear_program():
    rng = np.random.default_rng(7)
    for _ in range(5):
        pre, post = rng.normal(0, 0.2, 4), rng.normal(-0.5, 0.3, 3)
        table = pd.DataFrame({"event_time": range(-5, 3), "estimate": [*pre, 0.0, *post]})
        ours = relative_magnitude_bounds(table, [0.5, 1.5], window=(-5, 2), binned=False).table
        for row in ours.itertuples():
            l_vec = np.full(3, 1 / 3) if row.target == "average" else np.eye(3)[int(row.event_time)]
            lo, hi = _lp_bounds(pre, post, l_vec, row.mbar)
            assert row.lower == pytest.approx(lo, abs=1e-8)
            assert row.upper == pytest.approx(hi, abs=1e-8)


def test_sensitivity_from_results_and_plot(tmp_path):
    res = bt.did(_panel(n_products=10, pretrend=0.01), window=(-6, 6), estimator="ols")
    sens = res.sensitivity(mbar=[0, 0.5, 1, 2])
    avg = sens.table[sens.table["target"] == "average"].set_index("mbar")
    post = res.event_table().set_index("event_time").loc[0:5, "estimate"]  # end bin left out
    assert avg.loc[0, "lower"] == pytest.approx(post.mean()) == avg.loc[0, "upper"]
    width = (avg["upper"] - avg["lower"]).to_numpy()
    assert np.all(np.diff(width) > 0)
    fig = sens.plot()
    from matplotlib.figure import Figure

    from belru_trade.plotting import save_png

    assert isinstance(fig, Figure)
    assert save_png(fig, tmp_path / "sens.png").stat().st_size > 1000
    with pytest.raises(InvalidArgumentError, match="mbar"):
        res.sensitivity(mbar=[-1])
    with pytest.raises(InvalidArgumentError, match="target"):
        sens.plot(target="event[99]")
    short = bt.did(_panel(n_products=10), window=(-2, 2), estimator="ols")
    with pytest.raises(SpecificationError, match="consecutive"):
        short.sensitivity(mbar=[1])
