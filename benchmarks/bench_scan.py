"""Benchmark: bt.scan (batched IRLS) vs a per-series statsmodels GLM loop, same process.

Usage::

    .venv/bin/python benchmarks/bench_scan.py [--series 5000] [--months 180] [--dask]

Simulates ``--series`` monthly count series (``--months`` long, one intervention two thirds
in, seasonality, overdispersion), fits the default ITS (quasi-Poisson, 2 harmonics, level
and slope change, Newey-West errors) with ``bt.scan`` and with a loop of
``statsmodels.GLM(...).fit(scale='X2', cov_type='HAC')``, and prints timings, the speed-up
and the largest absolute differences of estimates and standard errors.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
import warnings

import numpy as np
import pandas as pd
import statsmodels.api as sm

import belru_trade as bt
from belru_trade.models.its.design import build_design, newey_west_lags


def simulate(series: int, months: int, seed: int = 0) -> pd.DataFrame:
    idx = pd.period_range("2010-01", periods=months, freq="M")
    start = idx[2 * months // 3]
    X = build_design(idx, [start], harmonics=2).X.to_numpy()
    rng = np.random.default_rng(seed)
    beta = np.r_[3.0, 0.003, 0.2, 0.1, 0.05, 0.0, -0.5, -0.005]
    eta = X @ beta[:, None] + rng.normal(0, 1.0, series) + rng.normal(0, 0.3, (months, series))
    return pd.DataFrame(rng.poisson(np.exp(eta)).astype(float), index=idx)


def statsmodels_loop(wide: pd.DataFrame, X: np.ndarray, lags: int) -> tuple[np.ndarray, ...]:
    params = np.empty((wide.shape[1], X.shape[1]))
    bse = np.empty_like(params)
    family = sm.families.Poisson()
    for j, col in enumerate(wide.columns):
        res = sm.GLM(wide[col].to_numpy(), X, family=family).fit(
            scale="X2", cov_type="HAC", cov_kwds={"maxlags": lags}
        )
        params[j] = res.params
        bse[j] = res.bse
    return params, bse


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--series", type=int, default=5000)
    parser.add_argument("--months", type=int, default=180)
    parser.add_argument("--dask", action="store_true", help="also time engine='dask'")
    args = parser.parse_args()
    wide = simulate(args.series, args.months)
    start = str(wide.index[2 * args.months // 3])
    zero = (wide == 0).all().sum()
    print(f"series={args.series} months={args.months} all-zero={zero}")
    t0 = time.perf_counter()
    res = bt.scan(wide, start)
    t_scan = time.perf_counter() - t0
    ok = res.status == "ok"
    X = res.design.X.to_numpy()
    lags = newey_west_lags(args.months)
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        params, bse = statsmodels_loop(wide.loc[:, ok.to_numpy()], X, lags)
    t_loop = time.perf_counter() - t0
    dp = np.abs(res.params[ok].to_numpy() - params)
    rel = dp / np.maximum(np.abs(params), 1e-300)
    dse = np.abs(res.std_errors[ok].to_numpy() - bse) / bse
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cpus")
    print(f"load average (1, 5, 15 min): {os.getloadavg()}")
    print(f"scan (numpy, batched IRLS): {t_scan:.2f} s")
    print(f"statsmodels loop:           {t_loop:.2f} s")
    print(f"speed-up: {t_loop / t_scan:.1f}x")
    print(f"max abs diff params: {dp.max():.2e}; max rel diff params: {rel.max():.2e}")
    print(f"max rel diff std errors: {dse.max():.2e}")
    if args.dask:
        t0 = time.perf_counter()
        res_d = bt.scan(wide, start, engine="dask", chunk_size=1000)
        t_dask = time.perf_counter() - t0
        diff = np.nanmax(np.abs(res_d.params.to_numpy() - res.params.to_numpy()))
        print(f"scan engine='dask' (LocalCluster 2 workers, incl. start-up): {t_dask:.2f} s")
        print(f"max abs diff dask vs numpy params: {diff:.2e}")


if __name__ == "__main__":
    main()
