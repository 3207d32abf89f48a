"""The report package: configuration, results, data requirements, writer, runner, CLI."""

from __future__ import annotations

import base64
import json
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from matplotlib.figure import Figure

import belru_trade as bt
from belru_trade.cli.main import main
from belru_trade.errors import InvalidArgumentError
from belru_trade.report import (
    REPORTER,
    AnalysisConfig,
    AnalysisResult,
    DataRequirement,
    resolve,
    run_analysis,
    select,
    write_report,
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


class _Collector(HTMLParser):
    """Collects tags, attributes and section ids of an HTML document."""

    def __init__(self) -> None:
        super().__init__()
        self.images: list[str] = []
        self.links: list[str] = []
        self.ids: list[str] = []
        self.tables = 0
        self.open: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "img":
            self.images.append(attrs.get("src", ""))
        if tag == "a" and "href" in attrs:
            self.links.append(attrs["href"])
        if "id" in attrs:
            self.ids.append(attrs["id"])
        if tag == "table":
            self.tables += 1
        if tag not in {"img", "meta", "br"}:
            self.open.append(tag)

    def handle_endtag(self, tag):
        assert self.open and self.open[-1] == tag, f"unbalanced </{tag}> after {self.open[-3:]}"
        self.open.pop()


def parse_html(path: Path) -> _Collector:
    collector = _Collector()
    collector.feed(path.read_text(encoding="utf-8"))
    collector.close()
    assert collector.open == [], f"unclosed tags: {collector.open}"
    return collector


# --- configuration and results -------------------------------------------------------------


def test_config_defaults_and_normalisation():
    assert AnalysisConfig().reporter == "BE"
    assert AnalysisConfig(reporter="de").reporter == "DE"
    assert AnalysisConfig(products="080830").products == ("080830",)
    assert AnalysisConfig(start="2016").clip("2015-01", "2021-12") == ("2016-01", "2021-12")


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"reporter": "US"}, "reporter"),
        ({"reporter": "RU"}, "reporter"),
        ({"partner": "Russia"}, "partner"),
        ({"start": "2020-13"}, "start"),
        ({"start": "2021", "end": "2020"}, "start"),
        ({"products": ["08a"]}, "products"),
    ],
)
def test_config_rejects_bad_values_naming_the_argument(kwargs, argument):
    with pytest.raises(InvalidArgumentError, match=argument):
        AnalysisConfig(**kwargs)


def _result(**kwargs) -> AnalysisResult:
    base = {"name": "demo", "title": "T", "question": "Q", "data_and_concept": "D", "method": "M"}
    return AnalysisResult(**(base | kwargs))


def test_result_validates_its_fields():
    with pytest.raises(InvalidArgumentError, match="status"):
        _result(status="done")
    with pytest.raises(InvalidArgumentError, match="reason"):
        _result(status="not_run")
    with pytest.raises(InvalidArgumentError, match="tables"):
        _result(tables={"t": [1, 2]})
    with pytest.raises(InvalidArgumentError, match="figures"):
        _result(figures={"f": "not a figure"})
    with pytest.raises(InvalidArgumentError, match="name"):
        _result(name="Bad Name")
    result = _result(caveats="one caveat")
    assert result.caveats == ("one caveat",)
    with pytest.raises(AttributeError):
        result.status = "failed"


# --- requirements ----------------------------------------------------------------------------


def test_fetch_command_is_exact():
    req = DataRequirement(
        "pears",
        "comext",
        (),
        reporter=REPORTER,
        partner=("{partner}", "LT"),
        product=("080830", "080820"),
        flow="export",
        start="2010-01",
        end="2018-12",
    ).resolved(AnalysisConfig(reporter="NL"))
    assert req.fetch_command() == (
        "belru-trade fetch comext --reporter NL --partner RU,LT --product 080830,080820 "
        "--freq M --start 2010-01 --end 2018-12 --flow export"
    )
    with pytest.raises(InvalidArgumentError, match="provider"):
        DataRequirement("x", "worldbank")


def test_resolve_reads_the_snapshot_with_the_filters():
    req = DataRequirement(
        "totals",
        "comext",
        ("comext_totals",),
        reporter=REPORTER,
        partner="RU",
        product="TOTAL",
        flow="import",
        start="2021-01",
        end="2021-12",
    )
    res = resolve([req], AnalysisConfig())
    assert res.covered and list(res.provenance) == ["snapshot:comext_totals"]
    panel = res.panel
    assert set(panel["reporter"]) == {"BE"} and set(panel["flow"]) == {"import"}
    assert len(panel) == 12 and str(panel["period"].min()) == "2021-01"


def test_resolve_keeps_one_row_where_requirements_overlap():
    def req(start: str, end: str) -> DataRequirement:
        return DataRequirement(
            "totals", "comext", ("comext_totals",), reporter=REPORTER, partner="RU",
            product="TOTAL", flow="import", start=start, end=end,
        )  # fmt: skip

    res = resolve([req("2021-01", "2021-08"), req("2021-05", "2021-12")], AnalysisConfig())
    assert len(res.panel) == 12
    assert res.panel["period"].astype(str).tolist() == [f"2021-{m:02d}" for m in range(1, 13)]


def test_resolve_reports_what_is_missing(tmp_path, monkeypatch):
    monkeypatch.setenv("BELRU_TRADE_CACHE", str(tmp_path))
    req = DataRequirement(
        "pears",
        "comext",
        ("comext_sanctioned",),
        reporter=REPORTER,
        product="080830",
        flow="export",
    )
    optional = DataRequirement(
        "extra", "comtrade", (), reporter="RU", product="0808", optional=True
    )
    res = resolve([req, optional], AnalysisConfig())
    assert not res.covered
    assert [r.label for r in res.missing] == ["pears"]
    assert [r.label for r in res.optional_missing] == ["extra"]


def test_resolve_reads_the_local_store(tmp_path, monkeypatch):
    """A store entry (real snapshot rows saved as a fetch result) satisfies a requirement."""
    monkeypatch.setenv("BELRU_TRADE_CACHE", str(tmp_path))
    rows = bt.load_snapshot("comext_total_exports", reporter="BE", start="2019", end="2020")
    rows = rows.assign(source="comext")
    query = {"reporter": ["BE"], "partner": ["RU"], "product": ["TOTAL"], "freq": "M"}
    bt.cache.save_tidy("comext", query, rows, {"dataset": "DS-045409", "retrieved": "test"})
    req = DataRequirement(
        "store",
        "comext",
        (),
        reporter=REPORTER,
        partner="RU",
        product="TOTAL",
        flow="export",
        start="2019-01",
        end="2019-12",
    )
    res = resolve([req], AnalysisConfig())
    assert res.covered
    assert len(res.panel) == 12
    assert res.panel["value"].sum() == pytest.approx(
        rows.loc[rows["period"].dt.year == 2019, "value"].sum()
    )
    (record,) = res.provenance.values()
    assert record["origin"] == "local store" and record["dataset"] == "DS-045409"


# --- runner and writer -----------------------------------------------------------------------


def test_select_expands_all_and_rejects_unknown_names():
    assert select(["all"])[0] == "trade_balance" and len(select(None)) == 7
    with pytest.raises(InvalidArgumentError, match="analysis='apples'"):
        select(["apples"])


def test_not_run_analysis_lists_the_fetch_commands(tmp_path, monkeypatch):
    monkeypatch.setenv("BELRU_TRADE_CACHE", str(tmp_path))
    result = run_analysis("diamonds")
    assert result.status == "not_run" and not result.tables and not result.figures
    assert result.fetch_commands[0].startswith(
        "belru-trade fetch comext --reporter BE --partner RU,AE,IN"
    )
    assert "--product 710210,710231,710239" in result.fetch_commands[0]


def _figure() -> Figure:
    fig = Figure(figsize=(3, 2))
    ax = fig.subplots()
    ax.plot([1, 2, 3], [2, 1, 3])
    ax.set_xlabel("month")
    ax.set_ylabel("EUR m")
    return fig


def test_write_report_files_html_and_provenance(tmp_path):
    ok = _result(
        name="alpha",
        headline="x fell by 10 EUR m",
        findings=("finding <b>escaped</b>",),
        tables={"Main table (EUR m)": pd.DataFrame({"year": [2020], "v (EUR m)": [1234.5]})},
        figures={"Figure one": _figure(), "Figure two": _figure()},
        caveats=("c1",),
    )
    skipped = _result(
        name="beta",
        status="not_run",
        reason="no data",
        fetch_commands=("belru-trade fetch comext --reporter BE",),
    )
    index = write_report([ok, skipped], tmp_path / "out", config=AnalysisConfig().as_dict())
    folder = index.parent
    files = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
    assert files == [
        ".belru_trade-outputs.json",  # the manifest of what the tool wrote
        "figures/alpha__figure_one.png",
        "figures/alpha__figure_two.png",
        "index.html",
        "provenance.json",
        "report.md",
        "tables/alpha__main_table_eur_m.csv",
    ]
    html = parse_html(index)
    assert html.ids[:1] == ["summary"] and {"alpha", "beta"} <= set(html.ids)
    assert len(html.images) == 2
    for src in html.images:
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1]).startswith(PNG_MAGIC)
    local = [link for link in html.links if not link.startswith(("#", "http"))]
    assert "tables/alpha__main_table_eur_m.csv" in local
    assert all((folder / link).exists() for link in local)
    text = index.read_text()
    assert "&lt;b&gt;escaped&lt;/b&gt;" in text and "1,234.5" in text
    assert "belru-trade fetch comext --reporter BE" in text
    prov = json.loads((folder / "provenance.json").read_text())
    assert prov["package_version"] == bt.__version__
    assert prov["analyses"]["beta"]["fetch_commands"] == ["belru-trade fetch comext --reporter BE"]
    assert prov["config"]["reporter"] == "BE"
    csv = pd.read_csv(folder / "tables/alpha__main_table_eur_m.csv")
    assert csv["v (EUR m)"].tolist() == [1234.5]
    assert "## T" in (folder / "report.md").read_text()
    assert not list(folder.rglob("*.tmp"))


def test_cli_run_writes_the_report_and_prints_its_path(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("BELRU_TRADE_CACHE", str(tmp_path / "store"))
    code = main(["run", "pears", "--out", str(tmp_path / "rep"), "--offline", "--no-progress"])
    out, err = capsys.readouterr()
    assert code == 0
    assert out.strip() == str((tmp_path / "rep" / "index.html").resolve())
    assert "pears: not_run" in err and "belru-trade fetch comext" in err
    with pytest.raises(SystemExit) as exc:
        main(["run", "pears", "--reporter", "US", "--out", str(tmp_path / "x")])
    assert exc.value.code == 2


def test_library_never_imports_analyses_statically():
    package = Path(bt.__file__).parent
    for path in package.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert (
            "import belru_trade.analyses" not in text and "from belru_trade.analyses" not in text
        ), path


def test_every_fetch_command_is_accepted_by_the_fetch_cli(capsys):
    """Each command a report may print is valid for ``belru-trade fetch`` (dry run, offline)."""
    import shlex

    from belru_trade.report import registered
    from belru_trade.report.runner import load_analysis

    for config in (AnalysisConfig(), AnalysisConfig(reporter="NL")):
        for name in registered():
            for req in load_analysis(name).REQUIRES:
                command = req.resolved(config).fetch_command()
                args = shlex.split(command)
                assert args[:2] == ["belru-trade", "fetch"]
                code = main([*args[1:], "--dry-run", "--no-progress"])
                assert code == 0, command
    capsys.readouterr()


def test_product_override_and_reporter_change_the_fetch_command(tmp_path, monkeypatch):
    monkeypatch.setenv("BELRU_TRADE_CACHE", str(tmp_path))
    result = run_analysis("pears", AnalysisConfig(reporter="NL", products=("080810",)))
    assert result.status == "not_run"
    command = result.fetch_commands[0]
    assert "--reporter NL " in command and "--product 080810 " in command
    partners = command.split("--partner ")[1].split(" ")[0].split(",")
    assert "NL" not in partners and partners[0] == "RU"


def test_html_table_gives_sentence_columns_a_readable_width():
    """A column of sentences in a wide table would wrap into a tall, narrow column."""
    from belru_trade.report.writer import _CSS, _html_table

    note = "not estimable: y is zero in every period; nothing to estimate here at all"
    table = pd.DataFrame({"series": ["BE", "NL"], "level": [1.5, 2.0], "note": [note, ""]})
    html_text = _html_table(table)
    assert html_text.count('<td class="long">') == 2  # both cells of the note column
    assert html_text.count('<td class="num">') == 2
    assert "<td>BE</td>" in html_text
    assert "td.long{min-width:22em}" in _CSS
