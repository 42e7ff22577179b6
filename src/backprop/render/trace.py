"""Result → the step-by-step derivation as terminal text (Unicode, or ASCII with --ascii).

``step_lines`` writes one step; the JSON ``steps`` and the HTML stepper use the same
function, so every output tells the same story. The whole derivation (``trace_chunks``) and
the JSON steps' texts (``iter_step_texts``) are printed by ``bulk_text.BulkSteps`` in two
passes over the steps' flat arrays: the same text, made without a ``Step`` object per step.
"""

from __future__ import annotations

import re

from ..errors import BackpropError
from ..graph import CONST, display_name
from ..numfmt import format_input, format_number, shortest
from ..steps import BACKWARD, FORWARD, Step, restrict
from .equations import Equations
from .printer import printer as printer_for
from .bulk_text import bulk_for
from .step_text import PrintedSince, step_texts_for

_UNICODE = {"d": "∂", "times": "×", "dot": "·"}
_ASCII = {"d": "d", "times": "*", "dot": "*"}
_ASCII_PROSE = str.maketrans({"∂": "d", "×": "*", "·": "*", "−": "-", "π": "pi", "≤": "<=", "≥": ">=", "±": "+/-",
                              "σ": "sigma", "…": "...", "²": "^2", "’": "'"})


class _Writer:
    """Prints the steps of one result in one alphabet (the equations come from ``equations.py``)."""

    def __init__(self, result, ascii: bool = False):
        self.result = result
        self.graph = result.graph
        self.values = result.values
        self.ascii = ascii
        self.sym = _ASCII if ascii else _UNICODE
        self.equations = Equations(result)
        self.print = printer_for("ascii" if ascii else "text")
        self.texts = step_texts_for(self.equations, self.print)
        self._names: dict[int, str] = {}  # each node's printed name, made once
        self.out = self.name(self.graph.output)

    def name(self, node_id: int) -> str:
        name = self._names.get(node_id)
        if name is None:
            node = self.graph.nodes[node_id]
            if node.op == CONST and not node.named:
                name = shortest(node.value)
            else:
                name = display_name(node.name, self.ascii)
            if len(self._names) >= 1 << 16:  # bounded: memory stays the graph's, reuse is local
                self._names.clear()
            self._names[node_id] = name
        return name

    def partial(self, top: int, bottom: int) -> str:
        return self.print(self.equations.partial(top, bottom))

    def local_rule(self, consumer: int, position: int) -> str:
        """∂consumer/∂operand as the registry's rule over the operands' names (hover cards)."""
        return self.print(self.equations.local(consumer, position, numeric=False))

    # --- forward
    def forward(self, step: Step) -> list[str]:
        return [" = ".join(self.texts.forward(step))]

    # --- backward
    def backward(self, step: Step) -> list[str]:
        return self.lines(self.texts.backward(step))

    def lines(self, equation) -> list[str]:
        """A printed backward step (``PrintedBackward``) laid out: its equation, then indented reasons."""
        first = " = ".join(equation.stages)
        if equation.remark:
            first += f"   ({equation.remark})"
        lines = [first]
        if equation.uses:
            lines.append(f"    {self.prose(equation.uses)}")
        for reason in equation.reasons:
            if isinstance(reason, PrintedSince):
                definition, rule = reason.definition, reason.rule
                which = f" (as the {reason.which} operand)" if reason.which else ""
                gate = f"   ({since_gate})" if (since_gate := reason.gate) else ""
                lines.append(f"    since {definition}, {rule}{which}{gate}")
            else:
                lines.append(f"    {self.note(reason)}")
        return lines

    def note(self, text: str) -> str:
        return f"note: {self.prose(text)}"

    def prose(self, text: str) -> str:
        """Words with maths symbols in them, in this writer's alphabet."""
        if not self.ascii:
            return text
        # names inside prose (gate notes, "θ is used 2 times") as display_name spells them: theta, h_1
        return re.sub(r"[^\W\d_]+[₀-₉]*", lambda m: display_name(m.group(), True), text.translate(_ASCII_PROSE))

    def step(self, step: Step) -> list[str]:
        return self.forward(step) if step.phase == FORWARD else self.backward(step)


def step_lines(result, step: Step, *, ascii: bool = False) -> list[str]:
    """The text of one step: its equation, then indented 'since …' and note lines."""
    return _Writer(result, ascii).step(step)


def step_texts(result, *, ascii: bool = False) -> list[str]:
    """Every step's text, in order (one writer for the whole list)."""
    return list(iter_step_texts(result, ascii=ascii))


def iter_step_texts(result, *, ascii: bool = False):
    """Every step's text, in order, one at a time (the JSON writer streams them)."""
    writer = _Writer(result, ascii)
    bulk = bulk_for(result, writer.texts)
    if bulk is not None:  # every step printed in two passes over flat arrays
        yield from bulk.forward_texts()
        for lines in bulk.backward_lines(writer):
            yield lines[0] if len(lines) == 1 else "\n".join(lines)
        return
    for step in result.steps:
        lines = writer.step(step)
        yield lines[0] if len(lines) == 1 else lines[0] + "\n" + "\n".join([line.strip() for line in lines[1:]])


def bulk_writer(result, *, ascii: bool = False):
    """(writer, bulk printer) of a result, the bulk printer None on the reference path (``step_text.FAST``)."""
    writer = _Writer(result, ascii)
    return writer, bulk_for(result, writer.texts)


def render_trace(result, *, ascii: bool = False, wrt=None, symbolic: bool = False, hessian: bool = False,
                 mode: str = "reverse", cost: bool = False, paths: bool = False, max_paths: int = 50,
                 lint: bool = False) -> str:
    """The whole derivation: program, forward pass, backward pass and the result table.

    ``wrt`` (input names, as for --wrt) keeps only the backward steps on the paths to those
    inputs, and only their rows in the table. ``mode="forward"`` replaces the backward pass with
    forward mode's tangent sweeps; ``cost`` and ``paths`` add those sections (``modes_views.py``).
    """
    return "".join(trace_chunks(result, ascii=ascii, wrt=wrt, symbolic=symbolic, hessian=hessian, mode=mode,
                                cost=cost, paths=paths, max_paths=max_paths, lint=lint))


def trace_chunks(result, *, ascii: bool = False, wrt=None, symbolic: bool = False, hessian: bool = False,
                 mode: str = "reverse", cost: bool = False, paths: bool = False, max_paths: int = 50,
                 lint: bool = False):
    """``render_trace``'s text in pieces of whole lines, each yielded as soon as it is written, so
    a big derivation goes to its file or stdout without ever being held whole in memory."""
    if ascii:
        for chunk in _trace_chunks(result, True, wrt, symbolic, hessian, mode, cost, paths, max_paths, lint):
            yield chunk.encode("ascii", "backslashreplace").decode("ascii")
    else:
        yield from _trace_chunks(result, False, wrt, symbolic, hessian, mode, cost, paths, max_paths, lint)


_CHUNK_LINES = 4096  # lines per piece: big enough that writing is cheap, small enough to bound memory


def _trace_chunks(result, ascii, wrt, symbolic, hessian, mode, cost, paths, max_paths, lint):
    if ascii:
        refuse_ascii_clashes(result.graph)
    wrt = restrict(result.graph, wrt)
    writer = _Writer(result, ascii)
    graph = result.graph
    d = writer.sym["d"]
    out = writer.out
    lines = ["Program, as parsed (every operation in parentheses):"]
    lines += [f"  {line}" for line in graph.echo(ascii=ascii)]
    lines.append("")
    lines.append("Forward pass: compute each node from its operands, in topological order")
    if graph.inputs:
        given = ", ".join(f"{writer.name(i)} = {format_input(result.values[i], result.typed.get(graph.nodes[i].name))}"
                          for i in graph.inputs)
        lines.append(f"  inputs: {given}")
    # Read as they come, not into lists: result.steps makes each step as it is read, and lists would
    # hold them all. The forward steps come first, then the backward ones.
    from itertools import dropwhile, takewhile

    bulk = bulk_for(result, writer.texts)  # every step printed in two passes over flat arrays
    if bulk is not None:
        forward_texts = bulk.forward_texts()
        backward_lines = bulk.backward_lines(writer, wrt)
    else:  # the reference path (step_text.FAST off): one Step at a time
        step_forward = writer.texts.forward
        forward_texts = (" = ".join(step_forward(s)) for s in takewhile(lambda s: s.phase == FORWARD, result.steps))
        backward_lines = (_stripped(writer.backward(s)) for s in dropwhile(lambda s: s.phase == FORWARD, result.steps)
                          if wrt is None or s.node in wrt)
    number = 0
    for number, text in enumerate(forward_texts, start=1):  # a forward step is one line: "  N. " and its stages
        lines.append(f"  {number}. {text}")
        if len(lines) >= _CHUNK_LINES:
            yield "\n".join(lines) + "\n"
            lines = []
    if not number:
        lines.append("  (nothing to compute: the output is an input or a constant)")
    if mode != "forward":
        lines.append("")
        lines.append(f"Backward pass: apply the chain rule from {out} back to the inputs, in reverse topological order")
        if wrt is not None:
            chosen = ", ".join(writer.name(i) for i in graph.inputs if i in wrt)
            lines.append(f"  (only the steps on the paths that reach {chosen}: --wrt)")
        for number, printed in enumerate(backward_lines, start=1):
            label = f"  {number}. "  # the step's reasons line up under its equation
            lines.append(label + printed[0] if len(printed) == 1 else label + ("\n" + " " * len(label)).join(printed))
            if len(lines) >= _CHUNK_LINES:
                yield "\n".join(lines) + "\n"
                lines = []
    else:
        from .modes_views import modes_text

        lines += modes_text(result, wrt=wrt, mode=mode, ascii=ascii)
    lines.append("")
    lines.append("Result")
    lines.append(f"  {out} = {format_number(result.value)}")
    shown = [i for i in graph.inputs if wrt is None or i in wrt]
    if shown:
        header = ("input", "value", f"{d}{out}/{d}input")
        rows = [(writer.name(i), format_number(result.values[i]), format_number(result.grads[i])) for i in shown]
        widths = [max(len(r[k]) for r in rows + [header]) for k in range(3)]
        lines.append(f"  {header[0]:<{widths[0]}}  {header[1]:>{widths[1]}}  {header[2]:>{widths[2]}}")
        for row in rows:
            lines.append(f"  {row[0]:<{widths[0]}}  {row[1]:>{widths[1]}}  {row[2]:>{widths[2]}}")
    if symbolic or hessian:
        from .symbolic_views import formulas_text, hessian_text

        if symbolic:
            lines += formulas_text(result, wrt, ascii)
        if hessian:
            lines += hessian_text(result, symbolic, ascii)
    if cost or paths:
        from .modes_views import modes_text

        lines += modes_text(result, wrt=wrt, mode="reverse", cost=cost and mode != "forward", paths=paths,
                            max_paths=max_paths, ascii=ascii)
    from .lint_views import lint_text  # a section when something is found, always with --lint

    lines += lint_text(result, always=lint, ascii=ascii)
    yield "\n".join(lines) + "\n"


def refuse_ascii_clashes(graph) -> None:
    """Refuse a program in which --ascii would print two names alike (θ and theta both as theta): its
    derivation would show two different values under one name."""
    spelled: dict[str, str] = {}
    for name in sorted(graph.written_names()):
        ascii_name = display_name(name, True)
        other = spelled.setdefault(ascii_name, name)
        if other != name:
            raise BackpropError(f"--ascii would print both {other} and {name} as {ascii_name}: rename one of them, "
                                "or leave out --ascii")


def _stripped(lines: list[str]) -> list[str]:
    """A step's lines with its reasons' indent taken off (the numbered layout indents them again)."""
    return [lines[0]] + [line.strip() for line in lines[1:]]


__all__ = ["render_trace", "step_lines", "step_texts", "trace_chunks", "BACKWARD", "FORWARD"]
