"""A learner's answers + the evaluated program → each answer right or wrong, and why.

Answers are graded in the derivation's order (values forward, gradients backward). A wrong
answer is explained by recomputing its step: first in the learner's own world (their
earlier answers in place of the true numbers), where a right step on wrong inputs is an
error carried forward (named once, at the node where it started); then under each mistake
model (``mistakes.py``), naming the one that reproduces the learner's number.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..graph import display_name
from ..numfmt import format_number
from ..steps import BACKWARD, FORWARD
from .answers import GRADIENT, VALUE, Answer
from .mistakes import CARRIED, Prediction, World, close, gradient_mistakes, value_mistakes

DEFAULT_TOL = 0.01


@dataclass
class Graded:
    answer: Answer
    label: str  # ∂L/∂a or value(e)
    expected: float
    right: bool
    diagnosis: Prediction | None = None
    others: list[Prediction] = field(default_factory=list)  # further mistakes that give the same number


@dataclass
class Report:
    source: str
    inputs: dict[str, float]
    tol: float
    graded: list[Graded]

    @property
    def all_right(self) -> bool:
        return all(g.right for g in self.graded)

    @property
    def first_wrong(self) -> Graded | None:
        return next((g for g in self.graded if not g.right), None)


def grade(result, answers: list[Answer], tol: float = DEFAULT_TOL) -> Report:
    """Grade every answer, in the derivation's order, with a computed diagnosis for each wrong one."""
    graph = result.graph
    given_values = {a.node: a.given for a in answers if a.kind == VALUE}
    given_grads = {a.node: a.given for a in answers if a.kind == GRADIENT}
    learner = World(result, given_values, given_grads)
    truth = World(result)
    name = _namer(graph)
    order = {}
    for step in result.steps:
        order.setdefault((step.node, VALUE if step.phase == FORWARD else GRADIENT), len(order))
    for node_id in graph.inputs:
        order.setdefault((node_id, VALUE), -1)
    ranked = sorted(answers, key=lambda a: order.get((a.node, a.kind), len(order)))
    graded = []
    for answer in ranked:
        if answer.kind == VALUE:
            expected = result.values[answer.node]
            label = f"value({name(answer.node)})"
        else:
            expected = result.grads[answer.node]
            label = f"∂{name(graph.output)}/∂{name(answer.node)}"
        item = Graded(answer, label, expected, close(answer.given, expected, tol))
        if not item.right:
            matches = _explain(answer, expected, learner, truth, given_values, given_grads, name, tol)
            if matches:
                item.diagnosis, item.others = matches[0], matches[1:]
        graded.append(item)
    return Report(result.source, dict(result.inputs), tol, graded)


def _explain(answer: Answer, expected: float, learner: World, truth: World, given_values, given_grads,
             name, tol: float) -> list[Prediction]:
    """The mistakes that reproduce the learner's number, the likeliest first."""
    graph = truth.graph
    node_id = answer.node
    if answer.kind == VALUE:
        feeding = [(arg, VALUE) for arg in graph.nodes[node_id].args]
        own = learner.value_of(node_id)
    else:
        feeding = [(c, GRADIENT) for c, _ in learner.uses(node_id)]
        feeding += [(arg, VALUE) for c, _ in learner.uses(node_id) for arg in (*graph.nodes[c].args, c)]
        own = learner.gradient(node_id)
    wrong_before = []
    for other, kind in dict.fromkeys(feeding):
        given = (given_values if kind == VALUE else given_grads).get(other)
        true = truth.values[other] if kind == VALUE else truth.grads[other]
        if given is not None and not close(given, true, tol):
            wrong_before.append(f"value({name(other)})" if kind == VALUE else f"∂{name(graph.output)}/∂{name(other)}")
    found: list[Prediction] = []
    if wrong_before and close(answer.given, own, tol):
        found.append(Prediction(CARRIED, own, f"an error carried forward from {', '.join(wrong_before)}: this step "
                                              f"is right with your {' and '.join(wrong_before)}"))
    models = value_mistakes if answer.kind == VALUE else gradient_mistakes
    seen = {p.text for p in found}
    for world in (learner, truth) if wrong_before else (truth,):
        for prediction in models(world, node_id, name):
            if prediction.text in seen or prediction.mistake in {p.mistake for p in found} \
                    or close(prediction.value, expected, tol):
                continue
            if close(answer.given, prediction.value, tol):
                seen.add(prediction.text)
                found.append(prediction)
    return found


def _namer(graph):
    return lambda node_id: display_name(graph.nodes[node_id].name)


def render_report(result, report: Report) -> str:
    """The report as text: each answer right or wrong, then the first wrong one and its likely mistake."""
    from ..render.trace import step_lines

    graph = result.graph
    inputs = ", ".join(f"{name} = {format_number(v)}" for name, v in report.inputs.items())
    lines = [f"Grading {len(report.graded)} answers for " + "; ".join(graph.echo()) +
             (f" with {inputs}" if inputs else "") + f" (right within {report.tol * 100:g}%)"]
    operations = [f"{display_name(n.name)} = {graph.operation(n.id)}" for n in graph.nodes if n.args]
    lines.append(f"  nodes: {', '.join(operations)}")
    width = max(len(g.label) for g in report.graded)
    given_width = max(len(format_number(g.answer.given)) for g in report.graded)
    for g in report.graded:
        verdict = "right" if g.right else f"wrong (expected {format_number(g.expected)})"
        if not g.right and g.diagnosis is not None and g.diagnosis.mistake == CARRIED:
            verdict += ": carried forward"
        lines.append(f"  {g.label:<{width}}  {format_number(g.answer.given):>{given_width}}  {verdict}")
    right = sum(g.right for g in report.graded)
    lines.append("")
    first = report.first_wrong
    if first is None:
        lines.append(f"All {right} right.")
        return "\n".join(lines) + "\n"
    lines.append(f"{right} of {len(report.graded)} right. First wrong, in the derivation's order (values forward, "
                 f"gradients backward): {first.label} = {format_number(first.answer.given)}, "
                 f"expected {format_number(first.expected)}")
    if first.diagnosis is not None:
        lines.append(f"  most likely: {first.diagnosis.text}")
        for other in first.others:
            lines.append(f"  or: {other.text}")
    else:
        lines.append("  no single common mistake gives this number: redo the step below")
    step = next(s for s in result.steps if s.node == first.answer.node and
                s.phase == (FORWARD if first.answer.kind == VALUE else BACKWARD))
    lines.append("  the step:")
    lines += [f"    {line.strip()}" for line in step_lines(result, step)]
    carried = [g.label for g in report.graded if not g.right and g is not first and g.diagnosis is not None
               and g.diagnosis.mistake == CARRIED]
    if carried:
        lines.append(f"  carried forward from an earlier wrong answer (not counted as new mistakes): {', '.join(carried)}")
    return "\n".join(lines) + "\n"


def report_json(report: Report) -> dict:
    """The report as data for autograders (strict JSON once dumped)."""
    from ..render.export import json_number

    def prediction(p: Prediction | None):
        return None if p is None else {"mistake": p.mistake, "text": p.text, "value": json_number(p.value)}

    items = [{
        "label": g.label,
        "kind": g.answer.kind,
        "where": g.answer.where,
        "given": json_number(g.answer.given),
        "expected": json_number(g.expected),
        "right": g.right,
        "diagnosis": prediction(g.diagnosis),
        "also": [prediction(p) for p in g.others],
    } for g in report.graded]
    first = report.first_wrong
    return {
        "program": report.source,
        "inputs": {k: json_number(v) for k, v in report.inputs.items()},
        "tolerance": report.tol,
        "all_right": report.all_right,
        "right": sum(g.right for g in report.graded),
        "total": len(report.graded),
        "first_wrong": None if first is None else items[report.graded.index(first)],
        "answers": items,
    }
