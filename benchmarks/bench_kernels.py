"""Benchmark: where the compiled (numba) fixed-effect loops start to pay for themselves.

For gravity panels of growing size, times ``bt.ppml`` (exporter-year, importer-year and pair
fixed effects) with the numpy loops and with the compiled loops, in the same process, numba
warm (its cached code loaded before timing); median of ``--reps`` alternating fits. The exact
ReLU separation check is left out: its QR does not use these loops and dominates fits of
10,000-150,000 rows. Then, in fresh processes, the one-off cost of the compiled loops that a
run pays before its first large fit: importing numba and loading the cached compiled code
(time, and resident memory at the end of each process: ``ru_maxrss`` survives ``exec`` from
a large parent).

Usage::

    python benchmarks/bench_kernels.py --rows 2000 8000 32000 128000 512000
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

from bench_ppml import FML, make_gravity_panel

import belru_trade as bt
from belru_trade.models.hdfe import _backend

_ONE_OFF = """
import time
import numpy as np, psutil
t0 = time.perf_counter()
from belru_trade.models.hdfe import _kernels
codes = np.zeros((2, 10), dtype=np.int32); offsets = np.array([0, 1, 2]); w = np.ones(10)
inv = _kernels.inverse_group_weights(codes, offsets, w)
r = np.ones((10, 2)); coef = np.zeros((2, 2))
_kernels.demean_block(r, w, codes, offsets, inv, coef, np.full(2, 1e-8), 100)
_kernels.weighted_gram(r, w)
print(time.perf_counter() - t0, psutil.Process().memory_info().rss / 2**20)
"""
_BASE = (
    "import numpy, psutil, scipy.sparse, scipy.special; "
    "print(psutil.Process().memory_info().rss / 2**20)"
)


def _fit_seconds(df, limit: int) -> float:
    _backend.NUMPY_MAX_OBS = limit
    t0 = time.perf_counter()
    bt.ppml(FML, df, separation=("fe", "simplex"))
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[2000, 8000, 32000, 128000, 512000])
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args()
    _fit_seconds(make_gravity_panel(2000), -1)  # load the compiled code before timing
    print("| rows | numpy loops s | compiled loops s | numpy / compiled |")
    print("|---|---|---|---|")
    for rows in args.rows:
        df = make_gravity_panel(rows)
        numpy_s, numba_s = [], []
        for _ in range(args.reps):
            numpy_s.append(_fit_seconds(df, 10**15))
            numba_s.append(_fit_seconds(df, -1))
        a, b = statistics.median(numpy_s), statistics.median(numba_s)
        print(f"| {len(df):,} | {a:.3f} | {b:.3f} | {a / b:.2f} |")
    one_off = [
        subprocess.run(
            [sys.executable, "-c", _ONE_OFF], capture_output=True, text=True, check=True
        ).stdout.split()
        for _ in range(args.reps)
    ]
    base = [
        float(
            subprocess.run(
                [sys.executable, "-c", _BASE], capture_output=True, text=True, check=True
            ).stdout
        )
        for _ in range(args.reps)
    ]
    secs = statistics.median(float(s) for s, _ in one_off)
    extra = statistics.median(float(m) for _, m in one_off) - statistics.median(base)
    print(
        f"\none-off cost of the compiled loops (warm cache, median of {args.reps} processes): "
        f"{secs:.2f} s, {extra:.0f} MB more resident memory than numpy + scipy.sparse"
    )


if __name__ == "__main__":
    main()
