"""The local store: raw provider responses and tidy results, with integrity checks.

Layout under :func:`root` (the platformdirs user cache dir, or ``BELRU_TRADE_CACHE``)::

    belru_trade-store.json   marker written when the store is created: {"format": 2, ...}
    raw/<k[:2]>/<k>.body   raw response body, k = SHA-256 of the request URL (secrets removed)
    raw/<k[:2]>/<k>.json   metadata: URL, provider, retrieval time, SHA-256 and size of the body
    tidy/<provider>/<q>.parquet   tidy panel, q = SHA-256 of the canonical query
    tidy/<provider>/<q>.json      provenance, SHA-256, rows, period range, query summary

Every file is written atomically (temporary file in the same folder, fsync, ``os.replace``);
the metadata file is written last, so an entry exists only once it is complete. Reading
checks the SHA-256: a mismatching entry is discarded with a
:class:`~belru_trade.errors.CacheIntegrityWarning` and fetched again. No credential is ever
part of a key, a file name or a file.

The marker makes the store know itself: :func:`clear` removes only files of the store's own
layout, in a folder holding the marker, and refuses any other folder
(:class:`~belru_trade.errors.NotAStoreError`). A store of another format (format 1 had no
marker and tidy keys without the provider host) is refused with
:class:`~belru_trade.errors.StoreFormatError`, whose message says how to rebuild it.

Examples
--------
>>> import tempfile, os
>>> with tempfile.TemporaryDirectory() as tmp:
...     store = RawStore(tmp)
...     store.put("ab" * 32, b"{}", {"url": "https://x/y", "provider": "eurostat"})
...     store.get("ab" * 32), len(info(tmp))
(b'{}', 1)
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import os
import re
import warnings
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pandas as pd

from belru_trade._outputs import atomic_write
from belru_trade.config import Settings
from belru_trade.errors import (
    CacheIntegrityWarning,
    InvalidArgumentError,
    NotAStoreError,
    StoreError,
    StoreFormatError,
)

__all__ = [
    "MARKER",
    "STORE_FORMAT",
    "RawStore",
    "clear",
    "info",
    "load_tidy",
    "root",
    "save_tidy",
    "tidy_key",
]

#: format of the store layout; bumped when keys or layout change
STORE_FORMAT = 2
#: marker file at the root of every store
MARKER = "belru_trade-store.json"
_KEY = re.compile(r"^[0-9a-f]{64}$")
_PROVIDER = re.compile(r"^[a-z][a-z0-9_]{0,40}$")
_SUFFIXES = {"raw": ".body", "tidy": ".parquet"}

logger = logging.getLogger(__name__)

_INFO_COLUMNS = [
    "kind",
    "provider",
    "dataset",
    "query",
    "rows",
    "period_start",
    "period_end",
    "retrieved",
    "size_bytes",
    "path",
]


def root(path: str | os.PathLike[str] | None = None) -> Path:
    """Folder of the store: ``path``, else ``BELRU_TRADE_CACHE``, else the user cache dir."""
    if path is not None:
        return Path(path)
    return Settings.from_environ().store_root()


def _rebuild_hint(base: Path) -> str:
    return (
        f"delete the folder {base} (it holds only downloaded data, fetched again on demand) "
        "or set BELRU_TRADE_CACHE to a new folder"
    )


def _marker(base: Path) -> dict[str, Any] | None:
    """The store marker, None when absent; raise for a file path or another format."""
    if base.exists() and not base.is_dir():
        raise StoreError(f"store path {base} is a file, not a folder; set BELRU_TRADE_CACHE")
    path = base / MARKER
    if not path.exists():
        if (base / "raw").is_dir() or (base / "tidy").is_dir():
            raise StoreFormatError(
                f"the store at {base} has format 1 (no marker, tidy keys without the "
                f"provider host); this version reads format {STORE_FORMAT}: " + _rebuild_hint(base)
            )
        return None
    try:
        marker = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise StoreFormatError(
            f"the store marker {path} is unreadable: {_rebuild_hint(base)}"
        ) from exc
    if not isinstance(marker, dict) or marker.get("format") != STORE_FORMAT:
        found = marker.get("format") if isinstance(marker, dict) else marker
        raise StoreFormatError(
            f"the store at {base} has format {found!r}; this version reads format "
            f"{STORE_FORMAT}: " + _rebuild_hint(base)
        )
    return marker


def _ensure_store(base: Path) -> None:
    """Create the store (folder and marker) on first write; check it otherwise."""
    if _marker(base) is not None:
        return
    record = {"format": STORE_FORMAT, "created": _now(), "by": "belru_trade"}
    _atomic_write(base / MARKER, json.dumps(record, indent=1).encode())


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _atomic_write(path: Path, data: bytes) -> None:
    try:
        atomic_write(path, data)
    except OSError as exc:
        raise StoreError(
            f"cannot write {path.name} in the store at {path.parent}: {exc.strerror or exc} "
            "(read-only folder, or a file where a folder is needed?); set BELRU_TRADE_CACHE to "
            "a writable folder"
        ) from exc


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _discard(paths: list[Path], reason: str) -> None:
    warnings.warn(
        f"discarding stored entry {paths[0].name}: {reason}", CacheIntegrityWarning, stacklevel=3
    )
    for path in paths:
        with contextlib.suppress(OSError):
            path.unlink()


class RawStore:
    """Raw response bodies keyed by request (a ``belru_trade.fetchers.result.ResponseStore``).

    Parameters
    ----------
    path : str or Path, optional
        Store root (default :func:`root`).
    """

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.base = root(path)
        self.root = self.base / "raw"

    def _paths(self, key: str) -> tuple[Path, Path]:
        if len(key) != 64 or any(c not in "0123456789abcdef" for c in key):
            raise InvalidArgumentError(f"key={key!r} is not a SHA-256 hex digest")
        folder = self.root / key[:2]
        return folder / f"{key}.body", folder / f"{key}.json"

    def get(self, key: str) -> bytes | None:
        """Return the stored body, or None when absent or failing its integrity check."""
        body_path, meta_path = self._paths(key)
        if _marker(self.base) is None or not meta_path.exists():
            return None
        meta, body = _read_entry(meta_path, body_path)
        if meta is None or body is None:
            return None
        if _sha256(body) != meta.get("sha256"):
            _discard([meta_path, body_path], "SHA-256 mismatch")
            return None
        return body

    def put(self, key: str, body: bytes, meta: Mapping[str, Any]) -> None:
        """Store a complete body atomically (body first, metadata last)."""
        body_path, meta_path = self._paths(key)
        record = {k: v for k, v in meta.items() if k in ("url", "provider", "label", "retrieved")}
        record.update({"sha256": _sha256(body), "size": len(body), "kind": "raw"})
        record.setdefault("retrieved", _now())
        _ensure_store(self.base)
        _atomic_write(body_path, body)
        _atomic_write(meta_path, json.dumps(record, indent=1).encode())


def _read_entry(meta_path: Path, data_path: Path) -> tuple[dict | None, bytes | None]:
    """Metadata (a JSON object) and data of an entry; discard an unreadable entry."""
    try:
        meta = json.loads(meta_path.read_text())
        data = data_path.read_bytes()
    except (OSError, ValueError, RecursionError):
        meta, data = None, None
    if not isinstance(meta, dict):
        _discard([meta_path, data_path], "unreadable or not a JSON object")
        return None, None
    return meta, data


def tidy_key(provider: str, query: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical JSON of a query (never includes a credential)."""
    text = json.dumps({"provider": provider, **query}, sort_keys=True, default=str)
    return _sha256(text.encode())


def _tidy_paths(provider: str, key: str, path: Any = None) -> tuple[Path, Path]:
    if not isinstance(provider, str) or not _PROVIDER.match(provider):
        raise InvalidArgumentError(
            f"provider={provider!r} is not allowed; expected lower-case letters, digits, '_'"
        )
    folder = root(path) / "tidy" / provider
    return folder / f"{key}.parquet", folder / f"{key}.json"


def save_tidy(
    provider: str,
    query: Mapping[str, Any],
    frame: pd.DataFrame,
    provenance: Mapping[str, Any],
    *,
    path: str | os.PathLike[str] | None = None,
) -> Path:
    """Store a tidy panel and its provenance atomically; return the parquet path."""
    key = tidy_key(provider, query)
    data_path, meta_path = _tidy_paths(provider, key, path)
    stored = frame.copy()
    freq = None
    if "period" in stored and isinstance(stored["period"].dtype, pd.PeriodDtype):
        freq = pd.PeriodIndex(stored["period"]).freqstr
        stored["period"] = stored["period"].astype(str)
    buffer = stored.to_parquet(index=False)
    periods = stored["period"] if "period" in stored and len(stored) else pd.Series([], dtype=str)
    meta = {
        "kind": "tidy",
        "provider": provider,
        "dataset": provenance.get("dataset", ""),
        "query": dict(query),
        "rows": len(frame),
        "period_freq": freq,
        "period_start": str(periods.min()) if len(periods) else None,
        "period_end": str(periods.max()) if len(periods) else None,
        "retrieved": provenance.get("retrieved") or _now(),
        "sha256": _sha256(buffer),
        "size": len(buffer),
        "provenance": dict(provenance),
    }
    _ensure_store(root(path))
    _atomic_write(data_path, buffer)
    _atomic_write(meta_path, json.dumps(meta, indent=1, default=str).encode())
    return data_path


def load_tidy(
    provider: str, query: Mapping[str, Any], *, path: str | os.PathLike[str] | None = None
) -> tuple[pd.DataFrame, dict[str, Any]] | None:
    """Return ``(frame, provenance)`` for a stored query, or None (absent or corrupt)."""
    data_path, meta_path = _tidy_paths(provider, tidy_key(provider, query), path)
    if _marker(root(path)) is None or not meta_path.exists():
        return None
    meta, buffer = _read_entry(meta_path, data_path)
    if meta is None or buffer is None:
        return None
    if _sha256(buffer) != meta.get("sha256"):
        _discard([meta_path, data_path], "SHA-256 mismatch")
        return None
    frame = pd.read_parquet(io.BytesIO(buffer))
    if meta.get("period_freq"):
        codes, uniques = pd.factorize(frame["period"].astype(str))
        frame["period"] = pd.PeriodIndex(list(uniques), freq=meta["period_freq"]).take(codes)
    for column in frame.columns:
        if frame[column].dtype == object or pd.api.types.is_string_dtype(frame[column]):
            frame[column] = frame[column].astype(object).where(frame[column].notna(), None)
    return frame, dict(meta.get("provenance", {}))


def _entry_paths(base: Path) -> list[Path]:
    """Metadata files of the store's own layout (``raw/<2 hex>/<key>.json``, ``tidy/...``)."""
    out = []
    for kind in ("raw", "tidy"):
        for meta_path in sorted((base / kind).glob("*/*.json")):
            folder, key = meta_path.parent.name, meta_path.stem
            own = (folder == key[:2]) if kind == "raw" else bool(_PROVIDER.match(folder))
            if own and _KEY.match(key) and not meta_path.is_symlink():
                out.append(meta_path)
    return out


def _entries(base: Path) -> list[tuple[Path, dict[str, Any]]]:
    if _marker(base) is None:
        return []
    out = []
    for meta_path in _entry_paths(base):
        try:
            meta = json.loads(meta_path.read_text())
        except (OSError, ValueError, RecursionError):
            continue
        if isinstance(meta, dict) and meta.get("kind", "raw") in _SUFFIXES:
            out.append((meta_path, meta))
    return out


def _summary(query: Any) -> str:
    if not isinstance(query, Mapping):
        return ""
    parts = []
    for name, value in query.items():
        if isinstance(value, list | tuple):
            value = ",".join(map(str, value[:4])) + ("..." if len(value) > 4 else "")
        if value not in (None, "", [], {}):
            parts.append(f"{name}={value}")
    return " ".join(parts)[:200]


def info(path: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """One row per stored entry.

    Returns
    -------
    pandas.DataFrame
        Columns ``kind`` (``tidy`` or ``raw``), ``provider``, ``dataset``, ``query`` (a short
        summary; the URL for raw entries), ``rows``, ``period_start``, ``period_end``,
        ``retrieved`` (UTC timestamp), ``size_bytes``, ``path``.
    """
    base = root(path)
    rows = []
    for meta_path, meta in _entries(base):
        kind = meta.get("kind", "raw")
        rows.append(
            {
                "kind": kind,
                "provider": meta.get("provider", ""),
                "dataset": meta.get("dataset", meta.get("label", "")),
                "query": _summary(meta.get("query")) if kind == "tidy" else meta.get("url", ""),
                "rows": meta.get("rows"),
                "period_start": meta.get("period_start"),
                "period_end": meta.get("period_end"),
                "retrieved": pd.to_datetime(meta.get("retrieved"), utc=True, errors="coerce"),
                "size_bytes": int(meta.get("size", 0)),
                "path": str(meta_path.with_suffix(".parquet" if kind == "tidy" else ".body")),
            }
        )
    return pd.DataFrame(rows, columns=_INFO_COLUMNS)


def _age_limit(older_than: Any) -> timedelta | None:
    if older_than is None:
        return None
    try:
        limit = pd.Timedelta(older_than)
    except (ValueError, TypeError) as exc:
        raise InvalidArgumentError(
            f"older_than={older_than!r} is not a duration; expected e.g. '30D', '12h' or a "
            "timedelta"
        ) from exc
    if pd.isna(limit) or limit < pd.Timedelta(0):
        raise InvalidArgumentError(f"older_than={older_than!r} must be a positive duration")
    return limit.to_pytimedelta()


def clear(older_than: Any = None, *, path: str | os.PathLike[str] | None = None) -> int:
    """Remove stored entries (all, or those retrieved more than ``older_than`` ago).

    Parameters
    ----------
    older_than : str, timedelta or None
        Age limit such as ``'30D'`` or ``timedelta(days=7)``; None removes everything.

    Returns
    -------
    int
        Number of entries removed (leftover temporary files are removed too).

    Raises
    ------
    InvalidArgumentError
        ``older_than`` is not a positive duration.
    NotAStoreError
        The folder exists but is not a store (no marker): nothing is deleted.
    StoreFormatError
        The store has another format (the message says how to rebuild it).

    Notes
    -----
    Only files of the store's own layout are removed (``raw/<2 hex>/<64 hex>.json|.body``,
    ``tidy/<provider>/<64 hex>.json|.parquet`` and the ``.tmp-*`` files of interrupted
    writes in those folders); nothing else in the folder is touched.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     RawStore(tmp).put("cd" * 32, b"{}", {"url": "https://x/y"})
    ...     clear("30D", path=tmp), clear(path=tmp)
    (0, 1)
    """
    limit = _age_limit(older_than)
    base = root(path)
    if not base.exists():
        return 0
    if _marker(base) is None:
        raise NotAStoreError(
            f"{base} is not a belru_trade store (no {MARKER}); nothing was deleted. Point "
            "BELRU_TRADE_CACHE (or path=) at the store folder"
        )
    now = datetime.now(timezone.utc)
    removed = 0
    for meta_path, meta in _entries(base):
        retrieved = pd.to_datetime(meta.get("retrieved"), utc=True, errors="coerce")
        if limit is not None and not pd.isna(retrieved) and now - retrieved <= limit:
            continue
        for item in (meta_path, meta_path.with_suffix(_SUFFIXES[meta.get("kind", "raw")])):
            with contextlib.suppress(OSError):
                item.unlink()
        removed += 1
    _remove_leftovers(base)
    return removed


def _remove_leftovers(base: Path) -> None:
    """Remove temporary files our atomic writes left (``.tmp-*`` in entry folders only)."""
    for kind in ("raw", "tidy"):
        for leftover in (base / kind).glob("*/.tmp-*"):
            if leftover.suffix in (".json", ".body", ".parquet") and leftover.is_file():
                with contextlib.suppress(OSError):
                    leftover.unlink()
    for leftover in base.glob(".tmp-*.json"):
        with contextlib.suppress(OSError):
            leftover.unlink()
