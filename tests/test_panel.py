"""Tidy trade panel: schema validation and helpers."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from belru_trade.errors import BelruTradeError, DataValidationError, ZeroFillWarning
from belru_trade.trade import panel as tp


def make_panel(n_months: int = 3, **overrides) -> pd.DataFrame:
    periods = pd.period_range("2014-06", periods=n_months, freq="M")
    frame = pd.DataFrame(
        {
            "reporter": "BE",
            "partner": "RU",
            "product": "08083010",
            "nomenclature": "CN2014",
            "flow": "export",
            "period": periods,
            "value": np.arange(1.0, n_months + 1),
            "currency": "EUR",
            "quantity": np.arange(10.0, 10.0 + n_months),
            "unit": "kg",
            "source": "comext",
            "flag": None,
        }
    )
    for column, value in overrides.items():
        frame[column] = value
    return frame[list(tp.COLUMNS)]


def test_good_frame_passes_and_is_returned():
    frame = make_panel()
    assert tp.validate(frame) is frame


@pytest.mark.parametrize(
    ("column", "value", "rule"),
    [
        ("flow", "exports", "must be one of"),
        ("currency", "RUB", "must be one of"),
        ("value", -1.0, "negative"),
        ("quantity", -5.0, "negative"),
        ("product", "8083", None),  # fine: 4 digits
        ("product", "0808.30", "digits"),
        ("reporter", "", "non-empty string"),
        ("reporter", "QQ", "unknown country"),
        ("partner", "Russia", "unknown country"),
    ],
)
def test_bad_values_name_column_and_rule(column, value, rule):
    frame = make_panel(**{column: value})
    if rule is None:
        tp.validate(frame)
        return
    with pytest.raises(DataValidationError) as info:
        tp.validate(frame)
    assert info.value.column == column
    assert rule in info.value.rule
    assert value in info.value.values


def test_missing_column_is_named():
    with pytest.raises(DataValidationError, match="'unit'"):
        tp.validate(make_panel().drop(columns="unit"))


def test_wrong_dtypes_are_rejected():
    frame = make_panel()
    frame["period"] = frame["period"].astype(str)
    with pytest.raises(DataValidationError, match="Period dtype"):
        tp.validate(frame)
    frame = make_panel()
    frame["value"] = frame["value"].astype(object)
    with pytest.raises(DataValidationError, match="'value': must be float"):
        tp.validate(frame)


def test_duplicate_keys_are_rejected_with_the_key_shown():
    frame = pd.concat([make_panel(), make_panel().iloc[[0]]], ignore_index=True)
    with pytest.raises(DataValidationError, match="duplicate") as info:
        tp.validate(frame)
    assert ("BE", "RU", "08083010", "export", "2014-06", "comext") in info.value.values


def test_error_message_lists_first_values_only():
    error = DataValidationError("reporter", "unknown", [f"X{i}" for i in range(9)])
    assert "and 4 more" in str(error)


def test_aggregate_products_sums_to_hs4_and_hs2():
    a = make_panel(product="08083010")
    b = make_panel(product="08083090")
    c = make_panel(product="08081000")
    frame = pd.concat([a, b, c], ignore_index=True)
    hs6 = tp.aggregate_products(frame, 6)
    assert sorted(hs6["product"].unique()) == ["080810", "080830"]
    pears = hs6.loc[hs6["product"] == "080830", "value"].to_numpy()
    np.testing.assert_allclose(pears, a["value"].to_numpy() + b["value"].to_numpy())
    hs2 = tp.aggregate_products(frame, 2)
    assert hs2["value"].sum() == pytest.approx(frame["value"].sum())
    assert hs2["nomenclature"].unique().tolist() == ["HS2014"]
    tp.validate(hs2)


def test_aggregate_products_keeps_quantity_missing_when_a_member_is_missing():
    a = make_panel(product="08083010")
    b = make_panel(product="08083090", quantity=np.nan)
    out = tp.aggregate_products(pd.concat([a, b], ignore_index=True), 6)
    assert out["quantity"].isna().all()


def test_aggregate_products_rejects_bad_digits():
    with pytest.raises(BelruTradeError, match="digits=5"):
        tp.aggregate_products(make_panel(), 5)


def test_to_annual_complete_years_only():
    frame = make_panel(n_months=18)  # 2014-06 .. 2015-11: no complete calendar year
    assert tp.to_annual(frame).empty
    full = make_panel(n_months=19)  # ... 2015-12 completes 2015? no: 2015 has 12 months
    annual = tp.to_annual(full)
    assert annual["period"].astype(str).tolist() == ["2015"]
    assert annual["value"].iloc[0] == pytest.approx(full["value"].iloc[7:].sum())
    partial = tp.to_annual(full, complete_only=False)
    assert partial.set_index(partial["period"].astype(str)).loc["2014", "flag"] == "partial_year"


def test_fill_zeros_warns_and_flags():
    frame = make_panel(n_months=4).drop(index=[1, 2])
    with pytest.warns(ZeroFillWarning, match="added 2 zero rows"):
        out = tp.fill_zeros(frame)
    assert len(out) == 4
    assert out["flag"].tolist() == [None, "zero_filled", "zero_filled", None]
    assert out["value"].tolist()[1:3] == [0.0, 0.0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tp.fill_zeros(make_panel())  # nothing to add: no warning


def test_mirror_join_aligns_exports_with_partner_imports():
    exports = make_panel()
    imports = make_panel(reporter="RU", partner="BE", flow="import")
    imports["value"] = exports["value"] * 1.1
    out = tp.mirror_join(pd.concat([exports, imports], ignore_index=True))
    assert len(out) == 3
    assert set(out["exporter"]) == {"BE"} and set(out["importer"]) == {"RU"}
    np.testing.assert_allclose(out["gap_share"], 0.1)


def test_empty_panel_validates():
    empty = tp.empty_panel()
    out = tp.validate(empty)
    assert out is empty and out.empty
    assert list(out.columns) == list(tp.COLUMNS)
    assert str(out["period"].dtype) == "period[M]"
    assert out["value"].dtype == np.float64
    with pytest.raises(DataValidationError):  # the same frame without a column fails
        tp.validate(empty.drop(columns="value"))


_values = st.one_of(
    st.none(),
    st.integers(-5, 5),
    st.floats(allow_nan=True),
    st.text(max_size=6),
    st.sampled_from(["BE", "RU", "export", "import", "EUR", "TOTAL", "0808"]),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(column=st.sampled_from(tp.COLUMNS), values=st.lists(_values, min_size=3, max_size=3))
def test_random_bad_columns_only_raise_named_errors(column, values):
    frame = make_panel()
    frame[column] = pd.Series(values, dtype=object)
    try:
        tp.validate(frame)
    except DataValidationError as error:
        assert error.column
        assert error.rule
