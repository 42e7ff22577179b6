"""An array program's diagram in the edge-value style of CS231n's slides (``--style edges``).

As for scalars (render/edges_view.py), the operations are the only nodes (small circles) and
each value is written on its edge: its name and shape, the value above the rule in blue and its
gradient below in vermillion; small values are tables, larger ones shape and summary. Top-down
(TB), value and gradient sit left and right of the line instead.
"""

from __future__ import annotations

from ..render.dot import FONT, OP_FILL
from .dot import _SYMBOLS, GRAD_COLOUR, VALUE_COLOUR, _escape, _table
from .graph import CONST, INPUT
from .ops_array import operation
from .shapes import show_shape


def _edge_label(name: str, shape: tuple, value, grad, across: bool) -> str:
    top = (f'<FONT COLOR="{VALUE_COLOUR}"><B>{_escape(name)}</B> {_escape(show_shape(shape))}</FONT></TD></TR>'
           f"<TR><TD>{_table(value, VALUE_COLOUR)}")
    bottom = _table(grad, GRAD_COLOUR) if grad is not None else " "
    if across:
        body = f"<TR><TD>{top}</TD></TR><HR/><TR><TD>{bottom}</TD></TR>"
    else:
        # nested tables keep each side at its own height (a cell would stretch a grid to its neighbour's)
        body = (f'<TR><TD><TABLE BORDER="0" CELLBORDER="0"><TR><TD>{top}</TD></TR></TABLE></TD><VR/>'
                f'<TD><TABLE BORDER="0" CELLBORDER="0"><TR><TD>{bottom}</TD></TR></TABLE></TD></TR>')
    return f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="3" COLOR="#555555">{body}</TABLE>>'


def render_edges(result, *, rankdir: str = "LR", title: str | None = None, wrt=None, **_) -> str:
    """DOT source with each value (and its gradient) on its edge; ``wrt`` keeps the chosen inputs' gradients."""
    graph, out = result.graph, result.output
    across = rankdir != "TB"
    out_port, in_port = ("e", "w") if across else ("s", "n")
    lines = ["digraph backprop {",
             f'  graph [rankdir={"LR" if across else "TB"}, bgcolor="white", fontname="{FONT}", nodesep=0.25, '
             'ranksep=0.35, pad=0.3, ordering=in];',
             f'  node [fontname="{FONT}", fontsize=11];',
             f'  edge [color="#555555", arrowsize=0.7, fontname="{FONT}"];']
    for node in graph.nodes:
        if node.op == CONST and node.value.ndim == 0:
            continue  # scalar constants are written beside their operation, as in the box view
        grad = result.grads[node.id] if wrt is None or node.id in wrt else None
        label = _edge_label(node.name, node.shape, result.values[node.id], grad, across)
        lines.append(f'  v{node.id} [id="v{node.id}", shape=plain, label={label}];')
        if node.op in (INPUT, CONST):
            continue
        symbol = _SYMBOLS.get(node.op, node.op)
        site = graph.site(node)
        lines.append(f'  o{node.id} [id="o{node.id}", shape=circle, style=filled, fillcolor="{OP_FILL}", '
                     f'color="#777777", width=0.45, fixedsize={"true" if len(symbol) <= 4 else "false"}, '
                     f'margin=0.02, fontsize={16 if len(symbol) == 1 else 10}, label="{_escape(symbol)}", '
                     f'tooltip="{_escape(operation(node.op).show(site))}"];')
        for position, arg in enumerate(node.args):
            operand = graph.nodes[arg]
            if operand.op == CONST and operand.value.ndim == 0:
                lines.append(f'  c{node.id}_{position} [shape=plaintext, label="{_escape(site.names[position])}"];')
                lines.append(f"  c{node.id}_{position} -> o{node.id};")
            else:
                lines.append(f"  v{arg} -> o{node.id} [tailport={out_port}];")
        lines.append(f"  o{node.id} -> v{node.id} [headport={in_port}, arrowhead=none];")
    where = ("above", "below") if across else ("left", "right")
    caption = (f'<FONT POINT-SIZE="11"><FONT COLOR="{VALUE_COLOUR}">blue, {where[0]}: value (forward pass)</FONT>    '
               f'<FONT COLOR="{GRAD_COLOUR}">vermillion, {where[1]}: gradient ∂{_escape(out)}/∂value (backward pass)'
               f"</FONT></FONT>")
    if title:
        caption = f"{_escape(title)}<BR/>{caption}"
    lines.append(f"  label=<{caption}>; labelloc=b;")
    lines.append("}")
    return "\n".join(lines) + "\n"
