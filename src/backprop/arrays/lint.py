"""--lint for array programs: the scalar lint's checks, element by element.

Each finding counts the elements it concerns ("3 of 4 elements") and names the first few
indices, with the operation's source span (the caret, as the scalar lint prints it):

- saturated: tanh or sigmoid elements whose local derivative is below ``SATURATED``;
- dead relu: relu units whose input is ≤ 0 (local derivative 0: nothing flows back);
- exp overflow: exp elements whose input is above float32's limit;
- zero gradient: input elements whose gradient is exactly 0.

Local derivatives come from the operator registry's own rules (``ops_array.local_partial``),
gradients from the backward pass: nothing is differentiated here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import BackpropError, Span, format_error
from ..lint import FLOAT32_EXP_LIMIT, FLOAT64_EXP_LIMIT, SATURATED, SATURATING, _inputs_behind
from ..numfmt import format_number
from .graph import CONST, INPUT
from .ops_array import local_partial, operation

CHECKED = "saturated tanh/sigmoid elements, dead relu units, exp overflow, input elements whose gradient is exactly 0"
TITLES = {"saturated": "saturated", "dead-relu": "dead relu", "exp-overflow": "exp overflow risk",
          "zero-gradient": "zero gradient"}
KINDS = tuple(TITLES)
SHOWN_INDICES = 6  # indices a finding lists; the rest are counted


@dataclass(frozen=True)
class ArrayFinding:
    kind: str
    node: int
    message: str
    span: Span | None
    count: int  # elements concerned
    of: int  # elements of the node
    indices: tuple  # every concerned element's index (tuples)
    behind: tuple = ()  # the inputs whose gradient flows through the node


def _indices(mask) -> tuple:
    return tuple(tuple(int(i) for i in index) for index in np.argwhere(mask))


def _which(indices: tuple, shape: tuple) -> str:
    if not shape:
        return ""
    shown = ", ".join("[" + ", ".join(map(str, index)) + "]" for index in indices[:SHOWN_INDICES])
    more = f" and {len(indices) - SHOWN_INDICES:,} more" if len(indices) > SHOWN_INDICES else ""
    return f" ({shown}{more})"


def _how_many(count: int, total: int, shape: tuple, noun: str = "element") -> str:
    if not shape:
        return ""
    if count == total:
        return "" if total == 1 else f" in both {noun}s" if total == 2 else f" in all {total:,} {noun}s"
    return f" in {count:,} of {total:,} {noun}s"


def _words(names: tuple) -> str:
    if not names:
        return "nothing (only constants are behind it)"
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def array_lint(result) -> list[ArrayFinding]:
    """Every finding of an evaluated array program, grouped by kind (KINDS order), in graph order."""
    graph, values, grads = result.graph, result.values, result.grads
    findings = []
    for node in graph.nodes:
        if node.op in (INPUT, CONST) or not node.args:
            continue
        x = values[node.args[0]]
        shown = f"{node.name} = {operation(node.op).show(graph.site(node))}"
        live = grads[node.id] is not None  # an input feeds it and it leads to the output
        if node.op in SATURATING and live:
            local = np.asarray(local_partial(node.op, 0, (x,), values[node.id]))
            mask = np.abs(local) < SATURATED
            if mask.any():
                where = _indices(mask)
                behind = _inputs_behind(graph, node.args[0])
                findings.append(ArrayFinding(
                    "saturated", node.id,
                    f"{shown} is saturated{_how_many(len(where), local.size, local.shape)}{_which(where, local.shape)}: "
                    f"the local derivative there is at most {format_number(float(np.abs(local[mask]).max()))} "
                    f"(below {SATURATED:g}), so the gradient flowing back through {'them' if len(where) > 1 else 'it'} to {_words(behind)} is scaled "
                    f"down by that much", node.span, len(where), local.size, where, behind))
        elif node.op == "relu" and live:
            mask = np.asarray(x) <= 0
            if mask.any():
                where = _indices(mask)
                behind = _inputs_behind(graph, node.args[0])
                all_dead = len(where) == mask.size
                findings.append(ArrayFinding(
                    "dead-relu", node.id,
                    f"{shown} is dead{_how_many(len(where), mask.size, mask.shape, 'unit')}{_which(where, mask.shape)}: "
                    f"{'their' if len(where) > 1 else 'its'} input is ≤ 0, so the local derivative is 0 and no "
                    f"gradient flows back through {'them' if len(where) > 1 else 'it'} to {_words(behind)}"
                    + (" (every unit: the layer passes nothing back)" if all_dead and mask.size > 1 else ""),
                    node.span, len(where), mask.size, where, behind))
        elif node.op == "exp":
            mask = np.asarray(x) > FLOAT32_EXP_LIMIT
            if mask.any():
                where = _indices(mask)
                findings.append(ArrayFinding(
                    "exp-overflow", node.id,
                    f"{shown} risks overflow{_how_many(len(where), mask.size, mask.shape)}{_which(where, mask.shape)}: "
                    f"the largest input is {format_number(float(np.max(x)))}, above {FLOAT32_EXP_LIMIT:.2f} where exp "
                    f"overflows float32 (PyTorch's default); float64 overflows above {FLOAT64_EXP_LIMIT:.2f}. Subtract "
                    f"the largest input first (logsumexp, log_softmax, cross_entropy do)", node.span, len(where),
                    mask.size, where))
    for i in graph.inputs:
        node = graph.nodes[i]
        grad = grads[i]
        if grad is None:
            findings.append(ArrayFinding("zero-gradient", i, f"the gradient of {node.name} is exactly 0 in every "
                                         f"element: {node.name} does not feed {graph.output_name}", node.span,
                                         int(np.prod(node.shape)), int(np.prod(node.shape)), ()))
            continue
        mask = np.asarray(grad) == 0
        if mask.any():
            where = _indices(mask)
            findings.append(ArrayFinding(
                "zero-gradient", i,
                f"the gradient of {node.name} is exactly 0{_how_many(len(where), mask.size, mask.shape)}"
                f"{_which(where, mask.shape)}: a local derivative of exactly 0 blocks {'their' if len(where) > 1 else 'its'} "
                f"paths, or the paths cancel", node.span, len(where), mask.size, where))
    return sorted(findings, key=lambda f: KINDS.index(f.kind))


def findings_of(result) -> list[ArrayFinding]:
    cached = getattr(result, "_array_lint", None)
    if cached is None:
        cached = result._array_lint = array_lint(result)
    return cached


def _pointed(result, finding) -> list[str]:
    return format_error(BackpropError(finding.message, finding.span), result.source).split("\n")


def _header(findings) -> str:
    if not findings:
        return f"Lint: nothing found; checked: {CHECKED}"
    return f"Lint: {len(findings)} finding{'s' if len(findings) != 1 else ''} about the gradient flow, element by element"


def lint_text(result) -> list[str]:
    findings = findings_of(result)
    lines = ["", _header(findings)]
    for number, finding in enumerate(findings, start=1):
        first, *rest = _pointed(result, finding)
        label = f"  {number}. "
        lines.append(f"{label}{TITLES[finding.kind]}: {first}")
        lines += [" " * len(label) + line[2:] if line.startswith("  ") else line for line in rest]
    return lines


def lint_markdown(result) -> list[str]:
    findings = findings_of(result)
    lines = ["", "## Lint", "", _header(findings).split(": ", 1)[1], ""]
    for number, finding in enumerate(findings, start=1):
        message, *source = _pointed(result, finding)
        lines.append(f"{number}. **{TITLES[finding.kind]}**: {message}")
        if source:
            lines += ["", "   ```", *("   " + line[2:] for line in source), "   ```", ""]
    return lines


def lint_latex(result) -> list[str]:
    from .render import _latex_text

    findings = findings_of(result)
    lines = [r"\section*{Lint}", _latex_text(_header(findings).split(": ", 1)[1])]
    if findings:
        lines.append(r"\begin{enumerate}")
        for finding in findings:
            quoted = result.source[finding.span[0]:finding.span[1]] if finding.span else ""
            where = rf": \texttt{{{_latex_text(quoted)}}}" if quoted and "\n" not in quoted else ""
            message = _latex_text(finding.message.replace("≤", "<="))
            lines.append(rf"\item \textbf{{{TITLES[finding.kind]}}}: {message}{where}")
        lines.append(r"\end{enumerate}")
    return lines


def lint_json(result) -> dict:
    """The ``lint`` key: the scalar document's fields, plus the elements each finding concerns."""
    graph = result.graph
    return {"checked": CHECKED, "findings": [
        {"kind": f.kind, "node": f.node, "name": graph.nodes[f.node].name, "message": f.message,
         "span": list(f.span) if f.span else None, "pointer": "\n".join(_pointed(result, f)[1:]) or None,
         "inputs_behind": list(f.behind), "path": [], "factors": [],
         "elements": f.count, "of": f.of, "indices": [list(i) for i in f.indices]}
        for f in findings_of(result)]}
