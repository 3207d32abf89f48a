"""Tests of the country registry (belru_trade.geo.codes)."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from belru_trade import geo as codes
from belru_trade.errors import InvalidArgumentError, UnknownCodeError

DATA = Path(__file__).parent / "data" / "registries"


# ---------------------------------------------------------------- code translation


@pytest.mark.parametrize(
    ("value", "scheme", "expected"),
    [
        (251, "comtrade", "FR"),
        (842, "comtrade", "US"),
        (757, "comtrade", "CH"),
        (699, "comtrade", "IN"),
        (579, "comtrade", "NO"),
        (56, "comtrade", "BE"),
        (58, "comtrade", "BE"),
        (381, "comtrade", "IT"),
        (490, "comtrade", "TW"),
        (97, "comtrade", "EU"),
        (0, "comtrade", "WORLD"),
        ("643", "comtrade", "RU"),
        (250, "m49", "FR"),
        (840, "m49", "US"),
        ("056", "m49", "BE"),
        ("BEL", "iso3", "BE"),
        ("EL", "eurostat", "GR"),
        ("UK", "eurostat", "GB"),
        ("XK", "eurostat", "XK"),
        ("be", "iso2", "BE"),
        ("EU27_2020", "eurostat", "EU27_2020"),
    ],
)
def test_to_iso2(value, scheme, expected):
    assert codes.to_iso2(value, scheme=scheme) == expected


def test_eurostat_output_codes():
    assert codes.eurostat_code("GR") == "EL"
    assert codes.eurostat_code("GB") == "UK"
    assert codes.eurostat_code("XK") == "XK"
    assert codes.eurostat_code("DE") == "DE"


def test_iso_facts():
    assert codes.iso3("DE") == "DEU"
    assert codes.iso3("FR") == "FRA"
    assert codes.m49("FR") == 250
    assert codes.m49("DE") == 276
    assert codes.m49("NO") == 578
    assert codes.name("RU") == "Russia"
    with pytest.raises(UnknownCodeError, match="M49"):
        codes.m49("XK")


def test_comtrade_codes_from_reporters_fixture_differ_from_m49():
    table = codes.countries().set_index("iso2")
    for iso2, m49, comtrade in [("FR", 250, 251), ("US", 840, 842), ("CH", 756, 757)]:
        assert int(table.loc[iso2, "m49"]) == m49
        assert int(table.loc[iso2, "comtrade"]) == comtrade


def test_belgium_luxembourg_switch_in_1999():
    assert codes.comtrade_code("BE", "1998-12") == 58
    assert codes.comtrade_code("BE", "1998-12-31") == 58
    assert codes.comtrade_code("BE", "1999-01-01") == 56
    assert codes.comtrade_code("BE", "2014") == 56
    assert codes.comtrade_code("BE") == 56
    info = codes.comtrade_info(58)
    assert info.iso2 == "BE"
    assert "LU" in info.note
    assert info.valid_to == pd.Timestamp("1998-12-31")
    assert codes.comtrade_info(56).valid_from == pd.Timestamp("1999-01-01")


def test_other_dated_comtrade_codes():
    assert codes.comtrade_code("IN", "1970") == 356
    assert codes.comtrade_code("IN", "1980") == 699
    assert codes.comtrade_code("US", "1975") == 841
    assert codes.comtrade_code("DE", "1985") == 280
    assert codes.comtrade_code("DE", "1995") == 276


def test_known_geo_codes():
    known = codes.known_geo_codes()
    required_aggregates = {
        "EU27_2020",
        "EU28",
        "EU",
        "EA",
        "EA19",
        "EA20",
        "EUROZONE",
        "EXTRA_EU27_2020",
        "EXTRA_EU",
        "INTRA_EU",
        "EU27_2020_EXTRA",
        "EU27_2020_INTRA",
        "WORLD",
        "ASEAN",
    }
    assert required_aggregates <= known
    assert {"BE", "GR", "GB", "XK", "RU", "BY", "SU", "YU", "TW"} <= known
    assert "EL" not in known and "UK" not in known  # Eurostat spellings are translated
    assert isinstance(known, frozenset)


def test_registry_columns_unique_codes():
    table = codes.countries()
    assert table["iso2"].is_unique
    iso3 = table.loc[table["iso3"] != "", "iso3"]
    assert iso3.is_unique
    m49 = table.loc[table["m49"] != "", "m49"]
    assert m49.is_unique
    assert len(table[table["kind"] == "country"]) >= 249  # ISO 3166-1 has 249 codes


# ---------------------------------------------------------------- names


def _names(file: str) -> pd.Series:
    return pd.read_csv(DATA / file, dtype=str, keep_default_na=False)["name"]


@pytest.mark.parametrize(
    ("file", "scheme"),
    [
        ("embargo_2014_comtrade_names.csv", "comtrade"),
        ("energy_comtrade_eurostat_names.csv", "comtrade"),
        ("energy_eurostat_names.csv", "eurostat"),
    ],
)
def test_every_name_of_the_extracts_resolves(file, scheme):
    names = _names(file)
    result = codes.harmonise(names, scheme=scheme)
    assert result.notna().all()
    assert set(result) <= codes.known_geo_codes()


def test_eurostat_partner_labels_english_and_french_resolve_consistently():
    labels = pd.read_csv(DATA / "eu27_exports_partner_labels.csv", dtype=str)
    labels["code"] = [
        codes.from_name(n, scheme="eurostat" if lang == "en" else "french")
        for n, lang in zip(labels["name"], labels["lang"], strict=True)
    ]
    assert set(labels["code"]) <= codes.known_geo_codes()
    # one label per code and language, except the documented French 'Guinea' (GW in 2016)
    dup = labels[labels.duplicated(["lang", "code"], keep=False)]
    assert set(dup["name"]) == {"Guinea", "Guinée"}
    en = labels[labels["lang"] == "en"].set_index("code")["name"]
    fr = labels[labels["lang"] == "fr"].set_index("code")["name"]
    assert en["RU"].startswith("Russian Federation") and fr["RU"].startswith("Russian")
    assert fr["DE"].startswith("Allemagne") and fr["GB"] == "Royaume-Uni"
    assert en["EXTRA_EU27_2020"] == "Extra-EU27 (from 2020)"
    assert fr["EXTRA_EU27_2020"] == "Extra-UE27 (à partir de 2020)"


@pytest.mark.parametrize(
    ("name", "scheme", "expected"),
    [
        ("Czech Rep.", "comtrade", "CZ"),
        ("Rep. of Moldova", "comtrade", "MD"),
        ("Faeroe Isds", "comtrade", "FO"),
        ("EU-28", "comtrade", "EU28"),
        ("China, Hong Kong SAR", "comtrade", "HK"),
        ("USA", "comtrade", "US"),
        ("Bosnia Herzegovina", "comtrade", "BA"),
        ("TFYR of Macedonia", "comtrade", "MK"),
        ("Belgium (incl. Luxembourg 'LU' -> 1998)", "eurostat", "BE"),
        ("Korea, Republic of (South Korea)", "eurostat", "KR"),
        ("Greece", "eurostat", "GR"),
        ("United Kingdom", "english", "GB"),
        ("Bosnia & Herzegovina", "english", "BA"),
        ("Congo - Kinshasa", "english", "CD"),
        ("Grèce", "french", "GR"),
        ("  belgium ", "english", "BE"),
    ],
)
def test_from_name(name, scheme, expected):
    assert codes.from_name(name, scheme=scheme) == expected


def test_unknown_name_error_names_value_and_hints():
    with pytest.raises(UnknownCodeError) as info:
        codes.from_name("Belgum")
    message = str(info.value)
    assert "'Belgum'" in message and "Belgium" in message
    assert isinstance(info.value, KeyError) and isinstance(info.value, ValueError)


def test_unknown_code_error_hint():
    with pytest.raises(UnknownCodeError, match=r"value='BEE'.*'BE'"):
        codes.to_iso2("BEE")
    with pytest.raises(UnknownCodeError, match="Comtrade"):
        codes.to_iso2(99999, scheme="comtrade")
    with pytest.raises(InvalidArgumentError, match="scheme"):
        codes.to_iso2("BE", scheme="fips")


def test_harmonise_series_keeps_index_and_coerces():
    series = pd.Series(["Belgium", "Atlantis", None], index=[10, 11, 12])
    out = codes.harmonise(series, scheme="english", errors="coerce")
    assert list(out.index) == [10, 11, 12]
    assert out[10] == "BE"
    assert pd.isna(out[11]) and pd.isna(out[12])
    with pytest.raises(UnknownCodeError, match="Atlantis"):
        codes.harmonise(series, scheme="english")


def test_harmonise_mixed_schemes():
    assert codes.harmonise([251, "842"], scheme="comtrade").tolist() == ["FR", "US"]
    assert codes.harmonise(["EL", "UK", "Germany"], scheme="eurostat").tolist() == [
        "GR",
        "GB",
        "DE",
    ]
    assert codes.harmonise(["DEU", "BEL"], scheme="iso3").tolist() == ["DE", "BE"]


# ---------------------------------------------------------------- groups


def test_dated_eu_membership():
    assert len(codes.group_members("EU", "2013-06-30")) == 27
    assert len(codes.group_members("EU", "2013-07")) == 28
    assert len(codes.group_members("EU", "2020-01-31")) == 28
    assert len(codes.group_members("EU", "2020-02-01")) == 27
    assert "GB" not in codes.group_members("EU", "2021")
    assert codes.group_members("EU", "2004-05") - codes.group_members("EU", "2004-04") == {
        "CY",
        "CZ",
        "EE",
        "HU",
        "LV",
        "LT",
        "MT",
        "PL",
        "SK",
        "SI",
    }


def test_fixed_groups():
    eu28 = codes.group_members("EU28")
    eu27 = codes.group_members("EU27_2020", "2005")
    assert len(eu28) == 28 and len(eu27) == 27
    assert eu28 - eu27 == {"GB"}
    assert codes.is_member("GB", "EU28", "2019-06")
    assert not codes.is_member("GB", "EU27_2020", "2019-06")
    assert codes.group_members("EU27_2020") == codes.group_members("EU", "2021")
    assert len(codes.group_members("EA19")) == 19 and len(codes.group_members("EA20")) == 20
    assert codes.group_members("EUROZONE", "2022") == codes.group_members("EA19")
    assert codes.group_members("EA", "2023") == codes.group_members("EA20")
    assert codes.is_member("LT", "EA", "2015-01") and not codes.is_member("LT", "EA", "2014-12")


def test_unknown_group():
    with pytest.raises(UnknownCodeError, match=r"group='EU29'.*EU27_2020"):
        codes.group_members("EU29")
    with pytest.raises(InvalidArgumentError, match="date"):
        codes.group_members("EU", "last year")


def test_embargo_origins_by_date():
    assert codes.embargo_origins("2014-08-06") == frozenset()
    first = codes.embargo_origins("2014-08-07")
    assert len(first) == 28 + 4
    assert {"US", "CA", "AU", "NO", "BE", "HR", "GB"} <= first
    assert first == codes.embargo_origins("2014-08")  # a month counts when partly covered
    assert not {"AL", "ME", "IS", "LI"} & codes.embargo_origins("2015-08-12")
    assert {"AL", "ME", "IS", "LI"} <= codes.embargo_origins("2015-08-13")
    assert "UA" not in codes.embargo_origins("2015-12-31")
    assert "UA" in codes.embargo_origins("2016-01-01")
    assert "GB" in codes.embargo_origins("2021-06")  # stays after Brexit (RU-2020-UK)
    assert "CH" not in codes.embargo_origins("2020")
    assert len(codes.embargo_origins("2026-12-31")) == 28 + 4 + 4 + 1
    assert codes.embargo_origins("2027-01-01") == frozenset()


def test_embargo_origin_dates_agree_with_event_registry():
    events = pd.read_csv(
        Path(codes.__file__).parents[1] / "data" / "sanction_events.csv", dtype=str
    ).set_index("event_id")
    assert events.loc["RU-2014-RES778", "in_force"] == "2014-08-07"
    assert events.loc["RU-2015-ADD-COUNTRIES", "announced"] == "2015-08-13"
    assert events.loc["RU-2016-UKRAINE", "in_force"] == "2016-01-01"
    assert events.loc["RU-2024-DEC807", "ended"] == "2026-12-31"
    for iso2 in ("AL", "ME", "IS", "LI"):
        assert iso2 in events.loc["RU-2015-ADD-COUNTRIES", "target"]


@settings(max_examples=150, deadline=None)
@given(value=st.one_of(st.text(max_size=12), st.integers(-10, 100_000)))
def test_random_codes_raise_only_named_errors(value):
    for scheme in ("iso2", "iso3", "m49", "comtrade", "eurostat", "name"):
        try:
            result = codes.to_iso2(value, scheme=scheme)
        except InvalidArgumentError:
            continue
        assert result in codes.known_geo_codes()
    with contextlib.suppress(UnknownCodeError):
        codes.from_name(str(value), scheme="any")


def test_embargo_extract_codes_and_names_agree():
    pairs = pd.read_csv(DATA / "embargo_2014_comtrade_reporter_codes.csv")
    by_code = codes.harmonise(pairs["reporter_code"].astype(float), scheme="comtrade")
    by_name = codes.harmonise(pairs["reporter"], scheme="comtrade")
    differ = pairs[(by_code != by_name).to_numpy()]
    # Comtrade code 97 is the EU as constituted at the time ('EU'); its 2010-2020 label
    # 'EU-28' maps to the fixed-composition aggregate EU28 (documented in the provenance)
    assert differ["reporter"].tolist() == ["EU-28"]
    assert len(pairs) > 70


def test_numeric_codes_given_as_floats_or_padded_strings():
    assert codes.harmonise(pd.Series([842.0, None, "58"]), scheme="comtrade").tolist()[::2] == [
        "US",
        "BE",
    ]
    assert codes.to_iso2("056", scheme="m49") == "BE"
    assert codes.from_name(name="Rep. of Korea", scheme="comtrade") == "KR"
    with pytest.raises(InvalidArgumentError, match="whole numeric"):
        codes.to_iso2(842.5, scheme="comtrade")


@pytest.mark.parametrize("file", ["eurostat_member_state_reporters.csv", "energy_reporters.csv"])
def test_eurostat_reporter_codes_and_labels_agree(file):
    pairs = pd.read_csv(DATA / file, dtype=str, keep_default_na=False)
    by_code = codes.harmonise(pairs["code"], scheme="eurostat")
    by_name = codes.harmonise(pairs["name"], scheme="eurostat")
    assert by_code.tolist() == by_name.tolist()
    assert {"BE", "GR", "GB"} <= set(by_code)


def test_eurostat_scheme_accepts_iso_spellings_too():
    assert codes.to_iso2("GR", scheme="eurostat") == "GR"
    assert codes.harmonise(["EL", "GR", "UK", "GB", "EA20"], scheme="eurostat").tolist() == [
        "GR",
        "GR",
        "GB",
        "GB",
        "EA20",
    ]
