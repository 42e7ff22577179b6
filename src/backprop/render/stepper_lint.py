"""Evaluated result → the stepper's lint section: each finding as a button that lights its node.

The words are the text derivation's (``lint_views``: the same header, titles, messages and
caret lines); this module only adds what the page needs to point at the graph: the node a
finding is about (its value box ``v3`` and operation ``o3``, ids as in dot.py) and, for a
vanishing or exploding product, the edges of its path (``v1_o3_0`` into the operation,
``o3_v3`` out of it). The section shows when the text derivation would print it: when
something is found, and always with ``--lint``.
"""

from __future__ import annotations

import html

from ..graph import CONST, INPUT
from .lint_views import TITLES, _header, _pointed, findings_of


def lint_view(result, *, always: bool = False, drawn: set[str] | None = None) -> dict | None:
    """The header and the findings (title, message, caret lines, nodes, edges); None when the
    derivation would print no lint section. ``drawn``: the ids the page's drawing has (a big
    graph is drawn in part); only those are kept, so a 10^5-edge product does not fill the page."""
    findings = findings_of(result)
    if not findings and not always:
        return None
    graph = result.graph
    rows = []
    for finding in findings:
        message, *pointer = _pointed(result, finding)
        if finding.span is None and message.startswith("and "):  # "and 12 more of this kind": no node of its own
            rows.append({"kind": finding.kind, "title": TITLES[finding.kind], "message": message,
                         "pointer": [], "nodes": [], "edges": []})
            continue
        node = graph.nodes[finding.node]
        nodes = [f"v{node.id}"] + ([] if node.op in (INPUT, CONST) else [f"o{node.id}"])
        edges = []
        for below, above in zip(finding.path, finding.path[1:]):
            consumer = graph.nodes[above]
            edges += [f"v{below}_o{above}_{position}" for position, arg in enumerate(consumer.args) if arg == below]
            edges.append(f"o{above}_v{above}")
            nodes += [f"o{above}", f"v{above}"]
        if finding.path:
            nodes.insert(0, f"v{finding.path[0]}")
        rows.append({"kind": finding.kind, "title": TITLES[finding.kind], "message": message,
                     "pointer": [line[2:] if line.startswith("  ") else line for line in pointer],
                     "nodes": [key for key in dict.fromkeys(nodes) if drawn is None or key in drawn],
                     "edges": [key for key in edges if drawn is None or key in drawn]})
    return {"header": _header(result, findings), "findings": rows}


def lint_section(result, *, always: bool = False, drawn: set[str] | None = None) -> str:
    """The lint section's HTML: a list of finding buttons (hover, focus or choose one to light its
    node, and a long product's path), or the header alone when nothing is found."""
    view = lint_view(result, always=always, drawn=drawn)
    if view is None:
        return ""
    items = []
    for row in view["findings"]:
        pointer = "\n".join(row["pointer"])
        if not row["nodes"]:  # nothing drawn to point at: the words alone
            items.append(f'<li class="bp-lint-plain"><span class="bp-lint-kind">{_escape(row["title"])}</span>: '
                         f'{_escape(row["message"])}</li>')
            continue
        items.append(
            f'<li><button type="button" class="bp-path-term bp-lint-finding" aria-pressed="false" '
            f'data-kind="{_escape(row["kind"])}" data-edges="{_escape(" ".join(row["edges"]))}" '
            f'data-nodes="{_escape(" ".join(row["nodes"]))}"><span class="bp-lint-kind">{_escape(row["title"])}</span>: '
            f'{_escape(row["message"])}'
            + (f'<span class="bp-lint-pointer">{_escape(pointer)}</span>' if pointer else "")
            + "</button></li>")
    body = f'<ol class="bp-path-list bp-lint-list">{"".join(items)}</ol>' if items else ""
    hint = ": point at a finding, or choose it, to light its node" if items else ""
    return (f'<details class="bp-all bp-lint" open><summary>{_escape(view["header"])}{hint}</summary>'
            f"{body}</details>")


def _escape(text: str) -> str:
    return html.escape(text, quote=True)
