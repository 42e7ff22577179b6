"""The ``--symbolic`` and ``--hessian`` sections of the derivation, in every format.

Formulas and second derivatives come from ``symbolic.py`` (the adjoint transform); this
module only prints them with the shared printer and lays them out for text, Markdown,
LaTeX and JSON.
"""

from __future__ import annotations

from ..numfmt import format_number
from ..rules import substitute
from .latex import latex_text
from .latex_fit import equation_rows, text_rows
from .printer import printer

_WHY_SHARED = ("written out in full this formula would have {n:,} operations; reverse mode's graph "
               "shares its parts, and so does this formula (the named parts are each computed once)")


def _formula_stages(result, formula, style: str) -> list[str]:
    """formula = the formula with the inputs' values = its value (stages that differ)."""
    show = printer(style)
    expression = formula.expression()
    stages = [show(expression)]
    if not formula.shared:
        numbers = {name: ("num", value) for name, value in result.inputs.items()}
        stages.append(show(substitute(expression, numbers)))
    stages.append(show(("num", formula.value)))
    kept: list[str] = []
    for stage in stages:
        if not kept or stage != kept[-1]:
            kept.append(stage)
    return kept


def _entry(result, formula, style: str) -> tuple[list[str], list[tuple[str, str]], str | None]:
    """One formula's (stages, its shared parts as (name, expression), why parts are shared or None):
    every writer prints the parts a formula uses by name, so no name in it is left undefined."""
    _, definitions = formula.parts(style)
    if formula.too_big:
        show = printer(style)
        return [f"(written out: {formula.written_out:,} operations; too big to print)", show(("num", formula.value))], \
            [], None
    why = _WHY_SHARED.format(n=formula.written_out) if formula.shared else None
    return _formula_stages(result, formula, style), definitions, why


def formula_rows(result, wrt=None, style: str = "text") -> list[tuple[str, list[str], list[str], str | None]]:
    """Per input: (its ∂L/∂input, the stages, the 'where' lines, why parts are shared or None)."""
    return [(target, stages, [f"{name} = {expression}" for name, expression in definitions], why)
            for target, stages, definitions, why in _gradient_entries(result, wrt, style)]


def _gradient_entries(result, wrt, style: str) -> list[tuple[str, list[str], list[tuple[str, str]], str | None]]:
    show = printer(style)
    graph = result.graph
    ids = graph.inputs if wrt is None else [i for i in graph.inputs if i in wrt]
    formulas = result._symbolic.formulas(ids) if wrt is not None else result._formulas
    entries = []
    for i in ids:
        name = graph.nodes[i].name
        target = show(("d", ("name", graph.output_name), ("name", name)))
        entries.append((target, *_entry(result, formulas[name], style)))
    return entries


def _hessian_entries(result, hessian, style: str) -> tuple[list[tuple[str, list[str], list[tuple[str, str]], str | None]],
                                                           int]:
    """The nonzero entries on and above the diagonal as (∂²L/∂a∂b, stages, shared parts, why),
    and how many entries there were 0."""
    show = printer(style)
    out = show(("name", result.output))
    names = [show(("name", n)) for n in hessian.names]
    entries = []
    zeros = 0
    for i, row in enumerate(hessian.formulas):
        for j, formula in enumerate(row):
            if j < i:
                continue  # symmetric: each pair once
            if formula.expression() == ("num", 0.0):
                zeros += 1
                continue
            entries.append((_second(style, out, names[i], names[j]), *_entry(result, formula, style)))
    return entries, zeros


def _second(style: str, out: str, row: str, column: str) -> str:
    """∂²L/∂a∂b (∂²L/∂a² on the diagonal)."""
    if style == "latex":
        bottom = rf"\partial {row}^{{2}}" if row == column else rf"\partial {row} \partial {column}"
        return rf"\frac{{\partial^{{2}} {out}}}{{{bottom}}}"
    d, square = ("d", "^2") if style == "ascii" else ("∂", "²")
    return f"{d}{square}{out}/{d}{row}{square}" if row == column else f"{d}{square}{out}/{d}{row}{d}{column}"


def _zeros_note(zeros: int) -> str:
    if zeros == 1:
        return "(the other entry on and above the diagonal is 0)"
    return f"(the other {zeros} entries on and above the diagonal are 0)"


def _where_text(definitions: list[tuple[str, str]], why: str | None) -> list[str]:
    """The 'where' lines under a formula in the text formats, and why its parts are named."""
    if not definitions:
        return []
    lines = [f"    where {definitions[0][0]} = {definitions[0][1]}"]
    lines += [f"          {name} = {expression}" for name, expression in definitions[1:]]
    if why:
        lines.append(f"    ({why})")
    return lines


def formulas_text(result, wrt=None, ascii: bool = False) -> list[str]:
    lines = ["", "Gradients as formulas (simplified, over the inputs)"]
    for target, stages, definitions, why in _gradient_entries(result, wrt, "ascii" if ascii else "text"):
        lines.append(f"  {target} = {' = '.join(stages)}")
        lines += _where_text(definitions, why)
    return lines


def hessian_text(result, symbolic: bool = False, ascii: bool = False) -> list[str]:
    hessian = result.hessian(symbolic)
    style = "ascii" if ascii else "text"
    show = printer(style)
    out = show(("name", result.output))
    d = "d" if ascii else "∂"
    square = "^2" if ascii else "²"
    names = [show(("name", n)) for n in hessian.names]
    lines = ["", f"Hessian: second derivatives {d}{square}{out}/{d}row {d}column"]
    if not names:
        return lines + ["  (no inputs)"]
    cells = [[format_number(v) for v in row] for row in hessian.matrix]
    width = max(len(c) for row in cells + [names] for c in row)
    label = max(len(n) for n in names)
    lines.append("  " + " " * label + "".join(f"  {n:>{width}}" for n in names))
    for name, row in zip(names, cells):
        lines.append(f"  {name:<{label}}" + "".join(f"  {c:>{width}}" for c in row))
    if symbolic and hessian.formulas:
        entries, zeros = _hessian_entries(result, hessian, style)
        for second, stages, definitions, why in entries:
            lines.append(f"  {second} = {' = '.join(stages)}")
            lines += _where_text(definitions, why)
        if zeros:
            lines.append(f"  {_zeros_note(zeros)}")
    return lines


# --- Markdown and LaTeX

# A display never breaks across pages: the second-derivative formulas shown under the matrix fill at
# most this many text lines (a page of the standalone document holds about 46; a row with a fraction
# is as tall as 3).
HESSIAN_DISPLAY_LINES = 40


def _display_lines(rows: list[str]) -> int:
    return sum(3 if r"\frac" in row else 1 for row in rows)


def _latex_rows(target: str, stages: list[str], definitions: list[tuple[str, str]], why: str | None) -> list[str]:
    """align* rows of one formula fitted to the line, each shared part on rows of its own below
    (``where s1 &= …``, its = under the formula's), then why the parts are named."""
    rows = equation_rows(target, stages)
    for k, (name, expression) in enumerate(definitions):
        rows += equation_rows(rf"\text{{where }} {name}" if k == 0 else name, [expression])
    if definitions and why:
        rows += text_rows(f"({latex_text(why)})")
    return rows


def formulas_latex_rows(result, wrt=None) -> list[str]:
    """align* rows: ∂L/∂a &= b \\times f = 3 \\times 5 = 15."""
    rows = []
    for entry in _gradient_entries(result, wrt, "latex"):
        rows += _latex_rows(*entry)
    return rows


def hessian_latex(result, symbolic: bool = False) -> str:
    """A bmatrix of the Hessian (needs amsmath); with ``symbolic``, its formulas below it in the same display."""
    hessian = result.hessian(symbolic)
    show = printer("latex")
    body = r" \\ ".join(" & ".join(show(("num", v)) for v in row) for row in hessian.matrix)
    names = ", ".join(show(("name", n)) for n in hessian.names)
    matrix = rf"H = \begin{{bmatrix}} {body} \end{{bmatrix}} \quad \text{{(rows and columns: }} {names} \text{{)}}"
    if not (symbolic and hessian.formulas):
        return matrix
    entries, zeros = _hessian_entries(result, hessian, "latex")
    rows: list[str] = []
    for shown, entry in enumerate(entries):
        entry_rows = _latex_rows(*entry)
        if _display_lines(rows) + _display_lines(entry_rows) > HESSIAN_DISPLAY_LINES:
            left = len(entries) - shown
            rows += text_rows(f"({left:,} more formula{'s' if left > 1 else ''}, more than a page holds: "
                              "the text and JSON outputs print them all)", lead="&")
            break
        rows += entry_rows
    if zeros:
        rows += text_rows(_zeros_note(zeros), lead="&")
    if not rows:
        return matrix
    return "\n".join([r"\begin{gathered}", matrix + r" \\[6pt]", r"\begin{aligned}",
                      *[row + r" \\" for row in rows[:-1]], rows[-1], r"\end{aligned}", r"\end{gathered}"])


def formulas_json(result, wrt=None) -> dict:
    from .export import json_number

    graph = result.graph
    ids = graph.inputs if wrt is None else [i for i in graph.inputs if i in wrt]
    formulas = result._symbolic.formulas(ids) if wrt is not None else result._formulas
    document = {}
    for i in ids:
        name = graph.nodes[i].name
        formula = formulas[name]
        text, where = formula.lines("text")
        latex, latex_where = formula.lines("latex")
        entry = {"text": text, "latex": latex, "value": json_number(formula.value)}
        if where:
            entry["where"] = [{"text": t, "latex": lt} for t, lt in zip(where, latex_where)]
        if formula.too_big:
            entry = {"text": None, "latex": None, "value": json_number(formula.value),
                     "size": formula.written_out}
        document[name] = entry
    return document


def hessian_json(result, symbolic: bool = False) -> dict:
    from .export import json_number

    hessian = result.hessian(symbolic)
    document = {"names": hessian.names, "matrix": [[json_number(v) for v in row] for row in hessian.matrix]}
    if symbolic and hessian.formulas:
        document["formulas"] = [[f.text() for f in row] for row in hessian.formulas]
    return document
