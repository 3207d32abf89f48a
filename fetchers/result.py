"""Planned requests, provenance and fetch results shared by every provider client.

A :class:`PlannedRequest` is what ``build_request`` returns: a pure description of one GET
(no credentials: the Comtrade key is added as a header only when the request is sent). A
:class:`FetchResult` holds the tidy frame and its :class:`Provenance`.

Examples
--------
>>> req = PlannedRequest("https://h/data", (("b", "2"), ("a", "1")), provider="eurostat")
>>> req.full_url
'https://h/data?b=2&a=1'
>>> len(req.key)
64
>>> redact_url("https://h/x?subscription-key=SECRET&a=1")
'https://h/x?subscription-key=REDACTED&a=1'
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol, runtime_checkable
from urllib.parse import SplitResult, parse_qsl, urlencode, urlsplit, urlunsplit

import pandas as pd

__all__ = [
    "SECRET_PARAMS",
    "FetchResult",
    "PlannedRequest",
    "Provenance",
    "ResponseStore",
    "redact_url",
]

#: query parameters whose value is a credential and is never shown or stored
SECRET_PARAMS: frozenset[str] = frozenset(
    {"subscription-key", "subscription_key", "apikey", "api_key", "key", "token"}
)


def _strip_userinfo(parts: SplitResult) -> SplitResult:
    if "@" not in parts.netloc:
        return parts
    return parts._replace(netloc=parts.netloc.rsplit("@", 1)[1])


def redact_url(url: str) -> str:
    """Return ``url`` without credentials: ``user:pw@`` removed, secret parameters redacted.

    >>> redact_url("http://user:pw@h:8080/x?token=abc&a=1")
    'http://h:8080/x?token=REDACTED&a=1'
    """
    try:
        parts = _strip_userinfo(urlsplit(url))
    except ValueError:
        return "<unparseable URL>"
    if not parts.query:
        return urlunsplit(parts)
    pairs = [
        (k, "REDACTED" if k.lower() in SECRET_PARAMS else v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
    ]
    return urlunsplit(parts._replace(query=urlencode(pairs, safe=",:+")))


@dataclass(frozen=True)
class PlannedRequest:
    """One GET request a query will send (pure data, no credentials).

    Attributes
    ----------
    url : str
        Endpoint without query string.
    params : tuple of (str, str)
        Query parameters in order; repeated names are allowed (Eurostat filters).
    provider : str
        ``'eurostat'`` or ``'comtrade'``.
    label : str
        Human-readable chunk description (shown by dry runs and progress bars).
    records : int or None
        Upper bound on the records the request can return (Comtrade chunking), if known.
    """

    url: str
    params: tuple[tuple[str, str], ...] = ()
    provider: str = ""
    label: str = ""
    records: int | None = None

    @property
    def full_url(self) -> str:
        """The URL with its query string (commas, colons and plus signs left readable)."""
        if not self.params:
            return self.url
        return f"{self.url}?{urlencode(self.params, safe=',:+')}"

    @property
    def key(self) -> str:
        """SHA-256 of the redacted full URL: the response-store key (never holds a secret)."""
        return hashlib.sha256(redact_url(self.full_url).encode()).hexdigest()


@runtime_checkable
class ResponseStore(Protocol):
    """Where raw response bodies are kept between runs (implemented by the caller).

    ``get`` returns the stored body or None; ``put`` stores a complete body atomically.
    """

    def get(self, key: str) -> bytes | None:  # pragma: no cover - protocol
        """Return the stored body for ``key`` or None."""

    def put(self, key: str, body: bytes, meta: Mapping[str, Any]) -> None:  # pragma: no cover
        """Store ``body`` under ``key`` with its metadata (URL without secrets, time...)."""


@dataclass(frozen=True)
class Provenance:
    """Where a result came from.

    Attributes
    ----------
    provider : str
        ``'eurostat'`` or ``'comtrade'``.
    dataset : str
        Dataset code (``DS-045409``, ``ert_bil_eur_m``) or Comtrade path (``C/M/HS``).
    urls : tuple of str
        Every URL called (secrets removed), including polls and split chunks.
    retrieved : str
        ISO 8601 UTC time of retrieval.
    last_update : str or None
        The provider's last-update stamp (JSON-stat ``updated``), when it gives one.
    query : dict
        The validated query arguments.
    requests_sent : int
        Requests sent over the network (0 when every body came from the store).
    notes : tuple of str
        Remarks such as "partner position 3 has no data" or "preview cap reached".
    """

    provider: str
    dataset: str
    urls: tuple[str, ...]
    retrieved: str
    last_update: str | None = None
    query: Mapping[str, Any] = field(default_factory=dict)
    requests_sent: int = 0
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable dict."""
        data = asdict(self)
        data["urls"] = [redact_url(u) for u in self.urls]
        data["query"] = json.loads(json.dumps(dict(self.query), default=str))
        data["notes"] = list(self.notes)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Provenance:
        """Rebuild from :meth:`to_dict` output."""
        return cls(
            provider=data["provider"],
            dataset=data["dataset"],
            urls=tuple(data.get("urls", ())),
            retrieved=data["retrieved"],
            last_update=data.get("last_update"),
            query=dict(data.get("query", {})),
            requests_sent=int(data.get("requests_sent", 0)),
            notes=tuple(data.get("notes", ())),
        )


@dataclass(frozen=True)
class FetchResult:
    """A tidy frame and its provenance.

    Attributes
    ----------
    frame : pandas.DataFrame
        Long frame, one row per observation; columns documented by each client.
    provenance : Provenance
    """

    frame: pd.DataFrame
    provenance: Provenance

    def __repr__(self) -> str:
        prov = self.provenance
        return (
            f"FetchResult(provider={prov.provider!r}, dataset={prov.dataset!r}, "
            f"rows={len(self.frame)}, requests_sent={prov.requests_sent})"
        )
