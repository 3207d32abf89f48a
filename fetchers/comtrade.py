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
import math
import os
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Any

import pandas as pd
import requests

from .comtrade_parse import parse_data
from .errors import (
    FetchError,
    InvalidQueryError,
    PreviewCapWarning,
    TruncatedResponseError,
)
from .http import RetryPolicy, Runner, Transport, resolve_base_url
from .result import FetchResult, PlannedRequest, Provenance, ResponseStore

__all__ = [
    "KEY_RECORD_CAP",
    "MAX_PERIODS",
    "PREVIEW_RECORD_CAP",
    "ComtradeQuery",
    "build_request",
    "chunk_sizes",
    "comtrade_query",
    "fetch",
]

logger = logging.getLogger("belru_trade.fetchers.comtrade")

COMTRADE_URL = "https://comtradeapi.un.org"
PREVIEW_RECORD_CAP = 500
KEY_RECORD_CAP = 100_000  # free key; premium plans allow 250,000 (pass record_cap)
MAX_PERIODS = 12
MAX_URL = 4000
_KEY_HEADER = "Ocp-Apim-Subscription-Key"
_FLOWS = {"import": ("M",), "export": ("X",), "both": ("M", "X")}
_PRODUCT = re.compile(r"^(TOTAL|\d{2}|\d{4}|\d{6})$")
_PERIOD = {"A": re.compile(r"^\d{4}$"), "M": re.compile(r"^\d{4}-?(0[1-9]|1[0-2])$")}
# reporter codes valid only on part of the calendar (Comtrade Reporters.json)
_VALIDITY = {
    56: (1999, 9999, "58 (Belgium-Luxembourg) before 1999"),
    58: (0, 1998, "56 (Belgium) from 1999"),
}


@dataclass(frozen=True)
class ComtradeQuery:
    """A validated Comtrade query (codes are Comtrade numeric codes)."""

    reporters: tuple[int, ...]
    partners: tuple[int, ...]
    products: tuple[str, ...]
    flows: tuple[str, ...]
    periods: tuple[str, ...]
    freq: str = "M"
    type_code: str = "C"
    classification: str = "HS"
    partner2: int = 0
    customs: str = "C00"
    mot: int = 0

    def records_bound(self) -> int:
        """Most records one request for this query can return (one per combination)."""
        return math.prod(
            len(x) for x in (self.reporters, self.partners, self.products, self.flows, self.periods)
        )

    def as_dict(self) -> dict[str, Any]:
        """Plain dict (for provenance)."""
        return {
            "reporters": list(self.reporters),
            "partners": list(self.partners),
            "products": list(self.products),
            "flows": list(self.flows),
            "periods": [self.periods[0], self.periods[-1]] if self.periods else [],
            "n_periods": len(self.periods),
            "freq": self.freq,
            "type_code": self.type_code,
            "classification": self.classification,
            "partner2": self.partner2,
            "customs": self.customs,
            "mot": self.mot,
        }


def _codes(name: str, value: Any, *, allow_world: bool) -> tuple[int, ...]:
    items = list(value) if isinstance(value, list | tuple) else [value]
    if not items:
        raise InvalidQueryError(f"{name}={value!r} is empty; give at least one code")
    out = []
    for item in items:
        text = str(item).strip() if isinstance(item, str | int) else ""
        if isinstance(item, bool) or not text.isdigit() or not 0 <= int(text) <= 999:
            raise InvalidQueryError(
                f"{name}={item!r} is not allowed; expected a Comtrade numeric code 0-999 "
                "(e.g. Belgium 56, Russia 643, Belarus 112, Lithuania 440)"
            )
        if int(text) == 0 and not allow_world:
            raise InvalidQueryError(f"{name}=0 (World) is not a reporter")
        out.append(int(text))
    return tuple(dict.fromkeys(out))


def _products(value: Any) -> tuple[str, ...]:
    items = list(value) if isinstance(value, list | tuple) else [value]
    if not items:
        raise InvalidQueryError(f"product={value!r} is empty; give at least one code")
    for item in items:
        if not isinstance(item, str) or not _PRODUCT.match(item.strip().upper()):
            raise InvalidQueryError(
                f"product={item!r} is not allowed; expected 'TOTAL' or an HS code string of "
                "2, 4 or 6 digits (leading zeros kept)"
            )
    return tuple(dict.fromkeys(i.strip().upper() for i in items))


def _period_list(freq: str, start: Any, end: Any) -> tuple[str, ...]:
    shape = "'YYYY'" if freq == "A" else "'YYYY-MM' or 'YYYYMM'"
    texts = []
    for name, value in (("start", start), ("end", end)):
        text = str(value).strip() if isinstance(value, str | int) and value is not True else ""
        if isinstance(value, bool) or not _PERIOD[freq].match(text):
            raise InvalidQueryError(
                f"{name}={value!r} is not allowed for freq={freq!r}; expected {shape}"
            )
        texts.append(text.replace("-", ""))
    pandas_freq = "Y" if freq == "A" else "M"
    if min(int(t[:4]) for t in texts) < 1900:
        raise InvalidQueryError(f"start={start!r} is before 1900; Comtrade starts in 1962")
    first, last = (pd.Period(f"{t[:4]}-{t[4:]}" if len(t) == 6 else t, pandas_freq) for t in texts)
    if first > last:
        raise InvalidQueryError(f"start={start!r} is after end={end!r}")
    fmt = "%Y" if freq == "A" else "%Y%m"
    return tuple(p.strftime(fmt) for p in pd.period_range(first, last, freq=pandas_freq))


def _check_validity(reporters: tuple[int, ...], periods: tuple[str, ...]) -> None:
    first, last = int(periods[0][:4]), int(periods[-1][:4])
    for code in reporters:
        if code in _VALIDITY:
            low, high, hint = _VALIDITY[code]
            if first < low or last > high:
                span = f"{low or '...'}-{high if high < 9999 else '...'}"
                raise InvalidQueryError(
                    f"reporter={code} is valid only for {span}; periods "
                    f"{periods[0]}-{periods[-1]} need {hint}"
                )


def comtrade_query(
    reporter: int | str | Sequence[int | str],
    partner: int | str | Sequence[int | str],
    product: str | Sequence[str],
    *,
    flow: str = "both",
    freq: str = "M",
    start: str | int,
    end: str | int,
    type_code: str = "C",
    classification: str = "HS",
) -> ComtradeQuery:
    """Validate a Comtrade goods query.

    Parameters
    ----------
    reporter, partner : int, str or list
        Comtrade numeric codes (Belgium 56 from 1999, 58 Belgium-Luxembourg up to 1998;
        Russia 643; Belarus 112; Lithuania 440; partner 0 = World).
    product : str or list of str
        ``TOTAL`` or HS codes of 2, 4 or 6 digits, as strings.
    flow : {'import', 'export', 'both'}
    freq : {'M', 'A'}
    start, end : str or int
        ``YYYY`` (annual) or ``YYYY-MM`` / ``YYYYMM`` (monthly), inclusive.
    type_code : {'C'}
        Goods (services use other classifications and are not supported here).
    classification : {'HS'}
        HS as reported (the API no longer lets one choose the HS revision).

    Raises
    ------
    InvalidQueryError
        Naming the argument, the value and what is allowed.
    """
    for name, value, allowed in (
        ("freq", freq, ("M", "A")),
        ("flow", flow, tuple(_FLOWS)),
        ("type_code", type_code, ("C",)),
        ("classification", classification, ("HS",)),
    ):
        if not isinstance(value, str) or value not in allowed:
            raise InvalidQueryError(f"{name}={value!r} is not allowed; expected one of {allowed}")
    reporters = _codes("reporter", reporter, allow_world=False)
    partners = _codes("partner", partner, allow_world=True)
    products = _products(product)
    periods = _period_list(freq, start, end)
    _check_validity(reporters, periods)
    return ComtradeQuery(reporters, partners, products, _FLOWS[flow], periods, freq)


def _url_length(rep: int, par: int, prod: int, per: int, width: int) -> int:
    return 400 + 4 * rep + 4 * par + (width + 1) * prod + 7 * per


def chunk_sizes(
    query: ComtradeQuery, *, record_cap: int, max_periods: int = MAX_PERIODS
) -> tuple[int, int, int, int]:
    """Chunk sizes (reporters, partners, products, periods) giving the fewest requests.

    Each request must have at most ``max_periods`` periods, a records bound (product of the
    sizes times the number of flows) at most ``record_cap`` and a URL under 4,000
    characters. Ties are broken by the smallest records bound per request.
    """
    n_rep, n_par = len(query.reporters), len(query.partners)
    n_prod, n_per, flows = len(query.products), len(query.periods), len(query.flows)
    width = max(len(p) for p in query.products)
    best: tuple[int, int, tuple[int, int, int, int]] | None = None
    for per in range(1, min(max_periods, n_per) + 1):
        for par in range(1, n_par + 1):
            for rep in range(1, n_rep + 1):
                prod = min(n_prod, record_cap // (per * par * rep * flows))
                while prod and _url_length(rep, par, prod, per, width) > MAX_URL:
                    prod -= 1
                if prod == 0:
                    break
                calls = (
                    math.ceil(n_per / per) * math.ceil(n_par / par) * math.ceil(n_rep / rep)
                ) * math.ceil(n_prod / prod)
                bound = per * par * rep * flows * prod
                if best is None or (calls, bound) < best[:2]:
                    best = (calls, bound, (rep, par, prod, per))
    if best is None:
        raise InvalidQueryError(f"record_cap={record_cap} is too small for {flows} flow(s)")
    return best[2]


def _parts(items: tuple[Any, ...], size: int) -> list[tuple[Any, ...]]:
    count = math.ceil(len(items) / size)
    base, extra = divmod(len(items), count)
    out, at = [], 0
    for i in range(count):
        step = base + (1 if i < extra else 0)
        out.append(items[at : at + step])
        at += step
    return out


def chunks(query: ComtradeQuery, *, record_cap: int, max_periods: int = MAX_PERIODS):
    """Sub-queries covering ``query`` with the sizes of :func:`chunk_sizes`."""
    rep, par, prod, per = chunk_sizes(query, record_cap=record_cap, max_periods=max_periods)
    return [
        replace(query, reporters=r, partners=p, products=c, periods=t)
        for r in _parts(query.reporters, rep)
        for p in _parts(query.partners, par)
        for c in _parts(query.products, prod)
        for t in _parts(query.periods, per)
    ]


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
    key = api_key if api_key is not None else os.environ.get("COMTRADE_API_KEY")
    preview = not key
    cap = record_cap or (PREVIEW_RECORD_CAP if preview else KEY_RECORD_CAP)
    base = resolve_base_url(base_url, "BELRU_TRADE_COMTRADE_URL", COMTRADE_URL)
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


def _result(query, frames, notes, runner: Runner, preview: bool) -> FetchResult:
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
