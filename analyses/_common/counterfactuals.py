"""Lost trade from control-based counterfactuals, with the own-trend ITS as a sensitivity."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

import belru_trade as bt

__all__ = ["lost_findings", "lost_rows", "lost_text"]


def _comparative(y: pd.Series, start: str, controls: pd.Series | None) -> dict:
    res = bt.comparative_counterfactual(y, start, controls, n_boot=499, seed=0, missing="drop")
    last = res.lost().iloc[-1]
    return {
        "lost": float(last["cumulative_lost"]),
        "CI low": float(last["cumulative_low"]),
        "CI high": float(last["cumulative_high"]),
        "method": res.method,
        "post months observed": len(res.lost()),
    }


def lost_rows(
    series: pd.Series,
    controls: pd.Series,
    start: str,
    *,
    label: str,
    unit: str,
    own_trend: dict | None = None,
    other_controls: Mapping[str, pd.Series] | None = None,
) -> list[dict]:
    """Cumulative lost trade of ``series`` after ``start``: control-based (the headline) and
    own-trend (a sensitivity row), each with its 95% bootstrap interval.

    ``own_trend`` is the ITS row of the same series (``cumulative counterfactual -
    observed``, ``cumulative CI low``/``high``) when one was fitted already; otherwise the
    own-trend counterfactual of :func:`belru_trade.comparative_counterfactual` is used.
    ``other_controls`` maps a row label to another control series (e.g. a wider pool): one
    control-based sensitivity row each, between the headline and the own-trend row.
    """
    rows = []
    variants = (
        ("control-based counterfactual (headline)", controls),
        *((label, ctl) for label, ctl in (other_controls or {}).items()),
        ("own-trend ITS (sensitivity)", None),
    )
    for name, ctl in variants:
        row: dict[str, Any] = {"series": label, "counterfactual": name}
        if ctl is None and own_trend is not None:
            key = next(k for k in own_trend if k.startswith("cumulative counterfactual"))
            row |= {
                "lost": own_trend[key],
                "CI low": own_trend["cumulative CI low"],
                "CI high": own_trend["cumulative CI high"],
                "method": "quasi-Poisson ITS, simulation interval",
                "post months observed": own_trend.get("post months", float("nan")),
            }
        else:
            try:
                row |= _comparative(series, start, ctl)
            except (bt.BelruTradeError, ValueError, np.linalg.LinAlgError) as exc:
                row |= {"lost": float("nan"), "method": f"not estimable: {exc}"[:120]}
        rows.append(row)
    for row in rows:
        for key in ("lost", "CI low", "CI high"):
            row[f"{key} ({unit})"] = row.pop(key, float("nan"))
    return rows


def lost_text(row: dict, unit: str) -> str:
    """'12,345 t [10,000, 15,000]' from a :func:`lost_rows` row, with the number of
    post months summed when the row has it ('over 10 observed months')."""
    text = (
        f"{row[f'lost ({unit})']:,.0f} {unit} [{row[f'CI low ({unit})']:,.0f}, "
        f"{row[f'CI high ({unit})']:,.0f}]"
    )
    months = row.get("post months observed", float("nan"))
    return text if not np.isfinite(months) else f"{text} over {months:.0f} observed months"


def lost_findings(lost: pd.DataFrame, period: str, unit: str) -> list[str]:
    """One finding per estimated row of a :func:`lost_rows` table ("series: lost volume
    ``period``, counterfactual: 12,345 t [...] (method).")."""
    return [
        f"{r['series']}: lost volume {period}, {r['counterfactual']}: "
        f"{lost_text(r, unit)} ({r['method']})."
        for r in lost.to_dict("records")
        if pd.notna(r[f"lost ({unit})"])
    ]
