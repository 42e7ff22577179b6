"""Result → the derivation as Markdown with LaTeX math (renders on GitHub and in Jupyter).

The maths of every step comes from ``render/latex.py``'s ``LatexWriter``, which reads the
same Step records as the terminal text; this module only lays it out: ``$…$`` inline,
``$$…$$`` for a gradient that sums several paths, and a closing table of gradients. The steps
come in bulk from ``render/bulk_latex.py`` (the same texts as ``LatexWriter``'s, step by step).
"""

from __future__ import annotations

from ..numfmt import format_number
from ..steps import FORWARD, restrict
from .bulk_latex import backward_printed, bulk_latex_for
from .latex import LatexWriter, latex_name, latex_number, steps_of

# The backslash first: the later ones put a backslash in front of their character, not to be escaped again.
_MARKDOWN_SPECIALS = [(c, "\\" + c) for c in "\\`*_[]<>|#$"]


def markdown_text(text: str) -> str:
    """Prose that Markdown shows as is: its punctuation escaped with backslashes."""
    for special, escaped in _MARKDOWN_SPECIALS:  # rare in prose: each found by a scan, not per character
        if special in text:
            text = text.replace(special, escaped)
    return text


def render_markdown(result, *, wrt=None, symbolic: bool = False, hessian: bool = False, mode: str = "reverse",
                    cost: bool = False, paths: bool = False, max_paths: int = 50, lint: bool = False) -> str:
    """The derivation as a Markdown document: program, forward pass, backward pass, gradient table.

    ``wrt`` (input names, as for --wrt) keeps only the backward steps on the paths to them.
    """
    return "".join(markdown_chunks(result, wrt=wrt, symbolic=symbolic, hessian=hessian, mode=mode, cost=cost,
                                   paths=paths, max_paths=max_paths, lint=lint))


_CHUNK_LINES = 4096  # lines per piece, as the text writer's


def markdown_chunks(result, *, wrt=None, symbolic: bool = False, hessian: bool = False, mode: str = "reverse",
                    cost: bool = False, paths: bool = False, max_paths: int = 50, lint: bool = False):
    """``render_markdown``'s text in pieces of whole lines, each yielded as soon as it is written:
    a big derivation goes to its file or stdout without being held whole in memory."""
    wrt = restrict(result.graph, wrt)
    writer = LatexWriter(result)
    bulk = bulk_latex_for(result, writer)  # every step read in two passes over flat arrays (None: per Step)
    graph = result.graph
    out = writer.out
    lines = ["**Program, as parsed** (every operation in parentheses):", ""]
    for name, expression in writer.echo():
        lines.append(f"$$ {name} = {expression} $$" if name != expression else f"$$ {expression} $$")
    lines.append("")
    given = f", from the inputs {', '.join(f'${writer.name(i)} = ' + latex_number(result.values[i]) + '$' for i in graph.inputs)}" \
        if graph.inputs else ""
    lines += [f"**Forward pass**: compute each node from its operands, in topological order{given}.", ""]
    if bulk is not None:
        forward_stages = bulk.forward_stages()
    else:
        forward_stages = (writer.forward(step) for step in steps_of(result, FORWARD))
    number = 0
    for number, stages in enumerate(forward_stages, start=1):
        lines.append(f"{number}. ${' = '.join(stages)}$")
        if len(lines) >= _CHUNK_LINES:
            yield "\n".join(lines) + "\n"
            lines.clear()
    if not number:
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
    backward = backward_printed(result, writer, bulk, wrt, mode)
    add = lines.append
    for number, printed in enumerate(backward, start=1):
        equation, remark, uses = printed.stages, printed.remark, printed.uses
        item = f"{number}. "
        indent = " " * len(item)  # continuation lines line up with the item's text
        if uses:
            add(f"{item}{markdown_text(uses)}:")
            add("")
            add(f"{indent}$$")
            add(f"{indent}\\begin{{aligned}}")
            add(f"{indent}{equation[0]} &= {equation[1]} \\\\")
            lines += [f"{indent}&= {stage}" + (" \\\\" if k < len(equation) - 3 else "")
                      for k, stage in enumerate(equation[2:])]
            add(f"{indent}\\end{{aligned}}")
            add(f"{indent}$$")
            add("")
        else:
            add(f"{item}${' = '.join(equation)}$" + (f" ({markdown_text(remark)})" if remark else ""))
        for kind, text in printed.reasons:
            if kind == "since":
                add(f"{indent}- since ${text}$")
            else:
                add(f"{indent}- note: {markdown_text(text)}")
        if len(lines) >= _CHUNK_LINES:
            yield "\n".join(lines) + "\n"
            lines.clear()  # the same list: ``add`` is its append
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
    yield "\n".join(lines) + "\n"

