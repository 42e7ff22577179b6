"""Result → one self-contained HTML page that replays the forward and backward passes.

The page inlines the Graphviz SVG (from ``dot.render_image``), its CSS and its script, so it
works from ``file://`` with no network. Every word of maths on it comes from Python: the
panel shows the same step texts as the terminal and JSON (``export.json_document``), and
the script only decides what is visible at step k. User text reaches the page escaped:
HTML through ``html.escape``, data as JSON whose ``<``, ``>`` and ``&`` are ``\\u`` escapes,
and the script writes it with ``textContent`` only.
"""

from __future__ import annotations

import html
import json
import re
import xml.etree.ElementTree as ET
from importlib import resources

from ..graph import CONST, INPUT
from ..numfmt import count_words, format_number, format_operand
from ..ops import OPS
from ..steps import FORWARD
from .dot import GRAD_COLOUR, VALUE_COLOUR, render_image
from .export import json_document
from .trace import _Writer

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
_S = f"{{{SVG_NS}}}"
_VALUE_KEY = re.compile(r"v\d+")
_EDGE_KEY = re.compile(r"(?:v\d+_o\d+_\d+|o\d+_v\d+)")


def render_html(result, *, rankdir: str = "LR", max_nodes: int | None = None, title: str | None = None,
                symbolic: bool = False, hessian: bool = False, mode: str = "reverse", cost: bool = False,
                paths: bool = False, max_paths: int = 50, lint: bool = False) -> str:
    """The interactive stepper page: graph, controls, step panel and summary, in one file
    (with ``symbolic``/``hessian``: the gradients as formulas, the second derivatives, beside it;
    ``mode="forward"``: forward mode's tangent sweeps as a third phase; ``cost``: the operation
    counts of both modes; ``paths``: each gradient as a sum over paths, whose terms light their path;
    the lint findings, whose entries light their node, when something is found and always with ``lint``)."""
    options = {"rankdir": rankdir}
    if max_nodes is not None:
        options["max_nodes"] = max_nodes
    svg = annotate_svg(render_image(result, "svg", **options).decode("utf-8"))
    # A wide drawing shows only its start on a phone: the page keeps a top-down one to swap in.
    portrait = ""
    if rankdir in ("LR", "RL"):
        drawn = annotate_svg(render_image(result, "svg", **{**options, "rankdir": "TB"}).decode("utf-8"))
        portrait = f'<template id="bp-portrait">{drawn}</template>'
    document = json_document(result)
    view = stepper_view(result)
    tangents = None
    if mode == "forward":
        from .stepper_modes import tangent_phase

        view["tangent"] = tangent_phase(result, len(document["steps"]) + 1)
        tangents = view["tangent"].pop("cells")  # the table's cells carry them
    data = {"document": document, "view": view}
    echo = result.graph.echo()
    heading = title if title is not None else "; ".join(echo)
    page = _asset("stepper.html")
    replacements = {
        "TITLE": _escape(f"backprop: {heading}"),
        "HEADING": _escape(heading),
        "ECHO": "\n".join(_escape(line) for line in echo),
        "SOURCE": _escape(result.source.strip("\n")),
        "OUTPUT": _escape(view["output"]),
        "STEP_COUNT": str(len(document["steps"]) + len(view.get("tangent", {}).get("steps", []))),
        "SVG": svg,
        "PORTRAIT": portrait,
        "TABLE": _summary_rows(result, tangents),
        "LEGEND_MORE": ('\n        <span class="bp-swatch bp-swatch-tan"></span>tangent (forward mode)' if tangents else "")
                       + ('\n        <span class="bp-swatch bp-swatch-path"></span>a path (--paths)' if paths else ""),
        "TANGENT_HEAD": f'<th scope="col" class="bp-wrap">{_escape(view["output"])}\u0307 (forward mode)</th>' if tangents else "",
        "FORMULAS": _symbolic_sections(result, symbolic, hessian) + _modes_sections(result, cost and mode != "forward",
                                                                                      paths, max_paths)
                    + _lint_section(result, lint, set(re.findall(r'\bid="([^"]+)"', svg))),
        "STYLE": _asset("stepper.css"),
        "DATA": script_json(data),
        "SCRIPT": _asset("stepper.js"),
    }
    # One pass, so text substituted for one placeholder is never scanned for another.
    return re.sub(r"@@([A-Z_]+)@@", lambda m: replacements[m.group(1)], page)


def _symbolic_sections(result, symbolic: bool, hessian: bool) -> str:
    """The --symbolic and --hessian sections, printed by the same writers as the terminal text."""
    if not (symbolic or hessian):
        return ""
    from .symbolic_views import formulas_text, hessian_text

    parts = []
    for wanted, lines in ((symbolic, lambda: formulas_text(result)), (hessian, lambda: hessian_text(result, symbolic))):
        if not wanted:
            continue
        heading, *body = [line for line in lines() if line]
        parts.append(f'<details class="bp-all bp-symbolic" open><summary>{_escape(heading)}</summary>'
                     f'<pre class="bp-text">{_escape(chr(10).join(line[2:] for line in body))}</pre></details>')
    return "\n".join(parts)


def _modes_sections(result, cost: bool, paths: bool, max_paths: int) -> str:
    """The --cost lines and the --paths sums, whose terms are buttons that light their path."""
    from .stepper_modes import cost_section, path_view

    parts = []
    if cost:
        section = cost_section(result)
        parts.append(f'<details class="bp-all bp-cost" open><summary>{_escape(section["heading"])}</summary>'
                     f'<pre class="bp-text">{_escape(chr(10).join(section["lines"]))}</pre></details>')
    if paths:
        found = path_view(result, max_paths)
        body = []
        if found["note"]:
            body.append(f'<p class="bp-table-note">{_escape(found["note"])}</p>')
        for section in found["inputs"]:
            plural = "" if section["count"] == 1 else "s"
            body.append(f'<h3>{_escape(section["gradient"])}: {count_words(section["count"])} path{plural}</h3><ol class="bp-path-list">')
            for row in section["rows"]:
                body.append(f'<li><button type="button" class="bp-path-term" aria-pressed="false" '
                            f'data-edges="{_escape(" ".join(row["edges"]))}" data-nodes="{_escape(" ".join(row["nodes"]))}">'
                            f'<span class="bp-route">{_escape(row["route"])}</span>: {_escape(row["text"])}</button></li>')
            body.append(f'</ol><p class="bp-path-total">{_escape(section["total"])}</p>'
                        f'<p class="bp-table-note">{_escape(section["factoring"])}</p>')
        parts.append('<details class="bp-all bp-pathsum" open><summary>Sums over paths: point at a term, or choose '
                      'it, to light its path</summary>' + "".join(body) + "</details>")
    return "\n".join(parts)


def _lint_section(result, always: bool, drawn: set[str]) -> str:
    """The lint findings, as the text derivation prints them (a section only when it would);
    ``drawn``: the ids of the drawing, which the findings may light."""
    from .stepper_lint import lint_section

    section = lint_section(result, always=always, drawn=drawn)
    return "\n" + section if section else ""


def script_json(data) -> str:
    """JSON that is safe inside <script>: no '<', '>' or '&' survive, so nothing can close the tag."""
    text = json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    for char, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                         ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, escape)
    return text


def stepper_view(result) -> dict:
    """What the page needs beyond the JSON document: when each node's value and gradient
    appear, which SVG edges each step lights up, and the hover card of every node."""
    graph = result.graph
    writer = _Writer(result)
    out = graph.output
    value_step = [0 if node.op in (INPUT, CONST) else None for node in graph.nodes]
    grad_step: list[int | None] = [None] * len(graph.nodes)
    steps = []
    for number, step in enumerate(result.steps, start=1):
        node = graph.nodes[step.node]
        if step.phase == FORWARD:
            value_step[step.node] = number
            edges = [f"v{arg}_o{node.id}_{position}" for position, arg in enumerate(node.args)]
            edges.append(f"o{node.id}_v{node.id}")
            steps.append({"op": f"o{node.id}", "operands": [f"v{arg}" for arg in node.args],
                          "edges": edges, "paths": []})
            continue
        grad_step[step.node] = number
        paths = []
        if step.reaches_output:
            for term in step.terms:
                consumer = graph.nodes[term.consumer]
                paths.append({
                    "edges": [f"v{step.node}_o{consumer.id}_{term.position}", f"o{consumer.id}_v{consumer.id}"],
                    "from": f"v{consumer.id}",
                    "text": f"via {writer.name(consumer.id)}: {writer.partial(out, consumer.id)} × "
                            f"{writer.partial(consumer.id, step.node)} = {format_operand(term.upstream)} × "
                            f"{format_operand(term.local)} = {format_number(term.contribution)}",
                })
        steps.append({"op": None, "operands": [], "edges": [], "paths": paths})
    nodes = [_node_card(result, writer, node, value_step[node.id], grad_step[node.id]) for node in graph.nodes]
    given = ", ".join(f"{writer.name(i)} = {format_number(result.values[i])}" for i in graph.inputs)
    start = f"inputs: {given}" if given else "no inputs: every value comes from constants"
    return {
        "output": writer.out,
        "start": start,
        "steps": steps,
        "nodes": nodes,
        "phases": {
            "forward": "Forward pass: compute each node from its operands, in topological order",
            "backward": f"Backward pass: apply the chain rule from {writer.out} back to the inputs, "
                        "in reverse topological order",
        },
    }


def _node_card(result, writer, node, value_step: int | None, grad_step: int | None) -> dict:
    """The hover card of one node: its name, operation, value, gradient and local derivatives."""
    graph = result.graph
    if node.op == INPUT:
        what = "input"
    elif node.op == CONST:
        what = "constant" if not node.named else f"constant {node.name}"
    else:
        what = f"{_op_words(OPS[node.op])}: {writer.name(node.id)} = {graph.operation(node.id)}"
    locals_ = []
    if node.op not in (INPUT, CONST):
        for position, arg in enumerate(node.args):
            symbolic = writer.local_rule(node.id, position)
            number = format_number(result.partials[node.id][position])
            text = f"{writer.partial(node.id, arg)} = {symbolic}"
            locals_.append({"symbolic": text, "value": text if symbolic == number else f"{text} = {number}"})
    return {
        "key": f"v{node.id}",
        "name": writer.name(node.id),
        "kind": node.op if node.op in (INPUT, CONST) else "op",
        "what": what,
        "value": format_number(result.values[node.id]),
        "grad": None if node.op == CONST else f"{writer.partial(graph.output, node.id)} = "
                                              f"{format_number(result.grads[node.id])}",
        "locals": locals_,
        "value_step": value_step,
        "grad_step": grad_step,
    }


def _op_words(op) -> str:
    """An operator in words ('multiplication', never the internal 'mul'); a function by the name
    the user typed ('tanh')."""
    if op.kind in ("infix", "prefix"):
        return op.doc.split(" ")[0]  # 'multiplication x × y (also * and ·)' → 'multiplication'
    return op.name


def _summary_rows(result, tangents: dict | None = None) -> str:
    """The summary table's rows: every input, then the output; cells fill in as the steps go
    (``tangents``: each input's forward-mode cell, {input id: {"text", "step"}})."""
    graph = result.graph
    writer = _Writer(result)
    rows = []
    for node_id in graph.inputs + ([] if graph.output in graph.inputs else [graph.output]):
        kind = "output" if node_id == graph.output else "input"
        rows.append(
            f'<tr data-node="v{node_id}" class="bp-row-{kind}"><th scope="row">{_escape(writer.name(node_id))}'
            f'{" (output)" if kind == "output" else ""}</th>'
            f'<td class="bp-cell-value" data-known="{_escape(format_number(result.values[node_id]))}">?</td>'
            f'<td class="bp-cell-grad" data-known="{_escape(format_number(result.grads[node_id]))}">?</td>'
            + (_tangent_cell(tangents.get(node_id)) if tangents is not None else "") + "</tr>"
        )
    return "\n".join(rows)


def _tangent_cell(cell: dict | None) -> str:
    if cell is None:  # the output's row: forward mode gives gradients of inputs only
        return '<td class="bp-cell-none"></td>'
    return f'<td class="bp-cell-tangent" data-known="{_escape(cell["text"])}" data-step="{cell["step"]}">?</td>'


def annotate_svg(svg: str) -> str:
    """Graphviz's SVG, ready to inline: prolog and titles dropped, classes on the parts the page styles."""
    ET.register_namespace("", SVG_NS)
    ET.register_namespace("xlink", XLINK_NS)
    root = ET.fromstring(svg.encode("utf-8"))
    value_fill, grad_fill = VALUE_COLOUR.lower(), GRAD_COLOUR.lower()
    for parent in root.iter():
        for child in list(parent):
            if child.tag == f"{_S}title":
                parent.remove(child)  # a browser would show "v3" as a tooltip
    scene = root.find(f"{_S}g")
    if scene is not None:
        canvas = scene.find(f"{_S}polygon")
        if canvas is not None:
            canvas.set("class", "bp-canvas")
    for group in root.iter(f"{_S}g"):
        key = group.get("id", "")
        if group.get("class") == "edge" and _EDGE_KEY.fullmatch(key):
            group.set("class", "edge bp-edge")
        elif group.get("class") == "node" and _VALUE_KEY.fullmatch(key):
            _annotate_value_node(group, value_fill, grad_fill)
        elif group.get("class") == "node":
            group.set("class", "node bp-op")
    root.set("class", "bp-svg")
    root.set("role", "img")
    root.set("aria-labelledby", "bp-graph-label")
    for attribute in ("width", "height"):
        root.set(f"data-{attribute}", root.attrib.pop(attribute, ""))
    return ET.tostring(root, encoding="unicode")


def _annotate_value_node(group, value_fill: str, grad_fill: str) -> None:
    """Classes for a value box's background, border and texts; its numbers get a '?' twin."""
    paths = group.findall(f"{_S}path")
    texts = group.findall(f"{_S}text")
    if not texts:  # a constant: a plain box with one label, always known
        group.set("class", "node bp-value bp-const")
        return
    group.set("class", "node bp-value")
    if paths:
        paths[0].set("class", "bp-bg")
        paths[-1].set("class", "bp-border")
    for polygon in group.findall(f"{_S}polygon"):
        polygon.set("class", "bp-rule")
    for text in texts:
        fill = (text.get("fill") or "").lower()
        if fill == value_fill:
            text.set("class", "bp-val")
            _split_number(text, "")
        elif fill == grad_fill:
            text.set("class", "bp-grad")
            _split_number(text, " = ")
        else:
            text.set("class", "bp-name")


def _split_number(text, separator: str) -> None:
    """'∂L/∂e = 5' → '∂L/∂e = ' + <tspan class=bp-num>5</tspan> + <tspan class=bp-unknown>?</tspan>."""
    content = text.text or ""
    prefix, number = content.rsplit(separator, 1) if separator and separator in content else ("", content)
    text.text = prefix + separator if prefix else None
    known = ET.SubElement(text, f"{_S}tspan", {"class": "bp-num"})
    known.text = number
    unknown = ET.SubElement(text, f"{_S}tspan", {"class": "bp-unknown"})
    unknown.text = "?"


def _escape(text: str) -> str:
    return html.escape(text, quote=True)


def _asset(name: str) -> str:
    return resources.files(__package__).joinpath("stepper_assets", name).read_text(encoding="utf-8")
