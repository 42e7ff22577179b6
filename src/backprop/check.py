"""Source + values → ``CheckReport``: every reverse-mode gradient against a central finite difference.

This is the one place that recomputes on purpose: a finite difference *is* a second
forward pass at a nudged input, ``D(h) = (L(x + h) - L(x - h)) / 2h``, refined by one
Richardson step, ``(4·D(h/2) - D(h)) / 3``, whose error shrinks like h⁴ instead of h². The
step follows the input's scale, ``h = ε^(1/5)·|x|`` (``ε^(1/5)`` when x = 0), which balances
the rounding error of the subtraction against the error of the formula. An input is compared with the
relative error ``|analytic - numeric| / max(1, |analytic|, |numeric|)`` (an absolute error
for gradients smaller than 1). Where the run met a kink or an undefined derivative (the
registry's notes, ``Result.notes``) on a path from the input, the derivative is a
convention and the input is reported as a kink, not a failure.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from typing import Mapping

from .errors import BackpropError
from .numfmt import format_number

DEFAULT_TOL = 1e-5
_EPS = sys.float_info.epsilon
OK, FAIL, KINK, UNCHECKED = "ok", "FAIL", "kink", "unchecked"


@dataclass(frozen=True)
class GradientCheck:
    """One input: the reverse-mode gradient, its finite-difference estimate, and the verdict."""

    name: str
    value: float
    analytic: float
    numeric: float
    error: float  # relative (absolute below 1), see the module docstring
    step: float
    status: str  # "ok", "FAIL", "kink" or "unchecked"
    note: str | None = None  # why a kink or an unchecked input is not a failure


@dataclass(frozen=True)
class CheckReport:
    """Every input's gradient check, and the tolerance they were held to."""

    output: str
    value: float
    tol: float
    checks: tuple[GradientCheck, ...]

    @property
    def failures(self) -> list[GradientCheck]:
        return [check for check in self.checks if check.status == FAIL]

    @property
    def passed(self) -> bool:
        """True when no gradient differs from its estimate by more than the tolerance."""
        return not self.failures


def check_gradients(source, values: Mapping[str, float | str] | None = None,
                    tol: float = DEFAULT_TOL, *, wrt=None) -> CheckReport:
    """Differentiate a program, then compare each input's gradient with a central finite difference.

    ``source`` may be a ``Result`` already computed (then ``values`` is not used); ``wrt``
    (input names, or a resolved ``Focus``) checks only those inputs.
    """
    from .api import Result, differentiate

    if not (tol > 0 and math.isfinite(tol)):
        raise BackpropError(f"--tol must be a positive number, got {tol!r}")
    result = source if isinstance(source, Result) else differentiate(source, values)
    kinks = _kinks_by_input(result)
    checks = []
    chosen = _chosen_inputs(result, wrt)
    for name, x in result.inputs.items():
        if name not in chosen:
            continue
        analytic = result.gradients[name]
        numeric, step, why = _finite_difference(result, name, x)
        error = _relative_error(analytic, numeric)
        if name in kinks:
            status, note = KINK, kinks[name]
        elif why is not None:
            status, note = UNCHECKED, why
        else:
            status, note = (OK if error <= tol else FAIL), None
        checks.append(GradientCheck(name, x, analytic, numeric, error, step, status, note))
    return CheckReport(result.output, result.value, tol, tuple(checks))


def _chosen_inputs(result, wrt) -> set[str]:
    from .steps import restrict

    focus = restrict(result.graph, wrt)
    return {result.graph.nodes[i].name for i in result.graph.inputs if focus is None or i in focus}


def _finite_difference(result, name: str, x: float) -> tuple[float, float, str | None]:
    """(estimate, step, reason it could not be estimated): central, or one-sided at a domain edge."""
    scale = abs(x) if x != 0.0 else 1.0
    h = _representable(x, _EPS ** (1 / 5) * scale)
    half = _representable(x, h / 2)
    points = [_value_at(result, name, x + k) for k in (h, -h, half, -half)]
    if all(point is not None for point in points):
        wide = (points[0] - points[1]) / (2 * h)
        narrow = (points[2] - points[3]) / (2 * half)
        return (4 * narrow - wide) / 3, h, None
    # One side leaves the domain (sqrt(x) at x = 0): a one-sided difference with a smaller step.
    h = _representable(x, math.sqrt(_EPS) * scale)
    here = result.value
    up, down = _value_at(result, name, x + h), _value_at(result, name, x - h)
    if up is not None:
        return (up - here) / h, h, None
    if down is not None:
        return (here - down) / h, h, None
    return math.nan, h, "the program is undefined on both sides of this value"


def _representable(x: float, h: float) -> float:
    """A step such that x + h - x is exactly h in floating point."""
    return (x + h) - x


def _value_at(result, name: str, x: float) -> float | None:
    try:
        value = result.value_at({name: x})
    except BackpropError:
        return None
    return value if math.isfinite(value) else None


def _relative_error(analytic: float, numeric: float) -> float:
    if math.isnan(analytic) or math.isnan(numeric):
        return math.inf if not (math.isnan(analytic) and math.isnan(numeric)) else math.nan
    if analytic == numeric:
        return 0.0
    if math.isinf(analytic) or math.isinf(numeric):
        return math.inf
    return abs(analytic - numeric) / max(1.0, abs(analytic), abs(numeric))


def _kinks_by_input(result) -> dict[str, str]:
    """Each input with a noted node (kink, undefined derivative) downstream of it: the first note."""
    graph = result.graph
    found: dict[int, str] = {}
    for node_id, note in sorted(result.notes.items()):
        stack, seen = [node_id], {node_id}
        while stack:  # iterative: graphs may be deep
            current = stack.pop()
            for arg in graph.nodes[current].args:
                if arg not in seen:
                    seen.add(arg)
                    stack.append(arg)
        for i in graph.inputs:
            if i in seen:
                found.setdefault(i, note)
    return {graph.nodes[i].name: note for i, note in found.items()}


def render_check(report: CheckReport, *, ascii: bool = False) -> str:
    """The report as a table: input, value, analytic, numeric, relative error, step, verdict."""
    d = "d" if ascii else "∂"
    lines = [
        f"Gradient check: reverse mode against central finite differences "
        f"({report.output} = {format_number(report.value)}, tolerance {report.tol:g})",
    ]
    header = ("input", "value", f"analytic {d}{report.output}/{d}input", "numeric", "rel. error", "step", "")
    rows = [
        (check.name, format_number(check.value), _digits(check.analytic), _digits(check.numeric),
         f"{check.error:.1e}" if math.isfinite(check.error) else format_number(check.error),
         f"{check.step:.1e}", check.status)
        for check in report.checks
    ]
    widths = [max(len(row[k]) for row in rows + [header]) for k in range(len(header))]
    for row in [header] + rows:
        cells = [row[0].ljust(widths[0])] + [cell.rjust(width) for cell, width in zip(row[1:-1], widths[1:-1])]
        lines.append(("  " + "  ".join(cells) + "  " + row[-1]).rstrip())
    for check in report.checks:
        if check.note:
            lines.append(f"  {check.name}: {check.status}, not a failure: {check.note}")
    checked = [c for c in report.checks if c.status in (OK, FAIL)]
    if report.failures:
        names = ", ".join(c.name for c in report.failures)
        lines.append(f"{len(report.failures)} of {len(report.checks)} gradients differ from the finite difference "
                     f"by more than {report.tol:g}: {names}")
    elif report.checks:
        lines.append(f"{len(checked)} of {len(report.checks)} gradients agree with the finite difference "
                     f"within {report.tol:g}" + ("" if len(checked) == len(report.checks) else
                                                 " (the others are kinks or unchecked)"))
    else:
        lines.append("The program has no inputs: nothing to check.")
    text = "\n".join(lines) + "\n"
    return text.encode("ascii", "backslashreplace").decode("ascii") if ascii else text


def _digits(x: float) -> str:
    """More digits than the derivation shows: the point of the table is the difference."""
    if not math.isfinite(x):
        return format_number(x)
    return f"{x:.10g}"
