"""Result → DOT in the edge-value style of CS231n's slides (``--style edges``).

The operations are the only nodes (small circles). Each value is written on its edge: the
value above the line in blue, its gradient below in vermillion (the same Okabe–Ito pair as
the box view), the way a lecturer writes them on a slide. The label sits on the line itself:
the edge runs into one side of the label and out of the other, through the rule between the
two numbers. Inputs start a line with their name; the output ends one. Top-down (TB), the
value and the gradient sit left and right of the line instead.
"""

from __future__ import annotations

from ..graph import CONST, INPUT, display_name
from ..numfmt import format_number
from ..ops import OPS
from .dot import (_SPINE, FONT, GRAD_COLOUR, OP_FILL, VALUE_COLOUR, _copies_note, _copy_node, _escape, _hidden_region,
                  chain_links, nodes_to_draw, operand_tag, widely_used)


def _edge_label(name: str, value: str, grad: str | None, across: bool, bold: bool, show_name: bool,
                colour: str = VALUE_COLOUR) -> str:
    """A value on its line: [name =] value over (or, top-down, beside) the gradient, split by a rule."""
    shown = f"{_escape(name)} = " if show_name else ""
    if bold:
        shown = f"<B>{shown}</B>"
    top = f'<FONT COLOR="{colour}">{shown}{_escape(value)}</FONT>'
    bottom = f'<FONT COLOR="{GRAD_COLOUR}">{_escape(grad)}</FONT>' if grad is not None else " "
    if across:
        body = f"<TR><TD>{top}</TD></TR><HR/><TR><TD>{bottom}</TD></TR>"
    else:
        body = f'<TR><TD ALIGN="RIGHT">{top}</TD><VR/><TD ALIGN="LEFT">{bottom}</TD></TR>'
    return (f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="3" COLOR="#555555">'
            f"{body}</TABLE>>")


def render_edges(result, *, rankdir: str = "LR", max_nodes: int | None = None, title: str | None = None,
                 wrt=None) -> str:
    """The graph with values on its edges: ``rankdir`` LR or TB (render_dot chooses for auto)."""
    from ..steps import depends_on_inputs, restrict

    graph = result.graph
    wrt = restrict(graph, wrt)
    across = rankdir != "TB"
    out_port, in_port = ("e", "w") if across else ("s", "n")
    shown = nodes_to_draw(graph, max_nodes)
    varies = depends_on_inputs(graph)
    copied = widely_used(graph, shown)  # as the box view: a value used many times is drawn from copies
    spine = chain_links(graph)  # and a long sum runs straight
    # A gradient graph (--graph gradient) has no gradients of its own: its backward nodes' values are.
    has_grads = getattr(result, "grads", None) is not None
    backward = getattr(result, "backward", set())
    outputs = {i for _, i in getattr(graph, "outputs", [])} | {graph.output}
    out = display_name(result.output)
    lines = [
        "digraph backprop {",
        f'  graph [rankdir={"LR" if across else "TB"}, bgcolor="white", fontname="{FONT}", nodesep=0.25, '
        'ranksep=0.35, pad=0.3, ordering=in];',
        f'  node [fontname="{FONT}", fontsize=13];',
        f'  edge [color="#555555", arrowsize=0.7, fontname="{FONT}"];',
    ]
    for node in graph.nodes:
        if shown is not None and node.id not in shown:
            continue
        key = f"v{node.id}"
        name = display_name(node.name)
        value = format_number(result.values[node.id])
        grad = None
        if has_grads and node.op != CONST and varies[node.id] and (wrt is None or node.id in wrt):
            grad = format_number(result.grads[node.id])
        is_output = node.id in outputs
        # Names where a reader needs them: inputs, the output, the user's own bindings and named constants.
        show_name = node.op == INPUT or is_output or node.named
        colour = GRAD_COLOUR if node.id in backward else VALUE_COLOUR
        label = _edge_label(name, value, grad, across, node.op == INPUT or is_output, show_name, colour)
        lines.append(f'  {key} [id="{key}", shape=plain, label={label}];')
        if node.op in (INPUT, CONST):
            continue
        op = OPS[node.op]
        lines.append(
            f'  o{node.id} [id="o{node.id}", shape=circle, style=filled, fillcolor="{OP_FILL}", color="#777777", '
            f'width=0.45, fixedsize={"true" if len(op.label) <= 4 else "false"}, margin=0.02, '
            f'fontsize={16 if len(op.label) == 1 else 10}, label="{_escape(op.label)}"];')
        ordered = op.kind == "infix" and node.op in ("sub", "div", "pow")
        for position, arg in enumerate(node.args):
            if shown is not None and arg not in shown:
                lines.append(f"  hidden -> o{node.id} [style=dashed];")
                continue
            tag = operand_tag(position) if ordered else ""
            if position == 0 and spine.get(node.id):
                tag += _SPINE
            tail = f"v{arg}"
            if (node.id, position) in copied.get(arg, ()):
                tail = f"u{arg}_o{node.id}_{position}"
                lines.append(_copy_node(tail, graph.nodes[arg]))
            lines.append(f'  {tail} -> o{node.id} [id="v{arg}_o{node.id}_{position}", tailport={out_port}{tag}];')
        pulled = _SPINE if node.id in spine else ""
        lines.append(f'  o{node.id} -> {key} [id="o{node.id}_{key}", headport={in_port}, arrowhead=none{pulled}];')
    if shown is not None:
        lines += _hidden_region(graph, shown)
    caption = (f'<FONT POINT-SIZE="11"><FONT COLOR="{VALUE_COLOUR}">blue, above: value (forward pass)</FONT>    '
               f'<FONT COLOR="{GRAD_COLOUR}">vermillion, below: gradient ∂{_escape(out)}/∂value '
               f'(backward pass)</FONT></FONT>')
    if not has_grads:
        caption = (f'<FONT POINT-SIZE="11"><FONT COLOR="{VALUE_COLOUR}">blue: forward values</FONT>    '
                   f'<FONT COLOR="{GRAD_COLOUR}">vermillion: backward values, as autograd computes them</FONT></FONT>')
    if not across:
        caption = caption.replace("above", "left").replace("below", "right")
    if copied:
        caption = f"{_escape(_copies_note(graph, copied, 'label'))}<BR/>{caption}"
    if shown is not None:
        caption = (f"Showing {len(shown):,} of {len(graph.nodes):,} nodes (--max-nodes {max_nodes}); "
                   f"the dashed box stands for the rest.<BR/>{caption}")
    if title:
        caption = f"{_escape(title)}<BR/>{caption}"
    lines.append(f"  label=<{caption}>; labelloc=b;")
    lines.append("}")
    return "\n".join(lines) + "\n"
