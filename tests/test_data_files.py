"""Data kept as package data, not in code: snapshot source records, 2014 control origins, EU27."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import tomllib

from belru_trade.errors import DataValidationError
from belru_trade.geo.groups import embargo_control_origins, embargo_origins, group_members
from belru_trade.policy.measure import EU27
from belru_trade.store.snapshot_sources import SOURCES, SourceInfo, load_sources

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "belru_trade" / "data"


def test_source_records_agree_with_the_shipped_provenance() -> None:
    shipped = json.loads((DATA / "snapshot" / "provenance.json").read_text(encoding="utf-8"))
    assert sorted(SOURCES) == sorted(shipped)
    for name, record in SOURCES.items():
        built = {k: v for k, v in shipped[name].items() if k != "build"}
        assert record.as_dict() == built, name
        assert record.name == name


def test_source_records_keep_the_listing_order_and_their_types() -> None:
    assert list(SOURCES)[:2] == ["comext_sanctioned", "comext_totals"]
    assert list(SOURCES)[-1] == "comtrade"
    comtrade = SOURCES["comtrade"]
    assert isinstance(comtrade.files, tuple) and isinstance(comtrade.caveats, tuple)
    assert comtrade.files[-1] == "COMTRADE/040510-Imp-RF-comtrade.csv"
    assert load_sources() == SOURCES


@pytest.mark.parametrize("change", [{"drop": "licence"}, {"add": "licence_url"}])
def test_a_malformed_record_is_a_named_error(change) -> None:
    record = SOURCES["crea"].as_dict()
    if "drop" in change:
        record.pop(change["drop"])
    else:
        record[change["add"]] = "x"
    with pytest.raises(DataValidationError, match="crea") as info:
        SourceInfo.from_dict(record)
    assert info.value.values == [next(iter(change.values()))]


def test_embargo_controls_are_recomputed_from_the_comtrade_snapshot() -> None:
    """Independent check of the data file: redo the selection its rows describe."""
    if not (DATA / "snapshot" / "comtrade.parquet").is_file():
        pytest.skip("the UN Comtrade extract is kept in the source tree only")
    from belru_trade.store.snapshot import load_snapshot

    frame = load_snapshot("comtrade")
    dairy = frame["product"].str[:4].isin([f"040{i}" for i in range(1, 7)])
    traded = (frame["quantity"].fillna(0) > 0) | (frame["value"].fillna(0) > 0)
    rows = frame[dairy & traded & (frame["partner"] == "RU") & (frame["flow"] == "export")]
    years = rows["period"].dt.year
    exporters = set(rows.loc[(years >= 2010) & (years <= 2020), "reporter"])
    expected = exporters - embargo_origins("2016-01") - {"BY", "UA", "EU28", "RU"}
    assert embargo_control_origins() == tuple(sorted(expected))


def test_embargo_controls_file_has_provenance_and_no_duplicates() -> None:
    lines = (DATA / "embargo_2014_controls.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "member,selection"
    members = [line.split(",", 1)[0] for line in lines[1:]]
    assert len(members) == len(set(members)) == 34
    assert all("dairy exports (HS 0401-0406)" in line for line in lines[1:])


def test_eu27_comes_from_the_group_registry() -> None:
    written_out = ("BE", "AT", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR",
                   "HR", "HU", "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO",
                   "SE", "SI", "SK")  # fmt: skip
    assert written_out == EU27
    assert set(EU27) == group_members("EU27_2020")


def test_package_data_globs_cover_every_data_file() -> None:
    """The wheel carries what the globs of pyproject.toml match (setuptools package-data)."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    globs = config["package-data"]["belru_trade"]
    excluded = set(config.get("exclude-package-data", {}).get("belru_trade", []))
    package = ROOT / "belru_trade"
    shipped = {p for g in globs for p in package.glob(g) if p.is_file()}
    for name in ("snapshot_sources.json", "embargo_2014_controls.csv", "country_groups.csv"):
        assert DATA / name in shipped
    missing = [
        str(p.relative_to(package))
        for p in DATA.rglob("*")
        if p.is_file() and p not in shipped and str(p.relative_to(package)) not in excluded
    ]
    assert missing == []
