"""A real HTTP server on 127.0.0.1 that injects faults, for the fetcher tests and benchmark.

Each path has a script: a queue of actions consumed one per request. When a path's queue
is empty, an optional ``responder(path, query) -> action`` answers; otherwise the request is
unrecorded: it is answered with status 599 and listed in ``unexpected`` (tests assert that
list is empty, so any unplanned request fails the test).

Actions: ``reply(status, body, headers)``, ``delay(seconds, then)``, ``RESET`` (abort the
connection), ``short(body)`` (announce the full length, send half, close), ``echo(status)``
(an error body quoting every request header, as some gateways do), ``drip(body, interval)``
(one byte per ``interval`` seconds), ``drip_headers(body, interval)`` (the status line and
headers one byte per ``interval`` seconds, then ``body`` at once), ``stream(total)`` (a body
of ``total`` bytes generated chunk by chunk, so the server itself holds little memory),
``redirect(location)``.
Bodies: :func:`gzip_bomb`, :func:`nested_json`.
"""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
import zlib
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import product as cartesian
from typing import Any
from urllib.parse import parse_qsl, urlsplit


@dataclass(frozen=True)
class Action:
    kind: str
    status: int = 200
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    then: Action | None = None
    announce: bool = True


def reply(status: int = 200, body: bytes | str | dict = b"", **headers: str) -> Action:
    if isinstance(body, dict):
        body = json.dumps(body)
    if isinstance(body, str):
        body = body.encode()
    headers = {k.replace("_", "-"): v for k, v in headers.items()}
    headers.setdefault("Content-Type", "application/json")
    return Action("reply", status, body, headers)


def delay(seconds: float, then: Action) -> Action:
    return Action("delay", seconds=seconds, then=then)


def short(body: bytes) -> Action:
    return Action("short", body=body)


RESET = Action("reset")


def echo(status: int = 401) -> Action:
    return Action("echo", status=status)


def drip(body: bytes, interval: float) -> Action:
    return Action("drip", body=body, seconds=interval)


def drip_headers(body: bytes, interval: float) -> Action:
    return Action("drip_headers", body=body, seconds=interval)


def stream(total: int, *, announce: bool = True, **headers: str) -> Action:
    """``total`` bytes; without ``announce`` no Content-Length (read until close)."""
    return Action("stream", seconds=float(total), headers=headers, announce=announce)


def redirect(location: str, status: int = 302) -> Action:
    return reply(status, b"", Location=location)


def gzip_bomb(inflated: int, chunk: int = 1 << 20) -> bytes:
    """A gzip stream of ``inflated`` zero bytes (about 1,000 times smaller)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = bytes(chunk)
    parts = [packer.compress(zeros) for _ in range(inflated // chunk)]
    return b"".join([*parts, packer.flush()])


def nested_json(depth: int) -> bytes:
    """``{"a":[[[...]]]}`` nested ``depth`` levels deep."""
    return b'{"a":' + b"[" * depth + b"]" * depth + b"}"


@dataclass
class Seen:
    path: str
    query: list[tuple[str, str]]
    headers: dict[str, str]

    def param(self, name: str) -> list[str]:
        return [v for k, v in self.query if k == name]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:  # keep test output quiet
        pass

    def do_GET(self) -> None:
        fault: FaultServer = self.server.fault  # type: ignore[attr-defined]
        parts = urlsplit(self.path)
        query = parse_qsl(parts.query, keep_blank_values=True)
        fault.seen.append(Seen(parts.path, query, dict(self.headers.items())))
        action = fault._next(parts.path, query)
        if action is None:
            fault.unexpected.append(self.path)
            self._send(reply(599, b'{"error":"unrecorded request"}'))
            return
        self._perform(action)

    def _perform(self, action: Action) -> None:
        if action.kind == "delay":
            time.sleep(action.seconds)
            self._perform(action.then)
        elif action.kind == "reset":
            linger = struct.pack("ii", 1, 0)
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
            self.close_connection = True
            self.connection.close()
        elif action.kind in ("echo", "drip", "drip_headers", "stream"):
            getattr(self, f"_{action.kind}")(action)
        elif action.kind == "short":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(action.body)))
            self.end_headers()
            self.wfile.write(action.body[: len(action.body) // 2])
            self.wfile.flush()
            self.close_connection = True
        else:
            self._send(action)

    def _echo(self, action: Action) -> None:
        # a gateway's plain-text error page quoting the request it refused
        quoted = "; ".join(f"{k}: {v}" for k, v in self.headers.items())
        text = f"Access denied. Request headers: {quoted}"
        self._send(reply(action.status, text, Content_Type="text/plain"))

    def _drip(self, action: Action) -> None:
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(action.body)))
            self.end_headers()
            for byte in action.body:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(action.seconds)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _drip_headers(self, action: Action) -> None:
        head = (
            f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(action.body)}\r\n\r\n"
        ).encode("ascii")
        try:
            for byte in head:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(action.seconds)
            self.wfile.write(action.body)
        except (BrokenPipeError, ConnectionResetError, OSError):
            self.close_connection = True

    def _stream(self, action: Action) -> None:
        total = int(action.seconds)
        block = b"[" + b" " * 65534 + b"]"
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            for name, value in action.headers.items():
                self.send_header(name.replace("_", "-"), value)
            if action.announce:
                self.send_header("Content-Length", str(total))
            else:
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            sent = 0
            while sent < total:
                piece = block[: total - sent]
                self.wfile.write(piece)
                sent += len(piece)
        except (BrokenPipeError, ConnectionResetError, OSError):
            self.close_connection = True

    def _send(self, action: Action) -> None:
        try:
            self.send_response(action.status)
            for name, value in action.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(action.body)))
            self.end_headers()
            self.wfile.write(action.body)
        except (BrokenPipeError, ConnectionResetError):  # the client timed out
            self.close_connection = True


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients that stop reading (size caps, deadlines) reset the connection


class FaultServer:
    """Start with ``with FaultServer() as server:``; ``server.url`` is the base URL."""

    def __init__(self, responder: Callable[[str, list], Action] | None = None) -> None:
        self.scripts: dict[str, deque[Action]] = {}
        self.responder = responder
        self.seen: list[Seen] = []
        self.unexpected: list[str] = []
        self._lock = threading.Lock()
        self.httpd = _Server(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        self.httpd.fault = self  # type: ignore[attr-defined]
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def __enter__(self) -> FaultServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def script(self, path: str, *actions: Action) -> None:
        self.scripts.setdefault(path, deque()).extend(actions)

    def count(self, path_prefix: str = "") -> int:
        return sum(1 for s in self.seen if s.path.startswith(path_prefix))

    def _next(self, path: str, query: list) -> Action | None:
        with self._lock:
            queue = self.scripts.get(path)
            if queue:
                return queue.popleft()
        return self.responder(path, query) if self.responder else None


# ----------------------------------------------------------------------------- bodies


def jsonstat(
    dims: Mapping[str, Iterable[str]],
    value: Callable[[dict[str, str]], float | None],
    *,
    updated: str = "2026-09-15T11:00:00+0200",
    dataset: str = "DS-045409",
    status: Callable[[dict[str, str]], str | None] | None = None,
) -> bytes:
    """A JSON-stat 2.0 body with the layout of Eurostat's replies (time last)."""
    ids = list(dims)
    codes = [list(dims[d]) for d in ids]
    values: dict[str, float] = {}
    flags: dict[str, str] = {}
    for flat, combo in enumerate(cartesian(*codes)):
        named = dict(zip(ids, combo, strict=True))
        cell = value(named)
        if cell is not None:
            values[str(flat)] = cell
        flag = status(named) if status else None
        if flag:
            flags[str(flat)] = flag
    body = {
        "version": "2.0",
        "class": "dataset",
        "updated": updated,
        "value": values,
        "status": flags,
        "id": ids,
        "size": [len(c) for c in codes],
        "dimension": {
            d: {"category": {"index": {c: i for i, c in enumerate(cs)}}}
            for d, cs in zip(ids, codes, strict=True)
        },
        "extension": {"id": dataset, "positions-with-no-data": {}},
    }
    return json.dumps(body).encode()


def comext_from_query(
    query: list[tuple[str, str]],
    value: Callable[[dict], float | None],
    status: Callable[[dict], str | None] | None = None,
    drop: Iterable[str] = (),
) -> bytes:
    """Answer a Comext Statistics API query: every requested code appears."""
    get = lambda name: [v for k, v in query if k == name]  # noqa: E731
    since = dict(query).get("sinceTimePeriod")
    until = dict(query).get("untilTimePeriod")
    import pandas as pd

    periods = [str(p) for p in pd.period_range(since, until, freq="M")]
    dims = {
        "freq": get("freq"),
        "reporter": get("reporter"),
        "partner": get("partner"),
        "product": get("product"),
        "flow": get("flow"),
        "indicators": get("indicators"),
        "time": periods,
    }
    dims = {d: [c for c in codes if c not in set(drop)] for d, codes in dims.items()}
    return jsonstat(dims, value, status=status)


def comtrade_records(
    reporters: Iterable[int],
    partners: Iterable[int],
    products: Iterable[str],
    flows: Iterable[str],
    periods: Iterable[str],
    value: Callable[..., float],
) -> bytes:
    """A Comtrade v1 body with one record per combination."""
    rows = [
        {
            "reporterCode": r,
            "partnerCode": p,
            "cmdCode": c,
            "flowCode": f,
            "period": t,
            "primaryValue": value(r, p, c, f, t),
            "netWgt": 1000.0,
            "qtyUnitCode": 8,
            "qtyUnitAbbr": "kg",
            "qty": 1000.0,
            "classificationCode": "H4",
            "legacyEstimationFlag": 0,
            "isReported": True,
        }
        for r, p, c, f, t in cartesian(reporters, partners, products, flows, periods)
    ]
    return json.dumps(
        {"elapsedTime": "0.1 secs", "count": len(rows), "data": rows, "error": ""}
    ).encode()


def comtrade_from_query(query: list[tuple[str, str]], value: Callable[..., float]) -> bytes:
    """Answer a Comtrade data/preview query with one record per requested combination."""
    params = dict(query)
    return comtrade_records(
        [int(x) for x in params["reporterCode"].split(",")],
        [int(x) for x in params["partnerCode"].split(",")],
        params["cmdCode"].split(","),
        params["flowCode"].split(","),
        params["period"].split(","),
        value,
    )
