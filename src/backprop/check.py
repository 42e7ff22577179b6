"""Source + values → ``CheckReport``: every reverse-mode gradient against a finite-difference estimate.

This is the one place that recomputes on purpose: a finite difference *is* a second
forward pass at a nudged input, ``D(h) = (L(x + h) - L(x - h)) / 2h``. No single step suits
every program: ``cos(1000·x)`` needs h far below 1e-3, ``sin(x)`` at x = 1000 needs h far below
|x|, and too small a step drowns in rounding. So the step is chosen adaptively, by Ridders'
method: central differences over a shrinking step (h₀ = max(|x|, 1), then h₀/2, h₀/4, …),
each extrapolated towards h = 0 by Richardson's rule (a Neville tableau), and the entry that
agrees best with its neighbours is the estimate; their disagreement, plus the rounding noise
of the function values at that step, is the estimate's own error.

An input is compared with the relative error ``|analytic - numeric| / max(1, |analytic|, |numeric|)``
(an absolute error for gradients smaller than 1). It fails only when that error exceeds the
tolerance *and* clearly exceeds the estimate's own error: when the estimate is not accurate
enough to judge at the tolerance (cancellation in the program, an output far larger than the
gradient, a tolerance below what floating point resolves), the input is reported as
ill-conditioned, not as a failure. Where the run met a kink or an undefined derivative (the
registry's notes, ``Result.notes``) on a path from the input, the derivative is a convention
and the input is reported as a kink.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from typing import Mapping

from .errors import BackpropError
from .graph import display_name
from .numfmt import format_number, shortest

DEFAULT_TOL = 1e-5
_EPS = sys.float_info.epsilon
OK, FAIL, KINK, UNCHECKED, ILL = "ok", "FAIL", "kink", "unchecked", "ill-conditioned"
_SHRINK = 2.0  # each step is the previous one halved
_DEPTH = 6  # columns of the extrapolation tableau (orders h², h⁴, …, h¹²)
_MAX_STEPS = 80  # h₀ down to h₀·2⁻⁸⁰: far past the point where rounding takes over
_MARGIN = 10.0  # a failure must exceed the estimate's own error this many times


@dataclass(frozen=True)
class GradientCheck:
    """One input: the reverse-mode gradient, its finite-difference estimate, and the verdict."""

    name: str
    value: float
    analytic: float
    numeric: float
    error: float  # relative (absolute below 1), see the module docstring
    step: float  # the step h of the chosen estimate
    status: str  # "ok", "FAIL", "kink", "ill-conditioned" or "unchecked"
    note: str | None = None  # why a kink, an ill-conditioned or an unchecked input is not a failure
    uncertainty: float = 0.0  # the estimate's own error, relative like ``error``


@dataclass(frozen=True)
class CheckReport:
    """Every input's gradient check, and the tolerance they were held to."""

    output: str
    value: float
    tol: float
    checks: tuple[GradientCheck, ...]
    second: tuple["SecondDerivativeCheck", ...] = ()  # with --hessian: every entry of the Hessian

    @property
    def failures(self) -> list:
        return [check for check in self.checks + self.second if check.status == FAIL]

    @property
    def passed(self) -> bool:
        """True when no gradient differs from its estimate by more than the tolerance and the estimate's error."""
        return not self.failures


@dataclass(frozen=True)
class SecondDerivativeCheck:
    """One Hessian entry: reverse mode over the gradient graph against a central difference of
    the (exact) gradient, extrapolated once (Richardson)."""

    name: str  # ∂²L/∂x∂y
    analytic: float
    numeric: float
    error: float
    status: str  # "ok", "FAIL" or "unchecked"


def check_gradients(source, values: Mapping[str, float | str] | None = None,
                    tol: float = DEFAULT_TOL, *, wrt=None, hessian: bool = False) -> CheckReport:
    """Differentiate a program, then compare each input's gradient with a central finite difference.

    ``source`` may be a ``Result`` already computed (then ``values`` is not used); ``wrt``
    (input names, or a resolved ``Focus``) checks only those inputs.
    """
    from .api import Result, differentiate

    if not (tol > 0 and math.isfinite(tol)):
        raise BackpropError(f"the tolerance (tol, --tol) must be a positive number, got {tol!r}")
    result = source if isinstance(source, Result) else differentiate(source, values)
    kinks = kinks_by_input(result.graph, result.operand_notes)
    checks = []
    chosen = _chosen_inputs(result, wrt)
    for name, x in result.inputs.items():
        if name not in chosen:
            continue
        analytic = result.gradients[name]
        numeric, spread, step, why = _finite_difference(result, name, x, tol)
        error, uncertainty, status, note = verdict(analytic, numeric, spread, why, kinks.get(name), tol)
        checks.append(GradientCheck(name, x, analytic, numeric, error, step, status, note, uncertainty))
    second = tuple(_check_hessian(result, tol)) if hessian else ()
    return CheckReport(result.output, result.value, tol, tuple(checks), second)


def verdict(analytic: float, numeric: float, spread: float, why: str | None, kink: str | None,
            tol: float) -> tuple[float, float, str, str | None]:
    """(error, the estimate's own error, status, note) of one gradient against its estimate (see the module
    docstring); ``spread`` and ``why`` are ``finite_difference``'s, ``kink`` the note of a kink behind it.
    The array check judges each element with it too."""
    error = _relative_error(analytic, numeric)
    uncertainty = spread / max(1.0, abs(analytic), abs(numeric)) if math.isfinite(spread) else math.inf
    if kink is not None:
        return error, uncertainty, KINK, kink
    if why is not None:
        return error, uncertainty, UNCHECKED, why
    if error <= tol:
        return error, uncertainty, OK, None
    if error <= _MARGIN * uncertainty:
        return error, uncertainty, ILL, (f"the finite difference is only accurate to about {uncertainty:.0e} here, "
                                         f"too coarse to judge at {tol:g}")
    return error, uncertainty, FAIL, None


def _gradients_at(result, name: str, x: float) -> list[float] | None:
    """Every input's gradient with one input moved (a forward and a backward pass), or None off the domain."""
    from .backward import backward
    from .forward import forward

    try:
        values = forward(result.graph, {**result.inputs, name: x})
    except BackpropError:
        return None
    grads = backward(result.graph, values).grads
    return [grads[i] for i in result.graph.inputs]


def _check_hessian(result, tol: float) -> list[SecondDerivativeCheck]:
    """Each column of the Hessian against central differences of the gradient (exact, from reverse mode)."""
    hessian = result.hessian()
    names = hessian.names
    out = result.output
    found = []
    for j, name in enumerate(names):
        x = result.inputs[name]
        h = 1e-3 * max(1.0, abs(x))
        points = [_gradients_at(result, name, x + k) for k in (h, -h, h / 2, -h / 2)]
        for i, row_name in enumerate(names):
            label = f"∂²{out}/∂{row_name}∂{name}" if i != j else f"∂²{out}/∂{name}²"
            analytic = hessian.matrix[i][j]
            if any(p is None for p in points):
                found.append(SecondDerivativeCheck(label, analytic, math.nan, math.nan, UNCHECKED))
                continue
            wide = (points[0][i] - points[1][i]) / (2 * h)
            narrow = (points[2][i] - points[3][i]) / h
            numeric = (4 * narrow - wide) / 3
            error = _relative_error(analytic, numeric)
            found.append(SecondDerivativeCheck(label, analytic, numeric, error, OK if error <= max(tol, 1e-7) else FAIL))
    return found


def _chosen_inputs(result, wrt) -> set[str]:
    from .steps import restrict

    focus = restrict(result.graph, wrt)
    return {result.graph.nodes[i].name for i in result.graph.inputs if focus is None or i in focus}


def _finite_difference(result, name: str, x: float, tol: float) -> tuple[float, float, float, str | None]:
    return finite_difference(lambda moved: _value_at(result, name, moved), x, result.value,
                             _rounding_of_output(result), tol)


def finite_difference(value_at, x: float, here: float, rounding: float,
                      tol: float) -> tuple[float, float, float, str | None]:
    """(estimate, its absolute error, step, reason it could not be estimated), by Ridders' method.

    ``value_at(x)`` is the output with the input moved to x (None off the domain), ``here`` the
    output at x, ``rounding`` how much rounding moves the output (``_rounding_of_output``).

    Central differences at h₀, h₀/2, h₀/4, … fill a Neville tableau, each column one order of
    h² further extrapolated; an entry's error is its distance to the two entries it came from
    plus the rounding noise of the output divided by the step. Steps whose points leave the
    domain restart the tableau. A large step may straddle a pole and still look consistent
    (f(a) = 1/a + a at a = 1e-5 with h = 1), so the estimate comes from the *last* run of steps
    precise enough to judge at the tolerance, the best entry within it; failing that, the best
    entry overall.
    """
    h = max(abs(x), 1.0)
    rows: list[tuple[float, float, float] | None] = []  # per step: (best entry, its error, step), None if undefined
    previous: list[float] | None = None
    for _ in range(_MAX_STEPS):
        step = _representable(x, h)
        h /= _SHRINK
        if step == 0.0:
            break
        up, down = value_at(x + step), value_at(x - step)
        if up is None or down is None:
            previous = None  # a domain edge (or an overflow) within the step: start again below it
            rows.append(None)
            continue
        # Extrapolation amplifies the noise of the two values a few times over: 8 covers six columns.
        noise = 8 * max(rounding, _EPS * max(abs(up), abs(down))) / step
        row = [(up - down) / (2 * step)]
        factor = _SHRINK ** 2
        best = (math.nan, math.inf, step)
        for j in range(1, min(len(previous) + 1, _DEPTH) if previous else 1):
            row.append((row[j - 1] * factor - previous[j - 1]) / (factor - 1))
            factor *= _SHRINK ** 2
            error = max(abs(row[j] - row[j - 1]), abs(row[j] - previous[j - 1])) + noise
            if _relative(error, row[j]) <= _relative(best[1], best[0]):
                best = (row[j], error, step)
        previous = row
        rows.append(best if math.isfinite(best[1]) else None)
        if best[1] == 0.0:
            break  # exact agreement: the program is linear in this input over the step
        errors = [_relative(r[1], r[0]) for r in rows if r is not None]
        if errors and _relative(noise, row[0]) > 1e3 * min(errors):
            break  # every smaller step only adds rounding noise
    precise = [i for i, r in enumerate(rows) if r is not None and _relative(r[1], r[0]) <= tol / _MARGIN]
    if precise:
        last = first = precise[-1]
        while first - 1 in precise:
            first -= 1
        estimate, error, step = min(rows[first:last + 1], key=lambda r: _relative(r[1], r[0]))
        return estimate, error, step, None
    defined = [r for r in rows if r is not None]
    if defined:
        estimate, error, step = min(defined, key=lambda r: _relative(r[1], r[0]))
        return estimate, error, step, None
    return _one_sided(value_at, x, here)


def _relative(error: float, estimate: float) -> float:
    if math.isnan(error) or math.isnan(estimate):
        return math.inf
    return error / max(1.0, abs(estimate))


def _rounding_of_output(result) -> float:
    """How much rounding moves the output: ε·Σ|value·∂L/∂value| over the nodes (first-order error analysis).

    Cancellation inside the program ((x + 1e8) − 1e8, or sin of a huge argument) makes this far
    larger than one rounding of the output itself, and the finite difference must not trust
    steps that such noise dominates.
    """
    total = 0.0
    for value, grad in zip(result.values, result.grads):
        term = abs(value * grad)
        if math.isfinite(term):
            total += term
    return _EPS * total


def _one_sided(value_at, x: float, here: float) -> tuple[float, float, float, str | None]:
    """A one-sided difference with one Richardson step, where only one side is defined (sqrt at 0)."""
    scale = abs(x) if x != 0.0 else 1.0
    h = _representable(x, _EPS ** (1 / 3) * scale)
    for sign in (1.0, -1.0):
        far, near = value_at(x + sign * h), value_at(x + sign * h / 2)
        if far is not None and near is not None:
            wide, narrow = (far - here) / (sign * h), (near - here) / (sign * h / 2)
            return 2 * narrow - wide, abs(narrow - wide), h, None
    return math.nan, math.inf, h, "the program is undefined on both sides of this value"


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


def kinks_by_input(graph, operand_notes: dict) -> dict[str, str]:
    """Each input behind a noted operand (a kink, an undefined derivative): the first note.

    A note belongs to one operand's partial (x^y at x < 0: the exponent's), so only the inputs
    that reach the node through that operand are affected. ``operand_notes`` is keyed by
    (node id, operand position); the array check passes its own graph and notes."""
    found: dict[int, str] = {}
    for (node_id, position), note in sorted(operand_notes.items()):
        operand = graph.nodes[node_id].args[position]
        stack, seen = [operand], {operand}
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
    """The report as a table: input, value, analytic, numeric, relative error, the estimate's error, step, verdict."""
    d = "d" if ascii else "∂"
    lines = [
        f"Gradient check: reverse mode against finite differences, Ridders' adaptive step "
        f"({report.output} = {format_number(report.value)}, tolerance {report.tol:g})",
    ]
    header = ("input", "value", f"analytic {d}{report.output}/{d}input", "numeric", "rel. error", "FD error",
              "step", "")
    rows = [
        (display_name(check.name, ascii), shortest(check.value), _digits(check.analytic), _digits(check.numeric),
         _exponent(check.error), _exponent(check.uncertainty), f"{check.step:.1e}", check.status)
        for check in report.checks
    ]
    widths = [max(len(row[k]) for row in rows + [header]) for k in range(len(header))]
    for row in [header] + rows:
        cells = [row[0].ljust(widths[0])] + [cell.rjust(width) for cell, width in zip(row[1:-1], widths[1:-1])]
        lines.append(("  " + "  ".join(cells) + "  " + row[-1]).rstrip())
    for check in report.checks:
        if check.note:
            lines.append(f"  {display_name(check.name, ascii)}: {check.status}, not a failure: {check.note}")
    checked = [c for c in report.checks if c.status == OK]
    if report.failures:
        names = ", ".join(display_name(c.name, ascii) for c in report.failures)
        lines.append(f"{len(report.failures)} of {len(report.checks)} gradients differ from the finite difference "
                     f"by more than {report.tol:g} and more than its own error: {names}")
    elif report.checks:
        lines.append(f"{len(checked)} of {len(report.checks)} gradients agree with the finite difference "
                     f"within {report.tol:g}" + ("" if len(checked) == len(report.checks) else
                                                 " (the others are kinks, ill-conditioned or unchecked)"))
    else:
        lines.append("The program has no inputs: nothing to check.")
    if report.second:
        lines.append("Second derivatives: reverse mode over the gradient graph against central differences "
                     "of the gradient")
        width = max(len(c.name) for c in report.second)
        for c in report.second:
            lines.append(f"  {c.name:<{width}}  {_digits(c.analytic):>14}  {_digits(c.numeric):>14}  "
                         f"{_exponent(c.error):>8}  {c.status}")
        agree = sum(c.status == OK for c in report.second)
        lines.append(f"{agree} of {len(report.second)} second derivatives agree within {max(report.tol, 1e-7):g}")
    text = "\n".join(lines) + "\n"
    return text.encode("ascii", "backslashreplace").decode("ascii") if ascii else text


def _exponent(x: float) -> str:
    return f"{x:.1e}" if math.isfinite(x) else format_number(x)


def _digits(x: float) -> str:
    """More digits than the derivation shows: the point of the table is the difference."""
    if not math.isfinite(x):
        return format_number(x)
    return f"{x:.10g}"
