"""Project set-up: citation metadata, README quickstart, CI entry point, public names."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import belru_trade as bt

PROJECT = Path(__file__).resolve().parents[1]


def test_citation_cff_is_valid():
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "cffconvert"),
            "--validate",
            "-i",
            str(PROJECT / "CITATION.cff"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_readme_quickstart_has_exactly_two_commands():
    readme = (PROJECT / "README.md").read_text()
    section = readme.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    commands = [line.split("#")[0].strip() for line in block.splitlines() if line.strip()]
    assert commands == ["make run", "make test"]


def test_ci_runs_the_readme_test_command_only():
    script = (PROJECT / ".ci" / "run").read_text()
    steps = [
        line.strip()
        for line in script.splitlines()
        if line.strip() and not line.startswith("#") and not line.startswith(("set ", "cd "))
    ]
    assert steps == ["make test"]


def test_makefile_targets_create_the_venv_and_install():
    makefile = (PROJECT / "Makefile").read_text()
    assert "-m venv $(VENV)" in makefile
    assert "pip install --quiet -e '.[test,docs]'" in makefile
    assert "mkdocs build --strict" in makefile
    for step in ("ruff check", "ruff format --check", "lint-imports", "mypy", "pytest"):
        assert step in makefile


def test_package_ships_its_type_marker():
    # PEP 561: the marker file exists and is declared as package data (so wheels carry it)
    assert (PROJECT / "belru_trade" / "py.typed").is_file()
    pyproject = (PROJECT / "pyproject.toml").read_text()
    data = re.search(r"^belru_trade = \[(.*?)\]$", pyproject, re.M)
    assert data is not None and '"py.typed"' in data.group(1)


def test_version_matches_pyproject():
    pyproject = (PROJECT / "pyproject.toml").read_text()
    assert f'version = "{bt.__version__}"' in pyproject


@pytest.mark.parametrize("name", sorted(bt._LAZY))
def test_every_public_name_resolves(name):
    import importlib
    import inspect

    module_name, attribute = bt._LAZY[name]
    module = importlib.import_module(module_name)
    expected = module if attribute is None else getattr(module, attribute)
    assert getattr(bt, name) is expected  # the declared object, not a look-alike
    assert name in bt.__all__
    if attribute is not None and callable(expected):
        assert (inspect.getdoc(expected) or "").strip(), f"{name} has no docstring"


def test_unknown_attribute_raises_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = bt.nope


def test_cli_help_for_every_command():
    from belru_trade.cli.main import build_parser

    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices
    assert {"data"} <= set(commands)
    for name, sub in commands.items():
        text = sub.format_help()
        assert text.startswith(f"usage: {parser.prog} {name}"), (name, text[:80])
        for action in sub._actions:
            for option in action.option_strings:
                assert option in text, (name, option)


def test_cli_bad_arguments_exit_with_code_2(capsys):
    from belru_trade.cli.main import main

    with pytest.raises(SystemExit) as info:
        main(["data", "nosuchcommand"])
    assert info.value.code == 2
    assert "invalid choice" in capsys.readouterr().err
