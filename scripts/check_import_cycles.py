"""Fail when the installed ``belru_trade`` has an import cycle (function-level imports too).

Run on a non-editable copy (``make contracts`` does): grimp sees every ``import`` statement,
including those inside functions, so a deferred import that closes a loop is reported.
"""

from __future__ import annotations

import sys

import grimp


def _cycles(graph: grimp.ImportGraph) -> list[tuple[str, ...]]:
    """Each direct import a -> b that b's imports lead back to a, as the closed chain."""
    found = []
    for importer in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(importer)):
            back = graph.find_shortest_chain(importer=imported, imported=importer)
            if back:
                found.append((importer, *back))
    return found


def main() -> int:
    graph = grimp.build_graph("belru_trade")
    cycles = _cycles(graph)
    for cycle in cycles:
        print("import cycle: " + " -> ".join(cycle), file=sys.stderr)
    print(f"{len(graph.modules)} modules, {len(cycles)} import cycles")
    return 1 if cycles else 0


if __name__ == "__main__":
    raise SystemExit(main())
