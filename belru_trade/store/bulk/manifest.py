"""The bulk store on disk: parquet parts, one manifest, a writer lock.

Layout under ``<store root>/bulk/`` (the root of :func:`belru_trade.store.cache.root`)::

    manifest.json                          the live state: every visible part, provenance
    parts/period=YYYYMM/reporter=XX/<ingest id>-<n>.parquet
    .lock                                  held by one writer at a time

Readers see only the parts listed in ``manifest.json``. An ingest writes new parts under a
fresh ingest id (invisible), then swaps the manifest in one ``os.replace``: the periods of
the file now point at the new parts, the old parts of those periods are deleted after the
swap. A crash before the swap leaves unlisted parts that no reader sees and that the next
ingest deletes; a crash after it leaves superseded parts, deleted likewise. So re-ingesting a
month replaces it atomically, never duplicates it. The manifest sits two levels below the
store root so that the raw/tidy store's ``*/*/*.json`` scan never takes it for an entry.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from belru_trade._outputs import atomic_write
from belru_trade.store.bulk.errors import BulkStoreError

__all__ = [
    "FORMAT",
    "bulk_root",
    "empty_manifest",
    "live_paths",
    "load_manifest",
    "now",
    "remove_unlisted",
    "save_manifest",
    "writer_lock",
]

#: Version of the manifest format.
FORMAT = 1
_MANIFEST = "manifest.json"


def bulk_root(store: str | os.PathLike[str] | None = None) -> Path:
    """Folder of the bulk dataset: ``<store root>/bulk``.

    The store root is ``store`` if given, else the root of the local store
    (``BELRU_TRADE_CACHE``, else the platform's user cache folder).
    """
    from belru_trade.store.cache import root

    return root(store) / "bulk"


def empty_manifest() -> dict[str, Any]:
    """Manifest of an empty store."""
    return {"format": FORMAT, "periods": {}, "sources": []}


def load_manifest(base: Path) -> dict[str, Any]:
    """Read ``manifest.json`` under ``base`` (an empty manifest when absent).

    Raises
    ------
    BulkStoreError
        The manifest exists but cannot be parsed or has an unknown format.
    """
    path = base / _MANIFEST
    if not path.exists():
        return empty_manifest()
    try:
        manifest = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise BulkStoreError(f"bulk manifest {str(path)!r} is unreadable: {exc}") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BulkStoreError(
            f"bulk manifest {str(path)!r} has format {manifest.get('format')!r}; this version "
            f"reads format {FORMAT}"
        )
    return manifest


def save_manifest(base: Path, manifest: dict[str, Any]) -> None:
    """Write ``manifest.json`` atomically (:func:`belru_trade._outputs.atomic_write`)."""
    atomic_write(base / _MANIFEST, json.dumps(manifest, indent=1, sort_keys=True).encode())


@contextlib.contextmanager
def writer_lock(base: Path) -> Iterator[None]:
    """Hold the store's writer lock (an advisory ``flock``; a no-op where unsupported)."""
    base.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    with open(base / ".lock", "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def live_paths(manifest: dict[str, Any]) -> set[str]:
    """Relative paths of every part listed in ``manifest``."""
    return {part["path"] for entry in manifest["periods"].values() for part in entry["parts"]}


def remove_unlisted(base: Path, manifest: dict[str, Any]) -> int:
    """Delete parts not in ``manifest`` (left by a crash) and stale extraction folders.

    Call only while holding :func:`writer_lock`. Returns the number of files deleted.
    """
    listed = live_paths(manifest)
    removed = 0
    parts = base / "parts"
    if parts.exists():
        for path in parts.rglob("*.parquet"):
            if path.relative_to(base).as_posix() not in listed:
                with contextlib.suppress(OSError):
                    path.unlink()
                    removed += 1
        for folder in sorted(parts.rglob("*"), key=lambda p: -len(p.parts)):
            if folder.is_dir():
                with contextlib.suppress(OSError):
                    folder.rmdir()  # only empty folders go
    for stale in base.glob(".extract-*"):
        shutil.rmtree(stale, ignore_errors=True)
    for stale in base.glob(".manifest-*"):
        with contextlib.suppress(OSError):
            stale.unlink()
    return removed


def now() -> str:
    """Current UTC time, ISO 8601 to the second."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
