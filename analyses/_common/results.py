"""Build an analysis' result from its module's descriptive fields."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from belru_trade.report.result import AnalysisResult

__all__ = ["analysis_result"]


def analysis_result(
    module: str, *, caveats: Sequence[str] | None = None, **fields: Any
) -> AnalysisResult:
    """The :class:`~belru_trade.report.AnalysisResult` of a bundled analysis.

    ``module`` is the analysis module's ``__name__`` (``analyses.<name>``): its last part
    is the result's ``name``, and its ``TITLE``, ``QUESTION``, ``DATA``, ``METHOD`` and
    ``CAVEATS`` are the section texts (as in the runner's "not run" results). ``caveats``
    replaces ``CAVEATS`` when given; ``fields`` are the other result fields (``headline``,
    ``findings``, ``tables``, ``figures``, ``models``, ``config``).

    >>> import sys, types
    >>> mod = types.ModuleType("belru_trade.analyses.demo")
    >>> mod.TITLE, mod.QUESTION, mod.DATA, mod.METHOD = "T", "Q", "D", "M"
    >>> mod.CAVEATS = ("c",)
    >>> sys.modules["belru_trade.analyses.demo"] = mod
    >>> res = analysis_result("belru_trade.analyses.demo", headline="h")
    >>> res.name, res.title, res.data_and_concept, res.caveats, res.headline
    ('demo', 'T', 'D', ('c',), 'h')
    >>> del sys.modules["belru_trade.analyses.demo"]
    """
    import sys

    from belru_trade.report.result import AnalysisResult, fill_reporter

    texts = sys.modules[module]
    config = fields.get("config")
    caveats = tuple(getattr(texts, "CAVEATS", ())) if caveats is None else tuple(caveats)
    return AnalysisResult(
        name=module.rpartition(".")[2],
        title=fill_reporter(texts.TITLE, config),
        question=fill_reporter(texts.QUESTION, config),
        data_and_concept=fill_reporter(texts.DATA, config),
        method=fill_reporter(texts.METHOD, config),
        caveats=tuple(fill_reporter(c, config) for c in caveats),
        **fields,
    )
