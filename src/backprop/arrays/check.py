"""--check for array programs: every element's gradient against a finite difference.

Each element is nudged by ±h and ±h/2 (central differences, combined by Richardson
extrapolation, so the estimate's error is O(h⁴)) and the output recomputed by a forward pass
over the same graph. An element that this quick estimate does not confirm is judged as the
scalar check judges an input (``backprop.check``): Ridders' adaptive step with its own error
estimate, so a difference too noisy to judge is "ill-conditioned", not a failure; and where the
element sits at a kink the registry notes (relu or abs at 0, a tie of max or min) on a path
from its input, and the output's slopes on either side of it differ, it is a "kink". Only a
clear mismatch is "FAIL". Inputs with more than ``SAMPLE`` elements are checked on a fixed
random sample (the same every run), always including the element with the largest gradient.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

import numpy as np

from ..check import FAIL, ILL, KINK, OK, UNCHECKED, finite_difference, kinks_by_input, verdict
from ..errors import BackpropError
from ..numfmt import format_number
from ..ops import OPS
from .engine import forward
from .graph import CONST
from .ops_array import ELEMENTWISE
from .shapes import show_shape

SAMPLE = 200
_EPS = np.finfo(float).eps
_SEVERITY = (FAIL, KINK, ILL, OK)  # an input's status: its elements' most severe


@dataclass
class ElementCheck:
    index: tuple
    analytic: float
    numeric: float
    error: float
    status: str = OK
    note: str | None = None  # why a kink or an ill-conditioned element is not a failure


@dataclass
class InputCheck:
    name: str
    shape: tuple
    size: int
    elements: list = field(default_factory=list)
    skipped: int = 0  # elements whose finite difference is undefined (no nudge stays inside the domain)
    tol: float = 1e-5

    @property
    def status(self) -> str:
        """"FAIL" if any element fails, else "kink", "ill-conditioned", "ok"; "unchecked" with no element."""
        found = {e.status for e in self.elements}
        return next((s for s in _SEVERITY if s in found), UNCHECKED)

    @property
    def worst(self) -> ElementCheck | None:
        """The element with the largest error among those with the input's status."""
        return max((e for e in self.elements if e.status == self.status), key=lambda e: e.error, default=None)

    @property
    def note(self) -> str | None:
        """Why a kink, ill-conditioned or unchecked input is not a failure, and how many of its elements are."""
        if self.status == UNCHECKED:
            return "no element could be nudged inside the domain"
        if self.status not in (KINK, ILL):
            return None
        count = sum(e.status == self.status for e in self.elements)
        return f"{self.worst.note} ({count} of {len(self.elements)} elements checked)"

    @property
    def passed(self) -> bool:
        return self.status != FAIL


@dataclass
class ArrayCheckReport:
    output: str
    value: float
    tol: float
    checks: list

    @property
    def failures(self) -> list:
        return [c for c in self.checks if not c.passed]

    @property
    def passed(self) -> bool:
        return not self.failures


def check_array_gradients(result, tol: float = 1e-5, wrt=None) -> ArrayCheckReport:
    """Every element (or a sample) of every input's gradient, or of the inputs in ``wrt`` (node ids)."""
    graph = result.graph
    out = graph.output
    base = {name: np.array(value, dtype=float) for name, value in result.inputs.items()}
    kinks = kinks_by_input(graph, _operand_notes(result))
    rounding = _rounding_of_output(result)

    def output_at(name, index, moved) -> float | None:
        """The output with one element moved to ``moved``; None off the domain (as the scalar check's)."""
        nudged = dict(base)
        changed = base[name].copy()
        changed[index] = moved
        nudged[name] = changed
        try:
            value = float(forward(graph, nudged)[out])
        except BackpropError:
            return None
        return value if math.isfinite(value) else None

    checks = []
    rng = np.random.default_rng(0)
    chosen = {graph.nodes[i].name for i in graph.inputs if wrt is None or i in wrt}
    for name, grad in result.gradients.items():
        if name not in chosen:
            continue
        value = base[name]
        check = InputCheck(name, value.shape, value.size, tol=tol)
        indices = list(np.ndindex(value.shape)) if value.size <= SAMPLE else _sample(rng, value.shape, grad)
        for index in indices:
            x = float(value[index])
            analytic = float(grad[index])
            element = _check_element(lambda moved: output_at(name, index, moved), x, result.value, analytic,
                                     rounding, tol, kinks.get(name))
            if element is None:
                check.skipped += 1
                continue
            check.elements.append(ElementCheck(tuple(int(i) for i in index), analytic, *element))
        checks.append(check)
    return ArrayCheckReport(result.output, result.value, tol, checks)


def _check_element(value_at, x: float, here: float, analytic: float, rounding: float, tol: float,
                   kink: str | None) -> tuple | None:
    """(numeric, error, status, note) of one element; None when no nudge stays inside the domain.

    The quick estimate (steps h and h/2, one Richardson step) settles almost every element; the
    rest get the scalar check's Ridders estimate and verdict."""
    h = 1e-4 * max(1.0, abs(x))
    points = [value_at(x + step) for step in (h, -h, h / 2, -h / 2)]
    if None not in points:
        wide, narrow = (points[0] - points[1]) / (2 * h), (points[2] - points[3]) / h
        numeric = (4 * narrow - wide) / 3
        error, _, status, _ = verdict(analytic, numeric, 0.0, None, None, tol)
        if status == OK:
            return numeric, error, OK, None
    numeric, spread, _, why = finite_difference(value_at, x, here, rounding, tol)
    error, _, status, note = verdict(analytic, numeric, spread, why, None, tol)
    if status != OK and kink is not None and _at_kink(value_at, x, here, error):
        return numeric, error, KINK, kink
    if status == UNCHECKED:
        return None
    return numeric, error, status, note


def _at_kink(value_at, x: float, here: float, error: float) -> bool:
    """Whether the output's slopes just left and just right of x differ enough to explain ``error``
    (or one side is undefined): a kink, where a central difference averages the two slopes and
    the rule's convention picks one of them (relu'(0) = 0). A wrong rule at a smooth point has
    equal slopes on both sides, so it still fails."""
    h = (x + _EPS ** (1 / 3) * max(1.0, abs(x))) - x
    right, left = value_at(x + h), value_at(x - h)
    if right is None or left is None:
        return True
    up, down = (right - here) / h, (here - left) / h
    return abs(up - down) / max(1.0, abs(up), abs(down)) >= error / 2


def _operand_notes(result) -> dict:
    """The registry's kink notes (relu at 0, a tie of max) met by any element, by (node id, operand position):
    the array form of the scalar backward pass's ``operand_notes``."""
    graph = result.graph
    notes: dict = {}
    for node in graph.nodes:
        rule = OPS[node.op].note if node.op in ELEMENTWISE else None
        if rule is None or result.grads[node.id] is None:  # no input reaches it: its kinks do not matter
            continue
        operands = np.broadcast_arrays(*(np.asarray(result.values[a], dtype=float) for a in node.args))
        out = np.broadcast_to(result.values[node.id], operands[0].shape)
        for position, arg in enumerate(node.args):
            if graph.nodes[arg].op == CONST:
                continue  # a constant needs no gradient, so its partial's kink does not matter
            for index in np.ndindex(operands[0].shape):
                note = rule(tuple(float(o[index]) for o in operands), float(out[index]), position)
                if note:
                    notes[node.id, position] = note
                    break
    return notes


def _rounding_of_output(result) -> float:
    """ε·Σ|value·∂L/∂value| over every element of every node: how much rounding moves the output (as
    ``backprop.check._rounding_of_output`` for scalars)."""
    total = 0.0
    for value, grad in zip(result.values, result.grads):
        if grad is None:
            continue
        with np.errstate(all="ignore"):
            terms = np.abs(np.asarray(value, dtype=float) * grad)
        total += float(np.sum(terms[np.isfinite(terms)]))
    return _EPS * total


def run_check(result, tol: float | None, as_json: bool, ascii: bool, write, wrt=None) -> ArrayCheckReport:
    """--check for the command line: check, write the report (text or JSON), return it."""
    from ..check import DEFAULT_TOL

    report = check_array_gradients(result, tol=tol or DEFAULT_TOL, wrt=wrt)
    write((render_array_check_json(report) if as_json else render_array_check(report, ascii=ascii)).encode("utf-8"))
    return report


def _sample(rng, shape, grad) -> list:
    size = int(np.prod(shape))
    largest = int(np.argmax(np.abs(grad)))
    others = rng.choice(size - 1, SAMPLE - 1, replace=False)
    flat = {int(i) + (i >= largest) for i in others} | {largest}  # the largest, and SAMPLE - 1 others
    return [np.unravel_index(i, shape) for i in sorted(flat)]


def _index(index: tuple) -> str:
    return "[" + ", ".join(str(i) for i in index) + "]" if index else ""


def render_array_check(report: ArrayCheckReport, ascii: bool = False) -> str:
    lines = [f"Gradient check: every element's reverse-mode gradient against central differences with Richardson "
             f"extrapolation ({report.output} = {format_number(report.value)}, tolerance {report.tol:g})",
             f"  input  shape      checked       worst element  analytic   numeric     error"]
    for check in report.checks:
        worst = check.worst
        checked = f"{len(check.elements)} of {check.size}" + (" (sample)" if check.size > SAMPLE else "")
        if worst is None:
            lines.append(f"  {check.name:<6} {show_shape(check.shape):<10} {checked:<13} (no element could be nudged "
                         f"inside the domain)")
            continue
        lines.append(f"  {check.name:<6} {show_shape(check.shape):<10} {checked:<13} {check.name + _index(worst.index):<14} "
                     f"{format_number(worst.analytic):>11}  {format_number(worst.numeric):>10}  {worst.error:.1e}  "
                     f"{check.status}")
        if check.skipped:
            lines.append(f"         {check.skipped} element(s) skipped: a nudge left the domain of an operation")
    for check in report.checks:
        if check.note and check.status != UNCHECKED:  # the table's row says it already
            lines.append(f"  {check.name}: {check.status}, not a failure: {check.note}")
    total = len(report.checks)
    agree = sum(c.status == OK for c in report.checks)
    if not report.passed:
        lines.append(f"{len(report.failures)} of {total} inputs differ from the finite differences by more than "
                     f"{report.tol:g}: {', '.join(c.name for c in report.failures)}")
    else:
        lines.append(f"{agree} of {total} inputs agree with the finite differences on every element checked, within "
                     f"{report.tol:g}" + ("" if agree == total else " (the others are kinks, ill-conditioned or "
                                                                     "unchecked: not failures)"))
    text = "\n".join(lines) + "\n"
    if ascii:
        from .render import to_ascii

        text = to_ascii(text).encode("ascii", "backslashreplace").decode("ascii")
    return text


def render_array_check_json(report: ArrayCheckReport) -> str:
    """The check as strict JSON; statuses are the scalar check's words ("ok", "FAIL", "kink", …)."""
    document = {
        "output": report.output, "value": _json(report.value), "tol": report.tol, "passed": report.passed,
        "checks": [{"input": c.name, "shape": list(c.shape), "elements": c.size, "checked": len(c.elements),
                    "sampled": c.size > SAMPLE, "skipped": c.skipped, "status": c.status, "note": c.note,
                    "worst": _element_json(c.worst)}
                   for c in report.checks],
    }
    return json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def _element_json(element: ElementCheck | None) -> dict | None:
    if element is None:
        return None
    return {"index": list(element.index), "analytic": _json(element.analytic), "numeric": _json(element.numeric),
            "error": _json(element.error)}


def _json(value: float):
    """A number for strict JSON: inf, -inf and nan as strings."""
    import math

    if math.isfinite(value):
        return value
    return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
