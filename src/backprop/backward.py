"""Graph + values → the gradient of the output with respect to every node (reverse mode).

One loop over the nodes in reverse topological order. Each operation's local partials
come from the registry's rules (compiled once by ``rules.py``); the upstream gradient multiplies them once and is accumulated
with ``+=`` into each operand, so a node used on several paths sums their contributions.
"""

from __future__ import annotations

from typing import NamedTuple

from .graph import CONST, Graph
from .ops import OPS
from .rules import sweep_column


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
    rules = sweep_column()  # constant and swapped partials without a call
    note_rules = OPS.column("note")
    notes: dict[int, str] = {}
    operand_notes: dict[tuple[int, int], str] = {}
    # Two branches by arity, each whole: the common binary step reads its op once and tests its
    # arity once (the sweep is about a third of a derivation's engine time).
    for node in reversed(nodes):
        args = node.args
        if len(args) == 2:
            x, y = args
            op = node.op
            node_id = node.id
            rule = rules[op]
            if rule is None:  # swapped operands (mul)
                local = partials[node_id] = (values[y], values[x])
            elif type(rule) is tuple:  # constants (add, sub)
                local = partials[node_id] = rule
            else:
                local = partials[node_id] = rule(values[x], values[y], values[node_id])
            upstream = grads[node_id]
            # Nothing flows back at 0: skipped, so an infinite local derivative does not turn 0 into nan.
            if upstream != 0.0:
                if note_rules[op] is not None:
                    _note_kinks(note_rules[op], nodes, node_id, args, (values[x], values[y]), values[node_id],
                                notes, operand_notes)
                grads[x] += upstream * local[0]
                grads[y] += upstream * local[1]
        elif args:
            x = args[0]
            op = node.op
            node_id = node.id
            rule = rules[op]
            local = partials[node_id] = rule if type(rule) is tuple else rule(values[x], values[node_id])
            upstream = grads[node_id]
            if upstream != 0.0:
                if note_rules[op] is not None:
                    _note_kinks(note_rules[op], nodes, node_id, args, (values[x],), values[node_id], notes,
                                operand_notes)
                grads[x] += upstream * local[0]
    return Gradients(grads, partials, notes, operand_notes)


def _note_kinks(note_rule, nodes, node_id: int, args: tuple, operands: tuple, value: float, notes: dict,
                operand_notes: dict) -> None:
    """The kinks and undefined derivatives a step meets (relu at 0, sqrt at 0), by operand."""
    for position, arg in enumerate(args):
        if nodes[arg].op == CONST:
            continue  # a constant needs no gradient, so its partial's kink does not matter
        note = note_rule(operands, value, position)
        if note:
            operand_notes[node_id, position] = note
            notes.setdefault(node_id, note)
