"""Tests of the sanction event registry and treatment indicators (belru_trade.events)."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from belru_trade import events
from belru_trade.errors import InvalidArgumentError, UnknownCodeError
from belru_trade.events import scope
from belru_trade.geo import codes

RU_FOOD = [
    e
    for e in events.event_ids()
    if e.startswith("RU-") and events.get(e).kind in {"ban", "extension"}
]


def panel(rows, freq="M", index=None):
    """rows: (reporter, partner, product, flow, period)."""
    frame = pd.DataFrame(rows, columns=["reporter", "partner", "product", "flow", "period"])
    frame["period"] = pd.PeriodIndex(frame["period"], freq=freq)
    if index is not None:
        frame.index = index
    return frame


# ---------------------------------------------------------------- registry


def test_load_parses_the_registry():
    frame = events.load()
    assert len(frame) == 59
    assert frame["event_id"].is_unique
    assert pd.api.types.is_datetime64_any_dtype(frame["in_force"])
    assert pd.api.types.is_datetime64_any_dtype(frame["ended"])
    row = frame.set_index("event_id").loc["RU-2014-RES778"]
    assert row["in_force"] == pd.Timestamp("2014-08-07")
    assert isinstance(row["hs_codes"], tuple) and "0808" in row["hs_codes"]
    assert pd.isna(row["ended"])
    assert row["effective_end"] == pd.Timestamp("2026-12-31")
    assert row["origins"] == codes.group_members("EU", "2014-08-07") | {"US", "CA", "AU", "NO"}
    assert len(row["origins"]) == 32 and row["destinations"] == frozenset({"RU"})


def test_kinds_and_directions():
    assert events.get("RU-2014-RES830").kind == "exemption"
    assert events.get("RU-2021-LIST-AMEND").kind == "exemption"
    assert events.get("RU-2015-DEC320").kind == "extension"
    assert events.get("RU-2014-DEC560").kind == "no_product_scope"
    assert events.get("EU-2022-PKG5-COAL").kind == "ban"
    assert events.get("EU-2014-REG833").direction == "export"
    assert events.get("EU-2014-REG833").destinations == frozenset({"RU"})
    diamonds = events.get("EU-2023-PKG12-DIAMONDS-DIRECT")
    assert diamonds.origins == frozenset({"RU"})
    assert diamonds.destinations == codes.group_members("EU27_2020")
    assert diamonds.in_force == pd.Timestamp("2024-01-01")


def test_month_only_dates():
    assert events.get("RU-2015-ADD-COUNTRIES").in_force == pd.Timestamp("2015-08-13")
    assert events.get("RU-2020-UK").in_force == pd.Timestamp("2020-12-01")
    assert events.get("EU-2026-PKG21").in_force == pd.Timestamp("2026-07-23")


def test_target_expansion_by_date():
    dec730 = events.get("RU-2020-DEC730")  # 'US;EU27;...;GB' in force 2021-01-01
    assert "GB" in dec730.origins and "UA" in dec730.origins and len(dec730.origins) == 37
    res778 = events.get("RU-2014-RES778")
    assert "GB" in res778.origins_on("2020-12-31")  # Brexit transition
    assert "GB" not in res778.origins_on("2021-01")
    assert events.get("RU-2021-DEC534").origins == codes.embargo_origins("2022-01-01")


def test_get_unknown_lists_close_ids():
    with pytest.raises(UnknownCodeError) as info:
        events.get("RU-2014-RES77")
    assert "event_id='RU-2014-RES77'" in str(info.value)
    assert "RU-2014-RES778" in str(info.value)
    with pytest.raises(dataclasses.FrozenInstanceError):
        events.get("RU-2014-RES778").kind = "x"  # type: ignore[misc]


def test_affecting():
    ids = set(
        events.affecting(product="080830", origin="BE", destination="RU", date="2014-09")[
            "event_id"
        ]
    )
    assert "RU-2014-RES778" in ids and "RU-2014-RES830" not in ids  # 0808 is not a carve-out
    assert not {"RU-2015-DEC320", "RU-2016-UKRAINE"} & ids
    later = set(
        events.affecting(product="0808", origin="BE", destination="RU", date="2019")["event_id"]
    )
    assert {"RU-2014-RES778", "RU-2018-DEC420"} <= later
    assert events.affecting(product="271111", origin="BE", destination="RU").empty
    lng = set(
        events.affecting(product="271111", origin="RU", destination="BE", date="2025-04")[
            "event_id"
        ]
    )
    assert {"EU-2024-PKG14-LNG-TRANSSHIP", "BE-2025-RD-LNG"} <= lng
    assert "EU-2025-PKG19-LNG-SHORT" not in lng  # from 2026-04-25
    uk = set(events.affecting(origin="UK", destination="RU", date="2021-03")["event_id"])
    assert "RU-2020-UK" in uk
    assert events.affecting(origin="CH", destination="RU").empty
    dairy = set(events.affecting(product="0401", origin="FR", destination="RU")["event_id"])
    assert "RU-2014-RES830" in dairy  # exemption rows are listed, with kind='exemption'
    with pytest.raises(UnknownCodeError, match="origin='Narnia'"):
        events.affecting(origin="Narnia")


# ---------------------------------------------------------------- treatment


def test_embargo_pears_belgium_to_russia():
    frame = panel(
        [
            ("BE", "RU", "080830", "export", "2014-07"),
            ("BE", "RU", "080830", "export", "2014-08"),
            ("BE", "RU", "080830", "export", "2020-03"),
            ("BE", "RU", "080830", "export", "2026-12"),
            ("BE", "RU", "080830", "export", "2027-01"),
            ("BE", "RU", "271111", "export", "2015-01"),
            ("BE", "RU", "TOTAL", "export", "2015-01"),
            ("RU", "BE", "080830", "import", "2014-07"),
            ("RU", "BE", "080830", "import", "2014-08"),
            ("BE", "DE", "080830", "export", "2015-01"),
            ("CH", "RU", "080830", "export", "2015-01"),
        ],
        index=range(100, 111),
    )
    out = events.treatment(frame, "RU-2014-RES778")
    assert out.tolist() == [0, 1, 1, 1, 0, 0, 0, 0, 1, 0, 0]
    assert list(out.index) == list(range(100, 111))
    assert out.name == "treated" and out.dtype == "int8"


def test_pre_2012_pear_code_is_covered():
    frame = panel(
        [
            ("BE", "RU", "080820", "export", "2011-12"),
            ("BE", "RU", "080820", "export", "2014-09"),
            ("BE", "RU", "08082050", "export", "2014-09"),
        ]
    )
    frame["nomenclature"] = ["HS2007", "HS2007", "CN2011"]
    assert events.treatment(frame, "RU-2014-RES778").tolist() == [0, 1, 1]
    # concordance of a six-digit HS2012 pear prefix back to 080820 (pears and quinces)
    assert scope._product_covered("080820", ("080830",), 2010, coarse=False)
    assert not scope._product_covered("080820", ("080830",), 2014, coarse=False)


def test_diamonds_russia_to_belgium_both_sides():
    rows = [
        ("BE", "RU", "710231", "import", "2023-12"),
        ("BE", "RU", "710231", "import", "2024-01"),
        ("BE", "RU", "7102", "import", "2024-01"),
        ("RU", "BE", "710210", "export", "2023-12"),
        ("RU", "BE", "710210", "export", "2024-01"),
        ("BE", "RU", "710221", "import", "2024-06"),  # industrial: excluded
        ("BE", "US", "710231", "import", "2024-06"),
    ]
    out = events.treatment(panel(rows), ["EU-2023-PKG12-DIAMONDS-DIRECT"])
    assert out.tolist() == [0, 1, 1, 0, 1, 0, 0]
    strict = events.treatment(panel(rows), ["EU-2023-PKG12-DIAMONDS-DIRECT"], coarse=False)
    assert strict.tolist() == [0, 1, 0, 0, 1, 0, 0]


def test_embargo_from_importer_side_reporter_russia():
    frame = panel(
        [
            ("RU", "BE", "080830", "import", "2014-07"),
            ("RU", "BE", "080830", "import", "2014-08"),
            ("RU", "BE", "271111", "import", "2014-08"),
        ]
    )
    assert events.treatment(frame, "RU-2014-RES778").tolist() == [0, 1, 0]


def test_brexit_ukraine_and_added_countries():
    rows = [
        ("GB", "RU", "0406", "export", "2020-06"),
        ("GB", "RU", "0406", "export", "2021-06"),
        ("UA", "RU", "0406", "export", "2015-12"),
        ("UA", "RU", "0406", "export", "2016-01"),
        ("NO", "RU", "0406", "export", "2015-01"),
        ("IS", "RU", "0406", "export", "2015-07"),
        ("IS", "RU", "0406", "export", "2015-08"),
    ]
    assert events.treatment(panel(rows), "RU-2014-RES778").tolist() == [1, 0, 0, 0, 1, 0, 0]
    assert events.treatment(panel(rows), RU_FOOD).tolist() == [1, 1, 0, 1, 1, 0, 1]


def test_extension_alone_has_its_own_window():
    rows = [("BE", "RU", "0406", "export", p) for p in ("2015-07", "2015-08", "2016-08", "2016-09")]
    assert events.treatment(panel(rows), "RU-2015-DEC320").tolist() == [0, 1, 1, 0]


def test_seed_potato_exemption():
    rows = [
        ("NL", "RU", "070110", "export", "2014-09"),
        ("NL", "RU", "070190", "export", "2014-09"),
        ("NL", "RU", "070110", "export", "2014-07"),
    ]
    assert events.treatment(panel(rows), "RU-2014-RES778").tolist() == [0, 1, 0]
    raw = events.treatment(panel(rows), "RU-2014-RES778", apply_exemptions=False)
    assert raw.tolist() == [1, 1, 0]
    with pytest.raises(InvalidArgumentError, match="exemption"):
        events.treatment(panel(rows), ["RU-2014-RES778", "RU-2014-RES830"])


def test_aggregates_and_annual_periods():
    rows = [
        ("EU27_2020", "RU", "0808", "export", "2013"),
        ("EU27_2020", "RU", "0808", "export", "2014"),
        ("WORLD", "RU", "0808", "export", "2015"),
        ("EL", "RU", "0808", "export", "2015"),
        ("RU", "EU27_2020", "2709", "import", "2023"),
    ]
    out = events.treatment(panel(rows, freq="Y"), "RU-2014-RES778", name="embargo")
    assert out.tolist() == [0, 1, 0, 0, 0]  # 'EL' is not a panel code (GR is)
    assert out.name == "embargo"
    crude = events.treatment(panel(rows, freq="Y"), "EU-2022-PKG6-CRUDE")
    assert crude.tolist() == [0, 0, 0, 0, 0]  # EU27 exports to RU, not imports
    imp = panel([("EU27_2020", "RU", "2709", "import", "2023")], freq="Y")
    assert events.treatment(imp, "EU-2022-PKG6-CRUDE").tolist() == [1]


def test_step_kind_ignores_scope():
    rows = [
        ("CH", "US", "271111", "export", "2014-07"),
        ("CH", "US", "271111", "export", "2014-08"),
        ("CH", "US", "TOTAL", "export", "2027-01"),
    ]
    out = events.treatment(panel(rows), "RU-2014-RES778", kind="step")
    assert out.tolist() == [0, 1, 0]


def test_treatment_argument_errors():
    good = panel([("BE", "RU", "080830", "export", "2014-08")])
    with pytest.raises(InvalidArgumentError, match="kind='dummy'"):
        events.treatment(good, "RU-2014-RES778", kind="dummy")
    with pytest.raises(UnknownCodeError, match="RU-2014-RES778"):
        events.treatment(good, "RU-2014-RES78")
    with pytest.raises(InvalidArgumentError, match="missing columns"):
        events.treatment(good.drop(columns="flow"), "RU-2014-RES778")
    bad = good.assign(flow="re-export")
    with pytest.raises(InvalidArgumentError, match="flow"):
        events.treatment(bad, "RU-2014-RES778")
    with pytest.raises(InvalidArgumentError, match="empty"):
        events.treatment(good, [])


_codes = st.sampled_from(["BE", "RU", "GB", "UA", "EU27_2020", "WORLD", "XX", "", "EL"])


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            _codes,
            _codes,
            st.one_of(st.text(max_size=8), st.sampled_from(["080830", "0406", "TOTAL"])),
            st.sampled_from(["import", "export"]),
            st.sampled_from(["2013-05", "2014-08", "2021-01", "2026-12"]),
        ),
        min_size=1,
        max_size=8,
    ),
    ids=st.lists(st.sampled_from(list(events.event_ids())), min_size=1, max_size=3),
)
def test_random_panels_never_crash(rows, ids):
    try:
        out = events.treatment(panel(rows), ids)
    except InvalidArgumentError:
        return
    assert set(out.unique()) <= {0, 1}
    assert len(out) == len(rows)


def test_empty_and_missing_values():
    from belru_trade.trade import panel as panel_module

    empty = events.treatment(panel_module.empty_panel(), "RU-2014-RES778")
    assert empty.empty and empty.dtype == "int8"
    frame = panel([("BE", "RU", "080830", "export", None), ("BE", "RU", None, "export", "2015-01")])
    frame["nomenclature"] = [None, "HS2012"]
    assert events.treatment(frame, "RU-2014-RES778").tolist() == [0, 0]


# ---------------------------------------------------------------- direction column


def test_direction_is_a_registry_column_and_sets_the_scope():
    frame = events.load()
    assert set(frame["direction"]) <= {"import", "export", "services", "other"}
    by = events.get("EU-2022-BY-REG355")
    assert by.direction == "export"
    assert by.destinations == frozenset({"BY"})
    assert "BE" in by.origins and "RU" not in by.origins
    luxury = events.get("EU-2022-PKG4-LUXURY")
    assert luxury.destinations == frozenset({"RU"}) and "DE" in luxury.origins
    assert luxury.covers_product("220421")
    # the 2014 export measures keep their scope
    assert events.get("EU-2014-REG833").destinations == frozenset({"RU"})


def test_pre_2014_origin_bans_end_when_the_embargo_takes_over():
    ids = set(
        events.affecting(product="0406", origin="LT", destination="RU", date="2013-11")["event_id"]
    )
    assert ids == {"RU-2013-LT-DAIRY"}
    assert events.affecting(product="0406", origin="BE", destination="RU", date="2013-11").empty
    pork = set(
        events.affecting(product="020319", origin="DK", destination="RU", date="2014-03")[
            "event_id"
        ]
    )
    assert pork == {"RU-2014-EU-PORK-ASF"}
    later = set(
        events.affecting(product="0406", origin="LT", destination="RU", date="2015-01")["event_id"]
    )
    assert "RU-2013-LT-DAIRY" not in later and "RU-2014-RES778" in later


def test_bad_direction_is_a_named_error(monkeypatch):
    from belru_trade.errors import DataValidationError
    from belru_trade.events import registry

    with pytest.raises(DataValidationError, match="direction='sideways'"):
        registry._direction("X-1", "sideways")


def test_polish_fruit_ban_and_luxury_scope_rows():
    ev = events.get("RU-2014-PL-FRUITVEG")
    assert ev.origins == frozenset({"PL"})
    assert ev.in_force == pd.Timestamp("2014-08-01")
    assert set(ev.hs_codes) == {"0704", "0709", "0808", "0809"}
    assert "fsvps.ru" in ev.source_url
    # the embargo took the same goods over on 2014-08-07: the ban ends the day before
    assert ev.effective_end == events.get("RU-2014-RES778").in_force - pd.Timedelta(days=1)
    scope = events.product_scope("EU-2022-PKG4-LUXURY")
    luxury = events.get("EU-2022-PKG4-LUXURY")
    codes = [c for c in scope["cn_code"] if c]
    assert codes and all(c.isdigit() for c in codes)
    # every CN code stated by a source lies inside the registry's HS prefixes of the event
    assert all(c.startswith(luxury.hs_codes) for c in codes)
    assert (scope["source_url"].str.startswith("http")).all()
    with pytest.raises(InvalidArgumentError, match="no product-scope rows"):
        events.product_scope("RU-2014-RES778")
