"""Tests of the product registry (belru_trade.trade.products)."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from belru_trade.errors import InvalidArgumentError, UnknownCodeError
from belru_trade.trade import products


@pytest.mark.parametrize(
    ("period", "vintage"),
    [
        ("1988", "HS1992"),
        ("1995-12", "HS1992"),
        ("1996-01", "HS1996"),
        ("2001", "HS1996"),
        ("2002", "HS2002"),
        ("2006-12-31", "HS2002"),
        ("2007-01", "HS2007"),
        ("2011-12", "HS2007"),
        ("2012-01", "HS2012"),
        (2016, "HS2012"),
        ("2017", "HS2017"),
        ("2021-12", "HS2017"),
        ("2022-01", "HS2022"),
        ("2025", "HS2022"),
        (pd.Period("2014-08", "M"), "HS2012"),
        (pd.Timestamp("2008-03-01"), "HS2007"),
        ("HS2007", "HS2007"),
        ("hs2017", "HS2017"),
    ],
)
def test_hs_vintage(period, vintage):
    assert products.hs_vintage(period) == vintage


def test_hs_vintage_errors():
    with pytest.raises(InvalidArgumentError, match="period='soon'"):
        products.hs_vintage("soon")
    with pytest.raises(InvalidArgumentError, match="before the Harmonized System"):
        products.hs_vintage("1980")


def test_pears_vintage_switch():
    # HS2012 split 080820 (pears and quinces) into 080830 pears and 080840 quinces
    for period in ("1997", "2005", "2011-12"):
        old = products.sector("pears", period)
        assert old.codes == ("080820",)
        assert "quinces" in old.note
    for period in ("2012-01", "2014-08", "2018", "2023"):
        assert products.sector("pears", period).codes == ("080830",)
    assert products.sector("pears", "2011").nomenclature == "HS2007"
    assert products.sector("pears", "2012").nomenclature == "HS2012"
    assert products.sector("pears").nomenclature == "HS2022"


def test_named_sectors_codes():
    assert products.sector("apples", "2014").codes == ("080810",)
    assert products.sector("apples", "2000").codes == ("080810",)
    assert products.sector("milk_dairy").codes == ("0401", "0402", "0403", "0404", "0405", "0406")
    heads = {
        "milk_cream": "0401",
        "milk_concentrated": "0402",
        "yoghurt_buttermilk": "0403",
        "whey": "0404",
        "butter": "0405",
        "cheese": "0406",
    }
    for name, code in heads.items():
        rec = products.sector(name, "2016")
        assert rec.codes == (code,)
        assert rec.parent == "milk_dairy"
    assert products.sector("rough_diamonds").codes == ("710210", "710231", "710239")
    assert products.sector("lng").codes == ("271111",)
    assert products.sector("pipeline_gas").codes == ("271121",)
    assert products.sector("meat").codes == ("0201", "0202", "0203", "0204", "0205")
    assert products.sector("fish").codes == ("0301", "0302", "0303", "0304", "0305")
    total = products.sector("total", "2014")
    assert total.codes == ("TOTAL",) and total.nomenclature == "TOTAL"


def test_industrial_diamonds_excluded():
    assert products.matches("710210", "rough_diamonds", "2024")
    assert products.matches("71023100", "rough_diamonds", "2024")
    assert not products.matches("710221", "rough_diamonds", "2024")
    assert not products.matches("710229", "rough_diamonds", "2024")
    assert not products.matches("7102", "rough_diamonds", "2024")  # heading is wider


def test_matches_prefix_and_total():
    assert products.matches("08083090", "pears", "2014")
    assert not products.matches("08084000", "pears", "2014")  # quinces
    assert products.matches("08082050", "pears", "2010")
    assert not products.matches("TOTAL", "pears")
    assert products.matches("TOTAL", "total")
    assert products.matches("total", "total")
    assert not products.matches("080830", "total")
    assert not products.matches("", "pears")


def test_sector_of_most_specific():
    assert products.sector_of("040510", "2014") == "butter"
    assert products.sector_of("0401", "2014") == "milk_cream"
    assert products.sector_of("080820", "2010") == "pears"
    assert products.sector_of("080820", "2014") is None
    assert products.sector_of("271111") == "lng"
    assert products.sector_of("TOTAL") == "total"
    assert products.sector_of("020130") == "meat"


def test_unknown_sector_lists_valid_ones():
    with pytest.raises(UnknownCodeError) as info:
        products.sector("pear")
    message = str(info.value)
    assert "sector='pear'" in message and "'pears'" in message
    for name in products.sectors():
        assert name in message


def test_sector_codes_frozen_and_table():
    rec = products.sector("lng")
    with pytest.raises(dataclasses.FrozenInstanceError):
        rec.codes = ("x",)  # type: ignore[misc]
    table = products.sector_table()
    assert {"sector", "first_vintage", "last_vintage", "codes", "note"} <= set(table.columns)
    for name in products.sectors():
        for vintage in products.HS_VINTAGES:
            assert products.sector(name, vintage).codes


@settings(max_examples=200, deadline=None)
@given(
    code=st.text(max_size=10),
    name=st.sampled_from(["pears", "milk_dairy", "total", "nope"]),
    period=st.one_of(st.none(), st.text(max_size=8), st.integers(1900, 2100)),
)
def test_random_inputs_raise_only_named_errors(code, name, period):
    try:
        result = products.matches(code, name, period)
    except InvalidArgumentError:
        return
    assert isinstance(result, bool)
