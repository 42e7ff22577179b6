"""One step of gradient descent (``train.nudge.Nudge``) → its section in text, Markdown, LaTeX and JSON.

The section follows the derivation: each parameter's update (``a ← a − 0.01 × 15 = 1.85``), the
new output, the first-order prediction of the change (−lr·‖∇L‖²) beside the actual change, and
a sentence on why they differ. The numbers come from ``take_step``; these printers only print.
"""

from __future__ import annotations

from ..graph import display_name
from ..numfmt import format_number, format_operand
from .export import json_number
from .latex import latex_name, latex_number, latex_operand, latex_text


def nudge_text(nudge, ascii: bool = False) -> list[str]:
    """The section as terminal lines (Unicode, or ASCII)."""
    arrow, times, minus, d = ("<-", "*", "-", "d") if ascii else ("←", "×", "−", "∂")
    out = display_name(nudge.output, ascii)
    lr = format_number(nudge.lr)
    names = ", ".join(display_name(u.name, ascii) for u in nudge.updates)
    lines = ["", f"One step of gradient descent (--step {lr}, moving {names}):"]
    for u in nudge.updates:
        name = display_name(u.name, ascii)
        lines.append(f"  {name} {arrow} {name} {minus} {lr} {times} {d}{out}/{d}{name} = {format_number(u.value)} "
                     f"{minus} {lr} {times} {format_operand(u.gradient)} = {format_number(u.new)}")
    if nudge.after is None:
        lines.append(f"  New output: {out} can not be computed there: {nudge.failure}")
    else:
        lines.append(f"  New output: {out} = {format_number(nudge.after)} (was {format_number(nudge.before)})")
        norm = "|grad L|^2" if ascii else f"‖∇{out}‖²"
        squares = " + ".join(f"{format_operand(u.gradient)}^2" if ascii else f"{format_operand(u.gradient)}²"
                             for u in nudge.updates)
        lines.append(f"  Change of {out}: actual {format_number(nudge.actual)}; first-order prediction "
                     f"{minus}lr{'*' if ascii else '·'}{norm} = {minus}{lr} {times} ({squares}) = "
                     f"{format_number(nudge.predicted)}")
    lines.append(f"  {nudge.explanation()}")
    text = "\n".join(lines)
    if ascii:
        text = text.translate(str.maketrans({"∂": "d", "×": "*", "·": "*", "−": "-", "²": "^2", "‖": "|", "∇": "grad "}))
    return text.split("\n")


def _latex_lines(nudge) -> tuple[list[str], list[str]]:
    """(the update equations, the change equations) in LaTeX math."""
    out = latex_name(nudge.output)
    lr = latex_number(nudge.lr)
    updates = []
    for u in nudge.updates:
        name = latex_name(u.name)
        updates.append(rf"{name} \leftarrow {name} - {lr} \times \frac{{\partial {out}}}{{\partial {name}}} = "
                       rf"{latex_number(u.value)} - {lr} \times {latex_operand(u.gradient)} = {latex_number(u.new)}")
    changes = []
    if nudge.after is not None:
        squares = " + ".join(f"{latex_operand(u.gradient)}^2" for u in nudge.updates)
        changes.append(rf"{out}_{{\text{{new}}}} = {latex_number(nudge.after)}, \quad "
                       rf"\Delta {out} = {latex_number(nudge.after)} - {latex_operand(nudge.before)} = "
                       rf"{latex_number(nudge.actual)}")
        changes.append(rf"-\eta \, \lVert \nabla {out} \rVert^2 = -{lr} \times ({squares}) = "
                       rf"{latex_number(nudge.predicted)}")
    return updates, changes


def _prediction_rows(nudge) -> list[str]:
    """-η‖∇L‖² = -lr × (g₁² + g₂² + …) = predicted, as align* rows within the line width (the
    squares of a step that moves many inputs continue on rows of their own, after \\quad +)."""
    from .latex_fit import LINE_CHARS, visible_length

    out = latex_name(nudge.output)
    rows = [rf"-\eta \, \lVert \nabla {out} \rVert^2 &= -{latex_number(nudge.lr)} \times ("]
    first = True
    for u in nudge.updates:
        term = f"{latex_operand(u.gradient)}^2"
        if first:
            rows[-1] += term
            first = False
        elif visible_length(rows[-1] + " + " + term) > LINE_CHARS:
            rows.append(r"&\quad + " + term)
        else:
            rows[-1] += " + " + term
    end = f") = {latex_number(nudge.predicted)}"
    if visible_length(rows[-1] + end) > LINE_CHARS:
        rows[-1] += ")"
        rows.append(f"&= {latex_number(nudge.predicted)}")
    else:
        rows[-1] += end
    return rows


def nudge_markdown(nudge) -> list[str]:
    """The section as Markdown with $math$."""
    updates, changes = _latex_lines(nudge)
    lines = ["", f"**One step of gradient descent** (learning rate $\\eta = {latex_number(nudge.lr)}$):", ""]
    lines += [f"- ${u}$" for u in updates]
    if nudge.after is None:
        lines += ["", f"The new output can not be computed: {nudge.failure}"]
    else:
        lines += ["", f"New output and actual change: ${changes[0]}$", "",
                  f"First-order prediction: ${changes[1]}$"]
    lines += ["", nudge.explanation()]
    return lines


def nudge_latex(nudge) -> list[str]:
    """The section as LaTeX (amsmath)."""
    updates, changes = _latex_lines(nudge)
    lines = [rf"\noindent\textbf{{One step of gradient descent}} (learning rate $\eta = {latex_number(nudge.lr)}$):",
             r"\begin{align*}"]
    rows = updates + changes[:1] if nudge.after is not None else updates
    lines += [row + (r" \\" if i < len(rows) - 1 else "") for i, row in enumerate(rows)]
    lines.append(r"\end{align*}")
    if nudge.after is not None:  # the prediction on its own: its sum of squares wraps to the line
        predicted = _prediction_rows(nudge)
        lines += [r"\begin{align*}", *[row + (r" \\" if i < len(predicted) - 1 else "")
                                         for i, row in enumerate(predicted)], r"\end{align*}"]
    if nudge.after is None:
        lines.append(r"\noindent " + latex_text(f"The new output can not be computed: {nudge.failure}"))
    lines.append(r"\noindent " + latex_text(nudge.explanation()))
    return lines


def nudge_json(nudge) -> dict:
    """The section as JSON data (the document's ``step`` key)."""
    return {
        "lr": nudge.lr,
        "updates": [{"name": u.name, "value": json_number(u.value), "gradient": json_number(u.gradient),
                     "new": json_number(u.new)} for u in nudge.updates],
        "output_before": json_number(nudge.before),
        "output_after": None if nudge.after is None else json_number(nudge.after),
        "predicted_change": json_number(nudge.predicted),
        "actual_change": None if nudge.actual is None else json_number(nudge.actual),
        "failure": nudge.failure,
        "explanation": nudge.explanation(),
    }
