"""Benchmark: belru_trade.ppml vs pyfixest.fepois on synthetic structural-gravity panels.

Panels (``--panel``), fixed effects exporter-year, importer-year and pair in both:

``random`` (default)
    n countries x (n-1) partners x 20 years; a policy dummy switching on for 30% of pairs
    in a random year (true coefficient 0.3); log-normal outcome with about 8% zeros set at
    random, independent of the regressors.
``gravity``
    balanced n exporters x n importers (domestic pairs included) x 16 years, n =
    sqrt(rows / 16) (250 at 1M rows); exporter-year, importer-year and pair effects drawn
    N(0, 1); a policy dummy on 30% of pairs from year 8 (true coefficient 0.3); Poisson
    outcome with mean 5 exp(effects) (about 15% zeros).

Timing: both estimators in the same process, alternating, first call ("cold") then
``--reps`` further calls ("warm", median reported). Peak memory: each estimator in a fresh
subprocess, after one warm-up fit on a 20,000-row panel (so compilation and import caches
are not counted), the peak resident set size during the fit (sampled every 2 ms) minus the
RSS before it.

Usage::

    python benchmarks/bench_ppml.py --panel gravity --sizes 100000 400000 1000000 --reps 5
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import subprocess
import sys
import time
import warnings

import numpy as np
import pandas as pd

YEARS = 20


def make_panel(rows: int, seed: int = 0) -> pd.DataFrame:
    """Synthetic gravity panel with about ``rows`` rows."""
    rng = np.random.default_rng(seed)
    n = round((1 + math.sqrt(1 + 4 * rows / YEARS)) / 2)
    e, i = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    off = e != i
    e, i = e[off], i[off]
    pair = np.arange(e.size)
    t = np.repeat(np.arange(YEARS)[None, :], e.size, axis=0).ravel()
    e, i, pair = np.repeat(e, YEARS), np.repeat(i, YEARS), np.repeat(pair, YEARS)
    start = rng.integers(0, YEARS, size=pair.max() + 1)
    treated = rng.random(pair.max() + 1) < 0.3
    policy = (treated[pair] & (t >= start[pair])).astype(float)
    eta = (
        0.3 * policy
        + rng.normal(size=n * YEARS)[e * YEARS + t]
        + rng.normal(size=n * YEARS)[i * YEARS + t]
        + rng.normal(size=pair.max() + 1)[pair]
    )
    y = np.exp(eta + rng.normal(scale=0.5, size=eta.size))
    y[rng.random(y.size) < 0.08] = 0.0
    return pd.DataFrame(
        {
            "y": y,
            "policy": policy,
            "exp_year": e * YEARS + t,
            "imp_year": i * YEARS + t,
            "pair": pair,
        }
    )


def make_gravity_panel(rows: int, seed: int = 0, years: int = 16) -> pd.DataFrame:
    """Balanced structural-gravity panel: n x n pairs x ``years``, n = sqrt(rows / years)."""
    rng = np.random.default_rng(seed)
    n = round(math.sqrt(rows / years))
    grid = np.meshgrid(np.arange(n), np.arange(n), np.arange(years), indexing="ij")
    e, i, t = (a.ravel() for a in grid)
    pair = e * n + i
    treated = rng.random(n * n) < 0.3
    policy = (treated[pair] & (t >= years // 2)).astype(float)
    eta = (
        0.3 * policy
        + rng.normal(size=n * years)[e * years + t]
        + rng.normal(size=n * years)[i * years + t]
        + rng.normal(size=n * n)[pair]
    )
    y = rng.poisson(5.0 * np.exp(eta)).astype(float)
    return pd.DataFrame(
        {
            "y": y,
            "policy": policy,
            "exp_year": e * years + t,
            "imp_year": i * years + t,
            "pair": pair,
        }
    )


PANELS = {"random": make_panel, "gravity": make_gravity_panel}
FML = "y ~ policy | exp_year + imp_year + pair"


def run(tool: str, df: pd.DataFrame, separation: str) -> float:
    """Fit once; returns the policy coefficient."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if tool == "ours":
            import belru_trade as bt

            sep = ("fe",) if separation == "fe" else ("fe", "simplex", "relu")
            return float(bt.ppml(FML, df, vcov="iid", separation=sep).params["policy"])
        import pyfixest as pf

        return float(pf.fepois(FML, df, vcov="iid").coef()["policy"])


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) / 1024
    return float("nan")


def memory_child(tool: str, rows: int, separation: str, panel: str) -> None:
    """Subprocess entry: build data, fit once on a small panel (imports, compilation), then
    fit while a thread samples the resident set size every 2 ms; print the peak increase
    over the pre-fit RSS (MB)."""
    import gc
    import threading

    run(tool, PANELS[panel](20_000), separation)
    df = PANELS[panel](rows)
    gc.collect()
    base = rss_mb()
    peak = [base]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], rss_mb())
            time.sleep(0.002)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    run(tool, df, separation)
    done.set()
    thread.join()
    peak[0] = max(peak[0], rss_mb())
    print(json.dumps({"delta_mb": peak[0] - base, "base_mb": base}))


def timings(df: pd.DataFrame, reps: int, separation: str) -> dict:
    out = {"ours": [], "pyfixest": []}
    coefs = {}
    for rep in range(reps + 1):
        for tool in ("ours", "pyfixest") if rep % 2 == 0 else ("pyfixest", "ours"):
            t0 = time.perf_counter()
            coefs[tool] = run(tool, df, separation)
            out[tool].append(time.perf_counter() - t0)
    return {
        "cold_ours": out["ours"][0],
        "cold_pyfixest": out["pyfixest"][0],
        "warm_ours": statistics.median(out["ours"][1:]),
        "warm_pyfixest": statistics.median(out["pyfixest"][1:]),
        "coef_ours": coefs["ours"],
        "coef_pyfixest": coefs["pyfixest"],
    }


def memory(rows: int, separation: str, panel: str) -> dict:
    res = {}
    for tool in ("ours", "pyfixest"):
        cmd = [
            sys.executable,
            __file__,
            "--memory-child",
            tool,
            "--sizes",
            str(rows),
            "--separation",
            separation,
            "--panel",
            panel,
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=True)
        res[tool] = json.loads(proc.stdout.strip().splitlines()[-1])["delta_mb"]
    return res


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes", type=int, nargs="+", default=[100_000, 400_000, 1_000_000, 2_000_000]
    )
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--panel", choices=sorted(PANELS), default="random")
    parser.add_argument("--separation", choices=["fe", "all"], default="fe")
    parser.add_argument("--memory-child", choices=["ours", "pyfixest"])
    parser.add_argument("--no-memory", action="store_true")
    args = parser.parse_args()
    if args.memory_child:
        memory_child(args.memory_child, args.sizes[0], args.separation, args.panel)
        return
    import os

    import belru_trade

    print(f"belru_trade: {belru_trade.__file__}; load average at start: {os.getloadavg()}")
    print(
        "| rows | zeros | ours cold s | pyfixest cold s | ours warm s | pyfixest warm s | "
        "time ratio (warm) | ours peak MB | pyfixest peak MB | memory ratio | |coef diff| |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for rows in args.sizes:
        df = PANELS[args.panel](rows)
        t = timings(df, args.reps, args.separation)
        m = (
            {"ours": float("nan"), "pyfixest": float("nan")}
            if args.no_memory
            else memory(rows, args.separation, args.panel)
        )
        print(
            f"| {len(df):,} | {np.mean(df['y'] == 0):.1%} | {t['cold_ours']:.2f} | "
            f"{t['cold_pyfixest']:.2f} | {t['warm_ours']:.2f} | {t['warm_pyfixest']:.2f} | "
            f"{t['warm_ours'] / t['warm_pyfixest']:.2f} | {m['ours']:.0f} | {m['pyfixest']:.0f} | "
            f"{m['ours'] / m['pyfixest']:.2f} | {abs(t['coef_ours'] - t['coef_pyfixest']):.1e} |",
            flush=True,
        )
    print(f"load average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
