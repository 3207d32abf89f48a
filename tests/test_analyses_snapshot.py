"""The bundled analyses run on the embedded snapshot: statuses, tables, figures, numbers.

``belru-trade run all`` is run once for the module (about 30-50 s on the CI machine).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from belru_trade.cli.main import main
from belru_trade.report import AnalysisConfig, available, run_analyses

DATA = Path(__file__).resolve().parent / "data"

EXPECTED = {
    "trade_balance": (
        [
            "Annual trade by extract (EUR m)",
            "Missing transport modes vs all-mode totals (EUR m)",
            "Published 2017 figures and their concepts (EUR bn)",
            "Monthly trade (EUR m)",
            "Interrupted time series at 2022-03 (95% intervals)",
        ],
        3,
    ),
    "lng": (
        [
            "LNG imports from the partner by year",
            "Russia's share under two concepts: arrivals (TJ) and imports (EUR)",
            "Interrupted time series at 2022-03 (95% intervals)",
        ],
        2,
    ),
    "milk": (
        [
            "BE dairy exports to RU by heading (t)",
            "Interrupted time series at 2014-08 (95% intervals)",
            "Comparative ITS: embargoed vs non-embargoed origins (95% intervals)",
            "Event study, PPML: embargoed vs non-embargoed origins (95% intervals)",
            "Leakage channel: Belarus's dairy exports to Russia by heading, ITS (95% intervals)",
            "Excluded unit-error observations",
        ],
        2,
    ),
    "embargo_2014_food": (
        [
            "Comparative ITS per food group (95% intervals)",
            "Event study per food group, PPML (95% intervals)",
            "Lost volume 2014-08..2016-07: control-based (headline) and own-trend ITS",
            "Interrupted time series per food and origin group (95% intervals)",
            "Excluded unit-error observations",
        ],
        2,
    ),
    "circumvention_2022": (
        [
            "Exports of sanctioned products by year (EUR m, nominal)",
            "Drop to Russia, excess to the channels, leakage share (real, euro-area HICP, "
            "2021 = 100; 95% intervals)",
            "Interrupted time series per exporter and destination (real, euro-area HICP, "
            "2021 = 100; 95% intervals)",
        ],
        2,
    ),
}


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """Run every analysis once through the CLI (empty local store) and keep the results."""
    out = tmp_path_factory.mktemp("report")
    mp = pytest.MonkeyPatch()
    mp.setenv("BELRU_TRADE_CACHE", str(out / "empty-store"))
    try:
        results = {r.name: r for r in run_analyses(["all"], AnalysisConfig(), progress=False)}
        code = main(["run", "trade_balance", "pears", "--out", str(out / "cli"), "--no-progress"])
    finally:
        mp.undo()
    from belru_trade.report import write_report

    index = write_report(list(results.values()), out / "all")
    return {"results": results, "index": index, "cli_code": code, "cli_dir": out / "cli"}


def test_every_analysis_has_a_status(report):
    results = report["results"]
    assert list(results) == list(available())
    assert {n for n, r in results.items() if r.status == "ok"} == set(EXPECTED)
    for name in ("pears", "diamonds"):
        r = results[name]
        assert r.status == "not_run" and not r.tables and not r.figures
        assert r.fetch_commands and r.fetch_commands[0].startswith("belru-trade fetch comext ")
    assert report["cli_code"] == 0 and (report["cli_dir"] / "index.html").exists()


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_analysis_tables_and_figures(report, name):
    result = report["results"][name]
    tables, n_figures = EXPECTED[name]
    assert list(result.tables)[: len(tables)] == tables
    for key in tables[:2]:
        assert len(result.tables[key]) > 0, key
    assert len(result.figures) == n_figures
    for fig in result.figures.values():
        axes = [ax for ax in fig.axes if ax.get_visible()]
        assert axes and all(ax.get_ylabel() for ax in axes)
    assert result.question and result.method and result.caveats and result.headline
    assert result.provenance, "the data sources used must be recorded"
    for table in result.tables.values():
        for low, high in (
            ("level CI low (%)", "level CI high (%)"),
            ("cumulative CI low", "cumulative CI high"),
        ):
            if low in table:
                ok = table[[low, high]].dropna()
                assert (ok[low] <= ok[high]).all()


def _annual_from(path: Path, **filters) -> pd.DataFrame:
    frame = pd.read_csv(path, dtype=str)
    for column, value in filters.items():
        frame = frame[frame[column] == value]
    frame = frame.assign(
        year=frame["period"].str[:4].astype(int), value=frame["value_eur"].astype(float)
    )
    return frame


def test_trade_balance_equals_the_extract_sums(report):
    """Annual sums computed with plain pandas on the original extract files."""
    table = report["results"]["trade_balance"].tables["Annual trade by extract (EUR m)"]
    table = table.set_index(["year", "extract"])
    exports = _annual_from(
        DATA / "extracts/member_state_total_exports_to_russia_monthly_2019_2024.csv",
        reporter_code="BE",
    )
    for year, value in exports.groupby("year")["value"].sum().items():
        got = table.loc[(year, "comext_total_exports"), "exports (EUR m)"]
        assert got == pytest.approx(value / 1e6, rel=1e-12)
    totals = _annual_from(DATA / "report/be_ru_totals_monthly_2020_2022.csv")
    sums = totals.groupby(["year", "flow"])["value"].sum().unstack()
    for year, row in sums.iterrows():
        got = table.loc[(year, "comext_totals")]
        assert got["exports (EUR m)"] == pytest.approx(row["EXPORT"] / 1e6, rel=1e-12)
        assert got["imports (EUR m)"] == pytest.approx(row["IMPORT"] / 1e6, rel=1e-12)
        assert got["balance (EUR m)"] == pytest.approx((row["EXPORT"] - row["IMPORT"]) / 1e6)
    assert table.loc[(2022, "comext_totals"), "months"] == 11
    modes = _annual_from(DATA / "report/be_ru_total_by_mode_monthly_2015_2021.csv")
    six = modes.groupby(["year", "flow"])["value"].sum().unstack()
    for year, row in six.iterrows():
        got = table.loc[(year, "comext_by_mode")]
        assert got["exports (EUR m)"] == pytest.approx(row["EXPORT"] / 1e6, rel=1e-12)
        assert got["imports (EUR m)"] == pytest.approx(row["IMPORT"] / 1e6, rel=1e-12)
    gaps = report["results"]["trade_balance"].tables[
        "Missing transport modes vs all-mode totals (EUR m)"
    ]
    imports = gaps[gaps["flow"] == "import"].set_index("year")
    for year in (2020, 2021):
        expected = sums.loc[year, "IMPORT"] - six.loc[year, "IMPORT"]
        got = imports.loc[year, "missing Air/Post/Self-prop. (EUR m)"]
        assert got == pytest.approx(expected / 1e6, rel=1e-12)
    assert sorted(gaps.loc[gaps["flow"] == "export", "year"].unique()) == [2019, 2020, 2021]


def test_trade_balance_2017_figures(report):
    """The 2017 reconciliation, re-derived from the extract file and the cited figures."""
    from belru_trade.report.published import published_figures

    quoted = published_figures()
    assert (quoted["publisher"] != "").all() and (quoted["title"] != "").all()
    assert ((quoted["url"] != "") | (quoted["note"] != "")).all()
    result = report["results"]["trade_balance"]
    published = result.tables["Published 2017 figures and their concepts (EUR bn)"]
    published = published.set_index("figure")
    modes = _annual_from(DATA / "report/be_ru_total_by_mode_monthly_2015_2021.csv")
    six_2017 = modes[modes["year"] == 2017].groupby("flow")["value"].sum() / 1e9
    six = published.loc["Comext DS-1262527, sum of the six transport modes in the extract"]
    assert six["exports (EUR bn)"] == pytest.approx(six_2017["EXPORT"], rel=1e-12)
    assert six["imports (EUR bn)"] == pytest.approx(six_2017["IMPORT"], rel=1e-12)
    ing = published.loc["ING Belgium economic note, 21 Jun 2018"]
    assert ing["imports (EUR bn)"] == quoted.loc["ing_2017_be_ru_imports", "value"]
    assert "national concept" in ing["concept"] and "ing.be" in ing["source"]
    # the unsourced 3.9 / 9.4 figure is not used; the 2017 all-mode totals are an estimate
    assert not published.index.str.contains("Egmont").any()
    text = " ".join(result.findings)
    assert "2017, estimated" in text and "9.4" not in text
    estimates = published[published.index.str.startswith("Estimated")]
    assert (estimates["imports (EUR bn)"] > six["imports (EUR bn)"]).all()


def test_circumvention_drop_and_excess(report):
    leakage = (
        report["results"]["circumvention_2022"]
        .tables[
            "Drop to Russia, excess to the channels, leakage share (real, euro-area HICP, "
            "2021 = 100; 95% intervals)"
        ]
        .set_index("exporter")
    )
    eu = leakage.loc["EU27"]
    assert eu["drop CI low"] > 0, "EU exports of sanctioned goods to Russia fell"
    assert eu["drop CI low"] <= eu["drop to RU 2022-03..end (EUR m)"] <= eu["drop CI high"]
    assert eu["excess CI low"] > 0, "exports to the neighbours rose above their path"
    assert 0 < eu["leakage share (%)"] < 100
    # the joint bootstrap interval contains the point share
    assert eu["joint CI low (%)"] <= eu["joint share (%)"] <= eu["joint CI high (%)"]
    # Belarus, under EU export bans of its own from 2022-03-02, is not a leakage channel
    assert "BY" not in eu["channels"].split(", ")


def test_embargo_effects_are_large_drops(report):
    table = report["results"]["embargo_2014_food"].tables[
        "Comparative ITS per food group (95% intervals)"
    ]
    emb = table[table["treated"] == "embargoed origins"].set_index("food group")
    assert set(emb.index) == {"dairy", "meat", "fish"}
    assert (emb["difference CI high (%)"] < -50).all()
    studies = (
        report["results"]["embargo_2014_food"]
        .tables["Event study per food group, PPML (95% intervals)"]
        .set_index("series")
    )
    assert set(studies.index) == {"dairy", "meat", "fish"}
    # large drops in every group (meat without pork: EU pork was banned from 2014-01, so it
    # is left out of the 2014-08 design)
    assert (studies["CI high (%)"] < -50).all()
    # the pre-embargo paths are not parallel in any group (the Wald test rejects at 1%), so
    # the caveat that tells readers so must stay in the report
    assert (studies["pre-trend Wald p-value"] < 0.05).all()  # all three reject at 5%
    caveats = report["results"]["embargo_2014_food"].caveats
    assert any("significant pre-trend test" in c for c in caveats)


def test_html_report_is_valid_with_every_figure(report):
    from test_report import parse_html

    index = report["index"]
    html = parse_html(index)
    results = report["results"]
    assert set(available()) <= set(html.ids) and html.ids[0] == "summary"
    assert len(html.images) == sum(len(r.figures) for r in results.values())
    assert all(src.startswith("data:image/png;base64,") for src in html.images)
    local = [link for link in html.links if not link.startswith(("#", "http"))]
    assert local and all((index.parent / link).exists() for link in local)
    pngs = list((index.parent / "figures").glob("*.png"))
    assert len(pngs) == len(html.images)
    text = index.read_text(encoding="utf-8")
    for name in ("pears", "diamonds"):
        assert results[name].fetch_commands[0] in text


def test_2014_sensitivity_has_event_study_estimators_and_missing_months(report):
    res = report["results"]["embargo_2014_food"]
    table = res.tables[
        "Sensitivity of the comparative ITS and the event study (one choice varied at a time)"
    ]
    families = table[table["choice varied"].str.startswith("model family: event study")]
    # three estimators (two-way FE, imputation, Sun-Abraham) per food group
    assert len(families) == 9
    assert families["choice varied"].str.contains("Borusyak").sum() == 3
    assert families["choice varied"].str.contains("Sun & Abraham").sum() == 3
    low, high = families["difference CI low (%)"], families["difference CI high (%)"]
    assert (low <= families["difference in level change (%)"]).all()
    assert (families["difference in level change (%)"] <= high).all()
    assert set(table["fragile"]) <= {"yes", "no", "not estimable"}
    # months a reporter filed nothing are missing: Uruguay (no row at all in 2013) is,
    # EU member states (justified in comtrade_reporting.csv) never are
    missing = res.missing_months
    assert "2013-06" in missing["UY"]
    assert not {"BE", "DE", "LT", "PL"} & set(missing)


def test_2014_headline_controls_filed_every_month_and_cover_24_post_months(report):
    from test_regular_pool import _raw_snapshot

    raw = _raw_snapshot()
    months = pd.period_range("2012-01", "2016-07", freq="M")
    counts = raw[raw["period"].isin(months)].groupby("reporter")["period"].nunique()
    for name in ("milk", "embargo_2014_food"):
        res = report["results"][name]
        groups = res.controls
        (headline,) = [k for k in groups if k.startswith("controls (headline")]
        (full,) = [k for k in groups if k.startswith("controls (sensitivity rows")]
        # the headline pool: the controls of the full pool with a row in every month
        assert set(groups[headline]) == {c for c in groups[full] if counts.get(c, 0) == 55}
        assert "UY" in groups[full] and "UY" not in groups[headline]
        lost = next(t for k, t in res.tables.items() if k.startswith("Lost volume"))
        head = lost[lost["counterfactual"] == "control-based counterfactual (headline)"]
        wide = lost[lost["counterfactual"].str.contains("all controls, irregular")]
        estimated = head.dropna(subset=["lost (t)"])
        assert len(estimated) >= 2 and (estimated["post months observed"] == 24).all()
        assert (wide.dropna(subset=["lost (t)"])["post months observed"] < 24).all()
        # the controls' series of the headline is observed in all 55 months
        control_fits = [m for k, m in res.models.items() if k.endswith("non-embargoed origins")]
        assert control_fits and all(m.nobs == 55 for m in control_fits)
        sens = next(t for k, t in res.tables.items() if k.startswith("Sensitivity"))
        assert sens["choice varied"].str.startswith("control pool: all controls,").any()
        assert any(c.startswith("Control pool: the headline") for c in res.caveats)
