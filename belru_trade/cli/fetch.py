"""``belru-trade fetch comext|comtrade``: fetch a series from the official source.

Examples
--------
>>> from belru_trade.cli.main import main
>>> main(["fetch", "comext", "--reporter", "BE", "--partner", "RU", "--product", "080830",
...       "--freq", "M", "--start", "2010-01", "--end", "2016-12", "--flow", "export",
...       "--dry-run"])  # doctest: +ELLIPSIS
1 request(s) planned
http.../statistics/1.0/data/DS-045409?...
0
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from belru_trade import sources
from belru_trade._outputs import atomic_write
from belru_trade.errors import InvalidArgumentError, ProviderError
from belru_trade.geo.codes import country

_FORMATS = {".parquet": "parquet", ".csv": "csv"}


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``fetch`` command."""
    parser = subparsers.add_parser(
        "fetch",
        help="fetch trade data from Eurostat Comext or UN Comtrade (cached locally)",
        description=(
            "Fetch a tidy trade panel. Codes are ISO alpha-2 (several: comma-separated). "
            "The Comtrade key is read from COMTRADE_API_KEY (never from the command line); "
            "without it the 500-record preview endpoint is used."
        ),
    )
    parser.add_argument("provider", choices=("comext", "comtrade"))
    parser.add_argument("--reporter", required=True, help="e.g. BE or BE,NL")
    parser.add_argument("--partner", required=True, help="e.g. RU or RU,BY,WORLD")
    parser.add_argument("--product", required=True, help="TOTAL or HS/CN codes, e.g. 080830")
    parser.add_argument("--freq", default="M", choices=("M", "A"))
    parser.add_argument("--start", required=True, help="YYYY-MM (monthly) or YYYY (annual)")
    parser.add_argument("--end", required=True, help="YYYY-MM (monthly) or YYYY (annual)")
    parser.add_argument("--flow", default="both", choices=("import", "export", "both"))
    parser.add_argument("--out", help="write the panel to FILE.parquet or FILE.csv")
    parser.add_argument("--dry-run", action="store_true", help="show the requests, send none")
    parser.add_argument("--offline", action="store_true", help="serve only from the local store")
    parser.add_argument("--refresh", action="store_true", help="ignore a stored tidy result")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    parser.set_defaults(handler=run)


def _codes(text: str) -> list[str]:
    return [c.strip() for c in text.split(",") if c.strip()]


def _write(frame: pd.DataFrame, out: str) -> Path:
    path = Path(out)
    kind = _FORMATS.get(path.suffix.lower())
    if kind is None:
        raise InvalidArgumentError(f"--out={out!r} must end in .parquet or .csv")
    written = frame.copy()
    written["period"] = written["period"].astype(str)
    if kind == "parquet":
        atomic_write(path, lambda stream: written.to_parquet(stream, index=False))
    else:
        atomic_write(path, written.to_csv(index=False))
    return path


def run(args: argparse.Namespace) -> int:
    """Handler of ``belru-trade fetch``; returns the exit code."""
    fetch = sources.comext if args.provider == "comext" else sources.comtrade
    options = dict(
        freq=args.freq, start=args.start, end=args.end, flow=args.flow,
        offline=args.offline, refresh=args.refresh, progress=not args.no_progress,
        settings=args.settings,
    )  # fmt: skip
    if args.out and Path(args.out).suffix.lower() not in _FORMATS:
        raise InvalidArgumentError(f"--out={args.out!r} must end in .parquet or .csv")
    codes = (
        [country(c, "--reporter") for c in _codes(args.reporter)],
        [country(c, "--partner") for c in _codes(args.partner)],
        _codes(args.product),
    )
    try:
        if args.dry_run:
            planned = fetch(*codes, dry_run=True, **options)
            print(f"{len(planned)} request(s) planned")
            for request in planned:
                print(request.full_url)
            return 0
        frame = fetch(*codes, **options)
    except ProviderError as exc:
        print(f"belru-trade fetch: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    provenance = frame.attrs.get("provenance", {})
    if args.out:
        path = _write(frame, args.out)
        print(f"wrote {len(frame)} rows to {path}")
    else:
        print(frame.to_string(index=False, max_rows=40))
    sent = frame.attrs.get("requests_sent", 0)
    print(f"source: {provenance.get('provider', args.provider)} {provenance.get('dataset', '')}; "
          f"retrieved {provenance.get('retrieved', '?')}; requests sent: {sent}")  # fmt: skip
    return 0
