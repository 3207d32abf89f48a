"""A watchdog that enforces the total deadline of one request, headers included.

Socket timeouts bound each read only: a server that sends its status line and headers one
byte at a time, each byte within the read timeout, would hold a request for as long as it
likes. :class:`Watchdog` starts a timer for the time left; when it fires it shuts down the
socket of every connection the request used, so the blocked read returns at once and the
transport reports the total deadline instead. Connections register themselves through the
connection classes that :func:`install` puts into a session's connection pools.

Examples
--------
>>> with Watchdog(60.0) as dog:
...     pass
>>> dog.expired
False
"""

from __future__ import annotations

import contextlib
import socket
import threading
from types import TracebackType
from typing import Any

import requests
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

__all__ = ["Watchdog", "install"]

_LOCAL = threading.local()


class Watchdog:
    """Shut down the sockets of the current request when ``seconds`` have passed.

    Use as a context manager around one request attempt, in the thread that sends it;
    ``expired`` tells afterwards whether the deadline cut the request short.
    """

    def __init__(self, seconds: float) -> None:
        self.expired = False
        self._lock = threading.Lock()
        self._connections: list[Any] = []
        self._timer = threading.Timer(max(float(seconds), 0.0), self._fire)
        self._timer.daemon = True

    def track(self, connection: Any) -> None:
        """Remember ``connection`` (shut it down at once if the deadline already passed)."""
        with self._lock:
            if not any(c is connection for c in self._connections):
                self._connections.append(connection)
            if self.expired:
                _shut(connection)

    def _fire(self) -> None:
        with self._lock:
            self.expired = True
            for connection in self._connections:
                _shut(connection)

    def __enter__(self) -> Watchdog:
        _LOCAL.watchdog = self
        self._timer.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._timer.cancel()
        _LOCAL.watchdog = None


def _shut(connection: Any) -> None:
    sock = getattr(connection, "sock", None)
    if sock is None:
        return
    with contextlib.suppress(OSError):  # already closed
        sock.shutdown(socket.SHUT_RDWR)


def _register(connection: Any) -> None:
    watchdog = getattr(_LOCAL, "watchdog", None)
    if watchdog is not None:
        watchdog.track(connection)


class _WatchedHTTPConnection(HTTPConnection):
    """Registers itself with this thread's watchdog before it connects or sends."""

    def connect(self) -> None:
        _register(self)
        super().connect()

    def request(self, *args: Any, **kwargs: Any) -> None:
        _register(self)
        super().request(*args, **kwargs)


class _WatchedHTTPSConnection(_WatchedHTTPConnection, HTTPSConnection):
    """The same for TLS (method order: the watch first, then HTTPSConnection's own)."""


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


def install(session: Any) -> None:
    """Make the connection pools of ``session``'s HTTP adapters register with the watchdog.

    Adapters that are not :class:`requests.adapters.HTTPAdapter` (test doubles, custom
    transports) are left alone; their requests keep the between-reads deadline check only.
    """
    for adapter in getattr(session, "adapters", {}).values():
        manager = getattr(adapter, "poolmanager", None)
        if not isinstance(adapter, requests.adapters.HTTPAdapter) or manager is None:
            continue
        classes = dict(getattr(manager, "pool_classes_by_scheme", {}))
        if classes.get("http") is _WatchedHTTPPool:
            continue
        classes.update(http=_WatchedHTTPPool, https=_WatchedHTTPSPool)
        manager.pool_classes_by_scheme = classes
        manager.clear()  # pools made before now use the plain connection classes
