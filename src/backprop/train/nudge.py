"""A differentiated result + a learning rate → one step of gradient descent and what it did (``--step``).

Each parameter moves against its gradient, p ← p − lr·∂L/∂p; a forward pass over the same
graph gives the new output. To first order the output changes by −lr·‖∇L‖² (the gradient
dotted with the step); the actual change differs by the second- and higher-order terms the
tangent plane ignores. Along the step the output is L(t) = L(0) − lr·‖∇L‖²·t + a·t² + b·t³ + …
(t = 1 is the whole step): the second-order term a = ½·lr²·gᵀHg comes from the Hessian times
the gradient (reverse mode over the gradient graph, one direction), and the output halfway
(t = ½) tells how the rest shrinks, so the explanation says which of them makes the gap.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

from ..errors import BackpropError, UnknownName


@dataclass(frozen=True)
class Update:
    """One parameter's move."""

    name: str
    value: float
    gradient: float
    new: float


@dataclass(frozen=True)
class Nudge:
    """One step of gradient descent on a result's output."""

    lr: float
    output: str
    updates: list[Update]
    before: float
    after: float | None  # None when the output is undefined at the new point
    failure: str | None  # why, then
    second_order: float | None = None  # ½·lr²·gᵀHg, the gap's second-order term (None: not computed)
    halfway: float | None = None  # the output at half the step (None: not computed, or undefined there)

    @property
    def squared_norm(self) -> float:
        return math.fsum(u.gradient * u.gradient for u in self.updates)

    @property
    def predicted(self) -> float:
        """The first-order change: ∇L · Δp = −lr·‖∇L‖²."""
        return -self.lr * self.squared_norm

    @property
    def actual(self) -> float | None:
        return None if self.after is None else self.after - self.before

    def explanation(self) -> str:
        """Why the prediction and the actual change differ (or agree), in a sentence or two: which terms of
        the change along the step make the gap (the curvature's, or those beyond it), and how it shrinks."""
        output = self.output
        if self.after is None:
            return (f"The new point is outside the domain of {output}: a step this long leaves the region where the "
                    f"gradient describes {output}; try a smaller --step.")
        if self.squared_norm == 0:
            return f"The gradient is zero: this is a stationary point of {output}, so the step moves nothing."
        gap = self.actual - self.predicted
        scale = max(abs(self.predicted), abs(self.actual), 1e-300)
        if abs(gap) <= 1e-9 * scale:
            return (f"They agree: {output} is linear along this step, so the tangent plane the prediction uses "
                    f"is {output} itself.")
        overshoot = " (the step overshot: the output went up)" if self.actual > 0 else ""
        because = f"They differ by {_short(gap)} because the prediction follows the tangent plane at the starting point"
        second = self.second_order
        if second is None or not math.isfinite(second):  # what holds whatever the terms are
            side = "above" if gap > 0 else "below"
            return (f"{because}, while {output} ends {side} that plane{overshoot}; that gap comes from "
                    f"second- and higher-order terms, so it {_LIKE_SQUARED}, or faster where the second-order term "
                    "is 0.")
        rest = gap - second
        if abs(second) <= 1e-6 * abs(gap):  # no curvature along the step (or too little to matter)
            faster = "faster than --step²"
            if self.halfway is not None and math.isfinite(self.halfway):
                half_rest = (self.halfway - self.before) - self.predicted / 2 - second / 4  # third order and beyond
                if half_rest and 6 <= rest / half_rest <= 10:  # halving the step divided it by about 2³
                    faster = "like --step³ (a step ten times smaller makes it about a thousand times smaller)"
            flat = ("no curvature there (the second-order term is 0)" if second == 0 else
                    f"almost no curvature there (the second-order term is only {_short(second)})")
            return (f"{because}; along the step {output} has {flat}, so the gap{overshoot} comes from third- and "
                    f"higher-order terms and shrinks {faster}.")
        direction = "curves upward" if second > 0 else "curves downward"
        if abs(rest) <= 0.5 * abs(second):
            return (f"{because}, while {output} {direction} along the step{overshoot}; that gap comes from second- and "
                    f"higher-order terms, so it {_LIKE_SQUARED}.")
        return (f"{because}, while {output} {direction} along the step{overshoot}; but at this step the "
                f"curvature's second-order term ({_short(second)}) is not most of the gap: third- and higher-order "
                f"terms add {_short(rest)}. For smaller steps the second-order term takes over, and the gap "
                f"{_LIKE_SQUARED}.")


_LIKE_SQUARED = "shrinks like --step² (a step ten times smaller makes it about a hundred times smaller)"

# Above this many nodes --step does without the exact second-order term (building it emits about ten
# nodes per node of the program: 0.25 s at this size); the explanation then says only what holds anyway.
CURVATURE_NODES = 2_000


def curvature_along_gradient(result, names: Sequence[str]) -> float | None:
    """gᵀHg: the output's second derivative along its gradient g over the inputs ``names``.

    H·g is reverse mode over the gradient graph, once, seeded with g·∇L (as --hessian does per
    input); None when the program is too large for that or the transform fails."""
    from ..transform import GraphBuilder, adjoint, copy_graph, evaluate_nodes

    graph = result.graph
    if len(graph.nodes) > CURVATURE_NODES or not names:
        return None
    gradients = result.gradients
    input_ids = {graph.nodes[i].name: i for i in graph.inputs}
    try:
        builder = GraphBuilder("exact")
        mapping = copy_graph(builder, graph)
        moving = [mapping[input_ids[name]] for name in names]
        first = adjoint(builder, mapping[graph.output], moving)
        along = None  # g · ∇L, a scalar whose gradient is H·g
        for name, node in zip(names, moving):
            term = builder.emit("mul", (builder.const(gradients[name]), first[node]))
            along = term if along is None else builder.emit("add", (along, term))
        second = adjoint(builder, along, moving)
        values = evaluate_nodes(builder.nodes, result.inputs, known=result.values)
    except BackpropError:
        return None
    return math.fsum(gradients[name] * values[second[node]] for name, node in zip(names, moving))


def _short(x: float) -> str:
    from ..numfmt import format_number

    return format_number(x)


def step_parameters(result, params: Sequence[str] | None) -> list[str]:
    """The inputs that move: those named (each must be an input), or every input."""
    inputs = list(result.inputs)
    if params is None:
        return inputs
    chosen = []
    for name in params:
        if name not in inputs:
            raise UnknownName(f"--params {','.join(params)}: '{name}' is not an input of the program "
                              f"(its inputs are: {', '.join(inputs) or 'none'})")
        if name not in chosen:
            chosen.append(name)
    return chosen


def take_step(result, lr: float, params: Sequence[str] | None = None) -> Nudge:
    """One step of gradient descent from the result's inputs, and the output there."""
    if not (lr > 0 and math.isfinite(lr)):
        raise BackpropError(f"--step {lr:g}: the learning rate must be a positive number (such as --step 0.01)")
    gradients = result.gradients
    updates = [Update(name, result.inputs[name], gradients[name], result.inputs[name] - lr * gradients[name])
               for name in step_parameters(result, params)]
    after, failure = None, None
    try:
        after = result.value_at({u.name: u.new for u in updates})
    except BackpropError as error:
        failure = error.message
    second_order = halfway = None
    if after is not None:
        curvature = curvature_along_gradient(result, [u.name for u in updates])
        if curvature is not None:
            second_order = 0.5 * lr * lr * curvature
        try:  # one more forward pass: how the terms beyond the curvature shrink (Nudge.explanation)
            halfway = result.value_at({u.name: u.value - lr / 2 * u.gradient for u in updates})
        except BackpropError:
            pass  # the half step can fall outside the domain too (a hole in it): the explanation does without
    return Nudge(lr, result.output, updates, result.value, after, failure, second_order, halfway)


def parse_params(text: str | None) -> list[str] | None:
    """``"a, b"`` → ``["a", "b"]``; None stays None (every input moves)."""
    if text is None:
        return None
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        raise BackpropError(f"--params '{text}' names no input: write names separated by commas, such as --params a,b")
    return names


def step_options(result, step: float | None, params) -> list[str] | None:
    """--step and --params checked: the inputs that move (``params``: names, or "a,b" as typed), or None
    without --step. Without --params the command line passes --wrt, so the step shows no gradient --wrt hides."""
    if step is None:
        return None
    if not (step > 0 and math.isfinite(step)):
        raise BackpropError(f"--step {step:g}: the learning rate must be a positive number (such as --step 0.01)")
    return step_parameters(result, parse_params(params) if isinstance(params, str) else params)
