"""Embedded snapshot: coverage, filters, and totals checked against the extract files.

Expected figures come from the original extract file (summed here with plain pandas) and
from the sanity figures published in the shared PROVENANCE notes, never from the loader.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import belru_trade as bt
from belru_trade.errors import InvalidArgumentError
from belru_trade.trade.panel import COLUMNS, validate

EXTRACTS = Path(__file__).parent / "data" / "extracts"


@pytest.fixture(scope="module")
def member_exports() -> pd.DataFrame:
    return pd.read_csv(EXTRACTS / "member_state_total_exports_to_russia_monthly_2019_2024.csv")


@pytest.mark.parametrize("year", [2019, 2020, 2021, 2022, 2023])
def test_belgian_exports_to_russia_equal_the_extract(member_exports, year):
    raw = member_exports
    expected = raw.loc[
        (raw["reporter_code"] == "BE") & raw["period"].str.startswith(str(year)), "value_eur"
    ].sum()
    panel = bt.load_snapshot("comext_total_exports", reporter="BE", start=year, end=year)
    assert len(panel) == 12
    assert panel["value"].sum() == pytest.approx(expected, rel=1e-12)


def test_every_member_total_equals_the_extract(member_exports):
    panel = bt.load_snapshot("comext_total_exports")
    ours = panel.groupby("reporter")["value"].sum()
    ours.index = ours.index.astype(str)  # the panel's code columns are categorical
    theirs = member_exports.groupby("reporter_code")["value_eur"].sum()
    pd.testing.assert_series_equal(
        ours.sort_index(), theirs.sort_index().astype(float), check_names=False
    )


@pytest.mark.parametrize(
    ("year", "flow", "published_meur"),
    [
        (2015, "export", 2952),
        (2017, "export", 3865),
        (2021, "export", 4187),
        (2015, "import", 6029),
        (2017, "import", 6500),
        (2021, "import", 5983),
        (2019, "export", 3867),
    ],
)
def test_sum_of_transport_modes_matches_the_published_sanity_figures(year, flow, published_meur):
    panel = bt.load_snapshot(
        "comext_by_mode",
        reporter="BE",
        partner="RU",
        product="TOTAL",
        flow=flow,
        start=year,
        end=year,
    )
    assert panel["value"].sum() / 1e6 == pytest.approx(published_meur, abs=0.5)
    assert set(panel["flag"]) == {"partial_modes"}


@pytest.mark.parametrize(
    ("reporter", "year", "published_kt"),
    [
        ("BY", 2011, 127.8),
        ("BY", 2016, 200.5),
        ("NL", 2013, 61.3),
        ("DE", 2012, 75.3),
        ("BE", 2013, 0.8),
        ("LT", 2014, 23.9),
    ],
)
def test_comtrade_cheese_exports_to_russia_match_the_provenance_table(reporter, year, published_kt):
    panel = bt.load_snapshot(
        "comtrade", reporter=reporter, product="0406", flow="export", start=year, end=year
    )
    assert panel["quantity"].sum() / 1e6 == pytest.approx(published_kt, abs=0.05)
    assert panel["value"].isna().all()  # dairy has weights only


@pytest.mark.parametrize(
    ("year", "published_meur", "published_mt"),
    [(2018, 220, 0.53), (2019, 327, 1.30), (2020, 306, 1.99), (2021, 886, 1.65)],
)
def test_belgian_lng_imports_from_russia_crea(year, published_meur, published_mt):
    panel = bt.load_snapshot("crea", reporter="BE", product="271111", start=year, end=year)
    assert panel["value"].sum() / 1e6 == pytest.approx(published_meur, abs=0.5)
    assert panel["quantity"].sum() / 1e6 == pytest.approx(published_mt, abs=0.005)


@pytest.mark.parametrize(("year", "published_bn"), [(2010, 82.7), (2013, 114.8), (2022, 55.0)])
def test_eu_exports_to_russia_annual(year, published_bn):
    panel = bt.load_snapshot("comext_eu_exports_annual", partner="RU", start=year, end=year)
    assert len(panel) == 1
    assert panel["value"].iloc[0] / 1e9 == pytest.approx(published_bn, abs=0.05)


def test_every_source_is_a_valid_panel_with_provenance():
    for name in bt.snapshot.sources():
        frame = bt.load_snapshot(name, reporter="BE")
        assert list(frame.columns) == list(COLUMNS)
        validate(frame)
        record = bt.snapshot.provenance(name)
        assert record["licence"] and record["caveats"] and record["build"]["rows"] > 0


def test_every_source_is_unique_on_its_keys():
    """One row per reporter, partner, product, flow and period in every source file (read
    with pyarrow directly): ``resolve`` relies on it to skip deduplicating a single source."""
    import pyarrow.parquet as pq

    keys = ["reporter", "partner", "product", "flow", "period", "source"]
    for name in bt.snapshot.sources():
        path = Path(bt.__file__).parent / "data" / "snapshot" / f"{name}.parquet"
        table = pq.read_table(path, columns=keys)
        distinct = table.group_by(keys).aggregate([]).num_rows
        assert distinct == table.num_rows, name


def test_filters_push_down_and_combine():
    panel = bt.load_snapshot(
        "comext_sanctioned",
        reporter=["BE", "NL"],
        partner="RU",
        product="7102",
        start="2021-01",
        end="2021-06",
    )
    assert set(panel["reporter"]) <= {"BE", "NL"}
    assert panel["product"].str.startswith("7102").all()
    assert panel["period"].min() >= pd.Period("2021-01", "M")
    assert panel["period"].max() <= pd.Period("2021-06", "M")


def test_nothing_matching_gives_an_empty_panel():
    panel = bt.load_snapshot("comext_totals", reporter="BE", start="1990", end="1991")
    assert panel.empty and list(panel.columns) == list(COLUMNS)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"source": "comext_pears"}, "source='comext_pears'"),
        ({"flow": "exports"}, "flow='exports'"),
        ({"start": "2014-13"}, "start='2014-13'"),
        ({"reporter": ""}, "reporter=''"),
    ],
)
def test_bad_arguments_name_the_argument(kwargs, match):
    with pytest.raises(InvalidArgumentError, match=match):
        bt.load_snapshot(**kwargs)


def test_snapshot_info_covers_every_source():
    info = bt.snapshot_info().set_index("source")
    assert set(info.index) == set(bt.snapshot.sources())
    assert info.loc["comtrade", "first"] == "2010-01"
    assert info.loc["comext_total_exports", "last"] == "2024-08"
    assert pd.isna(info.loc["eurostat_energy", "value_total"])


def test_cli_data_info_prints_the_coverage(capsys):
    from belru_trade.cli.main import main

    assert main(["data", "info"]) == 0
    out = capsys.readouterr().out
    assert "Embedded snapshot" in out and "comext_sanctioned" in out and "2024-08" in out


def test_code_columns_hold_only_the_values_the_selected_rows_use():
    """The code columns are read dictionary-encoded; a filtered read must not keep the row
    groups' other values as categories (groupby would show them as empty groups)."""
    import pyarrow.dataset as ds

    from belru_trade.store import snapshot as snap

    frame = bt.load_snapshot("comext_sanctioned", reporter="BE", partner="KZ", product="8703")
    path = snap._snapshot_dir() / "comext_sanctioned.parquet"
    plain = ds.dataset(path, format="parquet").to_table().to_pandas()
    plain = plain[
        (plain["reporter"] == "BE")
        & (plain["partner"] == "KZ")
        & plain["product"].str.startswith("8703")
    ]
    assert len(frame) == len(plain) > 0
    for column in ("reporter", "partner", "product", "flow", "source", "currency"):
        assert list(frame[column].cat.categories) == sorted(plain[column].unique())
    assert sorted(frame["unit"].dropna().unique()) == sorted(plain["unit"].dropna().unique())
    assert frame["flag"].isna().sum() == plain["flag"].isna().sum()


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"partner": ["RU", "KZ"], "flow": "export", "start": "2021-06", "end": "2022-03"},
        {"reporter": "BE", "product": ["8703", "84"]},
    ],
)
def test_a_read_equals_the_plain_arrow_table_row_by_row(query):
    """The batch-by-batch conversion gives the rows, in file order, that a plain pandas
    conversion of the whole file gives after the same filter written here with pandas."""
    import pyarrow.parquet as pq

    frame = bt.load_snapshot("comext_sanctioned", **query)
    path = Path(bt.__file__).parent / "data" / "snapshot" / "comext_sanctioned.parquet"
    plain = pq.read_table(path).to_pandas()
    keep = pd.Series(True, index=plain.index)
    if "partner" in query:
        keep &= plain["partner"].isin(query["partner"])
    if "reporter" in query:
        keep &= plain["reporter"] == query["reporter"]
    if "flow" in query:
        keep &= plain["flow"] == query["flow"]
    if "product" in query:
        keep &= plain["product"].str.startswith(tuple(query["product"]))
    if "start" in query:  # the file holds month ordinals
        first, last = (pd.Period(query[k], "M").ordinal for k in ("start", "end"))
        keep &= plain["period"].between(first, last)
    plain = plain[keep.to_numpy()].reset_index(drop=True)
    assert len(frame) == len(plain) > 0
    for column in ("reporter", "partner", "product", "nomenclature", "flow", "currency", "source"):
        assert frame[column].astype(str).tolist() == plain[column].tolist(), column
    for column in ("unit", "flag"):
        expected = [None if pd.isna(v) else v for v in plain[column]]
        assert frame[column].tolist() == expected, column
    assert frame["period"].array.asi8.tolist() == plain["period"].tolist()
    np.testing.assert_array_equal(frame["value"].to_numpy(), plain["value"].to_numpy())
    np.testing.assert_array_equal(frame["quantity"].to_numpy(), plain["quantity"].to_numpy())
