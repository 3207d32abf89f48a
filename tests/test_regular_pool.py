"""The headline control pool of the 2014 designs: the controls that filed in every month.

The regular pool is checked against the set of controls with a row in every month of the
design window, computed here straight from the shipped snapshot file (period ordinals, no
library code); the fallback rule and the tolerance row on hand-made frames.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from belru_trade.analyses._common import control_pools, embargo_2014_controls, monthly_tonnes
from belru_trade.analyses._common.comtrade_filing import ComtradeFiling
from belru_trade.analyses._common.regular_pool import (
    MIN_CONTROLS,
    control_pool,
    pool_groups,
    pool_table,
)

SNAPSHOT = (
    Path(__file__).resolve().parents[1] / "belru_trade" / "data" / "snapshot" / "comtrade.parquet"
)
WINDOW = ("2012-01", "2016-07")


def _raw_snapshot() -> pd.DataFrame:
    if not SNAPSHOT.exists():
        pytest.skip("the Comtrade snapshot is not in this build (not redistributed)")
    raw = pd.read_parquet(SNAPSHOT)
    raw["period"] = pd.PeriodIndex.from_ordinals(raw["period"].to_numpy(), freq="M")
    return raw


def test_regular_pool_is_the_controls_with_a_row_in_every_month_of_the_snapshot():
    raw = _raw_snapshot()
    months = pd.period_range(*WINDOW, freq="M")
    inside = raw[(raw["partner"] == "RU") & raw["period"].isin(months)]
    counts = inside.groupby("reporter")["period"].nunique()
    controls = set(embargo_2014_controls())
    expected = {c for c in controls if counts.get(c, 0) == len(months)}

    from belru_trade.store import snapshot

    panel = snapshot.load_snapshot("comtrade", partner="RU")
    filing = ComtradeFiling.from_panel(panel, "RU")
    exports = panel[panel["flow"] == "export"]
    pool = control_pool(
        exports, filing, controls, group="all food", start=WINDOW[0], end=WINDOW[1],
        pre_end="2014-07",
    )  # fmt: skip
    assert set(pool.regular) == expected
    assert set(pool.full) == controls and set(pool.regular) < set(pool.full)
    # the irregular reporters that emptied the controls' totals are not in it
    assert {"UY", "MA", "KR"} <= set(pool.full) - set(pool.regular)
    assert not pool.fallback and pool.headline == pool.regular
    # every regular control has a row in each month, so the headline total is never missing
    total = filing.group_tonnes(exports, pool.regular, *WINDOW, pre_end="2014-07")
    assert total.notna().all() and len(total) == len(months)


def _frame(shipping: dict[str, float], irregular: str = "UY") -> pd.DataFrame:
    """Controls filing every month 2014-06..2014-08 (``shipping`` tonnes in 2014-06, 1 t
    later), and one irregular control filing in 2014-06 only (500 t)."""
    months = pd.period_range("2014-06", "2014-08", freq="M")
    rows = [
        {"reporter": r, "period": m, "quantity": 1e3 * t if m == months[0] else 1e3}
        for r, t in shipping.items()
        for m in months
    ]
    rows.append({"reporter": irregular, "period": months[0], "quantity": 5e5})
    frame = pd.DataFrame(rows)
    return frame.assign(source="comtrade", partner="RU", product="0401")


@pytest.mark.parametrize(("n_shipping", "fallback"), [(MIN_CONTROLS, False), (4, True)])
def test_a_regular_pool_shipping_too_little_falls_back_to_all_controls(n_shipping, fallback):
    # n_shipping controls ship 200 t before the embargo, one ships 119 t (below 120 t)
    shipping = {f"C{i}": 200.0 for i in range(n_shipping)} | {"SMALL": 119.0}
    rows = _frame(shipping)
    filing = ComtradeFiling.from_panel(rows, "RU", start="2014-06", end="2014-08")
    pool = control_pool(
        rows, filing, [*shipping, "UY"], group="dairy", start="2014-06", end="2014-08",
        pre_end="2014-06",
    )  # fmt: skip
    assert set(pool.regular) == set(shipping)
    assert len(pool.shipping) == n_shipping and "SMALL" not in pool.shipping
    assert pool.fallback is fallback
    assert pool.headline == (pool.full if fallback else pool.regular)
    # UY's 500 t of the pre-period are outside the regular pool
    assert pool.share == pytest.approx((200 * n_shipping + 119) / (200 * n_shipping + 619))
    groups = pool_groups([pool])
    headline = [k for k in groups if k.startswith("controls (headline")]
    assert len(headline) == 1 and groups[headline[0]] == pool.headline
    assert ("too small" in headline[0]) is fallback
    assert ("falls back" in pool.note()) is fallback
    table = pool_table([pool])
    assert table.loc[table["used for"] == "headline", "number"].item() == len(pool.headline)


def test_tolerance_row_reads_a_small_non_filer_as_missing():
    shipping = {f"C{i}": 200.0 for i in range(5)}
    rows = _frame(shipping, irregular="UY")
    rows.loc[rows["reporter"] == "UY", "quantity"] = 5e3  # 5 t: 0.5% of the pre-period
    filing = ComtradeFiling.from_panel(rows, "RU", start="2014-06", end="2014-08")
    pools = control_pools(tuple(shipping))
    assert pools["baseline"] == tuple(sorted(shipping)) and "UY" in pools["all"]
    group = [*shipping, "UY"]
    loose = monthly_tonnes(rows, group, "2014-06", "2014-08", filing=filing)
    strict = monthly_tonnes(rows, group, "2014-06", "2014-08", filing=filing, tolerance=0.0)
    # UY carries 5 of 1,010 t over 2014-06..07 (0.5%): with the 1% tolerance its empty
    # months count as zero; with 0% they make the total missing
    np.testing.assert_allclose(loose.to_numpy(), [1005.0, 5.0, 5.0])
    assert strict.iloc[0] == 1005.0 and strict.iloc[1:].isna().all()
