"""Benchmark: treatment indicators and name harmonisation on a large synthetic panel.

Usage::

    .venv/bin/python benchmarks/bench_registries.py [--rows 1000000] [--seed 0]

Builds a random monthly panel (EU27 members, RU, US, CN, GB, UA as reporters; half the
partners RU; 2,000 random HS6 codes plus pears, cheese, diamonds and TOTAL; 2012-2024),
then times ``bt.events.treatment`` for the 2014 embargo alone and for every ban/extension
event of the registry, and ``bt.codes.harmonise`` on as many legacy Comtrade names.
No peer exists for these look-ups; the figures only track our own speed.
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np
import pandas as pd

import belru_trade as bt


def synthetic_panel(rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    geo = np.array([*sorted(bt.codes.group_members("EU27_2020")), "RU", "US", "CN", "GB", "UA"])
    hs6 = [f"{i:06d}" for i in rng.integers(10_000, 999_999, 2_000)]
    products = np.array([*hs6, "080830", "040690", "710231", "TOTAL"])
    months = pd.period_range("2012-01", "2024-12", freq="M")
    partner = np.where(rng.random(rows) < 0.5, "RU", rng.choice(geo, rows))
    return pd.DataFrame(
        {
            "reporter": rng.choice(geo, rows),
            "partner": partner,
            "product": rng.choice(products, rows),
            "flow": rng.choice(["import", "export"], rows),
            "period": months[rng.integers(0, len(months), rows)],
        }
    )


def timed(func, *args, **kwargs):
    start = time.perf_counter()
    result = func(*args, **kwargs)
    return result, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs")
    frame = synthetic_panel(args.rows, args.seed)
    bans = [e for e in bt.events.event_ids() if bt.events.get(e).kind in ("ban", "extension")]
    one, t_one = timed(bt.events.treatment, frame, "RU-2014-RES778")
    many, t_many = timed(bt.events.treatment, frame, bans)
    share = one.mean()
    print(f"treatment, {args.rows:,} rows, RU-2014-RES778: {t_one:.2f} s ({share:.5f} treated)")
    print(f"treatment, {args.rows:,} rows, {len(bans)} events: {t_many:.2f} s ({many.mean():.5f})")
    names = ["Czech Rep.", "USA", "Belgium", "EU-28", "Rep. of Moldova", "China, Hong Kong SAR"]
    series = pd.Series(np.random.default_rng(args.seed).choice(names, args.rows))
    _, t_names = timed(bt.codes.harmonise, series, scheme="comtrade")
    print(f"harmonise, {args.rows:,} Comtrade names: {t_names:.2f} s")


if __name__ == "__main__":
    main()
