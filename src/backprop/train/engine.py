"""Graph + parameters + data rows → the mean loss and its gradient, for many rows at once.

A training run evaluates one graph thousands of times with new numbers. The program is
parsed and lowered once; each evaluation then runs the forward and backward loops of
``forward.py``/``backward.py`` over *columns*: every node holds one value per row, and each
operation is applied to a whole column with ``map``, so the per-node work of the interpreter
is paid once per batch, not once per row. The backward pass visits only the nodes a
parameter reaches (data and constants need no gradient) unless every gradient is asked for,
and computes only the local derivatives it needs: each is the registry's rule expression
(``rules.rule_exprs``) evaluated over columns, so ∂(x·y)/∂x is y's column itself and
∂(a + b)/∂a = 1 passes the upstream column on untouched. Where the plain arithmetic raises
(log of a negative number in a partial nobody needs is never computed; one somebody needs is),
the node falls back to ``rules.partials_column``'s careful per-row partials.
"""

from __future__ import annotations

import math
import operator
from itertools import repeat
from operator import add, mul
from typing import NamedTuple, Sequence

from ..graph import CONST, INPUT, Graph
from ..ops import OPS
from ..rules import fold, partials_column, rule_exprs

# The arithmetic a rule's generated partial writes as Python operators (rules._python does the same).
_INFIX = {"add": operator.add, "sub": operator.sub, "mul": operator.mul, "div": operator.truediv}


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
        # Each operation's local derivatives, prepared once: a number, an operand's column, or an expression.
        self._locals = [tuple(_prepare(expr) for expr in rule_exprs(OPS[node.op])) if node.args else ()
                        for node in graph.nodes]

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
        for node in reversed(nodes):
            args = node.args
            upstream = grads[node.id]
            if not args or upstream is None:
                continue
            for position, arg in enumerate(args):
                if not wanted[arg]:
                    continue
                contribution = self._contribution(node, position, values, upstream)
                before = grads[arg]
                grads[arg] = contribution if before is None else list(map(add, before, contribution))
        return grads

    def _contribution(self, node, position: int, values: list[list[float]], upstream: list[float]) -> list[float]:
        """upstream × ∂node/∂operand, per row; a row whose upstream is 0 contributes 0 (even times inf)."""
        kind, rule = self._locals[node.id][position]
        try:
            if kind == "number":
                local = rule
            elif kind == "slot":
                local = values[node.id] if rule == "out" else values[node.args[_SLOTS.index(rule)]]
            else:
                local = column_rule(rule, node, values)
        except (ArithmeticError, ValueError):
            rule = partials_column()[node.op]
            operands = [values[arg] for arg in node.args]
            local = [d[position] for d in map(rule, *operands, values[node.id])]
        if type(local) is float:
            if local == 1.0:
                return upstream
            contribution = [u * local for u in upstream]
        else:
            contribution = list(map(mul, upstream, local))
        if not math.isfinite(sum(contribution)):
            # 0 × inf is nan; nothing flowing back must contribute nothing (backward.py skips such nodes)
            contribution = [c if u else 0.0 for u, c in zip(upstream, contribution)]
        return contribution


_SLOTS = ("x", "y")


def _prepare(expr) -> tuple:
    """("number", 1.0) for a constant rule, ("slot", "y") for an operand itself, else ("expr", expr)."""
    if expr[0] == "num":
        return ("number", float(expr[1]))
    if expr[0] == "name":
        return ("slot", expr[1])
    if expr[0] == "op" and expr[1] == "neg" and expr[2][0][0] == "num":
        return ("number", -float(expr[2][0][1]))
    return ("expr", expr)


def column_rule(expr, node, values: list[list[float]]):
    """A rule expression over the operands' and the node's own columns: a float (a constant rule) or a column."""
    slots = {"out": values[node.id]}
    for slot, arg in zip(("x", "y"), node.args):
        slots[slot] = values[arg]
    return fold(expr, lambda leaf: float(leaf[1]), slots.__getitem__, _apply_columns)


def _apply_columns(op: str, args: tuple):
    """One operation of a rule over columns and numbers (numbers stay numbers)."""
    if all(type(a) is float for a in args):
        if op == "pow" and args[1] == 2.0:
            return args[0] * args[0]
        function = _INFIX.get(op) or (operator.neg if op == "neg" else OPS[op].forward)
        return float(function(*args))
    if op == "pow" and type(args[1]) is float and args[1] == 2.0:
        return list(map(mul, args[0], args[0]))  # x^2 as x * x, as the generated partials compute it
    function = _INFIX.get(op) or (operator.neg if op == "neg" else OPS[op].forward)
    columns = [repeat(a) if type(a) is float else a for a in args]
    return list(map(function, *columns))
