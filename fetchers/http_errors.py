"""Failure mapping of the transport: HTTP statuses and network exceptions to named errors.

Internal to :mod:`belru_trade.fetchers.http`. Retryable failures are wrapped in
:class:`RetryableError` (the transport retries them); permanent ones are returned as the
named errors of :mod:`belru_trade.fetchers.errors`. A refused connection or a failed name
lookup is permanent: retrying cannot help, and the caller learns at once.

Examples
--------
>>> quota_wait("Out of call volume quota. Quota will be replenished in 01:02:03.")
3723.0
>>> origin("https://h.example/x"), origin("http://h.example:8080/")
(('https', 'h.example', 443), ('http', 'h.example', 8080))
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import requests
import urllib3.exceptions

from .errors import (
    AuthenticationError,
    BadRequestError,
    ConnectionFailedError,
    ExtractionTooBigError,
    FetchError,
    HTTPError,
    InvalidQueryError,
    NotFoundError,
    RequestTimeoutError,
    TruncatedResponseError,
)

__all__ = ["RetryableError", "network_error", "origin", "quota_wait", "status_error"]

_QUOTA_WAIT = re.compile(r"replenished in ([0-9]+):([0-9]{2}):([0-9]{2})", re.IGNORECASE)
_TRY_AGAIN = re.compile(r"try again in ([0-9]+(?:\.[0-9]+)?) seconds?", re.IGNORECASE)


def quota_wait(message: str) -> float | None:
    match = _QUOTA_WAIT.search(message)
    if match:
        hours, minutes, seconds = (int(g) for g in match.groups())
        return float(hours * 3600 + minutes * 60 + seconds)
    match = _TRY_AGAIN.search(message)
    return float(match.group(1)) if match else None


class RetryableError(Exception):
    """Internal: this attempt failed in a retryable way."""

    def __init__(self, error: FetchError, wait: float | None = None) -> None:
        super().__init__(str(error))
        self.error = error
        self.wait = wait


def origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    default = {"http": 80, "https": 443}.get(parts.scheme)
    return parts.scheme, (parts.hostname or "").lower(), parts.port or default


def _permanent_connect_failure(exc: BaseException) -> str | None:
    """'name lookup failed' or 'connection refused' when that caused ``exc``, else None."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, urllib3.exceptions.NameResolutionError):
            return "host name lookup failed"
        if isinstance(current, ConnectionRefusedError):
            return "connection refused"
        if isinstance(current, urllib3.exceptions.MaxRetryError) and current.reason is not None:
            current = current.reason
            continue
        nested = current.args[0] if current.args else None
        current = nested if isinstance(nested, BaseException) else current.__cause__
    return None


def network_error(exc: BaseException, shown: str) -> Exception:
    """Map a requests/urllib3 exception to a named error (retryable ones wrapped)."""
    if isinstance(exc, requests.Timeout | urllib3.exceptions.TimeoutError):
        return RetryableError(RequestTimeoutError(f"no answer within the timeout [{shown}]"))
    if isinstance(exc, requests.exceptions.InvalidHeader):
        return InvalidQueryError("a request header (the API key) holds characters HTTP forbids")
    if isinstance(exc, requests.exceptions.InvalidURL | requests.exceptions.InvalidSchema):
        return InvalidQueryError(f"the URL cannot be requested: {type(exc).__name__} [{shown}]")
    if isinstance(
        exc,
        requests.exceptions.ChunkedEncodingError
        | requests.exceptions.ContentDecodingError
        | urllib3.exceptions.ProtocolError
        | urllib3.exceptions.DecodeError,
    ) and not isinstance(exc, requests.ConnectionError):
        return RetryableError(TruncatedResponseError(f"body ended early [{shown}]"))
    permanent = _permanent_connect_failure(exc)
    if permanent is not None:
        return ConnectionFailedError(f"{permanent} [{shown}]", retried=False)
    error = ConnectionFailedError(f"connection failed: {type(exc).__name__} [{shown}]")
    return RetryableError(error)


def status_error(status: int, message: str, shown: str) -> HTTPError:
    if status in (401, 403):
        return AuthenticationError(message, status=status, url=shown)
    if status == 404:
        return NotFoundError(message, status=status, url=shown)
    if status == 413:
        rows = re.search(r"estimated ([0-9]+) rows", message)
        return ExtractionTooBigError(
            message, url=shown, estimated_rows=int(rows.group(1)) if rows else None
        )
    if status in (400, 414, 416, 422):
        return BadRequestError(message, status=status, url=shown)
    return HTTPError(message, status=status, url=shown)
