"""A learner's answers (``answers.txt`` or ``--answer`` pairs) → numbers by node.

One answer a line (``#`` starts a comment): ``NAME = NUMBER`` or ``∂L/∂NAME = NUMBER``
(also ``dL/dNAME``) is the gradient of the output with respect to the node NAME, and
``value(NAME) = NUMBER`` is its value. A number may be a constant expression (``1/3``,
``-2^3``). Unknown names, duplicates, non-numbers and missing gradients are refused, each
in one line naming the place.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from ..errors import BackpropError
from ..graph import CONST, display_name
from ..numfmt import format_number
from ..steps import BACKWARD, depends_on_inputs

VALUE = "value"
GRADIENT = "gradient"
_VALUE_KEY = re.compile(r"value\((?P<name>[^()]+)\)\Z")
_PARTIAL_KEY = re.compile(r"(?:∂|d)(?P<top>[^/]+)/(?:∂|d)(?P<name>.+)\Z")


class BadAnswer(BackpropError):
    """An answers file or --answer pair that can not be graded."""


@dataclass(frozen=True)
class Answer:
    node: int
    kind: str  # VALUE or GRADIENT
    given: float
    where: str  # "answers.txt line 3" or "--answer a=15", for messages


def gradable_nodes(result) -> list[int]:
    """The nodes whose gradient a learner computes, in backward order (the output's is 1, not asked)."""
    graph = result.graph
    return [step.node for step in result.steps if step.phase == BACKWARD and step.node != graph.output]


def node_names(result) -> dict[str, int]:
    """Every name a learner may use for a node: as printed, and in ASCII (c₁ is also c_1)."""
    graph = result.graph
    varies = depends_on_inputs(graph)
    names: dict[str, int] = {}
    for node in graph.nodes:
        if node.op == CONST or not varies[node.id]:
            continue
        for spelling in (node.name, display_name(node.name, ascii=True)):
            names.setdefault(spelling, node.id)
    return names


def answers_template(result) -> str:
    """A blank answers file for a program: every node's value and gradient, to fill in."""
    graph = result.graph
    out = display_name(graph.output_name)
    given = ", ".join(f"{display_name(graph.nodes[i].name)} = {format_number(result.values[i])}" for i in graph.inputs)
    lines = [f"# {'; '.join(graph.echo())}" + (f"   with {given}" if given else ""),
             "# Fill in each number; a line left blank after '=' is not graded (use --partial).",
             "# Values, forward:"]
    varies = depends_on_inputs(graph)
    for node in graph.nodes:
        if node.args and varies[node.id]:
            lines.append(f"value({display_name(node.name)}) =    # {display_name(node.name)} = {graph.operation(node.id)}")
    lines.append(f"# Gradients ∂{out}/∂node, backward:")
    lines += [f"∂{out}/∂{display_name(graph.nodes[i].name)} =" for i in gradable_nodes(result)]
    return "\n".join(lines) + "\n"


def read_answer_lines(text: str, source: str) -> list[tuple[str, str]]:
    """(where, "key = number") for every answer of a file's text: one a line, or a JSON object
    ``{"a": 15, "value(e)": 6}`` (as an autograder may write it)."""
    if text.lstrip().startswith("{"):
        return _json_answers(text, source)
    lines = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.split("#", 1)[0].strip()
        if line and not line.endswith("="):  # a template line left blank is not an answer
            lines.append((f"{source} line {number}", line))
    return lines


def _json_answers(text: str, source: str) -> list[tuple[str, str]]:
    import json

    def refuse_duplicates(pairs):
        keys = [key for key, _ in pairs]
        for key in keys:
            if keys.count(key) > 1:
                raise BadAnswer(f"{source}: the key '{key}' appears twice in the JSON object")
        return dict(pairs)

    try:
        data = json.loads(text, object_pairs_hook=refuse_duplicates)
    except json.JSONDecodeError as error:
        raise BadAnswer(f"{source} is not valid JSON: {error.msg} (line {error.lineno}, column {error.colno})") \
            from None
    if not isinstance(data, dict):
        raise BadAnswer(f"{source}: a JSON answers file is one object, such as {{\"a\": 15, \"value(e)\": 6}}")
    entries = []
    for key, value in data.items():
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise BadAnswer(f"{source} \"{key}\": {json.dumps(value)} is not a number")
        entries.append((f"{source} \"{key}\"", f"{key} = {value}"))
    return entries


def parse_answers(result, entries: list[tuple[str, str]], *, partial: bool = False) -> list[Answer]:
    """The answers of (where, "key = number") entries, checked against the program's nodes."""
    from ..assignments import evaluate_constant
    from ..errors import BadAssignment

    graph = result.graph
    names = node_names(result)
    out = display_name(graph.output_name)
    answers: list[Answer] = []
    seen: dict[tuple[int, str], str] = {}
    for where, entry in entries:
        key, equals, number = entry.partition("=")
        key, number = key.strip(), number.strip()
        if not equals or not key or not number:
            raise BadAnswer(f"{where}: '{entry}' is not an answer (write NAME = NUMBER for ∂{out}/∂NAME, "
                            f"or value(NAME) = NUMBER)")
        kind, name = _kind_and_name(key, out, where)
        if name not in names:
            close = difflib.get_close_matches(name, list(names), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise BadAnswer(f"{where}: '{name}' is not a node of the program{hint}; its nodes are: "
                            f"{', '.join(_unique(names))}")
        node_id = names[name]
        if (node_id, kind) in seen:
            raise BadAnswer(f"{where}: a second answer for {_label(graph, node_id, kind)} "
                            f"(the first is at {seen[node_id, kind]})")
        seen[node_id, kind] = where
        try:
            value = evaluate_constant(number, f"{where}")
        except BadAssignment:
            several = " (one answer a line)" if any(c in number for c in ";=") else ""
            raise BadAnswer(f"{where}: '{number}' is not a number (write a number such as -0.5, or 1/3){several}") \
                from None
        answers.append(Answer(node_id, kind, value, where))
    if not answers:
        raise BadAnswer("no answers given: write one NAME = NUMBER a line (or --answer NAME=NUMBER)")
    if not partial:
        given = {a.node for a in answers if a.kind == GRADIENT}
        missing = [graph.nodes[i].name for i in gradable_nodes(result) if i not in given]
        if missing:
            raise BadAnswer(f"no answer for the gradient of {', '.join(missing)}: give every node's gradient "
                            f"(or --partial to grade only the answers given)")
    return answers


def _kind_and_name(key: str, out: str, where: str) -> tuple[str, str]:
    match = _VALUE_KEY.match(key)
    if match:
        return VALUE, match.group("name").strip()
    match = _PARTIAL_KEY.match(key)
    if match and not (key.startswith("d") and key.count("/") != 1):
        top = match.group("top").strip()
        if top not in (out, display_name(out, ascii=True)):
            raise BadAnswer(f"{where}: '{key}' is a derivative of {top}, but the output is {out} "
                            f"(write ∂{out}/∂NAME, or just NAME)")
        return GRADIENT, match.group("name").strip()
    return GRADIENT, key


def _label(graph, node_id: int, kind: str) -> str:
    name = display_name(graph.nodes[node_id].name)
    return f"value({name})" if kind == VALUE else f"∂{display_name(graph.output_name)}/∂{name}"


def _unique(names: dict[str, int]) -> list[str]:
    shown, seen = [], set()
    for name, node_id in names.items():
        if node_id not in seen:
            seen.add(node_id)
            shown.append(name)
    return shown
