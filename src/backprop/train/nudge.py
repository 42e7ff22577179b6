"""A differentiated result + a learning rate → one step of gradient descent and what it did (``--step``).

Each parameter moves against its gradient, p ← p − lr·∂L/∂p; a forward pass over the same
graph gives the new output. To first order the output changes by −lr·‖∇L‖² (the gradient
dotted with the step); the actual change differs by the curvature the tangent plane ignores.
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
        """Why the prediction and the actual change differ (or agree), in one sentence."""
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
        direction = "curves upward" if gap > 0 else "curves downward"
        overshoot = " (the step overshot: the output went up)" if self.actual > 0 else ""
        return (f"They differ by {_short(gap)} because the prediction follows the tangent plane at the starting "
                f"point, while {output} {direction} along the step{overshoot}; that gap comes from second- and "
                f"higher-order terms, so it shrinks like --step² (a step ten times smaller makes it about a hundred "
                f"times smaller).")


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
    return Nudge(lr, result.output, updates, result.value, after, failure)


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
