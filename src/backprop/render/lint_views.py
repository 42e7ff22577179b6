"""The lint section of the derivation (text, ASCII, Markdown, LaTeX) and the ``lint`` key of JSON.

The findings come from ``lint.py``; each is printed like our errors: the message, then the
source line with a caret under the node's span (``errors.format_error``). The section is
added at the end of every derivation that has a finding, and always with ``--lint``.
"""

from __future__ import annotations

from ..errors import BackpropError, format_error

CHECKED = ("saturated tanh/sigmoid, dead relu, vanishing or exploding products, exp overflow, "
           "inputs whose gradient is exactly 0")
TITLES = {"saturated": "saturated", "dead-relu": "dead relu", "vanishing": "vanishing gradient",
          "exploding": "exploding gradient", "exp-overflow": "exp overflow risk", "zero-gradient": "zero gradient"}


def findings_of(result) -> list:
    """The result's lint findings, computed once per result."""
    cached = getattr(result, "_lint_findings", None)
    if cached is None:
        from ..lint import lint

        cached = lint(result)
        result._lint_findings = cached
    return cached


def _pointed(result, finding) -> list[str]:
    """The finding's message, the source line and a caret under its node, as separate lines."""
    return format_error(BackpropError(finding.message, finding.span), result.source).split("\n")


def _header(result, findings) -> str:
    if not findings:
        nothing = "" if result.graph.inputs else " (the program has no inputs: only the values were checked)"
        return f"Lint: nothing found{nothing}; checked: {CHECKED}"
    return f"Lint: {len(findings)} finding{'s' if len(findings) != 1 else ''} about the gradient flow"


def lint_text(result, *, always: bool = False, ascii: bool = False) -> list[str]:
    """The lint section as text lines (none when nothing is found and ``always`` is False)."""
    findings = findings_of(result)
    if not findings and not always:
        return []
    lines = ["", _header(result, findings)]
    for number, finding in enumerate(findings, start=1):
        first, *rest = _pointed(result, finding)
        label = f"  {number}. "
        lines.append(f"{label}{TITLES[finding.kind]}: {first}")
        lines += [" " * len(label) + line[2:] if line.startswith("  ") else line for line in rest]
    if ascii:
        plain = str.maketrans({"∂": "d", "×": "*", "…": "...", "≤": "<=", "−": "-"})
        lines = [line.translate(plain) for line in lines]
    return lines


def lint_latex(result, *, always: bool = False, markdown: bool = False) -> list[str]:
    """The lint section in LaTeX (an enumerate) or Markdown (a numbered list with the source in code)."""
    from .latex import latex_text
    from .markdown import markdown_text

    findings = findings_of(result)
    if not findings and not always:
        return []
    prose = markdown_text if markdown else latex_text
    title = _header(result, findings)
    if markdown:
        lines = ["", f"**Lint**: {prose(title.split(': ', 1)[1])}", ""]
    else:
        lines = ["", rf"\noindent\textbf{{Lint:}} {prose(title.split(': ', 1)[1])}"]
    if not findings:
        return lines
    if not markdown:
        lines.append(r"\begin{enumerate}")
    for number, finding in enumerate(findings, start=1):
        message, *source = _pointed(result, finding)
        quoted = result.source[finding.span[0]:finding.span[1]] if finding.span else ""
        if markdown:
            lines.append(f"{number}. **{TITLES[finding.kind]}**: {prose(message)}")
            if source:
                lines += ["", "   ```", *("   " + line[2:] for line in source), "   ```", ""]
        else:
            # the spanned source in \texttt (a caret picture would need verbatim, which can not typeset θ)
            # a line may break after any "(" (code has few spaces: relu(log(sigmoid(x3))) ran past the margin)
            code = latex_text(_one_line(quoted)).replace("(", "(\\allowbreak{}")
            where = rf": \texttt{{{code}}}" if quoted else ""
            lines.append(rf"\item \textbf{{{TITLES[finding.kind]}}}: {prose(message)}{where}")
    if not markdown:
        lines.append(r"\end{enumerate}")
    return lines


def _one_line(text: str, longest: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= longest else text[: longest - 20] + "…" + text[-19:]


def lint_json(result) -> dict:
    """The ``lint`` key of the JSON document: each finding with its node, span, caret text and path."""
    from .export import json_number

    graph = result.graph
    return {
        "checked": CHECKED,
        "findings": [
            {"kind": f.kind, "node": f.node, "name": graph.nodes[f.node].name, "message": f.message,
             "span": list(f.span) if f.span else None,
             "pointer": "\n".join(_pointed(result, f)[1:]) or None,
             "inputs_behind": list(f.behind),
             "path": [graph.nodes[i].name for i in f.path],
             "factors": [json_number(x) for x in f.factors]}
            for f in findings_of(result)
        ],
    }
