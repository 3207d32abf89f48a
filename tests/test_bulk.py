"""Comext bulk store: layouts, ingest, atomic replacement, crash safety, push-down, bad files.

No real bulk file can be shipped, so every file here is generated inside the tests from the
exact header lines recorded for the two layouts; expected values are computed from the same
generated text with pandas, independently of the package's parser.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import belru_trade as bt
from belru_trade.cli.main import main
from belru_trade.errors import BelruTradeError, InvalidArgumentError

LEGACY = (
    "DECLARANT,DECLARANT_ISO,PARTNER,PARTNER_ISO,TRADE_TYPE,PRODUCT_NC,PRODUCT_SITC,"
    "PRODUCT_CPA2002,PRODUCT_CPA2008,PRODUCT_CPA2_1,PRODUCT_BEC,PRODUCT_SECTION,FLOW,"
    "STAT_REGIME,SUPP_UNIT,PERIOD,VALUE_IN_EUROS,QUANTITY_IN_KG,SUP_QUANTITY"
)
V2 = (
    "REPORTER,PARTNER,TRADE_TYPE,PRODUCT_NC,PRODUCT_SITC,PRODUCT_CPA21,PRODUCT_CPA22,"
    "PRODUCT_BEC,PRODUCT_BEC5,PRODUCT_SECTION,FLOW,STAT_PROCEDURE,SUPPL_UNIT,PERIOD,"
    "VALUE_EUR,VALUE_NAC,QUANTITY_KG,QUANTITY_SUPPL_UNIT"
)
REPORTERS = {"BE": "017", "DE": "004", "NL": "003"}
PARTNERS = {"RU": "075", "US": "400", "CN": "720", "BY": "073"}
PRODUCTS = ["08083010", "08083090", "07020000", "71023100", "27090090", "04069099"]


def _rows(seed: int, n: int, periods: list[int]) -> list[dict]:
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        quantity = "" if rng.random() < 0.1 else str(rng.randint(0, 5000))
        rows.append(
            {
                "reporter": rng.choice(list(REPORTERS)),
                "partner": rng.choice(list(PARTNERS)),
                "product": rng.choice(PRODUCTS),
                "flow": rng.choice("12"),
                "stat": str(rng.randint(1, 9)),
                "period": rng.choice(periods),
                "value": str(rng.randint(0, 10**6)),
                "quantity": quantity,
            }
        )
    return rows


def write_v2(path: Path, rows: list[dict], header: str = V2, sep: str = ",") -> Path:
    lines = [header.replace(",", sep)]
    for r in rows:
        fields = [r["reporter"], r["partner"], "E", r["product"], "05799", "0113", "0113", "112",
                  "111100", "00", r["flow"], r["stat"], "NO_SU", str(r["period"]), r["value"],
                  r["value"], r["quantity"], "0"]  # fmt: skip
        lines.append(sep.join(fields))
    path.write_text("\n".join(lines) + "\n")
    return path


def write_legacy(path: Path, rows: list[dict]) -> Path:
    lines = [LEGACY]
    for r in rows:
        fields = [REPORTERS[r["reporter"]], r["reporter"], PARTNERS[r["partner"]], r["partner"],
                  "E", r["product"], "05799", "01130000", "011300", "0113", "112", "00",
                  r["flow"], r["stat"], "NO_SU", str(r["period"]), r["value"], r["quantity"],
                  "0"]  # fmt: skip
        lines.append(",".join(fields))
    path.write_text("\r\n".join(lines) + "\r\n")
    return path


def pandas_slice(path: Path, reporter: str, partner: str, digits: int = 8) -> pd.DataFrame:
    """Reference: the slice summed with pandas from the text file (not the package)."""
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    if "REPORTER" in raw:
        rep, par, value, qty = "REPORTER", "PARTNER", "VALUE_EUR", "QUANTITY_KG"
    else:
        rep, par, value, qty = "DECLARANT_ISO", "PARTNER_ISO", "VALUE_IN_EUROS", "QUANTITY_IN_KG"
    raw = raw[(raw[rep] == reporter) & (raw[par] == partner)].copy()
    raw["value"] = pd.to_numeric(raw[value])
    raw["quantity"] = pd.to_numeric(raw[qty].replace("", np.nan))
    raw["product"] = raw["PRODUCT_NC"].str[:digits]
    raw["flow"] = raw["FLOW"].map({"1": "import", "2": "export"})
    raw["period"] = pd.PeriodIndex(raw["PERIOD"].str[:4] + "-" + raw["PERIOD"].str[4:], freq="M")
    keys = ["product", "flow", "period"]
    out = raw.groupby(keys)[["value", "quantity"]].sum(min_count=1).reset_index()
    return out.sort_values(keys).reset_index(drop=True)


def assert_slice_equal(panel: pd.DataFrame, expected: pd.DataFrame) -> None:
    got = panel[["product", "flow", "period", "value", "quantity"]]
    got = got.sort_values(["product", "flow", "period"]).reset_index(drop=True)
    assert len(got) == len(expected) > 0
    assert got["product"].tolist() == expected["product"].tolist()
    assert got["flow"].tolist() == expected["flow"].tolist()
    assert got["period"].tolist() == expected["period"].tolist()
    np.testing.assert_allclose(got["value"], expected["value"], rtol=0, atol=0)
    np.testing.assert_allclose(got["quantity"], expected["quantity"], rtol=0, atol=0)


# ----------------------------------------------------------------------------- layouts


def test_detect_layout_recognises_both_headers_and_pipe_variant():
    assert bt.bulk.detect_layout((LEGACY + "\r\n").encode(), "a").name == "legacy"
    assert bt.bulk.detect_layout(V2.encode(), "b").name == "v2"
    piped = bt.bulk.detect_layout(V2.replace(",", "|").lower().encode(), "c")
    assert (piped.name, piped.delimiter) == ("v2", "|")
    assert bt.bulk.detect_layout(b"\xef\xbb\xbf" + LEGACY.encode(), "d").name == "legacy"


def test_detect_layout_rejects_other_headers_and_encodings():
    with pytest.raises(bt.bulk.BulkLayoutError, match="not a Comext bulk header"):
        bt.bulk.detect_layout(V2.replace("VALUE_EUR", "VALUE").encode(), "x.dat")
    with pytest.raises(bt.bulk.BulkEncodingError, match="UTF-16"):
        bt.bulk.detect_layout(V2.encode("utf-16"), "x.dat")


# ----------------------------------------------------------------------------- ingest


def test_v2_ingest_slice_equals_pandas(tmp_path):
    dat = write_v2(tmp_path / "full_v2_202402.dat", _rows(1, 3000, [202401, 202402]))
    result = bt.bulk.ingest(dat, store=tmp_path / "s")
    assert result.loc[0, ["layout", "rows", "periods"]].tolist() == ["v2", 3000, "202401,202402"]
    panel = bt.bulk.panel(reporter="BE", partner="RU", store=tmp_path / "s")
    bt.panel.validate(panel, check_codes=True)
    assert set(panel["source"]) == {"comext_bulk"} and set(panel["nomenclature"]) == {"CN2024"}
    assert_slice_equal(panel, pandas_slice(dat, "BE", "RU"))
    handle = bt.bulk.dataset(tmp_path / "s")
    assert handle.count_rows() == 3000
    frame = handle.filter(reporter="NL", stat_procedure="3").to_pandas()
    raw = pd.read_csv(dat, dtype=str)
    assert len(frame) == ((raw["REPORTER"] == "NL") & (raw["STAT_PROCEDURE"] == "3")).sum()


def test_legacy_ingest_slice_equals_pandas(tmp_path):
    dat = write_legacy(tmp_path / "full201401.dat", _rows(2, 2000, [201401]))
    assert bt.bulk.ingest([dat], store=tmp_path).loc[0, "layout"] == "legacy"
    assert_slice_equal(
        bt.bulk.panel(reporter="DE", partner="RU", store=tmp_path), pandas_slice(dat, "DE", "RU")
    )
    table = bt.bulk.dataset(tmp_path).to_table()
    assert table.column("value_nac").null_count == 2000
    raw = pd.read_csv(dat, dtype=str)
    assert sorted(table.column("stat_procedure").to_pylist()) == sorted(raw["STAT_REGIME"])


def test_cn8_codes_that_lost_their_leading_zero_are_padded(tmp_path):
    rows = _rows(13, 400, [202401])
    dat = write_v2(tmp_path / "zeros.dat", rows)
    stripped = write_v2(
        tmp_path / "stripped.dat", [{**r, "product": r["product"].lstrip("0")} for r in rows]
    )
    assert "7020000" in stripped.read_text()
    bt.bulk.ingest([stripped], store=tmp_path / "s")
    stored = set(bt.bulk.dataset(tmp_path / "s").to_pandas()["product"].astype(str))
    assert stored == {r["product"] for r in rows}
    assert_slice_equal(
        bt.bulk.panel(reporter="BE", partner="CN", store=tmp_path / "s"),
        pandas_slice(dat, "BE", "CN"),
    )


def test_pipe_delimited_csv_ingests_like_the_comma_file(tmp_path):
    rows = _rows(12, 800, [202312])
    comma = write_v2(tmp_path / "comma.dat", rows)
    piped = write_v2(tmp_path / "piped.csv", rows, sep="|")
    bt.bulk.ingest([piped], store=tmp_path / "s")
    assert_slice_equal(
        bt.bulk.panel(reporter="NL", partner="BY", store=tmp_path / "s"),
        pandas_slice(comma, "NL", "BY"),
    )


def test_hs6_and_hs4_aggregation_equals_pandas(tmp_path):
    dat = write_v2(tmp_path / "a.dat", _rows(3, 2000, [202301, 202302]))
    bt.bulk.ingest(dat, store=tmp_path)
    for digits in (6, 4):
        panel = bt.bulk.panel(reporter="BE", partner="US", digits=digits, store=tmp_path)
        assert set(panel["nomenclature"]) == {"HS"}
        assert_slice_equal(panel, pandas_slice(dat, "BE", "US", digits))


def test_pushdown_prunes_parts_and_filters_rows(tmp_path):
    dat = write_v2(tmp_path / "a.dat", _rows(4, 3000, [202401, 202402, 202403]))
    bt.bulk.ingest(dat, store=tmp_path)
    handle = bt.bulk.dataset(tmp_path).filter(reporter="BE", start="2024-02", end="2024-02")
    parts = handle.parts()
    assert [(p["reporter"], p["period"]) for p in parts] == [("BE", 202402)]
    assert len(handle.arrow_dataset().files) == 1  # the other 8 parts are never opened
    got = handle.filter(partner=["RU", "BY"], product="0808", flow="export").to_pandas()
    raw = pd.read_csv(dat, dtype=str)
    expected = raw[(raw["REPORTER"] == "BE") & (raw["PERIOD"] == "202402")
                   & raw["PARTNER"].isin(["RU", "BY"]) & raw["PRODUCT_NC"].str.startswith("0808")
                   & (raw["FLOW"] == "2")]  # fmt: skip
    assert len(got) == len(expected) > 0
    assert sorted(got["value_eur"]) == sorted(pd.to_numeric(expected["VALUE_EUR"]))


def test_7z_archive_ingests_like_the_dat(tmp_path):
    py7zr = pytest.importorskip("py7zr")
    dat = write_v2(tmp_path / "full_202402.dat", _rows(5, 1500, [202402]))
    archive = tmp_path / "full_v2_202402.7z"
    with py7zr.SevenZipFile(archive, "w") as out:
        out.write(dat, arcname="full_202402.dat")
    bt.bulk.ingest([archive], store=tmp_path / "s")
    assert_slice_equal(
        bt.bulk.panel(reporter="NL", partner="CN", store=tmp_path / "s"),
        pandas_slice(dat, "NL", "CN"),
    )
    (record,) = bt.bulk.dataset(tmp_path / "s").provenance
    assert record["archive"] == "full_v2_202402.7z"
    assert record["sha256"] == hashlib.sha256(dat.read_bytes()).hexdigest()
    assert record["archive_sha256"] == hashlib.sha256(archive.read_bytes()).hexdigest()
    assert (record["rows"], record["size"]) == (1500, dat.stat().st_size)
    assert not list((tmp_path / "s" / "bulk").glob(".extract-*"))
    packed = archive.read_bytes()
    damaged = bytearray(packed)
    damaged[len(packed) // 3 : len(packed) // 3 + 64] = bytes(64)
    for name, content in [("half.7z", packed[: len(packed) // 2]), ("damaged.7z", damaged)]:
        (tmp_path / name).write_bytes(bytes(content))
        with pytest.raises(bt.bulk.BulkTruncatedError, match=name):
            bt.bulk.ingest(tmp_path / name, store=tmp_path / "s")
    assert bt.bulk.dataset(tmp_path / "s").count_rows() == 1500
    assert not list((tmp_path / "s" / "bulk").glob(".extract-*"))


def test_reingesting_a_month_replaces_it(tmp_path):
    first = write_v2(tmp_path / "first.dat", _rows(6, 1000, [202401, 202402]))
    second = write_v2(tmp_path / "second.dat", _rows(7, 700, [202402]))
    bt.bulk.ingest([first], store=tmp_path)
    bt.bulk.ingest([first], store=tmp_path)  # same file twice: not duplicated
    assert bt.bulk.dataset(tmp_path).count_rows() == 1000
    bt.bulk.ingest([second], store=tmp_path)
    handle = bt.bulk.dataset(tmp_path)
    raw = pd.read_csv(first, dtype=str)
    january = int((raw["PERIOD"] == "202401").sum())
    assert handle.filter(start="2024-01", end="2024-01").count_rows() == january
    assert handle.filter(start="2024-02").count_rows() == 700
    assert_slice_equal(
        bt.bulk.panel(reporter="BE", partner="RU", start="2024-02", store=tmp_path),
        pandas_slice(second, "BE", "RU"),
    )
    on_disk = {p.relative_to(tmp_path / "bulk").as_posix()
               for p in (tmp_path / "bulk" / "parts").rglob("*.parquet")}  # fmt: skip
    assert on_disk == {p["path"] for p in handle.parts()}  # superseded parts deleted
    info = bt.bulk.info(tmp_path)
    assert info[["source", "first", "last"]].values.tolist() == [
        ["first.dat", "202401", "202401"],
        ["second.dat", "202402", "202402"],
    ]


_CRASH = textwrap.dedent(
    """
    import os, signal, sys, time
    import belru_trade.store.bulk.writer as ingest
    import belru_trade.store.bulk.reader as reader
    import belru_trade.store.bulk.partition as partition
    reader.BLOCK_SIZE = 4096
    partition.ROW_GROUP_ROWS = 10
    original = reader._check
    count = [0]
    def check(batch, name):
        count[0] += 1
        if count[0] == 40:  # about two thirds through; let the writer flush what it holds
            time.sleep(0.5)
            os.kill(os.getpid(), signal.SIGKILL)
        original(batch, name)
    reader._check = check
    ingest.ingest([sys.argv[1]], store=sys.argv[2])
    """
)


def test_interrupted_ingest_leaves_no_partial_period_visible(tmp_path):
    old = write_v2(tmp_path / "old.dat", _rows(8, 500, [202402]))
    new = write_v2(tmp_path / "new.dat", _rows(9, 4000, [202402, 202403]))
    store = tmp_path / "s"
    bt.bulk.ingest([old], store=store)
    manifest = (store / "bulk" / "manifest.json").read_bytes()
    done = subprocess.run(
        [sys.executable, "-c", _CRASH, str(new), str(store)], capture_output=True, timeout=120
    )
    assert done.returncode == -signal.SIGKILL, done.stderr.decode()
    # the crash happened mid-write: parts of the new file exist on disk ...
    on_disk = list((store / "bulk" / "parts").rglob("*.parquet"))
    handle = bt.bulk.dataset(store)
    assert len(on_disk) > len(handle.parts())
    # ... but none is visible: the store reads exactly as before the crash
    assert (store / "bulk" / "manifest.json").read_bytes() == manifest
    assert handle.count_rows() == 500
    assert_slice_equal(
        bt.bulk.panel(reporter="BE", partner="RU", store=store), pandas_slice(old, "BE", "RU")
    )
    # the next ingest removes the leftovers and commits normally
    bt.bulk.ingest([new], store=store)
    assert bt.bulk.dataset(store).count_rows() == 4000
    on_disk = list((store / "bulk" / "parts").rglob("*.parquet"))
    assert len(on_disk) == len(bt.bulk.dataset(store).parts())


def test_annual_files_and_non_numeric_codes(tmp_path):
    rows = _rows(10, 300, [202352])
    rows[0].update(reporter="BE", partner="RU", product="27XXXXXX")
    dat = write_v2(tmp_path / "full_v2_202352.dat", rows)
    bt.bulk.ingest(dat, store=tmp_path)
    assert bt.bulk.panel(store=tmp_path).empty  # monthly by default
    with pytest.warns(bt.bulk.NonNumericProductWarning, match="27XXXXXX"):
        annual = bt.bulk.panel(reporter="BE", partner="RU", frequency="Y", store=tmp_path)
    assert set(annual["period"].astype(str)) == {"2023"}
    assert "27XXXXXX" in set(bt.bulk.dataset(tmp_path).to_pandas()["product"].astype(str))


# ----------------------------------------------------------------------------- bad input


def _good(tmp_path: Path) -> Path:
    return write_v2(tmp_path / "good.dat", _rows(11, 200, [202402]))


def test_bad_files_fail_with_named_errors_and_leave_the_store_unchanged(tmp_path):
    good = _good(tmp_path)
    store = tmp_path / "s"
    bt.bulk.ingest(good, store=store)
    text = good.read_bytes()
    cases = {
        "header.dat": (text.replace(b"VALUE_EUR", b"VALUE_EURO", 1), bt.bulk.BulkLayoutError),
        "truncated.dat": (text[: len(text) // 2], bt.bulk.BulkTruncatedError),
        "short_row.dat": (text + b"BE,RU,E,0808\n", bt.bulk.BulkTruncatedError),
        "latin1.dat": (text + b"BE,RU,E,0808\xe910,1,1,1,1,1,00,1,1,NO_SU,202402,1,1,1,1\n",
                       bt.bulk.BulkEncodingError),
        "utf16.dat": (text.decode().encode("utf-16"), bt.bulk.BulkEncodingError),
        "flow.dat": (text + b"BE,RU,E,08080000,1,1,1,1,1,00,3,1,NO_SU,202402,1,1,1,1\n",
                     bt.bulk.BulkFormatError),
        "period.dat": (text + b"BE,RU,E,08080000,1,1,1,1,1,00,1,1,NO_SU,202413,1,1,1,1\n",
                       bt.bulk.BulkFormatError),
        "empty.dat": (b"", bt.bulk.BulkTruncatedError),
        "reporter.dat": (text + b"B/,RU,E,08080000,1,1,1,1,1,00,1,1,NO_SU,202402,1,1,1,1\n",
                         bt.bulk.BulkFormatError),
        "cut.7z": (b"7z\xbc\xaf\x27\x1c\x00\x04" + b"\x00" * 20, bt.bulk.BulkTruncatedError),
    }  # fmt: skip
    manifest = (store / "bulk" / "manifest.json").read_bytes()
    for name, (content, error) in cases.items():
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(error, match=name.split(".")[0]) as caught:
            bt.bulk.ingest(path, store=store)
        assert isinstance(caught.value, BelruTradeError)
    assert (store / "bulk" / "manifest.json").read_bytes() == manifest
    assert bt.bulk.dataset(store).count_rows() == 200
    (tmp_path / "good.parquet").write_bytes(text)
    with pytest.raises(bt.bulk.BulkFileError, match="unknown suffix"):
        bt.bulk.ingest(tmp_path / "good.parquet", store=store)


def test_bad_filter_arguments_are_named(tmp_path):
    with pytest.raises(InvalidArgumentError, match="flow='both'"):
        bt.bulk.panel(flow="both", store=tmp_path)
    with pytest.raises(InvalidArgumentError, match="start='2024-13'"):
        bt.bulk.panel(start="2024-13", store=tmp_path)
    with pytest.raises(InvalidArgumentError, match="digits=5"):
        bt.bulk.panel(digits=5, store=tmp_path)
    with pytest.raises(InvalidArgumentError, match="product="):
        bt.bulk.panel(product="080830100", store=tmp_path)
    assert bt.bulk.panel(store=tmp_path).empty  # an empty store is an empty panel


def test_cli_ingest_and_data_info(tmp_path, capsys, monkeypatch):
    good = _good(tmp_path)
    assert main(["ingest", "comext-bulk", str(good), "--store", str(tmp_path / "s")]) == 0
    assert "good.dat: v2 layout, 200 rows, periods 202402" in capsys.readouterr().out
    monkeypatch.setenv("BELRU_TRADE_CACHE", str(tmp_path / "s"))
    assert main(["data", "info", "--format", "csv"]) == 0
    out = capsys.readouterr().out
    assert "Bulk store" in out and "good.dat,v2,202402,202402,1,3,200" in out
    manifest = json.loads((tmp_path / "s" / "bulk" / "manifest.json").read_text())
    assert bt.cache.info(tmp_path / "s").empty  # the bulk manifest is not a cache entry
    assert list(manifest["periods"]) == ["202402"]
    with pytest.raises(SystemExit) as exit_info:
        main(["ingest", "comext-bulk", os.fspath(tmp_path / "nope.dat")])
    assert exit_info.value.code == 1
