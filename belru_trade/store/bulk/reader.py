"""Streaming parser of Comext bulk files: ``.7z`` archives and extracted ``.dat``/``.csv``.

The file is read once, in blocks (``pyarrow.csv.open_csv`` with a fixed ``block_size``), so
memory stays bounded whatever the file size; the SHA-256 of the bytes is computed in the
same pass. Each block is mapped onto :data:`~belru_trade.store.bulk.layout.STORED_SCHEMA` and
checked (``FLOW`` in {1, 2}; ``PERIOD`` a month ``YYYYMM`` or an annual ``YYYY52``).
Archives are extracted to a temporary file next to the store (py7zr) and streamed from
there.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import lzma
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from belru_trade.store.bulk.errors import (
    BulkEncodingError,
    BulkFileError,
    BulkFormatError,
    BulkTruncatedError,
)
from belru_trade.store.bulk.layout import STORED_SCHEMA, Layout, read_header

__all__ = ["BLOCK_SIZE", "SourceFile", "open_source", "stream_batches"]

#: Bytes parsed per block (about 100,000 rows of a v2 file). The CSV reader reads ahead
#: about 40 blocks, so this sets most of the peak memory (BENCHMARKS.md).
BLOCK_SIZE = 8 << 20
_SUFFIXES = (".dat", ".csv", ".txt", ".7z")


@dataclass
class SourceFile:
    """A bulk file ready to stream: the text file, its display name and archive facts."""

    path: Path
    name: str
    size: int
    archive: str | None = None
    archive_sha256: str | None = None


class _HashingReader(io.RawIOBase):
    """Binary reader that feeds every byte it returns into a SHA-256."""

    def __init__(self, path: Path) -> None:
        self._stream = open(path, "rb")  # noqa: SIM115 - closed in close()
        self.digest = hashlib.sha256()
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        count = self._stream.readinto(buffer)
        if count:
            self.digest.update(memoryview(buffer)[:count])
            self.bytes_read += count
        return count or 0

    def close(self) -> None:
        self._stream.close()
        super().close()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _extract_7z(path: Path, workdir: Path) -> tuple[Path, str]:
    import py7zr

    try:
        with py7zr.SevenZipFile(path, mode="r") as archive:
            names = [n for n in archive.getnames() if n.lower().endswith((".dat", ".csv"))]
            if len(names) != 1:
                raise BulkFormatError(
                    f"archive {path.name!r} holds {len(names)} .dat/.csv members "
                    f"({names[:5]}); expected exactly one"
                )
            archive.extract(path=workdir, targets=names)
    except BulkFileError:
        raise
    except (
        py7zr.exceptions.ArchiveError,
        py7zr.exceptions.PasswordRequired,
        lzma.LZMAError,
        EOFError,
        OSError,
        ValueError,
        KeyError,
    ) as exc:
        raise BulkTruncatedError(
            f"archive {path.name!r} cannot be extracted ({type(exc).__name__}: {exc}); "
            "it is truncated, damaged or not a 7z archive"
        ) from exc
    member = workdir / names[0]
    if not member.is_file():
        raise BulkTruncatedError(f"archive {path.name!r}: member {names[0]!r} was not extracted")
    return member, names[0]


@contextlib.contextmanager
def open_source(path: str | os.PathLike[str], workdir: Path) -> Iterator[SourceFile]:
    """Yield the text file to stream for ``path`` (extracting a ``.7z`` into ``workdir``).

    Raises
    ------
    BulkFileError
        The path does not exist, has an unknown suffix, or the archive is unusable.
    """
    path = Path(path)
    if not path.is_file():
        raise BulkFileError(f"file {str(path)!r} does not exist or is not a file")
    if not path.name.lower().endswith(_SUFFIXES):
        raise BulkFileError(
            f"file {path.name!r}: unknown suffix; expected one of {', '.join(_SUFFIXES)}"
        )
    if not path.name.lower().endswith(".7z"):
        yield SourceFile(path, path.name, path.stat().st_size)
        return
    workdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=workdir, prefix=".extract-") as tmp:
        member, name = _extract_7z(path, Path(tmp))
        yield SourceFile(
            member, f"{path.name}:{name}", member.stat().st_size, path.name, _sha256(path)
        )


def _convert_options(layout: Layout) -> pacsv.ConvertOptions:
    types: dict[str, pa.DataType] = {}
    for field in STORED_SCHEMA:
        source = layout.source_of[field.name]
        if source is not None:
            types[source] = field.type
    return pacsv.ConvertOptions(
        column_types=types, include_columns=list(types), strings_can_be_null=False
    )


def _to_stored(batch: pa.RecordBatch, layout: Layout) -> pa.RecordBatch:
    arrays = []
    for field in STORED_SCHEMA:
        source = layout.source_of[field.name]
        if source is None:
            arrays.append(pa.nulls(batch.num_rows, field.type))
        elif field.name == "product":
            arrays.append(_pad_cn8(batch.column(source)))
        else:
            arrays.append(batch.column(source))
    return pa.RecordBatch.from_arrays(arrays, schema=STORED_SCHEMA)


def _pad_cn8(product: pa.DictionaryArray) -> pa.DictionaryArray:
    """Restore the leading zero of CN8 codes read as 7 digits (chapters 01-09).

    Works on the block's dictionary (a few thousand values), not on every row.
    """
    values = product.dictionary
    short = pc.and_(pc.equal(pc.utf8_length(values), 7), pc.utf8_is_digit(values))
    if not pc.any(short).as_py():
        return product
    padded = pc.if_else(short, pc.utf8_lpad(values, width=8, padding="0"), values)
    # padding can make two dictionary entries equal; re-encode to keep the dictionary unique
    dense = pc.take(padded, product.indices)
    return pc.dictionary_encode(dense)


def _check(batch: pa.RecordBatch, name: str) -> None:
    flow = batch.column("flow")
    if flow.null_count or not pc.all(pc.is_in(flow, pa.array([1, 2], pa.int8()))).as_py():
        bad = pc.unique(pc.filter(flow, pc.invert(pc.is_in(flow, pa.array([1, 2], pa.int8())))))
        raise BulkFormatError(
            f"file {name!r}: FLOW must be 1 (import) or 2 (export); found {bad.to_pylist()[:5]}"
            + (" and empty cells" if flow.null_count else "")
        )
    period = batch.column("period")
    month = pc.subtract(period, pc.multiply(pc.divide(period, 100), 100))
    year = pc.divide(period, 100)
    good = pc.and_(
        pc.and_(pc.greater_equal(year, 1950), pc.less_equal(year, 2100)),
        pc.or_(pc.and_(pc.greater_equal(month, 1), pc.less_equal(month, 12)), pc.equal(month, 52)),
    )
    if period.null_count or not pc.all(good).as_py():
        bad = pc.unique(pc.filter(period, pc.invert(pc.fill_null(good, False))))
        raise BulkFormatError(
            f"file {name!r}: PERIOD must be YYYYMM (month 01-12) or YYYY52 (annual); found "
            f"{bad.to_pylist()[:5]}" + (" and empty cells" if period.null_count else "")
        )


def _translate(exc: pa.ArrowException, name: str) -> BulkFileError:
    text = str(exc)
    if "UTF8" in text or "UTF-8" in text:
        return BulkEncodingError(f"file {name!r} is not ASCII/UTF-8 text: {text}")
    if "Expected" in text and "columns" in text:
        return BulkTruncatedError(
            f"file {name!r}: a row has the wrong number of fields ({text}); the file is "
            "truncated or damaged"
        )
    return BulkFormatError(f"file {name!r}: {text}")


def stream_batches(source: SourceFile, stats: dict) -> Iterator[pa.RecordBatch]:
    """Yield the rows of ``source`` as record batches of the stored schema.

    ``stats`` is filled in place with ``layout``, ``rows``, ``sha256`` and ``bytes`` once the
    file has been read to its end.

    Raises
    ------
    BulkLayoutError, BulkEncodingError, BulkTruncatedError, BulkFormatError
        Unknown header, non-UTF-8 bytes, a short last row, a bad code.
    """
    layout = read_header(str(source.path), source.name)
    stats["layout"] = layout.name
    reader = _HashingReader(source.path)
    read_options = pacsv.ReadOptions(
        block_size=BLOCK_SIZE, skip_rows=1, column_names=list(layout.columns)
    )
    parse_options = pacsv.ParseOptions(delimiter=layout.delimiter)
    rows = 0
    try:
        stream = pacsv.open_csv(
            reader,
            read_options=read_options,
            parse_options=parse_options,
            convert_options=_convert_options(layout),
        )
        for batch in stream:
            out = _to_stored(batch, layout)
            _check(out, source.name)
            rows += out.num_rows
            yield out
    except pa.ArrowException as exc:
        raise _translate(exc, source.name) from exc
    finally:
        reader.close()
    stats.update(rows=rows, sha256=reader.digest.hexdigest(), bytes=reader.bytes_read)
