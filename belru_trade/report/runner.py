"""Find the bundled analyses by name, check their data, run them.

Analyses are modules ``analyses.<name>`` found at run time with :mod:`importlib`
(``belru_trade`` never imports them statically). Each exposes ``TITLE``, ``QUESTION``,
``DATA``, ``METHOD`` (strings), ``REQUIRES`` (a tuple of
:class:`~belru_trade.report.requirements.DataRequirement`) and
``run(panel, config) -> AnalysisResult``.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import importlib.metadata
import logging
from collections.abc import Iterable, Iterator, Sequence
from types import ModuleType
from typing import Any

from tqdm.auto import tqdm

from belru_trade import config as config_module
from belru_trade.config import Settings
from belru_trade.errors import BelruTradeError, InvalidArgumentError
from belru_trade.report.requirements import resolve
from belru_trade.report.result import AnalysisConfig, AnalysisResult, fill_reporter

__all__ = [
    "ENTRY_POINT_GROUP",
    "available",
    "iter_analyses",
    "load_analysis",
    "registered",
    "run_analyses",
    "run_analysis",
    "select",
]

logger = logging.getLogger(__name__)

#: entry-point group under which analyses are registered (name -> module)
ENTRY_POINT_GROUP = "belru_trade.analyses"
_ATTRIBUTES = ("TITLE", "QUESTION", "DATA", "METHOD", "REQUIRES", "run")


@functools.cache
def _registered() -> dict[str, str]:
    """name -> module path of every analysis registered under :data:`ENTRY_POINT_GROUP`."""
    found = importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)
    return {ep.name: ep.value for ep in found}


def registered() -> tuple[str, ...]:
    """Names of the registered analyses, sorted by name (no module is imported).

    >>> {"pears", "milk"} <= set(registered())
    True
    """
    return tuple(sorted(_registered()))


def _report_rank(name: str) -> tuple[int, str]:
    """Bundled analyses declare ``ORDER``; others come after them, by name."""
    return (getattr(load_analysis(name), "ORDER", 1000), name)


def available() -> tuple[str, ...]:
    """Names of the registered analyses in report order (imports each module once).

    >>> available()[:2]
    ('trade_balance', 'pears')
    """
    return tuple(sorted(registered(), key=_report_rank))


def select(names: Iterable[str] | None) -> list[str]:
    """Expand ``["all"]`` (or nothing) to every registered analysis and check the names.

    >>> select(["all"])[:2]
    ['trade_balance', 'pears']
    >>> select(["milk", "milk"])
    ['milk']
    """
    names = list(names or ["all"])
    if "all" in names:
        return list(available())
    known = registered()
    for name in names:
        if name not in known:
            raise InvalidArgumentError(
                f"analysis={name!r} is not a registered analysis; expected 'all' or one of "
                f"{', '.join(known)}"
            )
    return list(dict.fromkeys(names))


@functools.cache
def load_analysis(name: str) -> ModuleType:
    """Import the module registered as ``name`` and check it has the expected attributes."""
    if name not in _registered():
        select([name])  # raises the named error
    module_path = _registered()[name]
    module = importlib.import_module(module_path)
    for attr in _ATTRIBUTES:
        if not hasattr(module, attr):
            raise BelruTradeError(f"{module_path} lacks the attribute {attr!r}")
    return module


def _skeleton(
    module: ModuleType, name: str, config: AnalysisConfig, **kwargs: Any
) -> AnalysisResult:
    return AnalysisResult(
        name=name,
        title=fill_reporter(module.TITLE, config),
        question=fill_reporter(module.QUESTION, config),
        data_and_concept=fill_reporter(module.DATA, config),
        method=fill_reporter(module.METHOD, config),
        caveats=tuple(fill_reporter(c, config) for c in getattr(module, "CAVEATS", ())),
        config=config,
        **kwargs,
    )


def run_analysis(
    name: str, config: AnalysisConfig | None = None, *, settings: Settings | None = None
) -> AnalysisResult:
    """Run one bundled analysis on the data the snapshot or the store hold.

    ``settings`` locate the local store (else the environment is read once, here).

    Returns a result with status ``"not_run"`` (and the fetch commands) when a data
    requirement is missing, ``"failed"`` when the analysis raised a library error.
    """
    config = config or AnalysisConfig()
    module = load_analysis(name)
    resolution = resolve(module.REQUIRES, config, settings=settings)
    if not resolution.covered:
        labels = "; ".join(req.label for req in resolution.missing)
        reason = (
            "Data not in the embedded snapshot nor in the local store: " + labels + ". "
            "Nothing was estimated (no invented data)."
        )
        return _skeleton(
            module,
            name,
            config,
            status="not_run",
            reason=reason,
            fetch_commands=tuple(
                req.fetch_command() for req in (*resolution.missing, *resolution.optional_missing)
            ),
            provenance=resolution.provenance,
        )
    try:
        result = module.run(resolution.panel, config)
    except (BelruTradeError, ValueError, LookupError) as exc:
        logger.warning("analysis %s failed: %s", name, exc)
        reason = f"{type(exc).__name__}: {exc}"
        return _skeleton(module, name, config, status="failed", reason=reason)
    provenance = {**resolution.provenance, **result.provenance}
    extra = tuple(req.fetch_command() for req in resolution.optional_missing)
    return dataclasses.replace(
        result,
        provenance=provenance,
        config=config,
        fetch_commands=tuple(dict.fromkeys((*result.fetch_commands, *extra))),
    )


def iter_analyses(
    names: Sequence[str] | None = None,
    config: AnalysisConfig | None = None,
    *,
    progress: bool = True,
    settings: Settings | None = None,
) -> Iterator[AnalysisResult]:
    """Run several analyses in report order, yielding each result as soon as it is made.

    A caller that writes each result and drops it (as ``belru-trade run`` does with
    :class:`~belru_trade.report.writer.ReportWriter`) holds one analysis's figures and
    models at a time. Shows a tqdm bar on stderr unless ``progress=False``; ``settings``
    locate the local store (else the environment is read once, here).
    """
    settings = config_module.resolve(settings)
    selected = select(names)
    bar = tqdm(selected, desc="analyses", unit="analysis", disable=not progress)
    for name in bar:
        bar.set_postfix_str(name)
        yield run_analysis(name, config, settings=settings)


def run_analyses(
    names: Sequence[str] | None = None,
    config: AnalysisConfig | None = None,
    *,
    progress: bool = True,
    settings: Settings | None = None,
) -> list[AnalysisResult]:
    """Run several analyses in report order (a list of :func:`iter_analyses`' results)."""
    return list(iter_analyses(names, config, progress=progress, settings=settings))
