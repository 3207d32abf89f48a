"""``belru-trade data``: what data are available offline (embedded snapshot, local store)."""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from belru_trade.store import bulk, cache
from belru_trade.store.snapshot import snapshot_info

_SHOWN = ["source", "first", "last", "rows", "reporters", "partners", "products", "flows"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``data`` command group."""
    parser = subparsers.add_parser("data", help="coverage of the embedded snapshot and the store")
    commands = parser.add_subparsers(dest="data_command", metavar="SUBCOMMAND")
    commands.required = True
    info = commands.add_parser(
        "info", help="coverage table of the embedded snapshot and of the local cache"
    )
    info.add_argument(
        "--format", choices=("text", "markdown", "csv"), default="text", help="output format"
    )
    info.set_defaults(handler=_info)


def coverage_tables(store: Path | None = None) -> dict[str, pd.DataFrame]:
    """Coverage of the embedded snapshot, of the local store and of the bulk store.

    ``store`` is the local store's folder (default: from the settings of the environment).
    """
    snapshot = snapshot_info()
    snapshot["value_total"] = snapshot["value_total"].map(
        lambda v: "quantities only" if pd.isna(v) else f"{v / 1e9:,.2f} bn"
    )
    snapshot = snapshot.rename(columns={"value_total": "value (no double counting)"})
    shown = [*_SHOWN, "value (no double counting)", "currency", "unit"]
    tables = {"Embedded snapshot": snapshot[shown]}
    tables["Local store"] = cache.info(store)
    tables["Bulk store (Comext bulk files)"] = bulk.info(store)
    return tables


def _info(args: argparse.Namespace) -> int:
    for title, table in coverage_tables(args.settings.store_root()).items():
        print(f"\n{title}")
        if table.empty:
            print("  (empty)")
        elif args.format == "markdown":
            print(table.to_markdown(index=False))
        elif args.format == "csv":
            print(table.to_csv(index=False), end="")
        else:
            print(table.to_string(index=False))
    return 0
