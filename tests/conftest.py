"""Shared pytest configuration: offline by default, live checks only with --network."""

from __future__ import annotations

from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
PROJECT = TESTS.parent
SHARED = PROJECT.parent / "shared"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--network", action="store_true", help="run live API smoke tests")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--network"):
        return
    skip = pytest.mark.skip(reason="live network test; run with --network")
    for item in items:
        if "network" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    """Folder of published reference datasets (read-only, outside the package)."""
    local = TESTS / "data" / "reference"
    return local if local.exists() else SHARED / "data" / "reference"


@pytest.fixture(params=["numpy", "numba"])
def loops(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run the test once with the numpy loops and once with the compiled (numba) loops of
    the fixed-effect fits, whatever the size of its data."""
    from belru_trade.models.hdfe import _backend

    limit = 10**15 if request.param == "numpy" else -1
    monkeypatch.setattr(_backend, "NUMPY_MAX_OBS", limit)
    return str(request.param)
