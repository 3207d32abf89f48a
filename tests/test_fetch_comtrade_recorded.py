"""The Comtrade fetcher end to end on recorded real API bodies, served over local HTTP.

Bodies: tests/data/http/comtrade/ (see PROVENANCE.md there). Each is served by the local
server (tests/http_fault_server.py) at the path the real API used, through the whole
fetcher: query validation, request building, transport, body checks, parsing and
provenance. Expected numbers are read by hand from the recorded JSON.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from belru_trade.fetchers import comtrade as ct
from belru_trade.fetchers.comtrade_parse import DATA_COLUMNS
from http_fault_server import FaultServer, reply

HERE = Path(__file__).resolve().parent / "data" / "http" / "comtrade"
KEY = "recorded-body-test-key-7f3a"
PATH = "/data/v1/get/C/A/HS"

# China's 2010 trade with Argentina (32) and Germany (276), TOTAL, USD: the four records of
# data_v1_get_C_A_HS__r156_p32-280-276_2010_TOTAL.json (imports carry cifvalue, exports
# fobvalue; the former West Germany, 280, has no rows)
EXPECTED = pd.DataFrame(
    {
        "partner_code": [32, 32, 276, 276],
        "flow": ["export", "import", "export", "import"],
        "value": [6115764185.0, 6804128143.0, 68047133397.0, 74251272075.0],
    }
)


@pytest.fixture
def server():
    with FaultServer() as srv:
        yield srv
        assert srv.unexpected == [], f"unrecorded requests: {srv.unexpected}"


def _query():
    return ct.comtrade_query(
        156, [32, 280, 276], "TOTAL", flow="both", freq="A", start=2010, end=2010
    )


def _fetch(server: FaultServer):
    return ct.fetch(_query(), api_key=KEY, base_url=server.url, progress=False)


@pytest.mark.parametrize(
    "recording",
    [
        "data_v1_get_C_A_HS__r156_p32-280-276_2010_TOTAL.json",
        "data_v1_get_C_A_HS__r156_p32-280-276_2010_TOTAL_includeDesc.json",
    ],
)
def test_recorded_annual_totals(server: FaultServer, recording: str) -> None:
    server.script(PATH, reply(200, (HERE / recording).read_bytes()))
    result = _fetch(server)
    sent = server.seen[0]
    assert sent.path == PATH
    assert sent.param("reporterCode") == ["156"]
    assert sent.param("partnerCode") == ["32,280,276"]
    assert sent.param("cmdCode") == ["TOTAL"] and sent.param("period") == ["2010"]
    assert sorted(sent.param("flowCode")[0].split(",")) == ["M", "X"]
    assert sent.headers.get("Ocp-Apim-Subscription-Key") == KEY
    assert all(KEY not in value for _, value in sent.query)
    frame = result.frame
    assert list(frame.columns)[: len(DATA_COLUMNS)] == list(DATA_COLUMNS)
    got = frame.sort_values(["partner_code", "flow"]).reset_index(drop=True)
    assert got["partner_code"].astype(int).tolist() == EXPECTED["partner_code"].tolist()
    assert got["flow"].tolist() == EXPECTED["flow"].tolist()
    assert got["value"].tolist() == EXPECTED["value"].tolist()
    assert (got["reporter_code"].astype(int) == 156).all()
    assert (got["product"] == "TOTAL").all() and (got["period"] == "2010").all()
    imports = got[got["flow"] == "import"]
    assert imports["cif_value"].tolist() == imports["value"].tolist()
    assert imports["fob_value"].isna().all()
    exports = got[got["flow"] == "export"]
    assert exports["fob_value"].tolist() == exports["value"].tolist()
    assert result.provenance.provider == "comtrade"
    assert result.provenance.urls and all(KEY not in url for url in result.provenance.urls)
    assert KEY not in repr(result.provenance)
    assert result.provenance.requests_sent == 1


def test_recorded_empty_reply_is_an_empty_frame(server: FaultServer) -> None:
    """The recorded 'no data' reply (HTTP 200, count 0; captured on the services
    endpoint, same envelope) gives an empty frame with every column, not None."""
    body = (HERE / "data_v1_get_S_A_EB__empty_count0.json").read_bytes()
    server.script(PATH, reply(200, body))
    result = _fetch(server)
    assert result.frame.empty
    assert list(result.frame.columns)[: len(DATA_COLUMNS)] == list(DATA_COLUMNS)
    assert server.count(PATH) == 1
