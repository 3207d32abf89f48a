"""``belru-trade products``: list and show the named product sectors."""

from __future__ import annotations

import argparse

from belru_trade.errors import UnknownCodeError
from belru_trade.trade import products


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``products`` command group."""
    parser = subparsers.add_parser("products", help="named product sectors and their HS codes")
    commands = parser.add_subparsers(dest="products_command", metavar="SUBCOMMAND")
    commands.required = True
    listing = commands.add_parser(
        "list",
        help="list the sectors",
        description="List the named sectors with their codes in one HS vintage.",
    )
    listing.add_argument(
        "--period", help="YYYY, YYYY-MM or an HS vintage (default: the latest vintage)"
    )
    listing.set_defaults(handler=_list)
    show = commands.add_parser(
        "show",
        help="show one sector",
        description="Show a sector's HS codes valid in a period, with notes.",
    )
    show.add_argument("sector", metavar="SECTOR", help="sector name, e.g. pears")
    show.add_argument(
        "--period", help="YYYY, YYYY-MM or an HS vintage (default: the latest vintage)"
    )
    show.set_defaults(handler=_show)


def _list(args: argparse.Namespace) -> int:
    vintage = products.hs_vintage(args.period)
    print(f"Sectors ({vintage})")
    for name in products.sectors():
        rec = products.sector(name, vintage)
        parent = f" [part of {rec.parent}]" if rec.parent else ""
        print(f"  {name:<20} {';'.join(rec.codes):<32} {rec.description}{parent}")
    return 0


def _show(args: argparse.Namespace) -> int:
    try:
        rec = products.sector(args.sector, args.period)
    except UnknownCodeError as exc:
        raise UnknownCodeError(f"SECTOR: {exc}") from exc
    print(f"{'sector':>13}: {rec.name}")
    print(f"{'description':>13}: {rec.description}")
    print(f"{'nomenclature':>13}: {rec.nomenclature}")
    print(f"{'codes':>13}: {';'.join(rec.codes)}")
    if rec.parent:
        print(f"{'part of':>13}: {rec.parent}")
    if rec.note:
        print(f"{'note':>13}: {rec.note}")
    history = products.sector_table().query("sector == @rec.name")
    for row in history.itertuples(index=False):
        print(f"{'vintages':>13}: {row.first_vintage}-{row.last_vintage}: {row.codes}")
    return 0
