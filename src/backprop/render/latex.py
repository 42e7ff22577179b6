"""Result → the derivation as LaTeX: an ``align*`` block per pass (needs amsmath).

``LatexWriter`` turns one Step record into LaTeX pieces (the equation's stages, the
"since" lines, the kink notes); ``render_latex`` lays them out as a LaTeX fragment, and
``render/markdown.py`` lays the same pieces out as Markdown math. Both read the same Step
records as the terminal text (``render/trace.py``), so the three can never disagree.
Both read a whole derivation's steps through ``bulk_latex.BulkLatexSteps`` (two passes over the
steps' flat arrays, every per-node text made once), which prints the same bytes as ``LatexWriter``
does step by step (tests/test_writers_bulk_latex.py).
"""

from __future__ import annotations

import re

from ..errors import BackpropError
from ..graph import CONST, INPUT
from ..numfmt import DIGITS, exact_digits, format_number
from ..ops import OPS
from ..steps import FORWARD, Step, restrict
from .latex_fit import equation_rows, since_rows, text_rows

# Greek letters a user may type (θ) or spell (theta): pdflatex needs the command in math mode.
_GREEK = {
    "α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "ε": "epsilon", "ζ": "zeta", "η": "eta",
    "θ": "theta", "ι": "iota", "κ": "kappa", "λ": "lambda", "μ": "mu", "ν": "nu", "ξ": "xi", "π": "pi",
    "ρ": "rho", "σ": "sigma", "τ": "tau", "υ": "upsilon", "φ": "phi", "χ": "chi", "ψ": "psi", "ω": "omega",
    "Γ": "Gamma", "Δ": "Delta", "Θ": "Theta", "Λ": "Lambda", "Ξ": "Xi", "Π": "Pi", "Σ": "Sigma",
    "Υ": "Upsilon", "Φ": "Phi", "Ψ": "Psi", "Ω": "Omega",
    "ϑ": "vartheta", "ς": "varsigma", "ϖ": "varpi", "ϱ": "varrho", "ℓ": "ell",
}
_VERSION_DIGITS = "₀₁₂₃₄₅₆₇₈₉"
_NAMES_KEPT = 1 << 17
_OPERATORS = ("infix", "prefix")  # kinds whose operands may need brackets

# Characters of prose (notes, headings) that text mode needs spelled out.
_TEXT_ESCAPES = {
    "\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "#": r"\#", "%": r"\%",
    "_": r"\_", "^": r"\^{}", "~": r"\~{}", "<": r"\textless{}", ">": r"\textgreater{}",
    "×": r"$\times$", "·": r"$\cdot$", "−": "-", "∂": r"$\partial$", "±": r"$\pm$", "≤": r"$\le$",
    "≥": r"$\ge$", "…": r"\ldots{}", "²": r"\textsuperscript{2}", "π": r"$\pi$", "σ": r"$\sigma$",
    "’": "'", "—": "---", "–": "--",
}


# Each character of prose → its LaTeX (one str.translate a text): escapes first, then Greek, then versions.
_TEXT_TABLE = str.maketrans({
    **{digit: f"\\textsubscript{{{index}}}" for index, digit in enumerate(_VERSION_DIGITS)},
    **{letter: f"$\\{command}$" for letter, command in _GREEK.items()},
    **_TEXT_ESCAPES,
})


def untypeset_letters(names) -> list[str]:
    """The letters of ``names`` that pdflatex with only inputenc's utf8 cannot typeset: not ASCII, not a
    Greek letter with a maths command (θ), not a Latin letter (é): ж, 变, Greek capitals with no command."""
    import unicodedata

    found = []
    for name in names:
        for char in name:
            if not char.isascii() and char not in _GREEK and char not in "∂₀₁₂₃₄₅₆₇₈₉" and char not in found \
                    and not unicodedata.name(char, "").startswith("LATIN "):
                found.append(char)
    return found


def latex_text(text: str) -> str:
    """Prose for LaTeX text mode: special characters escaped, maths symbols typeset; an option's
    two hyphens kept apart (--step, not LaTeX's en dash)."""
    text = text.translate(_TEXT_TABLE)
    return text.replace("--", "-{}-") if "--" in text else text


def latex_name(name: str) -> str:
    """A node's name in math mode: c₁ → c_{1}, θ → \\theta, w_1 → w_{1}, w_out → \\mathit{w\\_out}.

    A last ``_`` and digits or one letter is a subscript, as teachers write it (w_1, x_i); w1 stays
    w1, so a user's c1 can not be confused with the version c₁ of c (a version of w_1 is w_{1,1}).
    """
    if "_" not in name and name.isascii():  # no subscript, version, Greek or ∂: a word as it is (most names)
        return name.strip() if len(name) <= 1 else f"\\mathit{{{name.strip()}}}"
    if name.startswith("∂") and "/∂" in name:  # a derivative's name, from grad(): ∂f/∂x
        top, bottom = name[1:].split("/∂", 1)
        return rf"\frac{{\partial {latex_name(top)}}}{{\partial {latex_name(bottom)}}}"
    base = name.rstrip(_VERSION_DIGITS)
    version = name[len(base):]
    subscripts = []
    head, underscore, tail = base.rpartition("_")
    if underscore and head.strip("_") and (tail.isdigit() or len(tail) == 1 and tail.isalpha()):
        base = head  # w_1, x_i; a word (w_out) stays part of the name
        subscripts.append(tail if tail.isdigit() else _latex_word(tail))
    text = _latex_word(base)
    if version:
        subscripts.append("".join(str(_VERSION_DIGITS.index(c)) for c in version))
    if subscripts:
        text = f"{text}_{{{','.join(subscripts)}}}"
    return text


def _latex_word(word: str) -> str:
    # A letter maths has no command for (é, ж) goes in \text{}: maths mode has no accents or other scripts
    text = "".join(f"\\{_GREEK[c]} " if c in _GREEK else c if c.isascii() else f"\\text{{{c}}}"
                   for c in word).strip().replace("_", r"\_")
    if len(word) == 1 or all(c in _GREEK for c in word):
        return text
    return f"\\mathit{{{text}}}"


def latex_number(x: float, digits: int = DIGITS) -> str:
    """A number in math mode, from the one number formatter: 1.5e-7 → 1.5 \\times 10^{-7}."""
    return latex_number_text(format_number(x, digits))


def latex_number_text(text: str) -> str:
    """``latex_number`` from the number's text as ``format_number`` printed it (at any digits)."""
    if "e" not in text and "n" not in text:  # the common case: digits, a sign, a point
        return text
    if text in ("inf", "-inf"):
        return text.replace("inf", r"\infty")
    if text == "nan":
        return r"\mathrm{nan}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        return f"{mantissa} \\times 10^{{{exponent}}}"
    return text


_SCIENTIFIC_BASE = re.compile(r"(\d+(?:\.\d+)?) \\times 10\^\{(-?\d+)\}\^\{")


def bracket_scientific_bases(text: str) -> str:
    """A number in scientific notation raised to a power, in brackets: (1 \\times 10^{-7})^{2}.

    The step templates bracket an operand by its kind (a sign, an operation), and a number is an
    atom there; but in LaTeX 1e-7 is the product ``1 \\times 10^{-7}``, and a power of it written
    bare is a "Double superscript" error in pdflatex (and reads as 1 × 10^(-7·2)).
    """
    if "}^{" not in text or " \\times 10^{" not in text:  # what the pattern needs, found without it
        return text
    return _SCIENTIFIC_BASE.sub(r"\\left(\1 \\times 10^{\2}\\right)^{", text)


def latex_operand(x: float, digits: int = DIGITS) -> str:
    """A number inside a larger expression: negatives in parentheses, as in 6 + (-10)."""
    text = latex_number(x, digits)
    return f"({text})" if text.startswith("-") else text


class LatexWriter:
    """Prints the steps of one result as LaTeX math (shared by the LaTeX and Markdown renderers);
    the equations come from ``equations.py``, the same model the terminal text prints."""

    def __init__(self, result):
        from .equations import Equations
        from .printer import printer

        self.result = result
        self.graph = result.graph
        self.values = result.values
        self.equations = Equations(result)
        self.print = printer("latex")
        from .step_text import step_texts_for

        self.texts = step_texts_for(self.equations, self.print)
        self._templates: dict[str, list] = {}  # op → its LaTeX as pieces and operand slots
        self._names: dict[int, str] = {}  # node → its name in math mode (``name``)
        self.names: list[str] | None = None  # every node's, when a bulk printer has made them (bulk_latex.py)
        self.out = self.name(self.graph.output)

    # --- names and expressions
    def name(self, node_id: int) -> str:
        """A node in math mode: its name, or its literal as written (kept: the program echo asks again)."""
        if self.names is not None:
            return self.names[node_id]
        found = self._names.get(node_id)
        if found is None:
            node = self.graph.nodes[node_id]
            if node.op == CONST and not node.named:
                found = latex_number(node.value, exact_digits(node.value))
            elif node.op == "pi":
                found = r"\pi"
            else:
                found = latex_name(node.name)
            if len(self._names) >= _NAMES_KEPT:  # bounded: a 10⁶-node program's names would hold ~100 MB
                self._names.clear()
            self._names[node_id] = found
        return found

    def partial(self, top: int, bottom: int) -> str:
        return self.print(self.equations.partial(top, bottom))

    def _apply(self, node_id: int, parts: list) -> list:
        """The node's operation with its operands' pieces in the slots of the registry's LaTeX."""
        op = self.graph.nodes[node_id].op
        template = self._templates.get(op)
        if template is None:
            text = OPS[op].latex.format(**{slot: f"\x00{i}\x01" for i, slot in enumerate(("x", "y"))})
            template = []
            for k, piece in enumerate(text.split("\x00")):
                if k:
                    index, _, piece = piece.partition("\x01")
                    template.append(int(index))
                template.append(piece)
            self._templates[op] = template
        return [parts[piece] if type(piece) is int else piece for piece in template]

    def operation(self, node_id: int) -> str:
        """One level of a node: its operation applied to its operands' names."""
        return self.print(self.equations.operation(node_id))

    def expression(self, node_id: int) -> str:
        """A statement's expression, unnamed intermediates inlined and parenthesised (an explicit stack).

        Each operation is kept as a list of its pieces (the operands' lists inside) and joined once
        at the end: formatting each level's whole text would copy a deep expression once per level."""
        graph = self.graph
        nodes, aliases = graph.nodes, graph.alias_uses
        kinds = OPS.column("kind")
        name, apply = self.name, self._apply
        done: dict[int, object] = {}
        stack = [(node_id, False)]
        while stack:
            current, expanded = stack.pop()
            if current in done:
                continue
            node = nodes[current]
            op = node.op
            if op == INPUT or op == CONST or current != node_id and node.named:  # a leaf: not inlined
                done[current] = name(current)
            elif not expanded:
                stack.append((current, True))
                stack.extend((arg, False) for arg in reversed(node.args) if arg not in done)
            else:  # an inlined operator operand of an operator in brackets (an exponent, a fraction's parts: none)
                bracketing = kinds[op] in _OPERATORS and op != "div"
                parts = []
                for position, arg in enumerate(node.args):
                    if aliases and (current, position) in aliases:
                        parts.append(latex_name(aliases[current, position]))
                        continue
                    text = done[arg]
                    if bracketing:
                        child = nodes[arg]
                        if child.op != INPUT and child.op != CONST and not child.named \
                                and kinds[child.op] in _OPERATORS and not (op == "pow" and node.args[1] == arg):
                            text = [r"\left(", text, r"\right)"]
                    parts.append(text)
                done[current] = apply(current, parts)
        return _joined(done[node_id])

    def echo(self) -> list[str]:
        """The program as parsed, one (name, expression) pair per statement."""
        lines = []
        for index, (name, root) in enumerate(self.graph.statements):
            if index in self.graph.alias_statements:  # f = e, as written
                written = self.graph.alias_statements[index] or self.graph.nodes[root].name
                lines.append((latex_name(name), latex_name(written)))
                continue
            lines.append((latex_name(name), bracket_scientific_bases(self.expression(root))))
        return lines

    # --- steps
    def forward(self, step: Step) -> list[str]:
        """The stages of a forward step: name, operation, numbers, value (repeats dropped)."""
        return [bracket_scientific_bases(stage) for stage in self.texts.forward(step)]

    def backward(self, step: Step) -> tuple[list[str], str | None]:
        """The stages of a backward step's equation, and its remark (output, or no effect), if any."""
        equation = self.texts.backward(step)
        remark = equation.remark
        if remark and " does not feed into" in remark:
            remark = remark.split(", so")[0]
        return [bracket_scientific_bases(stage) for stage in equation.stages], remark

    def reasons(self, step: Step) -> list[tuple[str, str]]:
        """("since", math) and ("note", prose) lines of a backward step, without repeats."""
        from .step_text import PrintedSince

        lines: list[tuple[str, str]] = []
        for reason in self.texts.backward(step).reasons if step.reaches_output else ():
            if isinstance(reason, PrintedSince):
                definition, rule = bracket_scientific_bases(reason.definition), bracket_scientific_bases(reason.rule)
                since = f"{definition},\\quad {rule}"
                if reason.which:
                    since += r"\ \text{(as the " + reason.which + " operand)}"
                if reason.gate:
                    since += r"\quad\text{(" + reason.gate + ")}"
                lines.append(("since", since))
            else:
                lines.append(("note", reason))
        return lines

    def uses(self, step: Step) -> str | None:
        """'x is used 2 times (by p, q)' for a node whose gradient sums several paths."""
        return self.equations.uses(step)

    def inputs_line(self) -> str:
        # One inline formula per input ("$a = 2$, $b = 3$"): a long list breaks and stretches like prose
        return "$, $".join(f"{self.name(i)} = {latex_number(self.values[i], exact_digits(self.values[i]))}"
                         for i in self.graph.inputs)


def _joined(pieces) -> str:
    """The text of nested lists of pieces, in order (an explicit stack: expressions can be deep)."""
    if type(pieces) is str:
        return pieces
    out: list[str] = []
    todo = [pieces]
    while todo:
        item = todo.pop()
        if type(item) is str:
            out.append(item)
        else:
            todo.extend(reversed(item))
    return "".join(out)


def steps_of(result, phase: str, wrt: set[int] | None = None) -> list[Step]:
    """The result's steps of one phase; backward steps restricted to ``wrt``'s relevant nodes."""
    return [s for s in result.steps if s.phase == phase and (wrt is None or phase == FORWARD or s.node in wrt)]


def render_latex(result, standalone: bool = False, *, wrt=None, symbolic: bool = False,
                 hessian: bool = False, mode: str = "reverse", cost: bool = False, paths: bool = False,
                 max_paths: int = 50, lint: bool = False) -> str:
    """The derivation as a LaTeX fragment (amsmath), or a complete document with ``standalone``.

    ``wrt`` (input names, as for --wrt) keeps only the backward steps on the paths to them.
    """
    return "".join(latex_chunks(result, standalone, wrt=wrt, symbolic=symbolic, hessian=hessian, mode=mode,
                                cost=cost, paths=paths, max_paths=max_paths, lint=lint))


_CHUNK_LINES = 4096  # lines per piece, as the text writer's


def latex_chunks(result, standalone: bool = False, *, wrt=None, symbolic: bool = False, hessian: bool = False,
                 mode: str = "reverse", cost: bool = False, paths: bool = False, max_paths: int = 50,
                 lint: bool = False, appendix: list[str] = ()):
    """``render_latex``'s text in pieces of whole lines, each yielded as soon as it is written: a big
    derivation goes to its file or stdout without being held whole in memory. ``appendix``: lines
    that end the body (before ``\\end{document}``)."""
    if standalone:
        letters = untypeset_letters(sorted(result.graph.written_names()))
        if letters:
            raise BackpropError(f"pdflatex cannot typeset {', '.join(letters)} (in a name) in a --standalone "
                                "document: rename, or leave out --standalone and include the fragment in a "
                                "document for xelatex or lualatex")
        yield (
            "\\documentclass[11pt]{article}\n"
            "\\usepackage[utf8]{inputenc}\n"
            "\\usepackage{amsmath}\n"
            "\\usepackage{amssymb}\n"  # \checkmark: a path or forward sweep that matches reverse mode
            "\\usepackage[margin=2.5cm]{geometry}\n"  # a slide-free handout: the seed's table stays on page 1
            "\\allowdisplaybreaks\n"
            "\\begin{document}\n"
        )
    wrt = restrict(result.graph, wrt)
    writer = LatexWriter(result)
    from .bulk_latex import backward_printed, bulk_latex_for

    bulk = bulk_latex_for(result, writer)  # every step read in two passes over flat arrays (None: per Step)
    out = writer.out
    lines = [
        "% The derivation of a backprop run; needs \\usepackage{amsmath} (and amssymb for --paths and --mode forward's"
        " \\checkmark, \\allowdisplaybreaks for long runs).",
        r"\noindent\textbf{Program, as parsed} (every operation in parentheses):",
        r"\begin{align*}",
    ]
    echo_rows = []
    for name, expression in writer.echo():
        echo_rows += equation_rows(name, [expression]) if name != expression else [expression]
    lines += _rows(echo_rows)
    lines.append(r"\end{align*}")
    # \sloppy (in a group): a list of long inputs stretches its spaces rather than overflow the margin
    lines.append(r"{\sloppy\noindent\textbf{Forward pass:} compute each node from its operands, in topological order"
                 + (f", from the inputs ${writer.inputs_line()}$.\\par}}" if result.graph.inputs else ".\\par}"))
    if bulk is not None:
        forward_stages = bulk.forward_stages()
    else:
        forward_stages = (writer.forward(step) for step in steps_of(result, FORWARD))
    rows = _RowStream(lines)
    for stages in forward_stages:
        for row in equation_rows(stages[0], stages[1:]):
            rows.add(row)
        if len(lines) >= _CHUNK_LINES:
            yield "\n".join(lines) + "\n"
            lines.clear()
    if not rows.end():
        lines.append("Nothing to compute: the output is an input or a constant.")
    if mode == "forward":
        from .modes_views import modes_latex

        lines += modes_latex(result, wrt=wrt, mode=mode)
    if mode != "forward":
        lines.append(rf"\noindent\textbf{{Backward pass:}} apply the chain rule from ${out}$ back to the inputs, "
                     "in reverse topological order" + _wrt_words(result, wrt) + ".")
    rows = _RowStream(lines, always=mode != "forward")
    backward = backward_printed(result, writer, bulk, wrt, mode)
    add = rows.add
    for printed in backward:
        equation, remark = printed.stages, printed.remark
        if printed.several and len(equation) > 3:  # a sum over paths: one stage a row
            for row in equation_rows(equation[0], [equation[1]]):
                add(row)
            for stage in equation[2:]:
                for row in equation_rows("", [stage]):
                    add(row)
        else:
            for row in equation_rows(equation[0], equation[1:],
                                     rf" \quad \text{{({latex_text(remark)})}}" if remark else ""):
                add(row)
        uses = printed.uses
        if uses:
            for row in text_rows(latex_text(uses)):
                add(row)
        for kind, text in printed.reasons:
            for row in since_rows(text) if kind == "since" else text_rows(f"note: {latex_text(text)}"):
                add(row)
        rows.gap()  # a little space after each step
        if len(lines) >= _CHUNK_LINES:
            yield "\n".join(lines) + "\n"
            lines.clear()
    rows.end()
    lines.append(rf"\noindent\textbf{{Result:}} ${out} = {latex_number(result.value)}$")
    shown = [i for i in result.graph.inputs if wrt is None or i in wrt]
    if shown:
        lines += [
            r"\begin{center}",
            r"\begin{tabular}{lrr}",
            rf"input & value & $\partial {out} / \partial\,\text{{input}}$ \\ \hline",
        ]
        lines += [f"${writer.name(i)}$ & ${latex_number(result.values[i])}$ & ${latex_number(result.grads[i])}$ \\\\"
                  for i in shown]
        lines += [r"\end{tabular}", r"\end{center}"]
    if symbolic:
        from .symbolic_views import formulas_latex_rows

        lines.append(r"\noindent\textbf{Gradients as formulas} (simplified, over the inputs):")
        lines += [r"\begin{align*}"] + _rows(formulas_latex_rows(result, wrt)) + [r"\end{align*}"]
    if hessian:
        from .symbolic_views import hessian_latex

        lines.append(r"\noindent\textbf{Hessian} (second derivatives):")
        lines += [r"\[", hessian_latex(result, symbolic), r"\]"]
    if cost or paths:
        from .modes_views import modes_latex

        lines += modes_latex(result, wrt=wrt, cost=cost and mode != "forward", paths=paths, max_paths=max_paths)
    from .lint_views import lint_latex  # a section when something is found, always with --lint

    lines += lint_latex(result, always=lint)
    lines += appendix
    yield "\n".join(lines) + "\n"
    if standalone:
        yield "\\end{document}\n"


def _rows(rows: list[str], gaps: set[int] = frozenset()) -> list[str]:
    """align* rows: every row but the last ends with \\\\ (with a little space after the rows in ``gaps``)."""
    return [row + ((r" \\[4pt]" if i in gaps else r" \\") if i < len(rows) - 1 else "") for i, row in enumerate(rows)]


class _RowStream:
    """``_rows`` written into ``lines`` as the rows come: each row waits for the next, which tells
    whether it is the last (no \\\\). The align* opens at the first row (or at once, ``always``)."""

    __slots__ = ("lines", "waiting", "spaced", "opened")

    def __init__(self, lines: list[str], always: bool = False):
        self.lines = lines
        self.waiting = None
        self.spaced = False
        self.opened = always
        if always:
            lines.append(r"\begin{align*}")

    def add(self, row: str) -> None:
        waiting = self.waiting
        if waiting is not None:
            self.lines.append(waiting + (r" \\[4pt]" if self.spaced else r" \\"))
        elif not self.opened:
            self.lines.append(r"\begin{align*}")
            self.opened = True
        self.waiting = row
        self.spaced = False

    def gap(self) -> None:
        """A little space after the row written last (the end of a step)."""
        if self.waiting is not None:
            self.spaced = True

    def end(self) -> bool:
        """Close the align* (when it was opened); whether it was."""
        if self.waiting is not None:
            self.lines.append(self.waiting)
        if self.opened:
            self.lines.append(r"\end{align*}")
        return self.opened


def _wrt_words(result, wrt: set[int] | None) -> str:
    if wrt is None:
        return ""
    names = [result.graph.nodes[i].name for i in result.graph.inputs if i in wrt]
    return ", only along the paths that reach " + ", ".join(f"${latex_name(n)}$" for n in names)
