"""Hostile inputs to the library and the CLI: named errors, never a traceback or silent NaN.

=======================================================  ===========================================
case                                                     outcome
=======================================================  ===========================================
'2014-13', '2014-02-30', '01/02/2014', '2014Q5', 1800     InvalidArgumentError naming the value
'2014Q3' as start and as end (monthly)                   2014-07 both times
bare year as start / end (monthly)                       January / December
panel product '08083' / '08083012345' / value +inf       DataValidationError
products.matches(80830, 'pears')                         True (leading zero restored)
ppml/ols with duplicated column names                    InvalidArgumentError (was: wrong column)
ppml/ols/its/did/synth empty or all-zero                 InvalidArgumentError / SpecificationError
values near 1e300 or 1e-300                              InvalidArgumentError asking to rescale
its(hac_lags=1000) on 72 months                          InvalidArgumentError (was p = 2e-81)
its(interventions=None)                                  InvalidArgumentError
diversion mixing monthly and quarterly                   InvalidArgumentError (was silent)
simulate horizon 100000 / seed -1 / draws 10**7          InvalidArgumentError, exit 2 in the CLI
simulate --analogue NOPE                                 exit 2 naming NOPE
--out is a file / under /proc                            exit 2 / exit 1 (OutputError)
reused --out folder                                      stale outputs of the tool removed only
labels with HTML in report.md                            escaped
=======================================================  ===========================================
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import belru_trade as bt
from belru_trade.cli.main import main
from belru_trade.errors import (
    DataValidationError,
    InvalidArgumentError,
    OutputError,
    SpecificationError,
)
from belru_trade.models.hdfe.ols import ols
from belru_trade.models.hdfe.ppml import ppml
from belru_trade.periods import parse_period
from belru_trade.trade import panel, products

IDX = pd.period_range("2010-01", periods=72, freq="M")


# ----------------------------------------------------------------------------- periods


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("2014-13", "month 13"),
        ("2014-02-30", "no such calendar day"),
        ("01/02/2014", "ambiguous"),
        ("2014Q5", "quarter 5"),
        ("1800", "outside 1900-2100"),
        ("next year", "expected"),
        (True, "expected"),
        (None, "expected"),
    ],
)
def test_strict_period_parser_refuses(value, why) -> None:
    with pytest.raises(InvalidArgumentError, match=why) as info:
        parse_period(value, "M", name="start")
    assert "start=" in str(info.value)


def test_quarter_and_bare_year_rules() -> None:
    month = pd.Period("2014-07", "M")
    assert parse_period("2014Q3", "M") == parse_period("2014-Q3", "M", side="end") == month
    assert parse_period(pd.Period("2014Q3", "Q"), "M", side="end") == month
    assert parse_period("2012", "M") == pd.Period("2012-01", "M")
    assert parse_period("2012", "M", side="end") == pd.Period("2012-12", "M")
    assert parse_period(2012, "Q", side="end") == pd.Period("2012Q4", "Q")
    assert parse_period("2014-08-31", "M") == parse_period("201408", "M")


# ----------------------------------------------------------------------------- registries


def _panel_row(**change) -> pd.DataFrame:
    row = {"reporter": "BE", "partner": "RU", "product": "080830", "nomenclature": "HS",
           "flow": "export", "period": pd.Period("2014-01", "M"), "value": 1.0,
           "currency": "EUR", "quantity": 1.0, "unit": "kg", "source": "comext",
           "flag": None, **change}  # fmt: skip
    frame = pd.DataFrame([row])
    frame["period"] = pd.PeriodIndex(frame["period"], freq="M")
    return frame


@pytest.mark.parametrize(
    ("change", "column"),
    [({"product": "08083"}, "product"), ({"product": "08083012345"}, "product"),
     ({"value": np.inf}, "value"), ({"quantity": np.inf}, "quantity")],
)  # fmt: skip
def test_panel_refuses_odd_codes_and_infinite_values(change, column) -> None:
    panel.validate(_panel_row())  # the unchanged row is valid
    with pytest.raises(DataValidationError, match=f"column '{column}'"):
        panel.validate(_panel_row(**change))


def test_int_product_code_keeps_its_leading_zero() -> None:
    assert products.matches(80830, "pears", "2014") is True
    assert products.matches("080830", "pears", "2014") is True
    with pytest.raises(InvalidArgumentError):
        products.matches(True, "pears", "2014")


# ----------------------------------------------------------------------------- estimators


def _gravity(n: int = 300) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    x = rng.normal(size=n)
    fe = rng.integers(0, 6, n)
    y = rng.poisson(np.exp(1.0 + 0.5 * x + 0.1 * fe)).astype(float)
    return pd.DataFrame({"y": y, "x": x, "fe": fe})


@pytest.mark.parametrize("estimator", [ppml, ols])
def test_duplicated_column_names_refused(estimator) -> None:
    data = _gravity()
    assert abs(float(ppml("y ~ x | fe", data).params["x"]) - 0.5) < 0.15  # the sane fit
    twice = data.copy()
    twice.insert(2, "x", np.random.default_rng(2).normal(size=len(data)), allow_duplicates=True)
    with pytest.raises(InvalidArgumentError, match=r"duplicated column names \['x'\]"):
        estimator("y ~ x | fe", twice)


@pytest.mark.parametrize("estimator", [ppml, ols])
@pytest.mark.parametrize(
    ("transform", "error", "message"),
    [
        (lambda d: d.iloc[:0], SpecificationError, "no complete observations"),
        (lambda d: d.assign(y=0.0), SpecificationError, "zero in every"),
        (lambda d: d.assign(y=d["y"] * 1e300), InvalidArgumentError, "rescale"),
        (lambda d: d.assign(y=d["y"] * 1e-300), InvalidArgumentError, "rescale"),
        (lambda d: d.assign(x=d["x"] * 1e200), InvalidArgumentError, "rescale"),
    ],
)
def test_regressions_refuse_degenerate_inputs(estimator, transform, error, message) -> None:
    with pytest.raises(error, match=message):
        estimator("y ~ x | fe", transform(_gravity()))


def _series() -> pd.Series:
    rng = np.random.default_rng(3)
    return pd.Series(100 + rng.normal(0, 5, len(IDX)), index=IDX)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"hac_lags": 1000}, "hac_lags=1000 is too large for 72 observations"),
        ({"hac_lags": -1}, "hac_lags"),
        ({"interventions": None}, "interventions=None"),
        ({"y": _series().iloc[:0]}, "empty"),
        ({"y": _series() * 0}, "zero in every period"),
        ({"y": _series() * 1e300}, "rescale"),
    ],
)
def test_its_refuses_degenerate_inputs(kwargs, message) -> None:
    args = {"y": _series(), "interventions": ["2014-08"], **kwargs}
    with pytest.raises(InvalidArgumentError, match=message):
        bt.its(args.pop("y"), args.pop("interventions"), **args)
    assert bt.its(_series(), ["2014-08"], hac_lags=18).pvalues.notna().all()  # the bound


def test_diversion_refuses_mixed_frequencies() -> None:
    rng = np.random.default_rng(4)
    direct = pd.Series(100 + rng.normal(0, 2, 72), index=IDX)
    ins = pd.DataFrame({"LT": 20 + rng.normal(0, 2, 72)}, index=IDX)
    outs = pd.DataFrame({"LT": 5 + rng.normal(0, 2, 72)}, index=IDX)
    quarterly = outs.groupby(outs.index.asfreq("Q")).sum()
    bt.diversion(direct, ins, outs, ban="2014-08", seasonality=None)  # same frequency: fine
    with pytest.raises(InvalidArgumentError, match="mix frequencies"):
        bt.diversion(direct, ins, quarterly, ban="2014-08", seasonality=None)


def test_did_and_synth_refuse_empty_or_duplicated() -> None:
    period = pd.PeriodIndex(["2014-01"], freq="M")
    frame = pd.DataFrame({"value": [1.0], "product": ["01"], "partner": ["RU"],
                          "period": period, "treated": [1]})  # fmt: skip
    with pytest.raises(InvalidArgumentError, match="empty"):
        bt.did(frame.iloc[:0])
    twice = frame.copy()
    twice.insert(0, "value", 2.0, allow_duplicates=True)
    with pytest.raises(InvalidArgumentError, match="duplicated column names"):
        bt.did(twice)
    wide = pd.DataFrame({"RU": np.arange(1.0, 73), "DE": 2.0, "PL": 3.0}, index=IDX)
    wide.insert(0, "DE", 4.0, allow_duplicates=True)
    with pytest.raises(InvalidArgumentError, match="duplicated column names"):
        bt.synth(wide, "RU", "2014-08")


# ----------------------------------------------------------------------------- simulate, CLI


SIMULATE = ["simulate", "--sender", "BE", "--kind", "export_ban", "--products", "8703",
            "--start", "2022-03", "--elasticity", "-0.5", "--draws", "200"]  # fmt: skip


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--horizon", "100000"], "horizon_months=100000 is outside the allowed range"),
        (["--horizon", "0"], "horizon_months=0"),
        (["--seed", "-1"], "seed=-1"),
        (["--draws", "10000000"], "n_draws=10000000"),
    ],
)
def test_simulate_size_arguments_bounded(extra, message, capsys, tmp_path) -> None:
    with pytest.raises(SystemExit) as info:
        main([*SIMULATE, *extra, "--out", str(tmp_path / "b")])
    assert info.value.code == 2 and message in capsys.readouterr().err


def test_simulate_unknown_analogue_is_named(capsys, tmp_path) -> None:
    argv = [a for a in SIMULATE if a not in ("--elasticity", "-0.5")]
    with pytest.raises(SystemExit) as info:
        main([*argv, "--analogue", "NOPE", "--out", str(tmp_path / "b")])
    assert info.value.code == 2 and "'NOPE'" in capsys.readouterr().err


def test_out_targets(tmp_path, capsys) -> None:
    afile = tmp_path / "afile"
    afile.write_text("x")
    with pytest.raises(SystemExit) as info:
        main([*SIMULATE, "--horizon", "6", "--out", str(afile / "sub")])
    assert info.value.code == 2 and "existing file" in capsys.readouterr().err
    with pytest.raises(OutputError):
        from belru_trade._outputs import prepare_out_dir

        prepare_out_dir("/proc/belru_trade_report")


def test_reused_out_folder_drops_only_stale_outputs(tmp_path) -> None:
    from belru_trade.report import write_report
    from belru_trade.report.result import AnalysisResult

    base = {"title": "T", "question": "Q", "data_and_concept": "D", "method": "M"}
    first = AnalysisResult(name="first", tables={"t": pd.DataFrame({"x": [1.0]})}, **base)
    second = AnalysisResult(name="second", tables={"u": pd.DataFrame({"x": [2.0]})}, **base)
    mine = tmp_path / "notes.txt"
    mine.write_text("the user's own file")
    (tmp_path / "tables").mkdir()
    theirs = tmp_path / "tables" / "kept.csv"  # a file in a folder the tool also writes to
    theirs.write_text("x\n1\n")
    write_report([first], tmp_path)
    assert (tmp_path / "tables" / "first__t.csv").exists()
    write_report([second], tmp_path)
    names = sorted(
        str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*")
        if p.is_file() and not p.name.startswith(".")
    )  # fmt: skip
    assert names == ["index.html", "notes.txt", "provenance.json", "report.md",
                     "tables/kept.csv", "tables/second__u.csv"]  # fmt: skip


def test_report_markdown_escapes_html(tmp_path) -> None:
    from belru_trade.report import write_report
    from belru_trade.report.result import AnalysisResult

    evil = "<script>alert(1)</script>"
    result = AnalysisResult(name="demo", title=f"T {evil}", question=evil,
                            data_and_concept="D & C", method="M", findings=(evil,),
                            tables={"t": pd.DataFrame({"label": [evil]})})  # fmt: skip
    md = (write_report([result], tmp_path).parent / "report.md").read_text()
    assert "<script>" not in md and "&lt;script&gt;" in md
