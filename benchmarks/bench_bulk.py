"""Benchmark: Comext bulk ingest (rows/s, peak memory), .7z throughput, one-slice read.

Usage::

    .venv/bin/python benchmarks/bench_bulk.py --rows 10000000 [--7z] [--engines]
    .venv/bin/python benchmarks/bench_bulk.py --rows 50000000

Generates a synthetic v2 ``.dat`` file of ``--rows`` rows into ``--workdir`` (default
``/tmp/belru_bulk_bench``; reused when present, never inside the repository), then, each in a
fresh subprocess whose peak resident memory is read from ``wait4``:

* ``ingest``: ``bt.bulk.ingest(file, store)`` end to end (header check, parse, SHA-256,
  partitioned parquet, manifest swap), timed from the call to its return;
* ``7z`` (with ``--7z``): the same file packed with py7zr (LZMA2, preset 1; packing not
  timed) and ingested from the archive (extraction included);
* ``slice``: ``bt.bulk.panel(reporter="BE", partner="RU")`` on the store, cold process;
* ``engines`` (with ``--engines``): the same parse-and-partition task done by pyarrow alone
  (parse only, and parse + one parquet file) and by DuckDB (``COPY ... PARTITION_BY (period,
  reporter)``, 2 threads), for the choice of engine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _bulk_gen import generate_v2

_INGEST = """
import json, sys, time
import belru_trade as bt
start = time.perf_counter()
out = bt.bulk.ingest([sys.argv[1]], store=sys.argv[2])
print(json.dumps({"seconds": time.perf_counter() - start, "rows": int(out.loc[0, "rows"])}))
"""
_SLICE = """
import json, sys, time
start = time.perf_counter()
import belru_trade as bt
import belru_trade.store.bulk
imports = time.perf_counter() - start
times = []
for _ in range(3):
    start = time.perf_counter()
    p = bt.bulk.panel(reporter="BE", partner="RU", store=sys.argv[1])
    times.append(time.perf_counter() - start)
start = time.perf_counter()
table = bt.bulk.dataset(sys.argv[1]).filter(reporter="BE", partner="RU").to_table()
raw = time.perf_counter() - start
print(json.dumps({"imports": imports, "first": times[0], "warm": sorted(times[1:])[0],
                  "rows": len(p), "raw_rows": table.num_rows, "raw_seconds": raw}))
"""
_PARSE = """
import json, sys, time
import pyarrow.csv as pacsv
from belru_trade.store.bulk.layout import read_header
from belru_trade.store.bulk.reader import BLOCK_SIZE, _convert_options
layout = read_header(sys.argv[1], "x")
start = time.perf_counter()
reader = pacsv.open_csv(sys.argv[1], read_options=pacsv.ReadOptions(block_size=BLOCK_SIZE),
                        convert_options=_convert_options(layout))
rows = 0
if sys.argv[3] == "one":
    import pyarrow.parquet as pq
    writer = pq.ParquetWriter(sys.argv[2] + "/one.parquet", reader.schema)
    for batch in reader:
        writer.write_batch(batch); rows += batch.num_rows
    writer.close()
else:
    rows = sum(batch.num_rows for batch in reader)
print(json.dumps({"seconds": time.perf_counter() - start, "rows": rows}))
"""
_DUCK = """
import json, sys, time
import duckdb
con = duckdb.connect()
con.execute("SET threads=2"); con.execute("SET preserve_insertion_order=false")
start = time.perf_counter()
con.execute(f'''COPY (SELECT REPORTER AS reporter, PERIOD AS period, PARTNER AS partner,
  TRADE_TYPE AS trade_type, PRODUCT_NC AS product, FLOW::TINYINT AS flow,
  STAT_PROCEDURE AS stat_procedure, SUPPL_UNIT AS suppl_unit, VALUE_EUR::DOUBLE AS value_eur,
  VALUE_NAC::DOUBLE AS value_nac, QUANTITY_KG::DOUBLE AS quantity_kg,
  QUANTITY_SUPPL_UNIT::DOUBLE AS quantity_suppl
  FROM read_csv('{sys.argv[1]}', header=true, delim=',',
       types={{'PRODUCT_NC': 'VARCHAR', 'STAT_PROCEDURE': 'VARCHAR', 'PERIOD': 'INTEGER',
               'PRODUCT_SECTION': 'VARCHAR'}}))
  TO '{sys.argv[2]}/duck' (FORMAT parquet, PARTITION_BY (period, reporter))''')
rows = con.execute(f"SELECT count(*) FROM read_parquet('{sys.argv[2]}/duck/*/*/*.parquet')")
print(json.dumps({"seconds": time.perf_counter() - start, "rows": rows.fetchone()[0]}))
"""


def run(code: str, *args: str) -> dict:
    """Run ``code`` in a fresh interpreter; return its JSON line plus peak RSS (MB) and wall s."""
    start = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-c", code, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    stdout = process.stdout.read() if process.stdout else b""
    stderr = process.stderr.read() if process.stderr else b""
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(stderr.decode()[-2000:])
    result = json.loads(stdout.decode().strip().splitlines()[-1])
    result["peak_mb"] = usage.ru_maxrss / 1024  # Linux: kilobytes
    result["cpu"] = usage.ru_utime + usage.ru_stime
    result["wall"] = time.perf_counter() - start
    return result


def report(label: str, result: dict, size: int | None = None) -> None:
    rate = result["rows"] / result["seconds"]
    per_cpu = result["rows"] / result["cpu"] / 1e6
    extra = f", {size / result['seconds'] / 1e6:.0f} MB/s of text" if size else ""
    print(
        f"{label}: {result['rows']:,} rows in {result['seconds']:.1f} s = {rate / 1e6:.3f} M "
        f"rows/s{extra}; peak RSS {result['peak_mb']:,.0f} MB (process: wall "
        f"{result['wall']:.1f} s, CPU {result['cpu']:.1f} s = {per_cpu:.2f} M rows per CPU s)"
    )


def make_7z(dat: Path) -> Path:
    import py7zr

    archive = dat.with_suffix(".7z")
    if not archive.exists():
        filters = [{"id": py7zr.FILTER_LZMA2, "preset": 1}]
        tmp = archive.with_suffix(".7z.part")
        with py7zr.SevenZipFile(tmp, "w", filters=filters) as out:
            out.write(dat, arcname=dat.name)
        tmp.rename(archive)
    return archive


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/belru_bulk_bench"))
    parser.add_argument("--7z", dest="sevenzip", action="store_true")
    parser.add_argument("--engines", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    load = os.getloadavg()
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs; load average {load[0]:.1f}")
    dat = args.workdir / f"full_v2_{args.rows}.dat"
    if not dat.exists():
        start = time.perf_counter()
        generate_v2(dat, args.rows, periods=[202402])
        print(f"generated {dat} in {time.perf_counter() - start:.0f} s")
    size = dat.stat().st_size
    print(f"file: {args.rows:,} rows, {size / 1e6:,.0f} MB")
    store = args.workdir / "store"
    shutil.rmtree(store, ignore_errors=True)
    report("ingest .dat", run(_INGEST, str(dat), str(store)), size)
    slice_ = run(_SLICE, str(store))
    print(
        f"one slice (BE-RU): panel of {slice_['rows']:,} rows from {slice_['raw_rows']:,} "
        f"stored rows: first call {slice_['first']:.2f} s, next {slice_['warm']:.2f} s; "
        f"dataset().filter().to_table() {slice_['raw_seconds']:.2f} s; import of belru_trade "
        f"and bt.bulk {slice_['imports']:.1f} s; peak RSS {slice_['peak_mb']:,.0f} MB"
    )
    if args.sevenzip:
        archive = make_7z(dat)
        shutil.rmtree(store, ignore_errors=True)
        print(f"archive: {archive.stat().st_size / 1e6:,.0f} MB (LZMA2 preset 1)")
        report("ingest .7z", run(_INGEST, str(archive), str(store)), size)
    if args.engines:
        out = args.workdir / "engines"
        for label, code, mode in [
            ("pyarrow parse only", _PARSE, "none"),
            ("pyarrow parse + one parquet file", _PARSE, "one"),
            ("duckdb parse + period/reporter partitions", _DUCK, ""),
        ]:
            shutil.rmtree(out, ignore_errors=True)
            out.mkdir()
            report(label, run(code, str(dat), str(out), mode), size)
        shutil.rmtree(out, ignore_errors=True)
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    shutil.rmtree(store, ignore_errors=True)
    if not args.keep:
        shutil.rmtree(args.workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
