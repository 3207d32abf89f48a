"""Griffe extension: numpydoc docstrings written for Sphinx, rendered as Markdown.

- Doctest lines outside an ``Examples`` section become code blocks: several docstrings show
  a short ``>>>`` example right after the summary, whose output (``['a', 'b']``) Markdown
  would read as link references.
- Sphinx roles (``:func:`~a.b.c```, ``:mod:`x```) become inline code (``c``, ``x``).
"""

from __future__ import annotations

import re

import griffe

_HEADER = re.compile(r"^\s*-{3,}\s*$")
_ROLE = re.compile(r":(?:func|class|meth|mod|data|attr|obj|exc):`(~?)([^`]+)`")


def _role(match: re.Match) -> str:
    target = match.group(2)
    return f"`{target.rsplit('.', 1)[-1] if match.group(1) else target}`"


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
    """Rewrite every docstring as described in the module docstring."""

    def on_object(self, *, obj: griffe.Object, **kwargs) -> None:
        """Rewrite the docstring of ``obj`` (called once per object)."""
        if not obj.docstring:
            return
        text = _ROLE.sub(_role, obj.docstring.value)
        if ">>>" in text:
            text = "\n".join(_fence(text.splitlines()))
        obj.docstring.value = text
