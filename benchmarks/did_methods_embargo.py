"""The 2014 food-embargo event studies of the bundled analyses under three DiD methods.

Refits the PPML event studies of ``analyses/milk.py`` (dairy) and
``analyses/embargo_2014_food.py`` (dairy, meat, fruit & vegetables, fish) on the embedded
snapshot with ``method='twfe'`` (what the analyses report), ``'imputation'`` (Wooldridge's
extended TWFE in PPML) and ``'sunab'`` (Sun-Abraham), and prints, per series and method, the
pooled effect with its 95% interval, the pre-trend verdict and the relative-magnitude
sensitivity bounds of the average post-period effect. The analyses themselves are not
changed. Run::

    .venv/bin/python benchmarks/did_methods_embargo.py [--out table.md]
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd
from belru_trade.analyses import embargo_2014_food as food
from belru_trade.analyses import milk
from belru_trade.analyses._common.designs import origin_event_study
from scipy import stats

import belru_trade as bt
from belru_trade.report import AnalysisConfig
from belru_trade.report.requirements import resolve

METHODS = ("twfe", "imputation", "sunab")
MBAR = (0.5, 1.0, 2.0)


def _sample(rows: pd.DataFrame, brk: str) -> tuple[pd.DataFrame, set]:
    """The analyses' sample: embargoed origins and never-embargoed controls."""
    embargoed = bt.codes.embargo_origins(brk)
    ever = bt.codes.embargo_origins("2016-01") | {"UA", "BY"}
    keep = rows["reporter"].isin(embargoed) | ~rows["reporter"].isin(ever)
    return rows[keep], embargoed


def _series(config) -> dict[str, tuple[pd.DataFrame, set, str, str]]:
    out = {}
    panel = resolve(milk.REQUIRES, config).panel
    rows, _ = milk.prepare(panel, config)
    sample, embargoed = _sample(rows, milk._BREAK)
    out["milk.py: dairy"] = (sample, embargoed, "2013-01", milk._END)
    panel = resolve(food.REQUIRES, config).panel
    rows, _ = food.prepare(panel, config)
    sample, embargoed = _sample(rows, food._BREAK)
    for name, codes in food.FOOD_GROUPS.items():
        sub = sample[sample["product"].isin(codes)]
        out[f"embargo_2014_food.py: {name}"] = (sub, embargoed, food._ES_START, food._END)
    return out


def _pct(x: float) -> float:
    return 100 * (np.exp(x) - 1)


def _old_chi2_p(res) -> float:
    """The previous test: b' V^-1 b against chi-square(K), K pre-period terms."""
    pre = [n for n, t in zip(res.params.index, res.event_times, strict=True) if t < -1]
    b, V = res.params[pre].to_numpy(), res.cov.loc[pre, pre].to_numpy()
    return float(stats.chi2.sf(b @ np.linalg.solve(V, b), len(pre)))


def _row(label: str, method: str, res) -> dict:
    att, pt = res.att, res.pretrend
    sens = res.sensitivity(mbar=MBAR).table
    avg = sens[sens["target"] == "average"].set_index("mbar")
    row = {
        "series": label,
        "method": method,
        "pooled effect (%)": f"{_pct(att['estimate']):.1f}",
        "95% CI (%)": f"[{_pct(att['conf_low']):.1f}, {_pct(att['conf_high']):.1f}]",
        "pre-trend": f"{pt['test']}({int(pt['df'])}"
        + (f", {int(pt['df_denom'])}" if pt["test"] == "F" else "")
        + f") p = {pt['p_value']:.2g}"
        + (" REJECTS" if pt["rejected"] else ""),
        "previous chi2 test p": f"{_old_chi2_p(res):.2g}",
        "avg post effect (log pts)": f"{avg.loc[MBAR[0], 'estimate']:.3f}",
    }
    for m in MBAR:
        row[f"bounds Mbar={m:g}"] = f"[{avg.loc[m, 'lower']:.2f}, {avg.loc[m, 'upper']:.2f}]"
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", help="also write the Markdown table to this file")
    args = parser.parse_args()
    config = AnalysisConfig()
    rows = []
    for label, (sample, embargoed, start, end) in _series(config).items():
        for method in METHODS:
            t0 = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", bt.BelruTradeWarning)
                try:
                    res = origin_event_study(
                        sample, embargoed, start=start, end=end, event="2014-08", method=method
                    )
                except (bt.BelruTradeError, ValueError) as exc:
                    rows.append({"series": label, "method": method, "pooled effect (%)": str(exc)})
                    continue
            rows.append(_row(label, method, res) | {"s": f"{time.perf_counter() - t0:.1f}"})
    table = pd.DataFrame(rows).to_markdown(index=False)
    print(table)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as fh:
            fh.write(table + "\n")


if __name__ == "__main__":
    main()
