"""The diagram of an array program: each value a box with its name and shape, small values and
their gradients drawn as tables (larger ones as shape and summary), each operation a circle."""

from __future__ import annotations

import html

import numpy as np

from ..numfmt import format_number
from .graph import CONST, INPUT
from .ops_array import operation
from .render import is_small, show_value
from .shapes import show_shape

VALUE_COLOUR, GRAD_COLOUR = "#1f4e9c", "#b3261e"
_SYMBOLS = {"matmul": "@", "add": "+", "sub": "−", "mul": "×", "div": "÷", "pow": "^", "neg": "−",
            "transpose": "ᵀ", "stack": "[ ]", "index": "[i]"}


def _escape(text: str) -> str:
    return html.escape("".join(c for c in text if c.isprintable()), quote=True)


def _table(array, colour: str) -> str:
    """A small value as a grid of cells; a larger one as its summary."""
    array = np.asarray(array)
    if array.ndim == 0 or not is_small(array) or array.size == 0:
        return f'<FONT COLOR="{colour}">{_escape(show_value(array))}</FONT>'
    rows = array.reshape(1, -1) if array.ndim == 1 else array
    body = "".join("<TR>" + "".join(f'<TD><FONT COLOR="{colour}">{_escape(format_number(float(v)))}</FONT></TD>'
                                    for v in row) + "</TR>" for row in rows)
    return f'<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="3" COLOR="#bbbbbb">{body}</TABLE>'


def _label(name: str, shape: tuple, value, grad, out: str, current: bool = False) -> str:
    cells = [f"<TD><B>{_escape(name)}</B><BR/>{_escape(show_shape(shape))}</TD>", f"<TD>{_table(value, VALUE_COLOUR)}</TD>"]
    if grad is not None:
        cells.append(f'<TD><FONT COLOR="{GRAD_COLOUR}">∂{_escape(out)}/∂{_escape(name)}</FONT></TD>'
                     f"<TD>{_table(grad, GRAD_COLOUR)}</TD>")
    border, colour = ("4", "#e8590c") if current else ("1", "#333333")
    return (f'<<TABLE BORDER="{border}" STYLE="rounded" CELLBORDER="0" CELLSPACING="0" CELLPADDING="4" '
            f'BGCOLOR="white" COLOR="{colour}"><TR>{"".join(cells)}</TR></TABLE>>')


def render_dot(result, *, rankdir: str = "LR", title: str | None = None, wrt=None, current: int | None = None,
               max_nodes: int | None = None, **_) -> str:
    """DOT source; with ``wrt`` (a steps.Focus) only the nodes on the chosen inputs' paths show gradients;
    ``current`` outlines one node (the GIF's frame of that step). Past ``max_nodes`` boxes and circles,
    the part nearest the output and the inputs is drawn and the rest summarised, as for scalars."""
    from ..render.dot import _hidden_region, nodes_to_draw

    graph, out = result.graph, result.output
    shown = nodes_to_draw(graph, max_nodes)
    lines = ["digraph backprop {", f"  rankdir={rankdir};", '  node [fontname="Helvetica", fontsize=11];',
             '  edge [color="#555555"];']
    if title:
        lines.append(f'  labelloc=t; label="{_escape(title)}";')
    for node in graph.nodes:
        if node.op == CONST and node.value.ndim == 0 or shown is not None and node.id not in shown:
            continue  # scalar constants are written on their operation's edge; hidden nodes are summarised
        lines.append(f'  v{node.id} [shape=plaintext, label={_label(node.name, node.shape, result.values[node.id], result.grads[node.id] if wrt is None or node.id in wrt else None, out, node.id == current)}];')
        if node.op in (INPUT, CONST):
            continue
        symbol = _SYMBOLS.get(node.op, node.op)
        site = graph.site(node)
        shape = "circle" if len(symbol) <= 3 else "ellipse"
        lines.append(f'  op{node.id} [shape={shape}, label="{_escape(symbol)}", tooltip="{_escape(operation(node.op).show(site))}"];')
        lines.append(f"  op{node.id} -> v{node.id};")
        for position, arg in enumerate(node.args):
            operand = graph.nodes[arg]
            if operand.op == CONST and operand.value.ndim == 0:
                lines.append(f'  c{node.id}_{position} [shape=plaintext, label="{_escape(site.names[position])}"];')
                lines.append(f"  c{node.id}_{position} -> op{node.id};")
            elif shown is not None and arg not in shown:
                lines.append(f"  hidden -> op{node.id} [style=dashed];")
            else:
                lines.append(f"  v{arg} -> op{node.id};")
    if shown is not None:
        lines += _hidden_region(graph, shown)
    lines.append("}")
    return "\n".join(lines) + "\n"
