"""``belru-trade ingest``: load bulk files into the local store."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``ingest`` command group."""
    parser = subparsers.add_parser("ingest", help="load provider bulk files into the store")
    commands = parser.add_subparsers(dest="ingest_command", metavar="SOURCE")
    commands.required = True
    comext = commands.add_parser(
        "comext-bulk",
        help="Eurostat Comext bulk files (.7z, .dat, .csv; legacy or v2 layout)",
        description="Stream Comext bulk files into the partitioned bulk store; a period "
        "already stored is replaced by the file that holds it.",
    )
    comext.add_argument("files", nargs="+", metavar="FILE", help="bulk files to ingest")
    comext.add_argument(
        "--store", metavar="DIR", default=None, help="store root (default: the local store)"
    )
    comext.set_defaults(handler=_comext_bulk)


def _comext_bulk(args: argparse.Namespace) -> int:
    from belru_trade.store import bulk

    store = args.store or args.settings.store_root()
    for path in args.files:
        row = bulk.ingest([path], store=store).iloc[0]
        print(
            f"{row['file']}: {row['layout']} layout, {row['rows']:,} rows, periods "
            f"{row['periods'] or '-'}, {row['seconds']:.1f} s "
            f"({row['rows_per_second']:,.0f} rows/s)"
        )
    print(f"bulk store: {bulk.bulk_root(store)}")
    return 0
