"""Step records → printed stages, fast: per-kind templates filled by string formatting.

``equations.py`` builds each step as expression tuples and ``printer.Printer`` walks them:
clear, and the reference, but 50–100 µs an operation. Here the same text is made from
templates: for each (operation, kinds of its operands, alphabet) the generic printer is run
ONCE on placeholders (``printer.Printer._compose``), and every later step of that kind is a
``%`` format of already printed names and numbers. A registry rule (``rules.rule_exprs``) is
templated the same way per (operation, operand position, kinds of x, y and out).

A *kind* is everything the one parenthesiser (``printer.needs_parentheses``) reads of an
operand: an operation's name, a number's sign and notation (3e-7), whether a name holds a "/", or the shape
(∂, "… more"). Two operands of the same kind are bracketed alike, so a template is exact.
Whatever is printed once per node (names, ∂L/∂node, operations over names) comes from the
generic printer itself. ``GenericStepTexts`` is the reference path (``FAST = False`` makes
every writer use it); tests/test_writers_fast.py checks that both print the same bytes.
The text, ASCII and JSON writers go one step further: ``bulk_text.BulkSteps`` prints every
step from these templates in two passes over the steps' flat arrays (tests/test_writers_bulk.py).
"""

from __future__ import annotations

from operator import itemgetter
from typing import NamedTuple

from ..graph import CONST
from ..numfmt import DIGITS, equation_digits, format_number
from ..ops import OPS
from ..rules import rule_exprs, substitute
from ..steps import Step
from .equations import Equations, Since, _backward_digits, _product, gate_phrase, print_since, print_stages, shown_terms
from .printer import is_scientific

FAST = True  # False: every derivation writer prints through the generic path (the reference)

_NAME = ("name", False)
_NEG = ("num", True)
_POS = ("num", False)
_SCI = ("num", False, "e")  # positive, printed as 3e-7: bracketed as a power's base or exponent in text
_D = ("d",)
_MORE = ("more",)
_MUL = ("op", "mul")
_ADD = ("op", "add")
_KEPT = 1 << 16  # entries per cache: reuse is local (a node's uses are near it), memory stays bounded


class PrintedSince(NamedTuple):  # a tuple: made once per use of a node, it must be cheap to make
    """A "since" reason, printed: ('e = a × b', '∂e/∂a = b', which operand, gate phrase)."""

    definition: str
    rule: str
    which: str | None
    gate: str | None


class PrintedBackward(NamedTuple):
    """A backward step, printed."""

    stages: list  # printed, repeats dropped
    remark: str | None
    uses: str | None
    reasons: list  # PrintedSince records and note strings, in order, without repeats


def kind_of(expr) -> tuple:
    """What the parenthesiser reads of an operand (see the module docstring)."""
    kind = expr[0]
    if kind == "name":
        return ("name", "/" in expr[1])
    if kind == "num":
        return _NEG if expr[1] < 0 else _SCI if is_scientific(expr) else _POS
    if kind == "op":
        return ("op", expr[1])
    return (kind,)


def number_kind(value: float, text: str) -> tuple:
    """The kind of a number printed as ``text`` (format_number's: "e" only in scientific notation)."""
    return _NEG if value < 0 else _SCI if "e" in text else _POS


def _marker(index: int) -> str:
    return f"\x00{index}\x01"


def _stand_in(kind: tuple, index: int):
    """An operand of ``kind`` that prints as marker ``index`` (through ``_TemplatePrinter``)."""
    if kind[0] == "name":
        return ("name", f"\x00{index}" + ("/" if kind[1] else ""))
    if kind[0] == "num":
        # the marker's own text has no "e": the kind says whether the number prints scientific
        return ("num", (-1.0 if kind[1] else 1.0) * (index + 1) * 1e-300, DIGITS, len(kind) > 2)
    if kind[0] == "op":
        return ("op", kind[1], ())
    if kind == _D:
        return ("d", ("name", "a"), ("name", "b"))
    if kind == _MORE:
        return ("more", 1)
    return (kind[0], "t")


def _format(text: str, count: int) -> tuple[str, tuple[int, ...]]:
    """A printed text with markers → a %-format and the marker order it fills."""
    order = []
    pieces = text.replace("%", "%%").split("\x00")
    out = [pieces[0]]
    for piece in pieces[1:]:
        index, _, rest = piece.partition("\x01")
        order.append(int(index))
        out.append("%s" + rest)
    if sorted(set(order)) != list(range(count)) and count:
        raise ValueError("a template lost one of its operands")
    return "".join(out), tuple(order)


def _template_printer(style: str):
    from .printer import Printer

    class TemplatePrinter(Printer):
        """The generic printer, except that stand-in names and numbers print as markers."""

        def name(self, text: str) -> str:
            if text.startswith("\x00"):
                return _marker(int(text[1:].rstrip("/")))
            return super().name(text)

        def number(self, value: float, digits: int = DIGITS) -> str:
            if value != 0 and abs(value) < 1e-290:
                return _marker(round(abs(value) / 1e-300) - 1)
            return super().number(value, digits)

    return TemplatePrinter(style)


def operand_side(args: tuple, node_id: int, position: int) -> str | None:
    """Which operand a use is, "left" or "right", when the node is both operands of its consumer
    (x × x: each use has its own "since" line); None when it is one of them."""
    if args.count(node_id) > 1:
        return "left" if position == 0 else "right"
    return None


class StepTexts:
    """The printed stages and reasons of each step of one result, in one printer's alphabet."""

    def __init__(self, equations: Equations, printer):
        self.equations = equations
        self.print = printer
        # a number printed: format_number itself outside LaTeX (what Printer.number returns there)
        self._number = printer.number if printer.latex else format_number
        self.graph = equations.graph
        self.nodes = equations.graph.nodes
        self.values = equations.values
        self.output = equations.graph.output
        self.aliases = equations.graph.alias_uses
        self._template_printer = None
        self._composed: dict[tuple, tuple] = {}  # (op, operand kinds) → (%-format, order)
        self._binary: dict[tuple, str] = {}  # (op, kind[, kind]) → %-format, operands in order
        self._rules: dict[tuple, tuple] = {}  # (op, position, kinds of x, y, out) → (format, order, top kind)
        self._rules2: dict[tuple, tuple] = {}  # the same for rule2, with the order as a picker
        self._leaves: dict[int, tuple] = {}  # node → (printed ref, kind)
        self._operations: dict[int, str] = {}  # node → its operation over names, printed
        self._targets: dict[int, str] = {}  # node → ∂L/∂node, printed
        self._last: tuple | None = None
        self.out = self.leaf(self.output)

    # --- per node (once each)
    def leaf(self, node_id: int) -> tuple:
        """A node as an operand: (its name or literal, printed; its kind)."""
        found = self._leaves.get(node_id)
        if found is None:
            node = self.nodes[node_id]
            if node.op == CONST and not node.named:
                ref = self.equations.ref(node_id)
                found = (self.print(ref), kind_of(ref))
            else:
                found = (self.print.name(node.name), ("name", "/" in node.name))
            _keep(self._leaves, node_id, found)
        return found

    def operation(self, node_id: int) -> str:
        """The node's operation over its operands' names (or literals), as the generic printer prints it."""
        found = self._operations.get(node_id)
        if found is None:
            node = self.nodes[node_id]
            aliases = self.aliases
            if node.args and not (aliases and any((node_id, p) in aliases for p in range(len(node.args)))):
                found = self.compose(node.op, [self.leaf(arg) for arg in node.args])[0]
            else:  # a constant (pi) or an operand written as an alias (f = e): the generic printer
                found = self.print(self.equations.operation(node_id))
            _keep(self._operations, node_id, found)
        return found

    def target(self, node_id: int) -> str:
        """∂L/∂node."""
        found = self._targets.get(node_id)
        if found is None:
            bottom, kind = self.leaf(node_id)
            if kind == _NAME and self.out[1] == _NAME:
                found = self.print.partial(self.out[0], bottom)
            else:
                found = self.print(self.equations.partial(self.output, node_id))
            _keep(self._targets, node_id, found)
        return found

    # --- templates
    def compose(self, op: str, operands: list) -> tuple:
        """``("op", op, operands)`` printed, from operands already printed as (text, kind)."""
        key = (op, *[kind for _, kind in operands])
        found = self._composed.get(key)
        if found is None:
            found = self._composed[key] = self._template(op, [kind for _, kind in operands])
        form, order = found
        return form % tuple([operands[i][0] for i in order]), ("op", op)

    def binary(self, op: str, left: str, left_kind: tuple, right: str, right_kind: tuple) -> str:
        """``compose`` for two operands, the common case, without building lists."""
        form = self._binary.get((op, left_kind, right_kind))
        if form is None:
            form, order = self._template(op, [left_kind, right_kind])
            if order != (0, 1):
                return self.compose(op, [(left, left_kind), (right, right_kind)])[0]
            self._binary[op, left_kind, right_kind] = form
        return form % (left, right)

    def unary(self, op: str, operand: str, kind: tuple) -> str:
        """``compose`` for one operand (tanh(0.5), -(-2)), without building lists."""
        form = self._binary.get((op, kind))
        if form is None:
            form, order = self._template(op, [kind])
            if order != (0,):
                return self.compose(op, [(operand, kind)])[0]
            self._binary[op, kind] = form
        return form % operand

    def _template(self, op: str, kinds: list) -> tuple:
        stand_ins = tuple(_stand_in(kind, i) for i, kind in enumerate(kinds))
        text = self.print._compose(("op", op, stand_ins), [_marker(i) for i in range(len(kinds))])
        return _format(text, len(kinds))

    def rule(self, consumer: int, position: int, slots: list) -> tuple:
        """∂consumer/∂operand (the registry's rule) with x, y, out filled by (text, kind) operands."""
        op = self.nodes[consumer].op
        key = (op, position, *[kind for _, kind in slots])
        found = self._rules.get(key)
        if found is None:
            found = self._rules[key] = self._rule_template(op, position, [kind for _, kind in slots])
        form, order, top = found
        text = form % tuple([slots[i][0] for i in order])
        return text, (slots[top][1] if type(top) is int else top)

    def rule2(self, op: str, position: int, x: str, x_kind: tuple, y: str, y_kind: tuple, out: str,
              out_kind: tuple) -> tuple:
        """``rule`` for a binary consumer, the common case, without building lists."""
        key = (op, position, x_kind, y_kind, out_kind)
        found = self._rules2.get(key)
        if found is None:
            form, order, top = self._rules.get(key) or self._rule_template(op, position, [x_kind, y_kind, out_kind])
            found = self._rules2[key] = (form, _picker(order), top)
        form, pick, top = found
        text = form % pick((x, y, out))
        if type(top) is int:
            return text, (x_kind, y_kind, out_kind)[top]
        return text, top

    def rule1(self, op: str, x: str, x_kind: tuple, out: str, out_kind: tuple) -> tuple:
        """``rule`` for a unary consumer (tanh, log, neg...), without building lists."""
        key = (op, 0, x_kind, out_kind)
        found = self._rules2.get(key)
        if found is None:
            form, order, top = self._rules.get(key) or self._rule_template(op, 0, [x_kind, out_kind])
            found = self._rules2[key] = (form, _picker(order), top)
        form, pick, top = found
        text = form % pick((x, out))
        if type(top) is int:
            return text, (x_kind, out_kind)[top]
        return text, top

    def rule_over(self, op: str, position: int, args: tuple, printed, kinds, out: int) -> tuple:
        """``rule2`` or ``rule1`` (by the consumer's arity) over its operands ``args`` and its output
        ``out``, each printed as ``printed[i]`` (names, or numbers) of kind ``kinds[i]``."""
        if len(args) == 2:
            a, b = args
            return self.rule2(op, position, printed[a], kinds[a], printed[b], kinds[b], printed[out], kinds[out])
        a = args[0]
        return self.rule1(op, printed[a], kinds[a], printed[out], kinds[out])

    def _rule_template(self, op: str, position: int, kinds: list) -> tuple:
        if self._template_printer is None:
            self._template_printer = _template_printer(self.print.style)
        rule = rule_exprs(OPS[op])[position]
        keys = ("x", "y")[:len(kinds) - 1] + ("out",)
        stand_ins = {key: _stand_in(kind, i) for i, (key, kind) in enumerate(zip(keys, kinds))}
        text = self._template_printer(substitute(rule, stand_ins))
        form, order = _format(text, 0)
        top = keys.index(rule[1]) if rule[0] == "name" and rule[1] in keys else kind_of(rule)
        return form, order, top

    def number(self, value: float, digits: int) -> tuple:
        text = self._number(value, digits)
        return text, number_kind(value, text)

    # --- steps
    def forward(self, step: Step) -> list[str]:
        """A forward step's stages printed, repeats dropped (as ``print_stages`` of ``Equations.forward``)."""
        node_id = step.node
        node = self.nodes[node_id]
        values = self.values
        number = self._number
        args = node.args
        value = step.value
        if len(args) == 2:
            a, b = values[args[0]], values[args[1]]
            digits = equation_digits(OPS[node.op].forward, (a, b), value)
            numeric = self.binary(node.op, *self.number(a, digits), *self.number(b, digits))
        elif len(args) == 1:
            a = values[args[0]]
            digits = equation_digits(OPS[node.op].forward, (a,), value)
            numeric = self.unary(node.op, *self.number(a, digits))
        else:
            operands = [values[arg] for arg in args]
            digits = equation_digits(OPS[node.op].forward, operands, value)
            numeric = self.compose(node.op, [self.number(v, digits) for v in operands])[0]
        printed = [self.leaf(node_id)[0]]
        for text in (self.operation(node_id), numeric, number(value, digits)):
            if text != printed[-1]:
                printed.append(text)
        return printed

    def backward(self, step: Step) -> PrintedBackward:
        """A backward step printed (the LaTeX and Markdown writers ask for its parts in turn)."""
        if self._last is not None and self._last[0] is step:
            return self._last[1]
        printed = self._backward(step)
        self._last = (step, printed)
        return printed

    def _backward(self, step: Step) -> PrintedBackward:
        node_id = step.node
        if node_id == self.output or not step.reaches_output:
            equation = self.equations.backward(step)
            return PrintedBackward(print_stages(self.print, equation.stages), equation.remark, equation.uses, [])
        if len(step.terms) == 1:
            return self._one_use(step, step.terms[0])
        terms = shown_terms(step)
        more = len(step.terms) - len(terms)
        digits = _backward_digits(terms, step.value, whole=not more)
        several = len(step.terms) > 1
        joiner = "dot" if several else "mul"
        values = self.values
        nodes = self.nodes
        number = self._number
        binary = self.binary
        leaf = self.leaf
        name, name_kind = leaf(node_id)
        chain, symbolic, substituted, local, contributions, reasons = [], [], [], [], [], []
        seen: set = set()
        for t in terms:
            consumer = t.consumer
            args = nodes[consumer].args
            up = t.upstream
            up_text, up_kind = number(up, digits), (_NEG if up < 0 else _POS)
            if consumer == self.output:
                if several:
                    partial = self.print(("d", self.equations.operation(consumer), self.equations.ref(node_id)))
                else:
                    partial = self.target(node_id)
            else:
                top, top_kind = leaf(consumer)
                if top_kind == _NAME and name_kind == _NAME:
                    partial = self.print.partial(top, name)
                else:
                    partial = self.print(self.equations.partial(consumer, node_id))
            chain.append((binary(joiner, self.target(consumer), _D, partial, _D), ("op", joiner)))
            position = t.position
            consumer_leaf = leaf(consumer)
            if len(args) == 2:
                op = nodes[consumer].op
                over_names = self.rule2(op, position, *leaf(args[0]), *leaf(args[1]), *consumer_leaf)
                x, y, out = values[args[0]], values[args[1]], values[consumer]
                over_numbers = self.rule2(op, position, *self.number(x, digits), *self.number(y, digits),
                                          *self.number(out, digits))
            elif len(args) == 1:
                op = nodes[consumer].op
                x, out = values[args[0]], values[consumer]
                over_names = self.rule1(op, *leaf(args[0]), *consumer_leaf)
                over_numbers = self.rule1(op, *self.number(x, digits), *self.number(out, digits))
            else:
                over_names = self.rule(consumer, position, [leaf(arg) for arg in args] + [consumer_leaf])
                numbers = [self.number(values[arg], digits) for arg in args] + [self.number(values[consumer], digits)]
                over_numbers = self.rule(consumer, position, numbers)
            symbolic.append((binary("mul", up_text, up_kind, *over_names), _MUL))
            substituted.append((binary("mul", up_text, up_kind, *over_numbers), _MUL))
            local_value = t.local
            local.append((binary("mul", up_text, up_kind, *self.number(local_value, digits)), _MUL))
            if several:
                contributions.append(self.number(t.contribution, digits))
            which = operand_side(args, node_id, position)
            key = (consumer, position if which else None)
            if key not in seen:
                seen.add(key)
                reasons.append(PrintedSince(f"{consumer_leaf[0]} = {self.operation(consumer)}",
                                            f"{partial} = {over_names[0]}", which, gate_phrase(t)))
            if t.note and t.note not in seen:
                seen.add(t.note)
                reasons.append(t.note)
        if more:
            reasons.append(f"the other {more:,} uses are left out here; --format json lists every contribution")
        stages = [self.target(node_id), self._sum(chain, more), self._sum(symbolic, more),
                  self._sum(substituted, more), self._sum(local, more)]
        if several:
            stages.append(self._sum(contributions, more))
        stages.append(number(step.value, digits))
        printed = [stages[0]]
        for text in stages[1:]:
            if text != printed[-1]:
                printed.append(text)
        return PrintedBackward(printed, None, self.equations.uses(step) if several else None, reasons)

    def _one_use(self, step: Step, t) -> PrintedBackward:
        """``_backward`` for a node used once (most steps): the same text, without the sums."""
        node_id, consumer = step.node, t.consumer
        up = t.upstream
        # as _backward_digits: the product's digits (six when nothing flows back)
        digits = equation_digits(_product, (up, t.local), t.contribution) if up != 0.0 else DIGITS
        number = self._number
        binary = self.binary
        leaf = self.leaf
        values = self.values
        args = self.nodes[consumer].args
        up_text, up_kind = number(up, digits), (_NEG if up < 0 else _POS)
        consumer_leaf = leaf(consumer)
        if consumer == self.output:
            partial = self.target(node_id)
        else:
            top, top_kind = consumer_leaf
            name, name_kind = leaf(node_id)
            if top_kind == _NAME and name_kind == _NAME:
                partial = self.print.partial(top, name)
            else:
                partial = self.print(self.equations.partial(consumer, node_id))
        position = t.position
        if len(args) == 2:
            op = self.nodes[consumer].op
            x, y, out = values[args[0]], values[args[1]], values[consumer]
            over_names = self.rule2(op, position, *leaf(args[0]), *leaf(args[1]), *consumer_leaf)
            over_numbers = self.rule2(op, position, *self.number(x, digits), *self.number(y, digits),
                                      *self.number(out, digits))
        elif len(args) == 1:
            op = self.nodes[consumer].op
            x, out = values[args[0]], values[consumer]
            over_names = self.rule1(op, *leaf(args[0]), *consumer_leaf)
            over_numbers = self.rule1(op, *self.number(x, digits), *self.number(out, digits))
        else:
            over_names = self.rule(consumer, position, [leaf(arg) for arg in args] + [consumer_leaf])
            over_numbers = self.rule(consumer, position, [self.number(values[arg], digits) for arg in args]
                                     + [self.number(values[consumer], digits)])
        local = t.local
        target = self.target(node_id)
        printed = [target]
        for text in (binary("mul", self.target(consumer), _D, partial, _D), binary("mul", up_text, up_kind, *over_names),
                     binary("mul", up_text, up_kind, *over_numbers),
                     binary("mul", up_text, up_kind, *self.number(local, digits)),
                     number(step.value, digits)):
            if text != printed[-1]:
                printed.append(text)
        which = None
        if args.count(node_id) > 1:
            which = "left" if position == 0 else "right"
        reasons = [PrintedSince(f"{consumer_leaf[0]} = {self.operation(consumer)}", f"{partial} = {over_names[0]}",
                                which, gate_phrase(t))]
        if t.note:
            reasons.append(t.note)
        return PrintedBackward(printed, None, None, reasons)

    def _sum(self, terms: list, more: int) -> str:
        """Terms joined by + from the left, then "… and N more" (as ``equations._sum``)."""
        text, kind = terms[0]
        for term_text, term_kind in terms[1:]:
            text, kind = self.binary("add", text, kind, term_text, term_kind), _ADD
        if more:
            text = self.binary("add", text, kind, self.print.more(more), _MORE)
        return text


class GenericStepTexts:
    """The reference: the same interface, printed from ``Equations``' expression tuples."""

    def __init__(self, equations: Equations, printer):
        self.equations = equations
        self.print = printer

    def forward(self, step: Step) -> list[str]:
        return print_stages(self.print, self.equations.forward(step))

    def backward(self, step: Step) -> PrintedBackward:
        equation = self.equations.backward(step)
        reasons = []
        for reason in equation.reasons:
            if isinstance(reason, Since):
                definition, rule = print_since(self.print, reason)
                reasons.append(PrintedSince(definition, rule, reason.which, reason.gate))
            else:
                reasons.append(reason)
        return PrintedBackward(print_stages(self.print, equation.stages), equation.remark, equation.uses, reasons)


def step_texts_for(equations: Equations, printer):
    """The step printer the writers use: the fast one, or the reference when ``FAST`` is off."""
    return (StepTexts if FAST else GenericStepTexts)(equations, printer)


def _picker(order: tuple):
    """A function that picks the operands a format fills, in ``order``, from a tuple, as a tuple."""
    if len(order) > 1:
        return itemgetter(*order)
    if order:
        index = order[0]
        return lambda values: (values[index],)
    return lambda values: ()


def _keep(cache: dict, key, value):
    if len(cache) >= _KEPT:
        cache.clear()
    cache[key] = value
    return value
