"""Comparison groups, earlier origin bans, published estimates and the literature verdict."""

from __future__ import annotations

import pandas as pd
import pytest

import belru_trade as bt
from belru_trade.errors import InvalidArgumentError
from belru_trade.report import AnalysisResult, Ours, published_estimates, published_table
from belru_trade.report.result import fill_reporter
from belru_trade.report.writer import literature_verdict


def test_russia_control_pool_leaves_out_eaeu_and_transit_routes():
    pool = bt.codes.russia_control_pool(bt.codes.embargo_control_origins())
    assert not {"BY", "KZ", "AM", "KG", "TR", "GE", "AE", "UZ", "RU"} & set(pool)
    assert {"NZ", "AR", "CH", "JP", "BR"} <= set(pool)
    assert len(pool) == 28  # 34 candidates - AE, AM, GE, KG, KZ, TR
    assert bt.codes.russia_control_pool(["KZ", "NZ"], exclude=()) == ("KZ", "NZ")
    with pytest.raises(bt.BelruTradeError, match="NOPE"):
        bt.codes.russia_control_pool(["NZ"], exclude=("NOPE",))


def test_earlier_origin_bans_leave_the_2014_designs():
    from belru_trade.analyses._common import without_earlier_bans

    rows = pd.DataFrame(
        {
            "reporter": ["LT", "LT", "BE", "NZ", "DK", "NZ", "PL"],
            "product": ["0406", "0203", "0406", "0406", "0203", "0203", "0808"],
            "period": pd.PeriodIndex(["2013-01"] * 7, freq="M"),
        }
    )
    kept, notes = without_earlier_bans(rows, "2012-01", "2014-08")
    # Lithuanian dairy goes (a single-origin ban); pork goes for every origin (EU-wide ban);
    # Polish fruit stays: its ban (2014-08-01) binds in the embargo's own month
    assert list(zip(kept["reporter"], kept["product"], strict=True)) == [
        ("BE", "0406"),
        ("NZ", "0406"),
        ("PL", "0808"),
    ]
    assert dict(zip(notes["event"], notes["rows dropped"], strict=True)) == {
        "RU-2013-LT-DAIRY": 1,
        "RU-2014-EU-PORK-ASF": 3,
        "RU-2014-PL-FRUITVEG": 0,
    }
    handling = dict(zip(notes["event"], notes["handling"], strict=True))
    assert handling["RU-2014-PL-FRUITVEG"].startswith("binds in 2014-08")


def test_published_estimates_are_cited():
    frame = published_estimates()
    assert frame["source"].str.len().min() > 30
    assert frame["url"].str.startswith("http").all()
    assert set(frame["secondary"]) <= {"yes", "no"}
    assert not frame.duplicated(["id", "analysis"]).any()
    assert set(frame["analysis"]) <= set(bt.report.available())
    # the quoted figures come from the same file
    quoted = bt.report.published.published_figures()
    assert quoted.loc["ing_2017_be_ru_imports", "value"] == 6.859
    assert (quoted["publisher"] != "").all()


def test_published_table_verdicts():
    # interval comparison: overlap with the published 5-10% range
    t = published_table(
        "circumvention_2022",
        {
            "chupilkin_offset": Ours("8%", low=6.0, high=9.0, reason="r"),
            "javorcik_eurasian_flows": Ours("19%", low=15.0, high=23.0, reason="r"),
        },
    )
    assert t["consistent"].tolist() == ["yes", "no"]
    assert t["source"].str.contains("secondary report").tolist() == [False, True]
    # point comparison within the tolerance, and a figure that is not comparable
    t = published_table(
        "trade_balance",
        {
            "bfta_2022_exports": Ours("3.53", point=3.53),
            "bfta_2022_imports": Ours("11.8", point=11.8, comparable=False, reason="11 months"),
        },
    )
    got = dict(zip(t["quantity"] + t["period"], t["consistent"], strict=True))
    assert got["Belgian goods exports to Russia2022"] == "yes"
    assert got["Belgian goods imports from Russia2022"] == "not comparable"
    with pytest.raises(InvalidArgumentError, match="not published figures"):
        published_table("lng", {"chupilkin_offset": Ours("x")})


@pytest.mark.parametrize(
    ("verdicts", "expected"),
    [
        (["yes", "not comparable"], "yes"),
        (["yes", "no"], "partly"),
        (["no"], "no"),
        (["not comparable"], "not comparable"),
    ],
)
def test_literature_verdict(verdicts, expected):
    result = AnalysisResult(
        name="demo",
        title="T",
        question="Q",
        data_and_concept="D",
        method="M",
        tables={"Compared with published estimates": pd.DataFrame({"consistent": verdicts})},
    )
    assert literature_verdict(result) == expected


def test_reporter_placeholders():
    config = bt.report.AnalysisConfig(reporter="NL")
    assert fill_reporter("LNG into {reporter_name} ({reporter})", config) == (
        "LNG into Netherlands (NL)"
    )
