"""Settings: the environment read once at the edge, passed down; the key never shown."""

from __future__ import annotations

import ast
import json
import logging
import pickle
from pathlib import Path

import pytest
from belru_trade.fetchers.http import RetryPolicy
from http_fault_server import FaultServer, comtrade_from_query, reply

from belru_trade import config
from belru_trade.cli.main import main
from belru_trade.config import Secret, Settings
from belru_trade.errors import BelruTradeError
from belru_trade.store import cache, sources

ROOT = Path(__file__).resolve().parents[1]
SET_KEY = "sk-SETTINGS-9f8e7d6c5b4a"
ENV_KEY = "sk-ENVIRON-1a2b3c4d5e6f"
FAST = RetryPolicy(max_retries=0, backoff_base=0.0, jitter=0.0, timeout=(2.0, 2.0))
ARGS = dict(freq="M", start="2014-01", end="2014-02", progress=False, policy=FAST)


def test_from_environ_reads_every_variable_and_treats_empty_as_unset() -> None:
    env = {"BELRU_TRADE_CACHE": "/x/store", "COMTRADE_API_KEY": SET_KEY,
           "BELRU_TRADE_COMEXT_URL": "https://a", "BELRU_TRADE_COMTRADE_URL": "",
           "BELRU_TRADE_EUROSTAT_URL": "https://e"}  # fmt: skip
    s = Settings.from_environ(env)
    assert s.cache_dir == Path("/x/store") and s.store_root() == Path("/x/store")
    assert s.comtrade_key() == SET_KEY and s.comext_url == "https://a"
    assert s.comtrade_url is None and s.eurostat_url == "https://e"
    empty = Settings.from_environ({"COMTRADE_API_KEY": ""})
    assert empty.comtrade_api_key is None and empty.comtrade_key() == ""
    assert empty.store_root().name == "belru_trade"  # the platform's user cache folder


def test_the_key_never_shows_in_repr_str_format_logs_or_pickles(caplog) -> None:
    s = Settings.from_environ({"COMTRADE_API_KEY": SET_KEY})
    caplog.set_level(logging.DEBUG)
    logging.getLogger("belru_trade.test").info("settings %s %r", s, s.comtrade_api_key)
    shown = [repr(s), str(s), f"{s}", f"{s.comtrade_api_key}", f"{s.comtrade_api_key!r}",
             str(vars(Secret)), caplog.text]  # fmt: skip
    assert not [text for text in shown if SET_KEY in text]
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(s)
    assert s.comtrade_api_key == Secret(SET_KEY) and s.comtrade_api_key != Secret("other")


def test_only_the_config_module_reads_the_environment() -> None:
    readers = []
    for path in (ROOT / "belru_trade").rglob("*.py"):
        if path == ROOT / "belru_trade" / "config.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr in {"environ", "getenv", "getenvb"}:
                readers.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert readers == []


def test_the_cli_reads_the_environment_once_per_command(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("BELRU_TRADE_CACHE", str(tmp_path / "store"))
    calls = []
    original = Settings.from_environ.__func__

    def counting(cls, environ=None):
        calls.append(1)
        return original(cls, environ)

    monkeypatch.setattr(Settings, "from_environ", classmethod(counting))
    argv = ["fetch", "comext", "--reporter", "BE", "--partner", "RU,BY", "--product",
            "080830", "--start", "2014-01", "--end", "2014-03", "--dry-run"]  # fmt: skip
    assert main(argv) == 0
    assert main(["data", "info"]) == 0
    assert len(calls) == 2


@pytest.fixture
def server():
    with FaultServer() as srv:
        yield srv


@pytest.fixture
def environ(tmp_path, monkeypatch):
    """An environment pointing elsewhere: the settings passed must win over it."""
    monkeypatch.setenv("BELRU_TRADE_CACHE", str(tmp_path / "env-store"))
    monkeypatch.setenv("COMTRADE_API_KEY", ENV_KEY)
    monkeypatch.setenv("BELRU_TRADE_COMTRADE_URL", "http://127.0.0.1:9")  # closed port
    return tmp_path / "env-store"


def test_the_library_passes_the_key_store_and_host_from_settings(
    tmp_path, environ, server, caplog
) -> None:
    caplog.set_level(logging.DEBUG)
    server.responder = lambda p, q: reply(200, comtrade_from_query(q, lambda *a: 1.0))
    s = Settings(cache_dir=tmp_path / "store", comtrade_api_key=Secret(SET_KEY),
                 comtrade_url=server.url)  # fmt: skip
    frame = sources.comtrade("BE", "RU", "080830", settings=s, **ARGS)
    assert [r.headers["Ocp-Apim-Subscription-Key"] for r in server.seen] == [SET_KEY]
    assert not environ.exists()  # the environment's store was never used
    files = [p for p in (tmp_path / "store").rglob("*") if p.is_file()]
    assert files and not [p for p in files if SET_KEY.encode() in p.read_bytes()]
    assert not [p for p in files if SET_KEY in str(p)]
    assert SET_KEY not in json.dumps(frame.attrs["provenance"], default=str)
    assert SET_KEY not in cache.info(tmp_path / "store").to_string()
    assert SET_KEY not in caplog.text and ENV_KEY not in caplog.text


def test_no_key_in_settings_means_the_preview_not_the_environment_key(
    tmp_path, environ, server
) -> None:
    server.responder = lambda p, q: reply(200, comtrade_from_query(q, lambda *a: 1.0))
    s = Settings(cache_dir=tmp_path / "store", comtrade_url=server.url)
    sources.comtrade("BE", "RU", "080830", settings=s, **ARGS)
    assert server.seen[0].path.startswith("/public/v1/preview/")
    assert "Ocp-Apim-Subscription-Key" not in server.seen[0].headers


def test_errors_never_carry_the_key(tmp_path, environ, server) -> None:
    server.responder = lambda p, q: reply(401, b'{"statusCode": 401, "message": "denied"}')
    s = Settings(cache_dir=tmp_path / "store", comtrade_api_key=Secret(SET_KEY),
                 comtrade_url=server.url)  # fmt: skip
    with pytest.raises(BelruTradeError) as info:
        sources.comtrade("BE", "RU", "080830", settings=s, **ARGS)
    chain, exc = [], info.value
    while exc is not None:
        chain += [str(exc), repr(exc), repr(getattr(exc, "__dict__", ""))]
        exc = exc.__cause__ or exc.__context__
    assert len(chain) >= 6 and not [text for text in chain if SET_KEY in text]


def test_library_entry_point_without_settings_reads_the_environment(
    tmp_path, monkeypatch, server
) -> None:
    server.responder = lambda p, q: reply(200, comtrade_from_query(q, lambda *a: 1.0))
    monkeypatch.setenv("BELRU_TRADE_CACHE", str(tmp_path / "env-store"))
    monkeypatch.setenv("COMTRADE_API_KEY", ENV_KEY)
    monkeypatch.setenv("BELRU_TRADE_COMTRADE_URL", server.url)
    sources.comtrade("BE", "RU", "080830", **ARGS)
    assert server.seen[0].headers["Ocp-Apim-Subscription-Key"] == ENV_KEY
    assert (tmp_path / "env-store").is_dir()
    assert config.resolve(None).store_root() == tmp_path / "env-store"


_CONSOLE = """
import sys
from belru_trade.cli import main as cli
print("pyarrow" in sys.modules)  # nothing the command line module imports loads pyarrow
sys.argv = ["belru-trade", "--version"]
try:
    cli.console()
except SystemExit:
    pass
import pyarrow as pa
print(pa.default_memory_pool().backend_name)
"""


@pytest.mark.parametrize(
    ("preset", "backend"), [(None, "system"), ("jemalloc", "jemalloc"), ("mimalloc", "mimalloc")]
)
def test_the_command_points_arrow_at_the_c_allocator_unless_the_user_chose(preset, backend):
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    if preset:
        env["ARROW_DEFAULT_MEMORY_POOL"] = preset
    run = subprocess.run(
        [sys.executable, "-c", _CONSOLE], env=env, capture_output=True, text=True, check=True
    )
    lines = run.stdout.split()
    assert lines[0] == "False"
    assert lines[-1] == backend


def test_the_allocator_choice_leaves_a_loaded_pyarrow_and_the_callers_main_alone(monkeypatch):
    import os

    import pyarrow  # noqa: F401  (loaded: too late to choose)

    monkeypatch.delenv("ARROW_DEFAULT_MEMORY_POOL", raising=False)
    assert config.prefer_c_allocator_for_arrow() is False
    assert "ARROW_DEFAULT_MEMORY_POOL" not in os.environ
