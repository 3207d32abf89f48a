"""Data requirements of an analysis and where they are found.

An analysis declares ``REQUIRES``: a tuple of :class:`DataRequirement`. Before running it,
:func:`resolve` looks for each requirement first in the embedded snapshot, then in the
local store (filled by ``belru-trade fetch``); a requirement found in neither makes the
analysis "not run", with the exact ``belru-trade fetch ...`` command that would make it
runnable (:meth:`DataRequirement.fetch_command`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from belru_trade import config as config_module
from belru_trade.config import Settings
from belru_trade.errors import InvalidArgumentError
from belru_trade.report.result import AnalysisConfig
from belru_trade.store import cache
from belru_trade.trade.selection import select

__all__ = ["PARTNER", "REPORTER", "DataRequirement", "Resolution", "resolve"]

logger = logging.getLogger(__name__)

#: placeholders replaced by the configured reporter / partner
REPORTER = "{reporter}"
PARTNER = "{partner}"
_PROVIDERS = ("comext", "comtrade")
_KEYS = ["reporter", "partner", "product", "flow", "period", "source"]


def _tuple(value: Any) -> tuple[str, ...] | None:
    if value is None:
        return None
    return (value,) if isinstance(value, str) else tuple(str(v) for v in value)


def _without(codes: tuple[str, ...] | None, reporter: str) -> tuple[str, ...] | None:
    """Partners without the reporter itself (a country does not trade with itself)."""
    if codes is None:
        return None
    return tuple(c for c in codes if c != reporter) or codes


@dataclass(frozen=True)
class DataRequirement:
    """One slice of data an analysis needs.

    Parameters
    ----------
    label : str
        What the slice is for (shown in the report when it is missing).
    provider : {"comext", "comtrade"}
        Provider to fetch from when neither the snapshot nor the store has the slice.
    snapshot : tuple of str
        Snapshot source tags that may cover the slice (tried in order); empty when the
        snapshot never does (e.g. pears).
    reporter, partner, product : tuple of str or None
        Codes (``"{reporter}"``/``"{partner}"`` are replaced from the config; products
        match by prefix). Every listed reporter and product prefix must have rows.
    flow : {"import", "export"} or None
    start, end : str
        ``"YYYY-MM"`` window needed.
    freq : {"M", "A"}
        Frequency for the fetch command.
    must_have : tuple of str or None
        Reporters that must have rows when ``reporter`` is None (all reporters loaded),
        e.g. ``("{reporter}",)``.
    fetch_reporters, fetch_partners, fetch_products : tuple of str, callable or None
        Codes written into the fetch command where ``reporter``, ``partner`` or
        ``product`` is None (the fetch command needs explicit codes); a callable is called
        only when the command is built (e.g. to read a long product list).
    overridable : bool
        Replace ``product`` by ``AnalysisConfig.products`` when those are given.
    optional : bool
        An optional slice extends the analysis (e.g. a leakage channel); when it is
        missing the analysis still runs and the report lists its fetch command.

    Examples
    --------
    >>> req = DataRequirement("pears", "comext", (), reporter=REPORTER, partner=("RU", "LT"),
    ...                       product=("080830",), flow="export", start="2010-01",
    ...                       end="2016-12")
    >>> req.resolved(AnalysisConfig()).fetch_command()
    'belru-trade fetch comext --reporter BE --partner RU,LT --product 080830 --freq M --start 2010-01 --end 2016-12 --flow export'
    """  # noqa: E501

    label: str
    provider: str
    snapshot: tuple[str, ...] = ()
    reporter: tuple[str, ...] | None = None
    partner: tuple[str, ...] | None = None
    product: tuple[str, ...] | None = None
    flow: str | None = None
    start: str = "2010-01"
    end: str = "2022-12"
    freq: str = "M"
    must_have: tuple[str, ...] | None = None
    fetch_reporters: tuple[str, ...] | Callable[[], Sequence[str]] | None = None
    fetch_partners: tuple[str, ...] | Callable[[], Sequence[str]] | None = None
    fetch_products: tuple[str, ...] | Callable[[], Sequence[str]] | None = None
    overridable: bool = False
    optional: bool = False

    def __post_init__(self) -> None:
        if self.provider not in _PROVIDERS:
            raise InvalidArgumentError(
                f"provider={self.provider!r} is not allowed; expected one of {_PROVIDERS}"
            )
        for attr in ("snapshot", "reporter", "partner", "product", "must_have"):
            object.__setattr__(self, attr, _tuple(getattr(self, attr)))
        if self.snapshot is None:
            object.__setattr__(self, "snapshot", ())
        if self.flow not in (None, "import", "export"):
            raise InvalidArgumentError(
                f"flow={self.flow!r} is not allowed; expected 'import', 'export' or None"
            )

    def resolved(self, config: AnalysisConfig) -> DataRequirement:
        """Copy with placeholders and the configured window and products applied."""

        def fill(codes: tuple[str, ...] | None) -> tuple[str, ...] | None:
            if codes is None:
                return None
            mapping = {REPORTER: config.reporter, PARTNER: config.partner}
            return tuple(dict.fromkeys(mapping.get(c, c) for c in codes))

        start, end = config.clip(self.start, self.end)
        return replace(
            self,
            reporter=fill(self.reporter),
            partner=_without(fill(self.partner), config.reporter),
            must_have=fill(self.must_have),
            product=config.products if self.overridable and config.products else self.product,
            start=start,
            end=end,
        )

    def fetch_command(self) -> str:
        """The ``belru-trade fetch`` command that puts this slice in the local store."""
        parts = ["belru-trade", "fetch", self.provider]
        for flag, given, fallback in (
            ("--reporter", self.reporter, self.fetch_reporters),
            ("--partner", self.partner, self.fetch_partners),
            ("--product", self.product, self.fetch_products),
        ):
            codes = given or (fallback() if callable(fallback) else fallback)
            if not codes:
                raise InvalidArgumentError(
                    f"{flag[2:]}=None in requirement {self.label!r} has no fetch codes; "
                    f"expected fetch_{flag[2:]}s to be given"
                )
            parts += [flag, ",".join(codes)]
        start, end = (self.start[:4], self.end[:4]) if self.freq == "A" else (self.start, self.end)
        parts += ["--freq", self.freq, "--start", start, "--end", end]
        if self.flow:
            parts += ["--flow", self.flow]
        return " ".join(parts)


@dataclass(frozen=True)
class Resolution:
    """Outcome of :func:`resolve`: the assembled panel or what is missing."""

    panel: pd.DataFrame
    provenance: dict[str, Any] = field(default_factory=dict)
    missing: tuple[DataRequirement, ...] = ()
    optional_missing: tuple[DataRequirement, ...] = ()

    @property
    def covered(self) -> bool:
        """Whether every requirement was found."""
        return not self.missing


def _covers(frame: pd.DataFrame, req: DataRequirement) -> bool:
    if frame.empty or frame["value"].notna().sum() + frame["quantity"].notna().sum() == 0:
        return False
    needed = set(req.reporter or ()) | set(req.must_have or ())
    if needed and not needed <= set(frame["reporter"].unique()):
        return False
    if req.product:  # distinct codes first: no string per row of a categorical column
        codes = [str(c) for c in frame["product"].unique()]
        for prefix in req.product:
            if not any(c == prefix or c.startswith(prefix) for c in codes):
                return False
    return True


def _from_snapshot(req: DataRequirement) -> tuple[pd.DataFrame, dict] | None:
    from belru_trade.store import snapshot

    for source in req.snapshot:
        if source not in snapshot.sources():
            logger.info("snapshot source %s not shipped in this build", source)
            continue
        frame = snapshot.load_snapshot(
            source,
            reporter=req.reporter,
            partner=req.partner,
            product=req.product,
            start=req.start,
            end=req.end,
            flow=req.flow,
        )
        if _covers(frame, req):
            record = {"origin": "embedded snapshot", **snapshot.provenance(source)}
            return frame, {f"snapshot:{source}": record}
    return None


def _filter(frame: pd.DataFrame, req: DataRequirement) -> pd.DataFrame:
    given = (("reporter", req.reporter), ("partner", req.partner), ("flow", req.flow))
    where = {column: value for column, value in given if value}
    periods = pd.PeriodIndex(frame["period"])
    first = pd.Period(req.start, freq="M").asfreq(periods.freq, how="start")
    last = pd.Period(req.end, freq="M").asfreq(periods.freq, how="end")
    rows = select(frame, where, period=slice(first, last))
    if req.product:
        rows = rows[rows["product"].astype(str).str.startswith(tuple(req.product))]
    return rows


def _from_store(req: DataRequirement, store: Path) -> tuple[pd.DataFrame, dict] | None:
    """Scan the local store's tidy entries of the provider for rows of the slice."""
    entries = cache.info(store)
    entries = entries[(entries["kind"] == "tidy") & (entries["provider"] == req.provider)]
    frames, provenance = [], {}
    for path in entries["path"]:
        meta_path = Path(path).with_suffix(".json")
        try:
            query = json.loads(meta_path.read_text())["query"]
        except (OSError, ValueError, KeyError):
            continue
        loaded = cache.load_tidy(req.provider, query, path=store)
        if loaded is None or loaded[0].empty:
            continue
        part = _filter(loaded[0], req)
        if len(part):
            frames.append(part)
            provenance[f"store:{req.provider}:{meta_path.stem[:12]}"] = {
                "origin": "local store",
                "query": query,
                **loaded[1],
            }
    if not frames:
        return None
    frame = pd.concat(frames, ignore_index=True).drop_duplicates(subset=_KEYS)
    if not _covers(frame, req):
        logger.info("store rows do not cover %s", req.label)
        return None
    return frame.reset_index(drop=True), provenance


def resolve(
    requirements: Sequence[DataRequirement],
    config: AnalysisConfig,
    *,
    settings: Settings | None = None,
) -> Resolution:
    """Find every requirement in the snapshot or the local store and build one panel.

    Parameters
    ----------
    requirements : sequence of DataRequirement
    config : AnalysisConfig
    settings : belru_trade.config.Settings, optional
        Where the local store is; else read from the environment once, here.

    Returns
    -------
    Resolution
        ``panel`` (tidy schema; rows of every covered requirement, duplicates dropped),
        ``provenance`` (source -> record), ``missing`` (required slices not found) and
        ``optional_missing`` (optional slices not found).

    Examples
    --------
    >>> req = DataRequirement("none", "comext", (), reporter="BE", product=("0808",))
    >>> resolve([req], AnalysisConfig()).covered
    False
    """
    store = config_module.resolve(settings).store_root()
    frames: list[pd.DataFrame] = []
    provenance: dict[str, Any] = {}
    missing: list[DataRequirement] = []
    optional: list[DataRequirement] = []
    for raw in requirements:
        req = raw.resolved(config)
        found = _from_snapshot(req) or _from_store(req, store)
        if found is None:
            (optional if req.optional else missing).append(req)
            continue
        frames.append(found[0])
        provenance.update(found[1])
    frames = [f for f in frames if len(f)]
    if len(frames) == 1:  # unique on its keys already: each snapshot source is, store rows
        panel = frames[0]  # are deduplicated when read (and a copy of a million rows is not free)
    elif frames:
        panel = pd.concat(frames, ignore_index=True)
        panel = panel.drop_duplicates(subset=_KEYS).reset_index(drop=True)
    else:
        from belru_trade.trade.panel import empty_panel

        panel = empty_panel()
    return Resolution(
        panel=panel,
        provenance=provenance,
        missing=tuple(missing),
        optional_missing=tuple(optional),
    )
