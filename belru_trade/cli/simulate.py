"""``belru-trade simulate``: ex-ante cost of a proposed measure, written as a decision brief."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd

from belru_trade.errors import InvalidArgumentError
from belru_trade.trade.panel import KEY, select


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``simulate`` command."""
    parser = subparsers.add_parser(
        "simulate",
        help="simulate the trade cost of a proposed measure (decision brief)",
        description=(
            "Project the affected flows' trend, apply the effect of an analogue measure (or a "
            "given change) net of leakage, and write the brief as HTML, Markdown and CSV. "
            "Without --elasticity or --analogue the effect is estimated from default analogues: "
            "the registry's earlier measures on the same products and flow, else the same "
            "products under the EU's 2022 sanctions on Russia. Data: the embedded snapshot plus "
            "the local store's Comext entries, or --panel FILE."
        ),
    )
    parser.add_argument("--sender", default="EU", help="EU or comma-separated member ISO2 codes")
    parser.add_argument("--target", default="RU", help="target country (ISO2)")
    parser.add_argument("--kind", required=True, help="export_ban or import_ban")
    parser.add_argument("--products", required=True, help="comma-separated HS/CN codes")
    parser.add_argument("--start", required=True, help="first month in force, YYYY-MM")
    parser.add_argument("--analogue", action="append", help="registry event id (repeatable)")
    parser.add_argument(
        "--analogue-products", help="ad-hoc analogue: comma-separated codes of a past measure"
    )
    parser.add_argument("--analogue-start", help="ad-hoc analogue: its first month, YYYY-MM")
    parser.add_argument(
        "--analogue-flow", choices=("export", "import"), default="export", help="its flow"
    )
    parser.add_argument(
        "--analogue-method",
        choices=("auto", "did", "its"),
        default="auto",
        help="analogue estimator (auto: DiD when the data have clean control partners, else ITS)",
    )
    parser.add_argument("--elasticity", type=float, help="given proportional change, e.g. -0.8")
    parser.add_argument("--elasticity-sd", type=float, default=0.0, help="its standard deviation")
    parser.add_argument(
        "--leakage", default="0", help="leakage share in [0, 1], or 'estimated' (diversion)"
    )
    parser.add_argument(
        "--horizon", type=int, default=24, help="months summed (default 24, at most 240)"
    )
    parser.add_argument("--phase-in", type=int, default=None, help="months of linear phase-in")
    parser.add_argument(
        "--draws", type=int, default=2000, help="Monte Carlo draws (100 to 100,000)"
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed (0 to 2**32 - 1)")
    parser.add_argument(
        "--panel",
        help="tidy panel FILE.csv or FILE.parquet to use instead of the snapshot and the store",
    )
    parser.add_argument("--out", default="brief", help="output folder (default ./brief)")
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    from belru_trade.policy.brief import write_brief
    from belru_trade.policy.simulate import Measure, simulate

    sender = args.sender if args.sender.upper() == "EU" else args.sender.split(",")
    measure = Measure(
        sender=sender,
        target=args.target,
        kind=args.kind,
        products=[p.strip() for p in args.products.split(",") if p.strip()],
        start=args.start,
        phase_in=args.phase_in,
    )
    analogues = _analogues(args)
    if analogues and args.elasticity is not None:
        raise InvalidArgumentError("give either --analogue or --elasticity, not both")
    elasticity = "estimated" if args.elasticity is None else (args.elasticity, args.elasticity_sd)
    result = simulate(
        measure,
        _panel(args, measure),
        elasticity=elasticity,
        analogues=analogues,
        analogue_method=args.analogue_method,
        leakage=_leakage(args.leakage),
        horizon_months=args.horizon,
        n_draws=args.draws,
        seed=args.seed,
    )
    paths = write_brief(result, Path(args.out))
    for kind, path in paths.items():
        print(f"{kind}: {path}")
    return 0


def _panel(args: argparse.Namespace, measure) -> pd.DataFrame:
    """The --panel file, else the embedded snapshot plus the local store's Comext rows."""
    if args.panel:
        from belru_trade.trade.panel_io import read_panel

        try:
            return read_panel(args.panel)
        except InvalidArgumentError as exc:
            raise InvalidArgumentError(f"--panel: {exc}") from exc
    from belru_trade.policy.effects import TRANSIT
    from belru_trade.policy.simulate import _default_panel

    partners = {measure.target, *TRANSIT}
    parts = [_default_panel(measure), *_store_rows(partners, args.settings.store_root())]
    panel = pd.concat([p for p in parts if len(p)], ignore_index=True)
    return panel.drop_duplicates(subset=list(KEY), keep="last").reset_index(drop=True)


def _store_rows(partners: set[str], store: Path) -> list[pd.DataFrame]:
    """Monthly Comext rows with the target or control partners from the local store."""
    from belru_trade.store import cache

    entries = cache.info(store)
    entries = entries[(entries["kind"] == "tidy") & (entries["provider"] == "comext")]
    frames = []
    for path in entries["path"]:
        try:
            query = json.loads(Path(path).with_suffix(".json").read_text())["query"]
        except (OSError, ValueError, KeyError):
            continue
        loaded = cache.load_tidy("comext", query, path=store)
        if loaded is None or loaded[0].empty:
            continue
        frame = loaded[0]
        if isinstance(frame["period"].dtype, pd.PeriodDtype) and frame["period"].dt.freq == "M":
            frames.append(select(frame, partner=partners))
    return frames


def _analogues(args: argparse.Namespace) -> list:
    from belru_trade import events
    from belru_trade.policy.measure import Analogue

    out: list = list(args.analogue or [])
    for event_id in out:
        events.get(event_id)  # UnknownCodeError (exit 2) naming the id and close ids
    if args.analogue_products or args.analogue_start:
        if not (args.analogue_products and args.analogue_start):
            raise InvalidArgumentError("--analogue-products and --analogue-start go together")
        codes = [c.strip() for c in args.analogue_products.split(",") if c.strip()]
        name = f"ad-hoc analogue {','.join(codes)} from {args.analogue_start}"
        out.append(Analogue(name, codes, args.analogue_start, args.target, args.analogue_flow))
    return out


def _leakage(text: str) -> float | str:
    if text.strip() == "estimated":
        return "estimated"
    try:
        return float(text)
    except ValueError:
        raise InvalidArgumentError(
            f"--leakage={text!r} is not a share in [0, 1] nor 'estimated'"
        ) from None
