"""Package layout: one import name, mapped folders, doctests under their installed names.

The repository keeps ``fetchers/`` and ``analyses/`` at the top; they install as
``belru_trade.fetchers`` and ``belru_trade.analyses``. These tests run the doctests of the
mapped folders under those names (collecting them by path would import a second copy as
top-level ``fetchers``), and check that a user's own ``fetchers/`` or ``analyses/`` folder
in the working directory shadows nothing of ours.
"""

from __future__ import annotations

import doctest
import importlib
import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import belru_trade.analyses
import belru_trade.fetchers
import pytest
import tomllib

PROJECT = Path(__file__).resolve().parents[1]
MAX_LINES = 500


def _mapped_modules() -> list[str]:
    names = []
    for package in (belru_trade.fetchers, belru_trade.analyses):
        names.append(package.__name__)
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            names.append(info.name)
    return names


@pytest.mark.parametrize("module_name", _mapped_modules())
def test_doctests_of_mapped_packages(module_name):
    module = importlib.import_module(module_name)
    assert module.__name__.startswith("belru_trade.")
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for test in finder.find(module, module_name):
        runner.run(test)
    assert runner.failures == 0, f"{runner.failures} doctest failures in {module_name}"


def test_mapped_doctests_are_collected():
    """The parametrised doctest run above sees the fetchers' examples (not an empty set)."""
    module = importlib.import_module("belru_trade.fetchers.comtrade")
    tests = doctest.DocTestFinder(exclude_empty=True).find(module)
    assert sum(len(t.examples) for t in tests) > 0


def _package_dirs() -> set[str]:
    found = set()
    for top, name in (
        ("belru_trade", "belru_trade"),
        ("fetchers", "belru_trade.fetchers"),
        ("analyses", "belru_trade.analyses"),
    ):
        for init in (PROJECT / top).rglob("__init__.py"):
            rel = init.parent.relative_to(PROJECT / top).parts
            found.add(".".join((name, *rel)))
    return found


def test_every_package_folder_is_declared_in_pyproject():
    config = tomllib.loads((PROJECT / "pyproject.toml").read_text())
    declared = set(config["tool"]["setuptools"]["packages"])
    assert declared == _package_dirs()


def test_no_module_is_longer_than_the_limit():
    too_long = {}
    for top in ("belru_trade", "fetchers", "analyses"):
        for path in (PROJECT / top).rglob("*.py"):
            count = len(path.read_text(encoding="utf-8").splitlines())
            if count > MAX_LINES:
                too_long[str(path.relative_to(PROJECT))] = count
    assert too_long == {}


def test_no_build_script_inside_the_package():
    offenders = [
        str(p.relative_to(PROJECT))
        for p in (PROJECT / "belru_trade").rglob("*.py")
        if "babel" in p.read_text(encoding="utf-8")
    ]
    assert offenders == []


def _run_elsewhere(tmp_path: Path, code: str) -> subprocess.CompletedProcess:
    for folder in ("fetchers", "analyses"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "__init__.py").write_text(
            "raise ImportError('the user\\'s own folder was imported')\n"
        )
    (tmp_path / "analyses" / "pears.py").write_text("raise ImportError('user pears')\n")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


def test_user_folders_named_fetchers_or_analyses_shadow_nothing(tmp_path):
    code = (
        "import sys; sys.path.insert(0, '');"
        "import belru_trade as bt;"
        "bt.sources.comext;"
        "from belru_trade.report.runner import load_analysis;"
        "m = load_analysis('pears');"
        "print(m.__name__);"
        "import importlib.util as u; print(u.find_spec('fetchers').origin)"
    )
    result = _run_elsewhere(tmp_path, code)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.split()
    assert lines[0] == "belru_trade.analyses.pears"
    assert lines[1] == str(tmp_path / "fetchers" / "__init__.py")


def test_cli_runs_beside_user_folders(tmp_path):
    code = (
        "import sys; sys.path.insert(0, '');"
        "from belru_trade.cli.main import main;"
        "raise SystemExit(main(['run', 'pears', '--offline', '--no-progress', '--out', 'rep']))"
    )
    result = _run_elsewhere(tmp_path, code)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "rep" / "index.html").is_file()


def test_results_classes_follow_one_naming_convention_with_old_aliases():
    from belru_trade.models.did import sensitivity
    from belru_trade.policy import ge, lost_trade, simulate

    pairs = [
        (simulate, "SimulationResult"),
        (ge, "GEResult"),
        (lost_trade, "LostTradeResult"),
        (sensitivity, "SensitivityResult"),
    ]
    for module, old in pairs:
        new = getattr(module, old + "s")
        assert new.__name__ == old + "s"
        assert getattr(module, old) is new
