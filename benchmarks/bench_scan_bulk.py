"""Benchmark: bt.scan straight from the bulk store (numpy vs dask), time and peak memory.

Usage::

    .venv/bin/python benchmarks/bench_scan_bulk.py [--series 100000] [--months 180]
        [--chunk 5000] [--engines numpy dask] [--store DIR]

Writes a Comext v2 bulk file with ``--series`` CN8 products exported by BE to RU for
``--months`` months (Poisson counts, a level drop for a third of the products two thirds
in), ingests it into a bulk store (once; reused when ``--store`` already holds it), then
runs ``bt.scan(bt.bulk.dataset(store), start)`` in a fresh subprocess per engine and
prints wall time and peak resident memory (client process; for dask also the largest
worker, whose processes are children of the client).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

HEADER = (
    "REPORTER,PARTNER,TRADE_TYPE,PRODUCT_NC,PRODUCT_SITC,PRODUCT_CPA21,PRODUCT_CPA22,"
    "PRODUCT_BEC,PRODUCT_BEC5,PRODUCT_SECTION,FLOW,STAT_PROCEDURE,SUPPL_UNIT,PERIOD,"
    "VALUE_EUR,VALUE_NAC,QUANTITY_KG,QUANTITY_SUPPL_UNIT"
)


def write_file(path: Path, series: int, months: int, seed: int = 0) -> None:
    """One month of rows at a time: every product, Poisson values."""
    rng = np.random.default_rng(seed)
    periods = pd.period_range("2010-01", periods=months, freq="M")
    products = np.char.zfill(np.arange(series).astype(str), 8)
    base = rng.uniform(3, 8, series)
    drop = np.where(np.arange(series) % 3 == 0, 0.8, 0.0)
    cut = periods[2 * months // 3]
    with path.open("w") as out:
        out.write(HEADER + "\n")
        for p in periods:
            season = 0.2 * np.sin(2 * np.pi * p.month / 12)
            mu = np.exp(base + season - drop * (p >= cut))
            values = rng.poisson(mu).astype(str)
            stem = f"BE,RU,E,{{}},05799,0113,0113,112,111100,00,2,1,NO_SU,{p.strftime('%Y%m')},"
            pairs = zip(products, values, strict=True)
            out.writelines(stem.format(c) + f"{v},{v},1,0\n" for c, v in pairs)


def run_one(store: str, start: str, engine: str, chunk: int) -> dict:
    import warnings

    import belru_trade as bt

    warnings.simplefilter("ignore")
    t0 = time.perf_counter()
    res = bt.scan(bt.bulk.dataset(store), start, engine=engine, chunk_size=chunk)
    seconds = time.perf_counter() - t0
    return {
        "engine": engine,
        "seconds": round(seconds, 2),
        "series": len(res.status),
        "ok": int((res.status == "ok").sum()),
        "client_peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "worker_peak_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024),
        "level_change_sum": float(np.nansum(res.params.iloc[:, -2].to_numpy())),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--series", type=int, default=100_000)
    parser.add_argument("--months", type=int, default=180)
    parser.add_argument("--chunk", type=int, default=5000)
    parser.add_argument("--engines", nargs="+", default=["numpy", "dask"])
    parser.add_argument("--store", default=None)
    parser.add_argument("--child", nargs=3, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_one(args.child[0], args.child[1], args.child[2], args.chunk)))
        return
    import belru_trade as bt

    store = Path(args.store or tempfile.mkdtemp(prefix="scanbulk"))
    if not (store / "bulk").exists():
        store.mkdir(parents=True, exist_ok=True)
        dat = store / "full_v2_scan.dat"
        t0 = time.perf_counter()
        write_file(dat, args.series, args.months)
        t1 = time.perf_counter()
        bt.bulk.ingest(dat, store=store)
        dat.unlink()
        print(f"generated in {t1 - t0:.1f} s, ingested in {time.perf_counter() - t1:.1f} s")
    start = str(pd.period_range("2010-01", periods=args.months, freq="M")[2 * args.months // 3])
    for engine in args.engines:
        cmd = [sys.executable, __file__, "--chunk", str(args.chunk)]
        out = subprocess.run(
            [*cmd, "--child", str(store), start, engine], capture_output=True, text=True
        )
        print(out.stdout.strip() or out.stderr[-2000:])


if __name__ == "__main__":
    main()
