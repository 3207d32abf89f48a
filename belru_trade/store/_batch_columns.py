"""Pandas columns built from a stream of Arrow record batches, one batch at a time.

Reading a whole filtered parquet table before converting it holds the Arrow table (plain
string columns included) and the pandas columns at once. Here the columns are allocated once
for the number of matching rows, and each batch is written into them (codes into the
distinct values seen so far, numbers, period ordinals) and let go, so the peak is the
finished columns plus one batch (the measured effect is in BENCHMARKS.md).

String columns become codes into the distinct values the rows actually use: a categorical
with sorted string categories (sorting, ``.str`` methods and ``isin`` behave as on strings)
or an object array of str with None for missing values, whose Python strings are shared by
every row holding them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["CodeColumn", "NumberColumn"]


class CodeColumn:
    """Codes of a string column of ``rows`` rows, filled batch by batch, into one table of
    distinct values."""

    def __init__(self, rows: int) -> None:
        self._ids: dict[str, int] = {}
        self._codes_seen = np.empty(rows, dtype=np.int32)
        self._filled = 0

    def add(self, column: pa.Array) -> None:
        """Append one batch's column (plain or dictionary-encoded strings)."""
        if not pa.types.is_dictionary(column.type):
            column = pc.dictionary_encode(column)
        values = column.dictionary.cast(pa.string()).to_pylist()
        ids = np.array(
            [self._ids.setdefault(v, len(self._ids)) for v in values] + [-1], dtype=np.int64
        )
        positions = pc.fill_null(column.indices, len(values)).to_numpy(zero_copy_only=False)
        end = self._filled + len(positions)
        self._codes_seen[self._filled : end] = ids[positions]
        self._filled = end

    def _codes(self) -> tuple[np.ndarray, list[str]]:
        """Codes (-1 for missing) into the values the rows use, sorted; and those values."""
        codes = self._codes_seen[: self._filled]
        values = np.array(list(self._ids), dtype=object)
        used = np.flatnonzero(np.bincount(codes[codes >= 0], minlength=len(values)))
        order = used[np.argsort(values[used].astype(str), kind="stable")]
        rank = np.full(len(values) + 1, -1, dtype=np.int64)
        rank[order] = np.arange(len(order))
        return rank[codes], [str(v) for v in values[order]]

    def categorical(self) -> pd.Categorical:
        """The column as a categorical with sorted string categories."""
        codes, values = self._codes()
        return pd.Categorical.from_codes(codes, categories=pd.Index(values, dtype="str"))

    def strings(self) -> np.ndarray:
        """The column as an object array of str, None where missing."""
        codes, values = self._codes()
        strings = np.empty(len(values) + 1, dtype=object)
        strings[:-1] = values
        strings[-1] = None
        return strings[codes]


class NumberColumn:
    """A numeric column of ``rows`` rows, filled batch by batch (missing values become NaN
    for floats)."""

    def __init__(self, rows: int, dtype: type | np.dtype) -> None:
        self._values = np.empty(rows, dtype=dtype)
        self._filled = 0

    def add(self, column: pa.Array) -> None:
        """Append one batch's column."""
        end = self._filled + len(column)
        self._values[self._filled : end] = column.to_numpy(zero_copy_only=False)
        self._filled = end

    def array(self) -> np.ndarray:
        """The rows filled so far."""
        return self._values[: self._filled]
