"""Bundled-analysis results and the report writer.

- :class:`AnalysisResult`, :class:`AnalysisConfig`: what an analysis returns and takes.
- :class:`DataRequirement`, :func:`resolve`: the data an analysis declares, found in the
  embedded snapshot or the local store (else "not run" with the ``belru-trade fetch`` command).
- :func:`run_analyses`: run analyses by name (modules ``analyses.<name>``, found at run time).
- :func:`write_report`: ``index.html`` (self-contained), ``report.md``, CSV tables, PNG
  figures and ``provenance.json``; :class:`ReportWriter` writes the same one analysis at a
  time (with :func:`iter_analyses`, figures are written and dropped as they are made).
"""

from __future__ import annotations

from belru_trade.report.published import Ours, published_estimates, published_table
from belru_trade.report.requirements import PARTNER, REPORTER, DataRequirement, resolve
from belru_trade.report.result import AnalysisConfig, AnalysisResult
from belru_trade.report.runner import (
    available,
    iter_analyses,
    registered,
    run_analyses,
    run_analysis,
    select,
)
from belru_trade.report.writer import ReportWriter, format_table, write_report

__all__ = [
    "PARTNER",
    "REPORTER",
    "AnalysisConfig",
    "AnalysisResult",
    "DataRequirement",
    "Ours",
    "ReportWriter",
    "available",
    "format_table",
    "iter_analyses",
    "published_estimates",
    "published_table",
    "registered",
    "resolve",
    "run_analyses",
    "run_analysis",
    "select",
    "write_report",
]
