"""``belru-trade fetch`` end to end against the local HTTP server."""

from __future__ import annotations

import pandas as pd
import pytest
from http_fault_server import FaultServer, comext_from_query, comtrade_from_query, reply

from belru_trade.cli.main import main

KEY = "sk-CLI-77aa88bb99cc"
ARGS = ["--reporter", "BE", "--partner", "RU,BY", "--product", "080830", "--freq", "M",
        "--start", "2014-01", "--end", "2014-03", "--flow", "export", "--no-progress"]  # fmt: skip


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("BELRU_TRADE_CACHE", str(tmp_path / "store"))
    monkeypatch.setenv("COMTRADE_API_KEY", KEY)

    def respond(path, query):
        if path.startswith("/statistics/"):
            return reply(200, comext_from_query(query, lambda c: 42.0))
        if path.startswith("/data/v1/get/"):
            return reply(200, comtrade_from_query(query, lambda *a: 7.0))
        return None

    with FaultServer(respond) as server:
        monkeypatch.setenv("BELRU_TRADE_COMEXT_URL", server.url)
        monkeypatch.setenv("BELRU_TRADE_COMTRADE_URL", server.url)
        yield server, tmp_path
        assert server.unexpected == []


def test_comext_to_parquet_then_from_store(env, capsys) -> None:
    server, tmp = env
    out = tmp / "pears.parquet"
    assert main(["fetch", "comext", *ARGS, "--out", str(out)]) == 0
    frame = pd.read_parquet(out)
    assert len(frame) == 2 * 3 and set(frame["partner"]) == {"RU", "BY"}
    assert set(frame["value"]) == {42.0} and set(frame["quantity"]) == {4200.0}
    assert "requests sent: 1" in capsys.readouterr().out
    assert main(["fetch", "comext", *ARGS, "--out", str(tmp / "again.csv")]) == 0
    assert "requests sent: 0" in capsys.readouterr().out and len(server.seen) == 1
    assert pd.read_csv(tmp / "again.csv", dtype={"product": str})["product"].eq("080830").all()


def test_comtrade_output_never_shows_key(env, capsys) -> None:
    server, _ = env
    assert main(["fetch", "comtrade", *ARGS]) == 0
    assert main(["fetch", "comtrade", *ARGS, "--dry-run"]) == 0
    captured = capsys.readouterr()
    assert "7.0" in captured.out and "1 request(s) planned" in captured.out
    assert server.seen[0].headers["Ocp-Apim-Subscription-Key"] == KEY
    assert KEY not in captured.out + captured.err


def test_errors_exit_codes(env, capsys) -> None:
    server, tmp = env
    with pytest.raises(SystemExit) as bad:
        main(["fetch", "comext", *ARGS, "--out", str(tmp / "x.xlsx")])
    assert bad.value.code == 2
    with pytest.raises(SystemExit) as bad_product:
        main(["fetch", "comext", *ARGS[:4], "--product", "0808.30", *ARGS[6:]])
    assert bad_product.value.code == 2
    server.responder = lambda path, query: reply(401, {"statusCode": 401, "message": "denied"})
    assert main(["fetch", "comtrade", *ARGS]) == 1
    err = capsys.readouterr().err
    assert "AuthenticationError" in err and KEY not in err
    with pytest.raises(SystemExit) as offline:
        main(["fetch", "comext", *ARGS[:4], "--product", "080810", *ARGS[6:], "--offline"])
    assert offline.value.code == 1
    assert "OfflineError" in capsys.readouterr().err


@pytest.mark.parametrize("bad_key", [KEY + "\r\nX-Evil: 1", "sk-CLI 77aa88bb99cc", "sk-ÇLI-77aa88"])
def test_malformed_key_is_a_named_error_never_printed(env, capsys, monkeypatch, bad_key) -> None:
    server, _ = env
    monkeypatch.setenv("COMTRADE_API_KEY", bad_key)
    with pytest.raises(SystemExit) as exit_:
        main(["fetch", "comtrade", *ARGS])
    captured = capsys.readouterr()
    assert exit_.value.code == 2 and "malformed" in captured.err
    assert "Traceback" not in captured.err and "77aa88" not in captured.out + captured.err
    assert server.seen == []


def test_header_echoing_error_body_never_prints_the_key(env, capsys) -> None:
    from http_fault_server import echo

    server, _ = env
    server.responder = lambda path, query: echo(401)
    assert main(["fetch", "comtrade", *ARGS]) == 1
    err = capsys.readouterr().err
    assert "AuthenticationError" in err and "Access denied" in err and KEY not in err
    assert "REDACTED" in err  # the quoted key was replaced


def test_bare_year_end_means_december(env, capsys) -> None:
    args = [*ARGS[:8], "--start", "2012", "--end", "2012", *ARGS[12:]]
    assert main(["fetch", "comext", *args, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "sinceTimePeriod=2012-01" in out and "untilTimePeriod=2012-12" in out


@pytest.mark.parametrize("bad", ["2014-13", "2014-02-30", "01/02/2014"])
def test_impossible_or_ambiguous_dates_exit_2(env, capsys, bad) -> None:
    args = [*ARGS[:8], "--start", bad, *ARGS[10:]]
    with pytest.raises(SystemExit) as exit_:
        main(["fetch", "comext", *args, "--dry-run"])
    assert exit_.value.code == 2 and repr(bad) in capsys.readouterr().err


def test_refused_connection_names_offline_and_snapshot(env, capsys, monkeypatch) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("BELRU_TRADE_COMEXT_URL", f"http://127.0.0.1:{port}")
    assert main(["fetch", "comext", *ARGS]) == 1
    err = capsys.readouterr().err
    assert "ProviderConnectionError" in err and "connection refused" in err
    assert "--offline" in err and "snapshot" in err


def test_country_codes_normalised_or_rejected(env, capsys) -> None:
    """--reporter/--partner go through bt.codes.country: 'be', 'Russia', 'BLR' are BE/RU/BY."""
    assert main(["fetch", "comext", *ARGS, "--dry-run"]) == 0
    canonical = capsys.readouterr().out
    friendly = [*ARGS]
    friendly[1], friendly[3] = "be", "Russia,BLR"
    assert main(["fetch", "comext", *friendly, "--dry-run"]) == 0
    assert capsys.readouterr().out == canonical and "BE" in canonical
    unknown = [*ARGS]
    unknown[1] = "XX"
    with pytest.raises(SystemExit) as bad:
        main(["fetch", "comext", *unknown, "--dry-run"])
    assert bad.value.code == 2
    assert "--reporter='XX' is not a known country code or name" in capsys.readouterr().err
