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

import logging
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Any, Literal

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
COMEXT_DATASET = "DS-045409"
COMEXT_DIMENSIONS = ("freq", "reporter", "partner", "product", "flow", "indicators")
COMEXT_INDICATORS = ("VALUE_IN_EUROS", "QUANTITY_IN_100KG", "SUPPLEMENTARY_QUANTITY")
MAX_CELLS = 5_000_000
MAX_URL = 4000
_FLOWS = {"import": ("1",), "export": ("2",), "both": ("1", "2")}
_GEO = re.compile(r"^[A-Z][A-Z0-9_]{1,19}$")
_PRODUCT = re.compile(r"^(TOTAL|\d{2}|\d{4}|\d{6}|\d{8})$")
_CODE = re.compile(r"^[A-Za-z0-9_.\-]{1,40}$")
_DATASET = re.compile(r"^(DS-\d{6}|[A-Za-z][A-Za-z0-9_]{1,40})$")
_PERIOD = {"M": re.compile(r"^\d{4}-(0[1-9]|1[0-2])$"), "A": re.compile(r"^\d{4}$")}
_LITERAL = re.compile(r"^\d{4}(-(\d{2}|Q[1-4]|S[12]|W\d{2}))?$")
Format = Literal["json", "tsv", "csv"]


@dataclass(frozen=True)
class EurostatQuery:
    """A validated Eurostat query.

    Attributes
    ----------
    dataset : str
        Dataset code (``DS-045409`` or e.g. ``ert_bil_eur_m``).
    filters : tuple of (str, tuple of str)
        Dimension id -> codes (each code becomes a repeated parameter).
    since, until : str or None
        First and last period (``YYYY-MM`` or ``YYYY``).
    fmt : {'json', 'tsv', 'csv'}
        JSON-stat via the Statistics API, or SDMX 2.1 TSV / SDMX-CSV.
    dimensions : tuple of str
        Dimension ids in key order (needed for the SDMX formats).
    """

    dataset: str
    filters: tuple[tuple[str, tuple[str, ...]], ...]
    since: str | None = None
    until: str | None = None
    fmt: Format = "json"
    dimensions: tuple[str, ...] = ()

    def codes(self, dimension: str) -> tuple[str, ...]:
        """Codes requested for ``dimension`` (empty when unfiltered)."""
        return dict(self.filters).get(dimension, ())

    def with_codes(self, dimension: str, codes: Sequence[str]) -> EurostatQuery:
        """Copy with ``dimension`` restricted to ``codes``."""
        filters = tuple((d, tuple(codes) if d == dimension else c) for d, c in self.filters)
        return replace(self, filters=filters)

    def as_dict(self) -> dict[str, Any]:
        """Plain dict (for provenance)."""
        return {
            "dataset": self.dataset,
            "filters": {d: list(c) for d, c in self.filters},
            "since": self.since,
            "until": self.until,
            "fmt": self.fmt,
        }


def _choice(name: str, value: Any, allowed: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise InvalidQueryError(f"{name}={value!r} is not allowed; expected one of {allowed}")
    return value


def _listify(name: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str | int):
        items = [value]
    elif isinstance(value, Sequence) and not isinstance(value, bytes):
        items = list(value)
    else:
        raise InvalidQueryError(f"{name}={value!r} must be a code or a list of codes")
    if not items:
        raise InvalidQueryError(f"{name}={value!r} is empty; give at least one code")
    out = []
    for item in items:
        if not isinstance(item, str | int) or isinstance(item, bool):
            raise InvalidQueryError(f"{name}={item!r} is not a code (expected a string)")
        out.append(str(item).strip())
    return tuple(dict.fromkeys(out))


def _check_codes(name: str, codes: tuple[str, ...], pattern: re.Pattern[str], rule: str) -> None:
    for code in codes:
        if not pattern.match(code):
            raise InvalidQueryError(f"{name}={code!r} is not allowed; expected {rule}")


def _check_periods(freq: str, start: Any, end: Any) -> tuple[str | None, str | None]:
    shape = "'YYYY-MM'" if freq == "M" else "'YYYY'"
    out = []
    for name, value in (("start", start), ("end", end)):
        if value is None:
            out.append(None)
            continue
        text = str(value).strip() if isinstance(value, str | int) else None
        if text is None or not _PERIOD[freq].match(text):
            raise InvalidQueryError(f"{name}={value!r} is not allowed; expected {shape}")
        out.append(text)
    if any(t is not None and t < "1900" for t in out):
        raise InvalidQueryError(
            f"start={start!r} / end={end!r}: periods before 1900 are not served"
        )
    if out[0] and out[1] and out[0] > out[1]:
        raise InvalidQueryError(f"start={out[0]!r} is after end={out[1]!r}")
    return out[0], out[1]


def comext_query(
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
) -> EurostatQuery:
    """Validate a Comext ``DS-045409`` query.

    Parameters
    ----------
    reporter, partner : str or list of str
        Eurostat geo codes (``BE``, ``EL``, ``EU27_2020``, ``EXT_EU27_2020``, ``WORLD``).
    product : str or list of str
        ``TOTAL`` or HS2/HS4/HS6/CN8 codes as strings (leading zeros kept).
    flow : {'import', 'export', 'both'}
    freq : {'M', 'A'}
    start, end : str, optional
        ``YYYY-MM`` (monthly) or ``YYYY`` (annual).
    indicators : list of str
        Among ``VALUE_IN_EUROS``, ``QUANTITY_IN_100KG``, ``SUPPLEMENTARY_QUANTITY``.
    fmt : {'json', 'tsv', 'csv'}

    Raises
    ------
    InvalidQueryError
        Naming the argument, the value and what is allowed.
    """
    _choice("freq", freq, tuple(_PERIOD))
    _choice("flow", flow, tuple(_FLOWS))
    _choice("fmt", fmt, ("json", "tsv", "csv"))
    reporters = tuple(c.upper() for c in _listify("reporter", reporter))
    partners = tuple(c.upper() for c in _listify("partner", partner))
    products = tuple(c.upper() for c in _listify("product", product))
    chosen = _listify("indicators", list(indicators) if indicators else [])
    _check_codes("reporter", reporters, _GEO, "an upper-case Eurostat geo code such as 'BE'")
    _check_codes("partner", partners, _GEO, "an upper-case Eurostat geo code such as 'RU'")
    _check_codes("product", products, _PRODUCT, "'TOTAL' or a 2, 4, 6 or 8-digit code string")
    for code in chosen:
        if code not in COMEXT_INDICATORS:
            raise InvalidQueryError(
                f"indicators={code!r} is not allowed; expected {COMEXT_INDICATORS}"
            )
    since, until = _check_periods(freq, start, end)
    filters = (
        ("freq", (freq,)),
        ("reporter", reporters),
        ("partner", partners),
        ("product", products),
        ("flow", _FLOWS[flow]),
        ("indicators", chosen),
    )
    return EurostatQuery(COMEXT_DATASET, filters, since, until, fmt, COMEXT_DIMENSIONS)


def dataset_query(
    dataset: str,
    filters: Mapping[str, str | Sequence[str]],
    *,
    start: str | None = None,
    end: str | None = None,
    fmt: Format = "json",
    dimensions: Sequence[str] = (),
) -> EurostatQuery:
    """Validate a query on any dissemination dataset (e.g. ``ert_bil_eur_m``).

    Parameters
    ----------
    dataset : str
        Dataset code.
    filters : mapping
        Dimension id -> code or codes. Pass ``freq``: unfiltered dimensions return every
        code.
    start, end : str, optional
        Periods in the dataset's format (``YYYY``, ``YYYY-MM``, ``YYYY-Qn``...).
    fmt : {'json', 'tsv', 'csv'}
    dimensions : list of str
        Key order, required for the SDMX formats (see
        :func:`belru_trade.fetchers.eurostat_parse.parse_datastructure`).
    """
    if not isinstance(dataset, str) or not _DATASET.match(dataset):
        raise InvalidQueryError(f"dataset={dataset!r} is not a Eurostat dataset code")
    if not isinstance(filters, Mapping):
        raise InvalidQueryError(f"filters={filters!r} must be a mapping dimension -> codes")
    _choice("fmt", fmt, ("json", "tsv", "csv"))
    pairs = []
    for dim, codes in filters.items():
        if not isinstance(dim, str) or not _CODE.match(dim):
            raise InvalidQueryError(f"filters key {dim!r} is not a dimension id")
        values = _listify(f"filters[{dim!r}]", codes)
        _check_codes(f"filters[{dim!r}]", values, _CODE, "letters, digits, '_', '-' or '.'")
        pairs.append((dim.lower(), values))
    periods = []
    for name, value in (("start", start), ("end", end)):
        if value is not None and not _LITERAL.match(str(value)):
            raise InvalidQueryError(f"{name}={value!r} is not a Eurostat period literal")
        if value is not None and str(value) < "1900":
            raise InvalidQueryError(f"{name}={value!r} is before 1900")
        periods.append(None if value is None else str(value))
    if fmt != "json" and not dimensions:
        raise InvalidQueryError(f"fmt={fmt!r} needs dimensions=(...) in the dataset's key order")
    return EurostatQuery(dataset, tuple(pairs), periods[0], periods[1], fmt, tuple(dimensions))


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
        first = pd.Period(query.since, freq)
        middle = first + (count + 1) // 2 - 1
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
                    request, validate=check, resolve=lambda resp, c=check: poller(resp, c)
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


def _result(query, frames, stamps, notes, runner: Runner) -> FetchResult:
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
