"""The only network code: a retrying transport and a store-aware runner.

:class:`Transport` sends one GET through an injected :class:`requests.Session` with explicit
timeouts and retries (exponential backoff with jitter on 429, 5xx, timeouts, dropped
connections, truncated bodies and HTML maintenance pages, honouring ``Retry-After`` up to a
cap), and maps failures to the named errors of :mod:`belru_trade.fetchers.errors`. :class:`Runner`
adds the response store (raw bodies keyed by the request, never by a credential), offline
mode, request counting and the progress bar.

Credentials travel only in headers passed to :meth:`Transport.send`; headers are never logged
and URLs are logged with secrets removed.

Examples
--------
>>> policy = RetryPolicy(max_retries=2, backoff_base=0.5, jitter=0.0)
>>> [policy.backoff(i) for i in range(3)]
[0.5, 1.0, 2.0]
>>> parse_retry_after("3"), parse_retry_after(None)
(3.0, None)
>>> resolve_base_url(None, "BELRU_TRADE_NOT_SET", "https://example.org/api/")
'https://example.org/api'
"""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import logging
import os
import random
import re
import time
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any

import requests

from .errors import (
    AuthenticationError,
    BadRequestError,
    ConnectionFailedError,
    ExtractionTooBigError,
    FetchError,
    HTTPError,
    MaintenanceError,
    NotFoundError,
    NotInStoreError,
    RateLimitError,
    RequestTimeoutError,
    ServerError,
    TruncatedResponseError,
)
from .result import PlannedRequest, ResponseStore, redact_url

__all__ = [
    "Response",
    "RetryPolicy",
    "Runner",
    "Transport",
    "decompress",
    "error_message",
    "parse_retry_after",
    "resolve_base_url",
]

logger = logging.getLogger("belru_trade.fetchers.http")

USER_AGENT = "belru_trade-fetchers/0.1 (+https://github.com/belru-trade/belru_trade)"
_RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})
_HTML = re.compile(rb"^\s*(<!doctype html|<html)", re.IGNORECASE)
_QUOTA_WAIT = re.compile(r"replenished in (\d+):(\d{2}):(\d{2})", re.IGNORECASE)
_TRY_AGAIN = re.compile(r"try again in (\d+(?:\.\d+)?) seconds?", re.IGNORECASE)


@dataclass(frozen=True)
class RetryPolicy:
    """How failed requests are retried.

    Attributes
    ----------
    max_retries : int
        Retries after the first attempt (so ``max_retries + 1`` attempts at most).
    backoff_base : float
        First backoff in seconds; doubles at each retry (capped at ``backoff_max``).
    backoff_max : float
        Largest backoff in seconds.
    jitter : float
        Random extra fraction of the backoff (0 disables jitter).
    max_retry_after : float
        Longest ``Retry-After`` honoured by sleeping; a longer wait raises
        :class:`~belru_trade.fetchers.errors.RateLimitError` at once, carrying the wait.
    timeout : tuple of float
        ``(connect, read)`` timeouts in seconds for every request.
    min_interval : float
        Least seconds between two requests of one transport (client-side throttle; comtradr
        keeps Comtrade calls at least 6 s apart). 0 disables it.
    """

    max_retries: int = 4
    backoff_base: float = 1.0
    backoff_max: float = 60.0
    jitter: float = 0.25
    max_retry_after: float = 120.0
    timeout: tuple[float, float] = (10.0, 120.0)
    min_interval: float = 0.0

    def backoff(self, attempt: int, rng: random.Random | None = None) -> float:
        """Seconds to wait before retry number ``attempt`` (0-based)."""
        base = min(self.backoff_base * 2.0**attempt, self.backoff_max)
        if self.jitter <= 0:
            return base
        return base * (1.0 + self.jitter * (rng or random).random())


@dataclass(frozen=True)
class Response:
    """A complete, successful response body."""

    url: str
    status: int
    headers: Mapping[str, str]
    body: bytes


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or HTTP date)."""
    if value is None or not str(value).strip():
        return None
    text = str(value).strip()
    try:
        return max(float(text), 0.0)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max((when - datetime.now(timezone.utc)).total_seconds(), 0.0)


def resolve_base_url(explicit: str | None, env_var: str, default: str) -> str:
    """Base URL from the argument, else the environment variable, else the default."""
    chosen = explicit or os.environ.get(env_var) or default
    return chosen.rstrip("/")


def decompress(body: bytes) -> bytes:
    """Undo gzip or single-member ZIP compression, recognised by magic bytes."""
    if body[:2] == b"\x1f\x8b":
        try:
            return gzip.decompress(body)
        except (OSError, EOFError) as exc:
            raise TruncatedResponseError(f"gzip body is incomplete: {exc}") from exc
    if body[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(io.BytesIO(body)) as archive:
                return archive.read(archive.namelist()[0])
        except (zipfile.BadZipFile, IndexError) as exc:
            raise TruncatedResponseError(f"ZIP body is incomplete: {exc}") from exc
    return body


def error_message(body: bytes) -> str:
    """Best human message from an error body (Eurostat envelope, APIM JSON, SOAP fault)."""
    text = body[:4000].decode("utf-8", "replace")
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict):
        errors = data.get("error")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            return str(errors[0].get("label", errors[0]))
        if isinstance(data.get("errorObject"), dict):
            return str(data["errorObject"].get("errorMessage", ""))
        for name in ("message", "error", "Message"):
            if data.get(name):
                return str(data[name])
    fault = re.search(r"<faultstring>(.*?)</faultstring>", text, re.DOTALL)
    if fault:
        return fault.group(1).strip()
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text)).strip()[:300]


def _quota_wait(message: str) -> float | None:
    match = _QUOTA_WAIT.search(message)
    if match:
        hours, minutes, seconds = (int(g) for g in match.groups())
        return float(hours * 3600 + minutes * 60 + seconds)
    match = _TRY_AGAIN.search(message)
    return float(match.group(1)) if match else None


class _RetryableError(Exception):
    """Internal: this attempt failed in a retryable way."""

    def __init__(self, error: FetchError, wait: float | None = None) -> None:
        super().__init__(str(error))
        self.error = error
        self.wait = wait


@dataclass
class Transport:
    """Send GET requests with timeouts, retries and error mapping.

    Parameters
    ----------
    session : requests.Session, optional
        Injected session (tests pass one pointed at a local server); a new one otherwise.
    policy : RetryPolicy
    sleep : callable
        Called with the seconds to wait (tests inject a recorder).
    rng : random.Random, optional
        Jitter source.
    """

    session: requests.Session | None = None
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random | None = None
    sent: int = 0
    _last: float | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.session is None:
            self.session = requests.Session()

    def send(
        self,
        request: PlannedRequest,
        *,
        headers: Mapping[str, str] | None = None,
        validate: Callable[[bytes], None] | None = None,
    ) -> Response:
        """Send ``request``, retrying transient failures; return the complete body.

        ``validate`` may raise :class:`TruncatedResponseError` or :class:`MaintenanceError`
        for a body that must be fetched again. Raises the named errors of
        :mod:`belru_trade.fetchers.errors` when retries are exhausted or the failure is permanent.
        """
        shown = redact_url(request.full_url)
        last: FetchError | None = None
        for attempt in range(self.policy.max_retries + 1):
            if attempt:
                wait = self.policy.backoff(attempt - 1, self.rng)
                if isinstance(last, RateLimitError) and last.retry_after is not None:
                    wait = last.retry_after
                logger.info("retry %d for %s in %.3f s (%s)", attempt, shown, wait, last)
                self.sleep(wait)
            try:
                return self._attempt(request, shown, headers, validate)
            except _RetryableError as retry:
                last = retry.error
        raise last if last is not None else FetchError(f"no attempt was made [{shown}]")

    def _attempt(
        self,
        request: PlannedRequest,
        shown: str,
        headers: Mapping[str, str] | None,
        validate: Callable[[bytes], None] | None,
    ) -> Response:
        self._throttle()
        logger.debug("GET %s", shown)
        self.sent += 1
        merged = {"User-Agent": USER_AGENT, "Accept-Encoding": "gzip", **(headers or {})}
        try:
            resp = self.session.get(  # type: ignore[union-attr]
                request.url,
                params=list(request.params),
                headers=merged,
                timeout=self.policy.timeout,
            )
        except requests.Timeout as exc:
            error = RequestTimeoutError(f"no answer within the timeout [{shown}]")
            raise _RetryableError(error) from exc
        except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError):
            raise _RetryableError(TruncatedResponseError(f"body ended early [{shown}]")) from None
        except requests.ConnectionError as exc:
            error = ConnectionFailedError(f"connection failed: {type(exc).__name__} [{shown}]")
            raise _RetryableError(error) from None
        body = resp.content
        if resp.status_code >= 400:
            self._raise_for_status(resp.status_code, resp.headers, body, shown)
        if _HTML.match(body[:200]) or "sorry.ec.europa.eu" in (resp.url or ""):
            raise _RetryableError(MaintenanceError(f"the provider served an HTML page [{shown}]"))
        body = decompress(body)
        if validate is not None:
            try:
                validate(body)
            except (TruncatedResponseError, MaintenanceError) as exc:
                raise _RetryableError(exc) from None
        logger.debug("HTTP %d, %d bytes from %s", resp.status_code, len(body), shown)
        return Response(url=shown, status=resp.status_code, headers=resp.headers, body=body)

    def _throttle(self) -> None:
        if self.policy.min_interval > 0 and self._last is not None:
            wait = self._last + self.policy.min_interval - time.monotonic()
            if wait > 0:
                self.sleep(wait)
        self._last = time.monotonic()

    def _raise_for_status(
        self, status: int, headers: Mapping[str, str], body: bytes, shown: str
    ) -> None:
        message = error_message(body) or f"HTTP {status}"
        wait = parse_retry_after(headers.get("Retry-After")) or _quota_wait(message)
        quota = status == 403 and (wait is not None or "quota" in message.lower())
        if status == 429 or quota:
            error = RateLimitError(message, status=status, url=shown, retry_after=wait)
            too_long = wait is not None and wait > self.policy.max_retry_after
            if too_long or (status == 403 and wait is None):
                raise error
            raise _RetryableError(error)
        if status in _RETRYABLE_STATUS:
            raise _RetryableError(ServerError(message, status=status, url=shown))
        raise _status_error(status, message, shown)


def _status_error(status: int, message: str, shown: str) -> HTTPError:
    if status in (401, 403):
        return AuthenticationError(message, status=status, url=shown)
    if status == 404:
        return NotFoundError(message, status=status, url=shown)
    if status == 413:
        rows = re.search(r"estimated (\d+) rows", message)
        return ExtractionTooBigError(
            message, url=shown, estimated_rows=int(rows.group(1)) if rows else None
        )
    if status in (400, 414, 416, 422):
        return BadRequestError(message, status=status, url=shown)
    return HTTPError(message, status=status, url=shown)


@dataclass
class Runner:
    """Fetch planned requests through the store, the transport and a progress bar.

    Parameters
    ----------
    transport : Transport
    store : ResponseStore, optional
        Raw bodies are read from and written to it (complete, validated bodies only).
    offline : bool
        Serve only from ``store``; a missing body raises
        :class:`~belru_trade.fetchers.errors.NotInStoreError`.
    headers : mapping
        Extra headers for every request (the Comtrade key); never logged or stored.
    progress : bool
        Show a tqdm bar when more than one request is planned.
    """

    transport: Transport
    store: ResponseStore | None = None
    offline: bool = False
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)
    progress: bool = True
    urls: list[str] = field(default_factory=list)

    def check_offline(self, requests_: Sequence[PlannedRequest]) -> None:
        """In offline mode, raise :class:`NotInStoreError` listing every missing request."""
        if not self.offline:
            return
        missing = [
            redact_url(r.full_url)
            for r in requests_
            if self.store is None or self.store.get(r.key) is None
        ]
        if missing:
            raise NotInStoreError(missing)

    def get(
        self,
        request: PlannedRequest,
        *,
        validate: Callable[[bytes], None] | None = None,
        resolve: Callable[[Response], bytes] | None = None,
    ) -> bytes:
        """Return the body of ``request`` from the store or the network.

        ``validate`` must accept every complete body (including an asynchronous ticket);
        ``resolve`` turns a first response into the final body (Eurostat's asynchronous
        replies are polled there); only the final body is stored.
        """
        shown = redact_url(request.full_url)
        self.urls.append(shown)
        stored = self.store.get(request.key) if self.store is not None else None
        if stored is not None:
            logger.debug("store hit for %s", shown)
            return stored
        if self.offline:
            raise NotInStoreError([shown])
        response = self.transport.send(request, headers=self.headers, validate=validate)
        body = resolve(response) if resolve is not None else response.body
        if self.store is not None:
            meta = {
                "url": shown,
                "provider": request.provider,
                "label": request.label,
                "retrieved": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            }
            self.store.put(request.key, body, meta)
        return body

    @contextlib.contextmanager
    def bar(self, total: int, desc: str) -> Iterator[Callable[[int], Any]]:
        """Yield an ``update(n)`` callable; a tqdm bar is shown when ``total > 1``."""
        if not self.progress or total <= 1:
            yield lambda n=1: None
            return
        from tqdm.auto import tqdm

        with tqdm(total=total, desc=desc, unit="req", leave=False) as progress_bar:
            yield progress_bar.update

    @property
    def requests_sent(self) -> int:
        """Requests sent over the network so far (retries and polls included)."""
        return self.transport.sent
