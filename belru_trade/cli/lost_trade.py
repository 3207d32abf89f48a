"""``belru-trade lost-trade``: trade lost to sanctions (predicted without minus actual)."""

from __future__ import annotations

import argparse
from pathlib import Path

from belru_trade.geo.codes import country


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``lost-trade`` command."""
    parser = subparsers.add_parser(
        "lost-trade",
        help="ex-post lost trade of sanction events, targeted vs non-targeted products",
        description=(
            "Fit a product-level PPML gravity model of exports to the target on the "
            "snapshot's UN Comtrade extract and report trade predicted without the measures "
            "minus actual trade, with delta-method confidence intervals."
        ),
    )
    parser.add_argument("--events", required=True, help="comma-separated registry event ids")
    parser.add_argument("--reporter", help="comma-separated reporters to report (ISO2)")
    parser.add_argument("--window", help="months to cumulate, YYYY-MM:YYYY-MM")
    parser.add_argument("--target", default="RU", help="target country (default RU)")
    parser.add_argument(
        "--by", default="reporter,group", help="keys: reporter, product, sector, period, group"
    )
    parser.add_argument("--out", help="write the table as CSV to this file (atomic)")
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    from belru_trade.policy.brief import write_atomic
    from belru_trade.policy.lost_trade import lost_trade

    reporters = (
        [country(r.strip(), "--reporter") for r in args.reporter.split(",") if r.strip()]
        if args.reporter
        else None
    )
    result = lost_trade(
        events=[e.strip() for e in args.events.split(",") if e.strip()],
        target=country(args.target, "--target"),
        reporter=reporters,
        window=args.window,
    )
    table = result.tidy(by=[k.strip() for k in args.by.split(",") if k.strip()])
    print(f"coefficients: {result.params.round(4).to_dict()}")
    print(
        f"gross trade lost (actual, counterfactual, lost, se, conf_low, conf_high in "
        f"{result.currency}; lost_share = lost / counterfactual):"
    )
    print(table.to_string(index=False))
    if args.out:
        print(f"csv: {write_atomic(Path(args.out), table.to_csv(index=False))}")
    return 0
