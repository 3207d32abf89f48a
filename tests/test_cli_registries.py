"""Tests of the ``events`` and ``products`` commands of the CLI."""

from __future__ import annotations

import pytest

from belru_trade.cli.main import main


def run(capsys, *argv):
    code = main(list(argv))
    return code, capsys.readouterr()


@pytest.mark.parametrize(
    "argv",
    [
        ["events", "--help"],
        ["events", "list", "--help"],
        ["events", "show", "--help"],
        ["products", "--help"],
        ["products", "list", "--help"],
        ["products", "show", "--help"],
    ],
)
def test_help_everywhere(capsys, argv):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 0
    assert "usage: belru-trade" in capsys.readouterr().out


def test_events_list_filters(capsys):
    code, out = run(capsys, "events", "list")
    assert code == 0
    assert out.out.count("\n") == 59 + 1  # header + every event
    code, out = run(
        capsys, "events", "list", "--party", "RU", "--product", "0808", "--date", "2014-09"
    )
    assert code == 0
    lines = out.out.strip().splitlines()
    assert len(lines) == 2 and lines[1].startswith("RU-2014-RES778")
    code, out = run(
        capsys, "events", "list", "--product", "271111", "--date", "2025-04", "--format", "csv"
    )
    assert code == 0
    assert "EU-2024-PKG14-LNG-TRANSSHIP" in out.out and out.out.startswith("event_id,party")
    assert "RU-2014-RES778" not in out.out


def test_events_show(capsys):
    code, out = run(capsys, "events", "show", "EU-2023-PKG12-DIAMONDS-DIRECT")
    assert code == 0
    assert "in_force: 2024-01-01" in out.out
    assert "710210;710231;710239" in out.out


def test_events_bad_arguments_exit_2(capsys):
    with pytest.raises(SystemExit) as info:
        main(["events", "show", "RU-2014-RES77"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "ID" in err and "RU-2014-RES778" in err
    with pytest.raises(SystemExit) as info:
        main(["events", "list", "--party", "XX"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "--party='XX'" in err and "RU" in err and "EU" in err
    with pytest.raises(SystemExit) as info:
        main(["events", "list", "--date", "someday"])
    assert info.value.code == 2
    assert "date" in capsys.readouterr().err


def test_products_list_and_show(capsys):
    code, out = run(capsys, "products", "list")
    assert code == 0
    assert "pears" in out.out and "080830" in out.out and "HS2022" in out.out
    code, out = run(capsys, "products", "list", "--period", "2010")
    assert "080820" in out.out and "HS2007" in out.out
    code, out = run(capsys, "products", "show", "pears", "--period", "2005")
    assert code == 0
    assert "codes: 080820" in out.out and "quinces" in out.out and "HS2002" in out.out
    code, out = run(capsys, "products", "show", "rough_diamonds")
    assert "710210;710231;710239" in out.out


def test_products_bad_sector_exit_2(capsys):
    with pytest.raises(SystemExit) as info:
        main(["products", "show", "pear"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "SECTOR" in err and "'pears'" in err and "rough_diamonds" in err
    with pytest.raises(SystemExit) as info:
        main(["products", "show", "pears", "--period", "1970"])
    assert info.value.code == 2
