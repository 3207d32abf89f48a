"""Full-size check of did(method=...) against pyfixest on its bundled df_het data.

The test suite uses every third unit of df_het (pyfixest's did2s variance builds a dense
unit-dummy matrix); this script runs the full 46,500 rows and prints the largest absolute
and relative differences from pyfixest's did2s (overall ATT and event-time effects 0..20,
estimates and standard errors) and from its saturated event study aggregated with
cohort-share weights (estimates). Needs about 2 GB of memory. Run::

    .venv/bin/python benchmarks/validate_did_df_het.py
"""

from __future__ import annotations

import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pyfixest as pf

import belru_trade as bt


def _diff(a, b) -> str:
    a, b = np.asarray(a, float), np.asarray(b, float)
    return f"max abs {np.max(np.abs(a - b)):.1e}, max rel {np.max(np.abs(a - b) / np.abs(b)):.1e}"


def main() -> None:
    raw = pd.read_csv(Path(pf.__file__).parent / "did" / "data" / "df_het.csv")
    data = raw.assign(period=pd.PeriodIndex(raw["year"].astype(str), freq="Y"),
                      treated=raw["treat"].astype(int))  # fmt: skip
    kw = dict(outcome="dep_var", treatment="treated", unit=("unit",), time="period",
              window=(-20, 20), binned=False, estimator="ols", fixed_effects=("unit", "time"),
              cluster="state")  # fmt: skip
    t0 = time.perf_counter()
    imp = bt.did(data, method="imputation", **kw)
    t1 = time.perf_counter()
    sa = bt.did(data, method="sunab", **kw)
    t2 = time.perf_counter()
    post = list(range(21))
    for k in post:
        raw[f"ev{k}"] = ((raw["rel_year"] == k) & (raw["g"] > 0)).astype(float)
    att = pf.did2s(raw, yname="dep_var", first_stage="~ 0 | unit + year",
                   second_stage="~ treat", treatment="treat", cluster="state").tidy()  # fmt: skip
    es = pf.did2s(raw, yname="dep_var", first_stage="~ 0 | unit + year",
                  second_stage="~ " + " + ".join(f"ev{k}" for k in post), treatment="treat",
                  cluster="state").tidy()  # fmt: skip
    ours = imp.event_table().set_index("event_time").loc[post]
    ref_att = att.loc["treat"]
    print(f"imputation ATT {imp.att['estimate']:.8f} (se {imp.att['std_error']:.8f}); "
          f"did2s {ref_att['Estimate']:.8f} (se {ref_att['Std. Error']:.8f})")  # fmt: skip
    print("imputation event-time estimates vs did2s:", _diff(ours["estimate"], es["Estimate"]))
    print("imputation event-time SEs vs did2s:", _diff(ours["std_error"], es["Std. Error"]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = pf.feols("dep_var ~ i(rel_year, g, ref=-1, ref2=0) | unit + year", raw,
                       vcov={"CRV1": "state"})  # fmt: skip
    cells = pd.Series(fit._coefnames).str.extract(r"rel_year::(?P<k>[-\d.]+):g::(?P<g>\d+)")
    cells = cells.astype(float).assign(b=fit.coef().to_numpy())
    counts = raw[(raw["g"] > 0)].groupby(["rel_year", "g"]).size()
    cells["n"] = [counts.get((k, g), 0) for k, g in zip(cells["k"], cells["g"], strict=True)]
    cells["w"] = cells["n"] / cells.groupby("k")["n"].transform("sum")
    ref = (cells["b"] * cells["w"]).groupby(cells["k"]).sum()
    mine = sa.event_table().set_index("event_time")["estimate"].loc[ref.index.astype(int)]
    print("Sun-Abraham event-time estimates vs saturated event study:", _diff(mine, ref))
    print(f"our fits: imputation {t1 - t0:.1f} s, Sun-Abraham {t2 - t1:.1f} s")


if __name__ == "__main__":
    main()
