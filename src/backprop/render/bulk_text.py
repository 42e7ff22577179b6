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

from math import isfinite

from ..graph import CONST
from ..numfmt import DIGITS, REDONE_WITHIN, SixDigits, equation_digits, format_number, six_read
from ..ops import OPS
from ..steps import FORWARD, Step, Steps
from .equations import SHOWN_TERMS, _product, _total, gate_phrase_of, uses_phrase
from .step_text import _ADD, _D, _MORE, _MUL, _NAME, _NEG, _POS, StepTexts, number_kind, operand_side

_DOT = ("op", "dot")
_SLASHED = ("name", True)  # a name with "/" in it (grad()'s ∂f/∂x): bracketed as an operand
# Operations over names and ∂L/∂node kept for the backward pass: bounded, so that a derivation of
# 10⁶ operations stays within memory (a consumer's are usually recent; a miss prints them again).
_REMEMBERED = 1 << 17


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
        self.six = SixDigits(self.values)
        self.value_kinds = list(map(number_kind, self.values, self.six.texts))  # 3e-7 is bracketed under ^
        # per node, made once: its name or literal and kind (as an operand); its operation over
        # names (filled by the forward pass) and ∂L/∂node (by the backward pass), bounded
        leaf, name = texts.leaf, texts.print.name
        # two lists, not a (text, kind) tuple per node: 56 bytes a node fewer at 10⁶ nodes
        self.names: list[str] = []
        self.name_kinds: list[tuple] = []
        add_name, add_kind = self.names.append, self.name_kinds.append
        for i, node in enumerate(self.nodes):  # as StepTexts.leaf
            if node.op == CONST and not node.named:
                text, kind = leaf(i)
            else:
                label = node.name  # a property (a generated name is made from its number): read once
                text, kind = name(label), _SLASHED if "/" in label else _NAME
            add_name(text)
            add_kind(kind)
        self.operations: dict[int, str] = {}
        self.targets: dict[int, str] = {}

    # --- forward
    def forward_texts(self):
        """Each forward step's stages joined by " = ", in order (as ``" = ".join(StepTexts.forward(step))``)."""
        texts = self.texts
        nodes, values = self.nodes, self.values
        six = self.six
        shown = six.texts
        kinds = self.value_kinds
        operation, binary, unary = texts.operation, texts.binary, texts.unary
        names, name_kinds, operations = self.names, self.name_kinds, self.operations
        forwards = OPS.column("forward")
        aliases = texts.aliases  # an operand written as an alias (f = e): StepTexts.operation prints it
        forms = texts._binary  # (op, kind, kind) → %-format, filled by StepTexts.binary
        for node_id in self.steps.forward_order:
            node = nodes[node_id]
            args = node.args
            op = node.op
            value = values[node_id]
            compute = forwards[op]
            if len(args) == 2:
                a, b = args
                x, y = values[a], values[b]
                digits = forward_digits(compute, node_id, args, values, six)
                # StepTexts.binary's templates looked up here (a call fewer a stage); made there when missing
                if digits == DIGITS:
                    form = forms.get((op, kinds[a], kinds[b]))
                    numeric = form % (shown[a], shown[b]) if form else binary(op, shown[a], kinds[a], shown[b],
                                                                               kinds[b])
                    total = shown[node_id]
                else:  # the kinds at these digits too (1234567 is 1.23457e6 at six)
                    x_text, y_text = format_number(x, digits), format_number(y, digits)
                    numeric = binary(op, x_text, number_kind(x, x_text), y_text, number_kind(y, y_text))
                    total = format_number(value, digits)
                if aliases:
                    over_names = operation(node_id)
                else:
                    form = forms.get((op, name_kinds[a], name_kinds[b]))
                    over_names = form % (names[a], names[b]) if form else binary(op, names[a], name_kinds[a],
                                                                                  names[b], name_kinds[b])
            elif len(args) == 1:
                a = args[0]
                x = values[a]
                digits = forward_digits(compute, node_id, args, values, six)
                if digits == DIGITS:
                    numeric = unary(op, shown[a], kinds[a])
                    total = shown[node_id]
                else:
                    x_text = format_number(x, digits)
                    numeric = unary(op, x_text, number_kind(x, x_text))
                    total = format_number(value, digits)
                over_names = unary(op, names[a], name_kinds[a]) if not aliases else operation(node_id)
            else:  # three operands or more: the step printer itself
                yield " = ".join(texts.forward(Step(FORWARD, node_id, value)))
                continue
            if len(operations) >= _REMEMBERED:
                operations.clear()
            operations[node_id] = over_names
            line = last = names[node_id]
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
        six_grads = SixDigits(grads)
        grad_texts, grad_reads, grad_claims = six_grads.texts, six_grads.reads, six_grads.claims
        grad_kinds = [_NEG if g < 0 else _POS for g in grads]
        shown, kinds = self.six.texts, self.value_kinds
        reaches = steps.reaches
        operation, target, binary = texts.operation, texts.target, texts.binary
        names, name_kinds, operations, targets = self.names, self.name_kinds, self.operations, self.targets
        rule_over = texts.rule_over
        self.grads, self.grad_six, self.grad_kinds = grads, six_grads, grad_kinds
        d = "d" if texts.print.ascii else "∂"
        out_named = texts.out[1] == _NAME
        out_over = f"{d}{texts.out[0]}/{d}"  # ∂L/∂ before a node's name
        mul_forms = texts._binary  # (op, kind, kind) → %-format, filled by StepTexts.binary
        binary("mul", "", _D, "", _D)  # makes the chain stage's template
        chain_form = mul_forms[("mul", _D, _D)]
        for node_id in steps.backward_order:
            if wrt is not None and node_id not in wrt:
                continue
            at = start[node_id]
            if start[node_id + 1] - at != 1 or node_id == output or not reaches[node_id]:
                several = None
                if node_id != output and reaches[node_id]:
                    several = self._several(node_id, at, start[node_id + 1], uses, writer)
                if several is None:
                    lines = lines_of(texts.backward(steps.backward_step(node_id)))
                    several = [lines[0]] + [line.strip() for line in lines[1:]]
                yield several
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
            local_text = format_number(local)
            digits = DIGITS
            if up != 0.0:  # as _backward_digits: the product's digits (six when nothing flows back)
                contribution = up * local
                if contribution == grads[node_id]:  # the node's gradient: its text is read back already
                    digits = product_digits(up, local, local_text, contribution, consumer, six_grads,
                                            grad_reads[node_id], grad_claims[node_id])
                else:
                    digits = product_digits(up, local, local_text, contribution, consumer, six_grads)
            consumer_name, consumer_kind = names[consumer], name_kinds[consumer]
            name, name_kind = names[node_id], name_kinds[node_id]
            if name_kind == _NAME:  # as StepTexts.target and Printer.partial, without the calls
                own_target = out_over + name if out_named else target(node_id)
                if consumer == output:
                    partial = own_target
                elif consumer_kind == _NAME:
                    partial = f"{d}{consumer_name}/{d}{name}"
                else:
                    partial = texts.print(texts.equations.partial(consumer, node_id))
            else:
                own_target = target(node_id)
                partial = own_target if consumer == output else texts.print(texts.equations.partial(consumer, node_id))
            if digits == DIGITS:
                up_text, up_kind = grad_texts[consumer], grad_kinds[consumer]
                over_numbers = rule_over(op, position, args, shown, kinds, consumer)
                total = grad_texts[node_id]
            else:
                up_text, up_kind = format_number(up, digits), grad_kinds[consumer]
                over_numbers = rule_over(op, position, args, AtDigits(values, digits, format_number),
                                         KindsAt(values, digits), consumer)
                local_text = format_number(local, digits)
                total = format_number(grads[node_id], digits)
            over_names = rule_over(op, position, args, names, name_kinds, consumer)
            # the four products from their templates (StepTexts.binary's, looked up here)
            if len(targets) >= _REMEMBERED:
                targets.clear()
            targets[node_id] = own_target
            chain = chain_form % (targets.get(consumer) or target(consumer), partial)
            form = mul_forms.get(("mul", up_kind, over_names[1]))
            symbolic = form % (up_text, over_names[0]) if form else binary("mul", up_text, up_kind, *over_names)
            form = mul_forms.get(("mul", up_kind, over_numbers[1]))
            substituted = form % (up_text, over_numbers[0]) if form else binary("mul", up_text, up_kind,
                                                                                   *over_numbers)
            local_kind = _NEG if local < 0 else _POS
            form = mul_forms.get(("mul", up_kind, local_kind))
            product = form % (up_text, local_text) if form else binary("mul", up_text, up_kind, local_text, local_kind)
            line = own_target if chain == own_target else own_target + " = " + chain
            if symbolic != chain:
                line += " = " + symbolic
            if substituted != symbolic:
                line += " = " + substituted
            if product != substituted:
                line += " = " + product
            if total != product:
                line += " = " + total
            definition = operations.get(consumer) or operation(consumer)
            since = f"since {consumer_name} = {definition}, {partial} = {over_names[0]}"
            gate = gates[op]
            if gate and (phrase := gate_phrase_of(gate, local)):
                since += f"   ({phrase})"
            note = notes.get((consumer, position)) if notes else None
            if note:
                yield [line, since, writer.note(note).strip()]
            else:
                yield [line, since]

    def _several(self, node_id: int, at: int, stop: int, uses, writer) -> list[str] | None:
        """The lines of a node used several times (as ``StepTexts._backward``), or None when one of
        the uses it shows is by a call of three operands (``StepTexts`` prints those)."""
        nodes = self.nodes
        consumers, positions, partials, notes, gates = uses.consumers, uses.positions, uses.partials, uses.notes, \
            uses.gates
        shown_stop = at + min(stop - at, SHOWN_TERMS)
        if any(len(nodes[consumers[u]].args) > 2 for u in range(at, shown_stop)):
            return None
        more = stop - shown_stop
        grads, grad_kinds = self.grads, self.grad_kinds
        value = grads[node_id]
        digits, contributions = uses_digits(uses, grads, self.grad_six, at, shown_stop, not more, value)
        texts = self.texts
        binary, rule_over, target = texts.binary, texts.rule_over, texts.target
        names, name_kinds, operations, targets = self.names, self.name_kinds, self.operations, self.targets
        output = self.output
        values, kinds = self.values, self.value_kinds
        if digits == DIGITS:
            shown, grad_texts = self.six.texts, self.grad_six.texts
        else:
            shown = grad_texts = None
        at_digits = None if shown else AtDigits(values, digits, format_number)  # when six digits do not hold
        kinds_at = None if shown else KindsAt(values, digits)
        name, name_kind = names[node_id], name_kinds[node_id]
        chain, symbolic, substituted, local_stage, summed, reasons = [], [], [], [], [], []
        seen: set = set()
        for u in range(at, shown_stop):
            consumer, position = consumers[u], positions[u]
            consumer_node = nodes[consumer]
            args = consumer_node.args
            op = consumer_node.op
            up = grads[consumer]
            up_kind = grad_kinds[consumer]
            up_text = grad_texts[consumer] if grad_texts else format_number(up, digits)
            consumer_name, consumer_kind = names[consumer], name_kinds[consumer]
            if consumer == output:  # ∂L/∂a would read as the total: ∂(c × a)/∂a
                partial = texts.print(("d", texts.equations.operation(consumer), texts.equations.ref(node_id)))
            elif consumer_kind == _NAME and name_kind == _NAME:
                partial = texts.print.partial(consumer_name, name)
            else:
                partial = texts.print(texts.equations.partial(consumer, node_id))
            chain.append((binary("dot", targets.get(consumer) or target(consumer), _D, partial, _D), _DOT))
            over_names = rule_over(op, position, args, names, name_kinds, consumer)
            over_numbers = rule_over(op, position, args, shown or at_digits, kinds if shown else kinds_at, consumer)
            symbolic.append((binary("mul", up_text, up_kind, *over_names), _MUL))
            substituted.append((binary("mul", up_text, up_kind, *over_numbers), _MUL))
            local = partials[consumer][position]
            local_stage.append((binary("mul", up_text, up_kind, format_number(local, digits),
                                       _NEG if local < 0 else _POS), _MUL))
            contribution = contributions[u - at]
            summed.append((format_number(contribution, digits), _NEG if contribution < 0 else _POS))
            which = operand_side(args, node_id, position)
            key = (consumer, position if which else None)
            if key not in seen:
                seen.add(key)
                since = f"since {consumer_name} = {operations.get(consumer) or texts.operation(consumer)}, " \
                        f"{partial} = {over_names[0]}"
                if which:
                    since += f" (as the {which} operand)"
                gate = gates[op]
                if gate and (phrase := gate_phrase_of(gate, local)):
                    since += f"   ({phrase})"
                reasons.append(since)
            note = notes.get((consumer, position))
            if note and note not in seen:
                seen.add(note)
                reasons.append(writer.note(note).strip())
        if more:
            reasons.append(writer.note(f"the other {more:,} uses are left out here; --format json lists every "
                                       "contribution").strip())
        own_target = target(node_id)
        if len(targets) >= _REMEMBERED:
            targets.clear()
        targets[node_id] = own_target
        total = grad_texts[node_id] if grad_texts else format_number(value, digits)
        line = last = own_target
        add = self._sum
        for text in (add(chain, more), add(symbolic, more), add(substituted, more), add(local_stage, more),
                     add(summed, more), total):
            if text != last:
                line += " = " + text
                last = text
        used = uses_phrase(nodes, node_id, consumers[at:stop], True)
        return [line, writer.prose(used).strip(), *reasons]

    def _sum(self, terms: list, more: int) -> str:
        """``StepTexts._sum``: terms joined by + from the left, then "… and N more", each + from
        its template (looked up here, not through ``StepTexts.binary``)."""
        texts = self.texts
        forms = texts._binary
        text, kind = terms[0]
        for term_text, term_kind in terms[1:]:
            form = forms.get(("add", kind, term_kind))
            text = form % (text, term_text) if form else texts.binary("add", text, kind, term_text, term_kind)
            kind = _ADD
        if more:
            text = texts.binary("add", text, kind, texts.print.more(more), _MORE)
        return text


class AtDigits:
    """Values printed at ``digits`` by ``number`` (format_number or latex_number), read by index like
    a column of six-digit texts: for the steps whose numbers need more digits (a few)."""

    __slots__ = ("values", "digits", "number")

    def __init__(self, values, digits: int, number):
        self.values, self.digits, self.number = values, digits, number

    def __getitem__(self, node_id: int) -> str:
        return self.number(self.values[node_id], self.digits)


class KindsAt:
    """The kinds of values printed at ``digits`` in text (``step_text.number_kind``), read by index: a
    number's notation can change with its digits (1234567 is 1.23457e6 at six, 1234567 at seven)."""

    __slots__ = ("values", "digits")

    def __init__(self, values, digits: int):
        self.values, self.digits = values, digits

    def __getitem__(self, node_id: int) -> tuple:
        value = self.values[node_id]
        return number_kind(value, format_number(value, self.digits))


def product_digits(up: float, local: float, local_text: str, contribution: float, consumer: int, six: SixDigits,
                   read: float | None = None, claimed: float = 0.0) -> int:
    """``equation_digits(_product, (up, local), contribution)`` for a backward step whose upstream
    is ``consumer``'s gradient (``six``: the gradients' SixDigits), with six_digits_hold's tests
    inlined: ``equation_digits`` runs only where they cannot tell. ``local_text`` is the local
    derivative at six digits; ``read``, ``claimed``: the contribution's six-digit text read back
    and its claim when already known (it is the node's own gradient), else they are looked up."""
    if not (isfinite(contribution) and six.finite[consumer] and isfinite(local)):
        return DIGITS
    if read is None:
        read, claimed = six_read(contribution)
    local_read = float(local_text)
    if read == contribution and six.exact[consumer] and local_read == local:
        return DIGITS
    up_read = six.reads[consumer]
    recomputed = up_read * local_read
    if not isfinite(recomputed):
        return DIGITS
    gap = abs(recomputed - read)
    allowed = claimed + 1e-12 * max(abs(read), abs(up_read), abs(local_read))
    if gap <= allowed:
        return DIGITS
    # equation_digits' next test, the same arithmetic: how far the rounded operands could move the product
    up_half = six.claims[consumer]
    if up_half:
        allowed += abs((up_read + up_half) * local_read - recomputed)
    local_half = six_read(local)[1]
    if local_half:
        allowed += abs(up_read * (local_read + local_half) - recomputed)
    if not (gap > allowed * (1 + 1e-9) or gap > REDONE_WITHIN * abs(read)):
        return DIGITS
    return equation_digits(_product, (up, local), contribution)


def uses_digits(uses, grads, six: SixDigits, at: int, shown_stop: int, whole: bool, value: float) -> tuple:
    """The digits of a node used several times (as ``_backward_digits``): every shown product's,
    and the sum's when every use is shown (``whole``); with the shown contributions, in order."""
    consumers, positions, partials = uses.consumers, uses.positions, uses.partials
    digits = DIGITS
    contributions = []
    for u in range(at, shown_stop):
        consumer = consumers[u]
        up = grads[consumer]
        local = partials[consumer][positions[u]]
        if up != 0.0:
            contribution = up * local
            found = product_digits(up, local, format_number(local), contribution, consumer, six)
            if found > digits:
                digits = found
        else:
            contribution = 0.0
        contributions.append(contribution)
    if whole:
        found = equation_digits(_total, contributions, value)
        if found > digits:
            digits = found
    return digits, contributions


def forward_digits(compute, node_id: int, args: tuple, values, six: SixDigits) -> int:
    """``equation_digits(compute, operands, value)`` for a forward step of one or two operands, its
    first tests (six_digits_hold's) inlined from the values' SixDigits: most steps need no more."""
    finite, exact, reads = six.finite, six.exact, six.reads
    if not finite[node_id]:
        return DIGITS
    value = values[node_id]
    try:
        if len(args) == 2:
            a, b = args
            if not (finite[a] and finite[b]):
                return DIGITS
            x, y = values[a], values[b]
            if exact[node_id] and exact[a] and exact[b] and compute(x, y) == value:
                return DIGITS
            read_a, read_b, read = reads[a], reads[b], reads[node_id]
            recomputed = compute(read_a, read_b)
            if not isfinite(recomputed):
                return DIGITS
            gap = abs(recomputed - read)
            allowed = six.claims[node_id] + 1e-12 * max(abs(read), abs(read_a), abs(read_b))
            if gap <= allowed:
                return DIGITS
            # equation_digits' next test, the same arithmetic: how far the rounded operands could move it
            claims = six.claims
            if claims[a]:
                allowed += abs(compute(read_a + claims[a], read_b) - recomputed)
            if claims[b]:
                allowed += abs(compute(read_a, read_b + claims[b]) - recomputed)
            if gap > allowed * (1 + 1e-9) or gap > REDONE_WITHIN * abs(read):
                return equation_digits(compute, (x, y), value)
        else:
            a = args[0]
            if not finite[a]:
                return DIGITS
            x = values[a]
            if exact[node_id] and exact[a] and compute(x) == value:
                return DIGITS
            read_a, read = reads[a], reads[node_id]
            recomputed = compute(read_a)
            if not isfinite(recomputed):
                return DIGITS
            gap = abs(recomputed - read)
            allowed = six.claims[node_id] + 1e-12 * max(abs(read), abs(read_a))
            if gap <= allowed:
                return DIGITS
            if six.claims[a]:  # as above
                allowed += abs(compute(read_a + six.claims[a]) - recomputed)
            if gap > allowed * (1 + 1e-9) or gap > REDONE_WITHIN * abs(read):
                return equation_digits(compute, (x,), value)
    except (ArithmeticError, ValueError):
        pass
    return DIGITS
