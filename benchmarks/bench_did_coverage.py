"""Coverage of 95% intervals for the overall ATT: TWFE vs imputation vs Sun-Abraham (OLS).

Monte Carlo on staggered-adoption panels: ``--units`` units observed over 10 years, a
quarter in each of three cohorts (first treated 2003, 2006, 2008) and a quarter never
treated; unit effects, a common trend, AR(1) errors within unit (rho 0.5, sd 0.5). Two
effect designs: ``homogeneous`` (tau = 1 for every treated observation) and ``dynamic``
(tau = 1 + 0.3 k + 0.5 (cohort == 2003), growing with time since treatment k and larger for
the first cohort: the case where TWFE puts negative weights on long-treated units). The
target is the sample ATT, the mean of tau over treated observations; intervals are the
``att`` intervals of ``bt.did`` (clustered by unit; imputation: Gardner's GMM variance;
Sun-Abraham: delta method). Run::

    .venv/bin/python benchmarks/bench_did_coverage.py --reps 200 --units 80
"""

from __future__ import annotations

import argparse
import platform
import time
import warnings

import numpy as np
import pandas as pd

import belru_trade as bt

COHORTS = (2003, 2006, 2008, 0)  # 0: never treated
YEARS = range(2000, 2010)


def simulate(rng: np.random.Generator, units: int, design: str) -> tuple[pd.DataFrame, float]:
    """One staggered panel and its sample ATT."""
    g = np.array(COHORTS)[np.arange(units) % 4].repeat(len(YEARS))
    year = np.tile(np.array(YEARS), units)
    unit = np.arange(units).repeat(len(YEARS))
    k = np.where(g > 0, year - g, -99)
    treated = (g > 0) & (k >= 0)
    if design == "homogeneous":
        tau = np.where(treated, 1.0, 0.0)
    else:
        tau = np.where(treated, 1.0 + 0.3 * k + 0.5 * (g == 2003), 0.0)
    e = np.zeros(len(year))
    shocks = rng.normal(0, 0.5, len(year))
    for t in range(len(YEARS)):  # AR(1) within unit
        idx = np.arange(units) * len(YEARS) + t
        e[idx] = shocks[idx] + (0.5 * e[idx - 1] if t else 0.0)
    y = rng.normal(0, 1, units)[unit] + 0.1 * (year - 2000) + tau + e
    frame = pd.DataFrame({"unit": unit, "y": y, "treated": treated.astype(int)})
    frame["period"] = pd.PeriodIndex(pd.Series(year).astype(str), freq="Y")
    return frame, float(tau[treated].mean())


def one_rep(rng, units, design) -> list[dict]:
    frame, truth = simulate(rng, units, design)
    out = []
    kw = dict(outcome="y", unit=("unit",), time="period", window=(-8, 6), binned=False,
              estimator="ols", fixed_effects=("unit", "time"))  # fmt: skip
    for method in ("twfe", "imputation", "sunab"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            att = bt.did(frame, method=method, **kw).att
        out.append({"design": design, "method": method, "error": att["estimate"] - truth,
                    "covered": att["conf_low"] <= truth <= att["conf_high"],
                    "length": att["conf_high"] - att["conf_low"]})  # fmt: skip
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--units", type=int, default=80)
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    start = time.perf_counter()
    rows = []
    for design in ("homogeneous", "dynamic"):
        for _ in range(args.reps):
            rows += one_rep(rng, args.units, design)
    res = pd.DataFrame(rows)
    summary = res.groupby(["design", "method"], sort=False).agg(
        bias=("error", "mean"),
        rmse=("error", lambda x: float(np.sqrt(np.mean(np.square(x))))),
        coverage=("covered", "mean"),
        mean_ci_length=("length", "mean"),
    )
    reps = args.reps
    summary["coverage MC se"] = np.sqrt(summary["coverage"] * (1 - summary["coverage"]) / reps)
    print(summary.round(3).to_markdown())
    print(f"\n{reps} replications per design, {args.units} units x {len(YEARS)} years, "
          f"seed {args.seed}; {time.perf_counter() - start:.0f} s on {platform.machine()} "
          f"{platform.platform()}")  # fmt: skip


if __name__ == "__main__":
    main()
