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
     "e is a mul gate: it swaps its operands' values, so a's local derivative is the other operand, b = 3"),
    ("(a*b+c)*f", {"a": 2, "b": 3, "c": -10, "f": 5}, "c",
     "d is an add gate: it passes its upstream gradient ∂L/∂d = 5 to c unchanged"),
    ("a - b", {"a": 2, "b": 3}, "b", "L is an add gate: it passes its upstream gradient ∂L/∂L = 1 to b negated"),
    ("max(x, y) * 3", {"x": 5, "y": 1}, "x",
     "a is a max gate: it routes all of its upstream gradient ∂L/∂a = 3 to x, the operand it selected"),
    ("max(x, y) * 3", {"x": 5, "y": 1}, "y", "a is a max gate: it did not select y, so y gets none of its upstream"),
    ("max(x, y) * 3", {"x": 2, "y": 2}, "y", "a is a max gate: it splits its upstream gradient ∂L/∂a = 3 at a tie: "
                                              "y gets 0.5 of it"),
    ("relu(w*x)", {"w": -1, "x": 2}, "a", "L is a max gate: it did not select a, so a gets none"),
    ("x*x", {"x": 3}, "x", "so x's local derivative is the other operand, itself = 3"),
    ("2*x", {"x": 3}, "x", "so x's local derivative is the other operand, 2"),
    ("x*y + x", {"x": 2, "y": 3}, "x", "x is a copy gate (a fork into 2 uses): it sums the gradients"),
])
def test_every_format_names_the_pattern(source, values, node, says):
    result = differentiate(source, values)
    text = result.derivation("text")
    assert says in text
    assert says.replace("∂", "d") in result.derivation("ascii")
    markdown = result.derivation("markdown")
    assert says.split(":")[0] in markdown  # prose escaped for Markdown, the sentence starts alike
    assert says.split(":")[0] in result.derivation("latex")
    step_texts = [s["text"] for s in json.loads(result.to_json())["steps"]]
    assert any(says in t for t in step_texts)


def test_json_steps_list_their_gates_by_consumer_and_position():
    document = json.loads(differentiate("x*y + x", {"x": 2, "y": 3}).to_json())
    by_node = {s["node"]: s.get("gates") for s in document["steps"] if s["phase"] == "backward"}
    assert by_node[0] == [{"gate": "mul", "consumer": 2, "position": 0}, {"gate": "add", "consumer": 3, "position": 1},
                          {"gate": "copy", "consumer": None, "position": None}]
    assert by_node[3] is None  # the output: nothing flows into it


def test_ops_without_a_pattern_name_none():
    text = differentiate("tanh(x)", {"x": 0.5}).derivation("text")
    assert "gate" not in text
