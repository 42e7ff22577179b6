"""The ``--symbolic`` and ``--hessian`` sections of the derivation, in every format.

Formulas and second derivatives come from ``symbolic.py`` (the adjoint transform); this
module only prints them with the shared printer and lays them out for text, Markdown,
LaTeX and JSON.
"""

from __future__ import annotations

from ..numfmt import format_number
from ..rules import substitute
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


def formula_rows(result, wrt=None, style: str = "text") -> list[tuple[str, list[str], list[str], str | None]]:
    """Per input: (its ∂L/∂input, the stages, the 'where' lines, why parts are shared or None)."""
    show = printer(style)
    graph = result.graph
    ids = graph.inputs if wrt is None else [i for i in graph.inputs if i in wrt]
    formulas = result._symbolic.formulas(ids) if wrt is not None else result._formulas
    rows = []
    for i in ids:
        name = graph.nodes[i].name
        formula = formulas[name]
        target = show(("d", ("name", graph.output_name), ("name", name)))
        _, where = formula.lines(style)
        if formula.too_big:
            rows.append((target, [f"(written out: {formula.written_out:,} operations; too big to print)",
                                  show(("num", formula.value))], [], None))
            continue
        why = _WHY_SHARED.format(n=formula.written_out) if formula.shared else None
        rows.append((target, _formula_stages(result, formula, style), where, why))
    return rows


def formulas_text(result, wrt=None, ascii: bool = False) -> list[str]:
    lines = ["", "Gradients as formulas (simplified, over the inputs)"]
    for target, stages, where, why in formula_rows(result, wrt, "ascii" if ascii else "text"):
        lines.append(f"  {target} = {' = '.join(stages)}")
        if where:
            lines.append(f"    where {where[0]}")
            lines += [f"          {line}" for line in where[1:]]
            lines.append(f"    ({why})")
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
        zeros = 0
        for i, row in enumerate(hessian.formulas):
            for j, formula in enumerate(row):
                if j < i:
                    continue  # symmetric: each pair once
                if formula.expression() == ("num", 0.0):
                    zeros += 1
                    continue
                second = f"{d}{square}{out}/{d}{names[i]}{d}{names[j]}" if i != j else f"{d}{square}{out}/{d}{names[i]}{square}"
                lines.append(f"  {second} = {' = '.join(_formula_stages(result, formula, style))}")
        if zeros:
            lines.append(f"  (the other {zeros} entries on and above the diagonal are 0)")
    return lines


# --- Markdown and LaTeX


def formulas_latex_rows(result, wrt=None) -> list[str]:
    """align* rows: ∂L/∂a &= b \\times f = 3 \\times 5 = 15."""
    rows = []
    for target, stages, where, why in formula_rows(result, wrt, "latex"):
        rows.append(f"{target} &= {' = '.join(stages)}")
        for line in where:
            rows.append(rf"&\qquad \text{{where }} {line}")
    return rows


def hessian_latex(result, symbolic: bool = False) -> str:
    """A bmatrix of the Hessian (needs amsmath)."""
    hessian = result.hessian(symbolic)
    show = printer("latex")
    body = r" \\ ".join(" & ".join(show(("num", v)) for v in row) for row in hessian.matrix)
    names = ", ".join(show(("name", n)) for n in hessian.names)
    return rf"H = \begin{{bmatrix}} {body} \end{{bmatrix}} \quad \text{{(rows and columns: }} {names} \text{{)}}"


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
