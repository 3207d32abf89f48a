"""One atomic writer: every file-writing path of the package behaves the same.

Same permissions (an ordinary file: 0o666 less the umask), no temporary file left when the
write fails, the old file intact when the write fails mid-way, data and folder fsynced.
"""

from __future__ import annotations

import ast
import os
import stat
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from belru_trade._outputs import atomic_write, atomic_write_text
from belru_trade.errors import OutputError, StoreError

ROOT = Path(__file__).resolve().parents[1]


def _raw_store(path: Path, data: bytes) -> Path:
    from belru_trade.store import cache

    cache.RawStore(path.parent).put("a" * 64, data, {"url": "u"})
    return path.parent / "raw" / "aa" / ("a" * 64 + ".body")


def _manifest(path: Path, data: bytes) -> Path:
    from belru_trade.store.bulk.manifest import save_manifest

    save_manifest(path.parent, {"format": 1, "payload": data.decode()})
    return path.parent / "manifest.json"


def _brief(path: Path, data: bytes) -> Path:
    from belru_trade.policy.brief import write_atomic

    return write_atomic(path, data.decode())


def _png(path: Path, data: bytes) -> Path:
    from matplotlib.figure import Figure

    from belru_trade.plotting.charts import save_png

    fig = Figure()
    fig.add_subplot().set_title(data.decode())
    return save_png(fig, path.with_suffix(".png"))


def _fetched_panel(path: Path, data: bytes) -> Path:
    from belru_trade.cli.fetch import _write

    frame = pd.DataFrame({"period": pd.PeriodIndex(["2014-01"], freq="M"), "v": [data]})
    return _write(frame, str(path.with_suffix(".csv")))


WRITERS: dict[str, Callable[[Path, bytes], Path]] = {
    "atomic_write": atomic_write,
    "report outputs": lambda p, d: atomic_write_text(p, d.decode()),
    "store": _raw_store,
    "bulk manifest": _manifest,
    "brief": _brief,
    "figure": _png,
    "fetched panel": _fetched_panel,
}


@pytest.mark.parametrize("mask", [0o022, 0o027, 0o077])
@pytest.mark.parametrize("name", sorted(WRITERS))
def test_every_writer_gives_an_ordinary_file_under_the_umask(tmp_path, name, mask) -> None:
    old = os.umask(mask)
    try:
        path = WRITERS[name](tmp_path / "out" / "file.txt", b"hello")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~mask
    assert [p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")] == []


@pytest.mark.parametrize("name", sorted(WRITERS))
def test_every_writer_fsyncs_the_file_and_its_folder(tmp_path, name, monkeypatch) -> None:
    kinds: list[str] = []
    real = os.fsync

    def spy(fd: int) -> None:
        kinds.append("dir" if stat.S_ISDIR(os.fstat(fd).st_mode) else "file")
        real(fd)

    monkeypatch.setattr(os, "fsync", spy)
    WRITERS[name](tmp_path / "file.txt", b"hello")
    assert "file" in kinds and "dir" in kinds
    assert kinds.index("file") < kinds.index("dir")


@pytest.mark.parametrize("name", sorted(WRITERS))
def test_failed_replace_leaves_the_old_file_and_no_temporary(tmp_path, name, monkeypatch) -> None:
    path = WRITERS[name](tmp_path / "file.txt", b"first")
    before = path.read_bytes()

    def broken(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises((OSError, OutputError, StoreError), match="No space left"):
        WRITERS[name](tmp_path / "file.txt", b"second")
    monkeypatch.undo()
    assert path.read_bytes() == before
    leftovers = [p for p in path.parent.rglob("*") if p.name.endswith(".tmp")]
    assert leftovers == []


def test_a_write_failing_midway_keeps_the_old_file(tmp_path) -> None:
    path = atomic_write(tmp_path / "t.parquet", b"old content")

    def half(stream) -> None:
        stream.write(b"new, half written")
        raise RuntimeError("killed mid-way")

    with pytest.raises(RuntimeError, match="mid-way"):
        atomic_write(path, half)
    assert path.read_bytes() == b"old content"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.parquet"]


def test_text_and_callable_content(tmp_path) -> None:
    assert atomic_write(tmp_path / "a.txt", "é").read_bytes() == "é".encode()
    frame = pd.DataFrame({"x": [1, 2]})
    path = atomic_write(tmp_path / "a.parquet", lambda s: frame.to_parquet(s, index=False))
    pd.testing.assert_frame_equal(pd.read_parquet(path), frame)


def _calls(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
                names.add(f"{func.value.id}.{func.attr}")
            elif isinstance(func, ast.Attribute):
                names.add(f"*.{func.attr}")
    return names


#: low-level calls that mean "this module writes files by itself"
_LOW_LEVEL = {"os.replace", "os.rename", "tempfile.mkstemp", "os.fdopen", "*.write_text"}


def test_no_module_writes_files_around_the_one_writer() -> None:
    offenders = {}
    for folder in ("belru_trade", "fetchers", "analyses", "scripts"):
        for path in (ROOT / folder).rglob("*.py"):
            if path.name == "_outputs.py" and path.parent.name == "belru_trade":
                continue
            found = _calls(path) & _LOW_LEVEL
            if found:
                offenders[str(path.relative_to(ROOT))] = sorted(found)
    assert offenders == {}


def test_fetchers_write_no_files() -> None:
    """The fetchers import nothing of ours; they keep no writer because they write nothing.

    If a fetcher ever writes a file it needs its own writer with the same rules and a test
    that compares it with :func:`atomic_write`; this test is the reminder.
    """
    writes = {"*.to_parquet", "*.to_csv", "*.write_bytes", "*.savefig", "os.open"}
    for path in (ROOT / "fetchers").rglob("*.py"):
        tree = ast.parse(path.read_text())
        opens = [
            n
            for n in ast.walk(tree)
            if isinstance(n, ast.Call)
            and isinstance(n.func, ast.Name)
            and n.func.id == "open"
            and any(isinstance(a, ast.Constant) and "w" in str(a.value) for a in n.args[1:])
        ]
        assert opens == [], path
        assert _calls(path) & (writes | _LOW_LEVEL) == set(), path
