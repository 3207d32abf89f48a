"""Fetch benchmark against a local HTTP server: request counts and cold vs warm store.

Query: reporter BE, 5 partners, 50 HS6 products, monthly 2010-01..2019-12 (120 months).

Run::

    .venv/bin/python benchmarks/bench_fetch.py [--repeat 3]

Prints a Markdown table (requests sent, minimum allowed by the limits, wall time).
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from belru_trade.store import sources  # noqa: E402
from tests.http_fault_server import (  # noqa: E402
    FaultServer,
    comext_from_query,
    comtrade_from_query,
    reply,
)

PARTNERS = ["RU", "BY", "KZ", "UA", "TR"]
PRODUCTS = [f"{p:06d}" for p in range(80110, 80160)]  # 50 HS6 codes
START, END = "2010-01", "2019-12"
MONTHS = 120


def respond(path: str, query: list):
    if path.startswith("/statistics/"):
        return reply(200, comext_from_query(query, lambda c: 1.0))
    if path.startswith(("/data/v1/get/", "/public/v1/preview/")):
        return reply(200, comtrade_from_query(query, lambda *a: 1.0))
    return None


def minimum(provider: str, flows: int) -> tuple[int, str]:
    """Fewest requests the documented limits allow, with the arithmetic."""
    cells = len(PRODUCTS) * len(PARTNERS) * MONTHS * flows
    if provider == "comext":
        total = cells * 2  # two indicators (value, quantity)
        return 1, f"{total:,} cells <= 5,000,000 per extraction -> 1"
    if provider == "comtrade (key)":
        per_call = 12 * len(PRODUCTS) * len(PARTNERS) * flows
        return math.ceil(MONTHS / 12), (
            f"ceil({MONTHS} months / 12 per call) = 10; {per_call:,} records/call <= 100,000"
        )
    return math.ceil(cells / 500), f"ceil({cells:,} records / 500 per preview call)"


def run_case(server: FaultServer, provider: str, flow: str, store: str) -> dict:
    os.environ["BELRU_TRADE_CACHE"] = store
    common = dict(freq="M", start=START, end=END, flow=flow, base_url=server.url, progress=False)
    if provider == "comext":
        call = lambda **kw: sources.comext("BE", PARTNERS, PRODUCTS, **common, **kw)  # noqa: E731
    else:
        key = "bench-key" if provider == "comtrade (key)" else ""
        call = lambda **kw: sources.comtrade(  # noqa: E731
            "BE", PARTNERS, PRODUCTS, api_key=key, **common, **kw
        )
    timings = {}
    for label, kwargs in (("cold", {}), ("warm", {}), ("raw store", {"refresh": True})):
        before = len(server.seen)
        t0 = time.perf_counter()
        frame = call(**kwargs)
        timings[label] = (time.perf_counter() - t0, len(server.seen) - before, len(frame))
    return timings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"machine: {platform.platform()}, {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} CPUs, Python {platform.python_version()}")  # fmt: skip
    print("| provider | flows | requests (cold) | minimum allowed | arithmetic | rows | "
          "cold s | warm s (requests) | raw-store s (requests) |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|")
    with FaultServer(respond) as server:
        for provider in ("comext", "comtrade (key)", "comtrade (preview)"):
            for flow, flows in (("export", 1), ("both", 2)):
                best = None
                for _ in range(args.repeat):
                    with tempfile.TemporaryDirectory() as store:
                        timings = run_case(server, provider, flow, store)
                    if best is None or timings["cold"][0] < best["cold"][0]:
                        best = timings
                least, why = minimum(provider, flows)
                cold, warm, raw = best["cold"], best["warm"], best["raw store"]
                cells = [provider, flows, cold[1], least, why, f"{cold[2]:,}", f"{cold[0]:.3f}"]
                cells += [f"{warm[0]:.3f} ({warm[1]})", f"{raw[0]:.3f} ({raw[1]})"]
                print("| " + " | ".join(map(str, cells)) + " |")
        if server.unexpected:
            raise SystemExit(f"unexpected requests: {server.unexpected[:3]}")


if __name__ == "__main__":
    main()
