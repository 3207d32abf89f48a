"""``bt.panel.select`` and ``bt.panel.series``: criteria, the two empty/missing behaviours,
named errors, and property checks against a plain row-by-row filter written here."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import belru_trade as bt
from belru_trade.errors import EmptySelectionError, InvalidArgumentError, UnknownColumnError

FAST = settings(max_examples=60, deadline=None, derandomize=True)


def small_panel() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "reporter": ["BE", "BE", "NL", "BE", "BE", "DE"],
            "partner": ["RU", "RU", "RU", "BY", "RU", "RU"],
            "flow": ["export", "export", "export", "export", "import", "export"],
            "period": pd.PeriodIndex(
                ["2014-01", "2014-02", "2014-01", "2014-01", "2014-01", "2014-03"], freq="M"
            ),
            "value": [10.0, np.nan, 5.0, 7.0, 3.0, 1.0],
        },
        index=[10, 11, 12, 13, 14, 15],
    )


def test_select_keeps_order_and_index_of_the_matching_rows() -> None:
    p = small_panel()
    got = bt.panel.select(p, reporter="BE", flow="export")
    assert got.index.tolist() == [10, 11, 13]
    got = bt.panel.select(p, reporter=["NL", "DE"], partner="RU")
    assert got.index.tolist() == [12, 15]


def test_slice_is_an_inclusive_range_and_exclude_drops_values() -> None:
    p = small_panel()
    start, end = pd.Period("2014-02", "M"), pd.Period("2014-03", "M")
    assert bt.panel.select(p, period=slice(start, end)).index.tolist() == [11, 15]
    assert bt.panel.select(p, period=slice(None, start)).index.tolist() == [10, 11, 12, 13, 14]
    got = bt.panel.select(p, exclude={"reporter": ["BE", "DE"]})
    assert got.index.tolist() == [12]


def test_where_mapping_and_keywords_merge() -> None:
    p = small_panel()
    got = bt.panel.select(p, {"reporter": "BE"}, partner="BY")
    assert got.index.tolist() == [13]


def test_missing_drop_removes_rows_with_a_missing_measure() -> None:
    p = small_panel()
    assert bt.panel.select(p, reporter="BE", flow="export").shape[0] == 3
    assert bt.panel.select(p, reporter="BE", flow="export", missing="drop").index.tolist() == [
        10,
        13,
    ]


def test_series_missing_keep_shows_an_all_missing_period_as_nan() -> None:
    p = small_panel()
    kept = bt.panel.series(p, reporter="BE", partner="RU", flow="export", missing="keep")
    dropped = bt.panel.series(p, reporter="BE", partner="RU", flow="export", missing="drop")
    assert kept.index.astype(str).tolist() == ["2014-01", "2014-02"]
    assert kept.iloc[0] == 10.0 and math.isnan(kept.iloc[1])
    assert dropped.index.astype(str).tolist() == ["2014-01"]
    assert dropped.tolist() == [10.0]
    assert isinstance(kept.index, pd.PeriodIndex) and kept.name == "value"


def test_series_sums_by_period_and_scales() -> None:
    p = small_panel()
    s = bt.panel.series(p, flow="export", partner="RU", scale=2.0)
    # 2014-01: BE 10 + NL 5; 2014-02: only a missing value (dropped); 2014-03: DE 1
    assert s.to_dict() == {pd.Period("2014-01", "M"): 7.5, pd.Period("2014-03", "M"): 0.5}


def test_empty_return_gives_an_empty_frame_and_series() -> None:
    p = small_panel()
    assert bt.panel.select(p, reporter="XX").empty
    s = bt.panel.series(p, reporter="XX")
    assert s.empty and isinstance(s, pd.Series)


def test_empty_raise_names_the_criteria_and_the_values_present() -> None:
    p = small_panel()
    with pytest.raises(EmptySelectionError) as info:
        bt.panel.series(p, reporter="XX", flow="export", empty="raise")
    message = str(info.value)
    assert "reporter='XX'" in message and "flow='export'" in message
    assert "['BE', 'DE', 'NL']" in message and "['export', 'import']" in message
    assert isinstance(info.value, InvalidArgumentError)


def test_unknown_columns_raise_listing_the_allowed_ones() -> None:
    p = small_panel()
    with pytest.raises(UnknownColumnError) as info:
        bt.panel.select(p, country="BE")
    assert "['country']" in str(info.value) and "'reporter'" in str(info.value)
    with pytest.raises(UnknownColumnError):
        bt.panel.select(p, missing="drop", column="quantity")
    with pytest.raises(UnknownColumnError):
        bt.panel.series(p, column="quantity")
    with pytest.raises(InvalidArgumentError, match="missing"):
        bt.panel.select(p, missing="zero")


def test_its_selection_raises_and_analysis_series_returns_empty() -> None:
    """The two behaviours kept: ``bt.its(panel, selector=...)`` refuses an empty selection
    (and a missing period), the analyses' monthly series returns an empty one."""
    from belru_trade.analyses._common import monthly_series

    periods = pd.period_range("2012-01", periods=36, freq="M")
    rng = np.random.default_rng(3)
    p = pd.DataFrame(
        {"reporter": "BE", "flow": "export", "period": periods, "value": rng.uniform(5, 9, 36)}
    )
    with pytest.raises(EmptySelectionError, match="reporter='NL'"):
        bt.its(p, selector={"reporter": "NL"}, interventions="2014-01")
    assert monthly_series(p, reporter="NL").empty
    gap = p.assign(value=p["value"].where(p["period"] != pd.Period("2013-05", "M")))
    with pytest.raises(InvalidArgumentError, match="2013-05"):
        bt.its(gap, selector={"reporter": "BE"}, interventions="2014-01")
    assert pd.Period("2013-05", "M") not in monthly_series(gap, reporter="BE").index


def test_select_on_the_embedded_snapshot_matches_a_hand_filter() -> None:
    snap = bt.load_snapshot("comtrade", partner="RU")
    want = snap[(snap["reporter"] == "BE") & (snap["flow"] == "export") & snap["value"].notna()]
    got = bt.panel.select(snap, reporter="BE", flow="export", missing="drop")
    pd.testing.assert_frame_equal(got, want)


REPORTERS = ["BE", "NL", "DE"]
FLOWS = ["export", "import"]
CRITERION = st.one_of(
    st.sampled_from(REPORTERS), st.lists(st.sampled_from(REPORTERS), max_size=3), st.none()
)


@st.composite
def panels(draw: Any) -> pd.DataFrame:
    n = draw(st.integers(0, 12))
    values = st.one_of(st.floats(0, 100, allow_nan=False), st.just(float("nan")))
    return pd.DataFrame(
        {
            "reporter": draw(st.lists(st.sampled_from(REPORTERS), min_size=n, max_size=n)),
            "flow": draw(st.lists(st.sampled_from(FLOWS), min_size=n, max_size=n)),
            "period": pd.PeriodIndex(
                [f"2020-0{m}" for m in draw(st.lists(st.integers(1, 4), min_size=n, max_size=n))],
                freq="M",
            ),
            "value": draw(st.lists(values, min_size=n, max_size=n)),
        }
    )


def _plain(frame: pd.DataFrame, reporter: Any, flow: Any, missing: str) -> list[int]:
    """Row positions kept, one row at a time, without pandas' vectorised matching."""
    keep = []
    for i, row in enumerate(frame.itertuples(index=False)):
        if reporter is not None:
            wanted = [reporter] if isinstance(reporter, str) else reporter
            if row.reporter not in wanted:
                continue
        if flow is not None and row.flow != flow:
            continue
        if missing == "drop" and math.isnan(row.value):
            continue
        keep.append(i)
    return keep


@FAST
@given(
    panels(),
    CRITERION,
    st.one_of(st.sampled_from(FLOWS), st.none()),
    st.sampled_from(["keep", "drop"]),
)
def test_select_and_series_agree_with_a_plain_filter(
    frame: pd.DataFrame, reporter: Any, flow: Any, missing: str
) -> None:
    criteria = {k: v for k, v in (("reporter", reporter), ("flow", flow)) if v is not None}
    keep = _plain(frame, reporter, flow, missing)
    got = bt.panel.select(frame, missing=missing, **criteria)
    assert got.index.tolist() == frame.index[keep].tolist()
    sums = bt.panel.series(frame, missing=missing, **criteria)
    expected: dict[pd.Period, list[float]] = {}
    for i in keep:
        expected.setdefault(frame["period"].iloc[i], []).append(frame["value"].iloc[i])
    assert list(sums.index) == sorted(expected)
    for period, values in expected.items():
        present = [v for v in values if not math.isnan(v)]
        if present:
            assert sums[period] == pytest.approx(sum(present))
        else:
            assert missing == "keep" and math.isnan(sums[period])
