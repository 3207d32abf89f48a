"""Size of joint pre-trend tests with 12 clusters (no true pre-trend).

Panels of 4 products x 3 partners (12 flows = 12 clusters), monthly 2013-01..2015-12, half
the products treated from 2014-08 with a true effect of -0.5 and no pre-trend; OLS event
study with flow and month fixed effects, clustered by flow. From the same fit three tests of
the pre-period coefficients are computed: the previous one (``b' V^-1 b`` against
chi-square(K)), ``W / r`` against F(r, G - 1) on the generalized inverse, and the Hotelling
form used by ``bt.did`` (``W (G - r) / (r (G - 1))`` against F(r, G - r)). Reported: the
share of replications rejecting at 5%, for 13 and 5 pre-period coefficients. Run::

    .venv/bin/python benchmarks/bench_did_pretrend_size.py --reps 100
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd
from scipy import stats

import belru_trade as bt

PERIODS = pd.period_range("2013-01", "2015-12", freq="M")
START = pd.Period("2014-08", "M")


def panel(rng: np.random.Generator) -> pd.DataFrame:
    rows = [(p, d, t) for p in range(4) for d in ("RU", "DE", "PL") for t in PERIODS]
    df = pd.DataFrame(rows, columns=["product", "partner", "period"])
    k = np.array([(t - START).n for t in df["period"]])
    df["treated"] = ((df["product"] < 2) & (k >= 0)).astype(int)
    unit = rng.normal(0, 1, 12).repeat(len(PERIODS))
    df["value"] = unit - 0.5 * df["treated"] + rng.normal(0, 0.3, len(df))
    return df


def p_values(res, G: int = 12) -> dict[str, float]:
    pre = [n for n, t in zip(res.params.index, res.event_times, strict=True) if t < -1]
    b, V = res.params[pre].to_numpy(), res.cov.loc[pre, pre].to_numpy()
    K = len(pre)
    old = float(b @ np.linalg.solve(V, b))
    W = float(b @ np.linalg.pinv(V, rcond=1e-10, hermitian=True) @ b)
    r = min(np.linalg.matrix_rank(V, tol=1e-10 * np.abs(V).max()), G - 1)
    return {
        "chi2(K), V^-1 (previous)": stats.chi2.sf(old, K),
        "W/r ~ F(r, G-1), V^+": stats.f.sf(W / r, r, G - 1),
        "Hotelling F(r, G-r), V^+ (bt.did)": float(res.pretrend["p_value"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reps", type=int, default=100)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    start = time.perf_counter()
    rows = []
    for window in ((-14, 12), (-6, 6)):
        for _ in range(args.reps):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                res = bt.did(panel(rng), window=window, estimator="ols",
                             fixed_effects=("unit", "time"))  # fmt: skip
            for test, p in p_values(res).items():
                rows.append({"pre-period terms": -window[0] - 1, "test": test, "reject": p < 0.05})
    table = pd.DataFrame(rows).groupby(["pre-period terms", "test"], sort=False)["reject"].mean()
    print(table.rename("rejection rate at 5%").to_frame().to_markdown())
    print(f"\n{args.reps} replications per window, seed {args.seed}, "
          f"{time.perf_counter() - start:.0f} s")  # fmt: skip


if __name__ == "__main__":
    main()
