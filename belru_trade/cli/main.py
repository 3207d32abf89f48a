"""Entry point of the ``belru-trade`` command.

Each command group lives in its own module of :mod:`belru_trade.cli` exposing
``register(subparsers)``; the module adds its parser and sets ``handler`` to a function
taking the parsed namespace and returning an exit code.

Exit codes: 0 success, 1 a run-time failure (data not covered, offline store empty, ...),
2 bad arguments (the message names the argument and the allowed values).
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import logging
import sys
from collections.abc import Sequence

from belru_trade import __version__
from belru_trade.config import Settings, prefer_c_allocator_for_arrow
from belru_trade.errors import BelruTradeError, InvalidArgumentError

# command modules, in the order shown by --help
COMMAND_MODULES: tuple[str, ...] = (
    "data",
    "events",
    "products",
    "fetch",
    "ingest",
    "run",
    "simulate",
    "lost_trade",
)


def build_parser() -> argparse.ArgumentParser:
    """Return the top-level argument parser with every available command registered."""
    parser = argparse.ArgumentParser(
        prog="belru-trade",
        description="Trade and sanctions econometrics for EU/Belgium-Russia trade.",
    )
    parser.add_argument("--version", action="version", version=f"belru-trade {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log at INFO level")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    subparsers.required = True
    for name in COMMAND_MODULES:
        importlib.import_module(f"belru_trade.cli.{name}").register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    args.settings = Settings.from_environ()  # the one read of the environment
    try:
        return int(args.handler(args) or 0)
    except InvalidArgumentError as exc:
        parser.exit(2, f"belru-trade {args.command}: error: {exc}\n")
    except BelruTradeError as exc:
        parser.exit(1, f"belru-trade {args.command}: {type(exc).__name__}: {exc}\n")
    return 0  # pragma: no cover - parser.exit raises


def console() -> None:
    """The ``belru-trade`` executable: settings of its own process, then :func:`main`.

    Before anything imports pyarrow, Arrow is pointed at the C library's allocator
    (:func:`belru_trade.config.prefer_c_allocator_for_arrow`; a value the user set is kept).
    Calling :func:`main` from Python leaves the process's environment alone.
    """
    prefer_c_allocator_for_arrow()
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    console()
