"""A lazily filtered handle on the bulk store, and the tidy panel of a slice.

Filters on ``reporter`` and on periods prune whole parts through the manifest (no file is
opened for another reporter or month); filters on ``partner``, ``product``, ``flow`` and
``stat_procedure`` are pushed into the parquet scan of the remaining parts, which skips row
groups by their statistics where it can.
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from belru_trade._validation import check_choice
from belru_trade.errors import InvalidArgumentError
from belru_trade.periods import parse_period
from belru_trade.store.bulk.errors import BulkStoreError, NonNumericProductWarning
from belru_trade.store.bulk.layout import STORED_SCHEMA
from belru_trade.store.bulk.manifest import bulk_root, load_manifest
from belru_trade.trade import panel as tidy

__all__ = ["INFO_COLUMNS", "BulkDataset", "dataset", "info", "panel"]

INFO_COLUMNS = [
    "source", "layout", "first", "last", "periods", "reporters", "rows", "sha256", "ingested",
]  # fmt: skip
_FLOWS = {"import": 1, "export": 2, 1: 1, 2: 2}
_SOURCE = "comext_bulk"


def _codes(name: str, value: str | Iterable[str] | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    values = (value,) if isinstance(value, str) else tuple(value)
    bad = [v for v in values if not isinstance(v, str) or not re.fullmatch(r"[A-Za-z0-9_]+", v)]
    if bad or not values:
        raise InvalidArgumentError(
            f"{name}={value!r}: expected a code such as 'BE' or a list of codes"
        )
    return tuple(v.upper() for v in values)


def _products(value: str | Iterable[str] | None) -> tuple[str, ...] | None:
    values = _codes("product", value)
    if values is not None and any(len(v) > 8 for v in values):
        raise InvalidArgumentError(
            f"product={value!r}: expected CN codes or prefixes of at most 8 characters"
        )
    return values


def _period_bound(name: str, value: Any) -> tuple[int, int] | None:
    """(year, month) of a bound; month 0 for a bare year (rules of :func:`parse_period`)."""
    if value is None:
        return None
    period = parse_period(value, None, name=name)
    return (period.year, 0) if period.freqstr.startswith("Y") else (period.year, period.month)


@dataclass(frozen=True)
class _Filters:
    reporter: tuple[str, ...] | None = None
    partner: tuple[str, ...] | None = None
    product: tuple[str, ...] | None = None
    flow: tuple[int, ...] | None = None
    stat_procedure: tuple[str, ...] | None = None
    start: tuple[int, int] | None = None
    end: tuple[int, int] | None = None
    frequency: str | None = None

    def keeps_period(self, period: int) -> bool:
        year, month = divmod(period, 100)
        annual = month == 52
        if self.frequency is not None and annual != (self.frequency == "Y"):
            return False
        if self.start is not None:
            low = (self.start[0], 0 if annual else max(self.start[1], 1))
            if (year, 0 if annual else month) < low:
                return False
        if self.end is not None:
            high = (self.end[0], 0 if annual else (self.end[1] or 12))
            if (year, 0 if annual else month) > high:
                return False
        return True


def _row_filter(filters: _Filters) -> ds.Expression | None:
    parts = []
    if filters.partner is not None:
        parts.append(pc.field("partner").isin(list(filters.partner)))
    if filters.flow is not None:
        parts.append(pc.field("flow").isin(pa.array(filters.flow, pa.int8())))
    if filters.stat_procedure is not None:
        parts.append(pc.field("stat_procedure").isin(list(filters.stat_procedure)))
    if filters.product is not None:
        if all(len(p) == 8 for p in filters.product):
            parts.append(pc.field("product").isin(list(filters.product)))
        else:
            pattern = "^(?:" + "|".join(re.escape(p) for p in filters.product) + ")"
            text = pc.field("product").cast(pa.string())
            parts.append(pc.match_substring_regex(text, pattern=pattern))
    if not parts:
        return None
    expression = parts[0]
    for part in parts[1:]:
        expression = expression & part
    return expression


@dataclass(frozen=True)
class BulkDataset:
    """Lazily filtered view of the bulk store (nothing is read until a ``to_*`` call).

    Obtain one with :func:`dataset`; narrow it with :meth:`filter`. The handle reads the
    manifest as it was when :func:`dataset` was called: re-open it after an ingest.
    """

    base: Path
    manifest: dict = field(repr=False, compare=False)
    filters: _Filters = field(default_factory=_Filters)

    def filter(self, **kwargs: Any) -> BulkDataset:
        """Return a narrower handle; see :func:`panel` for the keyword arguments.

        ``frequency`` (``"M"``, ``"Y"`` or None for both) selects monthly or annual files.
        """
        allowed = {"reporter", "partner", "product", "flow", "stat_procedure", "start", "end",
                   "frequency"}  # fmt: skip
        unknown = sorted(set(kwargs) - allowed)
        if unknown:
            raise InvalidArgumentError(f"unknown filter {unknown[0]!r}; allowed: {sorted(allowed)}")
        changes: dict[str, Any] = {}
        for name in ("reporter", "partner", "stat_procedure"):
            if name in kwargs:
                changes[name] = _codes(name, kwargs[name])
        if "product" in kwargs:
            changes["product"] = _products(kwargs["product"])
        if "flow" in kwargs and kwargs["flow"] is not None:
            flows = kwargs["flow"]
            flows = [flows] if isinstance(flows, str | int) else list(flows)
            for value in flows:
                check_choice("flow", value, ("import", "export", 1, 2))
            changes["flow"] = tuple(sorted({_FLOWS[v] for v in flows}))
        for name in ("start", "end"):
            if name in kwargs:
                changes[name] = _period_bound(name, kwargs[name])
        if kwargs.get("frequency") is not None:
            check_choice("frequency", kwargs["frequency"], ("M", "Y"))
            changes["frequency"] = kwargs["frequency"]
        return replace(self, filters=replace(self.filters, **changes))

    def parts(self) -> list[dict]:
        """Manifest entries (``path``, ``period``, ``reporter``, ``rows``) the filters keep."""
        keep = []
        reporters = self.filters.reporter
        for period, entry in sorted(self.manifest["periods"].items()):
            if not self.filters.keeps_period(int(period)):
                continue
            for part in entry["parts"]:
                if reporters is None or part["reporter"] in reporters:
                    keep.append({**part, "period": int(period)})
        return keep

    def arrow_dataset(self) -> ds.Dataset:
        """The pyarrow dataset of the kept parts (partition values attached, not read)."""
        parts = self.parts()
        expressions = [
            (pc.field("period") == p["period"]) & (pc.field("reporter") == p["reporter"])
            for p in parts
        ]
        return ds.FileSystemDataset.from_paths(
            [str(self.base / p["path"]) for p in parts],
            schema=STORED_SCHEMA,
            format=ds.ParquetFileFormat(),
            filesystem=pa.fs.LocalFileSystem(),
            partitions=expressions,
        )

    def to_table(self, columns: list[str] | None = None) -> pa.Table:
        """Read the filtered rows as an Arrow table (columns of the stored schema)."""
        try:
            return self.arrow_dataset().to_table(columns=columns, filter=_row_filter(self.filters))
        except (FileNotFoundError, pa.ArrowIOError) as exc:
            raise BulkStoreError(
                f"bulk store {str(self.base)!r} changed or is damaged ({exc}); open a new "
                "handle with bt.bulk.dataset() or re-ingest the file"
            ) from exc

    def scanner(
        self, columns: list[str] | None = None, filter: ds.Expression | None = None
    ) -> ds.Scanner:
        """A pyarrow scanner of the filtered rows (read batch by batch, bounded memory);
        ``filter`` is combined with the handle's filters. Used by :func:`belru_trade.scan`."""
        expression = _row_filter(self.filters)
        if filter is not None:
            expression = filter if expression is None else expression & filter
        return self.arrow_dataset().scanner(columns=columns, filter=expression)

    def to_pandas(self, columns: list[str] | None = None) -> pd.DataFrame:
        """Read the filtered rows as a pandas DataFrame (codes as categoricals)."""
        return self.to_table(columns).to_pandas()

    def count_rows(self) -> int:
        """Number of rows the filters keep."""
        return int(self.arrow_dataset().count_rows(filter=_row_filter(self.filters)))

    @property
    def provenance(self) -> list[dict]:
        """Provenance records of every ingested file (name, size, SHA-256, rows, layout,
        periods, ingestion time), oldest first."""
        return [dict(record) for record in self.manifest["sources"]]

    def panel(self, *, digits: int = 8) -> pd.DataFrame:
        """The filtered rows as a tidy panel; see :func:`panel`."""
        return _to_panel(self, digits)


def _to_panel(handle: BulkDataset, digits: int) -> pd.DataFrame:
    check_choice("digits", digits, (2, 4, 6, 8))
    if handle.filters.frequency is None:
        handle = handle.filter(frequency="M")
    columns = ["reporter", "partner", "product", "flow", "period", "value_eur", "quantity_kg"]
    frame = handle.to_table(columns).to_pandas()
    if frame.empty:
        return tidy.empty_panel()
    for name in ("reporter", "partner", "product"):
        frame[name] = frame[name].astype(str)
    numeric = frame["product"].str.fullmatch(r"[0-9]{8}")
    if not numeric.all():
        dropped = frame.loc[~numeric, "product"]
        warnings.warn(
            f"{len(dropped)} rows with non-numeric product codes (e.g. "
            f"{sorted(dropped.unique())[:3]}) left out of the panel; bt.bulk.dataset() keeps them",
            NonNumericProductWarning,
            stacklevel=3,
        )
        frame = frame.loc[numeric]
    frame["product"] = frame["product"].str[:digits]
    keys = ["reporter", "partner", "product", "flow", "period"]
    sums = frame.groupby(keys, observed=True, sort=True)[["value_eur", "quantity_kg"]].sum(
        min_count=1
    )
    out = sums.reset_index()
    year = out["period"].to_numpy() // 100
    month = out["period"].to_numpy() % 100
    if handle.filters.frequency == "Y":
        periods = pd.PeriodIndex(pd.Series(year).astype(str), freq="Y")
    else:
        periods = pd.PeriodIndex.from_fields(year=year, month=month, freq="M")
    nomenclature = np.char.add("CN", year.astype(str)) if digits == 8 else "HS"
    result = pd.DataFrame(
        {
            "reporter": out["reporter"].astype(object),
            "partner": out["partner"].astype(object),
            "product": out["product"].astype(object),
            "nomenclature": pd.Series(nomenclature, index=out.index).astype(object),
            "flow": out["flow"].map({1: "import", 2: "export"}).astype(object),
            "period": periods,
            "value": out["value_eur"].astype("float64"),
            "currency": "EUR",
            "quantity": out["quantity_kg"].astype("float64"),
            "unit": np.where(out["quantity_kg"].isna(), None, "kg"),
            "source": _SOURCE,
            "flag": None,
        }
    )
    result["flag"] = result["flag"].astype(object)
    return tidy.validate(result, check_codes=False)


def dataset(store: str | os.PathLike[str] | None = None) -> BulkDataset:
    """Open the bulk store as a lazily filtered handle.

    Parameters
    ----------
    store : str or Path, optional
        Store root (default: that of the local store); the data sit in its ``bulk/`` folder.

    Returns
    -------
    BulkDataset
        Unfiltered; call :meth:`BulkDataset.filter`, then ``to_table``/``to_pandas``/``panel``.

    Raises
    ------
    BulkStoreError
        The manifest is unreadable.
    """
    base = bulk_root(store)
    return BulkDataset(base, load_manifest(base))


def panel(
    reporter: str | Iterable[str] | None = None,
    partner: str | Iterable[str] | None = None,
    product: str | Iterable[str] | None = None,
    flow: str | Iterable[str] | None = None,
    start: Any = None,
    end: Any = None,
    *,
    digits: int = 8,
    frequency: str = "M",
    stat_procedure: str | Iterable[str] | None = None,
    store: str | os.PathLike[str] | None = None,
) -> pd.DataFrame:
    """A slice of the bulk store as the tidy trade panel (filters pushed down).

    Parameters
    ----------
    reporter, partner : str or list of str, optional
        ISO-2 codes as in the files (``BE``, ``RU``); None keeps all.
    product : str or list of str, optional
        CN codes or prefixes (``"08083010"``, ``"0808"``); None keeps all.
    flow : {"import", "export"} or list, optional
    start, end : str, optional
        First and last month (``"2022-03"``) or year (``"2022"``), inclusive.
    digits : {8, 6, 4, 2}, default 8
        Product level: CN8 as stored, or summed to HS6/HS4/HS2 (nomenclature ``HS``).
    frequency : {"M", "Y"}, default "M"
        Monthly files, or the annual ``YYYY52`` files.
    stat_procedure : str or list of str, optional
        Keep only these ``STAT_PROCEDURE``/``STAT_REGIME`` codes; by default every code is
        kept and summed (their code lists are not confirmed).
    store : str or Path, optional
        Store root.

    Returns
    -------
    pandas.DataFrame
        The 12 columns of :data:`belru_trade.trade.panel.COLUMNS`, source ``comext_bulk``, value in
        EUR, quantity in kg, summed over trade type, statistical procedure and supplementary
        unit; nomenclature ``CN<year>`` for CN8 (the CN of the period's year) or ``HS``.
        Rows with confidential non-numeric codes are left out with a
        :class:`NonNumericProductWarning`.

    Raises
    ------
    InvalidArgumentError
        A filter value is malformed.
    """
    handle = dataset(store).filter(
        reporter=reporter, partner=partner, product=product, flow=flow, start=start, end=end,
        frequency=frequency, stat_procedure=stat_procedure,
    )  # fmt: skip
    return handle.panel(digits=digits)


def info(store: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """What the bulk store holds: one row per ingested file with live periods.

    Returns
    -------
    pandas.DataFrame
        Columns ``source``, ``layout``, ``first``, ``last`` (periods ``YYYYMM``), ``periods``
        (count), ``reporters``, ``rows``, ``sha256`` (first 12 hex digits), ``ingested``.
    """
    manifest = load_manifest(bulk_root(store))
    layouts = {(r["sha256"], r["ingested"]): r["layout"] for r in manifest["sources"]}
    groups: dict[tuple, dict] = {}
    for period, entry in sorted(manifest["periods"].items()):
        key = (entry["source"], entry["sha256"], entry["ingested"])
        group = groups.setdefault(key, {"periods": [], "reporters": set(), "rows": 0})
        group["periods"].append(period)
        group["reporters"].update(p["reporter"] for p in entry["parts"])
        group["rows"] += entry["rows"]
    rows = [
        {
            "source": name, "layout": layouts.get((sha, when), ""), "first": g["periods"][0],
            "last": g["periods"][-1], "periods": len(g["periods"]),
            "reporters": len(g["reporters"]), "rows": g["rows"], "sha256": sha[:12],
            "ingested": when,
        }
        for (name, sha, when), g in groups.items()
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=INFO_COLUMNS)
