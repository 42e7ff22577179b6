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


UNKNOWN = "#57606A"  # the "?" of a value or gradient not yet computed (the scalar GIF's grey)


def _cell_width(text: str) -> int:
    """Points that hold ``text`` at the boxes' font size: "?" and the number get the same cell, so a
    GIF's frames keep one layout while the numbers appear."""
    return int(len(text) * 11 * 0.62 + 12)


def _shown(text: str, colour: str, known: bool) -> str:
    return f'<FONT COLOR="{colour}">{_escape(text)}</FONT>' if known else f'<FONT COLOR="{UNKNOWN}">?</FONT>'


def _table(array, colour: str, known: bool = True, steady: bool = False) -> str:
    """A small value as a grid of cells; a larger one as its summary. ``steady``: every cell as wide as
    its number needs, and "?" in place of what is not ``known`` yet (the GIF's frames)."""
    array = np.asarray(array)
    if array.ndim == 0 or not is_small(array) or array.size == 0:
        return _shown(show_value(array), colour, known)
    rows = array.reshape(1, -1) if array.ndim == 1 else array

    def cell(v) -> str:
        text = format_number(float(v))
        width = f' WIDTH="{_cell_width(text)}"' if steady else ""
        return f"<TD{width}>{_shown(text, colour, known)}</TD>"

    body = "".join("<TR>" + "".join(cell(v) for v in row) + "</TR>" for row in rows)
    return f'<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="3" COLOR="#bbbbbb">{body}</TABLE>'


def _label(name: str, shape: tuple, value, grad, out: str, current: str | None = None,
           known: tuple[bool, bool] | None = None) -> str:
    """A value's box; ``current``: the outline colour of the step's node; ``known``: (value, gradient)
    known yet, for a GIF frame (None: everything shown)."""
    steady = known is not None
    value_known, grad_known = known or (True, True)

    def holder(array, colour, shown) -> str:
        array = np.asarray(array)
        small = array.ndim and is_small(array) and array.size
        width = f' WIDTH="{_cell_width(show_value(array))}"' if steady and not small else ""
        return f"<TD{width}>{_table(array, colour, shown, steady)}</TD>"

    cells = [f"<TD><B>{_escape(name)}</B><BR/>{_escape(show_shape(shape))}</TD>", holder(value, VALUE_COLOUR, value_known)]
    if grad is not None:
        cells.append(f'<TD><FONT COLOR="{GRAD_COLOUR}">∂{_escape(out)}/∂{_escape(name)}</FONT></TD>'
                     + holder(grad, GRAD_COLOUR, grad_known))
    # the outline thickens inward (border + padding stays 5 points), so a GIF's layout does not move
    border, padding, colour = ("4", "1", current) if current else ("1", "4", "#333333")
    return (f'<<TABLE BORDER="{border}" STYLE="rounded" CELLBORDER="0" CELLSPACING="0" CELLPADDING="{padding}" '
            f'BGCOLOR="white" COLOR="{colour}"><TR>{"".join(cells)}</TR></TABLE>>')


def render_dot(result, *, rankdir: str = "LR", title: str | None = None, wrt=None, current: int | None = None,
               max_nodes: int | None = None, reveal=None, current_colour: str = "#e8590c", **_) -> str:
    """DOT source; with ``wrt`` (a steps.Focus) only the nodes on the chosen inputs' paths show gradients;
    ``current`` outlines one node in ``current_colour`` (the GIF's frame of that step); ``reveal``
    (the node ids whose values, and whose gradients, are known) writes "?" for the rest in cells
    of fixed width. Past ``max_nodes`` boxes and circles, the part nearest the output and the
    inputs is drawn and the rest summarised, as for scalars."""
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
        grad = result.grads[node.id] if wrt is None or node.id in wrt else None
        known = None if reveal is None else (node.id in reveal[0], node.id in reveal[1])
        outline = current_colour if node.id == current else None
        lines.append(f'  v{node.id} [shape=plaintext, label={_label(node.name, node.shape, result.values[node.id], grad, out, outline, known)}];')
        if node.op in (INPUT, CONST):
            continue
        symbol = _SYMBOLS.get(node.op, node.op)
        site = graph.site(node)
        shape = "circle" if len(symbol) <= 3 else "ellipse"
        # a GIF's forward step fills its operation in the pass's colour, as the scalar GIF does
        filled = (f', style=filled, fillcolor="{current_colour}", color="{current_colour}", fontcolor="white"'
                  if node.id == current and current_colour == VALUE_COLOUR else "")
        lines.append(f'  op{node.id} [shape={shape}, label="{_escape(symbol)}", tooltip="{_escape(operation(node.op).show(site))}"{filled}];')
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
