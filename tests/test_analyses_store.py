"""Pears and diamonds run once their data are in the local store.

The snapshot has no pear exports and no diamond imports, and no recorded real fetch of them
exists in the repository. These tests therefore check the *mechanics* of the runnable path:
real snapshot series (UN Comtrade pork exports to Russia; Comext total exports to Russia) are
relabelled as pear or diamond flows and saved in a temporary local store, exactly as
``belru-trade fetch`` would save a tidy panel. The numbers produced are NOT results about
pears or diamonds and are never written to a report; only statuses, table and figure
structure, and the store provenance are checked.
"""

from __future__ import annotations

import pandas as pd
import pytest

import belru_trade as bt
from belru_trade.report import AnalysisConfig, run_analysis


def _store(tmp_path, monkeypatch, frame: pd.DataFrame, query: dict, provider="comext") -> None:
    monkeypatch.setenv("BELRU_TRADE_CACHE", str(tmp_path))
    frame = frame.assign(source=provider, currency="EUR", nomenclature="CN", flag=None)
    bt.cache.save_tidy(provider, query, frame, {"dataset": "relabelled test rows"})


def _pear_rows() -> pd.DataFrame:
    routes = {"BE": "RU", "LT": "LT", "PL": "BY", "DE": "DE", "NL": "NL"}
    rows = bt.load_snapshot(
        "comtrade",
        reporter=list(routes),
        partner="RU",
        product="0203",
        flow="export",
        start="2010-01",
        end="2018-12",
    )
    rows = rows.assign(partner=rows["reporter"].map(routes), reporter="BE")
    years = rows["period"].dt.year
    return rows.assign(product=["080820" if y < 2012 else "080830" for y in years])


def _mirror_rows() -> pd.DataFrame:
    """Real pork exports to Russia of LT and PL, relabelled as Russia's imports from LT, BY."""
    routes = {"LT": "LT", "PL": "BY"}
    rows = bt.load_snapshot(
        "comtrade",
        reporter=list(routes),
        partner="RU",
        product="0203",
        flow="export",
        start="2012-01",
        end="2018-12",
    )
    rows = rows.assign(partner=rows["reporter"].map(routes), reporter="RU", flow="import")
    return rows.assign(product="080830")


def test_pears_not_run_without_store(tmp_path, monkeypatch):
    monkeypatch.setenv("BELRU_TRADE_CACHE", str(tmp_path))
    result = run_analysis("pears")
    assert result.status == "not_run"
    assert len(result.fetch_commands) == 3


def test_pears_run_from_the_store(tmp_path, monkeypatch):
    _store(tmp_path, monkeypatch, _pear_rows(), {"reporter": "BE", "product": ["080830"]})
    result = run_analysis("pears", AnalysisConfig())
    assert result.status == "ok", result.reason
    assert list(result.tables) == [
        "Pear exports by destination and year",
        "Interrupted time series at 2014-08 (95% intervals)",
        "Leakage: excess exports to Lithuania and Belarus vs volume lost to Russia",
        "Synthetic control: exports to the partner vs other destinations (t)",
        "Synthetic control donor weights",
    ]
    weights = result.tables["Synthetic control donor weights"]
    assert set(weights["donor destination"]) <= {"DE", "NL"}
    assert weights["weight"].sum() == pytest.approx(1.0, abs=1e-3)
    effects = result.tables["Interrupted time series at 2014-08 (95% intervals)"]
    assert list(effects["series"]) == [
        "BE -> RU (t)",
        "BE -> RU (EUR m)",
        "BE -> LT (t)",
        "BE -> BY (t)",
    ]
    assert set(
        result.tables["Leakage: excess exports to Lithuania and Belarus vs volume lost to Russia"][
            "route"
        ]
    ) == {"LT", "BY"}
    assert len(result.figures) == 2
    assert "Diversion via Lithuania and Belarus (bt.diversion, 95% intervals)" not in result.tables
    assert any(key.startswith("store:comext") for key in result.provenance)
    # the optional leakage data are still missing: their fetch commands are listed
    assert any("--reporter LT" in c for c in result.fetch_commands)


def test_pears_diversion_with_mirror_data(tmp_path, monkeypatch):
    _store(tmp_path, monkeypatch, _pear_rows(), {"reporter": "BE", "product": ["080830"]})
    _store(tmp_path, monkeypatch, _mirror_rows(), {"reporter": "RU"}, provider="comtrade")
    result = run_analysis("pears")
    assert result.status == "ok", result.reason
    table = result.tables["Diversion via Lithuania and Belarus (bt.diversion, 95% intervals)"]
    assert list(table["transit"]) == ["LT", "BY"]
    assert {"excess in (t)", "excess out (t)", "leakage (t)"} <= set(table.columns)
    share = result.tables["Leakage share of the counterfactual direct flow"].iloc[0]
    assert share["share CI low (%)"] <= share["share CI high (%)"]
    assert "Diversion: flows against their pre-embargo trends (t)" in result.figures
    assert not any("fetch comtrade" in c for c in result.fetch_commands)


def test_diamonds_run_from_the_store(tmp_path, monkeypatch):
    origins = {"BE": "RU", "NL": "AE", "DE": "IN", "FR": "BW"}
    rows = bt.load_snapshot("comext_total_exports", reporter=list(origins), partner="RU")
    rows = rows.assign(
        partner=rows["reporter"].map(origins),
        reporter="BE",
        flow="import",
        product=rows["reporter"].map(
            {"BE": "710231", "NL": "710210", "DE": "710239", "FR": "710231"}
        ),
        period=rows["period"] + 10,  # shifted so that the series reach 2025-06
    )
    _store(tmp_path, monkeypatch, rows, {"reporter": "BE", "product": ["710231"]})
    result = run_analysis("diamonds")
    assert result.status == "ok", result.reason
    effects = result.tables["Interrupted time series at the ban steps (95% intervals)"]
    assert list(effects["series"]) == [
        "BE imports from RU (EUR m)",
        "BE imports from AE (EUR m)",
        "BE imports from IN (EUR m)",
    ]
    assert {"level_change[2024-03] (%)", "level_change[2024-09] (%)"} <= set(effects.columns)
    annual = result.tables["Non-industrial diamond imports by origin and year"]
    assert "RU share (%)" in annual and len(annual) == 7
    assert len(result.figures) == 1


def test_store_rows_outside_the_slice_are_ignored(tmp_path, monkeypatch):
    rows = _pear_rows()
    _store(tmp_path, monkeypatch, rows[rows["period"].dt.year < 2012], {"q": 1})
    result = run_analysis("pears")
    assert result.status == "not_run", "080830 (2012 on) is missing: not covered"


def test_milk_destination_shares_from_the_store(tmp_path, monkeypatch):
    """EU27 annual extra-EU exports by partner, relabelled as BE dairy exports by heading."""
    rows = bt.load_snapshot(
        "comext_eu_exports_annual", partner=["RU", "GB", "US", "CN", "DZ"], start="2011", end="2018"
    )
    rows = pd.concat(
        [
            rows.assign(reporter="BE", product=code)
            for code in ("0401", "0402", "0403", "0404", "0405", "0406")
        ],
        ignore_index=True,
    )
    _store(tmp_path, monkeypatch, rows, {"reporter": "BE", "freq": "A"})
    result = run_analysis("milk")
    assert result.status == "ok", result.reason
    shares = result.tables["Dairy export destinations before and after the ban (Comext, EUR)"]
    assert set(shares["destination"]) == {"RU", "GB", "US", "CN", "DZ"}
    for window in ("2011-2013", "2015-2017"):
        assert shares[f"{window} share (%)"].sum() == pytest.approx(100.0)
    # EUR of 2021: euro-area HICP mean 2021 / mean 2011-2013 = 107.8 / 97.7 (2015 = 100) = 1.10
    ratio = (
        shares["2011-2013 (EUR m of 2021 per year, euro-area HICP)"]
        / shares["2011-2013 (EUR m per year, nominal)"]
    )
    assert ratio.to_numpy() == pytest.approx(1.10, abs=0.02)
    assert not any("--freq A" in c for c in result.fetch_commands)
