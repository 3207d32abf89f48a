"""The README runs as written: its python blocks in order, then its command-line examples.

Blocks that start with ``# needs network`` are the only ones skipped. Everything runs in a
temporary working directory with an empty local store, as on a fresh install.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import matplotlib
import pytest

PROJECT = Path(__file__).resolve().parents[1]
NETWORK = "# needs network"
_FENCE = re.compile(r"^```(\w+)\n(.*?)^```", re.S | re.M)


def blocks(language: str) -> list[str]:
    """Code blocks of the README in ``language``, without the network ones."""
    text = (PROJECT / "README.md").read_text(encoding="utf-8")
    found = [body for lang, body in _FENCE.findall(text) if lang == language]
    return [b for b in found if not b.lstrip().startswith(NETWORK)]


def cli_examples() -> list[list[str]]:
    """``belru-trade ...`` lines of the README's bash blocks (network blocks left out)."""
    commands = []
    for body in blocks("bash"):
        joined = body.replace("\\\n", " ")
        commands += [
            shlex.split(line) for line in joined.splitlines() if line.startswith("belru-trade ")
        ]
    return commands


def test_the_readme_has_runnable_and_network_blocks():
    text = (PROJECT / "README.md").read_text(encoding="utf-8")
    python = [b for lang, b in _FENCE.findall(text) if lang == "python"]
    assert len(blocks("python")) >= 4
    assert any(b.startswith(NETWORK) for b in python)  # the fetch example stays visible
    assert len(cli_examples()) >= 5


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """An empty working directory and local store shared by the python and CLI steps."""
    path = tmp_path_factory.mktemp("readme")
    (path / "store").mkdir()
    return path


def test_readme_python_blocks_run_in_order(workdir, monkeypatch):
    matplotlib.use("Agg")
    monkeypatch.chdir(workdir)
    monkeypatch.setenv("BELRU_TRADE_CACHE", str(workdir / "store"))
    namespace: dict = {"__name__": "__readme__"}
    for number, code in enumerate(blocks("python"), start=1):
        try:
            exec(compile(code, f"README.md python block {number}", "exec"), namespace)
        except Exception as exc:  # pragma: no cover - the failure message is the point
            pytest.fail(f"README python block {number} failed: {type(exc).__name__}: {exc}")
    # what the blocks claim, checked against the published numbers they quote
    assert namespace["res"].params["rta"] == pytest.approx(0.557185, abs=5e-5)
    assert len(namespace["res"].dropped) == 84
    assert (workdir / "be_ru.csv").is_file()


@pytest.mark.parametrize("argv", cli_examples(), ids=lambda a: " ".join(a[1:3]))
def test_readme_cli_examples_run(argv, workdir):
    if "--panel" in argv and not (workdir / "be_ru.csv").is_file():
        pytest.skip("the panel file is written by the README's python blocks")
    executable = Path(sys.executable).parent / argv[0]
    env = {**os.environ, "BELRU_TRADE_CACHE": str(workdir / "store"), "MPLBACKEND": "Agg"}
    result = subprocess.run(
        [str(executable), *argv[1:]],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, f"{' '.join(argv)}\n{result.stdout}\n{result.stderr}"
