"""UN Comtrade API v1 client (``data/v1/get/{type}/{freq}/{cl}``).

Four stages: :func:`comtrade_query` validates (numeric Comtrade/M49 codes, HS codes, periods
in the format of the frequency: the wrong one returns an empty result, not an error);
:func:`build_request` (pure) chunks the query to the fewest requests that respect the
12-period limit, the record cap and the URL length; :func:`fetch` performs them (the only
network step); :func:`belru_trade.fetchers.comtrade_parse.parse_data` is pure.

The subscription key comes from the ``api_key`` argument or, read once in :func:`fetch`, the
``COMTRADE_API_KEY`` environment variable; it is sent only as the
``Ocp-Apim-Subscription-Key`` header (never in a URL, log, error or store). Without a key
the public preview endpoint is used, capped at 500 records per call.

Headline defaults: ``partner2Code=0``, ``customsCode=C00``, ``motCode=0`` (otherwise one row
per customs procedure and mode of transport).

Examples
--------
>>> q = comtrade_query(56, 643, ["080830"], flow="export", freq="M",
...                    start="2014-01", end="2014-12")
>>> [r.full_url for r in build_request(q, preview=False, base_url="https://x")]
...  # doctest: +NORMALIZE_WHITESPACE
['https://x/data/v1/get/C/M/HS?reporterCode=56&partnerCode=643&partner2Code=0&cmdCode=080830&flowCode=X&period=201401,201402,201403,201404,201405,201406,201407,201408,201409,201410,201411,201412&customsCode=C00&motCode=0&maxRecords=100000']

References
----------
UN Comtrade, "UN Comtrade API", https://uncomtrade.org/docs/un-comtrade-api ;
``uncomtrade/comtradeapicall`` README (limits: 500 records in preview, 250K per call).
"""

from __future__ import annotations

import logging
import os
import re
import warnings
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

import pandas as pd
import requests

from .comtrade_parse import parse_data
from .comtrade_query import (
    KEY_RECORD_CAP,
    MAX_PERIODS,
    PREVIEW_RECORD_CAP,
    ComtradeQuery,
    chunk_sizes,
    chunks,
    comtrade_query,
)
from .errors import (
    FetchError,
    InvalidQueryError,
    PreviewCapWarning,
    TruncatedResponseError,
)
from .http import RetryPolicy, Runner, Transport, is_loopback, resolve_base_url
from .result import FetchResult, PlannedRequest, Provenance, ResponseStore, redact_url

__all__ = [
    "KEY_RECORD_CAP",
    "MAX_PERIODS",
    "PREVIEW_RECORD_CAP",
    "ComtradeQuery",
    "build_request",
    "check_key",
    "chunk_sizes",
    "comtrade_query",
    "fetch",
]

logger = logging.getLogger("belru_trade.fetchers.comtrade")

COMTRADE_URL = "https://comtradeapi.un.org"
_KEY_HEADER = "Ocp-Apim-Subscription-Key"


def _request(query: ComtradeQuery, base: str, preview: bool, record_cap: int) -> PlannedRequest:
    family = "public/v1/preview" if preview else "data/v1/get"
    url = f"{base}/{family}/{query.type_code}/{query.freq}/{query.classification}"
    params = (
        ("reporterCode", ",".join(map(str, query.reporters))),
        ("partnerCode", ",".join(map(str, query.partners))),
        ("partner2Code", str(query.partner2)),
        ("cmdCode", ",".join(query.products)),
        ("flowCode", ",".join(query.flows)),
        ("period", ",".join(query.periods)),
        ("customsCode", query.customs),
        ("motCode", str(query.mot)),
        ("maxRecords", str(record_cap)),
    )
    label = f"{query.periods[0]}-{query.periods[-1]} x{len(query.products)} products"
    return PlannedRequest(url, params, "comtrade", label, query.records_bound())


def build_request(
    query: ComtradeQuery,
    *,
    preview: bool,
    base_url: str | None = None,
    record_cap: int | None = None,
    max_periods: int = MAX_PERIODS,
) -> list[PlannedRequest]:
    """Return the fewest requests covering ``query`` (pure; no network).

    Parameters
    ----------
    query : ComtradeQuery
    preview : bool
        True for the keyless preview endpoint (500-record cap).
    base_url : str, optional
        Else ``BELRU_TRADE_COMTRADE_URL``, else ``https://comtradeapi.un.org``.
    record_cap : int, optional
        Records per call (default 500 in preview, 100,000 with a key).
    max_periods : int
        Periods per call (12).
    """
    cap = record_cap or (PREVIEW_RECORD_CAP if preview else KEY_RECORD_CAP)
    base = resolve_base_url(base_url, "BELRU_TRADE_COMTRADE_URL", COMTRADE_URL)
    return [
        _request(part, base, preview, cap)
        for part in chunks(query, record_cap=cap, max_periods=max_periods)
    ]


def _halve(query: ComtradeQuery) -> list[ComtradeQuery]:
    for name in ("periods", "products", "partners", "reporters"):
        items = getattr(query, name)
        if len(items) > 1:
            half = (len(items) + 1) // 2
            first, second = items[:half], items[half:]
            return [replace(query, **{name: first}), replace(query, **{name: second})]
    return []


class _AtCapError(FetchError):
    """Internal: a complete body at the record cap (may be truncated; never stored)."""

    def __init__(self, frame: pd.DataFrame, count: int) -> None:
        super().__init__(f"{len(frame)} records at the cap")
        self.frame = frame
        self.count = count


def _complete(frame: pd.DataFrame, count: int, part: ComtradeQuery) -> bool:
    """True when a reply at the cap provably holds everything: one row per combination."""
    if count != len(frame) or len(frame) != part.records_bound():
        return False
    flows = {"M": "import", "X": "export"}
    keys = frame[["reporter_code", "partner_code", "product", "flow", "period"]]
    combos = set(map(tuple, keys.astype(str).to_numpy()))
    periods = [f"{t[:4]}-{t[4:]}" if len(t) == 6 else t for t in part.periods]
    expected = {
        (str(r), str(p), c, flows[f], t)
        for r in part.reporters
        for p in part.partners
        for c in part.products
        for f in part.flows
        for t in periods
    }
    return combos == expected


class _Validator:
    """Parse each body once; raise :class:`_AtCapError` for a reply that may be truncated."""

    def __init__(self, cap: int, part: ComtradeQuery) -> None:
        self.cap, self.part = cap, part
        self.body: bytes | None = None
        self.frame: pd.DataFrame | None = None

    def __call__(self, body: bytes) -> None:
        frame, count = parse_data(body)
        if count > len(frame) or (
            len(frame) >= self.cap and not _complete(frame, count, self.part)
        ):
            raise _AtCapError(frame, count)
        self.body, self.frame = body, frame

    def result(self, body: bytes) -> pd.DataFrame:
        if self.frame is not None and self.body is body:
            return self.frame
        return parse_data(body)[0]


_KEY_CHARS = re.compile(r"^[\x21-\x7e]{1,256}$")


def check_key(key: str | None) -> str:
    """Return the subscription key stripped of surrounding whitespace ('' for none).

    A key that still holds a space, a control character (CR, LF, tab) or a non-ASCII
    character cannot travel in an HTTP header: :class:`InvalidQueryError` is raised, and its
    message never repeats the key.

    >>> check_key("  abc123\\n"), check_key(None)
    ('abc123', '')
    """
    if key is None:
        return ""
    if not isinstance(key, str):
        raise InvalidQueryError(f"api_key must be a string, not {type(key).__name__}")
    stripped = key.strip()
    if stripped and not _KEY_CHARS.match(stripped):
        raise InvalidQueryError(
            f"api_key (COMTRADE_API_KEY) is malformed: {len(stripped)} characters including a "
            "space, control or non-ASCII character; expected printable ASCII only (the key "
            "is not shown)"
        )
    return stripped


def _check_transport(base: str, key: str) -> None:
    parts = urlsplit(base)
    if key and parts.scheme != "https" and not is_loopback(parts.hostname):
        raise InvalidQueryError(
            f"base_url={redact_url(base)!r} is plain http: the Comtrade key would travel "
            "unencrypted; use https (http is allowed only for a loopback host)"
        )


def fetch(
    query: ComtradeQuery,
    *,
    api_key: str | None = None,
    session: requests.Session | None = None,
    base_url: str | None = None,
    policy: RetryPolicy | None = None,
    store: ResponseStore | None = None,
    offline: bool = False,
    progress: bool = True,
    dry_run: bool = False,
    record_cap: int | None = None,
    max_periods: int = MAX_PERIODS,
    sleep: Any = None,
) -> FetchResult | list[PlannedRequest]:
    """Perform ``query`` and return a :class:`~belru_trade.fetchers.result.FetchResult`.

    Parameters
    ----------
    query : ComtradeQuery
    api_key : str, optional
        Subscription key; else ``COMTRADE_API_KEY``; else the keyless preview endpoint
        (a :class:`~belru_trade.fetchers.errors.PreviewCapWarning` is issued when a result may be
        truncated).
    session, base_url, policy, store, offline, progress, dry_run, sleep
        As in :func:`belru_trade.fetchers.eurostat.fetch`.
    record_cap : int, optional
        Records per call (500 in preview, 100,000 with a key; 250,000 on premium plans).
    max_periods : int
        Periods per call (12).

    Returns
    -------
    FetchResult or list of PlannedRequest
        Frame columns: :data:`belru_trade.fetchers.comtrade_parse.DATA_COLUMNS`.

    Raises
    ------
    TruncatedResponseError
        With a key, a single-combination request still hit the record cap.
    AuthenticationError, RateLimitError, ServerError, RequestTimeoutError,
    ConnectionFailedError, MaintenanceError, NotInStoreError
    """
    key = check_key(api_key if api_key is not None else os.environ.get("COMTRADE_API_KEY"))
    preview = not key
    cap = record_cap or (PREVIEW_RECORD_CAP if preview else KEY_RECORD_CAP)
    base = resolve_base_url(base_url, "BELRU_TRADE_COMTRADE_URL", COMTRADE_URL)
    _check_transport(base, key)
    parts = chunks(query, record_cap=cap, max_periods=max_periods)
    planned = [_request(p, base, preview, cap) for p in parts]
    if dry_run:
        return planned
    transport = Transport(session=session, policy=policy or RetryPolicy())
    if sleep is not None:
        transport.sleep = sleep
    headers = {_KEY_HEADER: key} if key else {}
    runner = Runner(transport, store=store, offline=offline, progress=progress, headers=headers)
    runner.check_offline(planned)
    frames, notes = [], []
    with runner.bar(len(parts), "comtrade") as update:
        while parts:
            part = parts.pop(0)
            try:
                check = _Validator(cap, part)
                body = runner.get(_request(part, base, preview, cap), validate=check)
                frame = check.result(body)
            except _AtCapError as at_cap:
                smaller = _halve(part)
                if smaller:
                    logger.info("%d records at the cap %d: splitting", len(at_cap.frame), cap)
                    parts[:0] = smaller
                    continue
                frame = _unsplittable(at_cap, cap, preview)
                notes.append(f"{len(frame)} records at the preview cap; may be truncated")
            frames.append(frame)
            update(1)
    return _result(query, frames, notes, runner, preview)


def _unsplittable(at_cap: _AtCapError, cap: int, preview: bool) -> pd.DataFrame:
    message = f"a single-combination request returned {len(at_cap.frame)} records (cap {cap})"
    if not preview:
        raise TruncatedResponseError(message)
    warnings.warn(
        f"{message}; the preview result may be truncated (use an API key)",
        PreviewCapWarning,
        stacklevel=3,
    )
    return at_cap.frame


def _result(
    query: ComtradeQuery,
    frames: list[pd.DataFrame],
    notes: list[str],
    runner: Runner,
    preview: bool,
) -> FetchResult:
    non_empty = [f for f in frames if len(f)]
    frame = pd.concat(non_empty, ignore_index=True) if non_empty else frames[0]
    if preview:
        notes = ["keyless preview endpoint (500 records per call)", *notes]
    provenance = Provenance(
        provider="comtrade",
        dataset=f"{query.type_code}/{query.freq}/{query.classification}",
        urls=tuple(runner.urls),
        retrieved=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        last_update=None,
        query=query.as_dict(),
        requests_sent=runner.requests_sent,
        notes=tuple(notes),
    )
    return FetchResult(frame.reset_index(drop=True), provenance)
