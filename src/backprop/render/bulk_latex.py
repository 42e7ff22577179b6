"""Every step of a derivation printed in two passes in the LaTeX alphabet, for Markdown and LaTeX.

The LaTeX and Markdown writers read one ``Step`` at a time through ``latex.LatexWriter`` and
``step_text.StepTexts``: a ``Step`` and its ``Term``s made per step, every number printed again
(``Printer.number``), the digits check run per step, and a "since" line made per step. As
``bulk_text.BulkSteps`` does for the text writers, here one pass reads the forward steps and
one the backward steps straight from ``steps.Steps``' flat arrays, with every per-node text
made once: each node's LaTeX name (``latex_name``) and kind, its value's and gradient's LaTeX
number at six digits (``latex.latex_number_text``, from ``numfmt.SixDigits``' texts) and whether six
digits hold for a step (the same decision as for text, from the same read-back numbers).

What is printed comes from ``StepTexts``' own templates and printer, so the stages are the same
bytes; the steps it does not cover (the output's step, nodes that do not reach the output, uses
by calls of three operands) are printed by ``LatexWriter`` itself. ``BULK = False`` (or
``step_text.FAST = False``) keeps every step on that path: tests/test_writers_bulk_latex.py
checks that both print the same Markdown and LaTeX.
"""

from __future__ import annotations


from ..graph import CONST
from ..numfmt import DIGITS, SixDigits, format_number
from ..ops import OPS
from ..steps import BACKWARD, FORWARD, Step, Steps
from .bulk_text import _DOT, _REMEMBERED, _SLASHED, AtDigits, forward_digits, product_digits, uses_digits
from .equations import SHOWN_TERMS, gate_phrase_of, uses_phrase
from .latex import bracket_scientific_bases, latex_name, latex_number, latex_number_text, steps_of
from .step_text import _ADD, _D, _MORE, _MUL, _NAME, _NEG, _POS, StepTexts, operand_side

BULK = True  # False: the LaTeX and Markdown writers read one Step at a time (the reference)


def bulk_latex_for(result, writer) -> BulkLatexSteps | None:
    """A bulk printer over ``writer``'s step texts (a ``LatexWriter``), or None on the reference paths.

    The writer then takes its names from the bulk printer's (the program echo asks for each node's)."""
    steps = result.steps
    texts = writer.texts
    if not BULK or type(texts) is not StepTexts or not isinstance(steps, Steps) or not texts.print.latex:
        return None
    bulk = BulkLatexSteps(texts, result, steps)
    writer.names = bulk.names  # LatexWriter.name's text for every node (tests/test_writers_bulk_latex.py)
    return bulk


class BackwardPrinted:
    """One backward step as the LaTeX writers lay it out (what ``LatexWriter`` gives for a Step)."""

    __slots__ = ("stages", "remark", "uses", "reasons", "several")

    def __init__(self, stages: list, remark: str | None, uses: str | None, reasons: list, several: bool):
        self.stages = stages  # the equation's stages, scientific bases bracketed (LatexWriter.backward)
        self.remark = remark  # "the output's gradient …", "x does not feed into L" (LatexWriter.backward)
        self.uses = uses  # "x is used 2 times (by …)" (LatexWriter.uses)
        self.reasons = reasons  # ("since", math) and ("note", prose) pairs (LatexWriter.reasons)
        self.several = several  # the node has more than one use (its step has more than one term)


def printed_backward(writer, step: Step) -> BackwardPrinted:
    """A backward step printed by ``writer`` (a ``LatexWriter``) from its ``Step``: the reference path."""
    stages, remark = writer.backward(step)
    return BackwardPrinted(stages, remark, writer.uses(step), writer.reasons(step), len(step.terms) > 1)


def backward_printed(result, writer, bulk, wrt, mode: str):
    """The backward steps the LaTeX and Markdown writers lay out: none in forward mode, from the
    bulk printer when there is one, else one ``Step`` at a time (the reference)."""
    if mode == "forward":
        return ()
    if bulk is not None:
        return bulk.backward_steps(writer, wrt)
    return (printed_backward(writer, step) for step in steps_of(result, BACKWARD, wrt))


class BulkLatexSteps:
    """The printed steps of one result in LaTeX, read in order from ``Steps``' arrays."""

    def __init__(self, texts: StepTexts, result, steps: Steps):
        self.texts = texts
        self.steps = steps
        self.nodes = result.graph.nodes
        self.values = result.values
        self.output = result.graph.output
        self.six = SixDigits(self.values)
        self.shown = [latex_number_text(text) for text in self.six.texts]  # each value in LaTeX, six digits
        self.value_kinds = [_NEG if v < 0 else _POS for v in self.values]
        leaf, name = texts.leaf, latex_name  # as the LaTeX printer's name, without its bounded memo
        self.names: list[str] = []
        self.name_kinds: list[tuple] = []
        add_name, add_kind = self.names.append, self.name_kinds.append
        for i, node in enumerate(self.nodes):  # as StepTexts.leaf
            if node.op == CONST and not node.named:
                text, kind = leaf(i)
            else:
                label = node.name  # a property: made on each call for a generated node ([12])
                text, kind = name(label), _SLASHED if "/" in label else _NAME
            add_name(text)
            add_kind(kind)
        self.operations: dict[int, str] = {}
        self.targets: dict[int, str] = {}

    # --- forward
    def forward_stages(self):
        """Each forward step's stages, in order (as ``LatexWriter.forward``)."""
        texts = self.texts
        nodes, values = self.nodes, self.values
        six = self.six
        shown, kinds = self.shown, self.value_kinds
        operation, binary, unary = texts.operation, texts.binary, texts.unary
        names, name_kinds, operations = self.names, self.name_kinds, self.operations
        forwards = OPS.column("forward")
        bracket = bracket_scientific_bases
        aliases = texts.aliases
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
                if digits == DIGITS:
                    numeric = binary(op, shown[a], kinds[a], shown[b], kinds[b])
                    total = shown[node_id]
                else:
                    numeric = binary(op, latex_number(x, digits), kinds[a], latex_number(y, digits), kinds[b])
                    total = latex_number(value, digits)
                over_names = binary(op, names[a], name_kinds[a], names[b], name_kinds[b]) if not aliases \
                    else operation(node_id)
            elif len(args) == 1:
                a = args[0]
                x = values[a]
                digits = forward_digits(compute, node_id, args, values, six)
                if digits == DIGITS:
                    numeric = unary(op, shown[a], kinds[a])
                    total = shown[node_id]
                else:
                    numeric = unary(op, latex_number(x, digits), kinds[a])
                    total = latex_number(value, digits)
                over_names = unary(op, names[a], name_kinds[a]) if not aliases else operation(node_id)
            else:  # three operands or more: the step printer itself
                yield [bracket(stage) for stage in texts.forward(Step(FORWARD, node_id, value))]
                continue
            if len(operations) >= _REMEMBERED:
                operations.clear()
            operations[node_id] = over_names
            last = names[node_id]
            stages = [last]
            if over_names != last:
                stages.append(over_names)
                last = over_names
            if numeric != last:
                stages.append(numeric)
                last = numeric
            if total != last:
                stages.append(total)
            yield stages if "}^{" not in "".join(stages) else [bracket(stage) for stage in stages]

    # --- backward
    def backward_steps(self, writer, wrt=None):
        """Each backward step, in order, as a ``BackwardPrinted``; ``writer`` (``LatexWriter``) prints
        the steps this module does not; ``wrt`` (a set of node ids) keeps those steps only."""
        texts = self.texts
        steps = self.steps
        nodes, values = self.nodes, self.values
        output = self.output
        uses = steps.uses()
        start, consumers, positions = uses.start, uses.consumers, uses.positions
        grads, partials, notes, gates = uses.grads, uses.partials, uses.notes, uses.gates
        six_grads = SixDigits(grads)
        grad_reads, grad_claims = six_grads.reads, six_grads.claims
        grad_texts = [latex_number_text(text) for text in six_grads.texts]
        grad_kinds = [_NEG if g < 0 else _POS for g in grads]
        shown, kinds = self.shown, self.value_kinds
        reaches = steps.reaches
        operation, target, binary = texts.operation, texts.target, texts.binary
        names, name_kinds, operations, targets = self.names, self.name_kinds, self.operations, self.targets
        rule_over = texts.rule_over
        print_expression, partial_of = texts.print, texts.equations.partial
        bracket = bracket_scientific_bases
        self.grads, self.grad_six, self.grad_texts, self.grad_kinds = grads, six_grads, grad_texts, grad_kinds
        out_name = texts.out[0]
        out_named = texts.out[1] == _NAME
        mul_forms = texts._binary  # (op, kind, kind) → %-format, filled by StepTexts.binary
        binary("mul", "", _D, "", _D)  # makes the chain stage's template
        chain_form = mul_forms[("mul", _D, _D)]
        for node_id in steps.backward_order:
            if wrt is not None and node_id not in wrt:
                continue
            at = start[node_id]
            count = start[node_id + 1] - at
            if count != 1 or node_id == output or not reaches[node_id]:
                printed = None
                if node_id != output and reaches[node_id] and count:
                    printed = self._several(node_id, at, start[node_id + 1], uses)
                yield printed or self._reference(writer, node_id)
                continue
            consumer, position = consumers[at], positions[at]
            consumer_node = nodes[consumer]
            args = consumer_node.args
            if len(args) > 2:
                yield self._reference(writer, node_id)
                continue
            op = consumer_node.op
            up = grads[consumer]
            local = partials[consumer][position]
            local_text = format_number(local)
            digits = DIGITS
            if up != 0.0:  # as _backward_digits (bulk_text.BulkSteps.backward_lines)
                contribution = up * local
                if contribution == grads[node_id]:
                    digits = product_digits(up, local, local_text, contribution, consumer, six_grads,
                                            grad_reads[node_id], grad_claims[node_id])
                else:
                    digits = product_digits(up, local, local_text, contribution, consumer, six_grads)
            consumer_name, consumer_kind = names[consumer], name_kinds[consumer]
            name, name_kind = names[node_id], name_kinds[node_id]
            if name_kind == _NAME:  # as StepTexts.target and Printer.partial, without the calls
                if out_named:
                    own_target = rf"\frac{{\partial {out_name}}}{{\partial {name}}}"
                else:
                    own_target = target(node_id)
                if consumer == output:
                    partial = own_target
                elif consumer_kind == _NAME:
                    partial = rf"\frac{{\partial {consumer_name}}}{{\partial {name}}}"
                else:
                    partial = print_expression(partial_of(consumer, node_id))
            else:
                own_target = target(node_id)
                partial = own_target if consumer == output else print_expression(partial_of(consumer, node_id))
            if digits == DIGITS:
                up_text, up_kind = grad_texts[consumer], grad_kinds[consumer]
                over_numbers = rule_over(op, position, args, shown, kinds, consumer)
                total = grad_texts[node_id]
                local_text = latex_number_text(local_text)
            else:
                up_text, up_kind = latex_number(up, digits), grad_kinds[consumer]
                over_numbers = rule_over(op, position, args, AtDigits(values, digits, latex_number), kinds, consumer)
                local_text = latex_number(local, digits)
                total = latex_number(grads[node_id], digits)
            over_names = rule_over(op, position, args, names, name_kinds, consumer)
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
            stages = [own_target]
            if chain != own_target:
                stages.append(chain)
            if symbolic != chain:
                stages.append(symbolic)
            if substituted != symbolic:
                stages.append(substituted)
            if product != substituted:
                stages.append(product)
            if total != product:
                stages.append(total)
            if "}^{" in "".join(stages):  # a power: its base may be a number in scientific form
                stages = [bracket(stage) for stage in stages]
            definition = f"{consumer_name} = {operations.get(consumer) or operation(consumer)}"
            rule = f"{partial} = {over_names[0]}"
            if "}^{" in definition or "}^{" in rule:
                definition, rule = bracket(definition), bracket(rule)
            since = f"{definition},\\quad {rule}"
            gate = gates[op]
            if gate and (phrase := gate_phrase_of(gate, local)):
                since += r"\quad\text{(" + phrase + ")}"
            note = notes.get((consumer, position)) if notes else None
            if note:
                yield BackwardPrinted(stages, None, None, [("since", since), ("note", note)], False)
            else:
                yield BackwardPrinted(stages, None, None, [("since", since)], False)

    def _reference(self, writer, node_id: int) -> BackwardPrinted:
        """A backward step printed by ``LatexWriter`` from its ``Step``."""
        return printed_backward(writer, self.steps.backward_step(node_id))

    def _several(self, node_id: int, at: int, stop: int, uses) -> BackwardPrinted | None:
        """A node used several times (as ``StepTexts._backward``), or None when one of the uses it
        shows is by a call of three operands (``LatexWriter`` prints those)."""
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
        forms = texts._binary  # (op, kind, kind) → %-format, filled by StepTexts.binary
        binary("dot", "", _D, "", _D)  # makes the chain stage's template
        dot_form = forms[("dot", _D, _D)]
        names, name_kinds, operations, targets = self.names, self.name_kinds, self.operations, self.targets
        output = self.output
        values, kinds = self.values, self.value_kinds
        bracket = bracket_scientific_bases
        if digits == DIGITS:
            shown, grad_texts = self.shown, self.grad_texts
            number = None
        else:
            shown = grad_texts = None
            number = latex_number
        at_digits = None if shown else AtDigits(values, digits, number)  # when six digits do not hold
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
            up_text = grad_texts[consumer] if grad_texts else number(up, digits)
            consumer_name, consumer_kind = names[consumer], name_kinds[consumer]
            if consumer == output:  # ∂L/∂a would read as the total: ∂(c × a)/∂a
                partial = texts.print(("d", texts.equations.operation(consumer), texts.equations.ref(node_id)))
            elif consumer_kind == _NAME and name_kind == _NAME:
                partial = rf"\frac{{\partial {consumer_name}}}{{\partial {name}}}"
            else:
                partial = texts.print(texts.equations.partial(consumer, node_id))
            chain.append((dot_form % (targets.get(consumer) or target(consumer), partial), _DOT))
            over_names = rule_over(op, position, args, names, name_kinds, consumer)
            over_numbers = rule_over(op, position, args, shown or at_digits, kinds, consumer)
            form = forms.get(("mul", up_kind, over_names[1]))  # StepTexts.binary's template, looked up here
            symbolic.append((form % (up_text, over_names[0]) if form else binary("mul", up_text, up_kind, *over_names),
                             _MUL))
            form = forms.get(("mul", up_kind, over_numbers[1]))
            substituted.append((form % (up_text, over_numbers[0]) if form else binary("mul", up_text, up_kind,
                                                                                        *over_numbers), _MUL))
            local = partials[consumer][position]
            local_text = latex_number_text(format_number(local)) if shown else number(local, digits)
            local_kind = _NEG if local < 0 else _POS
            form = forms.get(("mul", up_kind, local_kind))
            local_stage.append((form % (up_text, local_text) if form else binary("mul", up_text, up_kind, local_text,
                                                                                 local_kind), _MUL))
            contribution = contributions[u - at]
            summed.append((latex_number_text(format_number(contribution)) if shown else number(contribution, digits),
                           _NEG if contribution < 0 else _POS))
            which = operand_side(args, node_id, position)
            key = (consumer, position if which else None)
            if key not in seen:
                seen.add(key)
                definition = operations.get(consumer) or texts.operation(consumer)
                since = f"{bracket(f'{consumer_name} = {definition}')},\\quad {bracket(f'{partial} = {over_names[0]}')}"
                if which:
                    since += r"\ \text{(as the " + which + " operand)}"
                gate = gates[op]
                if gate and (phrase := gate_phrase_of(gate, local)):
                    since += r"\quad\text{(" + phrase + ")}"
                reasons.append(("since", since))
            note = notes.get((consumer, position))
            if note and note not in seen:
                seen.add(note)
                reasons.append(("note", note))
        if more:
            reasons.append(("note", f"the other {more:,} uses are left out here; --format json lists every "
                                    "contribution"))
        out_name, out_kind = texts.out
        if name_kind == _NAME and out_kind == _NAME:  # as StepTexts.target, without the call
            own_target = rf"\frac{{\partial {out_name}}}{{\partial {name}}}"
        else:
            own_target = target(node_id)
        if len(targets) >= _REMEMBERED:
            targets.clear()
        targets[node_id] = own_target
        total = grad_texts[node_id] if grad_texts else number(value, digits)
        stages = [bracket(own_target)]
        last = own_target
        add = self._sum
        for text in (add(chain, more), add(symbolic, more), add(substituted, more), add(local_stage, more),
                     add(summed, more), total):
            if text != last:
                stages.append(bracket(text))
                last = text
        used = uses_phrase(nodes, node_id, consumers[at:stop], True)
        return BackwardPrinted(stages, None, used, reasons, True)

    def _sum(self, terms: list, more: int) -> str:
        """``StepTexts._sum``, each + from its template (looked up here, not through ``StepTexts.binary``)."""
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
