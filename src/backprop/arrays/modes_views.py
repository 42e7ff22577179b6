"""The --mode forward and --cost sections of an array derivation: text (Unicode, ASCII), Markdown,
LaTeX and JSON. The numbers come from ``arrays/modes.py``; these printers only print."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..numfmt import format_number
from .graph import INPUT
from .ops_array import ELEMENTWISE, operation
from .render import _latex_name, _latex_text, _list, show_value
from .shapes import show_shape


def dot(name: str) -> str:
    """ȧ: the tangent of a node (a combining dot over its first letter, as the scalar sections write it)."""
    return name[0] + "\u0307" + name[1:]


def element(name: str, index: tuple) -> str:
    return f"{name}[{', '.join(map(str, index))}]" if index else name


def _agrees(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


_LINEAR = ("sum", "mean", "transpose", "index")  # linear in their operand: the tangent goes through the op itself


def tangent_formula(graph, node, tangents: dict) -> str:
    """How a node's tangent is made from its operands' (those the seed reaches): ``Ẇ @ x + W @ ẋ``,
    ``ȧ + ḃ``, ``(∂h/∂a) ⊙ ȧ`` for an elementwise function, ``sum(ȧ)``; ``(∂p/∂z) · ż`` (the local
    Jacobian times the tangent) for softmax and the other operations that mix a row's elements."""
    site = graph.site(node)
    terms = []
    for position, arg in enumerate(node.args):
        if arg not in tangents:
            continue
        names = list(site.names)
        names[position] = dot(names[position])
        tangent = names[position]
        op = node.op
        if op == "matmul":
            terms.append(f"{names[0]} @ {names[1]}")
        elif op in _LINEAR:
            terms.append(operation(op).show(replace(site, names=tuple(names))))
        elif op == "add" or op == "sub" and position == 0:
            terms.append(tangent)
        elif op in ("sub", "neg"):
            terms.append(f"−{tangent}")
        elif op == "mul":
            terms.append(f"{names[0]} ⊙ {names[1]}")
        elif op in ELEMENTWISE:
            terms.append(f"(∂{node.name}/∂{site.names[position]}) ⊙ {tangent}")
        else:
            terms.append(f"(∂{node.name}/∂{site.names[position]}) · {tangent}")
    return " + ".join(terms).replace("+ −", "− ")


def forward_lines(result, mode) -> list[str]:
    """The sweeps as text lines: the first ones in full, then what the others found."""
    graph, out = result.graph, result.output
    n = mode.total
    lines = ["", f"Forward mode: one sweep per input element ({n:,} sweep{'s' if n != 1 else ''} for {n:,} "
                 f"element{'s' if n != 1 else ''}), carrying each node's tangent (its derivative with respect to "
                 f"that one element, an array of the node's shape) from the inputs to {out}; each operation's "
                 f"tangent is its local Jacobian times its operands' tangents (⊙: elementwise), and a node the "
                 f"element does not reach keeps the tangent 0 and is not printed"]
    for number, sweep in enumerate(mode.sweeps, start=1):
        seed = graph.nodes[sweep.input]
        others = [graph.nodes[i].name for i in graph.inputs if i != sweep.input]
        zeros = f", {', '.join(dot(n) for n in others)} = 0" if others else ""
        lines.append(f"  Sweep {number} of {n:,}, for {element(seed.name, sweep.index)}: "
                     f"{dot(seed.name)} = {show_value(sweep.tangents[sweep.input])} (1 at {list(sweep.index)}){zeros}"
                     if sweep.index else f"  Sweep {number} of {n:,}, for {seed.name}: {dot(seed.name)} = 1{zeros}")
        for node in graph.nodes[sweep.input + 1:]:
            if node.id not in sweep.tangents:
                continue
            lines.append(f"    {dot(node.name)} = {tangent_formula(graph, node, sweep.tangents)}   "
                         f"{show_shape(node.shape)}")
            lines.append(f"       = {show_value(sweep.tangents[node.id])}")
        reverse = float(np.asarray(result.gradients[seed.name])[sweep.index])
        check = "✓" if _agrees(sweep.gradient, reverse) else "✗"
        lines.append(f"    so ∂{out}/∂{element(seed.name, sweep.index)} = {dot(out)} = "
                     f"{format_number(sweep.gradient)}   (reverse mode: {format_number(reverse)} {check})")
    if mode.run > len(mode.sweeps):
        lines.append(f"  Sweeps {len(mode.sweeps) + 1}–{mode.run} are not printed: each gave one element of the "
                     f"gradient below")
    if mode.budget_hit:
        lines.append(f"  Note: {mode.total - mode.run:,} sweeps were not run: they would exceed the budget of "
                     f"multiply-adds a derivation spends (those elements read nan); reverse mode needs one sweep")
    lines.append(f"  Assembled from the {mode.run:,} sweeps run:")
    for name, gradient in mode.gradients.items():
        reverse = result.gradients[name]
        same = all(_agrees(a, b) for a, b in zip(np.ravel(gradient), np.ravel(reverse)) if not np.isnan(a))
        lines.append(f"    ∂{out}/∂{name} {show_shape(np.shape(gradient))} = {show_value(gradient)}   "
                     f"({'equals' if same else 'DIFFERS from'} reverse mode's)")
    lines.append(f"  Forward mode took {mode.total:,} sweeps, one per input element; reverse mode took 1 backward "
                 f"sweep for every element's gradient")
    return lines


def cost_lines(result, cost: dict) -> list[str]:
    out = result.output
    n, edges = cost["inputs"], cost["edges"]
    lines = ["", f"Cost on this program (multiply-adds of local derivatives, counted from the shapes: {n:,} input "
                 f"element{'s' if n != 1 else ''} in {cost['arrays']} input{'s' if cost['arrays'] != 1 else ''}, "
                 f"{edges:,} nonzeros over the operations' local Jacobians, the scalar graph's edges)",
             f"  forward mode: {n:,} sweep{'s' if n != 1 else ''} (one per input element), "
             f"{cost['forward']['multiplications']:,} multiply-adds",
             f"  reverse mode: 1 sweep, {edges:,} multiply-adds: one backward pass computes the gradient of all "
             f"{n:,} elements",
             f"  forward mode costs {n:,}× reverse mode here: the gap grows with the inputs (a 512×512 weight "
             f"matrix alone would take 262,144 sweeps), which is why training uses reverse mode",
             "  per operation (nonzeros of its local Jacobians, done once per sweep):"]
    width = max((len(f"{o['node']} = {o['operation']}") for o in cost["operations"]), default=0)
    for o in cost["operations"]:
        lines.append(f"    {o['node'] + ' = ' + o['operation']:<{width}}  {o['edges']:>8,}")
    return lines


def forward_json(result, mode) -> dict:
    graph = result.graph
    return {
        "sweeps": [{"input": graph.nodes[s.input].name, "index": list(s.index),
                    "seed": f"{element(graph.nodes[s.input].name, s.index)} = 1",
                    "tangent": s.gradient,
                    "reverse": float(np.asarray(result.gradients[graph.nodes[s.input].name])[s.index]),
                    "tangents": {graph.nodes[i].name: _list(t) for i, t in s.tangents.items()
                                 if graph.nodes[i].op != INPUT or i == s.input}}
                   for s in mode.sweeps],
        "sweeps_total": mode.total, "sweeps_run": mode.run,  # the scalar document's keys
        "gradients": {name: _list(g) for name, g in mode.gradients.items()},
        "note": (f"{mode.total - mode.run} sweeps were not run: they would exceed the budget" if mode.budget_hit
                 else None),
    }


def markdown_section(lines: list[str], title: str) -> list[str]:
    """A text section as Markdown: its first line a paragraph, the rest in a text block."""
    head, *rest = [line for line in lines if line]
    return ["", f"## {title}", "", head, "", "```text", *rest, "```"]


def latex_section(lines: list[str], title: str) -> list[str]:
    """A text section as LaTeX: its first line a paragraph, the rest verbatim in ASCII (pdflatex's
    verbatim has no ∂, no combining dot)."""
    from .views import to_ascii_section

    head, *rest = [line for line in lines if line]
    return [rf"\section*{{{_latex_text(title)}}}", _latex_text(head), r"\begin{verbatim}",
            *(to_ascii_section(line) for line in rest), r"\end{verbatim}"]


__all__ = ["forward_lines", "cost_lines", "forward_json", "markdown_section", "latex_section", "_latex_name"]
