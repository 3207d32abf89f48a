"""Output folders of the report and brief writers: atomic writes and a manifest.

Every file is written atomically (temp file in the same folder + ``os.replace``). The files a
run writes are listed in ``.belru_trade-outputs.json`` in the folder; the next run into the
same folder removes the files of that list it does not write again (stale tables and
figures of earlier runs), and never anything else.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from belru_trade.errors import InvalidArgumentError, OutputError

__all__ = [
    "MANIFEST",
    "atomic_write_bytes",
    "atomic_write_text",
    "prepare_out_dir",
    "read_manifest",
    "replace_manifest",
]

#: list of the files the tool wrote in an output folder
MANIFEST = ".belru_trade-outputs.json"


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def atomic_write_bytes(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically; readers never see a partial file.

    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> atomic_write_bytes(folder / "a.bin", b"xy").read_bytes()
    b'xy'
    """
    path = Path(path)
    try:
        return _write(path, data)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from exc


def _write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def atomic_write_text(path: Path, text: str) -> Path:
    """Write UTF-8 ``text`` to ``path`` atomically."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def prepare_out_dir(out: str | os.PathLike[str], name: str = "out") -> Path:
    """Create the output folder; named errors for a file in the way or an unwritable place.

    Raises
    ------
    InvalidArgumentError
        ``out`` (or one of its parents) is an existing file, not a folder.
    OutputError
        The folder cannot be created or written (read-only file system, ``/proc``...).
    """
    folder = Path(out)
    for place in (folder, *folder.parents):
        if place.exists() and not place.is_dir():
            raise InvalidArgumentError(
                f"{name}={str(out)!r}: {place} is an existing file; expected a folder"
            )
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".probe-"):
            pass
    except OSError as exc:
        raise OutputError(
            f"{name}={str(out)!r} cannot be written: {exc.strerror or exc}; choose a "
            "writable folder"
        ) from exc
    return folder


def read_manifest(folder: Path) -> list[str]:
    """File names a previous run wrote in ``folder`` (empty when none or unreadable)."""
    try:
        data = json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError, RecursionError):
        return []
    files = data.get("files") if isinstance(data, dict) else None
    return [f for f in files if isinstance(f, str)] if isinstance(files, list) else []


def _inside(folder: Path, name: str) -> Path | None:
    path = (folder / name).resolve()
    base = folder.resolve()
    return path if path != base and base in path.parents else None


def replace_manifest(folder: Path, previous: Iterable[str], written: Iterable[str]) -> None:
    """Remove files of ``previous`` not in ``written`` (inside ``folder`` only); record
    ``written`` as the new manifest."""
    keep = set(written)
    for name in previous:
        path = _inside(folder, name)
        if name not in keep and path is not None and path.is_file():
            with contextlib.suppress(OSError):
                path.unlink()
    record = {"written_by": "belru_trade", "files": sorted(keep)}
    atomic_write_text(folder / MANIFEST, json.dumps(record, indent=1) + "\n")
