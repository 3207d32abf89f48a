"""One-page decision brief of a simulation (Markdown, HTML, CSV) and its plot.

Files are written atomically (temporary file in the target folder, then ``os.replace``).
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import pandas as pd

from belru_trade._outputs import atomic_write_text
from belru_trade.errors import InvalidArgumentError

__all__ = ["plot_members", "render", "write_atomic", "write_brief"]

_COLUMNS = {
    "member": "Member",
    "sector": "Sector",
    "baseline": "Baseline (EUR m)",
    "expected_loss": "Gross trade at risk (EUR m)",
    "loss_low": "Low",
    "loss_high": "High",
    "leakage_share": "Leakage",
    "share_of_total": "Share of total with target",
}


def _display(table: pd.DataFrame, max_rows: int) -> pd.DataFrame:
    out = table[[c for c in _COLUMNS if c in table.columns]].head(max_rows).copy()
    for col in ("baseline", "expected_loss", "loss_low", "loss_high"):
        out[col] = (out[col] / 1e6).map(lambda v: f"{v:,.1f}")
    out["leakage_share"] = out["leakage_share"].map(lambda v: f"{v:.0%}")
    out["share_of_total"] = out["share_of_total"].map(lambda v: "n/a" if pd.isna(v) else f"{v:.2%}")
    return out.rename(columns=_COLUMNS)


def _headline(result: Any) -> list[str]:
    t = result.total()
    target, flow = result.measure.target, result.measure.flow
    lvl = f"{result.level:.0%} interval"
    out = [
        f"Gross trade at risk (not a cost or a welfare loss): EUR {t['expected_loss'] / 1e6:,.1f}"
        f" m of {flow}s {'to' if flow == 'export' else 'from'} {target} over the horizon "
        f"({lvl} {t['loss_low'] / 1e6:,.1f} to {t['loss_high'] / 1e6:,.1f}).",
    ]
    if "baseline_low" in t:
        out += [
            f"Baseline (projected flow without the measure): EUR {t['baseline'] / 1e6:,.1f} m "
            f"({lvl} {t['baseline_low'] / 1e6:,.1f} to {t['baseline_high'] / 1e6:,.1f}).",
            f"As a share of the baseline: {t['loss_share']:.0%} ({lvl} "
            f"{t['loss_share_low']:.0%} to {t['loss_share_high']:.0%}). In every draw the loss "
            "stays below that draw's baseline; the upper bound in EUR can exceed the central "
            "baseline only because the baseline itself is uncertain.",
        ]
    else:
        out.append(
            f"Baseline (projected flow without the measure): EUR {t['baseline'] / 1e6:,.1f} m."
        )
    out += [
        "Assumed leakage through third countries and redirection to other markets are "
        "listed under Assumptions, with their defaults.",
        f"The same amount is {target}'s loss of these flows (mirror view).",
    ]
    return out


def render(result: Any, fmt: str = "markdown", max_rows: int = 15) -> str:
    """Render the brief as ``"markdown"`` or ``"html"``."""
    if fmt not in ("markdown", "html"):
        raise InvalidArgumentError(f"fmt={fmt!r} is not allowed; expected 'markdown' or 'html'")
    members = _display(result.table(by="member"), max_rows)
    sectors = _display(result.table(by="sector"), max_rows)
    target = _display(result.table(side="target"), max_rows)
    title = f"Decision brief: {result.measure.describe()}"
    if fmt == "markdown":
        parts = [f"# {title}", "", *[f"- {h}" for h in _headline(result)], ""]
        parts += ["## Cost to sender members (Belgium first)", members.to_markdown(index=False)]
        parts += ["", "## By member and sector", sectors.to_markdown(index=False)]
        parts += [
            "",
            f"## Cost to {result.measure.target} by sector",
            target.to_markdown(index=False),
        ]
        parts += ["", "## Assumptions"]
        parts += [f"- **{k}**: {v}" for k, v in result.assumptions.items()]
        return "\n".join(parts) + "\n"
    items = "".join(
        f"<li><b>{html.escape(k)}</b>: {html.escape(str(v))}</li>"
        for k, v in result.assumptions.items()
    )
    heads = "".join(f"<li>{html.escape(h)}</li>" for h in _headline(result))
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title></head><body>"
        f"<h1>{html.escape(title)}</h1><ul>{heads}</ul>"
        "<h2>Cost to sender members (Belgium first)</h2>"
        f"{members.to_html(index=False)}<h2>By member and sector</h2>"
        f"{sectors.to_html(index=False)}<h2>Cost to {html.escape(result.measure.target)} by "
        f"sector</h2>{target.to_html(index=False)}<h2>Assumptions</h2><ul>{items}</ul>"
        "</body></html>\n"
    )


def write_atomic(path: Path, text: str) -> Path:
    """Write UTF-8 ``text`` to ``path`` atomically (:func:`belru_trade._outputs.atomic_write`).

    Raises
    ------
    OutputError
        The file cannot be written.
    """
    return atomic_write_text(Path(path), text)


def write_brief(result: Any, out_dir: str | Path, stem: str = "brief") -> dict[str, Path]:
    """Write ``<stem>.md``, ``<stem>.html`` and ``<stem>.csv`` (member x sector table)."""
    from belru_trade._outputs import prepare_out_dir, read_manifest, replace_manifest

    out = prepare_out_dir(out_dir)
    previous = read_manifest(out)
    paths = {
        "markdown": write_atomic(out / f"{stem}.md", render(result, "markdown")),
        "html": write_atomic(out / f"{stem}.html", render(result, "html")),
        "csv": write_atomic(out / f"{stem}.csv", result.table().to_csv(index=False)),
    }
    replace_manifest(out, previous, [p.name for p in paths.values()])
    return paths


def plot_members(result: Any, ax: Any = None) -> Any:
    """Expected loss per member (EUR m) with the interval as error bars.

    Parameters
    ----------
    result : SimulationResults
    ax : matplotlib Axes, optional
        Drawn on this Axes; a new figure otherwise.

    Returns
    -------
    matplotlib.figure.Figure
        The figure drawn on (no pyplot, no global state).
    """
    from belru_trade.plotting import bar_panel, on_axes

    fig, ax = on_axes(ax, height=4.0)
    t = result.table(by="member")
    bar_panel(
        ax,
        t["member"],
        t["expected_loss"] / 1e6,
        low=t["loss_low"] / 1e6,
        high=t["loss_high"] / 1e6,
        y="Expected loss",
        unit="EUR m",
        x="Member state",
        title=(
            f"Cost by member: {result.measure.kind.replace('_', ' ')} on {result.measure.target}"
        ),
    )
    return fig
