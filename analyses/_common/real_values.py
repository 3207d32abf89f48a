"""Annual sums of monthly euro series in real terms (euro-area HICP, ``bt.deflate``)."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
from belru_trade.analyses._common.sensitivity import deflated
from belru_trade.analyses._common.series import annual_sums

__all__ = ["real_annual_table"]


def real_annual_table(
    series: Mapping[tuple[str, str], pd.Series], unit: str, base: int = 2021
) -> pd.DataFrame:
    """Annual exports, imports and balance in EUR of ``base`` per extract.

    ``series`` maps (extract, flow) to a monthly EUR series (flow ``export``/``import``);
    each month is deflated by the euro-area HICP before the calendar-year sum. Columns:
    ``year``, ``extract``, ``exports (<unit>)``, ``imports (<unit>)``, ``balance (<unit>)``.
    """
    rows = [
        annual_sums(deflated(s, base)).assign(extract=extract, flow=flow)
        for (extract, flow), s in series.items()
        if not s.empty
    ]
    if not rows:
        return pd.DataFrame(columns=["year", "extract"])
    wide = pd.concat(rows).pivot_table(index=["year", "extract"], columns="flow", values="sum")
    out = pd.DataFrame(index=wide.index)
    out[f"exports ({unit})"] = wide.get("export", float("nan"))
    out[f"imports ({unit})"] = wide.get("import", float("nan"))
    out[f"balance ({unit})"] = out[f"exports ({unit})"] - out[f"imports ({unit})"]
    return out.reset_index()
