"""--check for array programs: every element's gradient against a finite difference.

Each element is nudged by ±h and ±h/2 (central differences, combined by Richardson
extrapolation, so the estimate's error is O(h⁴)) and the output recomputed by a forward pass
over the same graph. Inputs with more than ``SAMPLE`` elements are checked on a fixed random
sample (the same every run), always including the element with the largest gradient.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np

from ..errors import DomainError
from ..numfmt import format_number
from .engine import forward
from .shapes import show_shape

SAMPLE = 200


@dataclass
class ElementCheck:
    index: tuple
    analytic: float
    numeric: float
    error: float


@dataclass
class InputCheck:
    name: str
    shape: tuple
    size: int
    elements: list = field(default_factory=list)
    skipped: int = 0  # elements whose nudged value left the domain
    tol: float = 1e-5

    @property
    def worst(self) -> ElementCheck | None:
        return max(self.elements, key=lambda e: e.error, default=None)

    @property
    def passed(self) -> bool:
        worst = self.worst
        return worst is None or worst.error <= self.tol


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

    def output_at(name, index, delta) -> float:
        nudged = dict(base)
        changed = base[name].copy()
        changed[index] += delta
        nudged[name] = changed
        return float(forward(graph, nudged)[out])

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
            h = 1e-4 * max(1.0, abs(float(value[index])))
            try:
                wide = (output_at(name, index, h) - output_at(name, index, -h)) / (2 * h)
                narrow = (output_at(name, index, h / 2) - output_at(name, index, -h / 2)) / h
            except DomainError:
                check.skipped += 1
                continue
            numeric = (4 * narrow - wide) / 3
            analytic = float(grad[index])
            error = abs(analytic - numeric) / max(1.0, abs(analytic), abs(numeric))
            check.elements.append(ElementCheck(tuple(int(i) for i in index), analytic, numeric, error))
        checks.append(check)
    return ArrayCheckReport(result.output, result.value, tol, checks)


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
    d = "d" if ascii else "∂"
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
        status = "ok" if check.passed else "FAIL"
        lines.append(f"  {check.name:<6} {show_shape(check.shape):<10} {checked:<13} {check.name + _index(worst.index):<14} "
                     f"{format_number(worst.analytic):>11}  {format_number(worst.numeric):>10}  {worst.error:.1e}  {status}")
        if check.skipped:
            lines.append(f"         {check.skipped} element(s) skipped: a nudge left the domain of an operation")
    total = len(report.checks)
    if report.passed:
        lines.append(f"{total} of {total} inputs agree with the finite differences on every element checked, within "
                     f"{report.tol:g}")
    else:
        lines.append(f"{len(report.failures)} of {total} inputs differ from the finite differences by more than "
                     f"{report.tol:g}: {', '.join(c.name for c in report.failures)}")
    return "\n".join(lines) + "\n"


def render_array_check_json(report: ArrayCheckReport) -> str:
    document = {
        "output": report.output, "value": _json(report.value), "tol": report.tol, "passed": report.passed,
        "checks": [{"input": c.name, "shape": list(c.shape), "elements": c.size, "checked": len(c.elements),
                    "sampled": c.size > SAMPLE, "skipped": c.skipped, "status": "ok" if c.passed else "fail",
                    "worst": None if c.worst is None else {"index": list(c.worst.index), "analytic": _json(c.worst.analytic),
                                                           "numeric": _json(c.worst.numeric), "error": _json(c.worst.error)}}
                   for c in report.checks],
    }
    return json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def _json(value: float):
    """A number for strict JSON: inf, -inf and nan as strings."""
    import math

    if math.isfinite(value):
        return value
    return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
