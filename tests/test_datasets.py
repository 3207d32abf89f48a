"""bt.datasets, the licence metadata of shipped data, and a build without the Comtrade extract."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import tomllib

import belru_trade as bt
from belru_trade.errors import DataValidationError, InvalidArgumentError, NotCoveredError
from belru_trade.store import snapshot
from belru_trade.trade.panel_io import read_panel

PROJECT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"


def test_every_dataset_has_a_ruling_licence_citation_and_columns():
    for name in bt.datasets.list():
        info = bt.datasets.info(name)
        assert info["licence"] and info["citation"] and info["columns"]
        assert info["ruling"].startswith("Shipped" if info["shipped"] else "Not shipped")
        if not info["shipped"]:
            assert info["how_to_get"]
    assert set(bt.datasets.list(shipped_only=True)) == {"yotov2016", "eu_exports_to_russia"}


@pytest.mark.parametrize("name", ["fixest_trade", "sicily_its", "comtrade_embargo_2014"])
def test_datasets_that_may_not_ship_raise_with_their_ruling(name):
    with pytest.raises(NotCoveredError, match="not shipped"):
        bt.datasets.load(name)


def test_unknown_dataset_is_a_named_error():
    with pytest.raises(InvalidArgumentError, match="name='gravity' is not a dataset"):
        bt.datasets.info("gravity")


def test_yotov_dataset_equals_the_original_file_for_the_books_years():
    ours = bt.datasets.load("yotov2016")
    raw = pd.read_csv(DATA / "reference" / "yotov2016_agtpa_applications.csv.gz")
    raw = raw[raw["year"].isin(range(1986, 2007, 4))].reset_index(drop=True)
    assert list(ours.columns) == list(bt.datasets.info("yotov2016")["columns"])
    assert len(ours) == len(raw) == 28566
    for column in ours.columns:
        if not pd.api.types.is_numeric_dtype(ours[column]):
            assert (ours[column] == raw[column]).all(), column
        else:
            np.testing.assert_array_equal(ours[column].to_numpy(float), raw[column].to_numpy())


def test_eu_exports_dataset_matches_the_original_extract():
    ours = bt.datasets.load("eu_exports_to_russia")
    raw = pd.read_csv(
        DATA / "extracts" / "member_state_total_exports_to_russia_monthly_2019_2024.csv"
    )
    be = raw[raw["reporter_code"] == "BE"].set_index("period")["value_eur"]
    be_rows = ours[ours["reporter"] == "BE"]
    mine = pd.Series(be_rows["value"].to_numpy(), index=be_rows["period"].astype(str).to_numpy())
    assert len(mine) == len(be) == 68
    np.testing.assert_allclose(mine.sort_index().to_numpy(), be.sort_index().to_numpy(float))


def test_metadata_declares_the_data_licences_and_leaves_comtrade_out_of_the_wheel():
    config = tomllib.loads((PROJECT / "pyproject.toml").read_text())
    expression = "BSD-3-Clause AND CC-BY-4.0 AND LicenseRef-ECB-reference-rates"
    assert config["project"]["license"] == expression
    assert (PROJECT / "LICENSES" / "LicenseRef-ECB-reference-rates.txt").is_file()
    assert "LICENSES/*" in config["project"]["license-files"]
    assert (PROJECT / "LICENSES" / "CC-BY-4.0.txt").read_text().count("creativecommons.org") >= 1
    excluded = config["tool"]["setuptools"]["exclude-package-data"]["belru_trade"]
    assert excluded == ["data/snapshot/comtrade.parquet"]
    assert "belru_trade.datasets" in config["tool"]["setuptools"]["packages"]


@pytest.fixture
def wheel_like_snapshot(tmp_path, monkeypatch):
    """The snapshot folder as a wheel installs it: every file but the Comtrade extract."""
    real = snapshot._snapshot_dir()
    for path in real.iterdir():
        if path.name != "comtrade.parquet":
            (tmp_path / path.name).symlink_to(path)
    monkeypatch.setattr(snapshot, "_snapshot_dir", lambda: tmp_path)
    monkeypatch.setenv("BELRU_TRADE_CACHE", str(tmp_path / "empty-store"))
    return tmp_path


def test_without_the_comtrade_extract_the_food_analyses_are_fetch_first(wheel_like_snapshot):
    assert "comtrade" not in snapshot.sources()
    with pytest.raises(NotCoveredError, match="not shipped in this installation"):
        snapshot.load_snapshot("comtrade")
    assert snapshot.provenance("comtrade")["provider"].startswith("UN Comtrade")
    for name in ("milk", "embargo_2014_food"):
        result = bt.report.run_analysis(name)
        assert result.status == "not_run", name
        assert any(c.startswith("belru-trade fetch comtrade") for c in result.fetch_commands)


def test_read_panel_round_trip_and_errors(tmp_path):
    panel = bt.load_snapshot("comext_totals", reporter="BE", partner="RU", start="2021")
    path = tmp_path / "be.parquet"
    panel.assign(period=panel["period"].astype(str)).to_parquet(path, index=False)
    back = read_panel(path)
    pd.testing.assert_frame_equal(back, panel.reset_index(drop=True), check_dtype=False)
    with pytest.raises(InvalidArgumentError, match=r"must end in \.csv or \.parquet"):
        read_panel(tmp_path / "be.xlsx")
    panel.drop(columns="flow").to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(DataValidationError, match="flow"):
        read_panel(tmp_path / "bad.csv")


def test_cli_simulate_rejects_a_bad_panel_file(tmp_path, capsys):
    from belru_trade.cli.main import main

    with pytest.raises(SystemExit) as exit_info:
        main(
            ["simulate", "--kind", "export_ban", "--products", "3303", "--start", "2022-03",
             "--panel", str(tmp_path / "nope.csv"), "--out", str(tmp_path / "brief")]
        )  # fmt: skip
    assert exit_info.value.code == 2
    assert "--panel" in capsys.readouterr().err


def test_convert_currency_accepts_a_snapshot_panel():
    # load_snapshot returns categorical columns; the README converts such a panel to USD
    panel = bt.load_snapshot("comext_total_exports", reporter="BE", start="2019-01", end="2019-01")
    usd = bt.convert_currency(panel, "USD")
    rates = pd.read_csv(
        PROJECT / "belru_trade" / "data" / "prices" / "ecb_eur_usd_rub_monthly_avg.csv"
    )
    rate = float(rates.set_index("month").loc["2019-01", "eur_usd_avg"])
    assert usd["currency"].astype(str).tolist() == ["USD"]
    assert usd["value"].iloc[0] == pytest.approx(panel["value"].iloc[0] * rate, rel=1e-12)
