"""Every step of a derivation printed in two passes, for the text, ASCII and JSON writers.

``step_text.StepTexts`` prints one ``Step`` at a time; made per step, the ``Step`` and ``Term``
objects, the digits check and the per-step look-ups cost about as much as the printing. Here
one pass reads the forward steps and one the backward steps straight from the flat arrays of
``steps.Steps`` (the order of the steps, each node's uses), with every per-node text made once
for the whole derivation: each value's and gradient's six-digit text, whether it reads back
exactly, and its sign. A step whose numbers all read back exactly at six digits needs no digits
check (``numfmt.equation_digits`` would answer six); the others are checked as before.

A node used once (most steps) and every forward step of one or two operands are printed here
from ``StepTexts``' own templates and caches; the rest (the output's step, nodes that do not
reach the output, nodes used several times, calls of three operands) go through
``StepTexts`` itself, so the text is the same bytes either way (tests/test_writers_bulk.py).
"""

from __future__ import annotations

from ..numfmt import _SIX_READ, DIGITS, _six, equation_digits, format_number, six_digit_texts
from ..ops import OPS
from ..steps import FORWARD, Step, Steps
from .equations import _product, gate_phrase_of
from .step_text import _D, _NAME, _NEG, _POS, StepTexts


def bulk_for(result, texts) -> BulkSteps | None:
    """A bulk printer over ``texts`` (a ``StepTexts``), or None when the result's steps are not flat."""
    steps = result.steps
    if type(texts) is not StepTexts or not isinstance(steps, Steps) or texts.print.latex:
        return None
    return BulkSteps(texts, result, steps)


class BulkSteps:
    """The printed steps of one result, read in order from ``Steps``' arrays (see the module docstring)."""

    def __init__(self, texts: StepTexts, result, steps: Steps):
        self.texts = texts
        self.steps = steps
        self.nodes = result.graph.nodes
        self.values = result.values
        self.output = result.graph.output
        self.value_texts, self.value_exact = six_digit_texts(self.values)
        self.value_kinds = [_NEG if v < 0 else _POS for v in self.values]

    # --- forward
    def forward_texts(self):
        """Each forward step's stages joined by " = ", in order (as ``" = ".join(StepTexts.forward(step))``)."""
        texts = self.texts
        nodes, values = self.nodes, self.values
        shown, exact, kinds = self.value_texts, self.value_exact, self.value_kinds
        leaf, operation, binary, unary = texts.leaf, texts.operation, texts.binary, texts.unary
        forwards = OPS.column("forward")
        for node_id in self.steps.forward_order:
            node = nodes[node_id]
            args = node.args
            op = node.op
            value = values[node_id]
            compute = forwards[op]
            if len(args) == 2:
                a, b = args
                x, y = values[a], values[b]
                digits = DIGITS
                if exact[node_id] and exact[a] and exact[b]:
                    try:  # printed as themselves: six digits iff the arithmetic is exact (equation_digits' test)
                        if compute(x, y) != value:
                            digits = equation_digits(compute, (x, y), value)
                    except (ArithmeticError, ValueError):
                        pass
                else:
                    digits = equation_digits(compute, (x, y), value)
                if digits == DIGITS:
                    numeric = binary(op, shown[a], kinds[a], shown[b], kinds[b])
                    total = shown[node_id]
                else:
                    numeric = binary(op, format_number(x, digits), kinds[a], format_number(y, digits), kinds[b])
                    total = format_number(value, digits)
            elif len(args) == 1:
                a = args[0]
                x = values[a]
                digits = DIGITS
                if exact[node_id] and exact[a]:
                    try:
                        if compute(x) != value:
                            digits = equation_digits(compute, (x,), value)
                    except (ArithmeticError, ValueError):
                        pass
                else:
                    digits = equation_digits(compute, (x,), value)
                if digits == DIGITS:
                    numeric = unary(op, shown[a], kinds[a])
                    total = shown[node_id]
                else:
                    numeric = unary(op, format_number(x, digits), kinds[a])
                    total = format_number(value, digits)
            else:  # three operands or more: the step printer itself
                yield " = ".join(texts.forward(Step(FORWARD, node_id, value)))
                continue
            line = last = leaf(node_id)[0]
            over_names = operation(node_id)
            if over_names != last:
                line += " = " + over_names
                last = over_names
            if numeric != last:
                line += " = " + numeric
                last = numeric
            if total != last:
                line += " = " + total
            yield line

    # --- backward
    def backward_lines(self, writer, wrt=None):
        """Each backward step's lines, in order: its equation, then its "since", note and uses lines
        without their indent. ``writer`` (``trace._Writer``) lays out the steps printed by
        ``StepTexts`` and words the notes; ``wrt`` (a set of node ids) keeps those steps only."""
        lines_of = writer.lines
        texts = self.texts
        steps = self.steps
        nodes, values = self.nodes, self.values
        output = self.output
        uses = steps.uses()
        start, consumers, positions = uses.start, uses.consumers, uses.positions
        grads, partials, notes, gates = uses.grads, uses.partials, uses.notes, uses.gates
        grad_texts, grad_exact = six_digit_texts(grads)
        grad_kinds = [_NEG if g < 0 else _POS for g in grads]
        shown, exact, kinds = self.value_texts, self.value_exact, self.value_kinds
        reaches = steps.reaches
        leaf, operation, target, binary = texts.leaf, texts.operation, texts.target, texts.binary
        rule1, rule2 = texts.rule1, texts.rule2
        print_partial = texts.print.partial
        six_read = _SIX_READ.get
        for node_id in steps.backward_order:
            if wrt is not None and node_id not in wrt:
                continue
            at = start[node_id]
            if node_id == output or not reaches[node_id] or start[node_id + 1] - at != 1:
                lines = lines_of(texts.backward(steps.backward_step(node_id)))
                yield [lines[0]] + [line.strip() for line in lines[1:]]
                continue
            consumer, position = consumers[at], positions[at]
            consumer_node = nodes[consumer]
            args = consumer_node.args
            if len(args) > 2:
                lines = lines_of(texts.backward(steps.backward_step(node_id)))
                yield [lines[0]] + [line.strip() for line in lines[1:]]
                continue
            op = consumer_node.op
            up = grads[consumer]
            local = partials[consumer][position]
            digits = DIGITS
            if up != 0.0:  # as _backward_digits: the product's digits (six when nothing flows back)
                contribution = up * local
                if not (grad_exact[consumer] and (six_read(local) or _six(local))[0] == local
                        and (grad_exact[node_id] if contribution == grads[node_id]
                             else (six_read(contribution) or _six(contribution))[0] == contribution)):
                    digits = equation_digits(_product, (up, local), contribution)
            consumer_leaf = leaf(consumer)
            name, name_kind = leaf(node_id)
            if consumer == output:
                partial = target(node_id)
            elif consumer_leaf[1] == _NAME and name_kind == _NAME:
                partial = print_partial(consumer_leaf[0], name)
            else:
                partial = texts.print(texts.equations.partial(consumer, node_id))
            if digits == DIGITS:
                up_text, up_kind = grad_texts[consumer], grad_kinds[consumer]
                if len(args) == 2:
                    a, b = args
                    over_numbers = rule2(op, position, shown[a], kinds[a], shown[b], kinds[b], shown[consumer],
                                         kinds[consumer])
                else:
                    a = args[0]
                    over_numbers = rule1(op, shown[a], kinds[a], shown[consumer], kinds[consumer])
                local_text = format_number(local)
                total = grad_texts[node_id]
            else:
                up_text, up_kind = format_number(up, digits), grad_kinds[consumer]
                if len(args) == 2:
                    a, b = args
                    over_numbers = rule2(op, position, format_number(values[a], digits), kinds[a],
                                         format_number(values[b], digits), kinds[b],
                                         format_number(values[consumer], digits), kinds[consumer])
                else:
                    a = args[0]
                    over_numbers = rule1(op, format_number(values[a], digits), kinds[a],
                                         format_number(values[consumer], digits), kinds[consumer])
                local_text = format_number(local, digits)
                total = format_number(grads[node_id], digits)
            if len(args) == 2:
                over_names = rule2(op, position, *leaf(args[0]), *leaf(args[1]), *consumer_leaf)
            else:
                over_names = rule1(op, *leaf(args[0]), *consumer_leaf)
            line = last = target(node_id)
            for text in (binary("mul", target(consumer), _D, partial, _D),
                         binary("mul", up_text, up_kind, *over_names),
                         binary("mul", up_text, up_kind, *over_numbers),
                         binary("mul", up_text, up_kind, local_text, _NEG if local < 0 else _POS),
                         total):
                if text != last:
                    line += " = " + text
                    last = text
            since = f"since {consumer_leaf[0]} = {operation(consumer)}, {partial} = {over_names[0]}"
            gate = gates[op]
            if gate and (phrase := gate_phrase_of(gate, local)):
                since += f"   ({phrase})"
            note = notes.get((consumer, position))
            if note:
                yield [line, since, writer.note(note)]
            else:
                yield [line, since]
