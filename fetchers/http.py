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
import ipaddress
import logging
import math
import os
import random
import re
import time
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
import urllib3.exceptions

from .errors import (
    FetchError,
    InsecureTransportWarning,
    InvalidQueryError,
    MaintenanceError,
    NotInStoreError,
    RateLimitError,
    RedirectError,
    RequestTimeoutError,
    ServerError,
    TruncatedResponseError,
)
from .http_body import DeadlineExceededError, decompress, error_message, read_capped
from .http_deadline import Watchdog, install
from .http_errors import RetryableError, network_error, origin, quota_wait, status_error
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
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
MAX_REDIRECTS = 5


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
    deadline : float or None
        Total seconds one attempt may take, headers and body included (the read timeout
        bounds each socket read only, so a server sending a byte a second would never time
        out). None means three times the read timeout.
    max_bytes : int
        Largest body read, in bytes (512 MiB; Eurostat's largest extraction, 5 million
        cells, is well under 200 MB of JSON). Reading stops with
        :class:`~belru_trade.fetchers.errors.ResponseTooLargeError` past it.
    max_decoded_bytes : int
        Largest body after gzip/ZIP decompression (512 MiB), checked while inflating.
    """

    max_retries: int = 4
    backoff_base: float = 1.0
    backoff_max: float = 60.0
    jitter: float = 0.25
    max_retry_after: float = 120.0
    timeout: tuple[float, float] = (10.0, 120.0)
    min_interval: float = 0.0
    deadline: float | None = None
    max_bytes: int = 512 * 1024 * 1024
    max_decoded_bytes: int = 512 * 1024 * 1024

    def total_deadline(self) -> float:
        """Seconds one attempt may take in total (``deadline`` or 3 x the read timeout)."""
        return self.deadline if self.deadline is not None else 3.0 * self.timeout[1]

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
        seconds = float(text)
    except ValueError:
        seconds = None
    if seconds is not None:
        return max(seconds, 0.0) if math.isfinite(seconds) else None
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max((when - datetime.now(timezone.utc)).total_seconds(), 0.0)


def is_loopback(host: str | None) -> bool:
    """True for ``localhost`` and loopback addresses (``127.0.0.0/8``, ``::1``)."""
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def resolve_base_url(explicit: str | None, env_var: str, default: str) -> str:
    """Base URL from the argument, else the environment variable, else the default.

    Only ``https://`` URLs, or ``http://`` ones (an
    :class:`~belru_trade.fetchers.errors.InsecureTransportWarning` unless the host is loopback), are
    allowed. Credentials in the URL (``user:pw@``) are used for the request only: every URL
    shown, logged or stored has them removed.

    Raises
    ------
    InvalidQueryError
        Another scheme (``file://``, ``ftp://``), no host, or characters a URL cannot hold.
    """
    name = "base_url" if explicit else env_var
    chosen = str(explicit or os.environ.get(env_var) or default).strip().rstrip("/")
    try:
        parts = urlsplit(chosen)
        host = parts.hostname
        _ = parts.port
    except ValueError as exc:
        raise InvalidQueryError(f"{name}={redact_url(chosen)!r} is not a valid URL") from exc
    if parts.scheme not in ("http", "https") or not host or any(c.isspace() for c in chosen):
        raise InvalidQueryError(
            f"{name}={redact_url(chosen)!r} is not allowed; expected an https:// URL with a "
            "host (http:// is accepted with a warning, and silently for a loopback host)"
        )
    if parts.scheme == "http" and not is_loopback(host):
        warnings.warn(
            f"{name}={redact_url(chosen)!r} uses plain http: replies and any credential travel "
            "unencrypted; use https",
            InsecureTransportWarning,
            stacklevel=3,
        )
    return chosen


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
        install(self.session)  # the total deadline also covers the status line and headers

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
            except RetryableError as retry:
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
        secrets = [v for v in (headers or {}).values() if v]
        total = self.policy.total_deadline()
        deadline = time.monotonic() + total
        watchdog = Watchdog(total)
        try:
            with watchdog:
                resp = self._get_following(request, headers or {}, deadline)
                final = redact_url(resp.url or request.full_url)
                body = read_capped(resp, max_bytes=self.policy.max_bytes, deadline=deadline,
                                   shown=shown)  # fmt: skip
            if watchdog.expired:  # the socket was shut down: the body may be cut short
                raise DeadlineExceededError
        except DeadlineExceededError:
            raise self._deadline_error(total, shown) from None
        except (requests.RequestException, urllib3.exceptions.HTTPError) as exc:
            if watchdog.expired:
                raise self._deadline_error(total, shown) from None
            raise network_error(exc, shown) from None
        if resp.status_code >= 400:
            self._raise_for_status(resp.status_code, resp.headers, body, shown, secrets)
        if _HTML.match(body[:200]) or "sorry.ec.europa.eu" in final:
            raise RetryableError(MaintenanceError(f"the provider served an HTML page [{shown}]"))
        body = decompress(body, max_size=self.policy.max_decoded_bytes)
        if validate is not None:
            try:
                validate(body)
            except (TruncatedResponseError, MaintenanceError) as exc:
                raise RetryableError(exc) from None
        logger.debug("HTTP %d, %d bytes from %s", resp.status_code, len(body), final)
        return Response(url=final, status=resp.status_code, headers=resp.headers, body=body)

    @staticmethod
    def _deadline_error(total: float, shown: str) -> RetryableError:
        error = RequestTimeoutError(
            f"the reply was not complete within the total deadline of {total:g} s [{shown}]"
        )
        return RetryableError(error)

    def _get_following(
        self, request: PlannedRequest, secret: Mapping[str, str], deadline: float
    ) -> requests.Response:
        """GET with redirects followed here: credentials go only to the original origin."""
        url, params = request.url, list(request.params)
        home = origin(url)
        public = {"User-Agent": USER_AGENT, "Accept-Encoding": "gzip"}
        headers = {**public, **secret}
        for _ in range(MAX_REDIRECTS + 1):
            self.sent += 1
            remaining = max(deadline - time.monotonic(), 0.001)
            connect, read = self.policy.timeout
            resp = self.session.get(  # type: ignore[union-attr]  # set in __post_init__
                url, params=params, headers=headers, stream=True, allow_redirects=False,
                timeout=(min(connect, remaining), min(read, remaining)),
            )  # fmt: skip
            if resp.status_code not in _REDIRECTS or "Location" not in resp.headers:
                return resp
            target = urljoin(resp.url, resp.headers["Location"])
            resp.close()
            if urlsplit(target).scheme not in ("http", "https"):
                raise RedirectError(f"redirect to a non-http URL refused [{redact_url(url)}]")
            if origin(target) != home:
                headers = dict(public)  # never send a credential to another host
            logger.debug("redirect %s -> %s", redact_url(url), redact_url(target))
            url, params = target, []
            if time.monotonic() > deadline:
                raise DeadlineExceededError
        raise RedirectError(f"more than {MAX_REDIRECTS} redirects [{redact_url(request.url)}]")

    def _throttle(self) -> None:
        if self.policy.min_interval > 0 and self._last is not None:
            wait = self._last + self.policy.min_interval - time.monotonic()
            if wait > 0:
                self.sleep(wait)
        self._last = time.monotonic()

    def _raise_for_status(
        self,
        status: int,
        headers: Mapping[str, str],
        body: bytes,
        shown: str,
        secrets: Sequence[str] = (),
    ) -> None:
        message = error_message(body, secrets) or f"HTTP {status}"
        wait = parse_retry_after(headers.get("Retry-After")) or quota_wait(message)
        quota = status == 403 and (wait is not None or "quota" in message.lower())
        if status == 429 or quota:
            error = RateLimitError(message, status=status, url=shown, retry_after=wait)
            too_long = wait is not None and wait > self.policy.max_retry_after
            if too_long or (status == 403 and wait is None):
                raise error
            raise RetryableError(error)
        if status in _RETRYABLE_STATUS:
            raise RetryableError(ServerError(message, status=status, url=shown))
        raise status_error(status, message, shown)


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
        if response.url != shown:
            self.urls.append(response.url)
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
            yield _no_update
            return
        from tqdm.auto import tqdm

        with tqdm(total=total, desc=desc, unit="req", leave=False) as progress_bar:
            yield progress_bar.update

    @property
    def requests_sent(self) -> int:
        """Requests sent over the network so far (retries and polls included)."""
        return self.transport.sent


def _no_update(n: int = 1) -> None:
    """The progress callback when no bar is shown."""
