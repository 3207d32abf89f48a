"""``belru-trade events``: list and show the sanction events of the registry."""

from __future__ import annotations

import argparse

import pandas as pd

from belru_trade import events
from belru_trade.errors import InvalidArgumentError, UnknownCodeError

_LIST_COLUMNS = ["event_id", "party", "in_force", "effective_end", "kind", "hs"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``events`` command group."""
    parser = subparsers.add_parser("events", help="sanction and counter-sanction events")
    commands = parser.add_subparsers(dest="events_command", metavar="SUBCOMMAND")
    commands.required = True
    listing = commands.add_parser(
        "list",
        help="list events, optionally filtered",
        description="List the events of the registry (52 events). Filters combine.",
    )
    listing.add_argument("--party", help="imposing party: RU, EU, G7, US or BE")
    listing.add_argument("--product", help="HS code or prefix, e.g. 0808 or 710231")
    listing.add_argument("--origin", help="origin country of the goods (ISO alpha-2)")
    listing.add_argument("--destination", help="destination country (ISO alpha-2)")
    listing.add_argument("--date", help="in force on some day of: YYYY, YYYY-MM or YYYY-MM-DD")
    listing.add_argument(
        "--format", choices=("text", "markdown", "csv"), default="text", help="output format"
    )
    listing.set_defaults(handler=_list)
    show = commands.add_parser(
        "show", help="show one event", description="Show every field of one event."
    )
    show.add_argument("event_id", metavar="ID", help="event id, e.g. RU-2014-RES778")
    show.set_defaults(handler=_show)


def _list(args: argparse.Namespace) -> int:
    frame = events.affecting(
        product=args.product, origin=args.origin, destination=args.destination, date=args.date
    )
    if args.party is not None:
        parties = sorted(set(events.load()["party"]))
        party = args.party.strip().upper()
        if party not in parties:
            raise InvalidArgumentError(
                f"--party={args.party!r} is not allowed; expected one of {', '.join(parties)}"
            )
        frame = frame[frame["party"] == party]
    table = frame.assign(
        in_force=frame["in_force"].dt.date,
        effective_end=frame["effective_end"]
        .dt.date.astype(object)
        .where(frame["effective_end"].notna(), "open"),
        hs=frame["hs_codes"].map(_short_codes),
    )[_LIST_COLUMNS]
    if table.empty:
        print("no event matches")
    elif args.format == "markdown":
        print(table.to_markdown(index=False))
    elif args.format == "csv":
        print(table.to_csv(index=False), end="")
    else:
        print(table.to_string(index=False))
    return 0


def _short_codes(codes: tuple[str, ...]) -> str:
    if not codes:
        return "-"
    text = ";".join(codes)
    return text if len(text) <= 40 else f"{';'.join(codes[:6])};... ({len(codes)} codes)"


def _show(args: argparse.Namespace) -> int:
    try:
        event = events.get(args.event_id)
    except UnknownCodeError as exc:
        raise UnknownCodeError(f"ID: {exc}") from exc
    for field, value in event.__dict__.items():
        if isinstance(value, pd.Timestamp):
            value = value.date()
        elif isinstance(value, frozenset):
            value = ", ".join(sorted(value))
        elif isinstance(value, tuple):
            value = ";".join(value) or "-"
        elif value is None:
            value = "open" if field in {"ended", "effective_end"} else "any"
        print(f"{field:>14}: {value}")
    return 0
