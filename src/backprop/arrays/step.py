"""--step LR for array programs: one step of gradient descent on whole-array parameters.

The update is the training loop's own (``train.optimizers``' plain gradient descent, as
``train/arrays_run.py`` applies it: p ← p + delta, elementwise); the new output is a forward
pass over the same graph; the first-order prediction of the change is −lr·‖∇L‖², the squared
norm summed over every element of every parameter that moves.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import BackpropError
from ..numfmt import format_number
from ..train.nudge import Nudge, step_options
from ..train.optimizers import make_optimizer
from .render import _list, bmatrix, show_value, to_ascii
from .shapes import show_shape


@dataclass(frozen=True)
class ArrayUpdate:
    name: str
    value: object  # arrays (float64)
    gradient: object
    new: object


@dataclass(frozen=True)
class ArrayNudge(Nudge):
    """A Nudge whose parameters are arrays: the squared norm sums every element."""

    @property
    def squared_norm(self) -> float:
        return math.fsum(float(np.sum(np.square(u.gradient))) for u in self.updates)


def take_array_step(result, lr: float, params=None) -> ArrayNudge:
    names = step_options(result, lr, params)  # checks the rate and that each --params name is an input
    gradients = result.gradients
    moving = [gradients[name] for name in names]
    deltas = make_optimizer("sgd", lr, len(names)).deltas(moving)  # the training loop's update, elementwise
    updates = [ArrayUpdate(name, result.inputs[name], g, result.inputs[name] + d)
               for name, g, d in zip(names, moving, deltas)]
    after, failure = None, None
    try:
        after = result.value_at({u.name: u.new for u in updates})
    except BackpropError as error:
        failure = error.message
    return ArrayNudge(lr, result.output, updates, result.value, after, failure)


def _norms(nudge) -> str:
    return " + ".join(format_number(float(np.sum(np.square(u.gradient)))) for u in nudge.updates)


def step_text(nudge, ascii: bool = False) -> list[str]:
    out, lr = nudge.output, format_number(nudge.lr)
    names = ", ".join(u.name for u in nudge.updates)
    lines = ["", f"One step of gradient descent (--step {lr}, moving {names}, every element):"]
    for u in nudge.updates:
        lines.append(f"  {u.name} ← {u.name} − {lr} × ∂{out}/∂{u.name}   {show_shape(np.shape(u.value))} elementwise")
        lines.append(f"    = {show_value(u.value)} − {lr} × {show_value(u.gradient)}")
        lines.append(f"    = {show_value(u.new)}")
    if nudge.after is None:
        lines.append(f"  New output: {out} can not be computed there: {nudge.failure}")
    else:
        lines.append(f"  New output: {out} = {format_number(nudge.after)} (was {format_number(nudge.before)})")
        squares = " + ".join(f"‖∂{out}/∂{u.name}‖²" for u in nudge.updates)
        lines.append(f"  Change of {out}: actual {format_number(nudge.actual)}; first-order prediction "
                     f"−lr·‖∇{out}‖² = −{lr} × ({squares}) = −{lr} × ({_norms(nudge)}) = "
                     f"{format_number(nudge.predicted)}")
        lines.append(f"    (‖∂{out}/∂{nudge.updates[0].name}‖² is the sum of the squares of all its elements)")
    lines.append(f"  {nudge.explanation()}")
    if ascii:
        lines = [to_ascii(line).translate(str.maketrans({"←": "<-", "‖": "|", "²": "^2", "∇": "grad "}))
                 for line in lines]
    return lines


def step_markdown(nudge) -> list[str]:
    from .render import _latex_name

    out, lr = _latex_name(nudge.output), format_number(nudge.lr)
    lines = ["", "## One step of gradient descent", "", f"Learning rate $\\eta = {lr}$, every element:", ""]
    for u in nudge.updates:
        name = _latex_name(u.name)
        lines.append(f"- ${name} \\leftarrow {name} - {lr} \\, \\frac{{\\partial {out}}}{{\\partial {name}}} = "
                     f"{bmatrix(u.value)} - {lr} \\, {bmatrix(u.gradient)} = {bmatrix(u.new)}$")
    if nudge.after is None:
        lines += ["", f"The new output can not be computed: {nudge.failure}"]
    else:
        lines += ["", f"New output ${out} = {format_number(nudge.after)}$ (was {format_number(nudge.before)}): "
                      f"actual change ${format_number(nudge.actual)}$; first-order prediction "
                      f"$-\\eta \\, \\lVert \\nabla {out} \\rVert^2 = -{lr} \\times ({_norms(nudge)}) = "
                      f"{format_number(nudge.predicted)}$"]
    return lines + ["", nudge.explanation()]


def step_latex(nudge) -> list[str]:
    from .render import _latex_name, _latex_text

    out, lr = _latex_name(nudge.output), format_number(nudge.lr)
    lines = [r"\section*{One step of gradient descent}", rf"Learning rate $\eta = {lr}$, every element:",
             r"\begin{align*}"]
    rows = [rf"{_latex_name(u.name)} &\leftarrow {bmatrix(u.value)} - {lr} \, {bmatrix(u.gradient)} = {bmatrix(u.new)}"
            for u in nudge.updates]
    if nudge.after is not None:
        rows.append(rf"\Delta {out} &= {format_number(nudge.actual)}, \quad -\eta \, \lVert \nabla {out} \rVert^2 = "
                    rf"-{lr} \times ({_norms(nudge)}) = {format_number(nudge.predicted)}")
    lines += [row + (r" \\" if i < len(rows) - 1 else "") for i, row in enumerate(rows)]
    lines.append(r"\end{align*}")
    if nudge.after is None:
        lines.append(_latex_text(f"The new output can not be computed: {nudge.failure}"))
    lines.append(_latex_text(nudge.explanation()))
    return lines


def step_json(nudge) -> dict:
    """The ``step`` key: the scalar document's fields, with arrays as nested lists."""
    return {
        "lr": nudge.lr,
        "updates": [{"name": u.name, "shape": list(np.shape(u.value)), "value": _list(u.value),
                     "gradient": _list(u.gradient), "new": _list(u.new)} for u in nudge.updates],
        "output_before": nudge.before,
        "output_after": nudge.after,
        "predicted_change": nudge.predicted,
        "actual_change": nudge.actual,
        "failure": nudge.failure,
        "explanation": nudge.explanation(),
    }
