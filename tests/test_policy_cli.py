"""``belru-trade simulate``: brief files (HTML, Markdown, CSV) and argument errors."""

from __future__ import annotations

import pandas as pd
import pytest

from belru_trade.cli.main import main


def test_simulate_writes_brief(tmp_path, capsys):
    code = main([
        "simulate", "--sender", "BE,NL,DE", "--target", "RU", "--kind", "export_ban",
        "--products", "8703,8708", "--start", "2022-03", "--elasticity", "-0.8",
        "--elasticity-sd", "0.1", "--leakage", "0.2", "--horizon", "9", "--draws", "500",
        "--out", str(tmp_path),
    ])  # fmt: skip
    assert code == 0
    names = sorted(p.name for p in tmp_path.iterdir())
    # no temporary files left; the manifest lists what the tool wrote
    assert names == [".belru_trade-outputs.json", "brief.csv", "brief.html", "brief.md"]
    table = pd.read_csv(tmp_path / "brief.csv")
    assert table.loc[0, "member"] == "BE"
    assert {"baseline", "expected_loss", "loss_low", "loss_high", "leakage_share",
            "share_of_total"} <= set(table.columns)  # fmt: skip
    md = (tmp_path / "brief.md").read_text()
    assert "## Assumptions" in md and "user-given change -80%" in md
    assert "brief.md" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--kind", "tariff"], "kind"),
        (["--kind", "export_ban", "--leakage", "1.5"], "leakage"),
        (["--kind", "export_ban", "--products", "8x03"], "products"),
        (["--kind", "export_ban", "--analogue-products", "3303"], "analogue-start"),
    ],
)
def test_simulate_bad_arguments_exit_2(extra, message, capsys, tmp_path):
    argv = ["simulate", "--products", "8703", "--start", "2022-03",
            "--out", str(tmp_path), *extra]  # fmt: skip
    if "--analogue-products" not in extra:
        argv += ["--elasticity", "-0.5"]
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    assert message in capsys.readouterr().err


def test_simulate_unknown_product_exit_1(capsys, tmp_path):
    with pytest.raises(SystemExit) as info:
        main(["simulate", "--kind", "import_ban", "--products", "7102", "--start", "2022-03",
              "--elasticity", "-0.9", "--out", str(tmp_path)])  # fmt: skip
    assert info.value.code == 1
    assert "products=['7102']" in capsys.readouterr().err
