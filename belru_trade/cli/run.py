"""``belru-trade run``: run bundled analyses and write the report folder."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from belru_trade.geo.codes import country
from belru_trade.report import AnalysisConfig, registered, select
from belru_trade.report.runner import iter_analyses
from belru_trade.report.writer import ReportWriter

logger = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``run`` command."""
    parser = subparsers.add_parser(
        "run",
        help="run bundled analyses and write the report (index.html, report.md, CSV, PNG)",
        description="Run bundled analyses on the embedded snapshot and the local store; "
        f"analyses: {', '.join(registered())}.",
    )
    parser.add_argument(
        "names", nargs="*", default=["all"], metavar="NAME", help="analyses to run, or 'all'"
    )
    parser.add_argument("--out", default="report", help="report folder (default: report)")
    parser.add_argument(
        "--offline",
        action="store_true",
        help="never touch the network (analyses only read the snapshot and the store anyway)",
    )
    parser.add_argument("--reporter", default="BE", help="EU member state (default BE)")
    parser.add_argument("--partner", default="RU", help="partner country (default RU)")
    parser.add_argument("--start", default=None, help="narrow every window: YYYY or YYYY-MM")
    parser.add_argument("--end", default=None, help="narrow every window: YYYY or YYYY-MM")
    parser.add_argument(
        "--products", default=None, help="comma-separated HS/CN codes overriding the defaults"
    )
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    names = select(args.names)
    products = None if args.products is None else tuple(args.products.split(","))
    config = AnalysisConfig(
        reporter=country(args.reporter, "--reporter"),
        partner=country(args.partner, "--partner"),
        start=args.start,
        end=args.end,
        products=products,
        offline=True,
    )
    writer = ReportWriter(Path(args.out), config=config.as_dict())
    progress = not args.no_progress
    for result in iter_analyses(names, config, progress=progress, settings=args.settings):
        writer.add(result)  # figures written now; the writer keeps neither them nor models
    index = writer.close()
    for result in writer.results:
        if result.status != "ok":
            sys.stderr.write(f"{result.name}: {result.status}: {result.reason}\n")
            for command in result.fetch_commands:
                sys.stderr.write(f"  {command}\n")
    print(index.resolve())
    return 0
