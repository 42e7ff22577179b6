"""Result → the step-by-step derivation as terminal text (Unicode, or ASCII with --ascii).

``step_lines`` writes one step; the JSON ``steps`` and the HTML stepper use the same
function, so every output tells the same story.
"""

from __future__ import annotations

from ..graph import CONST, display_name
from ..numfmt import DIGITS, equation_digits, format_input, format_number, format_operand, shortest
from ..ops import OPS
from ..steps import BACKWARD, FORWARD, Step, restrict

_UNICODE = {"d": "∂", "times": "×", "dot": "·"}
_ASCII = {"d": "d", "times": "*", "dot": "*"}


class _Writer:
    """Writes steps of one result in one alphabet."""

    def __init__(self, result, ascii: bool = False):
        self.result = result
        self.graph = result.graph
        self.values = result.values
        self.ascii = ascii
        self.sym = _ASCII if ascii else _UNICODE
        self._names: dict[int, str] = {}  # each node's printed name, made once
        self._numbers: dict[float, str] = {}  # each value's printed form, made once
        self.out = self.name(self.graph.output)

    def name(self, node_id: int) -> str:
        name = self._names.get(node_id)
        if name is None:
            node = self.graph.nodes[node_id]
            if node.op == CONST and not node.named:
                name = shortest(node.value)
            else:
                name = display_name(node.name, self.ascii)
            self._names[node_id] = name
        return name

    def operand(self, x: float) -> str:
        """A number inside an expression (negatives parenthesised), formatted once per value."""
        text = self._numbers.get(x)
        if text is None:
            text = self._numbers[x] = format_operand(x)
        return text

    def partial(self, top: int, bottom: int) -> str:
        d = self.sym["d"]
        return f"{d}{self.name(top)}/{d}{self.name(bottom)}"

    def times(self) -> str:
        return f" {self.sym['times']} "

    def fill(self, template: str, consumer: int, numeric: bool) -> str:
        node = self.graph.nodes[consumer]
        slots = {}
        for key, arg in zip(("x", "y"), node.args):
            slots[key] = self.operand(self.values[arg]) if numeric else self.name(arg)
        slots["out"] = self.operand(self.values[consumer]) if numeric else self.name(consumer)
        text = template.format(**slots)
        if self.ascii:
            text = text.replace("×", "*")
        return text

    # --- forward
    def forward(self, step: Step) -> list[str]:
        node_id = step.node
        node = self.graph.nodes[node_id]
        symbolic = self.graph.operation(node_id, ascii=self.ascii)
        digits = equation_digits(OPS[node.op].forward, [self.values[arg] for arg in node.args], step.value)
        numeric = self._numeric_operation(node_id, digits)
        parts = [self.name(node_id), symbolic]
        if numeric != symbolic:
            parts.append(numeric)
        value = format_number(step.value, digits)
        if value != parts[-1]:
            parts.append(value)
        del node
        return [" = ".join(parts)]

    def _numeric_operation(self, node_id: int, digits: int = DIGITS) -> str:
        node = self.graph.nodes[node_id]
        op = OPS[node.op]
        symbol = op.ascii_symbol if self.ascii else op.symbol
        if op.kind == "function":  # arguments are already delimited: tanh(-1.2), not tanh((-1.2))
            return f"{op.name}({', '.join(format_number(self.values[arg], digits) for arg in node.args)})"
        parts = [self.operand(self.values[arg]) if digits == DIGITS else format_operand(self.values[arg], digits)
                 for arg in node.args]
        if op.kind == "infix":
            return f"{parts[0]} {symbol} {parts[1]}"
        if op.kind == "prefix":
            return f"{symbol}{parts[0]}"
        return f"{op.name}({', '.join(parts)})"

    # --- backward
    def backward(self, step: Step) -> list[str]:
        node_id = step.node
        target = self.partial(self.graph.output, node_id)
        if node_id == self.graph.output:
            return [f"{target} = 1   (the output's gradient with respect to itself)"]
        if not step.reaches_output:
            return [f"{target} = 0   ({self.name(node_id)} does not feed into {self.out}, so it has no effect on it)"]
        terms = step.terms
        joiner = self.times() if len(terms) == 1 else self.sym["dot"]
        chain = " + ".join(
            f"{self.partial(self.graph.output, t.consumer)}{joiner}{self.partial(t.consumer, node_id)}"
            for t in terms
        )
        stages = [
            " + ".join(self._term_text(t, stage) for t in terms) for stage in ("symbolic", "substituted", "local")
        ]
        if len(terms) > 1:
            stages.append(" + ".join(self.operand(t.contribution) for t in terms))
        equation = [target, chain]
        for stage in stages:
            if stage != equation[-1]:
                equation.append(stage)
        total = format_number(step.value)
        if total != equation[-1]:
            equation.append(total)
        lines = [" = ".join(equation)]
        if len(terms) > 1:
            counts: dict[str, int] = {}
            for t in terms:
                counts[self.name(t.consumer)] = counts.get(self.name(t.consumer), 0) + 1
            users = ", ".join(name + ("" if n == 1 else f" ({n} times)") for name, n in counts.items())
            lines.append(
                f"    {self.name(node_id)} is used {len(terms)} times (by {users}): "
                f"its gradient is the sum of the {len(terms)} paths"
            )
        seen = set()
        for t in terms:
            since = self._since(t, node_id)
            if since not in seen:
                seen.add(since)
                lines.append(f"    {since}")
            if t.note and t.note not in seen:
                seen.add(t.note)
                lines.append(f"    note: {t.note}")
        return lines

    def _local_template(self, t) -> str:
        return OPS[self.graph.nodes[t.consumer].op].grad_text[t.position]

    def _term_text(self, t, stage: str) -> str:
        upstream = self.operand(t.upstream)
        if stage == "local":
            return f"{upstream}{self.times()}{self.operand(t.local)}"
        text = self.fill(self._local_template(t), t.consumer, numeric=stage == "substituted")
        if (any(c in text for c in " +×*/^") or text.startswith("-")) and not text.startswith("("):
            text = f"({text})"
        return f"{upstream}{self.times()}{text}"

    def _since(self, t, node_id: int) -> str:
        consumer = t.consumer
        local = self.fill(self._local_template(t), consumer, numeric=False)
        definition = self.graph.operation(consumer, ascii=self.ascii)
        which = ""
        node = self.graph.nodes[consumer]
        if node.args.count(node_id) > 1:
            which = " (as the " + ("left" if t.position == 0 else "right") + " operand)"
        return f"since {self.name(consumer)} = {definition}, {self.partial(consumer, node_id)} = {local}{which}"

    def step(self, step: Step) -> list[str]:
        return self.forward(step) if step.phase == FORWARD else self.backward(step)


def step_lines(result, step: Step, *, ascii: bool = False) -> list[str]:
    """The text of one step: its equation, then indented 'since …' and note lines."""
    return _Writer(result, ascii).step(step)


def step_texts(result, *, ascii: bool = False) -> list[str]:
    """Every step's text, in order (one writer for the whole list)."""
    writer = _Writer(result, ascii)
    return ["\n".join(line.strip() if i else line for i, line in enumerate(writer.step(s))) for s in result.steps]


def render_trace(result, *, ascii: bool = False, wrt=None) -> str:
    """The whole derivation: program, forward pass, backward pass and the result table.

    ``wrt`` (input names, as for --wrt) keeps only the backward steps on the paths to those
    inputs, and only their rows in the table.
    """
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
    forward_steps = [s for s in result.steps if s.phase == FORWARD]
    backward_steps = [s for s in result.steps if s.phase == BACKWARD and (wrt is None or s.node in wrt)]
    for number, step in enumerate(forward_steps, start=1):
        lines += _numbered(number, writer.forward(step))
    if not forward_steps:
        lines.append("  (nothing to compute: the output is an input or a constant)")
    lines.append("")
    lines.append(f"Backward pass: apply the chain rule from {out} back to the inputs, in reverse topological order")
    if wrt is not None:
        chosen = ", ".join(writer.name(i) for i in graph.inputs if i in wrt)
        lines.append(f"  (only the steps on the paths that reach {chosen}: --wrt)")
    for number, step in enumerate(backward_steps, start=1):
        lines += _numbered(number, writer.backward(step))
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
    text = "\n".join(lines) + "\n"
    return text.encode("ascii", "backslashreplace").decode("ascii") if ascii else text


def _numbered(number: int, lines: list[str]) -> list[str]:
    first, *rest = lines
    label = f"  {number}. "
    return [label + first] + [" " * len(label) + line.strip() for line in rest]


__all__ = ["render_trace", "step_lines", "step_texts", "BACKWARD", "FORWARD"]
