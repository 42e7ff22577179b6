"""``--graph gradient`` for array programs: the gradient graph as autograd builds it, drawn.

The forward nodes (blue) and the backward nodes (vermillion) of ``gradient_graph.adjoint`` with
exact rewrites only (what the engine computes, step for step), each value a box with its name,
shape and value (small ones as tables); each input's gradient in bold, named ∂L/∂input.
"""

from __future__ import annotations

from ..numfmt import format_number
from .dot import _SYMBOLS, _escape, _table
from .gradient_graph import adjoint, evaluate
from .graph import CONST, INPUT
from .shapes import show_shape

VALUE_COLOUR, GRAD_COLOUR = "#0072B2", "#D55E00"  # the Okabe–Ito pair the scalar gradient graph uses
_LABELS = {**_SYMBOLS, "outer": "⊗", "spread": "spread", "onehot": "onehot", "scatter": "scatter",
           "softmax": "softmax", "log_softmax": "log_softmax", "logsumexp": "logsumexp"}


MAX_DRAWN = 600  # nodes of a gradient graph drawn at most
_ORDERED = {"sub", "div", "pow", "matmul", "outer"}  # their operands' edges say which is first (①) and second (②)


def _op_label(node) -> str:
    if node.op == "unbroadcast":
        axes = tuple(node.params["axes"])
        return f"sum axis {axes[0]}" if len(axes) == 1 else "sum axes " + ", ".join(map(str, axes))
    if node.op == "sum" and node.params.get("keepdims"):
        return "sum keepdims"
    if node.op in ("sum", "mean") and node.params.get("axis") is not None:
        return f"{node.op} axis {node.params['axis']}"
    return _LABELS.get(node.op, node.op)


def _box(name: str, shape: tuple, value, colour: str, bold: bool) -> str:
    head = f"<B>{_escape(name)}</B><BR/>" if name else ""
    cells = (f'<TD><FONT COLOR="{colour}">{head}{_escape(show_shape(shape))}</FONT></TD>'
             f"<TD>{_table(value, colour)}</TD>")
    border = "3" if bold else "1"
    return (f'<<TABLE BORDER="{border}" STYLE="rounded" CELLBORDER="0" CELLSPACING="0" CELLPADDING="4" '
            f'BGCOLOR="white" COLOR="{colour}"><TR>{cells}</TR></TABLE>>')


def render_gradient_dot(result, *, rankdir: str = "LR", title: str | None = None, **_) -> str:
    graph, out = result.graph, result.output
    built = adjoint(graph, "exact")
    nodes = built.builder.nodes
    values = evaluate(nodes, result.values)
    forward = {i for i, node in enumerate(nodes) if node.source is not None}
    names: dict[int, str] = {}
    for p in sorted(built.grads, reverse=True):  # one node may be several gradients: ∂E/∂d = ∂E/∂c
        if p != graph.output:
            gradient = f"∂{out}/∂{graph.nodes[p].name}"
            node_id = built.grads[p]
            names[node_id] = f"{names[node_id]} = {gradient}" if node_id in names else gradient
    outputs = {built.grads[i] for i in graph.inputs if i in built.grads}
    keep = set(forward)
    todo = list(outputs)
    while todo:  # the backward nodes some input's gradient needs
        item = todo.pop()
        if item in keep and item not in forward:
            continue
        keep.add(item)
        todo.extend(a for a in nodes[item].args if a not in keep)
    if len(keep) > MAX_DRAWN:  # Graphviz would take minutes over a picture no one can read
        from ..errors import RenderError

        raise RenderError(f"--graph gradient: this gradient graph has {len(keep):,} nodes, more than the "
                          f"{MAX_DRAWN} it draws; --symbolic writes its formulas at any size")
    lines = ["digraph backprop {", f'  graph [rankdir={rankdir}, bgcolor="white", nodesep=0.3, ranksep=0.4, pad=0.3];',
             '  node [fontname="Helvetica", fontsize=11];', '  edge [color="#555555", arrowsize=0.7];']
    for node in nodes:
        if node.id not in keep or node.op == CONST and node.shape == ():
            continue  # numbers are written on their operation's edge
        backward = node.id not in forward
        colour = GRAD_COLOUR if backward else VALUE_COLOUR
        name = names.get(node.id, "") if backward else (node.name or "")
        box = _box(name, node.shape, values[node.id], colour, node.id in outputs)
        lines.append(f"  v{node.id} [shape=plaintext, label={box}];")
        if node.op in (INPUT, CONST):
            continue
        symbol = _op_label(node)
        fill = "#fbe3d6" if backward else "#e3eef8"
        lines.append(f'  op{node.id} [shape={"circle" if len(symbol) <= 3 else "ellipse"}, style=filled, '
                     f'fillcolor="{fill}", color="#777777", label="{_escape(symbol)}"];')
        lines.append(f"  op{node.id} -> v{node.id};")
        for position, arg in enumerate(node.args):
            operand = nodes[arg]
            if operand.op == CONST and operand.shape == ():
                number = format_number(float(operand.value))
                lines.append(f'  c{node.id}_{position} [shape=plaintext, fontcolor="#555555", '
                             f'label="{_escape(number)}"];')
                tag = f' [label="{"①②"[position]}", fontcolor="#555555"]' if node.op in _ORDERED else ""
                lines.append(f"  c{node.id}_{position} -> op{node.id}{tag};")
            else:
                tag = f' [label="{"①②"[position]}", fontcolor="#555555"]' if node.op in _ORDERED else ""
                lines.append(f"  v{arg} -> op{node.id}{tag};")
    for input_id in graph.inputs:  # a gradient that is a forward node itself (∂L/∂b = x) gets its own box
        node_id = built.grads.get(input_id)
        if node_id in forward:
            key = f"g{input_id}"
            name = f"∂{out}/∂{graph.nodes[input_id].name}"
            box = _box(name, nodes[node_id].shape, values[node_id], GRAD_COLOUR, True)
            lines.append(f"  {key} [shape=plaintext, label={box}];")
            lines.append(f'  v{node_id} -> {key} [style=dashed, arrowhead=none, label="="];')
    caption = (f'<<FONT POINT-SIZE="11"><FONT COLOR="{VALUE_COLOUR}">blue: forward nodes</FONT>    '
               f'<FONT COLOR="{GRAD_COLOUR}">vermillion: backward nodes, as autograd builds them '
               f'(bold: ∂{_escape(out)}/∂input)</FONT></FONT>>')
    if title:
        caption = f'<{_escape(title)}<BR/>{caption[1:-1]}>'
    lines.append(f"  label={caption}; labelloc=b;")
    lines.append("}")
    return "\n".join(lines) + "\n"
