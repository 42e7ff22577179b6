"""The derivation of an array program: text (Unicode or ASCII), Markdown, LaTeX and JSON.

Every step states the node's shape; values up to 4×4 are printed in full, larger ones as
their shape and a short summary. Backward steps give the rule with the shapes it combines and
why (dimension analysis, or the registry's elementwise rule); undoing broadcasting is a step
of its own. Writers read the evaluated graph and the recorded steps: no maths is redone here.
"""

from __future__ import annotations

import json
import re

import numpy as np

from ..numfmt import format_number
from .engine import unbroadcast_text
from .graph import CONST, INPUT
from .ops_array import grad_name, operation
from .shapes import show_shape

SMALL = 4  # values with at most 2 axes of at most 4 elements each are shown in full


def is_small(array) -> bool:
    return array.ndim <= 2 and all(n <= SMALL for n in array.shape)


def show_value(array) -> str:
    """[[1, 2], [3, 4]] for a small value; "(512, 512) array: min …, mean …, max …" otherwise."""
    array = np.asarray(array)
    if array.ndim == 0:
        return format_number(float(array))
    if is_small(array):
        return _nested(array)
    if array.size == 0:
        return f"{show_shape(array.shape)} array (empty)"
    with np.errstate(all="ignore"):  # a gradient with inf in it: its mean is nan, said without a warning
        return (f"{show_shape(array.shape)} array: min {format_number(float(array.min()))}, "
                f"mean {format_number(float(array.mean()))}, max {format_number(float(array.max()))}")


def _nested(array) -> str:
    if array.ndim == 1:
        return "[" + ", ".join(format_number(float(v)) for v in array) + "]"
    return "[" + ", ".join(_nested(row) for row in array) + "]"


def _operands_shapes(graph, node) -> str:
    shapes = [show_shape(graph.nodes[a].shape) for a in node.args]
    joiner = " @ " if node.op == "matmul" else ", "
    return f"{joiner.join(shapes)} → {show_shape(node.shape)}"


class Document:
    """The derivation as a list of (kind, fields) items; each format prints them its own way."""

    def __init__(self, result, wrt=None):
        self.result = result
        self.graph = result.graph
        self.focus = wrt  # --wrt: the node ids on a path from the chosen inputs to the output (None: all)

    def forward_items(self):
        graph, values = self.graph, self.result.values
        inputs = [(n.name, n.shape, values[n.id]) for n in graph.nodes if n.op == INPUT]
        constants = [(n.name, n.shape, values[n.id]) for n in graph.nodes if n.op == CONST and n.name]
        steps = []
        for node in graph.nodes:
            if node.op in (INPUT, CONST):
                continue
            site = graph.site(node)
            steps.append((node, operation(node.op).show(site), _operands_shapes(graph, node), values[node.id]))
        return inputs, constants, steps

    def backward_items(self):
        """(formula, shapes, value, why) per printed step."""
        graph = self.graph
        out = graph.output_name
        items = [(graph.output, f"{grad_name(out, out)} = 1", "", None, "the output's gradient with respect to itself")]
        for step in self.result.backward_steps[1:]:
            if self.focus is not None and step.node not in self.focus:
                continue
            node = graph.nodes[step.node]
            several = len(step.terms) > 1
            for term in step.terms:
                user = graph.nodes[term.consumer]
                use = f", from its use in {user.name} = {operation(user.op).show(graph.site(user))}" if several else ""
                if term.summed_axes:
                    lhs = f"∂{out}/∂({node.name} broadcast)"
                    items.append((node.id, f"{lhs}{use} = {term.rule.formula}", term.rule.shapes, term.value,
                                  term.rule.why))
                    axes = ", ".join(str(a) for a in term.summed_axes)
                    rhs = f"{lhs} summed over ax{'i' if len(term.summed_axes) == 1 else 'e'}s {axes}"
                    items.append((node.id, f"{grad_name(node.name, out)}{use} = {rhs}",
                                  f"{show_shape(term.value.shape)} → {show_shape(node.shape)}", term.reduced,
                                  unbroadcast_text(graph, step.node, term)))
                else:
                    items.append((node.id, f"{grad_name(node.name, out)}{use} = {term.rule.formula}", term.rule.shapes,
                                  term.reduced, term.rule.why))
            if several:
                items.append((node.id, f"{grad_name(node.name, out)} = the sum of its {len(step.terms)} uses' gradients",
                              show_shape(node.shape), step.value,
                              "a node used several times collects the gradient of every use"))
        return items

    def gradient_items(self):
        result = self.result
        return [(name, result.values[i].shape, result.values[i], result.gradients[name])
                for name, i in ((self.graph.nodes[i].name, i) for i in self.graph.inputs)
                if self.focus is None or i in self.focus]


# --- text ---------------------------------------------------------------------------------------

_ASCII = {"∂": "d", "ᵀ": "^T", "⊙": "*", "⊗": "(outer)", "→": "->", "·": "*", "×": "*", "−": "-", "Σ": "sum",
          "—": "-", "…": "..."}


def to_ascii(text: str) -> str:
    return "".join(_ASCII.get(c, c) for c in text)


def render_text(result, ascii: bool = False, wrt=None, **_) -> str:
    doc = Document(result, wrt)
    lines = ["Program (shapes in parentheses: NumPy's, () for a number):"]
    lines += [f"  {text}" for _, _, text in result.graph.statements]
    inputs, constants, steps = doc.forward_items()
    lines += ["", "Forward pass: compute each node from its operands, in topological order"]
    lines.append("  inputs:")
    lines += [f"    {name} {show_shape(shape)} = {show_value(value)}" for name, shape, value in inputs]
    if constants:
        lines.append("  constants:")
        lines += [f"    {name} {show_shape(shape)} = {show_value(value)}" for name, shape, value in constants]
    for number, (node, shown, shapes, value) in enumerate(steps, start=1):
        lines.append(f"  {number}. {node.name} = {shown}   {shapes}")
        lines.append(f"     {node.name} = {show_value(value)}")
    out = result.output
    lines += ["", f"Backward pass: the chain rule from {out} back to the inputs, in reverse topological order; "
                  f"each gradient ∂{out}/∂v has v's shape"]
    for number, (_, formula, shapes, value, why) in enumerate(doc.backward_items(), start=1):
        if value is None:
            lines.append(f"  {number}. {formula}   ({why})")
            continue
        lines.append(f"  {number}. {formula}   {shapes}")
        lines.append(f"     = {show_value(value)}")
        lines.append(f"     {why}")
    lines += ["", "Result", f"  {out} = {format_number(result.value)}"]
    for name, shape, value, grad in doc.gradient_items():
        lines.append(f"  ∂{out}/∂{name} {show_shape(shape)} = {show_value(grad)}")
    text = "\n".join(lines) + "\n"
    return to_ascii(text) if ascii else text


# --- Markdown and LaTeX --------------------------------------------------------------------------

def bmatrix(array) -> str:
    """A small value as LaTeX: a number, a column vector or a matrix (bmatrix)."""
    array = np.asarray(array)
    if array.ndim == 0:
        return format_number(float(array))
    if not is_small(array) or array.size == 0:
        return rf"\text{{{show_value(array)}}}"
    rows = array.reshape(-1, 1) if array.ndim == 1 else array
    body = r" \\ ".join(" & ".join(format_number(float(v)) for v in row) for row in rows)
    return r"\begin{bmatrix} " + body + r" \end{bmatrix}"


_WORDS = re.compile(r"\b(?:copied to every element|repeated along axis|summed over ax[ie]s|with|at|zeros|"
                    r"the sum of its \d+ uses' gradients)\b")
_GRAD = re.compile(r"∂([^\s/]+)/∂\(?([^\s()=,]+)( broadcast\))?")


def latex_math(text: str) -> str:
    """A step's Unicode formula as LaTeX maths."""
    def gradient(match):
        top, name = _latex_name(match.group(1)), _latex_name(match.group(2).rstrip(")"))
        return rf"\frac{{\partial {top}}}{{\partial {name}{'_{bc}' if match.group(3) else ''}}}"

    text = _GRAD.sub(gradient, text)
    text = _WORDS.sub(lambda m: r"\text{ " + m.group(0) + " }", text)
    for unicode, latex in (("∂", r"\partial "), ("ᵀ", r"^{\top}"), ("⊙", r"\odot "), ("⊗", r"\otimes "), ("→", r"\to "), ("·", r"\cdot "),
                           ("×", r"\times "), ("−", "-"), ("Σ", r"\sum "), ("—", "-")):
        text = text.replace(unicode, latex)
    parts = re.split(r"(\\text\{[^}]*\})", text)  # words already in \text{} stay words (no maths inside)
    return "".join(part if part.startswith("\\text{") else _FUNCTION.sub(
        lambda m: r"\operatorname{" + m.group(1).replace("_", r"\_") + "}", part) for part in parts)


# a function's name: the array functions, or any name of two letters or more called with "(" (tanh, exp, cosh)
_FUNCTION = re.compile(r"(?<![\\\w])(softmax|log_softmax|logsumexp|cross_entropy|onehot|sum|mean|zeros"
                       r"|[A-Za-z][A-Za-z_]+(?=\())\b")
_SINCE = re.compile(r"since (?P<eq>.+?)(?P<elementwise> elementwise)?, (?P<grad>∂\S+/∂\S+) = (?P<rule>.+?)"
                    r"(?P<each> element by element)?(?P<tail> \(.*\))?$")


def _latex_why(why: str) -> str:
    """A step's reason in LaTeX text: a "since" line's two equations as maths, the rest as text."""
    match = _SINCE.match(why)
    if not match:
        return _latex_text(why)
    return (f"since ${latex_math(_shown_latex(match['eq']))}$" + (match["elementwise"] or "")
            + f", ${latex_math(match['grad'] + ' = ' + _shown_latex(match['rule']))}$" + (match["each"] or "")
            + _latex_text(match["tail"] or ""))


def _use_parts(formula: str):
    """(gradient, the user's equation, the rule) of "∂L/∂h, from its use in d = h ^ 2 = rule", or None."""
    head, found, rest = formula.partition(", from its use in ")
    if not found:
        return None
    user, _, tail = rest.partition(" = ")
    show, _, rule = tail.partition(" = ")
    return head, f"{user} = {show}", rule


def _latex_formula(formula: str) -> str:
    """A backward step's formula in LaTeX, its "from its use in d = h ^ 2" as words around maths."""
    parts = _use_parts(formula)
    if parts is None:
        lhs, rhs = _split_rhs(formula)
        return rf"${latex_math(lhs)} = {latex_math(rhs)}$"
    head, use, rule = parts
    return rf"${latex_math(head)}$ (from its use in ${latex_math(_shown_latex(use))}$) $= {latex_math(rule)}$"


def _latex_name(name: str) -> str:
    if len(name) == 1:
        return name
    if "_" in name:
        head, _, tail = name.partition("_")
        return rf"{_latex_name(head)}_{{{tail}}}"
    return rf"\mathrm{{{name}}}"


def _split_rhs(formula: str) -> tuple[str, str]:
    lhs, _, rhs = formula.partition(" = ")
    return lhs, rhs


def render_markdown(result, wrt=None, **_) -> str:
    doc = Document(result, wrt)
    out = result.output
    lines = [f"## Program", "", "```", *[text for _, _, text in result.graph.statements], "```", "",
             "## Forward pass", "", "Inputs:", ""]
    inputs, constants, steps = doc.forward_items()
    for name, shape, value in inputs + constants:
        lines.append(f"- ${_latex_name(name)}$ `{show_shape(shape)}` $= {bmatrix(value)}$")
    lines.append("")
    for number, (node, shown, shapes, value) in enumerate(steps, start=1):
        lines.append(f"{number}. `{node.name} = {shown}`  `{shapes}`  ")
        lines.append(f"   ${_latex_name(node.name)} = {bmatrix(value)}$")
    lines += ["", "## Backward pass", ""]
    for number, (_, formula, shapes, value, why) in enumerate(doc.backward_items(), start=1):
        if value is None:
            lines.append(f"{number}. {_latex_formula(formula)} ({why})")
            continue
        lines.append(f"{number}. {_latex_formula(formula)}  `{shapes}`  ")
        lines.append(f"   $= {bmatrix(value)}$  ")
        lines.append(f"   {why}")
    lines += ["", "## Result", "", f"${_latex_name(out)} = {format_number(result.value)}$", ""]
    for name, shape, value, grad in doc.gradient_items():
        lines.append(f"- $\\frac{{\\partial {_latex_name(out)}}}{{\\partial {_latex_name(name)}}} = {bmatrix(grad)}$ "
                     f"`{show_shape(shape)}`")
    return "\n".join(lines) + "\n"


def _latex_text(text: str) -> str:
    text = text.replace("\\", r"\textbackslash{}")
    for char in "&%$#_{}":
        text = text.replace(char, "\\" + char)
    text = text.replace("^", r"\^{}").replace("~", r"\~{}")  # text mode: e ^ 2 in a "since" line
    text = text.replace("<", r"$<$").replace(">", r"$>$")  # not ¡ and ¿ (OT1 text fonts)
    return "".join(f"${latex_math(c)}$" if c in "∂ᵀ⊙⊗→·×Σ" else c for c in text.replace("−", "-"))


def render_latex(result, standalone: bool = False, wrt=None, **_) -> str:
    doc = Document(result, wrt)
    out = result.output
    lines = [r"\section*{Forward pass}", r"\begin{align*}"]
    inputs, constants, steps = doc.forward_items()
    for name, shape, value in inputs + constants:
        lines.append(rf"{_latex_name(name)} &= {bmatrix(value)} && \text{{{show_shape(shape)}}} \\")
    for node, shown, shapes, value in steps:
        shapes_tex = shapes.replace("→", "$\\to$")
        lines.append(rf"{_latex_name(node.name)} &= {latex_math(_shown_latex(shown))} = {bmatrix(value)} "
                     rf"&& \text{{{shapes_tex}}} \\")
    lines += [r"\end{align*}", r"\section*{Backward pass}", r"\begin{enumerate}"]
    for _, formula, shapes, value, why in doc.backward_items():
        shown = _latex_formula(formula)
        if value is None:
            lines.append(rf"\item {shown} ({_latex_text(why)})")
            continue
        lines.append(rf"\item {shown} \quad \texttt{{{_latex_text(shapes)}}}\\")
        lines.append(rf"$= {bmatrix(value)}$\\")
        lines.append(rf"\emph{{{_latex_why(why)}}}")
    lines += [r"\end{enumerate}", r"\section*{Result}", r"\begin{align*}",
              rf"{_latex_name(out)} &= {format_number(result.value)} \\"]
    for name, shape, value, grad in doc.gradient_items():
        lines.append(rf"\frac{{\partial {_latex_name(out)}}}{{\partial {_latex_name(name)}}} &= {bmatrix(grad)} \\")
    lines.append(r"\end{align*}")
    body = "\n".join(lines) + "\n"
    if standalone:
        return ("\\documentclass{article}\n\\usepackage{amsmath}\n\\usepackage[margin=2cm]{geometry}\n"
                "\\begin{document}\n" + body + "\\end{document}\n")
    return body


def _shown_latex(shown: str) -> str:
    return shown.replace("@", r"\,@\,").replace("_", r"\_") if "_" in shown and "\\" not in shown else \
        shown.replace("@", r"\,@\,")


# --- JSON ------------------------------------------------------------------------------------------

def _list(array):
    """Nested lists for JSON; inf, -inf and nan as strings (strict JSON has no literals for them)."""
    array = np.asarray(array, dtype=float)
    if not np.all(np.isfinite(array)):
        shown = array.astype(object)
        for index in np.argwhere(~np.isfinite(array)):
            value = array[tuple(index)]
            shown[tuple(index)] = "nan" if np.isnan(value) else ("inf" if value > 0 else "-inf")
        return shown[()] if array.ndim == 0 else shown.tolist()
    return float(array) if array.ndim == 0 else array.tolist()


def render_json(result, **_) -> str:
    graph = result.graph
    doc = Document(result)
    nodes = []
    for node in graph.nodes:
        grad = result.grads[node.id]
        nodes.append({"id": node.id, "name": node.name or doc_name(node), "op": node.op, "args": list(node.args),
                      "shape": list(node.shape), "value": _list(result.values[node.id]),
                      "grad": _list(np.zeros(node.shape) if grad is None else grad)})
    steps = []
    _, _, forward_steps = doc.forward_items()
    for node, shown, shapes, value in forward_steps:
        steps.append({"phase": "forward", "node": node.id,
                      "text": f"{node.name} = {shown}   {shapes}\n{node.name} = {show_value(value)}"})
    for node_id, formula, shapes, value, why in doc.backward_items():
        shown_value = "" if value is None else f"\n= {show_value(value)}"
        steps.append({"phase": "backward", "node": node_id, "text": f"{formula}   {shapes}{shown_value}\n{why}".strip()})
    document = {
        "output": result.output,
        "value": _list(result.value),
        "inputs": {name: _list(value) for name, value in result.inputs.items()},
        "gradients": {name: _list(grad) for name, grad in result.gradients.items()},
        "shapes": {graph.nodes[i].name: list(graph.nodes[i].shape) for i in graph.inputs},
        "nodes": nodes,
        "steps": steps,
    }
    return json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def doc_name(node) -> str:
    return node.text or format_number(float(node.value))


def render_derivation(result, fmt: str = "text", **options) -> str:
    if fmt in ("text", "unicode"):
        return render_text(result, **options)
    if fmt == "ascii":
        return render_text(result, ascii=True)
    if fmt == "markdown":
        return render_markdown(result)
    if fmt == "latex":
        return render_latex(result, standalone=options.get("standalone", False))
    raise ValueError(f"unknown derivation format {fmt!r}")
