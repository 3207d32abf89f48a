"""The two generations of Comext bulk file headers and how to recognise them.

A Comext bulk ``.dat`` file starts with a header line. Two layouts are known:

``legacy``
    ``DECLARANT,DECLARANT_ISO,PARTNER,PARTNER_ISO,TRADE_TYPE,PRODUCT_NC,PRODUCT_SITC,
    PRODUCT_CPA2002,PRODUCT_CPA2008,PRODUCT_CPA2_1,PRODUCT_BEC,PRODUCT_SECTION,FLOW,
    STAT_REGIME,SUPP_UNIT,PERIOD,VALUE_IN_EUROS,QUANTITY_IN_KG,SUP_QUANTITY`` (files
    ``fullYYYYMM.7z``); reporters and partners as numeric geonomenclature codes plus ISO-2.
``v2``
    ``REPORTER,PARTNER,TRADE_TYPE,PRODUCT_NC,PRODUCT_SITC,PRODUCT_CPA21,PRODUCT_CPA22,
    PRODUCT_BEC,PRODUCT_BEC5,PRODUCT_SECTION,FLOW,STAT_PROCEDURE,SUPPL_UNIT,PERIOD,VALUE_EUR,
    VALUE_NAC,QUANTITY_KG,QUANTITY_SUPPL_UNIT`` (files ``full_v2_YYYYMM.7z``); ISO-2 codes.

Both are comma-delimited; older pipe-delimited variants are accepted too (the delimiter is
read from the header line). Names are compared case-insensitively, surrounding blanks, a
UTF-8 byte-order mark and a trailing carriage return are ignored.

Both layouts map onto one stored schema (:data:`STORED_COLUMNS`). Product codes are stored
as text with their leading zeros; a CN8 code that arrives as 7 digits (a leading zero lost
by a spreadsheet) is padded back to 8. The product
classifications other than CN8 (SITC, CPA, BEC, section) are not stored: they follow from
the CN8 code through Eurostat's correspondence tables. ``STAT_REGIME`` (legacy) and
``STAT_PROCEDURE`` (v2) are kept, unfiltered, as ``stat_procedure``: their code lists are
not confirmed, so no row is dropped on them.

Examples
--------
>>> layout = detect_layout(b"REPORTER,PARTNER,TRADE_TYPE,PRODUCT_NC,PRODUCT_SITC,"
...     b"PRODUCT_CPA21,PRODUCT_CPA22,PRODUCT_BEC,PRODUCT_BEC5,PRODUCT_SECTION,FLOW,"
...     b"STAT_PROCEDURE,SUPPL_UNIT,PERIOD,VALUE_EUR,VALUE_NAC,QUANTITY_KG,QUANTITY_SUPPL_UNIT\\n",
...     "x.dat")
>>> layout.name, layout.delimiter, layout.source_of["value_eur"]
('v2', ',', 'VALUE_EUR')
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import pyarrow as pa

from belru_trade.store.bulk.errors import BulkEncodingError, BulkLayoutError, BulkTruncatedError

__all__ = ["LAYOUTS", "STORED_COLUMNS", "STORED_SCHEMA", "Layout", "detect_layout", "read_header"]

LEGACY_COLUMNS: tuple[str, ...] = (
    "DECLARANT", "DECLARANT_ISO", "PARTNER", "PARTNER_ISO", "TRADE_TYPE", "PRODUCT_NC",
    "PRODUCT_SITC", "PRODUCT_CPA2002", "PRODUCT_CPA2008", "PRODUCT_CPA2_1", "PRODUCT_BEC",
    "PRODUCT_SECTION", "FLOW", "STAT_REGIME", "SUPP_UNIT", "PERIOD", "VALUE_IN_EUROS",
    "QUANTITY_IN_KG", "SUP_QUANTITY",
)  # fmt: skip
V2_COLUMNS: tuple[str, ...] = (
    "REPORTER", "PARTNER", "TRADE_TYPE", "PRODUCT_NC", "PRODUCT_SITC", "PRODUCT_CPA21",
    "PRODUCT_CPA22", "PRODUCT_BEC", "PRODUCT_BEC5", "PRODUCT_SECTION", "FLOW", "STAT_PROCEDURE",
    "SUPPL_UNIT", "PERIOD", "VALUE_EUR", "VALUE_NAC", "QUANTITY_KG", "QUANTITY_SUPPL_UNIT",
)  # fmt: skip

_CODE = pa.dictionary(pa.int32(), pa.string())
#: Stored columns and their Arrow types (codes dictionary-encoded; measures float64 because
#: confidential or missing cells are empty; ``value_nac`` is null for the legacy layout).
STORED_SCHEMA = pa.schema(
    [
        ("reporter", pa.string()),
        ("period", pa.int32()),
        ("partner", _CODE),
        ("trade_type", _CODE),
        ("product", _CODE),
        ("flow", pa.int8()),
        ("stat_procedure", _CODE),
        ("suppl_unit", _CODE),
        ("value_eur", pa.float64()),
        ("value_nac", pa.float64()),
        ("quantity_kg", pa.float64()),
        ("quantity_suppl", pa.float64()),
    ]
)
STORED_COLUMNS: tuple[str, ...] = tuple(STORED_SCHEMA.names)


@dataclass(frozen=True)
class Layout:
    """One bulk file layout: its header and the source column of each stored column."""

    name: str
    columns: tuple[str, ...]
    source_of: dict[str, str | None] = field(hash=False)
    delimiter: str = ","

    def with_delimiter(self, delimiter: str) -> Layout:
        """Return the same layout with another delimiter."""
        return Layout(self.name, self.columns, self.source_of, delimiter)


LAYOUTS: tuple[Layout, ...] = (
    Layout(
        "legacy",
        LEGACY_COLUMNS,
        {
            "reporter": "DECLARANT_ISO", "period": "PERIOD", "partner": "PARTNER_ISO",
            "trade_type": "TRADE_TYPE", "product": "PRODUCT_NC", "flow": "FLOW",
            "stat_procedure": "STAT_REGIME", "suppl_unit": "SUPP_UNIT",
            "value_eur": "VALUE_IN_EUROS", "value_nac": None, "quantity_kg": "QUANTITY_IN_KG",
            "quantity_suppl": "SUP_QUANTITY",
        },
    ),
    Layout(
        "v2",
        V2_COLUMNS,
        {
            "reporter": "REPORTER", "period": "PERIOD", "partner": "PARTNER",
            "trade_type": "TRADE_TYPE", "product": "PRODUCT_NC", "flow": "FLOW",
            "stat_procedure": "STAT_PROCEDURE", "suppl_unit": "SUPPL_UNIT",
            "value_eur": "VALUE_EUR", "value_nac": "VALUE_NAC", "quantity_kg": "QUANTITY_KG",
            "quantity_suppl": "QUANTITY_SUPPL_UNIT",
        },
    ),
)  # fmt: skip


def _decode(line: bytes, name: str) -> str:
    if line.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in line:
        raise BulkEncodingError(
            f"file {name!r}: the header looks like UTF-16; Comext bulk files are ASCII/UTF-8"
        )
    try:
        return line.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BulkEncodingError(
            f"file {name!r}: the header is not ASCII/UTF-8 text ({exc.reason} at byte "
            f"{exc.start}); Comext bulk files are ASCII/UTF-8"
        ) from exc


def detect_layout(first_line: bytes, name: str) -> Layout:
    """Return the layout whose header is ``first_line``.

    Parameters
    ----------
    first_line : bytes
        The first line of the file (with or without its line break).
    name : str
        File name, used in error messages.

    Returns
    -------
    Layout

    Raises
    ------
    BulkEncodingError
        The line is not UTF-8 (UTF-16 byte-order mark, NUL bytes, invalid bytes).
    BulkLayoutError
        The line is not one of the two known headers (comma- or pipe-delimited).
    """
    text = _decode(first_line, name).strip().upper()
    delimiter = "|" if text.count("|") > text.count(",") else ","
    names = tuple(part.strip() for part in text.split(delimiter))
    for layout in LAYOUTS:
        if names == layout.columns:
            return layout.with_delimiter(delimiter)
    shown = text if len(text) <= 120 else text[:117] + "..."
    raise BulkLayoutError(
        f"file {name!r}: header {shown!r} is not a Comext bulk header; expected the legacy "
        f"header ({','.join(LEGACY_COLUMNS[:4])},...) or the v2 header "
        f"({','.join(V2_COLUMNS[:4])},...), comma- or pipe-delimited"
    )


def read_header(path: str, name: str) -> Layout:
    """Read the first line of the file at ``path`` and detect its layout.

    Raises
    ------
    BulkTruncatedError
        The file is empty or its last row has no line break (cut short).
    BulkEncodingError, BulkLayoutError
        See :func:`detect_layout`.
    """
    with open(path, "rb") as stream:
        first = stream.readline(4096)
        if not first:
            raise BulkTruncatedError(f"file {name!r} is empty; expected a Comext bulk header line")
        layout = detect_layout(first, name)
        stream.seek(-1, os.SEEK_END)
        if stream.read(1) != b"\n":
            raise BulkTruncatedError(
                f"file {name!r} does not end with a line break: it is truncated (a complete "
                "bulk file ends every row, the last one included, with a line break)"
            )
    return layout
