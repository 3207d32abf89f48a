"""Fault matrix against a real HTTP server on 127.0.0.1 (tests/http_fault_server.py).

Each fault either recovers with the right data or raises a named error, and the response
store never keeps a partial or failed body. Waits are recorded, not slept.

=============================================  =========================================
fault                                          outcome
=============================================  =========================================
429 + Retry-After <= cap, then 200             waits Retry-After, right data
429 + Retry-After > cap (or retries used up)   RateLimitError(retry_after=...) at once
503 (then 200)                                 backoff base*2**i (+jitter), right data
503 on every attempt                           ServerError
read timeout (then 200)                        retried, right data / RequestTimeoutError
connection reset (then 200)                    retried, right data / ConnectionFailedError
truncated JSON, body < Content-Length          retried, right data / TruncatedResponseError
HTML maintenance page with HTTP 200            retried, right data / MaintenanceError
413 EXTRACTION_TOO_BIG                         split products > partners > periods, merged
413 on a single cell                           ExtractionTooBigError
Eurostat async reply (2 polls)                 polled, data fetched, stored under request
async not ready within max_wait                AsyncTimeoutError
Comtrade reply at the record cap               split until complete, only complete stored
single combination still at the cap            TruncatedResponseError (key) / warning
401; 403 quota (+ wait); 403 other             AuthenticationError; RateLimitError; Auth..
offline and not stored                         NotInStoreError listing every missing URL
=============================================  =========================================
"""

from __future__ import annotations

import gzip
import json
import logging
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import requests
from belru_trade.fetchers import comtrade as ct
from belru_trade.fetchers import eurostat as es
from belru_trade.fetchers.errors import (
    AsyncTimeoutError,
    AuthenticationError,
    ConnectionFailedError,
    ExtractionTooBigError,
    MaintenanceError,
    NotInStoreError,
    PreviewCapWarning,
    RateLimitError,
    RequestTimeoutError,
    ServerError,
    TruncatedResponseError,
)
from belru_trade.fetchers.http import RetryPolicy
from http_fault_server import (
    RESET,
    FaultServer,
    comext_from_query,
    comtrade_from_query,
    delay,
    reply,
    short,
)

HERE = Path(__file__).resolve().parent / "data" / "http" / "eurostat"
PATH = "/statistics/1.0/data/DS-045409"
CT_PATH = "/data/v1/get/C/M/HS"
POLICY = RetryPolicy(
    max_retries=2, backoff_base=0.01, jitter=0.0, max_retry_after=5.0, timeout=(2.0, 0.3)
)
KEY = "sk-TEST-9f8e7d6c5b4a"


class DictStore:
    """Minimal ResponseStore: a dict of complete bodies."""

    def __init__(self) -> None:
        self.data: dict[str, bytes] = {}
        self.meta: dict[str, Mapping[str, Any]] = {}

    def get(self, key: str) -> bytes | None:
        return self.data.get(key)

    def put(self, key: str, body: bytes, meta: Mapping[str, Any]) -> None:
        self.data[key] = body
        self.meta[key] = dict(meta)


def cell_value(cell: dict[str, str]) -> float:
    return 1000.0 * int(cell["product"][:2]) + int(cell["time"][-2:])


def good_comext(query: list) -> bytes:
    return comext_from_query(query, cell_value)


def comext_query(products=("080830",)) -> es.EurostatQuery:
    return es.comext_query("BE", "RU", list(products), flow="export", start="2014-01",
                           end="2014-03", indicators=["VALUE_IN_EUROS"])  # fmt: skip


@pytest.fixture
def server():
    with FaultServer() as srv:
        yield srv
        assert srv.unexpected == [], f"unrecorded requests: {srv.unexpected}"


def run_comext(server: FaultServer, store: DictStore, waits: list, **kw):
    return es.fetch(comext_query(**kw), base_url=server.url, policy=POLICY, store=store,
                    progress=False, sleep=waits.append)  # fmt: skip


def scripted_success(server: FaultServer, *faults) -> None:
    body = good_comext(es.build_request(comext_query(), base_url="https://x")[0].params)
    server.script(PATH, *faults, reply(200, body))


def assert_right_data(result) -> None:
    assert result.frame["period"].tolist() == ["2014-01", "2014-02", "2014-03"]
    assert result.frame["value"].tolist() == [8001.0, 8002.0, 8003.0]


def assert_complete_store(store: DictStore, entries: int) -> None:
    assert len(store.data) == entries
    for body in store.data.values():
        json.loads(body)  # every stored body is complete


# ----------------------------------------------------------------------------- recoveries


def test_429_honours_retry_after(server: FaultServer) -> None:
    store, waits = DictStore(), []
    scripted_success(server, reply(429, {"message": "Rate limit is exceeded."}, Retry_After="2"))
    assert_right_data(run_comext(server, store, waits))
    assert waits == [2.0] and server.count(PATH) == 2
    assert_complete_store(store, 1)


def test_429_with_long_wait_raises_at_once(server: FaultServer) -> None:
    store, waits = DictStore(), []
    server.script(PATH, reply(429, {"message": "slow down"}, Retry_After="3600"))
    with pytest.raises(RateLimitError) as info:
        run_comext(server, store, waits)
    assert info.value.retry_after == 3600.0 and waits == [] and store.data == {}


def test_503_then_success_with_exponential_backoff(server: FaultServer) -> None:
    store, waits = DictStore(), []
    scripted_success(server, reply(503, "busy"), reply(503, "busy"))
    assert_right_data(run_comext(server, store, waits))
    assert waits == [0.01, 0.02]
    assert_complete_store(store, 1)


def test_jitter_stays_within_bounds() -> None:
    policy = RetryPolicy(backoff_base=1.0, jitter=0.5)
    waits = [policy.backoff(2) for _ in range(200)]
    assert all(4.0 <= w <= 6.0 for w in waits) and len(set(waits)) > 1


def test_timeout_then_success(server: FaultServer) -> None:
    store, waits = DictStore(), []
    scripted_success(server, delay(0.8, reply(200, b"{}")))
    assert_right_data(run_comext(server, store, waits))
    assert len(waits) == 1
    assert_complete_store(store, 1)


def test_connection_reset_then_success(server: FaultServer) -> None:
    store, waits = DictStore(), []
    scripted_success(server, RESET)
    assert_right_data(run_comext(server, store, waits))
    assert_complete_store(store, 1)


def test_truncated_json_then_success(server: FaultServer) -> None:
    store, waits = DictStore(), []
    whole = good_comext(es.build_request(comext_query(), base_url="https://x")[0].params)
    scripted_success(server, reply(200, whole[: len(whole) // 2]), short(whole))
    assert_right_data(run_comext(server, store, waits))
    assert server.count(PATH) == 3
    assert_complete_store(store, 1)


def test_html_maintenance_page_then_success(server: FaultServer) -> None:
    store, waits = DictStore(), []
    page = "<!DOCTYPE html><html><body>Service under maintenance</body></html>"
    scripted_success(server, reply(200, page, Content_Type="text/html"))
    assert_right_data(run_comext(server, store, waits))
    assert_complete_store(store, 1)


def test_413_splits_products_and_merges(server: FaultServer) -> None:
    too_big = {"error": [{"status": 413, "id": 413, "label": "EXTRACTION_TOO_BIG: estimated "
                          "9000000 rows, max authorised is 5000000"}]}  # fmt: skip

    def respond(path: str, query: list):
        products = [v for k, v in query if k == "product"]
        if len(products) > 1:
            return reply(413, too_big)
        return reply(200, good_comext(query))

    server.responder = respond
    store, waits = DictStore(), []
    result = run_comext(server, store, waits, products=("080830", "070200"))
    assert server.count(PATH) == 3  # the whole query, then one per product
    got = result.frame.set_index(["product", "period"])["value"].to_dict()
    assert got[("080830", "2014-02")] == 8002.0 and got[("070200", "2014-03")] == 7003.0
    assert len(got) == 6
    assert_complete_store(store, 2)  # the refused query is not stored


def test_async_reply_needs_two_polls(server: FaultServer) -> None:
    key = "0f164c29-0e96-4757-9b81-e9fcff8b9899"
    envelope = (
        '<env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/"><env:Body>'
        '<ns0:asyncResponse xmlns:ns0="http://estat.ec.europa.eu/disschain/soap/asynchronous" '
        'xmlns:ns1="http://estat.ec.europa.eu/disschain/asynchronous"><ns1:status>'
        f"<ns1:key>{key}</ns1:key><ns1:status>{{}}</ns1:status></ns1:status>"
        "</ns0:asyncResponse></env:Body></env:Envelope>"
    )
    server.script(PATH, reply(200, envelope.format("SUBMITTED"), Content_Type="text/xml"))
    server.script(
        f"/1.0/async/status/{key}",
        reply(200, envelope.format("PROCESSING"), Content_Type="text/xml"),
        reply(200, envelope.format("AVAILABLE"), Content_Type="text/xml"),
    )
    data = good_comext(es.build_request(comext_query(), base_url="https://x")[0].params)
    server.script(f"/1.0/async/data/{key}", reply(200, data))
    store, waits = DictStore(), []
    result = es.fetch(comext_query(), base_url=server.url, policy=POLICY, store=store,
                      progress=False, sleep=waits.append, poll_interval=0.5)  # fmt: skip
    assert_right_data(result)
    assert server.count("/1.0/async/status/") == 2 and waits == [0.5, 0.5]
    assert any("/1.0/async/data/" in url for url in result.provenance.urls)
    assert_complete_store(store, 1)  # the final data, under the original request's key
    # a second run is served from the store: no request at all
    before = len(server.seen)
    again = es.fetch(comext_query(), base_url=server.url, store=store, progress=False)
    assert_right_data(again)
    assert len(server.seen) == before and again.provenance.requests_sent == 0


def test_async_wait_is_bounded(server: FaultServer) -> None:
    key = "k-1"
    envelope = (
        '<env:Envelope xmlns:env="e"><env:Body><ns0:asyncResponse xmlns:ns0="a" xmlns:ns1="b">'
        f"<ns1:status><ns1:key>{key}</ns1:key><ns1:status>PROCESSING</ns1:status></ns1:status>"
        "</ns0:asyncResponse></env:Body></env:Envelope>"
    )
    server.script(PATH, reply(200, envelope, Content_Type="text/xml"))
    server.script(f"/1.0/async/status/{key}", *[reply(200, envelope)] * 3)
    store, waits = DictStore(), []
    with pytest.raises(AsyncTimeoutError, match="max_wait=3"):
        es.fetch(comext_query(), base_url=server.url, policy=POLICY, store=store,
                 progress=False, sleep=waits.append, poll_interval=1.0, max_wait=3.0)  # fmt: skip
    assert waits == [1.0, 1.0, 1.0] and store.data == {}


def test_comtrade_at_record_cap_chunks_further(server: FaultServer) -> None:
    # the server holds two rows per combination (e.g. two customs procedures) and cuts the
    # reply at maxRecords: a reply at the cap that does not hold exactly one row per
    # requested combination may be truncated and must be split further
    query = ct.comtrade_query(56, 643, ["080830", "080810"], flow="export", start="2014-01",
                              end="2014-02")  # fmt: skip

    def respond(path, q):
        data = json.loads(comtrade_from_query(q, lambda r, p, c, f, t: float(t[-2:])))
        rows = [dict(row, customsCode=code) for row in data["data"] for code in ("C01", "C02")]
        cap = int(dict(q)["maxRecords"])
        return reply(200, {"count": len(rows[:cap]), "data": rows[:cap], "error": ""})

    server.responder = respond
    store, waits = DictStore(), []
    result = ct.fetch(query, api_key=KEY, base_url=server.url, policy=POLICY, store=store,
                      progress=False, record_cap=4, sleep=waits.append)  # fmt: skip
    # 4 combinations (8 rows, cut at 4) -> 2 x 2 combinations (4 rows each: at the cap with
    # duplicates) -> 4 x 1 combination (2 rows, under the cap): 1 + 2 + 4 = 7 requests
    assert server.count(CT_PATH) == 7
    assert sorted(result.frame["value"]) == [1.0, 1.0, 1.0, 1.0, 2.0, 2.0, 2.0, 2.0]
    assert_complete_store(store, 4)  # only the final, complete replies are stored


def test_comtrade_full_reply_at_cap_is_complete(server: FaultServer) -> None:
    # exactly one row per requested combination: complete even at the cap, no extra request
    query = ct.comtrade_query(56, 643, ["080830", "080810"], flow="export", start="2014-01",
                              end="2014-02")  # fmt: skip
    server.responder = lambda path, q: reply(200, comtrade_from_query(q, lambda *a: 1.0))
    result = ct.fetch(query, api_key=KEY, base_url=server.url, policy=POLICY, progress=False,
                      record_cap=4)  # fmt: skip
    assert server.count(CT_PATH) == 1 and len(result.frame) == 4


def test_comtrade_unsplittable_cap(server: FaultServer) -> None:
    query = ct.comtrade_query(56, 643, "080830", flow="export", start="2014-01", end="2014-01")
    full = comtrade_from_query(
        [("reporterCode", "56"), ("partnerCode", "643"), ("cmdCode", "080830,080810"),
         ("flowCode", "X"), ("period", "201401")], lambda *a: 1.0)  # fmt: skip
    server.script(CT_PATH, reply(200, full))
    store = DictStore()
    with pytest.raises(TruncatedResponseError):
        ct.fetch(query, api_key=KEY, base_url=server.url, policy=POLICY, store=store,
                 progress=False, record_cap=1)  # fmt: skip
    assert store.data == {}
    server.script("/public/v1/preview/C/M/HS", reply(200, full))
    with pytest.warns(PreviewCapWarning):
        result = ct.fetch(query, api_key="", base_url=server.url, policy=POLICY, store=store,
                          progress=False, record_cap=1)  # fmt: skip
    assert len(result.frame) == 2 and "preview" in result.provenance.notes[0]


# ----------------------------------------------------------------------------- named errors


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        (reply(503, "down"), ServerError),
        (delay(0.8, reply(200, b"{}")), RequestTimeoutError),
        (RESET, ConnectionFailedError),
        (reply(200, b'{"version":"2.0","value":{"0":'), TruncatedResponseError),
        (reply(200, "<html><body>maintenance</body></html>"), MaintenanceError),
        (reply(429, "slow", Retry_After="1"), RateLimitError),
    ],
)
def test_persistent_faults_raise_named_errors(server: FaultServer, fault, error) -> None:
    server.script(PATH, *[fault] * (POLICY.max_retries + 1))
    store, waits = DictStore(), []
    with pytest.raises(error):
        run_comext(server, store, waits)
    assert server.count(PATH) == POLICY.max_retries + 1
    assert store.data == {}


def test_413_that_cannot_be_split(server: FaultServer) -> None:
    body = {"error": [{"status": 413, "id": 413, "label": "EXTRACTION_TOO_BIG"}]}
    server.script(PATH, reply(200, body))  # 413 inside an HTTP 200 envelope
    query = es.comext_query("BE", "RU", "080830", flow="export", start="2014-01",
                            end="2014-01", indicators=["VALUE_IN_EUROS"])  # fmt: skip
    with pytest.raises(ExtractionTooBigError):
        es.fetch(query, base_url=server.url, policy=POLICY, progress=False)


def test_comtrade_401_and_403_quota(server: FaultServer) -> None:
    query = ct.comtrade_query(56, 643, "080830", start="2014-01", end="2014-01")
    server.script(CT_PATH, reply(401, {"statusCode": 401, "message": "Access denied due to "
                                       "invalid subscription key."}))  # fmt: skip
    with pytest.raises(AuthenticationError):
        ct.fetch(query, api_key=KEY, base_url=server.url, policy=POLICY, progress=False)
    quota = {"statusCode": 403, "message": "Out of call volume quota. Quota will be "
             "replenished in 01:02:03."}  # fmt: skip
    server.script(CT_PATH, reply(403, quota))
    with pytest.raises(RateLimitError) as info:
        ct.fetch(query, api_key=KEY, base_url=server.url, policy=POLICY, progress=False)
    assert info.value.retry_after == 3723.0
    server.script(CT_PATH, reply(403, {"statusCode": 403, "message": "Out of call volume quota."}))
    with pytest.raises(RateLimitError) as no_wait:
        ct.fetch(query, api_key=KEY, base_url=server.url, policy=POLICY, progress=False)
    assert no_wait.value.retry_after is None
    server.script(CT_PATH, reply(403, "Forbidden"))
    with pytest.raises(AuthenticationError):
        ct.fetch(query, api_key=KEY, base_url=server.url, policy=POLICY, progress=False)


def test_offline_lists_missing_requests(server: FaultServer) -> None:
    query = es.comext_query("BE", "RU", [f"0{i}" for i in range(1, 5)], start="2014-01",
                            end="2014-12")  # fmt: skip
    with pytest.raises(NotInStoreError) as info:
        es.fetch(query, base_url=server.url, store=DictStore(), offline=True, max_cells=100)
    assert len(info.value.missing) == 2 and server.seen == []


# ----------------------------------------------------------------------------- secrecy


def test_api_key_never_leaks(server: FaultServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    query = ct.comtrade_query(56, 643, "080830", flow="export", start="2014-01", end="2014-02")
    server.responder = lambda path, q: reply(200, comtrade_from_query(q, lambda *a: 5.0))
    store = DictStore()
    result = ct.fetch(query, api_key=KEY, base_url=server.url, policy=POLICY, store=store,
                      progress=False)  # fmt: skip
    assert server.seen[-1].headers.get("Ocp-Apim-Subscription-Key") == KEY
    assert all(KEY not in s.path and all(KEY not in v for _, v in s.query) for s in server.seen)
    texts = [json.dumps(result.provenance.to_dict()), repr(result), repr(result.provenance)]
    texts += [json.dumps(m) for m in store.meta.values()] + list(store.meta) + list(store.data)
    texts += [b.decode() for b in store.data.values()]
    for status in (401, 503):
        server.script(CT_PATH, *[reply(status, "nope")] * 3)
        with pytest.raises(Exception) as info:
            ct.fetch(query, api_key=KEY, base_url=server.url, policy=POLICY, progress=False,
                     store=DictStore(), sleep=lambda s: None)  # fmt: skip
        texts += [str(info.value), repr(info.value)]
    session = requests.Session()
    planned = ct.fetch(query, api_key=KEY, session=session, dry_run=True)
    texts += [repr(planned), repr(session.headers)]
    texts += [r.getMessage() for r in caplog.records] + [repr(r.args) for r in caplog.records]
    assert any("GET" in r.getMessage() for r in caplog.records)  # DEBUG logging was on
    assert not [t for t in texts if KEY in t]


def test_environment_key_is_used_and_preview_without(
    server: FaultServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    query = ct.comtrade_query(56, 643, "080830", flow="export", start="2014-01", end="2014-01")
    server.responder = lambda path, q: reply(200, comtrade_from_query(q, lambda *a: 5.0))
    monkeypatch.setenv("COMTRADE_API_KEY", KEY)
    ct.fetch(query, base_url=server.url, progress=False)
    assert server.seen[-1].path == CT_PATH
    assert server.seen[-1].headers["Ocp-Apim-Subscription-Key"] == KEY
    monkeypatch.delenv("COMTRADE_API_KEY")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = ct.fetch(query, base_url=server.url, progress=False)
    assert server.seen[-1].path == "/public/v1/preview/C/M/HS"
    assert "Ocp-Apim-Subscription-Key" not in server.seen[-1].headers
    assert result.frame["value"].tolist() == [5.0]


# ----------------------------------------------------------------------------- recorded bodies


def test_recorded_jsonstat_served_from_main_host(server: FaultServer) -> None:
    recorded = HERE / "statistics_une_rt_m_geo-de_PC_ACT_SA_TOTAL_T_lastTimePeriod3.json"
    server.script("/statistics/1.0/data/une_rt_m", reply(200, recorded.read_bytes()))
    query = es.dataset_query(
        "une_rt_m", {"geo": "de", "unit": "PC_ACT", "s_adj": "SA", "age": "TOTAL", "sex": "T"}
    )
    result = es.fetch(query, base_url=server.url, progress=False)
    assert server.seen[0].param("geo") == ["de"]  # lower case accepted, no false "unknown"
    assert result.frame["value"].tolist() == [4.0, 4.0]
    assert result.provenance.last_update == "2026-09-22T11:00:00+0200"
    assert result.provenance.notes == ("period without data: 2026-08",)


def test_recorded_tsv_gzip_without_content_encoding(server: FaultServer) -> None:
    recorded = HERE / "comext_sdmx21_tsv_DS-045409_M-DE-US_HS2-4-6_2026-06_2026-07.tsv"
    path = "/sdmx/2.1/data/DS-045409/M.DE.US..1.VALUE_IN_EUROS"
    server.script(path, reply(200, gzip.compress(recorded.read_bytes()), Content_Type="text/tsv"))
    query = es.dataset_query(
        "DS-045409",
        {"freq": "M", "reporter": "DE", "partner": "US", "flow": "1",
         "indicators": "VALUE_IN_EUROS"},
        start="2026-06", end="2026-07", fmt="tsv", dimensions=es.COMEXT_DIMENSIONS,
    )  # fmt: skip
    result = es.fetch(query, base_url=server.url, progress=False)
    assert server.seen[0].path == path
    assert dict(server.seen[0].query) == {"format": "TSV", "startPeriod": "2026-06",
                                          "endPeriod": "2026-07"}  # fmt: skip
    assert result.frame["value"].sum() == 1235161 + 1131631 + 105434 + 55153 + 52403


def test_min_interval_throttles_requests(server: FaultServer) -> None:
    query = ct.comtrade_query(56, 643, "080830", flow="export", start="2013-01", end="2014-12")
    server.responder = lambda path, q: reply(200, comtrade_from_query(q, lambda *a: 1.0))
    waits: list[float] = []
    policy = RetryPolicy(min_interval=30.0, timeout=(2.0, 2.0))
    ct.fetch(query, api_key=KEY, base_url=server.url, policy=policy, progress=False,
             sleep=waits.append)  # fmt: skip
    assert server.count(CT_PATH) == 2 and len(waits) == 1 and 29.0 < waits[0] <= 30.0


def test_progress_bar_only_when_several_requests(server: FaultServer, capsys) -> None:
    server.responder = lambda path, q: reply(200, comtrade_from_query(q, lambda *a: 1.0))
    one = ct.comtrade_query(56, 643, "080830", flow="export", start="2014-01", end="2014-12")
    ct.fetch(one, api_key=KEY, base_url=server.url, policy=POLICY)
    assert "comtrade" not in capsys.readouterr().err
    two = ct.comtrade_query(56, 643, "080830", flow="export", start="2013-01", end="2014-12")
    ct.fetch(two, api_key=KEY, base_url=server.url, policy=POLICY)
    assert "comtrade" in capsys.readouterr().err  # tqdm writes to stderr
    ct.fetch(two, api_key=KEY, base_url=server.url, policy=POLICY, progress=False)
    assert capsys.readouterr().err == ""
