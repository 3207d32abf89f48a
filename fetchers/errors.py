"""Exceptions raised by the provider clients.

Every error derives from :class:`FetchError`. Errors describing bad input also derive from
``ValueError`` (:class:`InvalidQueryError`); network failures derive from the matching builtin
(``TimeoutError``, ``ConnectionError``) so generic handlers keep working. Messages never
contain credentials: URLs are shown with secrets removed.

Examples
--------
>>> issubclass(InvalidQueryError, ValueError), issubclass(RateLimitError, HTTPError)
(True, True)
>>> str(RateLimitError("quota exhausted", status=429, url="https://x/y", retry_after=2.0))
'quota exhausted (HTTP 429, retry after 2 s) [https://x/y]'
"""

from __future__ import annotations

__all__ = [
    "AsyncTimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ConnectionFailedError",
    "ExtractionTooBigError",
    "FetchError",
    "HTTPError",
    "InsecureTransportWarning",
    "InvalidQueryError",
    "MaintenanceError",
    "NotFoundError",
    "NotInStoreError",
    "PreviewCapWarning",
    "RateLimitError",
    "RedirectError",
    "RequestTimeoutError",
    "ResponseFormatError",
    "ResponseTooLargeError",
    "ServerError",
    "TruncatedResponseError",
]


class FetchError(Exception):
    """Base class of every error raised by :mod:`fetchers`."""


class InvalidQueryError(FetchError, ValueError):
    """A query argument is not allowed; the message names the argument, value and rule."""


class HTTPError(FetchError):
    """The provider answered with an error status (or an error envelope).

    Attributes
    ----------
    status : int or None
        HTTP status (or the status inside the provider's error envelope).
    url : str
        The request URL with secrets removed.
    """

    def __init__(self, message: str, *, status: int | None = None, url: str = "") -> None:
        self.status = status
        self.url = url
        self.message = message
        super().__init__(message)

    def __str__(self) -> str:
        status = f" (HTTP {self.status}{self._extra()})" if self.status is not None else ""
        where = f" [{self.url}]" if self.url else ""
        return f"{self.message}{status}{where}"

    def _extra(self) -> str:
        return ""


class BadRequestError(HTTPError, InvalidQueryError):
    """HTTP 400/414: the provider rejected the query (unknown parameter, bad period...)."""


class NotFoundError(HTTPError, InvalidQueryError):
    """HTTP 404: the dataset or resource does not exist on this host."""


class AuthenticationError(HTTPError):
    """HTTP 401 (or 403 without a quota message): the subscription key is missing or invalid."""


class RateLimitError(HTTPError):
    """HTTP 429 (or 403 quota message): too many calls.

    Attributes
    ----------
    retry_after : float or None
        Seconds the server asked to wait (``Retry-After`` header or the quota message).
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        url: str = "",
        retry_after: float | None = None,
    ) -> None:
        self.retry_after = retry_after
        super().__init__(message, status=status, url=url)

    def _extra(self) -> str:
        return f", retry after {self.retry_after:g} s" if self.retry_after is not None else ""


class ExtractionTooBigError(HTTPError):
    """HTTP 413 ``EXTRACTION_TOO_BIG``: the query must be split (raised when it cannot be).

    Attributes
    ----------
    estimated_rows : int or None
        The provider's estimate of the extraction size, when given.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = 413,
        url: str = "",
        estimated_rows: int | None = None,
    ) -> None:
        self.estimated_rows = estimated_rows
        super().__init__(message, status=status, url=url)


class ServerError(HTTPError):
    """HTTP 5xx persisted after every retry."""


class RequestTimeoutError(FetchError, TimeoutError):
    """The provider did not answer within the timeout, after every retry."""


class ConnectionFailedError(FetchError, ConnectionError):
    """The connection failed: refused or host unknown (not retried), or reset (after retries).

    Attributes
    ----------
    retried : bool
        False when the failure is permanent (refused connection, failed name lookup).
    """

    def __init__(self, message: str, *, retried: bool = True) -> None:
        self.retried = retried
        super().__init__(message)


class RedirectError(FetchError):
    """The provider redirected too many times, or to a scheme other than http(s)."""


class ResponseTooLargeError(FetchError):
    """The body (or its decompressed form) passed the configured size cap; reading stopped.

    Attributes
    ----------
    limit : int
        The cap in bytes (``RetryPolicy.max_bytes`` or ``max_decoded_bytes``).
    """

    def __init__(self, message: str, *, limit: int) -> None:
        self.limit = limit
        super().__init__(message)


class AsyncTimeoutError(FetchError, TimeoutError):
    """An asynchronous extraction was not ready within the bounded wait."""


class MaintenanceError(FetchError):
    """The provider served an HTML page (maintenance, overload redirect) instead of data."""


class TruncatedResponseError(FetchError):
    """The body ended early (truncated JSON/XML) or a capped result may be incomplete."""


class ResponseFormatError(FetchError):
    """The body is complete but not in the expected format."""


class NotInStoreError(FetchError, LookupError):
    """Offline mode: the response store lacks some requests.

    Attributes
    ----------
    missing : list of str
        URLs (secrets removed) of the requests that are not stored.
    """

    def __init__(self, missing: list[str]) -> None:
        self.missing = list(missing)
        shown = "; ".join(self.missing[:5])
        more = f" (and {len(self.missing) - 5} more)" if len(self.missing) > 5 else ""
        super().__init__(f"{len(self.missing)} request(s) not in the store: {shown}{more}")


class InsecureTransportWarning(UserWarning):
    """A base URL override uses plain ``http://`` to a host that is not loopback."""


class PreviewCapWarning(UserWarning):
    """A keyless Comtrade preview result may be truncated at the 500-record cap."""
