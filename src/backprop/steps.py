"""Evaluated graph → Step records: what each step of the derivation says.

One list of steps feeds every writer (terminal text, JSON ``steps``, the HTML stepper,
Markdown and LaTeX), so they can never disagree. Forward steps follow the topological
order; backward steps start at the output and visit operations in reverse topological
order, then the inputs, each as the sum over the node's uses (its *terms*).
"""

from __future__ import annotations

from dataclasses import dataclass

from .backward import Gradients
from .graph import Graph
from .ops import OPS

FORWARD = "forward"
BACKWARD = "backward"


@dataclass(frozen=True, slots=True)
class Term:
    """One path into a node's gradient: ∂L/∂consumer × ∂consumer/∂node."""

    consumer: int
    position: int  # which operand of the consumer the node is
    upstream: float  # ∂L/∂consumer
    local: float  # ∂consumer/∂node
    contribution: float  # upstream × local (0 when nothing flows back)
    note: str | None = None  # a kink or undefined derivative at the consumer
    gate: str | None = None  # the consumer's gate pattern (ops.GATE_PATTERNS): "add", "mul", "max"


@dataclass(frozen=True, slots=True)
class Step:
    phase: str  # FORWARD or BACKWARD
    node: int
    value: float  # forward: the node's value; backward: its gradient
    terms: tuple[Term, ...] = ()  # backward only; empty for the output and dead nodes
    reaches_output: bool = True
    gate: str | None = None  # "copy" for a node whose gradient sums several uses (a fork)


def build_steps(graph: Graph, values: list[float], gradients: Gradients) -> list[Step]:
    """The forward steps, then the backward steps, of an evaluated graph."""
    nodes = graph.nodes
    steps = [Step(FORWARD, node.id, values[node.id]) for node in nodes if node.args]
    # A constant-only operation such as 2*3 is still a forward step; pi is a constant node.
    uses: list[list[tuple[int, int]]] = [[] for _ in nodes]
    for node in nodes:
        for position, arg in enumerate(node.args):
            uses[arg].append((node.id, position))
    reaches = reaches_output(graph)
    grads, partials, notes = gradients.grads, gradients.partials, gradients.operand_notes
    varies = depends_on_inputs(graph)
    gates = OPS.column("gate")
    # A node computed from constants alone (1/3) needs no gradient: nothing can move it.
    order = [graph.output] + [
        node.id for node in reversed(nodes) if node.args and node.id != graph.output and varies[node.id]
    ] + [i for i in graph.inputs if i != graph.output]
    for node_id in order:
        terms = []
        if node_id != graph.output:
            for consumer, position in uses[node_id]:
                upstream = grads[consumer]
                local = partials[consumer][position]
                contribution = upstream * local if upstream != 0.0 else 0.0
                terms.append(Term(consumer, position, upstream, local, contribution, notes.get((consumer, position)),
                                  gates[nodes[consumer].op] or None))
        fork = "copy" if len(terms) > 1 and reaches[node_id] else None
        steps.append(Step(BACKWARD, node_id, grads[node_id], tuple(terms), reaches[node_id], fork))
    return steps


def depends_on_inputs(graph: Graph) -> list[bool]:
    """For each node, whether some input feeds it (the others are constants, whatever their op)."""
    varies = [False] * len(graph.nodes)
    for node in graph.nodes:
        if node.op == "input" or any(varies[arg] for arg in node.args):
            varies[node.id] = True
    return varies


def reaches_output(graph: Graph) -> list[bool]:
    """For each node, whether some path leads from it to the output (the others have gradient 0)."""
    reaches = [False] * len(graph.nodes)
    reaches[graph.output] = True
    for node in reversed(graph.nodes):
        if reaches[node.id]:
            for arg in node.args:
                reaches[arg] = True
    return reaches


def wrt_inputs(graph: Graph, names) -> list[int]:
    """The input node ids of the names given to --wrt; an unknown name raises UnknownName."""
    import difflib

    from .errors import UnknownName

    by_name = {graph.nodes[i].name: i for i in graph.inputs}
    wanted = [name.strip() for name in names if name.strip()]
    if not wanted:
        raise UnknownName("--wrt needs at least one input name (for example --wrt a,b)")
    ids = []
    for name in wanted:
        if name not in by_name:
            known = ", ".join(by_name) or "none"
            close = difflib.get_close_matches(name, list(by_name), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise UnknownName(f"--wrt '{name}' is not an input of the program{hint}; its inputs are: {known}")
        if by_name[name] not in ids:
            ids.append(by_name[name])
    return ids


def relevant_nodes(graph: Graph, wrt_ids) -> set[int]:
    """The nodes on a path from one of ``wrt_ids`` to the output (the output included).

    Their gradients are exactly the ones the chain rule needs for ∂output/∂wrt; every
    other backward step can be left out of a derivation restricted to ``wrt_ids``.
    """
    nodes = graph.nodes
    depends = [False] * len(nodes)  # depends on a wrt input
    for i in wrt_ids:
        depends[i] = True
    for node in nodes:  # topological order: operands before their consumers
        if any(depends[arg] for arg in node.args):
            depends[node.id] = True
    reaches = reaches_output(graph)
    return {node.id for node in nodes if depends[node.id] and reaches[node.id]} | {graph.output}


class Focus(frozenset):
    """--wrt resolved once: the ids of the nodes a restricted derivation shows."""


def restrict(graph: Graph, wrt) -> Focus | None:
    """The node ids a derivation restricted to the input names ``wrt`` shows (None: all of them).

    A ``Focus`` (already resolved) is returned as it is, so writers never resolve names twice.
    """
    if wrt is None or isinstance(wrt, Focus):
        return wrt
    if isinstance(wrt, str):
        wrt = wrt.split(",")
    return Focus(relevant_nodes(graph, wrt_inputs(graph, wrt)))
