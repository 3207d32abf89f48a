"""Series of a scan read straight from a partitioned parquet dataset, chunk by chunk.

:func:`belru_trade.scan` on the bulk store (a :class:`belru_trade.store.bulk.BulkDataset`
handle, filtered or not) never builds the whole wide matrix: a first pass reads only the
key columns (series and period, in record batches) to fix the series and the common period
axis; then every chunk of series (values of the first ``by`` column, sorted) is read with
that chunk pushed into the parquet scan, summed into a dense periods x series block with
:func:`numpy.bincount`, and fitted. Memory is bounded by one chunk (and the key pass by one
record batch and the set of series keys). With ``engine="dask"`` each chunk is one task that
reads its own rows in the worker, so the client never holds the data.

Notes
-----
Cells absent from the dataset and missing (confidential) values count as zero, as in the
panel path (with one :class:`~belru_trade.errors.ZeroFillWarning` giving the count).
Series are the stored codes: unlike :func:`belru_trade.bulk.panel`, product codes that are
not eight digits are kept as their own series.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from belru_trade._frames import periods_from_ordinals
from belru_trade.errors import InvalidArgumentError

__all__ = ["DatasetSource", "is_dataset", "open_source", "read_chunk"]

#: Panel column names accepted for ``column=`` and the stored columns they read.
MEASURES = {"value": "value_eur", "quantity": "quantity_kg"}
SERIES_COLUMNS = ("reporter", "partner", "product", "flow", "stat_procedure", "trade_type")


def is_dataset(data: Any) -> bool:
    """Whether ``data`` is a bulk-store handle (duck-typed: ``filter`` and ``scanner``)."""
    return callable(getattr(data, "scanner", None)) and callable(getattr(data, "filter", None))


@dataclass(frozen=True)
class DatasetSource:
    """What the chunks need: the filtered handle, the columns and the common axes."""

    handle: Any
    by: tuple[str, ...]
    column: str
    first: int  # month ordinal (pandas Period ordinal) of the first period
    periods: int
    chunks: tuple[tuple[str, ...], ...]  # values of by[0], sorted, per chunk

    @property
    def index(self) -> pd.PeriodIndex:
        """The common monthly period axis."""
        ordinals = np.arange(self.first, self.first + self.periods)
        return periods_from_ordinals(ordinals, "M")


def _month_ordinal(period: np.ndarray) -> np.ndarray:
    """YYYYMM integers to pandas monthly Period ordinals (months since 1970-01)."""
    period = period.astype(np.int64)
    return (period // 100 - 1970) * 12 + period % 100 - 1


def open_source(
    handle: Any, by: tuple[str, ...], selector: dict | None, column: str, chunk_size: int
) -> DatasetSource:
    """Filter the handle, then read the key columns once to fix series chunks and periods.

    Raises
    ------
    InvalidArgumentError
        ``by`` or ``column`` not available in the store, or no rows after ``selector``.
    """
    bad = [b for b in by if b not in SERIES_COLUMNS]
    if bad or not by:
        raise InvalidArgumentError(f"by={by!r}: with a bulk dataset, use {SERIES_COLUMNS}")
    stored = MEASURES.get(column, column)
    if stored not in MEASURES.values():
        raise InvalidArgumentError(f"column={column!r}: with a bulk dataset, use {list(MEASURES)}")
    handle = handle.filter(frequency="M", **(selector or {}))
    values: set[str] = set()
    low, high = None, None
    for batch in handle.scanner(columns=[by[0], "period"]).to_batches():
        if batch.num_rows == 0:
            continue
        values.update(pc.unique(batch.column(0).cast(pa.string())).to_pylist())
        lo, hi = pc.min_max(batch.column(1)).values()
        low = lo.as_py() if low is None else min(low, lo.as_py())
        high = hi.as_py() if high is None else max(high, hi.as_py())
    if low is None:
        raise InvalidArgumentError(f"selector={selector!r} matches no rows of the dataset")
    first, last = _month_ordinal(np.array([low, high]))
    keys = sorted(values)
    chunks = tuple(tuple(keys[s : s + chunk_size]) for s in range(0, len(keys), chunk_size))
    return DatasetSource(handle, by, stored, int(first), int(last - first + 1), chunks)


def read_chunk(source: DatasetSource, values: tuple[str, ...]) -> tuple[list[str], np.ndarray, int]:
    """Dense block of the series whose ``by[0]`` is in ``values``.

    Returns
    -------
    names : list of str
        Series names (``by`` values joined by ``/``), sorted as the panel path sorts them.
    Y : ndarray
        periods x series, summed over all other columns; absent or missing cells are 0.
    present : int
        Number of (period, series) cells with at least one row (for the zero-fill count).
    """
    by = list(source.by)
    keep = pc.field(by[0]).cast(pa.string()).isin(pa.array(values, pa.string()))
    table = source.handle.scanner(columns=[*by, "period", source.column], filter=keep).to_table()
    keys = [table[b].cast(pa.string()).to_numpy(zero_copy_only=False) for b in by]
    if len(by) == 1:
        names, series = np.unique(keys[0].astype(str), return_inverse=True)
    else:
        frame = pd.DataFrame({b: k.astype(str) for b, k in zip(by, keys, strict=True)})
        combos = frame.drop_duplicates().sort_values(by).reset_index(drop=True)
        series = frame.merge(combos.reset_index(), on=by, how="left")["index"].to_numpy()
        names = combos.astype(str).agg("/".join, axis=1).to_numpy()
    t = _month_ordinal(table["period"].to_numpy()) - source.first
    cell = series.astype(np.int64) * source.periods + t
    y = np.nan_to_num(table[source.column].to_numpy(zero_copy_only=False), nan=0.0)
    size = len(names) * source.periods
    Y = np.bincount(cell, weights=y, minlength=size).reshape(len(names), source.periods).T
    present = int(np.count_nonzero(np.bincount(cell, minlength=size)))
    return [str(n) for n in names], np.ascontiguousarray(Y), present
