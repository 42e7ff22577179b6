"""Graph + input values → the value of every node (the forward pass).

One loop over the nodes in topological order. A node whose value is undefined or
overflows raises ``DomainError`` naming the node, its expression and its operands'
values, with the node's span so the caret lands under it.
"""

from __future__ import annotations

import math
from typing import Mapping

from .errors import DomainError, MissingValue
from .graph import CONST, INPUT, Graph
from .numfmt import format_number
from .ops import OPS


def forward(graph: Graph, inputs: Mapping[str, float]) -> list[float]:
    """Evaluate every node; values are indexed by node id."""
    nodes = graph.nodes
    missing = [nodes[i].name for i in graph.inputs if nodes[i].name not in inputs]
    if missing:
        raise MissingValue(_missing_message(missing))
    functions = OPS.column("forward")
    values: list[float] = []
    append = values.append
    node = None
    try:
        for node in nodes:
            args = node.args
            if len(args) == 2:
                append(functions[node.op](values[args[0]], values[args[1]]))
            elif len(args) == 1:
                append(functions[node.op](values[args[0]]))
            elif node.op == INPUT:
                append(float(inputs[node.name]))
            elif node.op == CONST:
                append(node.value)
            else:  # an operation with no operands
                append(functions[node.op]())
    except (ValueError, ZeroDivisionError, OverflowError):
        # sin(inf) raises, but the fault is the earlier node that overflowed (y = x*x), if there is one.
        culprit = _first_non_finite(values)
        raise _domain_error(graph, node.id if culprit is None else culprit, values) from None
    # Overflow without an exception (1e308 * 10 = inf): find the first non-finite node.
    # Checking a sum first keeps this one pass of C code in the common, finite case.
    culprit = _first_non_finite(values)
    if culprit is not None:
        raise _domain_error(graph, culprit, values)
    return values


def _first_non_finite(values: list[float]) -> int | None:
    """The id of the first node whose value is inf or nan, or None if every value is finite."""
    if math.isfinite(sum(values)):
        return None
    # The sum of finite values can itself overflow (1e308 + 1e308), so the search may find nothing.
    return next((node_id for node_id, value in enumerate(values) if not math.isfinite(value)), None)


def _missing_message(missing: list[str]) -> str:
    listed = ", ".join(missing)
    example = " ".join(f"{name}=1" for name in missing[:4])
    noun = "variable has" if len(missing) == 1 else "variables have"
    in_python = ", ".join(f"'{name}': 1" for name in missing[:4])
    return f"{len(missing)} {noun} no value: {listed} (give values with --set {example}, from Python {{{in_python}}})"


def _domain_error(graph: Graph, node_id: int, values: list[float]) -> DomainError:
    """Name the failing operation as the user wrote it, with the values of its operands."""
    node = graph.nodes[node_id]
    op = OPS.get(node.op)
    operand_values = [values[arg] for arg in node.args]
    reason = op.domain(*operand_values) if op and op.domain else "the result is not a finite number"
    seen = []
    for arg in node.args:
        operand = graph.nodes[arg]
        if operand.op == CONST and not operand.named:
            continue  # a literal shows its own value
        expression, value = _short(graph.expression(arg)), format_number(values[arg])
        if expression == value:
            continue  # -1 = -1 says nothing
        text = f"{expression} = {value}"
        if text not in seen:
            seen.append(text)
    at = f" with {', '.join(seen)}" if seen else ""
    what = _short(graph.expression(node_id))
    if node.named:
        what = f"{node.name} = {what}"
    return DomainError(f"cannot compute {what}{at}: {reason}", node.span)


def _short(text: str, limit: int = 60) -> str:
    """Expressions from generated programs can be huge; a message shows their start."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
