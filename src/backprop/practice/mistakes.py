"""A step of the derivation recomputed under each common mistake a learner makes.

Given the numbers a learner used (their own upstream gradients and values where they gave
them, the true ones elsewhere), each *mistake model* computes the number that mistake would
produce for one node. A learner's wrong answer is diagnosed by finding the model that
reproduces it, so the diagnosis is computed, not guessed from strings. Every local
derivative comes from the registry's rules (``rules.partials_column``) and every operation
from its ``forward``: nothing here knows an operation's maths except the few mistakes that
are about one operation (tanh', sigmoid', subtraction and negation).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

from ..graph import CONST, INPUT
from ..ops import OPS
from ..rules import partials_column

FORGOT_SUM = "forgot-sum"
WRONG_OPERAND = "wrong-operand"
DROPPED_UPSTREAM = "dropped-upstream"
SIGN = "sign"
ACTIVATION_FROM_INPUT = "activation-from-input"
ACTIVATION_TWICE = "activation-applied-twice"
DROPPED_LOCAL = "dropped-local"
CARRIED = "carried-forward"
SWAPPED = "swapped-operands"

MAX_LISTED = 30  # uses of one node that the forgot-to-sum model tries one by one
_COUNT_WORDS = {2: "two", 3: "three", 4: "four", 5: "five", 6: "six"}


@dataclass(frozen=True)
class Prediction:
    """The number one mistake would give for a node, and how to say that mistake."""

    mistake: str  # one of the constants above
    value: float
    text: str


def close(given: float, expected: float, tol: float) -> bool:
    """Whether a learner's number counts as the expected one: within tol relative, tol/10 absolute near 0."""
    if math.isnan(expected) or math.isnan(given):
        return False
    if math.isinf(expected) or math.isinf(given):
        return given == expected
    return abs(given - expected) <= tol * max(abs(expected), 0.1)


class World:
    """The numbers a step is computed from: the true ones, with a learner's answers put in their place."""

    def __init__(self, result, values: dict[int, float] | None = None, grads: dict[int, float] | None = None):
        self.result = result
        self.graph = result.graph
        self.values = list(result.values)
        self.grads = list(result.grads)
        for node_id, value in (values or {}).items():
            self.values[node_id] = value
        for node_id, grad in (grads or {}).items():
            self.grads[node_id] = grad
        self._uses: list[list[tuple[int, int]]] = [[] for _ in self.graph.nodes]
        for consumer in self.graph.nodes:
            for position, arg in enumerate(consumer.args):
                self._uses[arg].append((consumer.id, position))

    def partials(self, consumer: int) -> tuple[float, ...]:
        """∂consumer/∂operand for each operand, from the registry's rules at this world's values."""
        node = self.graph.nodes[consumer]
        operands = [self.values[arg] for arg in node.args]
        try:
            return tuple(partials_column()[node.op](*operands, self.values[consumer]))
        except (ValueError, ZeroDivisionError, OverflowError):
            return tuple(math.nan for _ in node.args)

    def value_of(self, node_id: int, operands: Sequence[float] | None = None) -> float:
        """The node's operation applied to these operands (default: this world's operand values)."""
        node = self.graph.nodes[node_id]
        if node.op in (INPUT, CONST):
            return self.values[node_id]
        if operands is None:
            operands = [self.values[arg] for arg in node.args]
        try:
            return float(OPS[node.op].forward(*operands))
        except (ValueError, ZeroDivisionError, OverflowError):
            return math.nan

    def uses(self, node_id: int) -> list[tuple[int, int]]:
        """(consumer, operand position) for every use of the node, in graph order."""
        return self._uses[node_id]

    def contributions(self, node_id: int) -> list[tuple[int, int, float, float]]:
        """(consumer, position, upstream, local) for every use: the terms of the node's gradient."""
        terms = []
        for consumer, position in self.uses(node_id):
            terms.append((consumer, position, self.grads[consumer], self.partials(consumer)[position]))
        return terms

    def gradient(self, node_id: int) -> float:
        """The chain rule in this world: the sum over the node's uses of upstream × local."""
        if node_id == self.graph.output:
            return 1.0
        return math.fsum(upstream * local for _, _, upstream, local in self.contributions(node_id))


def gradient_mistakes(world: World, node_id: int, name) -> list[Prediction]:
    """What each mistake model gives for ∂L/∂node in this world (``name(id)`` prints a node's name)."""
    graph = world.graph
    if node_id == graph.output:
        return []
    out = name(graph.output)
    me = name(node_id)
    terms = world.contributions(node_id)
    products = [upstream * local for _, _, upstream, local in terms]
    total = math.fsum(products)
    predictions: list[Prediction] = []
    if len(terms) >= 2:
        count = _COUNT_WORDS.get(len(terms), str(len(terms)))
        users = _listing(list(dict.fromkeys(name(c) for c, _, _, _ in terms))[:MAX_LISTED])
        # Past a few dozen uses, a learner who kept one path is not the likely story: models stay linear in size.
        for index, (consumer, _, _, _) in enumerate(terms[:MAX_LISTED]):
            predictions.append(Prediction(
                FORGOT_SUM, products[index],
                f"forgot to sum over the {count} uses of {me}: {me} is used by {users}, so ∂{out}/∂{me} "
                f"is the sum of {len(terms)} paths, and this is only the path through {name(consumer)}"))
            if len(terms) >= 3:
                predictions.append(Prediction(
                    FORGOT_SUM, total - products[index],
                    f"forgot to sum over the {count} uses of {me}: the path through {name(consumer)} is missing"))
    for index, (consumer, position, upstream, local) in enumerate(terms[:MAX_LISTED]):
        node = graph.nodes[consumer]
        rest = total - products[index]
        if node.op == "mul" and node.args[0] != node.args[1]:
            own = world.values[node_id]
            other = name(node.args[1 - position])
            predictions.append(Prediction(
                WRONG_OPERAND, rest + upstream * own,
                f"used the wrong operand in the product {name(consumer)} = {graph.operation(consumer)}: "
                f"∂{name(consumer)}/∂{me} is the other factor, {other}, not {me} itself"))
        if (node.op == "sub" and position == 1) or node.op == "neg":
            what = f"{name(consumer)} = {graph.operation(consumer)}"
            predictions.append(Prediction(
                SIGN, rest - upstream * local,
                f"sign error: in {what}, ∂{name(consumer)}/∂{me} is −1, not +1"))
        if node.op in ("tanh", "sigmoid"):
            x, y = world.values[node.args[0]], world.values[consumer]
            act = name(consumer)
            if node.op == "tanh":
                from_input, twice = 1 - x * x, 1 - OPS["tanh"].forward(y) ** 2
                rule = f"1 − {act}²"
            else:
                again = OPS["sigmoid"].forward(y)
                from_input, twice = x * (1 - x), again * (1 - again)
                rule = f"{act} × (1 − {act})"
            predictions.append(Prediction(
                ACTIVATION_FROM_INPUT, rest + upstream * from_input,
                f"computed {node.op}' from the input {me} instead of the output {act}: "
                f"∂{act}/∂{me} = {rule}, with {act} = {node.op}({me})"))
            predictions.append(Prediction(
                ACTIVATION_TWICE, rest + upstream * twice,
                f"applied {node.op} again to the output: {node.op}'({me}) = {rule} uses {act} itself, "
                f"not {node.op}({act})"))
    if any(upstream != 1.0 for _, _, upstream, _ in terms):
        locals_ = math.fsum(local for _, _, _, local in terms)
        which = " + ".join(f"∂{name(c)}/∂{me}" for c, _, _, _ in terms[:MAX_LISTED])
        upstreams = _listing([f"∂{out}/∂{name(c)}" for c, _, _, _ in terms][:MAX_LISTED])
        predictions.append(Prediction(
            DROPPED_UPSTREAM, locals_,
            f"dropped the upstream gradient: this is the local derivative {which} alone; "
            f"multiply by {upstreams}"))
    if any(local != 1.0 for _, _, _, local in terms):
        which = _listing([f"∂{name(c)}/∂{me}" for c, _, _, _ in terms][:MAX_LISTED])
        predictions.append(Prediction(
            DROPPED_LOCAL, math.fsum(upstream for _, _, upstream, _ in terms),
            f"passed the upstream gradient through unchanged: multiply it by the local derivative {which}"))
    if total != 0:
        predictions.append(Prediction(SIGN, -total, "sign error: the right size with the wrong sign"))
    return predictions


def value_mistakes(world: World, node_id: int, name) -> list[Prediction]:
    """What each mistake model gives for a node's value in this world."""
    node = world.graph.nodes[node_id]
    if node.op in (INPUT, CONST) or len(node.args) != 2:
        return []
    x, y = (world.values[arg] for arg in node.args)
    predictions = []
    if node.op in ("sub", "div", "pow"):
        predictions.append(Prediction(
            SWAPPED, world.value_of(node_id, (y, x)),
            f"swapped the operands of {name(node_id)} = {world.graph.operation(node_id)}: the order matters"))
    if node.op == "sub":
        predictions.append(Prediction(SIGN, x + y, f"sign error: {name(node_id)} = "
                                                   f"{world.graph.operation(node_id)} subtracts"))
    if node.op == "add":
        predictions.append(Prediction(SIGN, x - y, f"sign error: {name(node_id)} = "
                                                   f"{world.graph.operation(node_id)} adds (mind a negative operand)"))
    return predictions


def _listing(names) -> str:
    names = list(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
