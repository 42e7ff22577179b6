"""Graph + parameters + data rows → the mean loss and its gradient, for many rows at once.

A training run evaluates one graph thousands of times with new numbers. The program is
parsed and lowered once; each evaluation then runs the forward and backward loops of
``forward.py``/``backward.py`` over *columns*: every node holds one value per row, and each
operation is applied to a whole column with ``map`` (the registry's forward functions and
its compiled partials, ``rules.partials_column``), so the per-node work of the interpreter
is paid once per batch, not once per row. The backward pass visits only the nodes a
parameter reaches (data and constants need no gradient) unless every gradient is asked for.
"""

from __future__ import annotations

import math
from operator import add
from typing import NamedTuple, Sequence

from ..graph import CONST, INPUT, Graph
from ..ops import OPS
from ..rules import partials_column


class Evaluation(NamedTuple):
    """One forward and backward sweep over a batch of rows."""

    loss: float  # the mean over the rows of the program's output
    gradient: list[float]  # ∂loss/∂parameter, in the order of the parameters
    values: list[list[float]]  # every node's value, per row (columns: values[node][row])
    grads: list[list[float] | None]  # ∂(row's output)/∂node per row; None where not computed


class Overflow(ArithmeticError):
    """An operation overflowed (exp(1000)): the run diverged."""


class Undefined(ArithmeticError):
    """An operation is undefined on some row (log of a negative number, 1/0)."""


class BatchedGraph:
    """A lowered program ready to be evaluated on columns of values."""

    def __init__(self, graph: Graph, parameters: Sequence[str]):
        self.graph = graph
        by_name = {graph.nodes[i].name: i for i in graph.inputs}
        self.parameter_ids = [by_name[name] for name in parameters]
        # The nodes a parameter reaches: only they need a gradient during training.
        reached = [False] * len(graph.nodes)
        for node_id in self.parameter_ids:
            reached[node_id] = True
        for node in graph.nodes:
            if node.args and any(reached[arg] for arg in node.args):
                reached[node.id] = True
        self.reached = reached
        self._everything = [node.op != CONST for node in graph.nodes]

    def evaluate(self, inputs: dict[str, float | list[float]], rows: int, *, every_gradient: bool = False) -> Evaluation:
        """The mean loss over ``rows`` rows and its gradient; an input is a number or a column of ``rows`` numbers.

        Raises ``Overflow`` or ``Undefined`` when an operation fails on some row.
        """
        values = self.forward(inputs, rows)
        grads = self.backward(values, rows, self._everything if every_gradient else self.reached)
        loss = sum(values[self.graph.output]) / rows
        gradient = [sum(grads[i]) / rows if grads[i] is not None else 0.0 for i in self.parameter_ids]
        return Evaluation(loss, gradient, values, grads)

    def forward(self, inputs: dict[str, float | list[float]], rows: int) -> list[list[float]]:
        """Every node's column of values, in topological order."""
        functions = OPS.column("forward")
        values: list[list[float]] = []
        append = values.append
        try:
            for node in self.graph.nodes:
                args = node.args
                if len(args) == 2:
                    append(list(map(functions[node.op], values[args[0]], values[args[1]])))
                elif len(args) == 1:
                    append(list(map(functions[node.op], values[args[0]])))
                elif node.op == INPUT:
                    given = inputs[node.name]
                    append(given if isinstance(given, list) else [float(given)] * rows)
                elif node.op == CONST:
                    append([node.value] * rows)
                else:  # an operation with no operands (pi)
                    append([functions[node.op]()] * rows)
        except OverflowError:
            raise Overflow(node.id) from None
        except (ValueError, ZeroDivisionError):
            raise Undefined(node.id) from None
        return values

    def backward(self, values: list[list[float]], rows: int, wanted: list[bool]) -> list[list[float] | None]:
        """∂output/∂node per row, for the nodes ``wanted`` says (reverse topological order)."""
        nodes = self.graph.nodes
        grads: list[list[float] | None] = [None] * len(nodes)
        grads[self.graph.output] = [1.0] * rows
        rules = partials_column()
        for node in reversed(nodes):
            args = node.args
            upstream = grads[node.id]
            if not args or upstream is None:
                continue
            own = values[node.id]
            if len(args) == 2:
                x, y = args
                local = list(map(rules[node.op], values[x], values[y], own))
            else:
                x = args[0]
                local = list(map(rules[node.op], values[x], own))
            for position, arg in enumerate(args):
                if not wanted[arg]:
                    continue
                # Nothing flowing back contributes nothing, even through an infinite local derivative.
                contribution = [u * d[position] if u else 0.0 for u, d in zip(upstream, local)]
                before = grads[arg]
                grads[arg] = contribution if before is None else list(map(add, before, contribution))
        return grads
