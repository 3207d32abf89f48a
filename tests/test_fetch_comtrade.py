"""Comtrade parsers on every recorded response, validation, chunking arithmetic, dry runs.

Expected values are read by hand from tests/data/http/comtrade (see its PROVENANCE.md).
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import requests
from belru_trade.fetchers import comtrade as ct
from belru_trade.fetchers import comtrade_parse as cp
from belru_trade.fetchers.errors import (
    AuthenticationError,
    InvalidQueryError,
    RateLimitError,
    ResponseFormatError,
    TruncatedResponseError,
)
from hypothesis import given, settings
from hypothesis import strategies as st

HERE = Path(__file__).resolve().parent / "data" / "http" / "comtrade"


def body(name: str) -> bytes:
    return (HERE / name).read_bytes()


@pytest.mark.parametrize(
    "name",
    [
        "data_v1_get_C_A_HS__r156_p32-280-276_2010_TOTAL.json",
        "data_v1_get_C_A_HS__r156_p32-280-276_2010_TOTAL_includeDesc.json",
    ],
)
def test_data_values_flows_and_units(name: str) -> None:
    frame, count = cp.parse_data(body(name))
    assert count == 4 and len(frame) == 4
    got = {(r.partner_code, r.flow): r.value for r in frame.itertuples()}
    assert got == {
        (32, "import"): 6804128143.0,
        (32, "export"): 6115764185.0,
        (276, "import"): 74251272075.0,
        (276, "export"): 68047133397.0,
    }
    assert set(frame["reporter_code"]) == {156}
    assert set(frame["period"]) == {"2010"}
    assert set(frame["product"]) == {"TOTAL"}
    assert set(frame["classification"]) == {"H3"}
    imports = frame[frame["flow"] == "import"]
    assert (imports["cif_value"] == imports["value"]).all() and imports["fob_value"].isna().all()
    assert frame["quantity_unit"].isna().all()  # qtyUnitCode -1 = N/A
    assert frame["flag"].isna().all()


def test_empty_result_keeps_columns() -> None:
    frame, count = cp.parse_data(body("data_v1_get_S_A_EB__empty_count0.json"))
    assert count == 0 and frame.empty
    assert tuple(frame.columns) == cp.DATA_COLUMNS


def test_bulk_listings_and_references() -> None:
    listing = cp.parse_bulk_listing(body("bulk_v1_get_C_A_HS__r32_1962_availability.json"))
    assert listing["reporterCode"].tolist() == [32]
    assert listing["classificationCode"].tolist() == ["S1"]
    assert cp.parse_bulk_listing(body("bulk_v1_get_C_A_HS__no_files_count0.json")).empty
    reporters = cp.parse_reference(body("reference_Reporters.json")).set_index("reporterCode")
    assert reporters.loc[56, "reporterCodeIsoAlpha2"] == "BE"
    assert reporters.loc[58, "entryExpiredDate"].startswith("1998-12-31")
    assert reporters.loc[643, "reporterCodeIsoAlpha3"] == "RUS"
    assert reporters.loc[112, "reporterCodeIsoAlpha2"] == "BY"
    assert reporters.loc[440, "reporterCodeIsoAlpha2"] == "LT"
    modes = cp.parse_reference(body("reference_ModeOfTransportCodes.json"))
    assert modes.set_index("id").loc["0", "text"] == "TOTAL modes of transport"
    items = cp.parse_reference(body("reference_TradeDataItems.json"))
    assert {"cifValue", "fobValue", "primaryValue"} <= set(items["dataItem"])


def test_monthly_period_format_and_flags() -> None:
    record = (
        b'{"count":1,"error":"","data":[{"reporterCode":56,"partnerCode":643,'
        b'"cmdCode":"080830","flowCode":"X","period":"201408","primaryValue":12.5,'
        b'"netWgt":100,"qty":100,"qtyUnitCode":8,"qtyUnitAbbr":"kg",'
        b'"classificationCode":"H4","legacyEstimationFlag":2,"isNetWgtEstimated":true}]}'
    )
    frame, _ = cp.parse_data(record)
    row = frame.iloc[0]
    assert (row["period"], row["product"], row["net_weight"]) == ("2014-08", "080830", 100.0)
    assert row["quantity_unit"] == "kg"
    assert row["flag"] == "estimated;quantity_estimated"


def test_error_bodies() -> None:
    with pytest.raises(TruncatedResponseError):
        cp.parse_data(body("data_v1_get_C_A_HS__r156_p32-280-276_2010_TOTAL.json")[:700])
    with pytest.raises(AuthenticationError):
        cp.parse_data(b'{"statusCode":401,"message":"Access denied due to missing key"}')
    with pytest.raises(RateLimitError):
        cp.parse_data(b'{"statusCode":403,"message":"Out of call volume quota."}')
    with pytest.raises(ResponseFormatError):
        cp.parse_data(b'{"count":0}')


# ----------------------------------------------------------------------------- queries


def test_defaults_and_key_vs_preview_endpoints() -> None:
    query = ct.comtrade_query(56, [643, 112], "080830", freq="A", start=2014, end=2015)
    (keyed,) = ct.build_request(query, preview=False, base_url="https://h")
    (public,) = ct.build_request(query, preview=True, base_url="https://h")
    assert keyed.url == "https://h/data/v1/get/C/A/HS"
    assert public.url == "https://h/public/v1/preview/C/A/HS"
    params = dict(keyed.params)
    assert params["partner2Code"] == "0" and params["customsCode"] == "C00"
    assert params["motCode"] == "0" and params["period"] == "2014,2015"
    assert params["partnerCode"] == "643,112" and params["flowCode"] == "M,X"
    assert dict(public.params)["maxRecords"] == "500"


def test_environment_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BELRU_TRADE_COMTRADE_URL", "https://mirror/ct/")
    query = ct.comtrade_query(440, 643, "TOTAL", freq="A", start="2020", end="2020")
    assert ct.build_request(query, preview=False)[0].url.startswith("https://mirror/ct/data/v1")


def test_period_formats_per_frequency() -> None:
    monthly = ct.comtrade_query(56, 643, "08", start="2013-11", end="201402")
    assert monthly.periods == ("201311", "201312", "201401", "201402")
    with pytest.raises(InvalidQueryError, match="start='2014'"):
        ct.comtrade_query(56, 643, "08", freq="M", start="2014", end="2014-12")
    with pytest.raises(InvalidQueryError, match="end='2014-12'"):
        ct.comtrade_query(56, 643, "08", freq="A", start="2014", end="2014-12")


def test_belgium_code_switch_in_1999() -> None:
    with pytest.raises(InvalidQueryError, match="58"):
        ct.comtrade_query(56, 643, "08", freq="A", start=1997, end=2000)
    with pytest.raises(InvalidQueryError, match="56"):
        ct.comtrade_query(58, 643, "08", freq="A", start=1998, end=1999)
    assert ct.comtrade_query(58, 643, "08", freq="A", start=1995, end=1998).reporters == (58,)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"reporter": "BE"}, "reporter='BE'"),
        ({"reporter": 0}, "World"),
        ({"partner": 1000}, "partner=1000"),
        ({"product": "8083"}, None),
        ({"product": 80830}, "product=80830"),
        ({"product": "0808301"}, "product='0808301'"),
        ({"flow": "re-export"}, "flow="),
        ({"freq": "Q"}, "freq='Q'"),
        ({"start": "2015-01", "end": "2014-12"}, "after"),
    ],
)
def test_validation_messages(kwargs: dict, match: str | None) -> None:
    args = {"reporter": 56, "partner": 643, "product": "080830", "start": "2014-01"}
    args.update({"end": "2014-12"}, **kwargs)
    if match is None:
        assert ct.comtrade_query(**args).products == ("8083",)
        return
    with pytest.raises(InvalidQueryError, match=match):
        ct.comtrade_query(**args)


def _bench_query() -> ct.ComtradeQuery:
    products = [f"{p:06d}" for p in range(80110, 80160)]  # 50 HS6 codes
    return ct.comtrade_query(56, [643, 112, 440, 804, 268], products, flow="export",
                             start="2010-01", end="2019-12")  # fmt: skip


def test_minimum_requests_with_key() -> None:
    # 120 months / 12 per call = 10 calls; each call bounds 12*50*5 = 3,000 <= 100,000 records
    query = _bench_query()
    requests_ = ct.build_request(query, preview=False)
    assert len(requests_) == math.ceil(120 / 12) == 10
    assert all(r.records <= ct.KEY_RECORD_CAP for r in requests_)


def test_minimum_requests_preview() -> None:
    # 30,000 cells at <= 500 records per call: at least 60 calls; 60 is reached
    query = _bench_query()
    requests_ = ct.build_request(query, preview=True)
    assert len(requests_) == math.ceil(50 * 5 * 120 / 500) == 60
    assert all(r.records <= 500 for r in requests_)
    periods = sorted({p for r in requests_ for p in dict(r.params)["period"].split(",")})
    assert len(periods) == 120


def test_chunks_cover_every_combination_once() -> None:
    query = ct.comtrade_query([56, 440], [643, 112, 0], ["01", "02", "03"], start="2014-01",
                              end="2015-06")  # fmt: skip
    parts = ct.chunks(query, record_cap=40)
    cells = [
        (r, p, c, f, t)
        for q in parts
        for r in q.reporters
        for p in q.partners
        for c in q.products
        for f in q.flows
        for t in q.periods
    ]
    assert len(cells) == len(set(cells)) == query.records_bound()
    assert all(q.records_bound() <= 40 for q in parts)


class _NoNetwork(requests.Session):
    def request(self, *args, **kwargs):  # pragma: no cover - must not run
        raise AssertionError("a dry run sent a request")


def test_dry_run_sends_nothing() -> None:
    planned = ct.fetch(_bench_query(), api_key="k", session=_NoNetwork(), dry_run=True)
    assert len(planned) == 10
    assert all("k" not in dict(r.params).values() for r in planned)


_anything = st.one_of(
    st.none(),
    st.text(max_size=10),
    st.integers(-10, 300000),
    st.lists(st.one_of(st.text(max_size=7), st.integers(-5, 2000)), max_size=4),
    st.booleans(),
    st.floats(),
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
)
def test_random_arguments_only_raise_invalid_query(**kw) -> None:
    try:
        query = ct.comtrade_query(
            kw["reporter"], kw["partner"], kw["product"], flow=kw["flow"], freq=kw["freq"],
            start=kw["start"], end=kw["end"],
        )  # fmt: skip
    except InvalidQueryError:
        return
    assert ct.build_request(query, preview=True, base_url="https://h")


def test_year_zero_is_invalid_not_a_crash() -> None:
    with pytest.raises(InvalidQueryError):
        ct.comtrade_query(56, 643, "08", freq="A", start="0000", end="2000")


@pytest.mark.network
def test_live_preview_shape() -> None:
    query = ct.comtrade_query(56, 643, "TOTAL", freq="A", start=2015, end=2016)
    result = ct.fetch(query, api_key="", progress=False)
    assert tuple(result.frame.columns) == cp.DATA_COLUMNS
    assert set(result.frame["flow"]) <= {"import", "export"}
