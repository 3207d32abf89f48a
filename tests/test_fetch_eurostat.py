"""Eurostat parsers on every recorded response, query validation and request building.

Expected numbers are read by hand from the recorded bodies in tests/data/http/eurostat
(see its PROVENANCE.md), never produced by the code under test.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from belru_trade.fetchers import eurostat as es
from belru_trade.fetchers import eurostat_parse as ep
from belru_trade.fetchers.errors import (
    BadRequestError,
    ExtractionTooBigError,
    InvalidQueryError,
    NotFoundError,
    ResponseFormatError,
    TruncatedResponseError,
)
from hypothesis import given, settings
from hypothesis import strategies as st

HERE = Path(__file__).resolve().parent / "data" / "http" / "eurostat"


def body(name: str) -> bytes:
    return (HERE / name).read_bytes()


# ----------------------------------------------------------------------------- JSON-stat


def test_comext_jsonstat_values_and_positions() -> None:
    frame, meta = ep.parse_jsonstat(
        body("comext_statistics_DS-045409_EU27-US-TOTAL-import_2024-01_2024-02.json")
    )
    assert list(frame.columns[:7]) == [
        "freq",
        "reporter",
        "partner",
        "product",
        "flow",
        "indicators",
        "period",
    ]
    # keys "2" and "3" are freq position 1 (M), time positions 0 and 1
    assert frame["freq"].tolist() == ["M", "M"]
    assert frame["period"].tolist() == ["2024-01", "2024-02"]
    assert frame["value"].tolist() == [28417786122.0, 27944902670.0]
    assert frame["flow"].tolist() == ["1", "1"]
    assert frame["flag"].isna().all()
    assert meta.dataset == "DS-045409"
    assert meta.updated == "2026-09-15T11:00:00+0200"
    assert meta.no_data == {"freq": ("A",)}


def test_prodcom_text_cells_and_confidential_strings() -> None:
    frame, _ = ep.parse_jsonstat(
        body("comext_statistics_DS-059358_PRODCOM_DE_2022_TEXT_VALUED_CELLS.json")
    )
    assert len(frame) == 58
    cell = frame[(frame["product"] == "20143430") & (frame["indicators"] == "EXPQNT")]
    assert cell["value"].tolist() == [23097098.0]  # key "32" = product 1, indicator 9
    unit = frame[(frame["product"] == "20143420") & (frame["indicators"] == "QNTUNIT")]
    assert unit["text"].tolist() == ["KG"] and np.isnan(unit["value"].iloc[0])  # key "6"
    conf = frame[(frame["product"] == "20143420") & (frame["indicators"] == "PVALFLAG")]
    assert conf["flag"].tolist() == ["c"] and np.isnan(conf["value"].iloc[0])  # key "1" ":C"
    assert frame["flag"].eq("c").sum() == 27  # grep -c "\":C\"" on the file gives 27


def test_all_confidential_cells_are_kept_with_flag() -> None:
    frame, _ = ep.parse_jsonstat(
        body("statistics_sts_inpr_m_IE_B_CA_I21_2023-01_2023-06_ALL_CONFIDENTIAL.json")
    )
    assert len(frame) == 6
    assert frame["flag"].eq("c").all()
    assert frame["value"].isna().all()
    assert frame["period"].tolist() == [f"2023-0{m}" for m in range(1, 7)]


def test_lower_case_filter_and_trailing_empty_period() -> None:
    frame, meta = ep.parse_jsonstat(
        body("statistics_une_rt_m_geo-de_PC_ACT_SA_TOTAL_T_lastTimePeriod3.json")
    )
    assert frame["period"].tolist() == ["2026-06", "2026-07"]
    assert frame["value"].tolist() == [4.0, 4.0]
    assert meta.no_data["period"] == ("2026-08",)
    assert "DE" in meta.categories["geo"]


@pytest.mark.parametrize(
    "name",
    [
        "statistics_nama_10_gdp_DE_CP_MEUR_B1GQ_sinceTimePeriod2030_EMPTY.json",
        "statistics_une_rt_m_geo-XX_lastTimePeriod1_UNMATCHED_FILTER.json",
    ],
)
def test_empty_replies_give_empty_frame_with_columns(name: str) -> None:
    frame, _ = ep.parse_jsonstat(body(name))
    assert frame.empty
    assert {"period", "value", "flag", "geo"} <= set(frame.columns)


def test_unmatched_filter_is_detected_as_invalid_query() -> None:
    query = es.dataset_query("une_rt_m", {"geo": "XX"})
    with pytest.raises(InvalidQueryError, match="geo='XX'"):
        es._parse(query, body("statistics_une_rt_m_geo-XX_lastTimePeriod1_UNMATCHED_FILTER.json"))


def test_out_of_range_period_is_empty_not_an_error() -> None:
    query = es.dataset_query(
        "nama_10_gdp", {"geo": "DE", "unit": "CP_MEUR", "na_item": "B1GQ"}, start="2030"
    )
    frame, _, _ = es._parse(
        query, body("statistics_nama_10_gdp_DE_CP_MEUR_B1GQ_sinceTimePeriod2030_EMPTY.json")
    )
    assert frame.empty


def test_error_envelopes_map_to_named_errors() -> None:
    with pytest.raises(ExtractionTooBigError) as too_big:
        ep.parse_jsonstat(body("comext_statistics_DS-045409_error_413_EXTRACTION_TOO_BIG.json"))
    assert too_big.value.estimated_rows == 10305182
    with pytest.raises(NotFoundError, match="ERR_NOT_FOUND_4"):
        ep.parse_jsonstat(body("comext_statistics_DS-999999_error_404_not_found.json"))
    with pytest.raises(ExtractionTooBigError) as fault:
        ep.raise_for_fault(body("comext_sdmx21_DS-045409_fault_413_EXTRACTION_TOO_BIG.xml"))
    assert fault.value.estimated_rows == 17348292
    bad = b'{"error":[{"status":400,"id":400,"label":"Invalid value for \'lang\' parameter."}]}'
    with pytest.raises(BadRequestError, match="lang"):
        ep.parse_jsonstat(bad)
    no_results = b'{"error":[{"status":200,"id":100,"label":"NO_RESULTS: nothing"}]}'
    assert ep.parse_jsonstat(no_results)[0].empty


def test_truncated_and_foreign_bodies() -> None:
    whole = body("comext_statistics_DS-045409_EU27-US-TOTAL-import_2024-01_2024-02.json")
    with pytest.raises(TruncatedResponseError):
        ep.parse_jsonstat(whole[: len(whole) // 2])
    with pytest.raises(ResponseFormatError):
        ep.parse_jsonstat(b"not json at all")
    with pytest.raises(ResponseFormatError, match="retired"):
        ep.raise_for_fault(body("legacy-2015_async_footer_413.xml"))


# ----------------------------------------------------------------------------- SDMX


def test_tsv_values_missing_and_leading_zeros() -> None:
    frame = ep.parse_tsv(body("comext_sdmx21_tsv_DS-045409_M-DE-US_HS2-4-6_2026-06_2026-07.tsv"))
    assert frame["product"].tolist() == ["01", "01", "0101", "0101", "010121"]
    assert frame["period"].tolist() == ["2026-06", "2026-07"] * 2 + ["2026-07"]
    assert frame["value"].tolist() == [1235161.0, 1131631.0, 105434.0, 55153.0, 52403.0]
    assert frame["flag"].isna().all()


def test_tsv_flags_and_truncation() -> None:
    text = b"freq,geo\\TIME_PERIOD\t2020 \t2021 \r\nA,BE\t12.5 p\t: c\r\n"
    frame = ep.parse_tsv(text)
    assert frame["value"].tolist()[0] == 12.5 and np.isnan(frame["value"].tolist()[1])
    assert frame["flag"].tolist() == ["p", "c"]
    with pytest.raises(TruncatedResponseError):
        ep.parse_tsv(text + b"A,DE\t3")


def test_sdmx_csv_parser() -> None:
    csv = (
        b"DATAFLOW,LAST UPDATE,freq,reporter,partner,product,flow,indicators,TIME_PERIOD,"
        b"OBS_VALUE,OBS_FLAG,CONF_STATUS\n"
        b"ESTAT:DS-045409(1.0),15/09/26 11:00:00,M,BE,RU,080830,2,VALUE_IN_EUROS,2014-01,100,,\n"
        b"ESTAT:DS-045409(1.0),15/09/26 11:00:00,M,BE,RU,080830,2,VALUE_IN_EUROS,2014-02,,,C\n"
    )
    frame, stamp = ep.parse_sdmx_csv(csv)
    assert stamp == "15/09/26 11:00:00"
    assert frame["product"].tolist() == ["080830", "080830"]
    assert frame["value"].iloc[0] == 100.0 and np.isnan(frame["value"].iloc[1])
    assert frame["flag"].tolist() == [None, "c"]


def test_structure_specific_xml() -> None:
    frame = ep.parse_sdmx_xml(body("sdmx21_structurespecific_nama_10_gdp_LU_2012-2015.xml"))
    assert frame["period"].tolist() == ["2012", "2013", "2014", "2015"]
    assert frame["value"].tolist() == [46526.2, 49094.5, 51791.3, 54142.3]
    assert set(frame["geo"]) == {"LU"}


def test_structure_and_constraint() -> None:
    dims = ep.parse_datastructure(body("comext_sdmx21_datastructure_DS-045409.xml"))
    assert dims == [*es.COMEXT_DIMENSIONS, "TIME_PERIOD"]
    cube = ep.parse_constraint(body("comext_sdmx21_contentconstraint_DS-045409_TRIMMED.xml"))
    assert cube["indicators"] == es.COMEXT_INDICATORS
    assert "EXT_EU27_2020" in cube["partner"]
    assert cube["product"] == ("01", "0101", "01012100", "TOTAL")


def test_async_envelope_is_recognised() -> None:
    envelope = (
        b'<env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/"><env:Header/>'
        b'<env:Body><ns0:asyncResponse xmlns:ns0="http://estat.ec.europa.eu/disschain/soap/'
        b'asynchronous" xmlns:ns1="http://estat.ec.europa.eu/disschain/asynchronous">'
        b"<ns1:status><ns1:key>0f164c29-0e96-4757-9b81-e9fcff8b9899</ns1:key>"
        b"<ns1:status>SUBMITTED</ns1:status></ns1:status></ns0:asyncResponse></env:Body>"
        b"</env:Envelope>"
    )
    ticket = ep.async_ticket(envelope)
    assert ticket == ep.AsyncTicket("0f164c29-0e96-4757-9b81-e9fcff8b9899", "SUBMITTED")
    assert ep.async_ticket(body("sdmx21_structurespecific_nama_10_gdp_LU_2012-2015.xml")) is None


# ----------------------------------------------------------------------------- queries


def test_build_request_json_and_tsv() -> None:
    query = es.comext_query("BE", "RU", "080830", flow="export", start="2013-01", end="2013-12")
    (request,) = es.build_request(query, base_url="http://127.0.0.1:1/comext")
    assert request.url == "http://127.0.0.1:1/comext/statistics/1.0/data/DS-045409"
    assert ("freq", "M") in request.params and ("flow", "2") in request.params
    assert request.params.count(("indicators", "VALUE_IN_EUROS")) == 1
    tsv = es.comext_query(["BE", "NL"], "RU", ["0808", "080830"], fmt="tsv", start="2014-01")
    (request,) = es.build_request(tsv, base_url="https://h")
    assert request.url == (
        "https://h/sdmx/2.1/data/DS-045409/M.BE+NL.RU.0808+080830.1+2."
        "VALUE_IN_EUROS+QUANTITY_IN_100KG"
    )
    assert dict(request.params) == {"format": "TSV", "startPeriod": "2014-01"}


def test_hosts_and_environment_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BELRU_TRADE_COMEXT_URL", raising=False)
    monkeypatch.delenv("BELRU_TRADE_EUROSTAT_URL", raising=False)
    main = es.dataset_query("ert_bil_eur_m", {"freq": "M", "currency": "USD"})
    assert es.build_request(main)[0].url.startswith(es.EUROSTAT_URL + "/statistics/1.0/data/")
    comext = es.comext_query("BE", "RU", "TOTAL")
    assert es.build_request(comext)[0].url.startswith(es.COMEXT_URL)
    monkeypatch.setenv("BELRU_TRADE_COMEXT_URL", "https://mirror/comext/")
    monkeypatch.setenv("BELRU_TRADE_EUROSTAT_URL", "https://mirror/main")
    assert es.build_request(comext)[0].url.startswith("https://mirror/comext/statistics")
    assert es.build_request(main)[0].url.startswith("https://mirror/main/statistics")
    assert es.build_request(main, base_url="https://arg")[0].url.startswith("https://arg/")


def test_pre_split_over_cell_limit_products_first() -> None:
    products = [f"{i:02d}" for i in range(1, 9)]
    query = es.comext_query("BE", "RU", products, start="2010-01", end="2010-12")
    assert es.estimated_cells(query) == 8 * 2 * 2 * 12  # products x flows x indicators x months
    requests = es.build_request(query, max_cells=100)
    assert len(requests) == 4  # 384 cells -> halves of 192 -> quarters of 96
    assert all(len([p for p in r.params if p[0] == "product"]) == 2 for r in requests)


def test_split_order_products_partners_periods() -> None:
    query = es.comext_query("BE", ["RU", "BY"], ["01", "02"], start="2010-01", end="2010-03")
    first = es.split_query(query)
    assert [q.codes("product") for q in first] == [("01",), ("02",)]
    second = es.split_query(first[0])
    assert [q.codes("partner") for q in second] == [("RU",), ("BY",)]
    one = es.comext_query("BE", "RU", "01", flow="import", indicators=["VALUE_IN_EUROS"],
                          start="2010-01", end="2010-03")  # fmt: skip
    periods = es.split_query(one)
    assert [(q.since, q.until) for q in periods] == [("2010-01", "2010-02"), ("2010-03", "2010-03")]
    assert es.split_query(periods[1]) == []


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"start": "201401"}, "start='201401'"),
        ({"freq": "A", "start": "2014-01"}, "start='2014-01'"),
        ({"freq": "Q"}, "freq='Q'"),
        ({"flow": "exports"}, "flow='exports'"),
        ({"start": "2015-01", "end": "2014-01"}, "after"),
        ({"indicators": ["VALUE"]}, "indicators='VALUE'"),
        ({"product": "0808.30"}, "product='0808.30'"),
        ({"product": []}, "product=\\[\\]"),
    ],
)
def test_validation_names_argument(kwargs: dict, match: str) -> None:
    args = {"reporter": "BE", "partner": "RU", "product": "080830", **kwargs}
    with pytest.raises(InvalidQueryError, match=match):
        es.comext_query(**args)


_anything = st.one_of(
    st.none(),
    st.text(max_size=12),
    st.integers(-5, 300000),
    st.lists(st.one_of(st.text(max_size=9), st.integers(0, 999999)), max_size=4),
    st.floats(allow_nan=True),
    st.booleans(),
)


@settings(max_examples=300, deadline=None)
@given(
    reporter=_anything,
    partner=_anything,
    product=_anything,
    flow=_anything,
    freq=_anything,
    start=_anything,
    end=_anything,
    fmt=_anything,
)
def test_random_arguments_only_raise_invalid_query(**kwargs) -> None:
    try:
        query = es.comext_query(
            kwargs["reporter"],
            kwargs["partner"],
            kwargs["product"],
            flow=kwargs["flow"],
            freq=kwargs["freq"],
            start=kwargs["start"],
            end=kwargs["end"],
            fmt=kwargs["fmt"],
        )
    except InvalidQueryError:
        return
    assert es.build_request(query, base_url="https://h")


@settings(max_examples=200, deadline=None)
@given(
    dataset=_anything,
    filters=st.one_of(
        _anything, st.dictionaries(st.one_of(st.text(max_size=8), st.integers()), _anything)
    ),
)
def test_random_dataset_queries_only_raise_invalid_query(dataset, filters) -> None:
    try:
        query = es.dataset_query(dataset, filters)
    except InvalidQueryError:
        return
    assert es.build_request(query, base_url="https://h")


def test_year_zero_is_invalid_not_a_crash() -> None:
    with pytest.raises(InvalidQueryError):
        es.comext_query("BE", "RU", "08", start="0000-01", end="2000-01")
    with pytest.raises(InvalidQueryError):
        es.dataset_query("nama_10_gdp", {"geo": "DE"}, start="0000")


@pytest.mark.network
def test_live_comext_statistics_shape() -> None:
    query = es.comext_query("BE", "RU", "080830", flow="export", start="2013-01", end="2013-12")
    result = es.fetch(query, progress=False)
    assert {"reporter", "partner", "product", "period", "value", "flag"} <= set(result.frame)
    assert result.provenance.last_update and len(result.frame) > 0


@pytest.mark.network
def test_live_dissemination_dataset_shape() -> None:
    query = es.dataset_query(
        "ert_bil_eur_m", {"freq": "M", "statinfo": "AVG", "unit": "NAC", "currency": "USD"},
        start="2020-01", end="2020-03",
    )  # fmt: skip
    result = es.fetch(query, progress=False)
    assert result.frame["period"].tolist() == ["2020-01", "2020-02", "2020-03"]
