"""Pure parsers for UN Comtrade API v1 responses (no network).

Examples
--------
>>> frame, count = parse_data(b'{"elapsedTime":"0.58 secs","count":0,"data":[],"error":""}')
>>> count, list(frame.columns)[:4]
(0, ['reporter_code', 'partner_code', 'product', 'flow'])
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd

from .errors import (
    AuthenticationError,
    HTTPError,
    RateLimitError,
    ResponseFormatError,
    TruncatedResponseError,
)

__all__ = ["DATA_COLUMNS", "parse_bulk_listing", "parse_data", "parse_reference"]

#: columns of :func:`parse_data` frames
DATA_COLUMNS: tuple[str, ...] = (
    "reporter_code",
    "partner_code",
    "product",
    "flow",
    "period",
    "value",
    "cif_value",
    "fob_value",
    "net_weight",
    "quantity",
    "quantity_unit",
    "classification",
    "flag",
)
_FLOWS = {"M": "import", "X": "export"}


def _load(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except RecursionError as exc:
        raise ResponseFormatError("JSON body nested too deeply to be a provider reply") from exc
    except ValueError as exc:
        if body.lstrip()[:1] in (b"{", b"["):
            raise TruncatedResponseError(f"JSON body is incomplete: {exc}") from exc
        raise ResponseFormatError(f"expected JSON, got {body[:60]!r}") from exc
    if not isinstance(data, dict):
        raise ResponseFormatError("expected a JSON object")
    return data


def _raise_error(data: dict[str, Any]) -> None:
    status = data.get("statusCode")
    message = str(data.get("message") or data.get("error") or "")
    if isinstance(data.get("errorObject"), dict):
        message = str(data["errorObject"].get("errorMessage", message))
    if status in (401, 403) and "quota" in message.lower():
        raise RateLimitError(message, status=int(status))
    if status in (401, 403):
        raise AuthenticationError(message, status=int(status))
    if message and "data" not in data:
        raise HTTPError(message, status=int(status) if isinstance(status, int) else None)
    if data.get("error"):
        raise HTTPError(str(data["error"]))


def _period(value: Any) -> str:
    text = str(value)
    return f"{text[:4]}-{text[4:6]}" if len(text) == 6 else text


def _flag(record: dict[str, Any]) -> str | None:
    marks = []
    if record.get("legacyEstimationFlag") not in (None, 0, "0"):
        marks.append("estimated")
    if record.get("isQtyEstimated") or record.get("isNetWgtEstimated"):
        marks.append("quantity_estimated")
    if record.get("isReported") is False:
        marks.append("not_reported")
    return ";".join(marks) or None


def _number(value: Any) -> float:
    return (
        float(value) if isinstance(value, int | float) and not isinstance(value, bool) else np.nan
    )


def parse_data(body: bytes) -> tuple[pd.DataFrame, int]:
    """Parse a ``data/v1/get`` or ``public/v1/preview`` reply.

    Returns
    -------
    frame : pandas.DataFrame
        Columns :data:`DATA_COLUMNS`: Comtrade reporter and partner codes (int), product
        (``cmdCode`` string), flow (``import``/``export``; other flow codes kept as sent),
        period (``YYYY`` or ``YYYY-MM``), value (``primaryValue``, USD), CIF and FOB values,
        net weight (kg), quantity and its unit, classification actually used (``H3``...),
        flag (``estimated``, ``quantity_estimated``, ``not_reported``; ``;``-joined).
    count : int
        The ``count`` the server reports (may exceed the rows when a cap truncates).

    Raises
    ------
    TruncatedResponseError, ResponseFormatError, HTTPError, AuthenticationError,
    RateLimitError
    """
    data = _load(body)
    _raise_error(data)
    records = data.get("data")
    if not isinstance(records, list):
        raise ResponseFormatError("Comtrade reply without a 'data' list")
    rows = [
        (
            int(r["reporterCode"]),
            int(r["partnerCode"]),
            str(r["cmdCode"]),
            _FLOWS.get(r.get("flowCode"), r.get("flowCode")),
            _period(r.get("period", r.get("refYear"))),
            _number(r.get("primaryValue")),
            _number(r.get("cifvalue", r.get("cifValue"))),
            _number(r.get("fobvalue", r.get("fobValue"))),
            _number(r.get("netWgt")),
            _number(r.get("qty")),
            r.get("qtyUnitAbbr") if r.get("qtyUnitCode") not in (None, -1) else None,
            r.get("classificationCode"),
            _flag(r),
        )
        for r in records
    ]
    frame = pd.DataFrame(rows, columns=list(DATA_COLUMNS))
    for column in ("value", "cif_value", "fob_value", "net_weight", "quantity"):
        frame[column] = frame[column].astype("float64")
    for column in ("product", "flow", "period", "quantity_unit", "classification", "flag"):
        frame[column] = frame[column].astype(object)
    count = data.get("count")
    return frame, int(count) if isinstance(count, int) else len(frame)


def parse_reference(body: bytes) -> pd.DataFrame:
    """Parse a reference table (``Reporters.json``, ``ModeOfTransportCodes.json``...)."""
    data = _load(body)
    results = data.get("results")
    if not isinstance(results, list):
        raise ResponseFormatError("reference table without a 'results' list")
    return pd.DataFrame(results)


def parse_bulk_listing(body: bytes) -> pd.DataFrame:
    """Parse a ``bulk/v1/get`` file listing (one row per file; empty when ``count`` is 0)."""
    data = _load(body)
    _raise_error(data)
    columns = ["fileUrl", "fileSize", "reporterCode", "period", "classificationCode"]
    records = data.get("data") or []
    frame = pd.DataFrame(records)
    return frame if len(frame) else pd.DataFrame(columns=columns)
