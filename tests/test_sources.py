"""belru_trade.store.sources against the local HTTP server: harmonisation, store, offline mode."""

from __future__ import annotations

import json
import logging

import numpy as np
import pandas as pd
import pytest
from belru_trade.fetchers.http import RetryPolicy
from http_fault_server import (
    FaultServer,
    comext_from_query,
    comtrade_from_query,
    reply,
)

from belru_trade.errors import BelruTradeWarning, InvalidArgumentError, OfflineError
from belru_trade.store import cache, sources
from belru_trade.trade import panel

PATH = "/statistics/1.0/data/DS-045409"
FAST = RetryPolicy(max_retries=1, backoff_base=0.0, jitter=0.0, timeout=(2.0, 2.0))
KEY = "sk-SOURCES-0a1b2c3d4e5f"


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("BELRU_TRADE_CACHE", str(tmp_path / "store"))
    monkeypatch.delenv("COMTRADE_API_KEY", raising=False)
    return tmp_path / "store"


@pytest.fixture
def server():
    with FaultServer() as srv:
        yield srv
        assert srv.unexpected == [], f"unrecorded requests: {srv.unexpected}"


def comext_value(cell):
    base = 100.0 if cell["indicators"] == "VALUE_IN_EUROS" else 3.0
    return base * int(cell["time"][-2:])


def comext_status(cell):
    return "|C" if cell["time"] == "2014-02" and cell["partner"] == "EXT_EU27_2020" else None


def answer_comext(path, query):
    def value(cell):
        return None if comext_status(cell) else comext_value(cell)

    return reply(200, comext_from_query(query, value, status=comext_status))


def test_comext_panel_codes_units_flags(store, server) -> None:
    server.responder = answer_comext
    frame = sources.comext(["GR", "BE"], ["RU", "EXTRA_EU27_2020"], "080830", start="2014-01",
                           end="2014-03", flow="export", base_url=server.url,
                           progress=False)  # fmt: skip
    seen = server.seen[0]
    assert seen.param("reporter") == ["EL", "BE"]  # Greece is EL at Eurostat
    assert seen.param("partner") == ["RU", "EXT_EU27_2020"]
    assert seen.param("indicators") == ["VALUE_IN_EUROS", "QUANTITY_IN_100KG"]
    panel.validate(frame)
    assert set(frame["reporter"]) == {"GR", "BE"}
    assert set(frame["partner"]) == {"RU", "EXTRA_EU27_2020"}
    row = frame[(frame["reporter"] == "GR") & (frame["partner"] == "RU")].iloc[2]
    assert str(row["period"]) == "2014-03"
    assert row["value"] == 300.0 and row["quantity"] == 3.0 * 3 * 100  # 100 kg -> kg
    assert (row["currency"], row["unit"], row["source"]) == ("EUR", "kg", "comext")
    secret = frame[frame["flag"].notna()]
    assert len(secret) == 2 and set(secret["flag"]) == {"confidential"}
    assert secret["value"].isna().all() and set(secret["period"].astype(str)) == {"2014-02"}
    assert frame["period"].dtype == pd.PeriodDtype("M")
    assert frame.attrs["provenance"]["dataset"] == "DS-045409"
    assert frame.attrs["provenance"]["last_update"] == "2026-09-15T11:00:00+0200"


def test_second_call_sends_nothing_and_offline(store, server) -> None:
    server.responder = answer_comext
    args = dict(start="2014-01", end="2014-03", base_url=server.url, progress=False)
    first = sources.comext("BE", "RU", "080830", **args)
    sent = len(server.seen)
    again = sources.comext("BE", "RU", "080830", **args)
    offline = sources.comext("BE", "RU", "080830", offline=True, **args)
    assert len(server.seen) == sent == 1
    refreshed = sources.comext("BE", "RU", "080830", refresh=True, **args)  # fetched again
    assert len(server.seen) == 2 and refreshed.attrs["requests_sent"] == 1
    for other in (again, offline, refreshed):
        pd.testing.assert_frame_equal(first, other)
    with pytest.raises(OfflineError, match="080808"):
        sources.comext("BE", "RU", "080808", offline=True, **args)
    assert len(server.seen) == 2


def test_unknown_code_dropped_by_eurostat_is_an_error(store, server) -> None:
    server.responder = lambda p, q: reply(200, comext_from_query(q, comext_value, drop=["999999"]))
    with pytest.raises(InvalidArgumentError, match="999999"):
        sources.comext("BE", "RU", ["080830", "999999"], start="2014-01", end="2014-02",
                       base_url=server.url, progress=False)  # fmt: skip
    assert cache.info()["kind"].tolist() == []  # nothing stored for a refused reply


def test_comtrade_belgium_split_usd_kg(store, server) -> None:
    server.responder = lambda p, q: reply(
        200, comtrade_from_query(q, lambda r, pa, c, f, t: float(t) + (0.5 if f == "M" else 0))
    )
    frame = sources.comtrade("BE", ["RU", "WORLD"], "2709", freq="A", start="1997", end="2000",
                             base_url=server.url, progress=False)  # fmt: skip
    reporters = [s.param("reporterCode") for s in server.seen]
    assert reporters == [["58"], ["56"]]  # Belgium-Luxembourg to 1998, Belgium from 1999
    assert [s.param("period") for s in server.seen] == [["1997,1998"], ["1999,2000"]]
    assert server.seen[0].param("partnerCode") == ["643,0"]
    panel.validate(frame)
    assert set(frame["reporter"]) == {"BE"} and set(frame["partner"]) == {"RU", "WORLD"}
    assert len(frame) == 4 * 2 * 2  # years x partners x flows
    row = frame[(frame["partner"] == "RU") & (frame["flow"] == "import")].iloc[-1]
    assert row["value"] == 2000.5 and row["quantity"] == 1000.0
    assert (row["currency"], row["unit"], row["nomenclature"]) == ("USD", "kg", "HS2012")
    assert len(frame.attrs["provenance"]["urls"]) == 2


def test_mirror_aligns_both_reports(store, server) -> None:
    def value(r, p, c, f, t):
        return {(56, "X"): 100.0, (440, "M"): 110.0, (56, "M"): 7.0, (440, "X"): 8.0}[(r, f)]

    server.responder = lambda p, q: reply(200, comtrade_from_query(q, value))
    joined = sources.mirror("BE", "LT", "080830", freq="M", start="2014-01", end="2014-02",
                            base_url=server.url, progress=False)  # fmt: skip
    be_to_lt = joined[(joined["exporter"] == "BE") & (joined["importer"] == "LT")]
    assert be_to_lt["export_value"].tolist() == [100.0, 100.0]
    assert be_to_lt["import_value"].tolist() == [110.0, 110.0]
    assert np.allclose(be_to_lt["gap"], 10.0)
    lt_to_be = joined[(joined["exporter"] == "LT") & (joined["importer"] == "BE")]
    assert lt_to_be["gap"].tolist() == [-1.0, -1.0]  # BE imports 7, LT exports 8


def test_dry_run_and_bad_arguments(store, server) -> None:
    planned = sources.comtrade("BE", "RU", "080830", start="2010-01", end="2016-12",
                               base_url=server.url, api_key=KEY, dry_run=True)  # fmt: skip
    assert len(planned) == 7 and server.seen == []  # 84 months / 12 per call
    for bad in ({"product": "0808.30"}, {"start": "2016-12", "end": "2010-01"}, {"freq": "Q"},
                {"reporter": "XX"}, {"flow": "exports"}):  # fmt: skip
        args = {"reporter": "BE", "partner": "RU", "product": "080830", "start": "2010-01",
                "end": "2010-03", "base_url": server.url, "dry_run": True, **bad}  # fmt: skip
        with pytest.raises(InvalidArgumentError):
            sources.comext(**args)


def test_key_never_reaches_store_or_logs(store, server, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    server.responder = lambda p, q: reply(200, comtrade_from_query(q, lambda *a: 1.0))
    frame = sources.comtrade("BE", "RU", "080830", start="2014-01", end="2014-02",
                             base_url=server.url, api_key=KEY, progress=False)  # fmt: skip
    assert server.seen[0].headers["Ocp-Apim-Subscription-Key"] == KEY
    files = [p for p in store.rglob("*") if p.is_file()]
    assert files and not [p for p in files if KEY in str(p) or KEY.encode() in p.read_bytes()]
    assert KEY not in json.dumps(frame.attrs["provenance"])
    assert KEY not in cache.info().to_string()
    assert not [r for r in caplog.records if KEY in r.getMessage()]


@pytest.mark.network
def test_live_comext_shape(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("BELRU_TRADE_CACHE", str(tmp_path))
    frame = sources.comext("BE", "RU", "080830", start="2013-01", end="2013-12", flow="export")
    panel.validate(frame)
    assert set(frame["reporter"]) == {"BE"} and frame["period"].dtype == pd.PeriodDtype("M")


@pytest.mark.network
def test_live_comtrade_preview_shape(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("BELRU_TRADE_CACHE", str(tmp_path))
    frame = sources.comtrade("BE", "RU", "TOTAL", freq="A", start="2015", end="2016")
    panel.validate(frame)
    assert set(frame["currency"]) == {"USD"} and set(frame["flow"]) <= {"import", "export"}


def test_russia_after_2021_warns_and_preview_is_cached_apart(store, server) -> None:
    server.responder = lambda p, q: reply(200, comtrade_from_query(q, lambda *a: 1.0))
    with pytest.warns(BelruTradeWarning, match="mirror"):
        sources.comtrade("RU", "BE", "TOTAL", freq="A", start="2021", end="2022",
                         base_url=server.url, progress=False, api_key=KEY)  # fmt: skip
    sources.comtrade("BE", "RU", "TOTAL", freq="A", start="2021", end="2021",
                     base_url=server.url, progress=False, api_key="")  # fmt: skip
    sources.comtrade("BE", "RU", "TOTAL", freq="A", start="2021", end="2021",
                     base_url=server.url, progress=False, api_key=KEY)  # fmt: skip
    paths = [s.path for s in server.seen]
    assert paths[1].startswith("/public/v1/preview/") and paths[2].startswith("/data/v1/get/")


# ----------------------------------------------------------------------------- hostile cases


def test_tidy_results_are_keyed_by_host(store, server) -> None:
    # data fetched from an overridden host must never be served for another host
    from http_fault_server import FaultServer as Other

    server.responder = answer_comext
    args = dict(start="2014-01", end="2014-02", progress=False, flow="export")
    first = sources.comext("BE", "RU", "080830", base_url=server.url, **args)
    with Other(lambda p, q: reply(200, comext_from_query(q, lambda c: 1.0))) as other:
        second = sources.comext("BE", "RU", "080830", base_url=other.url, **args)
        assert len(other.seen) == 1  # fetched from the other host, not served from the store
    assert second["value"].tolist() == [1.0, 1.0] != first["value"].tolist()
    with pytest.raises(OfflineError):  # nothing stored for the default host
        sources.comext("BE", "RU", "080830", offline=True, **args)


def test_bare_year_end_is_the_last_month(store) -> None:
    (request,) = sources.comext("BE", "RU", "080830", start="2012", end="2012", dry_run=True)
    params = dict(request.params)
    assert (params["sinceTimePeriod"], params["untilTimePeriod"]) == ("2012-01", "2012-12")
    plan = sources.comtrade("BE", "RU", "080830", start="2012", end="2012", api_key="",
                            dry_run=True)  # fmt: skip
    assert dict(plan[0].params)["period"].split(",")[-1] == "201212"


def test_fetcher_errors_and_warnings_under_one_root(store, server) -> None:
    from belru_trade.fetchers.errors import AuthenticationError, RateLimitError

    from belru_trade.errors import (
        BelruTradeError,
        ProviderRateLimitError,
        ProviderResponseError,
        ProviderWarning,
    )

    server.script(PATH, reply(429, {"message": "slow"}, Retry_After="9999"))
    with pytest.raises(ProviderRateLimitError) as info:
        sources.comext("BE", "RU", "080830", start="2014-01", end="2014-02",
                       base_url=server.url, progress=False, policy=FAST)  # fmt: skip
    assert isinstance(info.value, BelruTradeError) and info.value.retry_after == 9999.0
    assert isinstance(info.value.__cause__, RateLimitError)
    server.script("/data/v1/get/C/M/HS", reply(401, {"message": f"bad key {KEY}"}))
    with pytest.raises(ProviderResponseError) as denied:
        sources.comtrade("BE", "RU", "080830", start="2014-01", end="2014-01", api_key=KEY,
                         base_url=server.url, progress=False, policy=FAST)  # fmt: skip
    assert isinstance(denied.value.__cause__, AuthenticationError) and KEY not in str(denied.value)

    # a keyless preview reply at the cap that cannot be split: the fetcher's
    # PreviewCapWarning comes out as a ProviderWarning (a BelruTradeWarning)
    def at_cap(path, q):
        data = json.loads(comtrade_from_query([*q[:5], ("period", "201402")], lambda *a: 1.0))
        return reply(200, data)

    server.responder = at_cap
    with pytest.warns(ProviderWarning, match="PreviewCapWarning"):
        sources.comtrade("BE", "RU", "080830", start="2014-01", end="2014-01", api_key="",
                         flow="export", base_url=server.url, progress=False, policy=FAST,
                         record_cap=1)  # fmt: skip
    with pytest.warns(ProviderWarning, match="InsecureTransportWarning: base_url"):
        sources.comext("BE", "RU", "080830", start="2014-01", end="2014-01", dry_run=True,
                       base_url="http://mirror.example.org")  # fmt: skip


def test_bad_body_is_never_cached_and_refresh_refetches(store, server) -> None:
    from belru_trade.errors import ProviderResponseError

    def strings(path, q):
        data = json.loads(comext_from_query(q, comext_value))
        data["value"] = {k: str(v) for k, v in data["value"].items()}
        return reply(200, data)

    server.responder = strings
    args = dict(start="2014-01", end="2014-02", base_url=server.url, progress=False)
    with pytest.raises(ProviderResponseError, match="JSON-stat value"):
        sources.comext("BE", "RU", "080830", **args)
    assert cache.info().empty  # neither the raw body nor an empty tidy result was stored
    server.responder = answer_comext
    good = sources.comext("BE", "RU", "080830", **args)
    assert good["value"].notna().all() and len(server.seen) == 2
