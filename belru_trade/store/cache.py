"""The local store: raw provider responses and tidy results, with integrity checks.

Layout under :func:`root` (the platformdirs user cache dir, or ``BELRU_TRADE_CACHE``)::

    raw/<k[:2]>/<k>.body   raw response body, k = SHA-256 of the request URL (secrets removed)
    raw/<k[:2]>/<k>.json   metadata: URL, provider, retrieval time, SHA-256 and size of the body
    tidy/<provider>/<q>.parquet   tidy panel, q = SHA-256 of the canonical query
    tidy/<provider>/<q>.json      provenance, SHA-256, rows, period range, query summary

Every file is written atomically (temporary file in the same folder, fsync, ``os.replace``);
the metadata file is written last, so an entry exists only once it is complete. Reading
checks the SHA-256: a mismatching entry is discarded with a
:class:`~belru_trade.errors.CacheIntegrityWarning` and fetched again. No credential is ever
part of a key, a file name or a file.

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
import tempfile
import warnings
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pandas as pd

from belru_trade.errors import CacheIntegrityWarning, InvalidArgumentError

__all__ = ["RawStore", "clear", "info", "load_tidy", "root", "save_tidy", "tidy_key"]

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
    env = os.environ.get("BELRU_TRADE_CACHE")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_dir("belru_trade", appauthor=False))


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


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
        self.root = root(path) / "raw"

    def _paths(self, key: str) -> tuple[Path, Path]:
        if len(key) != 64 or any(c not in "0123456789abcdef" for c in key):
            raise InvalidArgumentError(f"key={key!r} is not a SHA-256 hex digest")
        folder = self.root / key[:2]
        return folder / f"{key}.body", folder / f"{key}.json"

    def get(self, key: str) -> bytes | None:
        """Return the stored body, or None when absent or failing its integrity check."""
        body_path, meta_path = self._paths(key)
        if not meta_path.exists():
            return None
        try:
            meta = json.loads(meta_path.read_text())
            body = body_path.read_bytes()
        except (OSError, ValueError):
            _discard([meta_path, body_path], "unreadable")
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
        _atomic_write(body_path, body)
        _atomic_write(meta_path, json.dumps(record, indent=1).encode())


def tidy_key(provider: str, query: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical JSON of a query (never includes a credential)."""
    text = json.dumps({"provider": provider, **query}, sort_keys=True, default=str)
    return _sha256(text.encode())


def _tidy_paths(provider: str, key: str, path: Any = None) -> tuple[Path, Path]:
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
    _atomic_write(data_path, buffer)
    _atomic_write(meta_path, json.dumps(meta, indent=1, default=str).encode())
    return data_path


def load_tidy(
    provider: str, query: Mapping[str, Any], *, path: str | os.PathLike[str] | None = None
) -> tuple[pd.DataFrame, dict[str, Any]] | None:
    """Return ``(frame, provenance)`` for a stored query, or None (absent or corrupt)."""
    data_path, meta_path = _tidy_paths(provider, tidy_key(provider, query), path)
    if not meta_path.exists():
        return None
    try:
        meta = json.loads(meta_path.read_text())
        buffer = data_path.read_bytes()
    except (OSError, ValueError):
        _discard([meta_path, data_path], "unreadable")
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


def _entries(base: Path) -> list[tuple[Path, dict[str, Any]]]:
    out = []
    for meta_path in sorted(base.glob("*/*/*.json")):
        try:
            out.append((meta_path, json.loads(meta_path.read_text())))
        except (OSError, ValueError):
            continue
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

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     RawStore(tmp).put("cd" * 32, b"{}", {"url": "https://x/y"})
    ...     clear("30D", path=tmp), clear(path=tmp)
    (0, 1)
    """
    limit = _age_limit(older_than)
    now = datetime.now(timezone.utc)
    removed = 0
    base = root(path)
    for meta_path, meta in _entries(base):
        retrieved = pd.to_datetime(meta.get("retrieved"), utc=True, errors="coerce")
        if limit is not None and not pd.isna(retrieved) and now - retrieved <= limit:
            continue
        suffix = ".parquet" if meta.get("kind") == "tidy" else ".body"
        for item in (meta_path, meta_path.with_suffix(suffix)):
            with contextlib.suppress(OSError):
                item.unlink()
        removed += 1
    for leftover in base.glob("**/.tmp-*"):
        with contextlib.suppress(OSError):
            leftover.unlink()
    return removed
