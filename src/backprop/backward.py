"""Graph + values → the gradient of the output with respect to every node (reverse mode).

One loop over the nodes in reverse topological order. Each operation's local partials
come from the registry's rules (compiled once by ``rules.py``); the upstream gradient multiplies them once and is accumulated
with ``+=`` into each operand, so a node used on several paths sums their contributions.
"""

from __future__ import annotations

from typing import NamedTuple

from .graph import CONST, Graph
from .ops import OPS
from .rules import partials_column


class Gradients(NamedTuple):
    grads: list[float]  # ∂output/∂node, by node id
    partials: list[tuple[float, ...] | None]  # each operation's local derivatives, by node id
    notes: dict[int, str]  # kinks and undefined derivatives met at this point, by node id (the first one)
    operand_notes: dict[tuple[int, int], str]  # the same, by (node id, operand position): whose partial it is


def backward(graph: Graph, values: list[float]) -> Gradients:
    """Reverse-mode sweep from the output (whose gradient is 1) to the inputs."""
    nodes = graph.nodes
    grads = [0.0] * len(nodes)
    partials: list = [None] * len(nodes)
    grads[graph.output] = 1.0
    rules = partials_column()
    note_rules = OPS.column("note")
    notes: dict[int, str] = {}
    operand_notes: dict[tuple[int, int], str] = {}
    for node in reversed(nodes):
        args = node.args
        if not args:
            continue
        node_id = node.id
        binary = len(args) == 2
        if binary:
            x, y = args
            local = partials[node_id] = rules[node.op](values[x], values[y], values[node_id])
        else:
            x = args[0]
            local = partials[node_id] = rules[node.op](values[x], values[node_id])
        upstream = grads[node_id]
        if upstream == 0.0:
            # Nothing flows back: skip, so an infinite local derivative does not turn 0 into nan.
            continue
        note_rule = note_rules[node.op]
        if note_rule is not None:
            operands = (values[x], values[y]) if binary else (values[x],)
            for position, arg in enumerate(args):
                if nodes[arg].op == CONST:
                    continue  # a constant needs no gradient, so its partial's kink does not matter
                note = note_rule(operands, values[node_id], position)
                if note:
                    operand_notes[node_id, position] = note
                    notes.setdefault(node_id, note)
        grads[x] += upstream * local[0]
        if binary:
            grads[y] += upstream * local[1]
    return Gradients(grads, partials, notes, operand_notes)
