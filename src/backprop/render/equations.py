"""Step records → equations: what each step of the derivation says, as expressions.

This is the one equation model of the derivation. A forward step is a chain of equal
expressions (``e = a × b = 2 × 3 = 6``); a backward step is the chain rule's stages
(``∂L/∂a = ∂L/∂e × ∂e/∂a = 5 × b = 5 × 3 = 15``) plus its reasons ("since e = a × b,
∂e/∂a = b", kink notes, "x is used 2 times"). The text, ASCII, Markdown, LaTeX and HTML
writers print these with ``printer.Printer`` and lay them out; none re-derives a step.

Local derivatives come from the registry's rules (``rules.rule_exprs``) with the operands'
names (symbolic stage) or values (substituted stage) put in.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import islice

from ..graph import CONST
from ..numfmt import DIGITS, equation_digits, exact_digits, format_number
from ..ops import OPS
from ..rules import rule_exprs, substitute
from ..steps import Step

_SLOTS = ("x", "y")
# A node used more often than this shows its first uses, "… and N more", and the sum: the step
# stays readable and the writers linear (JSON lists every contribution, render/export.py).
SHOWN_TERMS = 20


@dataclass(frozen=True, slots=True)
class Since:
    """'since e = a × b, ∂e/∂a = b (as the left operand)' as data."""

    consumer: object  # the consumer's name
    definition: object  # its operation over its operands' names
    partial: object  # ∂consumer/∂node
    local: object  # the rule, over names
    which: str | None  # "left"/"right" when the node is both operands
    gate: str | None = None  # "mul gate: it swaps its operands' values" (CS231n's patterns), no maths in it


@dataclass(frozen=True, slots=True)
class BackwardEquation:
    stages: list  # target, chain, symbolic, substituted, local, contributions, total (as expressions)
    remark: str | None  # "the output's gradient with respect to itself", "does not feed into"
    uses: str | None  # "x is used 2 times (by p, q): its gradient is the sum of the 2 paths"
    reasons: list  # Since records and note strings, in order, without repeats


class Equations:
    """Builds the equations of one evaluated result (names and rules cached per node)."""

    def __init__(self, result):
        self.result = result
        self.graph = result.graph
        self.values = result.values
        self._refs: dict[int, tuple] = {}
        # Made once per node and reused (forward step, "since" lines, chain stages): the same
        # tuples also let the printer find their text again (printer.Printer._small).
        self._operations: dict[int, tuple] = {}
        self._rules: dict[tuple[int, int], tuple] = {}
        self._targets: dict[int, tuple] = {}
        self._last: tuple | None = None  # (step, equation): writers ask for a step's parts in turn
        self.output = self.ref(self.graph.output)

    # --- leaves
    def ref(self, node_id: int) -> tuple:
        """A node as a leaf: its name, or its value for an unnamed literal."""
        found = self._refs.get(node_id)
        if found is None:
            node = self.graph.nodes[node_id]
            if node.op == CONST and not node.named:
                found = ("num", node.value, exact_digits(node.value))  # a literal as written: 0.1, 1e-7
            else:
                found = ("name", node.name)
            _keep(self._refs, node_id, found)
        return found

    def number(self, x: float) -> tuple:
        return ("num", x)

    def operation(self, node_id: int, numeric: bool = False, digits: int = DIGITS) -> tuple:
        """One level of a node: its operation over its operands' names (or values, to ``digits``)."""
        if not numeric:
            found = self._operations.get(node_id)
            if found is not None:
                return found
        node = self.graph.nodes[node_id]
        if not node.args:
            return self.ref(node_id)
        if numeric:
            values = self.values
            return ("op", node.op, tuple(("num", values[arg], digits) for arg in node.args))
        if self.graph.alias_uses:  # f = e; L = f × 2 shows f, as written
            aliases = self.graph.alias_uses
            args = tuple(("name", aliases[node_id, position]) if (node_id, position) in aliases else self.ref(arg)
                         for position, arg in enumerate(node.args))
        else:
            args = tuple(self.ref(arg) for arg in node.args)
        found = _keep(self._operations, node_id, ("op", node.op, args))
        return found

    def local(self, consumer: int, position: int, numeric: bool, digits: int = DIGITS) -> tuple:
        """∂consumer/∂operand as the registry's rule, over names or values (to ``digits``)."""
        if not numeric:
            found = self._rules.get((consumer, position))
            if found is not None:
                return found
        node = self.graph.nodes[consumer]
        rule = rule_exprs(OPS[node.op])[position]
        if numeric:
            slots = {key: ("num", self.values[arg], digits) for key, arg in zip(_SLOTS, node.args)}
            slots["out"] = ("num", self.values[consumer], digits)
            return substitute(rule, slots)
        slots = {key: self.ref(arg) for key, arg in zip(_SLOTS, node.args)}
        slots["out"] = self.ref(consumer)
        return _keep(self._rules, (consumer, position), substitute(rule, slots))

    def partial(self, top: int, bottom: int) -> tuple:
        if top != self.graph.output:
            return ("d", self.ref(top), self.ref(bottom))
        found = self._targets.get(bottom)  # ∂L/∂node: a step's target, and a factor of its operands' steps
        if found is None:
            found = _keep(self._targets, bottom, ("d", self.output, self.ref(bottom)))
        return found

    def local_partial(self, consumer: int, node_id: int, step: Step) -> tuple:
        """∂consumer/∂node as one local factor. Where the consumer is the output and the node
        has other paths too, ∂L/∂a would read as the total: write ∂(c × a)/∂a instead."""
        if consumer == self.graph.output and len(step.terms) > 1:
            return ("d", self.operation(consumer), self.ref(node_id))
        return self.partial(consumer, node_id)

    # --- steps
    def forward(self, step: Step) -> list:
        """A forward step's stages: name, operation, numbers, value (printers drop repeats)."""
        node_id = step.node
        node = self.graph.nodes[node_id]
        # as many digits as it takes for the printed arithmetic to check out (1.0000001 − 1 = 1e-7)
        digits = equation_digits(OPS[node.op].forward, [self.values[arg] for arg in node.args], step.value)
        return [self.ref(node_id), self.operation(node_id), self.operation(node_id, numeric=True, digits=digits),
                ("num", step.value, digits)]

    def backward(self, step: Step) -> BackwardEquation:
        if self._last is not None and self._last[0] is step:
            return self._last[1]
        equation = self._backward(step)
        self._last = (step, equation)
        return equation

    def _backward(self, step: Step) -> BackwardEquation:
        node_id = step.node
        graph = self.graph
        target = self.partial(graph.output, node_id)
        if node_id == graph.output:
            return BackwardEquation([target, ("num", 1.0)], "the output's gradient with respect to itself", None, [])
        if not step.reaches_output:
            name = graph.nodes[node_id].name
            return BackwardEquation([target, ("num", 0.0)],
                                    f"{name} does not feed into {graph.output_name}, so it has no effect on it",
                                    None, [])
        terms = shown_terms(step)
        more = len(step.terms) - len(terms)
        digits = _backward_digits(terms, step.value, whole=not more)
        joiner = "mul" if len(step.terms) == 1 else "dot"
        chain = _sum([("op", joiner, (self.partial(graph.output, t.consumer), self.local_partial(t.consumer, node_id, step)))
                      for t in terms], more)
        symbolic = _sum([("op", "mul", (("num", t.upstream, digits), self.local(t.consumer, t.position, False)))
                         for t in terms], more)
        substituted = _sum([("op", "mul", (("num", t.upstream, digits),
                                           self.local(t.consumer, t.position, True, digits))) for t in terms], more)
        local = _sum([("op", "mul", (("num", t.upstream, digits), ("num", t.local, digits))) for t in terms], more)
        stages = [target, chain, symbolic, substituted, local]
        if len(step.terms) > 1:
            stages.append(_sum([("num", t.contribution, digits) for t in terms], more))
        stages.append(("num", step.value, digits))
        return BackwardEquation(stages, None, self.uses(step), self.reasons(step))

    def uses(self, step: Step) -> str | None:
        """'x is used 2 times (by p, q): …' for a node whose gradient sums several paths."""
        if not step.reaches_output or len(step.terms) < 2:
            return None
        return uses_phrase(self.graph.nodes, step.node, [t.consumer for t in step.terms], step.gate == "copy")

    def reasons(self, step: Step) -> list:
        """Since records and notes of a backward step, in order, each once."""
        node_id = step.node
        found: list = []
        seen: set = set()
        terms = shown_terms(step)
        for t in terms:
            consumer = t.consumer
            which = None
            if self.graph.nodes[consumer].args.count(node_id) > 1:
                which = "left" if t.position == 0 else "right"
            since = Since(self.ref(consumer), self.operation(consumer), self.local_partial(consumer, node_id, step),
                          self.local(consumer, t.position, False), which, gate_phrase(t))
            key = (consumer, t.position if which else None)
            if key not in seen:
                seen.add(key)
                found.append(since)
            if t.note and t.note not in seen:
                seen.add(t.note)
                found.append(t.note)
        more = len(step.terms) - len(terms)
        if more:
            found.append(f"the other {more:,} uses are left out here; --format json lists every contribution")
        return found

    def _word(self, node_id: int) -> str:
        node = self.graph.nodes[node_id]
        return format_number(node.value) if node.op == CONST and not node.named else node.name


def uses_phrase(nodes, node_id: int, consumers, fork: bool) -> str:
    """'x is used 2 times (by p, q): …' from the ids of a node's consumers, one per use (``Equations.uses``)."""
    counts: dict[str, int] = {}
    for consumer in consumers:
        name = nodes[consumer].name
        counts[name] = counts.get(name, 0) + 1
    node = nodes[node_id].name
    n = len(consumers)
    copy = " (copy gate: a fork sums its branches' gradients)" if fork else ""
    if n <= SHOWN_TERMS:
        users = ", ".join(name + ("" if k == 1 else f" ({k} times)") for name, k in counts.items())
        return f"{node} is used {n} times (by {users}): its gradient is the sum of the {n} paths{copy}"
    listed = [name + ("" if k == 1 else f" ({k:,} times)") for name, k in islice(counts.items(), SHOWN_TERMS)]
    if len(counts) > SHOWN_TERMS:
        listed.append(f"… and {len(counts) - SHOWN_TERMS:,} more")
    return (f"{node} is used {n:,} times (by {', '.join(listed)}): its gradient is the sum of the {n:,} paths, "
            f"the first {SHOWN_TERMS} shown{copy}")


_KEPT = 1 << 16  # entries per cache: reuse is local (a node's uses are near it), memory stays bounded


def _keep(cache: dict, key, value):
    if len(cache) >= _KEPT:
        cache.clear()
    cache[key] = value
    return value


def shown_terms(step: Step) -> tuple:
    """The terms a backward step writes out: all of them, or the first SHOWN_TERMS."""
    terms = step.terms
    return terms if len(terms) <= SHOWN_TERMS else terms[:SHOWN_TERMS]


def _product(upstream: float, local: float) -> float:
    return upstream * local


def _total(*contributions: float) -> float:
    total = 0.0
    for contribution in contributions:  # in the backward pass's order
        total += contribution
    return total


def _backward_digits(terms, value: float, whole: bool = True) -> int:
    """Digits at which every product upstream × local = contribution, and their sum, check out
    (the sum only when ``whole``: a shortened sum can not be checked by its reader)."""
    digits = DIGITS
    for t in terms:
        if t.upstream != 0.0:
            digits = max(digits, equation_digits(_product, [t.upstream, t.local], t.contribution))
    if whole and len(terms) > 1:
        digits = max(digits, equation_digits(_total, [t.contribution for t in terms], value))
    return digits


def _sum(terms: list, more: int = 0) -> tuple:
    """Terms joined by + (left to right), then "… and ``more`` more" when some are left out."""
    total = terms[0]
    for term in terms[1:]:
        total = ("op", "add", (total, term))
    if more:
        total = ("op", "add", (total, ("more", more)))
    return total


def print_stages(printer, stages: list) -> list[str]:
    """The stages printed, each kept only when it differs from the one before."""
    printed: list[str] = []
    for stage in stages:
        text = printer(stage)
        if not printed or text != printed[-1]:
            printed.append(text)
    return printed


def gate_phrase(term) -> str | None:
    """CS231n's name for how the consumer treats the upstream gradient ('add gate: …'), or None."""
    return gate_phrase_of(term.gate, term.local) if term.gate else None


def gate_phrase_of(gate: str | None, local: float) -> str | None:
    """``gate_phrase`` from a term's gate pattern and local derivative (no Term needed)."""
    if gate == "add":
        if local == 1.0:
            return "add gate: it passes the gradient on unchanged"
        if local == -1.0:
            return "add gate: it passes the gradient on negated"
        return None
    if gate == "mul":
        return "mul gate: it swaps its operands' values"
    if gate == "max":
        if local == 1.0:
            return "max gate: it routes the whole gradient to the operand it selected"
        if local == 0.0:
            return "max gate: it routes none of the gradient to an operand it did not select"
        return "max gate: a tie splits the gradient between its operands"
    return None


def print_since(printer, since: Since) -> tuple[str, str]:
    """(definition, rule) of a Since record: ('e = a × b', '∂e/∂a = b')."""
    definition = f"{printer(since.consumer)} = {printer(since.definition)}"
    return definition, f"{printer(since.partial)} = {printer(since.local)}"
