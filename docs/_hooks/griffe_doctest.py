"""Griffe extension: doctest lines outside an ``Examples`` section become code blocks.

Several docstrings show a short ``>>>`` example right after the summary instead of in an
``Examples`` section; rendered as Markdown, their output (``['a', 'b']``) would read as
link references. This wraps each such run of doctest lines in a ``pycon`` fence.
"""

from __future__ import annotations

import re

import griffe

_HEADER = re.compile(r"^\s*-{3,}\s*$")


def _fence(lines: list[str]) -> list[str]:
    out: list[str] = []
    section = ""
    in_run = False
    for i, line in enumerate(lines):
        if i + 1 < len(lines) and _HEADER.match(lines[i + 1]) and line.strip():
            section = line.strip().lower()
        starts = line.lstrip().startswith(">>>")
        if section != "examples" and starts and not in_run:
            out.append("```pycon")
            in_run = True
        elif in_run and not line.strip():
            out.append("```")
            in_run = False
        out.append(line)
    if in_run:
        out.append("```")
    return out


class DoctestFences(griffe.Extension):
    """Wrap stray doctest runs of every docstring in a code fence."""

    def on_object(self, *, obj: griffe.Object, **kwargs) -> None:
        """Rewrite the docstring of ``obj`` (called once per object)."""
        if obj.docstring and ">>>" in obj.docstring.value:
            obj.docstring.value = "\n".join(_fence(obj.docstring.value.splitlines()))
