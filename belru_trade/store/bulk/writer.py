"""Ingest Comext bulk files into the partitioned parquet store.

One pass per file: the streaming parser (:mod:`belru_trade.store.bulk.reader`) feeds the
partitioned writer (:mod:`belru_trade.store.bulk.partition`), which writes ``period=/reporter=``
parts with dictionary-encoded codes in bounded memory. The parts are invisible until the
manifest swap (:mod:`belru_trade.store.bulk.manifest`).

Why pyarrow rather than DuckDB: measured on the project's 2-core machines (BENCHMARKS.md,
"Comext bulk ingest"), see there for the figures; pyarrow is already a dependency while DuckDB
would add a large one, and the pyarrow path hashes the bytes in the same pass and knows each
written part and its row count, which the manifest needs.
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from belru_trade.store.bulk.errors import BulkFileError
from belru_trade.store.bulk.layout import STORED_SCHEMA
from belru_trade.store.bulk.manifest import (
    bulk_root,
    live_paths,
    load_manifest,
    now,
    remove_unlisted,
    save_manifest,
    writer_lock,
)
from belru_trade.store.bulk.partition import PartitionedWriter
from belru_trade.store.bulk.reader import SourceFile, open_source, stream_batches

__all__ = ["INGEST_COLUMNS", "ingest", "ingest_file"]

logger = logging.getLogger(__name__)

INGEST_COLUMNS = ["file", "layout", "rows", "periods", "seconds", "rows_per_second"]


def _write_parts(source: SourceFile, base: Path, ingest_id: str, stats: dict) -> list[dict]:
    writer = PartitionedWriter(base, ingest_id, STORED_SCHEMA, source.name)
    try:
        for batch in stream_batches(source, stats):
            writer.write(batch)
        return writer.close()
    except BaseException:
        writer.abort()
        raise


def _commit(base: Path, manifest: dict, parts: list[dict], record: dict) -> dict:
    periods = dict(manifest["periods"])
    grouped: dict[str, list[dict]] = {}
    for part in sorted(parts, key=lambda p: (p["period"], p["reporter"], p["path"])):
        grouped.setdefault(part["period"], []).append(
            {"path": part["path"], "reporter": part["reporter"], "rows": part["rows"]}
        )
    for period, entries in grouped.items():
        periods[period] = {
            "parts": entries,
            "rows": sum(e["rows"] or 0 for e in entries),
            "source": record["name"],
            "sha256": record["sha256"],
            "ingested": record["ingested"],
        }
    updated = {**manifest, "periods": periods, "sources": [*manifest["sources"], record]}
    stale = live_paths(manifest) - live_paths(updated)
    save_manifest(base, updated)
    for relative in stale:
        try:
            (base / relative).unlink()
        except OSError:
            logger.warning("could not delete superseded part %s", relative)
    return updated


def ingest_file(path: str | os.PathLike[str], store: str | os.PathLike[str] | None = None) -> dict:
    """Ingest one bulk file; return its provenance record.

    The periods the file holds replace the same periods in the store (atomically, through
    the manifest swap); other periods are untouched.

    Returns
    -------
    dict
        ``name``, ``archive`` (the ``.7z`` name or None), ``archive_sha256``, ``size``
        (bytes of the text file), ``sha256`` (of the text file), ``rows``, ``layout``,
        ``periods`` (``YYYYMM`` strings), ``ingested`` (UTC), ``seconds``.

    Raises
    ------
    BulkFileError
        And its subclasses, for a missing, damaged or unknown file; the store is unchanged.
    """
    base = bulk_root(store)
    start = time.perf_counter()
    with writer_lock(base):
        manifest = load_manifest(base)
        removed = remove_unlisted(base, manifest)
        if removed:
            logger.info("removed %d parts left by an interrupted ingest", removed)
        with open_source(path, base) as source:
            stats: dict = {}
            ingest_id = uuid.uuid4().hex[:16]
            parts = _write_parts(source, base, ingest_id, stats)
            record = {
                "name": source.name,
                "archive": source.archive,
                "archive_sha256": source.archive_sha256,
                "size": source.size,
                "sha256": stats["sha256"],
                "rows": stats["rows"],
                "layout": stats["layout"],
                "periods": sorted({p["period"] for p in parts}),
                "ingested": now(),
                "ingest_id": ingest_id,
            }
            if sum(p["rows"] or 0 for p in parts) != stats["rows"]:
                raise BulkFileError(
                    f"file {source.name!r}: {stats['rows']} rows parsed but "
                    f"{sum(p['rows'] or 0 for p in parts)} written; store left unchanged"
                )
            record["seconds"] = round(time.perf_counter() - start, 3)
            _commit(base, manifest, parts, record)
    return record


def ingest(
    files: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    store: str | os.PathLike[str] | None = None,
) -> pd.DataFrame:
    """Ingest Comext bulk files (``.7z``, ``.dat`` or ``.csv``) into the bulk store.

    Parameters
    ----------
    files : path or iterable of paths
        Monthly or annual bulk files in the legacy or the v2 layout (detected from the
        header). Files are committed one by one, in the order given: a later file holding
        the same period as an earlier one replaces it.
    store : str or Path, optional
        Store root; the bulk dataset lives in its ``bulk/`` folder (default: the local
        store root, ``BELRU_TRADE_CACHE`` or the user cache folder).

    Returns
    -------
    pandas.DataFrame
        One row per file: ``file``, ``layout``, ``rows``, ``periods`` (comma-separated),
        ``seconds``, ``rows_per_second``.

    Raises
    ------
    BulkLayoutError, BulkEncodingError, BulkTruncatedError, BulkFormatError, BulkFileError
        A file is unusable; files before it stay committed, it and later files are not.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from belru_trade.store.bulk.layout import V2_COLUMNS
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     dat = pathlib.Path(tmp, "full_v2_202402.dat")
    ...     _ = dat.write_text(",".join(V2_COLUMNS) + "\\n"
    ...         "AT,AD,E,35069190,59229,2052,2059,220,311210,06,2,1,NO_SU,202402,65,65,3,0\\n")
    ...     ingest([dat], store=tmp)[["layout", "rows", "periods"]].to_dict("records")
    [{'layout': 'v2', 'rows': 1, 'periods': '202402'}]
    """
    if isinstance(files, str | os.PathLike):
        files = [files]
    rows = []
    for path in files:
        record = ingest_file(path, store)
        seconds = max(record["seconds"], 1e-9)
        rows.append(
            {
                "file": record["name"],
                "layout": record["layout"],
                "rows": record["rows"],
                "periods": ",".join(record["periods"]),
                "seconds": record["seconds"],
                "rows_per_second": record["rows"] / seconds,
            }
        )
    return pd.DataFrame(rows, columns=INGEST_COLUMNS)
