"""Hostile servers against the fetchers: no credential leaves, no hang, no memory blow-up.

Every case runs against real HTTP servers on 127.0.0.1 (tests/http_fault_server.py).

==========================================  ==============================================
case                                        outcome
==========================================  ==============================================
redirect to another host                    followed without the key; final URL recorded
redirect to the same host                   followed with the key
redirect loop                               RedirectError
401 body echoing the request headers        AuthenticationError, key REDACTED, quote capped
key with newline / spaces around            stripped, request sent with the clean key
key with CR/LF, inner space, non-ASCII      InvalidQueryError, key never repeated
credentials in the base URL                 used for the request, absent from provenance
file:// or ftp:// base URL                  InvalidQueryError
http:// base URL to a non-loopback host     InsecureTransportWarning; refused with a key
one byte per interval                       RequestTimeoutError at the total deadline
status line and headers one byte at a time  RequestTimeoutError at the total deadline
body larger than max_bytes                  ResponseTooLargeError (announced or streamed)
gzip bomb (magic bytes / Content-Encoding)  ResponseTooLargeError, memory bounded
JSON nested 100,000 deep                    ResponseFormatError, nothing stored
Retry-After: nan                            ignored (exponential backoff), right data
refused connection, unknown host            ConnectionFailedError at once, no retry
JSON-stat numbers as strings                ResponseFormatError, nothing stored
JSON-stat index out of range / negative     ResponseFormatError, nothing stored
==========================================  ==============================================
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import textwrap
import time
import warnings
from pathlib import Path

import pytest
from belru_trade.fetchers import comtrade as ct
from belru_trade.fetchers import eurostat as es
from belru_trade.fetchers.errors import (
    AuthenticationError,
    ConnectionFailedError,
    InsecureTransportWarning,
    InvalidQueryError,
    RedirectError,
    RequestTimeoutError,
    ResponseFormatError,
    ResponseTooLargeError,
)
from belru_trade.fetchers.http import RetryPolicy, Transport, parse_retry_after
from belru_trade.fetchers.result import PlannedRequest
from http_fault_server import (
    FaultServer,
    comtrade_from_query,
    drip,
    drip_headers,
    echo,
    gzip_bomb,
    jsonstat,
    nested_json,
    redirect,
    reply,
    stream,
)

CT_PATH = "/data/v1/get/C/M/HS"
ES_PATH = "/statistics/1.0/data/DS-045409"
KEY = "sk-HOSTILE-5e6f7a8b9c0d"
POLICY = RetryPolicy(max_retries=1, backoff_base=0.01, jitter=0.0, timeout=(2.0, 2.0))
TESTS = Path(__file__).resolve().parent


class DictStore:
    def __init__(self) -> None:
        self.data: dict[str, bytes] = {}
        self.meta: dict[str, dict] = {}

    def get(self, key: str) -> bytes | None:
        return self.data.get(key)

    def put(self, key: str, body: bytes, meta) -> None:
        self.data[key], self.meta[key] = body, dict(meta)


@pytest.fixture
def server():
    with FaultServer() as srv:
        yield srv
        assert srv.unexpected == [], f"unrecorded requests: {srv.unexpected}"


@pytest.fixture
def other():
    with FaultServer() as srv:
        yield srv


def ct_query() -> ct.ComtradeQuery:
    return ct.comtrade_query(56, 643, "080830", flow="export", start="2014-01", end="2014-01")


def ct_body(query: list) -> bytes:
    return comtrade_from_query(query, lambda *a: 5.0)


def ct_fetch(base: str, key: str = KEY, **kw):
    options = dict(api_key=key, base_url=base, policy=POLICY, progress=False)
    return ct.fetch(ct_query(), **{**options, **kw})


def es_query() -> es.EurostatQuery:
    return es.comext_query("BE", "RU", "080830", flow="export", start="2014-01",
                           end="2014-02", indicators=["VALUE_IN_EUROS"])  # fmt: skip


# ----------------------------------------------------------------------------- redirects


def test_cross_host_redirect_drops_the_key(server, other) -> None:
    # the other server is a different origin (another port) and must never see the key
    other.responder = lambda path, q: reply(200, ct_body(q))
    server.responder = lambda path, q: redirect(f"{other.url}{path}?{_qs(q)}")
    store = DictStore()
    result = ct_fetch(server.url, store=store)
    assert result.frame["value"].tolist() == [5.0]
    assert server.seen[0].headers.get("Ocp-Apim-Subscription-Key") == KEY
    assert all("Ocp-Apim-Subscription-Key" not in s.headers for s in other.seen)
    assert any(u.startswith(other.url) for u in result.provenance.urls)  # final URL recorded
    assert KEY not in json.dumps([store.meta, result.provenance.to_dict()])


def test_same_host_redirect_keeps_the_key(server) -> None:
    server.script(CT_PATH, redirect("/moved"))
    server.responder = lambda path, q: reply(200, ct_body(dict(server.seen[0].query).items()))
    result = ct_fetch(server.url)
    assert result.frame["value"].tolist() == [5.0]
    assert server.seen[1].path == "/moved"
    assert server.seen[1].headers.get("Ocp-Apim-Subscription-Key") == KEY


def test_redirect_loop_is_a_named_error(server) -> None:
    server.responder = lambda path, q: redirect(path)
    with pytest.raises(RedirectError, match="more than 5 redirects"):
        ct_fetch(server.url, policy=RetryPolicy(max_retries=0))


def _qs(query: list) -> str:
    from urllib.parse import urlencode

    return urlencode(query, safe=",")


# ----------------------------------------------------------------------------- the key


def test_error_body_echoing_headers_is_redacted_and_capped(server) -> None:
    server.script(CT_PATH, echo(401))
    with pytest.raises(AuthenticationError) as info:
        ct_fetch(server.url)
    text = str(info.value)
    assert KEY not in text and "Access denied" in text and "REDACTED" in text
    assert len(info.value.message) <= 300


def test_echo_with_long_body_redacted(server) -> None:
    server.script(CT_PATH, reply(401, {"message": f"bad key {KEY} " + "x" * 5000}))
    with pytest.raises(AuthenticationError) as info:
        ct_fetch(server.url)
    assert KEY not in str(info.value) and "REDACTED" in str(info.value)
    assert len(info.value.message) <= 300


@pytest.mark.parametrize("key", [KEY + "\n", " " + KEY, KEY + "\r\n", "\t" + KEY + " "])
def test_key_with_surrounding_whitespace_is_stripped(server, key) -> None:
    server.responder = lambda path, q: reply(200, ct_body(q))
    assert ct_fetch(server.url, key=key).frame["value"].tolist() == [5.0]
    assert server.seen[-1].headers["Ocp-Apim-Subscription-Key"] == KEY


@pytest.mark.parametrize(
    "key", [KEY + "\r\nX-Evil: 1", "sk-HOSTILE 5e6f7a8b", "sk-HOSTILE\x005e6f", "sk-HÖSTILE-5e6f7"]
)
def test_malformed_key_is_refused_without_repeating_it(server, key) -> None:
    with pytest.raises(InvalidQueryError, match="malformed") as info:
        ct_fetch(server.url, key=key)
    assert key.strip() not in str(info.value) and "sk-H" not in str(info.value)
    assert server.seen == []


def test_malformed_key_from_environment(server, monkeypatch) -> None:
    monkeypatch.setenv("COMTRADE_API_KEY", "abc\ndef")
    with pytest.raises(InvalidQueryError, match="COMTRADE_API_KEY") as info:
        ct.fetch(ct_query(), base_url=server.url, policy=POLICY, progress=False)
    assert "abc" not in str(info.value)


# ----------------------------------------------------------------------------- URL overrides


def test_credentials_in_base_url_never_stored(server) -> None:
    server.responder = lambda path, q: reply(200, ct_body(q))
    store = DictStore()
    base = server.url.replace("http://", "http://alice:s3cret-pw@")
    result = ct_fetch(base, store=store)
    assert result.frame["value"].tolist() == [5.0]
    assert server.seen[0].headers.get("Authorization", "").startswith("Basic ")
    shown = json.dumps([store.meta, result.provenance.to_dict()])
    assert "s3cret-pw" not in shown and "alice" not in shown
    assert result.provenance.urls[0].startswith(server.url)


@pytest.mark.parametrize("base", ["file:///etc", "ftp://127.0.0.1/x", "127.0.0.1:8080", "https://"])
def test_unsupported_schemes_are_named_errors(base) -> None:
    with pytest.raises(InvalidQueryError, match="is not allowed"):
        es.build_request(es_query(), base_url=base)
    with pytest.raises(InvalidQueryError):
        ct_fetch(base)


def test_plain_http_warns_and_refuses_the_key() -> None:
    with pytest.warns(InsecureTransportWarning, match="plain http"):
        es.build_request(es_query(), base_url="http://mirror.example.org")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InsecureTransportWarning)
        with pytest.raises(InvalidQueryError, match="unencrypted") as info:
            ct_fetch("http://mirror.example.org")
    assert KEY not in str(info.value)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # loopback http: no warning
        es.build_request(es_query(), base_url="http://127.0.0.1:9")


# ----------------------------------------------------------------------------- hangs


def test_one_byte_per_interval_hits_the_total_deadline(server) -> None:
    server.script(CT_PATH, drip(b" " * 400, 0.05))  # would take 20 s
    policy = RetryPolicy(max_retries=0, timeout=(2.0, 1.0), deadline=0.6)
    started = time.monotonic()
    with pytest.raises(RequestTimeoutError, match=r"total deadline of 0\.6 s"):
        ct_fetch(server.url, policy=policy)
    assert time.monotonic() - started < 5.0


def test_headers_one_byte_per_interval_hit_the_total_deadline(server) -> None:
    # about 80 header bytes at 0.05 s each: 4 s, every read well inside the 1 s read timeout
    server.script(CT_PATH, drip_headers(b"{}", 0.05))
    policy = RetryPolicy(max_retries=0, timeout=(2.0, 1.0), deadline=0.6)
    started = time.monotonic()
    with pytest.raises(RequestTimeoutError, match=r"total deadline of 0\.6 s"):
        ct_fetch(server.url, policy=policy)
    assert time.monotonic() - started < 2.0


def test_header_drip_on_eurostat_hits_the_total_deadline(server) -> None:
    server.script(ES_PATH, drip_headers(b"{}", 0.05))
    policy = RetryPolicy(max_retries=0, timeout=(2.0, 1.0), deadline=0.5)
    started = time.monotonic()
    with pytest.raises(RequestTimeoutError, match=r"total deadline of 0\.5 s"):
        es.fetch(es_query(), base_url=server.url, policy=policy, progress=False)
    assert time.monotonic() - started < 2.0


def test_slow_headers_within_the_deadline_still_succeed(server) -> None:
    # the watchdog must not cut a reply that completes in time
    server.responder = lambda path, q: drip_headers(ct_body(q), 0.002)
    policy = RetryPolicy(max_retries=0, timeout=(2.0, 2.0), deadline=3.0)
    assert ct_fetch(server.url, policy=policy).frame["value"].tolist() == [5.0]


def test_default_deadline_is_a_multiple_of_the_read_timeout() -> None:
    assert RetryPolicy(timeout=(10.0, 120.0)).total_deadline() == 360.0
    assert RetryPolicy(deadline=5.0).total_deadline() == 5.0


def test_refused_connection_fails_at_once() -> None:
    with socket.socket() as sock:  # a port with no listener
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    waits: list[float] = []
    policy = RetryPolicy(max_retries=3, backoff_base=1.0)
    with pytest.raises(ConnectionFailedError, match="connection refused") as info:
        ct_fetch(f"http://127.0.0.1:{port}", policy=policy, sleep=waits.append)
    assert waits == [] and info.value.retried is False


def test_unknown_host_fails_at_once() -> None:
    # '.invalid' is reserved (RFC 2606): the name lookup fails, and retrying cannot help
    waits: list[float] = []
    policy = RetryPolicy(max_retries=3, backoff_base=1.0, timeout=(5.0, 5.0))
    with pytest.raises(ConnectionFailedError, match="host name lookup failed") as info:
        ct_fetch("https://no-such-host.invalid", policy=policy, sleep=waits.append)
    assert waits == [] and info.value.retried is False


def test_retry_after_nan_is_ignored(server) -> None:
    assert parse_retry_after("nan") is None and parse_retry_after("inf") is None
    server.script(CT_PATH, reply(429, {"message": "slow"}, Retry_After="nan"))
    server.responder = lambda path, q: reply(200, ct_body(q))
    waits: list[float] = []
    assert ct_fetch(server.url, sleep=waits.append).frame["value"].tolist() == [5.0]
    assert waits == [0.01]


# ----------------------------------------------------------------------------- size caps


def _send(server: FaultServer, policy: RetryPolicy) -> bytes:
    request = PlannedRequest(f"{server.url}/big", (), "eurostat")
    return Transport(policy=policy).send(request).body


def test_announced_huge_body_refused_before_reading(server) -> None:
    server.script("/big", stream(400 * 1024 * 1024))
    with pytest.raises(ResponseTooLargeError, match="announced 419,430,400 bytes"):
        _send(server, RetryPolicy(max_retries=0, max_bytes=1024 * 1024))


def test_streamed_body_stops_at_the_cap(server) -> None:
    server.script("/big", stream(64 * 1024 * 1024, announce=False))
    with pytest.raises(ResponseTooLargeError, match="passed max_bytes=1,048,576"):
        _send(server, RetryPolicy(max_retries=0, max_bytes=1024 * 1024))


@pytest.mark.parametrize("encoded", [False, True])
def test_gzip_bomb_stops_at_the_cap(server, encoded) -> None:
    bomb = gzip_bomb(64 * 1024 * 1024)
    headers = {"Content_Encoding": "gzip"} if encoded else {}
    server.script("/big", reply(200, bomb, **headers))
    policy = RetryPolicy(max_retries=0, max_bytes=4 << 20, max_decoded_bytes=4 << 20)
    with pytest.raises(ResponseTooLargeError, match=r"1,048,576|4,194,304"):
        _send(server, policy)


_CHILD = textwrap.dedent(
    """
    import json, resource, sys
    from belru_trade.fetchers.errors import ResponseTooLargeError
    from belru_trade.fetchers.http import RetryPolicy, Transport
    from belru_trade.fetchers.result import PlannedRequest
    cap = 16 * 1024 * 1024
    policy = RetryPolicy(max_retries=0, max_bytes=cap, max_decoded_bytes=cap)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    try:
        Transport(policy=policy).send(PlannedRequest(sys.argv[1], (), "eurostat"))
        outcome = "no error"
    except ResponseTooLargeError as exc:
        outcome = f"ResponseTooLargeError: {exc}"
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"before_kb": before, "peak_kb": after, "outcome": outcome}))
    """
)


def peak_memory(url: str) -> dict:
    """Run one capped fetch in a fresh interpreter; return its peak RSS before and after."""
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, url], capture_output=True, text=True, timeout=120,
        cwd=TESTS.parent,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.parametrize("case", ["huge body", "gzip bomb", "gzip bomb (Content-Encoding)"])
def test_peak_memory_stays_bounded(server, case) -> None:
    # 400 MB streamed without a Content-Length, or 512 MiB of zeros gzipped to about 0.5 MB;
    # the cap is 16 MiB, so the child must stop reading well before its memory grows
    if case == "huge body":
        server.script("/big", stream(400 * 1024 * 1024, announce=False))
    else:
        headers = {"Content_Encoding": "gzip"} if "Encoding" in case else {}
        server.script("/big", reply(200, gzip_bomb(512 * 1024 * 1024), **headers))
    measured = peak_memory(f"{server.url}/big")
    assert measured["outcome"].startswith("ResponseTooLargeError")
    grown_mb = (measured["peak_kb"] - measured["before_kb"]) / 1024
    print(f"{case}: peak RSS {measured['peak_kb'] / 1024:.0f} MB, grew {grown_mb:.0f} MB")
    assert grown_mb < 100, measured


# ----------------------------------------------------------------------------- bad bodies


def test_deeply_nested_json_is_a_format_error(server) -> None:
    server.script(ES_PATH, reply(200, nested_json(100_000)))
    store = DictStore()
    with pytest.raises(ResponseFormatError, match="nested too deeply"):
        es.fetch(es_query(), base_url=server.url, policy=POLICY, store=store, progress=False)
    server.script(CT_PATH, reply(200, nested_json(100_000)))
    with pytest.raises(ResponseFormatError, match="nested too deeply"):
        ct_fetch(server.url, store=store)
    assert store.data == {}


def _jsonstat_answer(query: list, mutate) -> bytes:
    get = lambda name: [v for k, v in query if k == name]  # noqa: E731
    dims = {d: get(d) for d in ("freq", "reporter", "partner", "product", "flow", "indicators")}
    dims["time"] = ["2014-01", "2014-02"]
    data = json.loads(jsonstat(dims, lambda cell: 10.0))
    mutate(data)
    return json.dumps(data).encode()


def _strings(data: dict) -> None:
    data["value"] = {k: str(v) for k, v in data["value"].items()}


def _index_out_of_range(data: dict) -> None:
    data["dimension"]["time"]["category"]["index"] = {"2014-01": 0, "2014-02": 7}


def _negative_index(data: dict) -> None:
    data["dimension"]["time"]["category"]["index"] = {"2014-01": -1, "2014-02": 1}


def _duplicate_index(data: dict) -> None:
    data["dimension"]["time"]["category"]["index"] = {"2014-01": 1, "2014-02": 1}


def _value_key_out_of_range(data: dict) -> None:
    data["value"]["99"] = 1.0


@pytest.mark.parametrize(
    "mutate",
    [_strings, _index_out_of_range, _negative_index, _duplicate_index, _value_key_out_of_range],
)
def test_bad_jsonstat_is_refused_and_never_stored(server, mutate) -> None:
    server.responder = lambda path, q: reply(200, _jsonstat_answer(q, mutate))
    store = DictStore()
    with pytest.raises(ResponseFormatError, match="JSON-stat"):
        es.fetch(es_query(), base_url=server.url, policy=POLICY, store=store, progress=False)
    assert store.data == {}
    # the same server, once sane, is fetched again (nothing bad was replayed)
    server.responder = lambda path, q: reply(200, _jsonstat_answer(q, lambda d: None))
    result = es.fetch(es_query(), base_url=server.url, policy=POLICY, store=store,
                      progress=False)  # fmt: skip
    assert result.frame["value"].tolist() == [10.0, 10.0] and len(store.data) == 1
