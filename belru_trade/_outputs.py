"""Atomic file writes for the whole package, and the output folders' manifest.

:func:`atomic_open` / :func:`atomic_write` are the one writer: temp file in the same folder,
write, flush, fsync, the permissions of an ordinary file (umask respected), ``os.replace``,
fsync of the folder where supported. The files a
run writes are listed in ``.belru_trade-outputs.json`` in the folder; the next run into the
same folder removes the files of that list it does not write again (stale tables and
figures of earlier runs), and never anything else.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from belru_trade.errors import InvalidArgumentError, OutputError

__all__ = [
    "MANIFEST",
    "atomic_open",
    "atomic_write",
    "atomic_write_bytes",
    "atomic_write_text",
    "fsync_dir",
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


def fsync_dir(path: str | os.PathLike[str]) -> None:
    """Flush a folder's entry table to disk (a no-op where the platform does not support it)."""
    with contextlib.suppress(OSError):
        handle = os.open(path, os.O_RDONLY)
        try:
            os.fsync(handle)
        finally:
            os.close(handle)


@contextlib.contextmanager
def atomic_open(
    path: str | os.PathLike[str], *, text: bool = False, newline: str | None = None
) -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path``; on success it replaces ``path`` atomically.

    The one atomic writer of the package: every file the library writes (outputs, briefs,
    figures, the store, the bulk manifest, fetched panels, built snapshots) goes through it.

    Parameters
    ----------
    path : path-like
        The file to create or replace; its folder is created when missing.
    text : bool, default False
        Open the temporary file in UTF-8 text mode instead of binary mode.
    newline : str, optional
        Passed to :func:`open` in text mode (``""`` for the ``csv`` module).

    Yields
    ------
    file object
        The open temporary file. When the block ends normally it is flushed, fsynced, given
        the permissions of an ordinary new file (``0o666`` less the umask: no file the
        library writes holds a secret), moved over ``path`` with :func:`os.replace`, and the
        folder is fsynced where supported. When the block raises, the temporary file is
        removed and ``path`` is left as it was.

    Raises
    ------
    OSError
        The folder cannot be created or written; callers wrap it in their named error.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "a.txt"
    >>> with atomic_open(target, text=True) as stream:
    ...     _ = stream.write("hello")
    >>> target.read_text()
    'hello'
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        mode = "w" if text else "wb"
        encoding = "utf-8" if text else None
        with os.fdopen(handle, mode, encoding=encoding, newline=newline) as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_dir(target.parent)


def atomic_write(
    path: str | os.PathLike[str], data: bytes | str | Callable[[IO[bytes]], object]
) -> Path:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_open` for the rules).

    Parameters
    ----------
    path : path-like
        The file to create or replace.
    data : bytes, str or callable
        The content: bytes, UTF-8 text, or a function that writes into the binary stream it
        is given (``frame.to_parquet``, ``figure.savefig``...).

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    OSError
        As :func:`atomic_open`; nothing is replaced when writing fails.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> atomic_write(folder / "a.bin", b"xy").read_bytes()
    b'xy'
    """
    payload = data.encode("utf-8") if isinstance(data, str) else data
    with atomic_open(path) as stream:
        if isinstance(payload, bytes):
            stream.write(payload)
        else:
            payload(stream)
    return Path(path)


def atomic_write_bytes(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically; an :class:`OutputError` when it cannot.

    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> atomic_write_bytes(folder / "a.bin", b"xy").read_bytes()
    b'xy'
    """
    try:
        return atomic_write(path, data)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from exc


def atomic_write_text(path: Path, text: str) -> Path:
    """Write UTF-8 ``text`` to ``path`` atomically; an :class:`OutputError` when it cannot."""
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
