"""Eurostat client: Comext (``DS-045409``) and the main dissemination database.

Four stages: :func:`comext_query` / :func:`dataset_query` validate friendly arguments into
an :class:`EurostatQuery`; :func:`build_request` (pure) turns it into
:class:`~belru_trade.fetchers.result.PlannedRequest` objects, splitting queries that exceed the
5,000,000-cell extraction limit or the URL length limit; :func:`fetch` performs them (the
only network step: 413 ``EXTRACTION_TOO_BIG`` replies are split further -- products, then
partners, then periods -- and asynchronous replies are polled with a bounded wait); the
parsers of :mod:`belru_trade.fetchers.eurostat_parse` are pure.

``DS-*`` datasets live on the Comext host, every other code on the main host. Base URLs:
argument ``base_url``, else ``BELRU_TRADE_COMEXT_URL`` / ``BELRU_TRADE_EUROSTAT_URL``, else the
official hosts.

Examples
--------
>>> q = comext_query("BE", "RU", ["080830"], flow="export", freq="M",
...                  start="2013-01", end="2014-12")
>>> [r.full_url for r in build_request(q, base_url="https://x")]  # doctest: +NORMALIZE_WHITESPACE
['https://x/statistics/1.0/data/DS-045409?format=JSON&lang=EN&freq=M&reporter=BE&partner=RU&product=080830&flow=2&indicators=VALUE_IN_EUROS&indicators=QUANTITY_IN_100KG&sinceTimePeriod=2013-01&untilTimePeriod=2014-12']

References
----------
Eurostat, "API Statistics - data query" and "Asynchronous API",
https://wikis.ec.europa.eu/display/EUROSTATHELP/API+Statistics+-+data+query
"""

from __future__ import annotations

import functools
import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Any

import pandas as pd
import requests

from .errors import (
    AsyncTimeoutError,
    ExtractionTooBigError,
    FetchError,
    InvalidQueryError,
)
from .eurostat_parse import (
    async_status,
    async_ticket,
    parse_jsonstat,
    parse_sdmx_csv,
    parse_tsv,
    raise_for_fault,
)
from .eurostat_query import (
    COMEXT_DATASET,
    COMEXT_DIMENSIONS,
    COMEXT_INDICATORS,
    EurostatQuery,
    Format,
    comext_query,
    dataset_query,
)
from .http import Response, RetryPolicy, Runner, Transport, resolve_base_url
from .result import FetchResult, PlannedRequest, Provenance, ResponseStore

__all__ = [
    "COMEXT_DATASET",
    "COMEXT_INDICATORS",
    "EurostatQuery",
    "build_request",
    "comext_query",
    "dataset_query",
    "estimated_cells",
    "fetch",
    "fetch_comext",
    "split_query",
]

logger = logging.getLogger("belru_trade.fetchers.eurostat")

EUROSTAT_URL = "https://ec.europa.eu/eurostat/api/dissemination"
COMEXT_URL = "https://ec.europa.eu/eurostat/api/comext/dissemination"
MAX_CELLS = 5_000_000
MAX_URL = 4000


def _host(query: EurostatQuery, base_url: str | None) -> str:
    if query.dataset.upper().startswith("DS-"):
        return resolve_base_url(base_url, "BELRU_TRADE_COMEXT_URL", COMEXT_URL)
    return resolve_base_url(base_url, "BELRU_TRADE_EUROSTAT_URL", EUROSTAT_URL)


def _periods(query: EurostatQuery) -> int | None:
    if not (query.since and query.until):
        return None
    freq = "M" if len(query.since) == 7 and query.since[4] == "-" else "Y"
    if freq == "Y" and len(query.since) != 4:
        return None
    return pd.Period(query.until, freq).ordinal - pd.Period(query.since, freq).ordinal + 1


def estimated_cells(query: EurostatQuery) -> int:
    """Cells the query addresses (product of filtered positions times periods)."""
    cells = math.prod(len(codes) for _, codes in query.filters)
    return cells * (_periods(query) or 1)


def _one_request(query: EurostatQuery, host: str) -> PlannedRequest:
    label = f"{query.dataset} {estimated_cells(query)} cells"
    if query.fmt == "json":
        params = [("format", "JSON"), ("lang", "EN")]
        params += [(dim, code) for dim, codes in query.filters for code in codes]
        params += [("sinceTimePeriod", query.since)] if query.since else []
        params += [("untilTimePeriod", query.until)] if query.until else []
        url = f"{host}/statistics/1.0/data/{query.dataset}"
        return PlannedRequest(url, tuple(params), "eurostat", label)
    key = ".".join("+".join(query.codes(dim)) for dim in query.dimensions)
    params = [("format", "TSV" if query.fmt == "tsv" else "SDMX-CSV")]
    params += [("startPeriod", query.since)] if query.since else []
    params += [("endPeriod", query.until)] if query.until else []
    url = f"{host}/sdmx/2.1/data/{query.dataset}/{key}"
    return PlannedRequest(url, tuple(params), "eurostat", label)


def split_query(query: EurostatQuery) -> list[EurostatQuery]:
    """Split a query in two: products first, then partners, then periods.

    Returns an empty list when nothing can be split (one code everywhere, one period).
    """
    first = ("product", "partner")
    order = [*first, *(d for d, _ in query.filters if d not in first)]
    for dim in order:
        codes = query.codes(dim)
        if len(codes) > 1 and dim != "freq":
            half = (len(codes) + 1) // 2
            return [query.with_codes(dim, codes[:half]), query.with_codes(dim, codes[half:])]
    count = _periods(query)
    if count and count > 1:
        freq = "M" if len(query.since or "") == 7 else "Y"
        since = pd.Period(query.since, freq)
        middle = since + (count + 1) // 2 - 1
        return [
            replace(query, until=str(middle)),
            replace(query, since=str(middle + 1)),
        ]
    return []


def _fits(query: EurostatQuery, host: str, max_cells: int) -> bool:
    request = _one_request(query, host)
    return estimated_cells(query) <= max_cells and len(request.full_url) <= MAX_URL


def plan(
    query: EurostatQuery, *, base_url: str | None = None, max_cells: int = MAX_CELLS
) -> list[tuple[EurostatQuery, PlannedRequest]]:
    """Sub-queries and their requests after splitting to the cell and URL limits (pure)."""
    host = _host(query, base_url)
    pending, done = [query], []
    while pending:
        current = pending.pop(0)
        parts = [] if _fits(current, host, max_cells) else split_query(current)
        if parts:
            pending[:0] = parts
        else:
            done.append((current, _one_request(current, host)))
    return done


def build_request(
    query: EurostatQuery, *, base_url: str | None = None, max_cells: int = MAX_CELLS
) -> list[PlannedRequest]:
    """Return the requests ``query`` needs (pure; no network).

    Queries above ``max_cells`` (Eurostat's 5,000,000-cell extraction limit) or whose URL
    would exceed 4,000 characters are split here; a 413 reply at run time is split further.
    """
    return [request for _, request in plan(query, base_url=base_url, max_cells=max_cells)]


@dataclass
class _Poller:
    runner: Runner
    host: str
    max_wait: float
    poll_interval: float

    def __call__(self, response: Response, validate: Any = None) -> bytes:
        ticket = async_ticket(response.body[:5000]) if response.body[:1] == b"<" else None
        if ticket is None:
            return response.body
        logger.info("asynchronous reply %s (%s); polling", ticket.key, ticket.status)
        waited, status = 0.0, ticket.status
        status_req = PlannedRequest(f"{self.host}/1.0/async/status/{ticket.key}", (), "eurostat")
        while status != "AVAILABLE":
            if status in ("EXPIRED", "ERROR", "FAILED"):
                raise FetchError(f"asynchronous extraction {ticket.key} ended as {status}")
            if waited >= self.max_wait:
                raise AsyncTimeoutError(
                    f"asynchronous extraction {ticket.key} not ready after {waited:g} s "
                    f"(max_wait={self.max_wait:g}); last status {status}"
                )
            self.runner.transport.sleep(self.poll_interval)
            waited += self.poll_interval
            self.runner.urls.append(status_req.full_url)
            status = async_status(self.runner.transport.send(status_req).body)
        data_req = PlannedRequest(f"{self.host}/1.0/async/data/{ticket.key}", (), "eurostat")
        self.runner.urls.append(data_req.full_url)
        return self.runner.transport.send(data_req, validate=validate).body


def _parse(query: EurostatQuery, body: bytes) -> tuple[pd.DataFrame, str | None, list[str]]:
    if query.fmt == "json":
        frame, meta = parse_jsonstat(body)
        _check_unknown(query, meta.categories, frame)
        notes = [f"{d} without data: {', '.join(c)}" for d, c in meta.no_data.items() if c]
        return frame, meta.updated, notes
    raise_for_fault(body)
    if query.fmt == "tsv":
        return parse_tsv(body), None, []
    frame, stamp = parse_sdmx_csv(body)
    return frame, stamp, []


def _check_unknown(
    query: EurostatQuery, categories: Mapping[str, tuple[str, ...]], frame: pd.DataFrame
) -> None:
    if not categories:
        return
    for dim, codes in query.filters:
        present = set(categories.get(dim, ()))
        missing = [c for c in codes if c.upper() not in present]
        if missing:
            raise InvalidQueryError(
                f"{dim}={missing[0]!r} is unknown to {query.dataset}: Eurostat dropped it "
                f"silently (codes returned for {dim}: {sorted(present)[:10]})"
            )


class _Validator:
    """Parse each complete body once: the parse that validates it is kept for use."""

    def __init__(self, query: EurostatQuery) -> None:
        self.query = query
        self.body: bytes | None = None
        self.parsed: tuple[pd.DataFrame, str | None, list[str]] | None = None

    def __call__(self, body: bytes) -> None:
        if body[:1] == b"<" and async_ticket(body[:5000]) is not None:
            return
        self.parsed, self.body = _parse(self.query, body), body

    def result(self, body: bytes) -> tuple[pd.DataFrame, str | None, list[str]]:
        if self.parsed is not None and self.body is body:
            return self.parsed
        return _parse(self.query, body)


def fetch(
    query: EurostatQuery,
    *,
    session: requests.Session | None = None,
    base_url: str | None = None,
    policy: RetryPolicy | None = None,
    store: ResponseStore | None = None,
    offline: bool = False,
    progress: bool = True,
    dry_run: bool = False,
    max_cells: int = MAX_CELLS,
    max_wait: float = 600.0,
    poll_interval: float = 10.0,
    sleep: Any = None,
) -> FetchResult | list[PlannedRequest]:
    """Perform ``query`` and return a :class:`~belru_trade.fetchers.result.FetchResult`.

    Parameters
    ----------
    query : EurostatQuery
    session : requests.Session, optional
    base_url : str, optional
        Overrides the host (else ``BELRU_TRADE_COMEXT_URL`` / ``BELRU_TRADE_EUROSTAT_URL``).
    policy : RetryPolicy, optional
        Timeouts, retries, backoff and ``Retry-After`` cap.
    store : ResponseStore, optional
        Raw response store (bodies keyed by request).
    offline : bool
        Serve only from ``store``.
    progress : bool
        tqdm bar when more than one request is needed.
    dry_run : bool
        Return the planned requests without sending any.
    max_cells : int
        Pre-split threshold (Eurostat refuses more than 5,000,000 cells).
    max_wait, poll_interval : float
        Bound and interval (seconds) for polling asynchronous replies.
    sleep : callable, optional
        Replaces :func:`time.sleep` (tests).

    Returns
    -------
    FetchResult or list of PlannedRequest
        Frame columns: one per dimension, ``period``, ``value``, ``flag``, ``text``.

    Raises
    ------
    InvalidQueryError
        A requested code is unknown (Eurostat drops it silently; detected here).
    ExtractionTooBigError
        A 413 that cannot be split further.
    AsyncTimeoutError, RateLimitError, ServerError, RequestTimeoutError,
    ConnectionFailedError, MaintenanceError, TruncatedResponseError, NotInStoreError
    """
    planned = plan(query, base_url=base_url, max_cells=max_cells)
    if dry_run:
        return [request for _, request in planned]
    transport = Transport(session=session, policy=policy or RetryPolicy())
    if sleep is not None:
        transport.sleep = sleep
    runner = Runner(transport, store=store, offline=offline, progress=progress)
    runner.check_offline([request for _, request in planned])
    host = _host(query, base_url)
    poller = _Poller(runner, host, max_wait, poll_interval)
    frames, stamps, notes = [], [], []
    pending = [q for q, _ in planned]
    with runner.bar(len(pending), query.dataset) as update:
        while pending:
            current = pending.pop(0)
            request = _one_request(current, host)
            try:
                check = _Validator(current)
                body = runner.get(
                    request, validate=check, resolve=functools.partial(poller, validate=check)
                )
            except ExtractionTooBigError:
                parts = split_query(current)
                if not parts:
                    raise
                logger.info("413 for %s: splitting in %d", request.label, len(parts))
                pending[:0] = parts
                continue
            frame, stamp, more = check.result(body)
            frames.append(frame)
            stamps.append(stamp)
            notes.extend(more)
            update(1)
    return _result(query, frames, stamps, notes, runner)


def _result(
    query: EurostatQuery,
    frames: list[pd.DataFrame],
    stamps: list[str | None],
    notes: list[str],
    runner: Runner,
) -> FetchResult:
    non_empty = [f for f in frames if len(f)]
    frame = pd.concat(non_empty, ignore_index=True) if non_empty else frames[0]
    provenance = Provenance(
        provider="eurostat",
        dataset=query.dataset,
        urls=tuple(runner.urls),
        retrieved=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        last_update=max((s for s in stamps if s), default=None),
        query=query.as_dict(),
        requests_sent=runner.requests_sent,
        notes=tuple(dict.fromkeys(notes)),
    )
    return FetchResult(frame.reset_index(drop=True), provenance)


def fetch_comext(
    reporter: str | Sequence[str],
    partner: str | Sequence[str],
    product: str | Sequence[str],
    *,
    flow: str = "both",
    freq: str = "M",
    start: str | None = None,
    end: str | None = None,
    indicators: Sequence[str] = ("VALUE_IN_EUROS", "QUANTITY_IN_100KG"),
    fmt: Format = "json",
    **options: Any,
) -> FetchResult | list[PlannedRequest]:
    """Validate and fetch a Comext query (see :func:`comext_query` and :func:`fetch`).

    The frame has the columns ``reporter``, ``partner``, ``product``, ``flow``
    (``'import'``/``'export'``), ``indicators``, ``period`` (str), ``value``, ``flag``.
    """
    query = comext_query(
        reporter,
        partner,
        product,
        flow=flow,
        freq=freq,
        start=start,
        end=end,
        indicators=indicators,
        fmt=fmt,
    )
    result = fetch(query, **options)
    if isinstance(result, list):
        return result
    frame = result.frame.copy()
    if "flow" in frame:
        frame["flow"] = frame["flow"].map({"1": "import", "2": "export"}).astype(object)
    columns = [*COMEXT_DIMENSIONS[1:], "period", "value", "flag"]
    frame = frame.reindex(columns=columns)
    return FetchResult(frame, result.provenance)
