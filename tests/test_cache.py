"""The local store: atomic writes, integrity checks, info(), clear(), no partial entries."""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pandas as pd
import pytest
from belru_trade.fetchers.errors import (
    ConnectionFailedError,
    MaintenanceError,
    RateLimitError,
    RequestTimeoutError,
    ServerError,
    TruncatedResponseError,
)
from belru_trade.fetchers.http import RetryPolicy
from http_fault_server import RESET, FaultServer, comext_from_query, delay, reply, short

from belru_trade.errors import (
    CacheIntegrityWarning,
    InvalidArgumentError,
    NotAStoreError,
    ProviderError,
    StoreError,
    StoreFormatError,
)
from belru_trade.store import cache, sources

KEY_A = "a" * 64
FAST = RetryPolicy(max_retries=1, backoff_base=0.0, jitter=0.0, timeout=(2.0, 0.3))


@pytest.fixture
def store(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("BELRU_TRADE_CACHE", str(tmp_path / "store"))
    return tmp_path / "store"


def files(base: Path) -> list[Path]:
    return sorted(p for p in base.rglob("*") if p.is_file() and p.name != cache.MARKER)


def test_root_from_environment_and_default(store, monkeypatch) -> None:
    assert cache.root() == store
    monkeypatch.delenv("BELRU_TRADE_CACHE")
    assert "belru_trade" in str(cache.root())


def test_raw_roundtrip_and_integrity(store) -> None:
    raw = cache.RawStore()
    raw.put(KEY_A, b'{"x": 1}', {"url": "http://h/x", "provider": "eurostat", "secret": "no"})
    assert raw.get(KEY_A) == b'{"x": 1}'
    meta = json.loads((store / "raw" / "aa" / f"{KEY_A}.json").read_text())
    assert "secret" not in meta and meta["size"] == 8
    (store / "raw" / "aa" / f"{KEY_A}.body").write_bytes(b'{"x": 2}')  # corrupted
    with pytest.warns(CacheIntegrityWarning, match="SHA-256"):
        assert raw.get(KEY_A) is None
    assert files(store) == []  # the bad entry is gone
    with pytest.raises(InvalidArgumentError):
        raw.get("../../etc/passwd")


def test_atomic_write_leaves_nothing_on_failure(store, monkeypatch) -> None:
    raw = cache.RawStore()

    def broken(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(OSError, match="disk full"):
        raw.put(KEY_A, b"{}", {"url": "u"})
    assert files(store) == []
    monkeypatch.undo()


def test_tidy_roundtrip_info_and_clear(store) -> None:
    frame = pd.DataFrame(
        {
            "reporter": pd.Series(["BE", "BE"], dtype=object),
            "period": pd.PeriodIndex(["2014-01", "2014-02"], freq="M"),
            "value": [1.0, float("nan")],
            "flag": pd.Series([None, "confidential"], dtype=object),
        }
    )
    query = {"reporter": ["BE"], "product": ["080830"]}
    cache.save_tidy("comext", query, frame, {"dataset": "DS-045409", "retrieved": None})
    loaded, provenance = cache.load_tidy("comext", query)
    pd.testing.assert_frame_equal(loaded, frame)
    assert provenance["dataset"] == "DS-045409"
    assert cache.load_tidy("comext", {**query, "product": ["080810"]}) is None
    cache.RawStore().put(KEY_A, b"{}", {"url": "http://h/y", "provider": "comtrade"})
    table = cache.info()
    assert table["kind"].tolist() == ["raw", "tidy"]
    tidy = table.set_index("kind").loc["tidy"]
    assert (tidy["rows"], tidy["period_start"], tidy["period_end"]) == (2, "2014-01", "2014-02")
    assert tidy["dataset"] == "DS-045409" and "product=080830" in tidy["query"]
    # age the raw entry by 40 days: clear('30D') removes it only
    meta_path = store / "raw" / "aa" / f"{KEY_A}.json"
    meta = json.loads(meta_path.read_text())
    meta["retrieved"] = (datetime.now(timezone.utc) - timedelta(days=40)).isoformat()
    meta_path.write_text(json.dumps(meta))
    assert cache.clear(older_than="30D") == 1
    assert cache.info()["kind"].tolist() == ["tidy"]
    assert cache.clear(older_than=timedelta(days=1)) == 0
    assert cache.clear() == 1 and files(store) == []
    for bad in ("soon", -5, "-3D"):
        with pytest.raises(InvalidArgumentError, match="older_than"):
            cache.clear(older_than=bad)


def test_corrupt_tidy_entry_is_refetched(store) -> None:
    frame = pd.DataFrame({"period": pd.PeriodIndex(["2014"], freq="Y"), "value": [1.0]})
    path = cache.save_tidy("comtrade", {"q": 1}, frame, {})
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.warns(CacheIntegrityWarning):
        assert cache.load_tidy("comtrade", {"q": 1}) is None


TOO_BIG = {"error": [{"status": 413, "id": 413, "label": "EXTRACTION_TOO_BIG: estimated "
                      "9000000 rows, max authorised is 5000000"}]}  # fmt: skip


@pytest.mark.parametrize(
    ("second", "error", "attempts"),
    [
        (reply(503, "busy"), ServerError, 2),
        (reply(200, b'{"version": "2.0", "val'), TruncatedResponseError, 2),
        (short(b'{"version": "2.0", "value": {}}'), TruncatedResponseError, 2),
        (RESET, ConnectionFailedError, 2),
        (delay(0.6, reply(200, b"{}")), RequestTimeoutError, 2),
        (reply(200, "<!DOCTYPE html><html>maintenance</html>"), MaintenanceError, 2),
        (reply(429, "slow down", Retry_After="7200"), RateLimitError, 1),
    ],
)
def test_failed_fetch_leaves_no_partial_entry(store, second, error, attempts) -> None:
    # the whole query gets a 413, so the client splits it by product; the first product
    # succeeds and the second keeps failing
    def respond(path, query):
        products = [v for k, v in query if k == "product"]
        if len(products) > 1:
            return reply(413, TOO_BIG)
        if products == ["080830"]:
            return reply(200, comext_from_query(query, lambda c: 5.0))
        return second

    with FaultServer(respond) as server:
        with pytest.raises(ProviderError) as info:
            sources.comext("BE", "RU", ["080830", "080810"], start="2014-01", end="2014-03",
                           base_url=server.url, progress=False, policy=FAST)  # fmt: skip
        assert isinstance(info.value.__cause__, error)  # the fetcher error, chained
        assert server.unexpected == [] and server.count() == 1 + 1 + attempts
    table = cache.info()
    assert table["kind"].tolist() == ["raw"]  # the complete first chunk only; no tidy entry
    assert "product=080830&" in table["query"].iloc[0]
    assert not [p for p in files(store) if p.name.startswith(".tmp-")]
    body = Path(table["path"].iloc[0]).read_bytes()
    assert json.loads(body)["value"]  # complete and parseable


# ----------------------------------------------------------------- the store knows itself


def test_clear_refuses_a_folder_that_is_not_a_store(tmp_path, monkeypatch) -> None:
    # an ordinary project folder: clear() used to delete */*/*.json and every .tmp-* file
    folder = tmp_path / "project"
    (folder / "docs" / "api").mkdir(parents=True)
    (folder / "docs" / "api" / "index.json").write_text("{}")
    (folder / "src").mkdir()
    (folder / "src" / ".tmp-notes.txt").write_text("notes")
    before = sorted(p for p in folder.rglob("*") if p.is_file())
    monkeypatch.setenv("BELRU_TRADE_CACHE", str(folder))
    with pytest.raises(NotAStoreError, match="not a belru_trade store"):
        cache.clear()
    assert sorted(p for p in folder.rglob("*") if p.is_file()) == before
    assert cache.info().empty  # nothing listed either


def test_clear_removes_only_its_own_entries(store) -> None:
    cache.RawStore().put(KEY_A, b"{}", {"url": "https://h/x"})
    strangers = [
        store / "raw" / "aa" / "notes.json",  # not a key name
        store / "raw" / "zz" / f"{'b' * 64}.json",  # folder is not the key prefix
        store / "tidy" / "comext" / "README.json",
        store / "docs" / "api" / "index.json",  # outside the layout
        store / "raw" / "aa" / ".tmp-notes.txt",  # a .tmp- file we never write
    ]
    for path in strangers:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text('{"kind": "raw"}')
    assert cache.clear() == 1
    assert all(path.exists() for path in strangers)
    assert not (store / "raw" / "aa" / f"{KEY_A}.json").exists()


def test_older_store_refused_with_rebuild_message(store) -> None:
    (store / "raw" / "aa").mkdir(parents=True)  # a format-1 store: entries, no marker
    (store / "raw" / "aa" / f"{KEY_A}.json").write_text("{}")
    for call in (cache.info, cache.clear, lambda: cache.RawStore().get(KEY_A)):
        with pytest.raises(StoreFormatError, match=r"format 1.*delete the folder"):
            call()
    (store / cache.MARKER).write_text('{"format": 99}')
    with pytest.raises(StoreFormatError, match="format 99"):
        cache.load_tidy("comext", {"q": 1})


def test_store_path_that_is_a_file_or_read_only(tmp_path, monkeypatch) -> None:
    target = tmp_path / "afile"
    target.write_text("x")
    monkeypatch.setenv("BELRU_TRADE_CACHE", str(target))
    with pytest.raises(StoreError, match="is a file"):
        cache.RawStore().put(KEY_A, b"{}", {})
    with pytest.raises(StoreError, match="is a file"):
        cache.info()
    if os.geteuid() == 0:
        pytest.skip("root ignores folder permissions")
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    monkeypatch.setenv("BELRU_TRADE_CACHE", str(locked / "store"))
    with pytest.raises(StoreError, match="cannot write"):
        cache.RawStore().put(KEY_A, b"{}", {})


def test_store_read_only_folder_named_error(tmp_path, monkeypatch) -> None:
    # a file where the entry folder should be: the write fails whatever the user's rights
    base = tmp_path / "store"
    cache.RawStore(base).put(KEY_A, b"{}", {})
    (base / "raw" / "bb").write_text("not a folder")
    with pytest.raises(StoreError, match="cannot write"):
        cache.RawStore(base).put("b" * 64, b"{}", {})


@pytest.mark.parametrize("content", ["[1, 2]", '"text"', "42", "null"])
def test_metadata_that_is_not_an_object(store, content) -> None:
    raw = cache.RawStore()
    raw.put(KEY_A, b"{}", {"url": "https://h/x"})
    (store / "raw" / "aa" / f"{KEY_A}.json").write_text(content)
    assert cache.info().empty  # listed as nothing, not a crash
    with pytest.warns(CacheIntegrityWarning, match="not a JSON object"):
        assert raw.get(KEY_A) is None
    assert cache.clear() == 0


def test_data_info_on_a_broken_store_is_a_named_error(tmp_path, monkeypatch, capsys) -> None:
    from belru_trade.cli.main import main

    target = tmp_path / "afile"
    target.write_text("x")
    monkeypatch.setenv("BELRU_TRADE_CACHE", str(target))
    with pytest.raises(SystemExit) as info:
        main(["data", "info"])
    err = capsys.readouterr().err
    assert info.value.code == 1 and "StoreError" in err and "is a file" in err
    assert "Traceback" not in err
