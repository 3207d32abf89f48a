"""Coverage at ITS sample sizes: Newey-West vs fixed-b, and cumulative-loss intervals.

Usage::

    .venv/bin/python benchmarks/bench_intervals.py [--reps 2000] [--cf-reps 300]

Part 1 (coefficients). Monthly series of ``n`` = 48 and 60 months with trend, two Fourier
harmonics, a level change of -0.4 and a slope change of -0.01 from month 2n/3, and AR(1)
errors (rho 0.3 and 0.6): ``gaussian`` (log outcome, OLS) and ``quasipoisson`` (counts with
multiplicative log-normal AR(1) noise, mean about 400). All replications are fitted with
``bt.scan`` (the estimates and Newey-West errors of ``bt.its``, batched); coverage of the
95% interval of the level change with normal/Student critical values against fixed-b
critical values simulated on the design (:mod:`belru_trade.models.its.fixed_b`).

Part 1 uses two lag rules: Newey-West (1994) ``floor(4 (n/100)^(2/9))`` (the default of
``its``/``scan``, 3 lags here) and Lazarus-Lewis-Stock-Watson's ``ceil(1.3 sqrt(n))``
(9-11 lags), which fixed-b inference is designed for (pass ``hac_lags`` to ``its``).

Part 2 (cumulative lost trade). 55 months (31 before, 24 after, as the dairy analysis): a
control and a treated flow with trend, seasonality and independent AR(1) noise (rho 0.6,
innovation s.d. 0.12 in logs); the treated flow loses 50% from month 32. Coverage of the
realised cumulative loss ``sum_post (y0 - y1)`` (``y0`` the treated flow without the
loss, noise included) by the 95% intervals of ``bt.its(...).counterfactual()`` (iid
simulation) and of ``bt.comparative_counterfactual`` with and without the control,
``noise='ar1'`` and ``'block'``. Every method is correctly specified for the mean here
(no shock shared with the control), so the comparison is about the intervals.

Part 3 (speed): ``bt.its`` alone and with ``fixed_b_tidy`` on a 60-month series.
"""

from __future__ import annotations

import argparse
import platform
import time
import warnings

import numpy as np
import pandas as pd
from scipy import stats

import belru_trade as bt
from belru_trade.models.its.design import build_design, newey_west_lags
from belru_trade.models.its.fixed_b import fixed_b_distribution, fixed_b_tidy


def _ar1(rng: np.random.Generator, n: int, reps: int, rho: float, sd: float) -> np.ndarray:
    e = np.zeros((n, reps))
    e[0] = rng.normal(0, sd / np.sqrt(1 - rho**2), reps)
    for t in range(1, n):
        e[t] = rho * e[t - 1] + rng.normal(0, sd, reps)
    return e


def coefficient_coverage(
    n: int, rho: float, family: str, reps: int, seed: int = 0, lag_rule: str = "NW94"
) -> dict:
    idx = pd.period_range("2010-01", periods=n, freq="M")
    start = idx[2 * n // 3]
    design = build_design(idx, [start], harmonics=2)
    X = design.X.to_numpy()
    beta = np.r_[6.0, 0.003, 0.2, 0.1, 0.05, 0.0, -0.4, -0.01]
    rng = np.random.default_rng(seed)
    e = _ar1(rng, n, reps, rho, 0.15)
    eta = (X @ beta)[:, None] + e
    Y = eta if family == "gaussian" else rng.poisson(np.exp(eta)).astype(float)
    lags = newey_west_lags(n) if lag_rule == "NW94" else int(np.ceil(1.3 * np.sqrt(n)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = bt.scan(pd.DataFrame(Y, index=idx), [start], family=family, hac_lags=lags)
    ok = res.status == "ok"
    est = res.params.loc[ok, "level_change"].to_numpy()
    se = res.std_errors.loc[ok, "level_change"].to_numpy()
    q_norm = stats.t(n - X.shape[1]).ppf(0.975) if family == "gaussian" else 1.959964
    weights = None if family == "gaussian" else np.exp(X @ beta)
    sims = fixed_b_distribution(X, lags, weights=weights, n_rep=4000, seed=seed + 1)
    q_fb = float(np.quantile(sims[:, design.X.columns.get_loc("level_change")], 0.95))
    hit = lambda q: float(np.mean(np.abs(est - beta[6]) <= q * se))  # noqa: E731
    return {"family": family, "n": n, "rho": rho, "lag rule": lag_rule, "lags": lags,
            "fitted": int(ok.sum()),
            "critical (NW)": round(q_norm, 3), "coverage NW": hit(q_norm),
            "critical (fixed-b)": round(q_fb, 3), "coverage fixed-b": hit(q_fb)}  # fmt: skip


def lost_coverage(reps: int, rho: float = 0.6, seed: int = 0) -> pd.DataFrame:
    idx = pd.period_range("2012-01", periods=55, freq="M")
    post = np.asarray(idx >= pd.Period("2014-08", "M"))
    t = np.arange(55.0)
    season = 0.2 * np.sin(2 * np.pi * idx.month.to_numpy() / 12)
    rng = np.random.default_rng(seed)
    rows = []
    for r in range(reps):
        e = _ar1(rng, 55, 2, rho, 0.12)
        control = 5000 * np.exp(0.004 * t + season + e[:, 0])
        y0 = 800 * np.exp(0.002 * t + season + e[:, 1])
        y1 = np.where(post, 0.5 * y0, y0)
        truth = float(np.sum((y0 - y1)[post]))
        y = pd.Series(y1, index=idx)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cf = bt.its(y, "2014-08").counterfactual(n_sim=1000, seed=r).iloc[-1]
        control = pd.Series(control, idx)
        methods = {
            "its().counterfactual() (iid simulation, own trend)": cf,
            "comparative_counterfactual, control, noise='ar1'": _lost(y, control, "ar1", r),
            "comparative_counterfactual, control, noise='block'": _lost(y, control, "block", r),
            "comparative_counterfactual, own trend, noise='ar1'": _lost(y, None, "ar1", r),
            "comparative_counterfactual, own trend, noise='block'": _lost(y, None, "block", r),
        }
        for name, row in methods.items():
            low, high = row["cumulative_low"], row["cumulative_high"]
            rows.append({"method": name, "covered": low <= truth <= high,
                         "width": (high - low) / truth})  # fmt: skip
    table = pd.DataFrame(rows).groupby("method", sort=False).mean()
    return table.rename(columns={"covered": "coverage", "width": "mean width / true loss"})


def _lost(y: pd.Series, control, noise: str, seed: int) -> pd.Series:
    res = bt.comparative_counterfactual(y, "2014-08", control, noise=noise, n_boot=499, seed=seed)
    return res.lost().iloc[-1]


def speed() -> dict:
    idx = pd.period_range("2012-01", periods=60, freq="M")
    rng = np.random.default_rng(0)
    y = pd.Series(rng.poisson(400, 60).astype(float), index=idx)
    t0 = time.perf_counter()
    for _ in range(20):
        res = bt.its(y, "2014-08")
    t1 = time.perf_counter()
    for _ in range(20):
        fixed_b_tidy(res)
    t2 = time.perf_counter()
    return {"its (s per call)": (t1 - t0) / 20, "fixed_b_tidy (s per call)": (t2 - t1) / 20}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reps", type=int, default=2000)
    parser.add_argument("--cf-reps", type=int, default=300)
    args = parser.parse_args()
    print(platform.platform(), platform.python_version())
    rows = [
        coefficient_coverage(n, rho, family, args.reps, lag_rule=rule)
        for family in ("gaussian", "quasipoisson")
        for n in (48, 60)
        for rho in (0.3, 0.6)
        for rule in ("NW94", "LLSW")
    ]
    print(pd.DataFrame(rows).to_markdown(index=False, floatfmt=".3f"))
    print(lost_coverage(args.cf_reps).to_markdown(floatfmt=".3f"))
    print(speed())


if __name__ == "__main__":
    main()
