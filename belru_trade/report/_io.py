"""Atomic writes and output manifests for the report writer (see :mod:`belru_trade._outputs`)."""

from __future__ import annotations

from belru_trade._outputs import (
    MANIFEST,
    atomic_write_bytes,
    atomic_write_text,
    prepare_out_dir,
    read_manifest,
    replace_manifest,
)

__all__ = [
    "MANIFEST",
    "atomic_write_bytes",
    "atomic_write_text",
    "prepare_out_dir",
    "read_manifest",
    "replace_manifest",
]
