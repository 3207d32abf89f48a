"""Series of a scan read straight from a partitioned parquet dataset, group by group.

:func:`belru_trade.scan` on the bulk store (a :class:`belru_trade.store.bulk.BulkDataset`
handle, filtered or not) never builds the whole wide matrix: a first pass reads only the
key columns (series and period, in record batches) to fix the series, the common period
axis and the number of rows per series; the series (values of the first ``by`` column,
sorted) are cut into chunks of ``chunk_size``, and consecutive chunks into read groups of
at most :data:`READ_ROWS` stored rows. Each group is read in one parquet scan (the group's
values pushed into the scan), its rows are split by chunk in memory, and every chunk is
summed into a dense periods x series block with :func:`numpy.bincount` and fitted. Memory
is bounded by one read group (and the key pass by one record batch and the series keys);
reading per group rather than per chunk reads each stored row once instead of once per
chunk. With ``engine="dask"`` each group is one task that reads its own rows in the
worker, so the client never holds the data.

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

from belru_trade.errors import InvalidArgumentError

__all__ = ["READ_ROWS", "DatasetSource", "is_dataset", "open_source", "read_chunk", "read_group"]

#: Panel column names accepted for ``column=`` and the stored columns they read.
MEASURES = {"value": "value_eur", "quantity": "quantity_kg"}
SERIES_COLUMNS = ("reporter", "partner", "product", "flow", "stat_procedure", "trade_type")
#: Most stored rows read by one parquet scan of a read group (about 0.5 GB in memory for
#: eight-digit products with one value column).
READ_ROWS = 10_000_000


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
    chunk_rows: tuple[int, ...] = ()  # stored rows per chunk (from the key pass)

    def groups(self, max_rows: int | None = None) -> list[tuple[int, ...]]:
        """Consecutive chunk numbers in read groups of at most ``max_rows`` stored rows
        (:data:`READ_ROWS` by default); a chunk larger than that is a group of its own."""
        limit = READ_ROWS if max_rows is None else max_rows
        rows = self.chunk_rows or (0,) * len(self.chunks)
        groups: list[tuple[int, ...]] = []
        current: list[int] = []
        total = 0
        for i, n in enumerate(rows):
            if current and total + n > limit:
                groups.append(tuple(current))
                current, total = [], 0
            current.append(i)
            total += n
        if current:
            groups.append(tuple(current))
        return groups

    @property
    def index(self) -> pd.PeriodIndex:
        """The common monthly period axis."""
        ordinals = np.arange(self.first, self.first + self.periods)
        return pd.PeriodIndex.from_ordinals(ordinals, freq="M")


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
    counts: dict[str, int] = {}
    low, high = None, None
    for batch in handle.scanner(columns=[by[0], "period"]).to_batches():
        if batch.num_rows == 0:
            continue
        for item in pc.value_counts(batch.column(0).cast(pa.string())).to_pylist():
            counts[item["values"]] = counts.get(item["values"], 0) + item["counts"]
        lo, hi = pc.min_max(batch.column(1)).values()
        low = lo.as_py() if low is None else min(low, lo.as_py())
        high = hi.as_py() if high is None else max(high, hi.as_py())
    if low is None:
        raise InvalidArgumentError(f"selector={selector!r} matches no rows of the dataset")
    first, last = _month_ordinal(np.array([low, high]))
    keys = sorted(counts)
    chunks = tuple(tuple(keys[s : s + chunk_size]) for s in range(0, len(keys), chunk_size))
    rows = tuple(sum(counts[k] for k in chunk) for chunk in chunks)
    return DatasetSource(handle, by, stored, int(first), int(last - first + 1), chunks, rows)


def read_chunk(source: DatasetSource, values: tuple[str, ...]) -> tuple[list[str], np.ndarray, int]:
    """Dense block of the series whose ``by[0]`` is in ``values`` (one parquet scan).

    Returns
    -------
    names : list of str
        Series names (``by`` values joined by ``/``), sorted as the panel path sorts them.
    Y : ndarray
        periods x series, summed over all other columns; absent or missing cells are 0.
    present : int
        Number of (period, series) cells with at least one row (for the zero-fill count).
    """
    return _dense(source, _read(source, values))


def read_group(
    source: DatasetSource, group: tuple[int, ...]
) -> list[tuple[list[str], np.ndarray, int]]:
    """:func:`read_chunk` of every chunk in ``group`` (chunk numbers), from one parquet scan.

    The group's rows are split by chunk in memory: the first key column is dictionary
    encoded, each distinct value is mapped to its chunk, and one stable sort of the rows by
    chunk gives each chunk a contiguous slice.
    """
    values = tuple(v for i in group for v in source.chunks[i])
    table = _read(source, values)
    encoded = pc.dictionary_encode(table[source.by[0]].cast(pa.string())).combine_chunks()
    position = {v: j for j, i in enumerate(group) for v in source.chunks[i]}
    chunk_of_value = np.array([position[v] for v in encoded.dictionary.to_pylist()], dtype=np.int64)
    row_chunk = chunk_of_value[encoded.indices.to_numpy(zero_copy_only=False)]
    order = np.argsort(row_chunk, kind="stable")
    bounds = np.searchsorted(row_chunk[order], np.arange(len(group) + 1))
    return [_dense(source, table.take(order[bounds[j] : bounds[j + 1]])) for j in range(len(group))]


def _read(source: DatasetSource, values: tuple[str, ...]) -> pa.Table:
    keep = pc.field(source.by[0]).cast(pa.string()).isin(pa.array(values, pa.string()))
    columns = [*source.by, "period", source.column]
    return source.handle.scanner(columns=columns, filter=keep).to_table()


def _dense(source: DatasetSource, table: pa.Table) -> tuple[list[str], np.ndarray, int]:
    by = list(source.by)
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
