"""Generator of synthetic Comext bulk v2 ``.dat`` files for the bulk benchmarks.

No real bulk file can be shipped (a month is 300-400 MB), so the benchmarks write files
with the exact v2 header and plausible code and value distributions: 27 reporters, about
240 partners, 9,000 CN8 codes, both flows, stat procedures 1-9, integer values. Rows are
written in blocks of one million with pyarrow's CSV writer (no quoting), so generating a
50 M-row file takes about a minute and little memory.
"""

from __future__ import annotations

import string
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

V2_HEADER = (
    "REPORTER,PARTNER,TRADE_TYPE,PRODUCT_NC,PRODUCT_SITC,PRODUCT_CPA21,PRODUCT_CPA22,"
    "PRODUCT_BEC,PRODUCT_BEC5,PRODUCT_SECTION,FLOW,STAT_PROCEDURE,SUPPL_UNIT,PERIOD,"
    "VALUE_EUR,VALUE_NAC,QUANTITY_KG,QUANTITY_SUPPL_UNIT"
)
EU27 = tuple(
    [
        "AT",
        "BE",
        "BG",
        "CY",
        "CZ",
        "DE",
        "DK",
        "EE",
        "ES",
        "FI",
        "FR",
        "GR",
        "HR",
        "HU",
        "IE",
        "IT",
        "LT",
        "LU",
        "LV",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SE",
        "SI",
        "SK",
    ]
)


def _partners(rng: np.random.Generator) -> np.ndarray:
    letters = list(string.ascii_uppercase)
    pool = {a + b for a in letters for b in letters}
    extra = sorted(pool - set(EU27) - {"RU"})
    chosen = rng.choice(extra, 210, replace=False)
    return np.array([*EU27, "RU", *chosen])


def _block(rng: np.random.Generator, rows: int, periods: list[int], pools: dict) -> pa.Table:
    n = rows
    product = rng.integers(0, len(pools["cn8"]), n)
    values = rng.lognormal(8.0, 2.5, n).astype(np.int64)
    flow = rng.integers(1, 3, n)
    return pa.table(
        {
            "REPORTER": pools["reporters"][rng.integers(0, 27, n)],
            "PARTNER": pools["partners"][rng.integers(0, len(pools["partners"]), n)],
            "TRADE_TYPE": np.where(rng.random(n) < 0.6, "I", "E"),
            "PRODUCT_NC": pools["cn8"][product],
            "PRODUCT_SITC": pools["sitc"][product],
            "PRODUCT_CPA21": pools["cpa"][product],
            "PRODUCT_CPA22": pools["cpa"][product],
            "PRODUCT_BEC": pools["bec"][product],
            "PRODUCT_BEC5": pools["bec5"][product],
            "PRODUCT_SECTION": pools["section"][product],
            "FLOW": flow,
            "STAT_PROCEDURE": rng.integers(1, 10, n),
            "SUPPL_UNIT": np.where(rng.random(n) < 0.7, "NO_SU", "NAR"),
            "PERIOD": np.array(periods)[rng.integers(0, len(periods), n)],
            "VALUE_EUR": values,
            "VALUE_NAC": values,
            "QUANTITY_KG": (values * rng.random(n)).astype(np.int64),
            "QUANTITY_SUPPL_UNIT": rng.integers(0, 1000, n),
        }
    )


def generate_v2(
    path: str | Path, rows: int, *, periods: list[int] | None = None, seed: int = 0
) -> Path:
    """Write a synthetic v2 ``.dat`` file of ``rows`` rows and return its path."""
    rng = np.random.default_rng(seed)
    periods = periods or [202402]
    cn8 = np.array([f"{c:08d}" for c in rng.choice(97_000_000, 9_000, replace=False) + 1_000_000])
    pools = {
        "reporters": np.array(EU27),
        "partners": _partners(rng),
        "cn8": cn8,
        "sitc": np.array([f"{c:05d}" for c in rng.integers(0, 99_999, len(cn8))]),
        "cpa": np.array([f"{c:04d}" for c in rng.integers(100, 9_999, len(cn8))]),
        "bec": np.array([f"{c:03d}" for c in rng.integers(100, 999, len(cn8))]),
        "bec5": np.array([f"{c:06d}" for c in rng.integers(100_000, 999_999, len(cn8))]),
        "section": np.array([f"{c:02d}" for c in rng.integers(0, 21, len(cn8))]),
    }
    path = Path(path)
    options = pacsv.WriteOptions(include_header=False, quoting_style="none")
    with path.open("wb") as raw:
        raw.write((V2_HEADER + "\n").encode())
        done = 0
        while done < rows:
            n = min(1_000_000, rows - done)
            pacsv.write_csv(_block(rng, n, periods, pools), raw, write_options=options)
            done += n
    return path
