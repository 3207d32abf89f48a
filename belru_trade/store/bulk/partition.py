"""Write record batches into ``period=/reporter=`` parquet parts in bounded memory.

Each incoming batch is split by (period, reporter) with one stable sort of its keys; each
group is copied out (``take``), so a staged group never pins the block it came from. A
group's rows are staged until they make one row group (:data:`ROW_GROUP_ROWS`), then written
to that partition's open file. When the staged rows of all partitions together exceed
:data:`MAX_STAGED_ROWS`, the largest stages are written early (smaller row groups, same
data), so memory is bounded by that cap plus the batches in flight, whatever the file size
and however skewed the reporters are. Everything is synchronous: nothing queues behind a
slow disk.

Parts are written in place under their final names (``<ingest id>-<n>.parquet``), fsynced on
close, and become visible only when the caller lists them in the manifest.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from belru_trade.store.bulk.errors import BulkFormatError

__all__ = ["MAX_OPEN_FILES", "MAX_STAGED_ROWS", "ROW_GROUP_ROWS", "PartitionedWriter"]

#: Rows per row group in a written part (when the partition has that many).
ROW_GROUP_ROWS = 250_000
#: Cap on rows staged across all partitions before the largest are written early.
MAX_STAGED_ROWS = 2_000_000
#: Open part files at most; beyond, all are closed and later rows go to new parts.
MAX_OPEN_FILES = 400
_REPORTER = re.compile(r"[A-Za-z0-9_]+")


@dataclass
class _Partition:
    period: int
    reporter: str
    staged: list[pa.RecordBatch] = field(default_factory=list)
    rows: int = 0
    stream: IO[bytes] | None = None
    writer: pq.ParquetWriter | None = None
    path: str = ""
    written: int = 0


class PartitionedWriter:
    """Split batches by (period, reporter) and write one parquet part per partition.

    Parameters
    ----------
    base : Path
        Folder holding ``parts/``.
    ingest_id : str
        Unique prefix of the part file names.
    schema : pyarrow.Schema
        Schema of incoming batches; must contain ``period`` and ``reporter``, which are
        written only in the folder names.
    name : str
        Name of the source file, for error messages.
    """

    def __init__(self, base: Path, ingest_id: str, schema: pa.Schema, name: str = "") -> None:
        self.base = base
        self.name = name
        self.ingest_id = ingest_id
        self.columns = [n for n in schema.names if n not in ("period", "reporter")]
        self.file_schema = pa.schema([schema.field(n) for n in self.columns])
        self.partitions: dict[tuple[int, str], _Partition] = {}
        self.parts: list[dict] = []
        self.staged_rows = 0
        self._counter = 0

    def write(self, batch: pa.RecordBatch) -> None:
        """Stage the rows of ``batch`` in their partitions (writing full row groups)."""
        if batch.num_rows == 0:
            return
        reporters = pc.dictionary_encode(batch.column("reporter"))
        periods = batch.column("period").to_numpy()
        codes = reporters.indices.to_numpy().astype(np.int64)
        names = reporters.dictionary.to_pylist()
        bad = [n for n in names if not _REPORTER.fullmatch(n)]
        if bad:
            raise BulkFormatError(
                f"file {self.name!r}: reporter codes must be letters, digits or '_' (they "
                f"name folders); found {bad[:5]}"
            )
        key = periods.astype(np.int64) * len(names) + codes
        order = np.argsort(key, kind="stable")
        ordered = key[order]
        starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
        ends = np.r_[starts[1:], len(ordered)]
        data = pa.RecordBatch.from_arrays(
            [batch.column(n) for n in self.columns], schema=self.file_schema
        )
        for start, end in zip(starts, ends, strict=True):
            first = order[start]
            partition = self._partition(int(periods[first]), names[codes[first]])
            piece = data.take(pa.array(order[start:end]))
            partition.staged.append(piece)
            partition.rows += piece.num_rows
            self.staged_rows += piece.num_rows
            if partition.rows >= ROW_GROUP_ROWS:
                self._flush(partition)
        if self.staged_rows > MAX_STAGED_ROWS:
            for partition in sorted(self.partitions.values(), key=lambda p: -p.rows):
                if self.staged_rows <= MAX_STAGED_ROWS // 2:
                    break
                self._flush(partition)

    def _partition(self, period: int, reporter: str) -> _Partition:
        partition = self.partitions.get((period, reporter))
        if partition is None:
            partition = self.partitions[(period, reporter)] = _Partition(period, reporter)
        return partition

    def _flush(self, partition: _Partition) -> None:
        if not partition.rows:
            return
        writer = partition.writer
        if writer is None:
            if sum(p.writer is not None for p in self.partitions.values()) >= MAX_OPEN_FILES:
                for other in self.partitions.values():
                    self._close(other)
            writer = self._open(partition)
        table = pa.Table.from_batches(partition.staged, schema=self.file_schema)
        table = table.unify_dictionaries()
        writer.write_table(table, row_group_size=max(table.num_rows, 1))
        partition.written += table.num_rows
        self.staged_rows -= partition.rows
        partition.staged, partition.rows = [], 0

    def _open(self, partition: _Partition) -> pq.ParquetWriter:
        folder = f"parts/period={partition.period}/reporter={partition.reporter}"
        (self.base / folder).mkdir(parents=True, exist_ok=True)
        partition.path = f"{folder}/{self.ingest_id}-{self._counter}.parquet"
        self._counter += 1
        partition.stream = open(self.base / partition.path, "wb")  # noqa: SIM115 - see _close
        partition.writer = pq.ParquetWriter(partition.stream, self.file_schema)
        partition.written = 0
        return partition.writer

    def _close(self, partition: _Partition) -> None:
        if partition.writer is None or partition.stream is None:
            return
        partition.writer.close()
        partition.stream.flush()
        os.fsync(partition.stream.fileno())
        partition.stream.close()
        self.parts.append(
            {
                "path": partition.path,
                "period": str(partition.period),
                "reporter": partition.reporter,
                "rows": partition.written,
            }
        )
        partition.writer = partition.stream = None

    def close(self) -> list[dict]:
        """Write what is staged, close every part (fsynced) and return the parts written.

        Returns
        -------
        list of dict
            ``path`` (relative to ``base``), ``period`` (``YYYYMM`` string), ``reporter``,
            ``rows``.
        """
        for partition in self.partitions.values():
            self._flush(partition)
            self._close(partition)
        return self.parts

    def abort(self) -> None:
        """Close every open part without listing it (the caller's cleanup removes them)."""
        for partition in self.partitions.values():
            if partition.stream is not None:
                partition.stream.close()
            partition.writer = partition.stream = None
            partition.staged, partition.rows = [], 0
