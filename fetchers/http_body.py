"""Reading response bodies safely: size caps, a total deadline, bounded decompression.

Every body is streamed in small reads. The transport stops reading (and raises a named
error) as soon as the body passes its byte cap or the request passes its total deadline, so
neither a huge body, a decompression bomb nor a server that sends one byte a second can
exhaust memory or block a fetch. Error bodies are quoted in messages only after the
credentials are removed and the quote is shortened.

Examples
--------
>>> import gzip
>>> decompress(gzip.compress(b"abc"), max_size=10)
b'abc'
>>> redact_text("key sk-123456 echoed", ["sk-123456"])
'key REDACTED echoed'
>>> error_message(b'{"message": "bad"}')
'bad'
"""

from __future__ import annotations

import io
import json
import re
import time
import zipfile
import zlib
from collections.abc import Iterable
from typing import Any

from .errors import ResponseTooLargeError, TruncatedResponseError

__all__ = ["MAX_QUOTE", "decompress", "error_message", "read_capped", "redact_text"]

#: longest error-body excerpt quoted in an exception message
MAX_QUOTE = 300
_READ = 32 * 1024


class DeadlineExceededError(Exception):
    """Internal: the total deadline of a request passed while reading its body."""


def redact_text(text: str, secrets: Iterable[str]) -> str:
    """Replace every secret (and its stripped form) in ``text`` by ``REDACTED``."""
    for secret in secrets:
        for form in {secret, secret.strip()}:
            if len(form) >= 4:
                text = text.replace(form, "REDACTED")
    return text


def read_capped(response: Any, *, max_bytes: int, deadline: float, shown: str) -> bytes:
    """Read a streamed :class:`requests.Response` body, at most ``max_bytes`` bytes.

    Raises :class:`ResponseTooLargeError` as soon as the (transfer-decoded) body passes
    ``max_bytes`` and :class:`DeadlineExceededError` when ``time.monotonic()`` passes
    ``deadline`` between two reads. The response is closed in every case.
    """
    announced = str(response.headers.get("Content-Length", "")).strip()
    try:
        if announced.isdigit() and int(announced) > max_bytes:
            raise ResponseTooLargeError(
                f"the provider announced {int(announced):,} bytes, above max_bytes="
                f"{max_bytes:,} [{shown}]",
                limit=max_bytes,
            )
        buffer = bytearray()
        while True:
            if time.monotonic() > deadline:
                raise DeadlineExceededError
            chunk = response.raw.read1(_READ, decode_content=True)
            if not chunk:
                return bytes(buffer)
            buffer += chunk
            if len(buffer) > max_bytes:
                raise ResponseTooLargeError(
                    f"the body passed max_bytes={max_bytes:,} bytes; reading stopped [{shown}]",
                    limit=max_bytes,
                )
    finally:
        response.close()


def _too_big(max_size: int) -> ResponseTooLargeError:
    return ResponseTooLargeError(
        f"the compressed body inflates past max_decoded_bytes={max_size:,} bytes "
        "(a decompression bomb or an unexpectedly large extraction); decompression stopped",
        limit=max_size,
    )


def _gunzip(body: bytes, max_size: int) -> bytes:
    out = bytearray()
    data = body
    while data:
        inflater = zlib.decompressobj(wbits=31)
        try:
            out += inflater.decompress(data, max_size + 1 - len(out))
        except zlib.error as exc:
            raise TruncatedResponseError(f"gzip body is corrupt or incomplete: {exc}") from exc
        if len(out) > max_size or inflater.unconsumed_tail:
            raise _too_big(max_size)
        if not inflater.eof:
            raise TruncatedResponseError("gzip body is incomplete: the stream ended early")
        data = inflater.unused_data.lstrip(b"\x00")
    return bytes(out)


def _unzip(body: bytes, max_size: int) -> bytes:
    try:
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            name = archive.namelist()[0]
            if archive.getinfo(name).file_size > max_size:
                raise _too_big(max_size)
            with archive.open(name) as member:
                data = member.read(max_size + 1)
    except (zipfile.BadZipFile, IndexError, EOFError, zlib.error) as exc:
        raise TruncatedResponseError(f"ZIP body is incomplete: {exc}") from exc
    if len(data) > max_size:
        raise _too_big(max_size)
    return data


def decompress(body: bytes, *, max_size: int = 1 << 30) -> bytes:
    """Undo gzip or single-member ZIP compression (recognised by magic bytes), bounded.

    Raises
    ------
    ResponseTooLargeError
        The inflated body would exceed ``max_size`` bytes (checked while inflating).
    TruncatedResponseError
        The compressed stream is incomplete or corrupt.
    """
    if body[:2] == b"\x1f\x8b":
        return _gunzip(body, max_size)
    if body[:4] == b"PK\x03\x04":
        return _unzip(body, max_size)
    return body


def _from_json(data: Any) -> str | None:
    if not isinstance(data, dict):
        return None
    errors = data.get("error")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        return str(errors[0].get("label", errors[0]))
    if isinstance(data.get("errorObject"), dict):
        return str(data["errorObject"].get("errorMessage", ""))
    for name in ("message", "error", "Message"):
        if data.get(name):
            return str(data[name])
    return None


def error_message(body: bytes, secrets: Iterable[str] = ()) -> str:
    """Short human message from an error body (Eurostat envelope, APIM JSON, SOAP fault).

    Credentials in ``secrets`` are replaced by ``REDACTED`` and the message is cut to
    :data:`MAX_QUOTE` characters.
    """
    text = body[:4000].decode("utf-8", "replace")
    try:
        message = _from_json(json.loads(text))
    except (ValueError, RecursionError):
        message = None
    if message is None:
        fault = re.search(r"<faultstring>(.*?)</faultstring>", text, re.DOTALL)
        source = fault.group(1) if fault else re.sub(r"<[^>]+>", " ", text)
        message = re.sub(r"\s+", " ", source).strip()
    message = redact_text(message, secrets)
    if len(message) > MAX_QUOTE:
        message = message[: MAX_QUOTE - 3] + "..."
    return message
