"""Sensitivity tables: one choice varied at a time, fragile headlines flagged."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd
from belru_trade.analyses._common.its_rows import fit_its, its_contrast

__all__ = ["contrast_sensitivity", "deflated", "flag_fragile", "its_sensitivity"]


def flag_fragile(table: pd.DataFrame, *, estimate: str, low: str, high: str) -> pd.DataFrame:
    """Add a ``fragile`` column: "yes" on rows whose sign differs from the first row's or
    whose interval covers zero while the first row's does not (loss of significance)."""
    base = table.iloc[0]
    base_sig = not (base[low] <= 0 <= base[high])
    flags = []
    for _, r in table.iterrows():
        if not np.isfinite(r[estimate]):
            flags.append("not estimable")
            continue
        flipped = np.sign(r[estimate]) != np.sign(base[estimate])
        lost = base_sig and (r[low] <= 0 <= r[high])
        flags.append("yes" if flipped or lost else "no")
    return table.assign(fragile=flags)


def _contrast(treated: pd.Series, control: pd.Series, event: str, **options: Any) -> dict:
    t, _ = fit_its(treated, [event], **options)
    c, _ = fit_its(control, [event], **options)
    try:
        return its_contrast(t, c)
    except ValueError:  # a Gaussian fallback cannot be contrasted on the log scale
        return {"difference in level change (%)": float("nan")}


def contrast_sensitivity(
    treated: Callable[[str], pd.Series],
    control: Callable[[str, str], pd.Series],
    *,
    event: str,
    start: str,
    variants: Mapping[str, dict],
) -> pd.DataFrame:
    """Comparative ITS (treated minus control level change) under one choice at a time.

    Parameters
    ----------
    treated : callable
        ``treated(start, **data)`` returns the treated group's monthly series from ``start``.
    control : callable
        ``control(pool, start, **data)`` returns the control series for a named control
        pool.
    event : str
        Break month.
    start : str
        Baseline pre-period start.
    variants : mapping
        Row label -> changes: ``pool`` (control pool name; "baseline" by default),
        ``start``, ``data`` (keyword arguments of ``treated`` and ``control``, e.g. a
        tolerance of the group totals) and ITS options (``errors``, ``family``). The first
        variant is the baseline.

    Returns
    -------
    pandas.DataFrame
        One row per variant: the difference in level change (%) with its 95% interval and
        the ``fragile`` flag.
    """
    rows = []
    for label, change in variants.items():
        change = dict(change)
        pool = change.pop("pool", "baseline")
        first = change.pop("start", start)
        data = change.pop("data", {})
        try:
            res = _contrast(treated(first, **data), control(pool, first, **data), event, **change)
        except (ValueError, np.linalg.LinAlgError) as exc:
            res = {"difference in level change (%)": float("nan"), "note": str(exc)[:80]}
        rows.append({"choice varied": label} | res)
    table = pd.DataFrame(rows)
    for col in ("difference CI low (%)", "difference CI high (%)"):
        if col not in table:
            table[col] = float("nan")
    table = table.drop(columns=[c for c in ("z",) if c in table])
    return flag_fragile(
        table,
        estimate="difference in level change (%)",
        low="difference CI low (%)",
        high="difference CI high (%)",
    )


def its_sensitivity(
    series: pd.Series, event: str, variants: Mapping[str, dict], *, unit: str, scale: float = 1.0
) -> pd.DataFrame:
    """Own-trend ITS level change and cumulative effect under one choice at a time.

    ``variants`` maps a row label to changes: ``start`` (first month kept), ``series``
    (another series, e.g. deflated values) and ITS options (``errors``, ``family``); the
    first variant is the baseline.
    """
    from belru_trade.analyses._common.its_rows import its_row

    rows = []
    for label, change in variants.items():
        change = dict(change)
        first = change.pop("start", None)
        y = change.pop("series", series)
        y = y if first is None else y.loc[first:]
        try:
            fit, _ = fit_its(y, [event], **change)
            row, _ = its_row(fit, label=label, unit=unit, scale=scale)
            rec = row.record()
            key = next(k for k in rec if k.startswith("cumulative counterfactual"))
            rows.append(
                {
                    "choice varied": label,
                    "level change (%)": rec.get("level change (%)", np.nan),
                    "CI low (%)": rec.get("level CI low (%)", np.nan),
                    "CI high (%)": rec.get("level CI high (%)", np.nan),
                    f"cumulative counterfactual - observed ({unit})": rec[key],
                }
            )
        except (ValueError, np.linalg.LinAlgError) as exc:
            rows.append({"choice varied": label, "level change (%)": np.nan,
                         "note": str(exc)[:80]})  # fmt: skip
    table = pd.DataFrame(rows)
    return flag_fragile(table, estimate="level change (%)", low="CI low (%)", high="CI high (%)")


def deflated(series: pd.Series, base: int = 2021) -> pd.Series:
    """A monthly EUR series in EUR of ``base`` (euro-area HICP, ``bt.deflate``)."""
    import belru_trade as bt

    frame = pd.DataFrame({"period": series.index, "value": series.to_numpy(float)})
    real = bt.deflate(frame, "hicp_ea", base=base)
    return pd.Series(real["value"].to_numpy(), index=series.index, name=series.name)
