"""Comext bulk files in a partitioned parquet store: every CN8 product of every member state.

Eurostat publishes Comext as monthly bulk files (``full_v2_YYYYMM.7z``, 300-400 MB of text
each once extracted). :func:`ingest` streams them, in bounded memory, into a parquet dataset
partitioned by period and reporter under ``<store root>/bulk``; :func:`dataset` opens a
lazily filtered handle on it and :func:`panel` returns a slice as the tidy trade panel.

Examples
--------
>>> import belru_trade as bt
>>> sorted(n for n in ("ingest", "dataset", "panel", "info") if hasattr(bt.bulk, n))
['dataset', 'info', 'ingest', 'panel']
"""

from __future__ import annotations

from belru_trade.store.bulk.dataset import BulkDataset, dataset, info, panel
from belru_trade.store.bulk.errors import (
    BulkEncodingError,
    BulkFileError,
    BulkFormatError,
    BulkLayoutError,
    BulkStoreError,
    BulkTruncatedError,
    NonNumericProductWarning,
)
from belru_trade.store.bulk.layout import Layout, detect_layout
from belru_trade.store.bulk.manifest import bulk_root
from belru_trade.store.bulk.writer import ingest

__all__ = [
    "BulkDataset",
    "BulkEncodingError",
    "BulkFileError",
    "BulkFormatError",
    "BulkLayoutError",
    "BulkStoreError",
    "BulkTruncatedError",
    "Layout",
    "NonNumericProductWarning",
    "bulk_root",
    "dataset",
    "detect_layout",
    "info",
    "ingest",
    "panel",
]
