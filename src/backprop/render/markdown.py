"""Result → the derivation as Markdown with LaTeX math (renders on GitHub and in Jupyter).

The maths of every step comes from ``render/latex.py``'s ``LatexWriter``, which reads the
same Step records as the terminal text; this module only lays it out: ``$…$`` inline,
``$$…$$`` for a gradient that sums several paths, and a closing table of gradients.
"""

from __future__ import annotations

from ..numfmt import format_number
from ..steps import BACKWARD, FORWARD, restrict
from .latex import LatexWriter, latex_name, latex_number, steps_of

_MARKDOWN_SPECIALS = set("\\`*_[]<>|#$")


def markdown_text(text: str) -> str:
    """Prose that Markdown shows as is: its punctuation escaped with backslashes."""
    return "".join(f"\\{c}" if c in _MARKDOWN_SPECIALS else c for c in text)


def render_markdown(result, *, wrt=None, symbolic: bool = False, hessian: bool = False, mode: str = "reverse",
                    cost: bool = False, paths: bool = False, max_paths: int = 50, lint: bool = False) -> str:
    """The derivation as a Markdown document: program, forward pass, backward pass, gradient table.

    ``wrt`` (input names, as for --wrt) keeps only the backward steps on the paths to them.
    """
    wrt = restrict(result.graph, wrt)
    writer = LatexWriter(result)
    graph = result.graph
    out = writer.out
    lines = ["**Program, as parsed** (every operation in parentheses):", ""]
    for name, expression in writer.echo():
        lines.append(f"$$ {name} = {expression} $$" if name != expression else f"$$ {expression} $$")
    lines.append("")
    given = f", from the inputs {', '.join(f'${writer.name(i)} = ' + latex_number(result.values[i]) + '$' for i in graph.inputs)}" \
        if graph.inputs else ""
    lines += [f"**Forward pass**: compute each node from its operands, in topological order{given}.", ""]
    forward_steps = steps_of(result, FORWARD)
    for number, step in enumerate(forward_steps, start=1):
        lines.append(f"{number}. ${' = '.join(writer.forward(step))}$")
    if not forward_steps:
        lines.append("Nothing to compute: the output is an input or a constant.")
    lines.append("")
    restriction = ""
    if wrt is not None:
        names = [graph.nodes[i].name for i in graph.inputs if i in wrt]
        restriction = ", only along the paths that reach " + ", ".join(f"${latex_name(n)}$" for n in names)
    if mode == "forward":
        from .modes_views import modes_latex

        lines += modes_latex(result, wrt=wrt, mode=mode, markdown=True)
    lines += [] if mode == "forward" else [f"**Backward pass**: apply the chain rule from ${out}$ back to the inputs, "
              f"in reverse topological order{restriction}.", ""]
    for number, step in enumerate(steps_of(result, BACKWARD, wrt) if mode != "forward" else [], start=1):
        equation, remark = writer.backward(step)
        uses = writer.uses(step)
        indent = " " * len(f"{number}. ")  # continuation lines line up with the item's text
        if uses:
            lines.append(f"{number}. {markdown_text(uses)}:")
            lines.append("")
            lines.append(f"{indent}$$")
            lines.append(f"{indent}\\begin{{aligned}}")
            lines.append(f"{indent}{equation[0]} &= {equation[1]} \\\\")
            lines += [f"{indent}&= {stage}" + (" \\\\" if k < len(equation) - 3 else "")
                      for k, stage in enumerate(equation[2:])]
            lines.append(f"{indent}\\end{{aligned}}")
            lines.append(f"{indent}$$")
            lines.append("")
        else:
            lines.append(f"{number}. ${' = '.join(equation)}$" + (f" ({markdown_text(remark)})" if remark else ""))
        for kind, text in writer.reasons(step):
            if kind == "since":
                lines.append(f"{indent}- since ${text}$")
            else:
                lines.append(f"{indent}- note: {markdown_text(text)}")
    lines += ["", f"**Result**: ${out} = {latex_number(result.value)}$", ""]
    shown = [i for i in graph.inputs if wrt is None or i in wrt]
    if shown:
        lines.append(f"| input | value | $\\partial {out} / \\partial\\,\\mathrm{{input}}$ |")
        lines.append("| :-- | --: | --: |")
        for i in shown:
            lines.append(f"| ${writer.name(i)}$ | {format_number(result.values[i])} | {format_number(result.grads[i])} |")
    if symbolic:
        from .symbolic_views import formula_rows

        lines += ["", "**Gradients as formulas** (simplified, over the inputs):", ""]
        for target, stages, where, why in formula_rows(result, wrt, "latex"):
            lines.append(f"- ${target} = {' = '.join(stages)}$")
            if where:
                lines += [f"  - where ${line}$" for line in where]
                lines.append(f"  - ({markdown_text(why)})")
    if hessian:
        from .symbolic_views import hessian_latex

        lines += ["", "**Hessian** (second derivatives):", "", f"$$ {hessian_latex(result, symbolic)} $$"]
    if cost or paths:
        from .modes_views import modes_latex

        lines += modes_latex(result, wrt=wrt, cost=cost and mode != "forward", paths=paths, max_paths=max_paths,
                             markdown=True)
    from .lint_views import lint_latex  # a section when something is found, always with --lint

    lines += lint_latex(result, always=lint, markdown=True)
    return "\n".join(lines) + "\n"
