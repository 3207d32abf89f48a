"""Calendar days and the date intervals of the registries follow the one strict period rule.

Group membership on a date, events in force on a date and the event registry's own dates
are read by :func:`belru_trade.periods.parse_date` (a day) or
:func:`belru_trade.periods.parse_period` (anything coarser): ASCII digits, real calendar
days, no day-first or month-first guessing.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

import belru_trade as bt
from belru_trade._registry_io import _interval
from belru_trade.errors import DataValidationError, InvalidArgumentError
from belru_trade.periods import parse_date
from belru_trade.trade.panel_io import read_panel


@pytest.mark.parametrize(
    ("value", "first", "last"),
    [
        ("2014-08-07", "2014-08-07", "2014-08-07"),
        (dt.date(2014, 8, 7), "2014-08-07", "2014-08-07"),
        (" 2014-08 ", "2014-08-01", "2014-08-31 23:59:59"),
        ("201408", "2014-08-01", "2014-08-31 23:59:59"),
        ("2014", "2014-01-01", "2014-12-31 23:59:59"),
        (pd.Period("2014Q3", "Q"), "2014-07-01", "2014-09-30 23:59:59"),
    ],
)
def test_interval_of_a_day_or_a_period(value, first, last):
    start, end = _interval(value)
    assert start == pd.Timestamp(first)
    assert end.floor("s") == pd.Timestamp(last) and end - end.floor("s") < pd.Timedelta("1s")


@pytest.mark.parametrize(
    "value",
    ["01/02/2014", "2014-02-30", "2014-13", "2014-8", "２０１４-08-07", "2014-08-07x", "1850"],
)
def test_interval_refuses_what_the_period_rule_refuses(value):
    # '01/02/2014' used to become 2 January (month first) without a word
    with pytest.raises(InvalidArgumentError, match="date="):
        _interval(value)


def test_group_membership_on_an_ambiguous_date_is_refused():
    assert "BE" in bt.codes.group_members("EU27_2020", date="2020-02-01")
    with pytest.raises(InvalidArgumentError, match="01/02/2020"):
        bt.codes.group_members("EU27_2020", date="01/02/2020")


def test_parse_date():
    assert parse_date(pd.Timestamp("2022-03-02 15:00")) == pd.Timestamp("2022-03-02")
    for bad in ("2022-03", None, 20220302, pd.NaT, "2022-02-29"):
        with pytest.raises(InvalidArgumentError, match="is not a date"):
            parse_date(bad)


def test_read_panel_refuses_an_impossible_month(tmp_path):
    panel = bt.load_snapshot("comext_total_exports", reporter="BE", start="2019", end="2019")
    frame = panel.assign(period=panel["period"].astype(str))
    frame.to_csv(tmp_path / "ok.csv", index=False)
    back = read_panel(tmp_path / "ok.csv")
    assert list(back["period"].astype(str)) == list(frame["period"])
    frame.loc[0, "period"] = "2019-13"
    frame.to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(DataValidationError, match="2019-13"):
        read_panel(tmp_path / "bad.csv")
