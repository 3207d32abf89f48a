"""MkDocs hook: one API page per public name of ``belru_trade``, generated at build time.

The list comes from ``belru_trade.__all__`` and ``belru_trade._LAZY`` when the site is
built, so a name added to the package appears in the reference without editing the docs.
mkdocstrings renders each page from the docstrings (numpydoc).
"""

from __future__ import annotations

from mkdocs.structure.files import File

import belru_trade as bt

GROUPS = {
    "Data": (
        "panel", "codes", "geo", "products", "events", "load_snapshot", "snapshot_info",
        "snapshot", "sources", "cache", "bulk", "datasets", "prices", "deflate",
        "convert_currency", "config",
    ),
    "Estimators": (
        "ppml", "ols", "gravity", "compare", "its", "did", "synth", "diversion", "scan",
        "fixed_b_tidy", "fixed_b_scan",
    ),
    "Counterfactuals and policy tools": (
        "comparative_counterfactual", "synth_counterfactual", "joint_lost", "lost_trade",
        "Measure", "simulate", "ge",
    ),
    "Reporting": ("report", "plotting"),
}  # fmt: skip
ERRORS_PAGE = "reference/errors.md"


def _target(name: str) -> str:
    module, attribute = bt._LAZY[name]
    return module if attribute is None else f"{module}.{attribute}"


def _grouped() -> dict[str, list[str]]:
    lazy = sorted(bt._LAZY)
    out = {group: [n for n in names if n in bt._LAZY] for group, names in GROUPS.items()}
    known = {n for names in out.values() for n in names}
    others = [n for n in lazy if n not in known]
    if others:
        out["Other"] = others
    return out


def _page(name: str) -> str:
    target = _target(name)
    kind = "module" if bt._LAZY[name][1] is None else "object"
    options = "    options:\n      show_submodules: false\n" if kind == "module" else ""
    return f"# `bt.{name}`\n\n`{target}`\n\n::: {target}\n{options}"


def _index(groups: dict[str, list[str]]) -> str:
    lines = [
        "# API reference",
        "",
        "Every public name of `belru_trade` (`import belru_trade as bt`), generated from the",
        "docstrings when the site is built.",
        "",
    ]
    for group, names in groups.items():
        lines += [f"## {group}", "", "| name | defined in |", "|---|---|"]
        lines += [f"| [`bt.{n}`]({n}.md) | `{_target(n)}` |" for n in names]
        lines.append("")
    errors = [n for n in bt.__all__ if n not in bt._LAZY and n != "__version__"]
    lines += ["## Errors and warnings", ""]
    lines += [f"- [`bt.{n}`](errors.md#belru_trade.errors.{n})" for n in errors]
    return "\n".join(lines) + "\n"


def on_config(config, **kwargs):
    groups = _grouped()
    section = [{"Overview": "reference/index.md"}]
    for group, names in groups.items():
        section.append({group: [{f"bt.{n}": f"reference/{n}.md"} for n in names]})
    section.append({"Errors and warnings": ERRORS_PAGE})
    for i, item in enumerate(config["nav"]):
        if isinstance(item, dict) and "API reference" in item:
            config["nav"][i] = {"API reference": section}
    return config


def on_files(files, config, **kwargs):
    groups = _grouped()
    files.append(File.generated(config, "reference/index.md", content=_index(groups)))
    for names in groups.values():
        for name in names:
            files.append(File.generated(config, f"reference/{name}.md", content=_page(name)))
    errors = "# Errors and warnings\n\n::: belru_trade.errors\n"
    files.append(File.generated(config, ERRORS_PAGE, content=errors))
    return files
