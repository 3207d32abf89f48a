"""Write a set of :class:`AnalysisResult` to a report folder.

Layout of ``DIR``: ``index.html`` (self-contained: CSS inline, PNG figures base64-embedded,
readable without a server; the first section summarises every analysis in one table),
``report.md``, ``tables/<analysis>__<table>.csv``, ``figures/<analysis>__<figure>.png`` and
``provenance.json``. Every file is written atomically.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import html
import json
import math
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from belru_trade._outputs import (
    atomic_write_bytes,
    atomic_write_text,
    prepare_out_dir,
    read_manifest,
    replace_manifest,
)
from belru_trade.report.result import AnalysisResult, table_names

__all__ = ["ReportWriter", "format_table", "git_commit", "write_report"]

_LONG_TABLE = 30
_STATUS_LABEL = {"ok": "ran", "not_run": "not run: data to fetch", "failed": "failed"}
_CSS = """
body{font-family:Georgia,'DejaVu Serif',serif;max-width:1100px;margin:2em auto;padding:0 1em;
color:#1b1b1b;line-height:1.45}
h1{font-size:1.7em;border-bottom:3px solid #1f4e79;padding-bottom:.2em}
h2{color:#1f4e79;border-bottom:1px solid #bbb;margin-top:2.2em}
h3{font-size:1.05em;margin-bottom:.3em}
table{border-collapse:collapse;margin:.6em 0 1.2em;font-family:'DejaVu Sans',Arial,sans-serif;
font-size:.82em}
th,td{border:1px solid #ccc;padding:.25em .55em;vertical-align:top}
th{background:#eef3f8;text-align:left}
td.num{text-align:right;white-space:nowrap}td.long{min-width:22em}
tr:nth-child(even) td{background:#fafafa}
.status-ok{color:#176317;font-weight:bold}.status-not_run{color:#9a5b00;font-weight:bold}
.status-failed{color:#a11;font-weight:bold}
pre{background:#f4f4f4;padding:.6em;overflow-x:auto;font-size:.82em;white-space:pre-wrap}
figure{margin:1em 0}figure img{max-width:100%;border:1px solid #ddd}
figcaption{font-size:.85em;color:#444}
.meta{font-size:.85em;color:#444}.caveats li{font-size:.9em}
nav a{margin-right:1em}.wide{overflow-x:auto;max-width:100%}
"""


def git_commit(path: Path | None = None) -> str | None:
    """Commit hash of the checkout holding ``path`` (the package by default), or None."""
    folder = Path(path) if path is not None else Path(__file__).resolve().parent
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def _fmt_number(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value) if abs(value) < 10_000 else f"{value:,}"
    if isinstance(value, float):
        if value != 0 and abs(value) < 0.01:
            return f"{value:.3g}"
        return f"{value:,.1f}" if abs(value) >= 100 else f"{value:,.2f}"
    return str(value)


def _fmt_text(value: Any) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return str(value)


def _whole(values: list) -> bool:
    finite = [v for v in values if isinstance(v, float) and not math.isnan(v)]
    return bool(finite) and all(v.is_integer() and abs(v) < 1e15 for v in finite)


def format_table(table: pd.DataFrame) -> pd.DataFrame:
    """Table with numbers rendered for reading (thousands separators, 1-2 decimals).

    >>> format_table(pd.DataFrame({"v (EUR m)": [1234.567, 0.5]}))["v (EUR m)"].tolist()
    ['1,234.6', '0.50']
    >>> format_table(pd.DataFrame({"months": [24.0, float("nan")], "m": ["a", float("nan")]})
    ...              ).values.tolist()
    [['24', 'a'], ['–', '–']]
    """
    out = table.copy()
    for column in out.columns:
        if pd.api.types.is_numeric_dtype(out[column]):
            values = out[column].tolist()
            if _whole(values):  # counts such as months: no decimals
                values = [v if math.isnan(v) else int(v) for v in values]
            out[column] = [_fmt_number(v) for v in values]
        else:
            out[column] = out[column].astype(object).map(_fmt_text)
    return out


def _html_table(table: pd.DataFrame) -> str:
    shown = format_table(table)
    numeric = [pd.api.types.is_numeric_dtype(table[c]) for c in table.columns]
    # a column of sentences (notes, reasons) gets a readable width instead of wrapping
    # into a tall, narrow column of a wide table
    tags = [
        '<td class="num">'
        if num
        else '<td class="long">'
        if shown.iloc[:, i].astype(str).str.len().max() > 60
        else "<td>"
        for i, num in enumerate(numeric)
    ]
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in shown.columns)
    rows = []
    for values in shown.itertuples(index=False):
        cells = "".join(f"{tag}{html.escape(v)}</td>" for v, tag in zip(values, tags, strict=False))
        rows.append(f"<tr>{cells}</tr>")
    return (
        f'<div class="wide"><table><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def _files(
    result: AnalysisResult, figure_keys: Sequence[str] | None = None
) -> tuple[dict[str, str], dict[str, str]]:
    """Table and figure file names (figure keys default to the result's figures)."""
    keys = list(result.figures if figure_keys is None else figure_keys)
    tables = dict(zip(result.tables, table_names(list(result.tables)), strict=False))
    figures = dict(zip(keys, table_names(keys), strict=False))
    return (
        {k: f"tables/{result.name}__{v}.csv" for k, v in tables.items()},
        {k: f"figures/{result.name}__{v}.png" for k, v in figures.items()},
    )


def literature_verdict(result: AnalysisResult) -> str:
    """Whether an analysis agrees with the published figures set beside it.

    Read from its table whose name contains "published" (column ``consistent``): "yes" when
    every comparable figure agrees, "no" when none does, "partly" when some do, "not
    comparable" when no figure measures the same quantity, "-" without such a table.

    >>> import pandas as pd
    >>> r = AnalysisResult(name="demo", title="T", question="Q", data_and_concept="D",
    ...     method="M", tables={"Compared with published estimates": pd.DataFrame(
    ...     {"consistent": ["no", "not comparable"]})})
    >>> literature_verdict(r)
    'no'
    """
    verdicts = [
        v
        for key, table in result.tables.items()
        if "published" in key.lower() and "consistent" in table
        for v in table["consistent"]
    ]
    if not verdicts:
        return "-"
    comparable = [v for v in verdicts if v in ("yes", "no")]
    if not comparable:
        return "not comparable"
    if all(v == "yes" for v in comparable):
        return "yes"
    return "no" if all(v == "no" for v in comparable) else "partly"


def _summary_rows(results: Sequence[AnalysisResult]) -> str:
    rows = []
    for r in results:
        headline = r.headline if r.ran else r.reason
        rows.append(
            f'<tr><td><a href="#{r.name}">{html.escape(r.title)}</a></td>'
            f'<td class="status-{r.status}">{_STATUS_LABEL[r.status]}</td>'
            f"<td>{html.escape(headline)}</td><td>{literature_verdict(r)}</td></tr>"
        )
    return (
        "<table><thead><tr><th>Analysis</th><th>Status</th><th>Main result</th>"
        "<th>Agrees with published estimates</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _fetch_heading(result: AnalysisResult) -> tuple[str, str]:
    if result.ran:
        return (
            "To extend it",
            "Parts of the question need data outside the embedded snapshot; fetch them into "
            "the local store and run again:",
        )
    return "To make it runnable", "Fetch the data into the local store, then run again:"


def _html_section(result: AnalysisResult, pngs: dict[str, bytes]) -> str:
    table_files, _ = _files(result)
    parts = [
        f'<section id="{result.name}"><h2>{html.escape(result.title)}</h2>',
        f'<p class="meta">Status: <span class="status-{result.status}">'
        f"{_STATUS_LABEL[result.status]}</span> · module <code>analyses.{result.name}</code></p>",
        f"<h3>Question</h3><p>{html.escape(result.question)}</p>",
        f"<h3>Data and concept</h3><p>{html.escape(result.data_and_concept)}</p>",
        f"<h3>Method</h3><p>{html.escape(result.method)}</p>",
    ]
    if result.status != "ok":
        parts.append(f"<h3>Why it did not run</h3><p>{html.escape(result.reason)}</p>")
    if result.fetch_commands:
        commands = "\n".join(result.fetch_commands)
        heading, text = _fetch_heading(result)
        parts.append(f"<h3>{heading}</h3><p>{text}</p><pre>{html.escape(commands)}</pre>")
    if result.findings:
        items = "".join(f"<li>{html.escape(f)}</li>" for f in result.findings)
        parts.append(f"<h3>Results</h3><ul>{items}</ul>")
    for key, table in result.tables.items():
        link = table_files[key]
        heading = f'<h3>{html.escape(key)} <small>(<a href="{link}">CSV</a>)</small></h3>'
        body = _html_table(table)
        if len(table) > _LONG_TABLE:
            body = f"<details><summary>{len(table)} rows (click to show)</summary>{body}</details>"
        parts.append(heading + body)
    for key, data in pngs.items():
        encoded = base64.b64encode(data).decode("ascii")
        parts.append(
            f'<figure><img alt="{html.escape(key)}" src="data:image/png;base64,{encoded}">'
            f"<figcaption>{html.escape(key)}</figcaption></figure>"
        )
    if result.caveats:
        items = "".join(f"<li>{html.escape(c)}</li>" for c in result.caveats)
        parts.append(f'<h3>Caveats</h3><ul class="caveats">{items}</ul>')
    parts.append("</section>")
    return "\n".join(parts)


def _html(results: Sequence[AnalysisResult], pngs: dict, meta: dict[str, Any]) -> str:
    """The self-contained page; ``pngs`` maps analysis name -> figure key -> PNG bytes."""
    title = f"Belgium/EU-Russia trade under sanctions: report ({meta['config']['reporter']})"
    nav = "".join(f'<a href="#{r.name}">{html.escape(r.name)}</a>' for r in results)
    sections = "\n".join(_html_section(r, pngs[r.name]) for r in results)
    generated = html.escape(
        f"Generated {meta['generated']} by belru_trade {meta['package_version']}"
        f" (commit {meta['git_commit'] or 'n/a'}). Files: report.md, tables/*.csv, "
        "figures/*.png, provenance.json."
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>"
        f'<h1>{html.escape(title)}</h1><p class="meta">{generated}</p>'
        f'<section id="summary"><h2>Summary of results</h2>{_summary_rows(results)}'
        f'<p class="meta">Provenance of every source: <a href="provenance.json">'
        f"provenance.json</a>.</p></section><nav>{nav}</nav>\n{sections}\n</body></html>\n"
    )


def _md(text: Any) -> str:
    """Text for report.md: HTML special characters escaped (Markdown renders raw HTML)."""
    return html.escape(str(text), quote=False)


def _md_table(table: pd.DataFrame) -> str:
    shown = format_table(table)
    shown = shown.rename(columns=lambda c: _md(c))
    shown = shown.astype(object).map(lambda v: _md(v) if isinstance(v, str) else v)
    return shown.to_markdown(index=False, disable_numparse=True)


def _md_section(result: AnalysisResult, figure_keys: Sequence[str]) -> list[str]:
    table_files, figure_files = _files(result, figure_keys)
    lines = [f"## {_md(result.title)}", "", f"Status: **{_STATUS_LABEL[result.status]}**", ""]
    for heading, text in (
        ("Question", result.question),
        ("Data and concept", result.data_and_concept),
        ("Method", result.method),
    ):
        lines += [f"### {heading}", "", _md(text), ""]
    if result.status != "ok":
        lines += ["### Why it did not run", "", _md(result.reason), ""]
    if result.fetch_commands:
        heading, text = _fetch_heading(result)
        lines += [f"### {heading}", "", _md(text), "", "```", *result.fetch_commands, "```", ""]
    if result.findings:
        lines += ["### Results", "", *[f"- {_md(f)}" for f in result.findings], ""]
    for key, table in result.tables.items():
        lines += [f"### {_md(key)} ([CSV]({table_files[key]}))", ""]
        lines += [_md_table(table), ""]
    for key in figure_keys:
        lines += [f"![{_md(key)}]({figure_files[key]})", ""]
    if result.caveats:
        lines += ["### Caveats", "", *[f"- {_md(c)}" for c in result.caveats], ""]
    return lines


def _markdown(results: Sequence[AnalysisResult], pngs: dict, meta: dict[str, Any]) -> str:
    lines = [
        f"# Belgium/EU-Russia trade under sanctions: report ({_md(meta['config']['reporter'])})",
        "",
        f"Generated {meta['generated']} by belru_trade {meta['package_version']}.",
        "",
        "## Summary of results",
        "",
        "| Analysis | Status | Main result | Agrees with published estimates |",
        "|---|---|---|---|",
    ]
    for r in results:
        text = _md(r.headline if r.ran else r.reason).replace("|", "/")
        lines.append(
            f"| {_md(r.title)} | {_STATUS_LABEL[r.status]} | {text} | {literature_verdict(r)} |"
        )
    lines.append("")
    for r in results:
        lines += _md_section(r, list(pngs[r.name]))
    return "\n".join(lines) + "\n"


def _provenance(results: Sequence[AnalysisResult], pngs: dict, meta: dict) -> dict[str, Any]:
    analyses = {
        r.name: {
            "title": r.title,
            "status": r.status,
            "reason": r.reason,
            "fetch_commands": list(r.fetch_commands),
            "sources": r.provenance,
            "controls": {k: list(v) for k, v in r.controls.items()},
            "missing_months": {k: list(v) for k, v in r.missing_months.items()},
            "tables": list(_files(r)[0].values()),
            "figures": list(_files(r, list(pngs[r.name]))[1].values()),
        }
        for r in results
    }
    return {**meta, "analyses": analyses}


class ReportWriter:
    """Write a report folder one analysis at a time (each figure written as it comes).

    :meth:`add` writes an analysis's tables and figures at once and keeps only what the
    summary pages need (no figures, no fitted models), so a run holds one analysis's
    figures at a time; :meth:`close` writes ``report.md``, ``provenance.json``,
    ``index.html`` and the manifest. :func:`write_report` is the one-call form.

    Parameters
    ----------
    out : str or Path
        Report folder (see :func:`write_report`).
    config : dict, optional
        Run parameters recorded in ``provenance.json``.

    Examples
    --------
    >>> import tempfile
    >>> writer = ReportWriter(tempfile.mkdtemp())
    >>> writer.add(AnalysisResult(name="demo", title="Demo", question="Q",
    ...            data_and_concept="D", method="M")).name
    'demo'
    >>> writer.close().name
    'index.html'
    """

    def __init__(self, out: str | Path, *, config: dict[str, Any] | None = None) -> None:
        from belru_trade import __version__

        self.folder = prepare_out_dir(out)
        self._previous = read_manifest(self.folder)
        self._meta = {
            "generated": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "package_version": __version__,
            "git_commit": git_commit(),
            "config": config or {"reporter": "BE"},
        }
        self._results: list[AnalysisResult] = []
        self._pngs: dict[str, dict[str, bytes]] = {}
        self._written: list[str] = []

    @property
    def results(self) -> tuple[AnalysisResult, ...]:
        """The results added so far, without their figures and models."""
        return tuple(self._results)

    def add(self, result: AnalysisResult) -> AnalysisResult:
        """Write ``result``'s tables and figures now; return it without figures and models."""
        from belru_trade.plotting import png_bytes

        table_files, figure_files = _files(result)
        for key, table in result.tables.items():
            atomic_write_text(self.folder / table_files[key], table.to_csv(index=False))
        pngs = {}
        for key, figure in result.figures.items():
            pngs[key] = png_bytes(figure)
            atomic_write_bytes(self.folder / figure_files[key], pngs[key])
        kept = dataclasses.replace(result, figures={}, models={})
        self._results.append(kept)
        self._pngs[kept.name] = pngs
        self._written += [*table_files.values(), *figure_files.values()]
        return kept

    def close(self) -> Path:
        """Write the summary pages and the manifest; return the path of ``index.html``."""
        results, pngs, meta = self._results, self._pngs, self._meta
        atomic_write_text(self.folder / "report.md", _markdown(results, pngs, meta))
        provenance = json.dumps(_provenance(results, pngs, meta), indent=2, default=str)
        atomic_write_text(self.folder / "provenance.json", provenance + "\n")
        index = atomic_write_text(self.folder / "index.html", _html(results, pngs, meta))
        written = ["report.md", "provenance.json", "index.html", *self._written]
        replace_manifest(self.folder, self._previous, written)
        return index


def write_report(
    results: Sequence[AnalysisResult],
    out: str | Path,
    *,
    config: dict[str, Any] | None = None,
) -> Path:
    """Write the report folder and return the path of ``index.html``.

    Parameters
    ----------
    results : sequence of AnalysisResult
        In the order they appear in the report.
    out : str or Path
        Report folder (created when missing; existing files with the same names are
        replaced atomically; tables and figures an earlier run wrote there and this run
        does not are removed, as listed in ``.belru_trade-outputs.json``; nothing else).
    config : dict, optional
        Run parameters recorded in ``provenance.json`` (``AnalysisConfig.as_dict()``).

    Returns
    -------
    pathlib.Path
        Path of ``index.html``.

    Examples
    --------
    >>> import tempfile
    >>> r = AnalysisResult(name="demo", title="Demo", question="Q", data_and_concept="D",
    ...                    method="M", tables={"t": pd.DataFrame({"x (EUR)": [1.0]})})
    >>> path = write_report([r], tempfile.mkdtemp())
    >>> sorted(p.name for p in path.parent.rglob("*") if p.is_file())
    ['.belru_trade-outputs.json', 'demo__t.csv', 'index.html', 'provenance.json', 'report.md']
    """
    writer = ReportWriter(out, config=config)
    for result in results:
        writer.add(result)
    return writer.close()
