"""Benchmark: one demeaning sweep (three fixed effects) on the 1M-row gravity panel.

Times the sweep of whichever belru_trade is importable: the compiled block sweep
(``_kernels._sweep``, one and two columns) or, for the earlier numpy code put first on
``PYTHONPATH``, ``Demeaner._sweep`` (one column). Median of ``--reps`` sweeps.

Usage::

    python benchmarks/bench_sweep.py --rows 1000000
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from bench_ppml import make_gravity_panel

from belru_trade.models.hdfe.absorb import Demeaner, FixedEffects


def _median_ms(fn, reps: int) -> float:
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return 1e3 * statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--reps", type=int, default=9)
    args = parser.parse_args()
    df = make_gravity_panel(args.rows)
    fe = FixedEffects([df[c].to_numpy() for c in ("exp_year", "imp_year", "pair")])
    w = np.random.default_rng(0).random(len(df)) + 0.5
    dm = Demeaner(fe, w)
    if hasattr(dm, "_sweep"):  # the numpy implementation
        x = np.random.default_rng(1).random(len(df))
        state = {"alphas": [np.zeros(g) for g in fe.sizes], "resid": x.copy()}

        def one() -> None:
            state["alphas"], state["resid"] = dm._sweep(x, state["alphas"], state["resid"])

        print(f"numpy sweep, 1 column: {_median_ms(one, args.reps):.1f} ms")
        return
    from belru_trade.models.hdfe import _kernels

    codes, offsets = fe.packed()
    for k in (1, 2):
        r = np.random.default_rng(1).random((len(df), k))
        coef, pending, sums = (np.zeros((int(offsets[-1]), k)) for _ in range(3))
        _kernels._sweep(r, w, codes, offsets, dm.inv_sw, coef, pending, 0, sums)
        ms = _median_ms(
            lambda r=r, coef=coef, pending=pending, sums=sums: _kernels._sweep(
                r, w, codes, offsets, dm.inv_sw, coef, pending, 1, sums
            ),
            args.reps,
        )
        print(f"compiled sweep, {k} column(s): {ms:.1f} ms")


if __name__ == "__main__":
    main()
