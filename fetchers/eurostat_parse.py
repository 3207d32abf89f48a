"""Pure parsers for Eurostat responses (no network).

Formats: JSON-stat 2.0 (Statistics API), SDMX 2.1 TSV and SDMX-CSV 1.0 (second parser),
SDMX-ML 2.1 structure-specific data, SOAP faults, asynchronous-reply envelopes, the data
structure (DSD) and the content constraint.

Every data parser returns a long frame with one column per dimension (lower-case ids, in
dataset order; the time dimension is called ``period``), then ``value`` (float, NaN when not
available), ``flag`` (nullable str: observation flags and ``c`` for confidential cells,
e.g. ``'p'``, ``'c'``, ``'ec'``) and ``text`` (nullable str: a non-numeric cell such as
Prodcom's ``'KG'``).

Examples
--------
>>> body = b'{"error":[{"status":404,"id":100,"label":"ERR_NOT_FOUND_4: DS-999999"}]}'
>>> parse_jsonstat(body)
Traceback (most recent call last):
...
belru_trade.fetchers.errors.NotFoundError: ERR_NOT_FOUND_4: DS-999999 (HTTP 404)
>>> normalise_flag("|C"), normalise_flag("p"), normalise_flag("e|C"), normalise_flag("")
('c', 'p', 'ec', None)
"""

from __future__ import annotations

import io
import json
import math
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .errors import (
    BadRequestError,
    ExtractionTooBigError,
    FetchError,
    HTTPError,
    NotFoundError,
    ResponseFormatError,
    TruncatedResponseError,
)

__all__ = [
    "AsyncTicket",
    "JsonStatMeta",
    "async_ticket",
    "normalise_flag",
    "parse_constraint",
    "parse_datastructure",
    "parse_jsonstat",
    "parse_sdmx_csv",
    "parse_sdmx_xml",
    "parse_tsv",
    "raise_for_fault",
]

_ROWS = re.compile(r"estimated ([0-9]+) rows")
_NUMERIC = re.compile(r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$")


@dataclass(frozen=True)
class JsonStatMeta:
    """What a JSON-stat reply says besides the cells.

    Attributes
    ----------
    dataset : str
        ``extension.id`` (e.g. ``DS-045409``).
    updated : str or None
        The ``updated`` stamp (the provider's last update).
    categories : dict
        Dimension id -> codes present in the reply (upper-case), for unknown-code checks.
    no_data : dict
        ``positions-with-no-data`` translated into codes.
    """

    dataset: str = ""
    updated: str | None = None
    categories: dict[str, tuple[str, ...]] = field(default_factory=dict)
    no_data: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class AsyncTicket:
    """An asynchronous reply: the key to poll and its status."""

    key: str
    status: str


def normalise_flag(status: Any) -> str | None:
    """Turn a status like ``'p'``, ``'|C'``, ``'e|C'`` into ``'p'``, ``'c'``, ``'ec'``."""
    if status is None or (isinstance(status, float) and np.isnan(status)):
        return None
    obs, _, conf = str(status).partition("|")
    letters = re.sub(r"[^A-Za-z]", "", obs).lower()
    if conf.strip().upper().startswith("C") and "c" not in letters:
        letters += "c"
    return letters or None


def _envelope_error(entry: dict[str, Any]) -> FetchError | None:
    status = int(entry.get("status") or 0)
    code = int(entry.get("id") or 0)
    label = str(entry.get("label", ""))
    if "NO_RESULTS" in label or (status == 200 and code == 100):
        return None
    if status == 413 or code == 413 or "EXTRACTION_TOO_BIG" in label:
        rows = _ROWS.search(label)
        return ExtractionTooBigError(label, estimated_rows=int(rows.group(1)) if rows else None)
    if status == 404:
        return NotFoundError(label, status=404)
    if status == 400 or code in (140, 150):
        return BadRequestError(label, status=status or 400)
    return HTTPError(label, status=status or None)


def _load_json(body: bytes) -> dict[str, Any]:
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


def parse_jsonstat(body: bytes) -> tuple[pd.DataFrame, JsonStatMeta]:
    """Parse a JSON-stat 2.0 dataset (or raise the error its envelope carries).

    Returns
    -------
    frame : pandas.DataFrame
        Dimension columns, ``period``, ``value``, ``flag``, ``text``; empty with those
        columns for "no results" replies.
    meta : JsonStatMeta

    Raises
    ------
    ExtractionTooBigError, NotFoundError, BadRequestError, HTTPError
        From the ``error`` envelope.
    TruncatedResponseError
        The JSON ends early.
    """
    data = _load_json(body)
    if "error" in data:
        errors = data["error"] if isinstance(data["error"], list) else [data["error"]]
        error = _envelope_error(errors[0] if errors else {})
        if error is not None:
            raise error
        return _empty([]), JsonStatMeta()
    if "warning" in data and "value" not in data:
        raise _envelope_error(data["warning"]) or ResponseFormatError("warning without data")
    try:
        return _jsonstat_frame(data)
    except (KeyError, TypeError, IndexError) as exc:
        raise ResponseFormatError(f"not a JSON-stat 2.0 dataset: missing {exc}") from exc


def _columns(ids: list[str]) -> list[str]:
    return ["period" if d.lower() in ("time", "time_period") else d.lower() for d in ids]


def _empty(dims: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame({d: pd.Series(dtype=object) for d in dims})
    frame["value"] = pd.Series(dtype="float64")
    frame["flag"] = pd.Series(dtype=object)
    frame["text"] = pd.Series(dtype=object)
    return frame


def _category_codes(dim: str, index: Any, size: int) -> list[str]:
    """Codes of one dimension in position order; every position 0..size-1 exactly once."""
    if isinstance(index, list):
        index = {code: pos for pos, code in enumerate(index)}
    if not isinstance(index, dict) or len(index) != size:
        raise ResponseFormatError(
            f"JSON-stat dimension {dim!r}: {len(index) if isinstance(index, dict) else '?'} "
            f"categories for size {size}"
        )
    ordered: list[str | None] = [None] * size
    for code, pos in index.items():
        if isinstance(pos, bool) or not isinstance(pos, int) or not 0 <= pos < size:
            raise ResponseFormatError(
                f"JSON-stat dimension {dim!r}: category {code!r} has index {pos!r}, expected "
                f"an integer in [0, {size - 1}]"
            )
        if ordered[pos] is not None:
            raise ResponseFormatError(f"JSON-stat dimension {dim!r}: index {pos} used twice")
        ordered[pos] = str(code)
    return [str(code) for code in ordered]


def _cell_keys(values: Any, status: Any, cells: int) -> list[int]:
    """Sorted flat positions of the observations; each must be an integer in range."""
    keys = set()
    for name, mapping in (("value", values), ("status", status)):
        if not isinstance(mapping, dict):
            raise ResponseFormatError(f"JSON-stat {name!r} must be an object or a list")
        for key in mapping:
            text = str(key)
            if not text.isdigit() or int(text) >= cells:
                raise ResponseFormatError(
                    f"JSON-stat {name!r} key {key!r} is not a cell position in [0, {cells - 1}]"
                )
            keys.add(int(text))
    for key, cell in values.items():
        if isinstance(cell, bool) or (cell is not None and not isinstance(cell, int | float | str)):
            raise ResponseFormatError(f"JSON-stat value at {key} is {cell!r}, not a number")
        if isinstance(cell, str) and _NUMERIC.match(cell.strip()):
            raise ResponseFormatError(
                f"JSON-stat value at {key} is the string {cell!r}: numbers must be JSON numbers"
            )
    return sorted(keys)


def _jsonstat_frame(data: dict[str, Any]) -> tuple[pd.DataFrame, JsonStatMeta]:
    ids = list(data["id"])
    sizes = [int(s) for s in data["size"]]
    if len(sizes) != len(ids) or any(s < 0 for s in sizes):
        raise ResponseFormatError(f"JSON-stat 'size' {sizes} does not match 'id' {ids}")
    codes = [
        _category_codes(dim, data["dimension"][dim]["category"]["index"], size)
        for dim, size in zip(ids, sizes, strict=True)
    ]
    values = data.get("value") or {}
    status = data.get("status") or {}
    if isinstance(values, list):
        values = {str(i): v for i, v in enumerate(values) if v is not None}
    if isinstance(status, list):
        status = {str(i): s for i, s in enumerate(status) if s is not None}
    keys = _cell_keys(values, status, math.prod(sizes))
    frame = _cells(ids, sizes, codes, keys, values, status)
    extension = data.get("extension", {})
    no_data = {}
    for dim, positions in (extension.get("positions-with-no-data") or {}).items():
        if dim in ids and positions:
            at = ids.index(dim)
            no_data[_columns([dim])[0]] = tuple(codes[at][p] for p in positions if p < sizes[at])
    meta = JsonStatMeta(
        dataset=str(extension.get("id", "")),
        updated=data.get("updated"),
        categories={c: tuple(x.upper() for x in codes[i]) for i, c in enumerate(_columns(ids))},
        no_data=no_data,
    )
    return frame, meta


def _cells(
    ids: list[str],
    sizes: list[int],
    codes: list[list[str]],
    keys: list[int],
    values: dict[str, Any],
    status: dict[str, Any],
) -> pd.DataFrame:
    columns = _columns(ids)
    if not keys:
        return _empty(columns)
    flat = np.asarray(keys, dtype=np.int64)
    out: dict[str, Any] = {}
    remainder = flat.copy()
    for dim, size, labels in zip(reversed(columns), reversed(sizes), reversed(codes), strict=True):
        out[dim] = np.asarray(labels, dtype=object)[remainder % size]
        remainder //= size
    raw = [values.get(str(k)) for k in keys]
    number = [v if isinstance(v, int | float) and not isinstance(v, bool) else np.nan for v in raw]
    text = [v if isinstance(v, str) else None for v in raw]
    flags = [normalise_flag(status.get(str(k))) for k in keys]
    for i, cell in enumerate(text):
        if cell is not None and cell.startswith(":"):
            flags[i] = normalise_flag(f"{flags[i] or ''}|{cell[1:]}") if cell[1:] else flags[i]
            text[i] = None
    frame = pd.DataFrame({c: out[c] for c in columns})
    frame["value"] = np.asarray(number, dtype="float64")
    frame["flag"] = pd.Series(flags, dtype=object)
    frame["text"] = pd.Series(text, dtype=object)
    return frame


def _split_cell(cell: str) -> tuple[float, str | None]:
    token, _, flag = cell.strip().partition(" ")
    if token in ("", ":"):
        return np.nan, normalise_flag(flag) if flag.strip() else None
    try:
        number = float(token)
    except ValueError as exc:
        raise ResponseFormatError(f"TSV cell {cell!r} is not a number") from exc
    return number, normalise_flag(flag) if flag.strip() else None


def parse_tsv(body: bytes) -> pd.DataFrame:
    """Parse SDMX 2.1 ``format=TSV`` (``dims\\TIME_PERIOD`` header, ``value flag`` cells).

    Returns
    -------
    pandas.DataFrame
        Dimension columns, ``period``, ``value``, ``flag``, ``text`` (always missing).
    """
    text = body.decode("utf-8-sig").replace("\r\n", "\n").strip("\n")
    if not text:
        return _empty([])
    lines = text.split("\n")
    header = lines[0].split("\t")
    if "\\" not in header[0]:
        raise ResponseFormatError(f"not an SDMX TSV header: {header[0][:60]!r}")
    dims = [d.strip().lower() for d in header[0].split("\\")[0].split(",")]
    periods = [h.strip() for h in header[1:]]
    rows: list[list[Any]] = []
    for line in lines[1:]:
        cells = line.split("\t")
        if len(cells) != len(header):
            raise TruncatedResponseError(f"TSV row has {len(cells)} cells, expected {len(header)}")
        key = [c.strip() for c in cells[0].split(",")]
        for period, cell in zip(periods, cells[1:], strict=True):
            value, flag = _split_cell(cell)
            if np.isnan(value) and flag is None:
                continue
            rows.append([*key, period, value, flag, None])
    frame = pd.DataFrame(rows, columns=[*dims, "period", "value", "flag", "text"])
    frame["value"] = frame["value"].astype("float64")
    return frame if rows else _empty([*dims, "period"])


def parse_sdmx_csv(body: bytes) -> tuple[pd.DataFrame, str | None]:
    """Parse SDMX-CSV 1.0 (``DATAFLOW,LAST UPDATE,dims...,TIME_PERIOD,OBS_VALUE,OBS_FLAG``).

    Returns
    -------
    frame : pandas.DataFrame
        Dimension columns, ``period``, ``value``, ``flag``, ``text``.
    last_update : str or None
        The ``LAST UPDATE`` stamp of the first row.
    """
    try:
        raw = pd.read_csv(io.BytesIO(body), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise TruncatedResponseError(f"SDMX-CSV body cannot be read: {exc}") from exc
    if "OBS_VALUE" not in raw.columns or "TIME_PERIOD" not in raw.columns:
        raise ResponseFormatError(f"not SDMX-CSV: columns {list(raw.columns)[:6]}")
    skip = {"DATAFLOW", "LAST UPDATE", "TIME_PERIOD", "OBS_VALUE", "OBS_FLAG", "CONF_STATUS"}
    dims = [c for c in raw.columns if c not in skip]
    frame = pd.DataFrame({d.lower(): raw[d].astype(object) for d in dims})
    frame["period"] = raw["TIME_PERIOD"].str.strip().astype(object)
    frame["value"] = pd.to_numeric(raw["OBS_VALUE"].replace({"": None, ":": None}))
    flags = raw.get("OBS_FLAG", pd.Series("", index=raw.index))
    conf = raw.get("CONF_STATUS", pd.Series("", index=raw.index))
    merged = [normalise_flag(f"{f}|{c}") for f, c in zip(flags, conf, strict=True)]
    frame["flag"] = pd.Series(merged, index=raw.index, dtype=object)
    frame["text"] = pd.Series(None, index=raw.index, dtype=object)
    frame["value"] = frame["value"].astype("float64")
    stamp = raw["LAST UPDATE"].iloc[0] if "LAST UPDATE" in raw.columns and len(raw) else None
    return frame, stamp


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _xml(body: bytes) -> ET.Element:
    try:
        return ET.fromstring(body)
    except ET.ParseError as exc:
        raise TruncatedResponseError(f"XML body is incomplete: {exc}") from exc


def raise_for_fault(body: bytes) -> None:
    """Raise the error of an SDMX SOAP ``<S:Fault>`` or legacy 413 footer; else return."""
    head = body[:2000]
    if b"Fault" not in head and b"footer:Message" not in body:
        return
    root = _xml(body)
    if _local(root.tag) == "Fault" or root.find(".//{*}Fault") is not None:
        fault = root if _local(root.tag) == "Fault" else root.find(".//{*}Fault")
        code = (fault.findtext("faultcode") or fault.findtext("{*}faultcode") or "").strip()
        text = (fault.findtext("faultstring") or fault.findtext("{*}faultstring") or "").strip()
        entry = {"status": int(code) if code.isdigit() else 0, "label": text}
        if entry["status"] == 100 and "NO_RESULTS" not in text:
            entry["status"] = 404 if "NOT_FOUND" in text else 400
        error = _envelope_error(entry)
        if error is not None:
            raise error
        return
    for message in root.iter():
        if _local(message.tag) == "Message" and message.get("code") == "413":
            raise ResponseFormatError(
                "legacy asynchronous footer (413 with a file URL) from the SDMX web service "
                "retired in February 2023; query the current dissemination API instead"
            )


def async_ticket(body: bytes) -> AsyncTicket | None:
    """Return the key and status of an asynchronous reply, or None for ordinary data."""
    if b"asyncResponse" not in body[:3000] and b"queued" not in body[:3000]:
        return None
    root = _xml(body)
    key = status = ""
    for element in root.iter():
        name = _local(element.tag)
        if name in ("key", "id") and element.text and not key:
            key = element.text.strip()
        elif name == "status" and element.text and element.text.strip():
            status = element.text.strip().upper()
    return AsyncTicket(key=key, status=status) if key else None


def async_status(body: bytes) -> str:
    """Status (``SUBMITTED``, ``PROCESSING``, ``AVAILABLE``, ``EXPIRED``) of a status reply."""
    raise_for_fault(body)
    root = _xml(body)
    for element in root.iter():
        if _local(element.tag) == "status" and element.text and element.text.strip():
            return element.text.strip().upper()
    raise ResponseFormatError("asynchronous status reply without a status")


def _obs_flag(obs: ET.Element) -> str | None:
    return normalise_flag(f"{obs.get('OBS_FLAG', '')}|{obs.get('CONF_STATUS', '')}")


def parse_sdmx_xml(body: bytes) -> pd.DataFrame:
    """Parse SDMX-ML 2.1 structure-specific data (``Series`` attributes, ``Obs`` cells)."""
    raise_for_fault(body)
    root = _xml(body)
    rows: list[dict[str, Any]] = []
    for series in root.iter("Series"):
        key = {k.lower(): v for k, v in series.attrib.items()}
        for obs in series.iter("Obs"):
            value = obs.get("OBS_VALUE")
            rows.append(
                {
                    **key,
                    "period": obs.get("TIME_PERIOD"),
                    "value": float(value) if value not in (None, "", "NaN") else np.nan,
                    "flag": _obs_flag(obs),
                    "text": None,
                }
            )
    if not rows:
        return _empty([])
    frame = pd.DataFrame(rows)
    frame["value"] = frame["value"].astype("float64")
    return frame


def parse_datastructure(body: bytes) -> list[str]:
    """Dimension ids of an SDMX 2.1 DSD in key order (time dimension last)."""
    raise_for_fault(body)
    root = _xml(body)
    found: list[tuple[int, str]] = []
    for element in root.iter():
        if _local(element.tag) in ("Dimension", "TimeDimension") and element.get("id"):
            found.append((int(element.get("position", len(found) + 1)), element.get("id")))
    if not found:
        raise ResponseFormatError("no dimensions in the data structure")
    return [name for _, name in sorted(found)]


def parse_constraint(body: bytes) -> dict[str, tuple[str, ...]]:
    """Codes with data per dimension from an SDMX 2.1 content constraint (cube region)."""
    raise_for_fault(body)
    root = _xml(body)
    out: dict[str, tuple[str, ...]] = {}
    for key_value in root.iter():
        if _local(key_value.tag) != "KeyValue":
            continue
        out[key_value.get("id", "")] = tuple(
            (v.text or "").strip() for v in key_value if _local(v.tag) == "Value"
        )
    return out
