"""Gate patterns (CS231n): each backward step names the pattern of the flow into its node."""

from __future__ import annotations

import json

import pytest

from backprop import differentiate
from backprop.ops import GATE_PATTERNS, OPS
from backprop.steps import BACKWARD


def backward_step(result, name):
    node = next(n.id for n in result.graph.nodes if n.name == name)
    return next(s for s in result.steps if s.phase == BACKWARD and s.node == node)


def test_the_registry_names_one_pattern_per_gate_op():
    gates = {name: op.gate for name, op in OPS.items() if op.gate}
    assert gates == {"add": "add", "sub": "add", "mul": "mul", "max": "max", "min": "max", "relu": "max"}
    assert set(gates.values()) | {"copy"} == set(GATE_PATTERNS)


def test_terms_carry_their_consumers_gate_and_a_fork_is_a_copy_gate():
    result = differentiate("x*y + x", {"x": 2, "y": 3})
    x = backward_step(result, "x")
    assert [t.gate for t in x.terms] == ["mul", "add"]
    assert x.gate == "copy"
    assert backward_step(result, "y").gate is None


@pytest.mark.parametrize("source, values, node, says", [
    ("(a*b+c)*f", {"a": 2, "b": 3, "c": -10, "f": 5}, "a",
     "since e = a × b, ∂e/∂a = b   (mul gate: it swaps its operands' values)"),
    ("(a*b+c)*f", {"a": 2, "b": 3, "c": -10, "f": 5}, "c",
     "since d = e + c, ∂d/∂c = 1   (add gate: it passes the gradient on unchanged)"),
    ("a - b", {"a": 2, "b": 3}, "b", "(add gate: it passes the gradient on negated)"),
    ("max(x, y) * 3", {"x": 5, "y": 1}, "x", "(max gate: it routes the whole gradient to the operand it selected)"),
    ("max(x, y) * 3", {"x": 5, "y": 1}, "y",
     "(max gate: it routes none of the gradient to an operand it did not select)"),
    ("max(x, y) * 3", {"x": 2, "y": 2}, "y", "(max gate: a tie splits the gradient between its operands)"),
    ("relu(w*x)", {"w": -1, "x": 2}, "a",
     "(max gate: it routes none of the gradient to an operand it did not select)"),
    ("x*x", {"x": 3}, "x", "(mul gate: it swaps its operands' values)"),
    ("x*y + x", {"x": 2, "y": 3}, "x", "paths (copy gate: a fork sums its branches' gradients)"),
])
def test_every_format_names_the_pattern(source, values, node, says):
    result = differentiate(source, values)
    phrase = says[says.index("(") + 1:says.index(")", says.index("("))]
    step_texts = {s["node"]: s["text"] for s in json.loads(result.to_json())["steps"] if s["phase"] == "backward"}
    node_id = next(n.id for n in result.graph.nodes if n.name == node)
    assert says in step_texts[node_id]  # on the node's own step, not just somewhere
    assert says in result.derivation("text")
    assert phrase in result.derivation("ascii")
    assert phrase in result.derivation("markdown")
    assert phrase.split(":")[0] in result.derivation("latex")  # the gate's name at least: a page is narrow


def test_json_steps_list_their_gates_by_consumer_and_position():
    document = json.loads(differentiate("x*y + x", {"x": 2, "y": 3}).to_json())
    by_node = {s["node"]: s.get("gates") for s in document["steps"] if s["phase"] == "backward"}
    assert by_node[0] == [{"gate": "mul", "consumer": 2, "position": 0}, {"gate": "add", "consumer": 3, "position": 1},
                          {"gate": "copy", "consumer": None, "position": None}]
    assert by_node[3] is None  # the output: nothing flows into it


def test_ops_without_a_pattern_name_none():
    text = differentiate("tanh(x)", {"x": 0.5}).derivation("text")
    assert "gate" not in text
