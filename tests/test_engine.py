"""Lowering, forward and backward: values and gradients, hand-checked and by finite differences."""

import math

import pytest

from backprop.api import differentiate
from backprop.errors import DomainError, MissingValue, UnknownName
from backprop.lower import lower
from backprop.parse import parse

SEED_VALUES = {"a": 2, "b": 3, "c": -10, "f": 5}


@pytest.mark.parametrize(
    "source, values, value, grads",
    [
        ("(a*b+c)*f", SEED_VALUES, -20, {"a": 15, "b": 10, "c": 5, "f": -4}),
        ("e = a*b; d = e + c; L = d*f", SEED_VALUES, -20, {"a": 15, "b": 10, "c": 5, "f": -4}),
        # shared nodes: x feeds two paths, its gradient sums them
        ("x*y + x", {"x": 3, "y": 4}, 15, {"x": 5, "y": 3}),
        ("x*x*x", {"x": 2}, 8, {"x": 12}),
        ("c = a + b; c = c + c + 1", {"a": 1, "b": 2}, 7, {"a": 2, "b": 2}),
        ("c = a; c += a; c *= c", {"a": 3}, 36, {"a": 24}),
        ("a - b", {"a": 5, "b": 2}, 3, {"a": 1, "b": -1}),
        ("a / b", {"a": 3, "b": -4}, -0.75, {"a": -0.25, "b": -0.1875}),
        ("-x^2", {"x": 3}, -9, {"x": -6}),
        ("x^y", {"x": 2, "y": 3}, 8, {"x": 12, "y": 8 * math.log(2)}),
        ("tanh(w1*x1 + w2*x2 + b)", {"w1": -3, "x1": 2, "w2": 1, "x2": 0, "b": 6.8813735870195432},
         0.7071067811865476, {"w1": 1.0, "x1": -1.5, "w2": 0.0, "x2": 0.5, "b": 0.5}),
        ("relu(x)", {"x": 0}, 0, {"x": 0}),
        ("abs(x)", {"x": 0}, 0, {"x": 0}),
        ("max(x, y)", {"x": 2, "y": 2}, 2, {"x": 0.5, "y": 0.5}),
        ("min(x, y)", {"x": 1, "y": 2}, 1, {"x": 1, "y": 0}),
        ("sqrt(x)", {"x": 0}, 0, {"x": math.inf}),
        ("x^0.5", {"x": 0}, 0, {"x": math.inf}),
        ("relu(x - 1) * sqrt(y)", {"x": 0, "y": 0}, 0, {"x": 0, "y": 0}),  # zero upstream, not nan
        ("x", {"x": 3}, 3, {"x": 1}),
        ("2*3", {}, 6, {}),
        ("pi", {}, math.pi, {}),
        ("t = a*b; c + 1", {"a": 1, "b": 2, "c": 3}, 4, {"c": 1}),  # t is unused: a, b are not inputs of L
    ],
)
def test_values_and_gradients(source, values, value, grads):
    result = differentiate(source, values)
    assert result.value == pytest.approx(value)
    assert set(result.gradients) >= set(grads)
    for name, expected in grads.items():
        assert result.gradients[name] == pytest.approx(expected, abs=1e-12), name


FUNCTIONS_AT = [
    ("exp(x) * log(y)", {"x": 0.3, "y": 2.5}),
    ("log2(x) + log10(y) - sqrt(x*y)", {"x": 1.7, "y": 3.1}),
    ("sin(x)*cos(y) + tan(x/3)", {"x": 0.9, "y": -0.4}),
    ("asin(x/2) + acos(y/3) + atan(x*y)", {"x": 0.5, "y": 1.2}),
    ("sinh(x) + cosh(y) * tanh(x - y)", {"x": 0.8, "y": 0.1}),
    ("sigmoid(x) * softplus(y) + relu(x) + abs(y)", {"x": 0.6, "y": -1.3}),
    ("pow(x, y) + max(x, y) * min(x, y)", {"x": 1.3, "y": 2.7}),
    ("(x - y)^2 / (1 + x^2) - x/y", {"x": 1.1, "y": 0.7}),
    ("h = x*y; h = h*h + x; h / (y + 3)", {"x": 0.4, "y": 1.9}),
]


@pytest.mark.parametrize("source, values", FUNCTIONS_AT)
def test_gradients_match_central_differences(source, values):
    result = differentiate(source, values)
    for name in values:
        h = 1e-6 * max(1.0, abs(values[name]))
        up = differentiate(source, {**values, name: values[name] + h}).value
        down = differentiate(source, {**values, name: values[name] - h}).value
        assert result.gradients[name] == pytest.approx((up - down) / (2 * h), rel=1e-5, abs=1e-7), name


def test_each_variable_is_one_node_however_often_used():
    graph = lower(parse("x*x + x"))
    graph.check()
    assert [node.op for node in graph.nodes].count("input") == 1


def test_graph_is_topological_with_inputs_first():
    graph = lower(parse("(a*b+c)*f"))
    graph.check()
    assert str(graph) == "\n".join([
        "%0 = input    # a",
        "%1 = input    # b",
        "%2 = input    # c",
        "%3 = input    # f",
        "%4 = mul %0 %1   # e",
        "%5 = add %4 %2   # d",
        "%6 = mul %5 %3   # L",
    ])


def test_generated_names_never_clash_with_user_names():
    graph = lower(parse("(d*e + a)*b"))
    names = [node.name for node in graph.nodes]
    assert len(names) == len(set(names))
    assert {"d", "e", "a", "b", "L"} <= set(names)


def test_output_is_out_when_L_is_an_input():
    assert differentiate("L*2", {"L": 3}).output == "out"


def test_last_binding_names_the_output():
    assert differentiate("y = x*2", {"x": 1}).output == "y"
    assert differentiate("x = 1;").output == "x"


def test_big_graphs_use_numbered_names():
    source = " + ".join(f"x{i}" for i in range(40))
    graph = lower(parse(source))
    names = [node.name for node in graph.nodes if node.op == "add"]
    assert names[0] == "[1]" and len(set(names)) == len(names)


def test_missing_values_are_all_named():
    with pytest.raises(MissingValue) as raised:
        differentiate("a*b + c", {"b": 1})
    assert "a, c" in raised.value.message


def test_use_before_binding_is_an_error():
    with pytest.raises(UnknownName):
        differentiate("y = x + 1; x = 2", {})


@pytest.mark.parametrize(
    "source, values, fragment",
    [
        ("log(x)", {"x": -1}, "cannot compute L = log(x) with x = -1: log needs x > 0"),
        ("log(0)", {}, "log needs x > 0"),
        ("1/x", {"x": 0}, "division by zero"),
        ("0/0", {}, "division by zero"),
        ("sqrt(x)", {"x": -1}, "sqrt needs x ≥ 0"),
        ("asin(2)", {}, "asin needs -1 ≤ x ≤ 1"),
        ("exp(1000)", {}, "overflow"),
        ("10^10^10", {}, "overflow"),
        ("9^9^9^9", {}, "overflow"),
        ("0^-1", {}, "0 to a negative power"),
        ("(-8)^(1/3)", {}, "not a real number"),
        ("x * 1e300 * 1e300", {"x": 1}, "overflow"),
    ],
)
def test_undefined_values_raise_domain_errors_naming_the_node(source, values, fragment):
    with pytest.raises(DomainError) as raised:
        differentiate(source, values)
    assert fragment in raised.value.message
    assert raised.value.span is not None


def test_domain_error_span_points_at_the_failing_call():
    source = "y = 2*x + log(x - 3)"
    with pytest.raises(DomainError) as raised:
        differentiate(source, {"x": 1})
    start, end = raised.value.span
    assert source[start:end] == "log(x - 3)"


@pytest.mark.parametrize("depth", [10_000, pytest.param(100_000, marks=pytest.mark.slow)])
def test_deep_chain_and_long_sum(depth):
    chain = "x" + "+x" * depth
    result = differentiate(chain, {"x": 1})
    assert result.value == depth + 1 and result.gradients["x"] == depth + 1
    nested = "tanh(" * depth + "x" + ")" * depth
    result = differentiate(nested, {"x": 0.5})
    assert result.gradients["x"] > 0
    assert len(result.steps) == 2 * depth + 1


def test_a_final_binding_that_repeats_a_name_names_the_output():
    result = differentiate("h = tanh(w*x); h = tanh(w*h); L = h", {"x": 1, "w": 0.5})
    assert result.output == "L"
    assert result.graph.echo()[-2:] == ["h₁ = tanh(w × h)", "L = h₁"]  # as written (issue 16, item 4)


@pytest.mark.parametrize("op", [op for op in __import__("backprop.ops", fromlist=["OPS"]).OPS.values()
                                if op.arity in (1, 2) and op.kind != "transform"], ids=lambda op: op.name)
def test_the_sweep_takes_the_same_partials_as_the_compiled_rules(op):
    """rules.SweepColumn skips the call for constant partials (add, sub) and swapped operands (mul);
    the numbers must be the compiled rule's, to the bit, at every point (inf and nan included)."""
    from backprop.rules import SWAPPED, compiled_partials, sweep_column

    entry = sweep_column()[op.name]
    points = [0.5, -1.5, 2.0, 0.0, 3.0, 1e-300, 700.0, -0.0]
    for x in points:
        for y in points if op.arity == 2 else [None]:
            operands = (x,) if y is None else (x, y)
            try:
                out = op.forward(*operands)
            except (ArithmeticError, ValueError):
                continue
            expected = compiled_partials(op)(*operands, out)
            if entry is SWAPPED:
                got = (y, x)
            elif type(entry) is tuple:
                got = entry
            else:
                got = entry(*operands, out)
            assert [repr(v) for v in got] == [repr(v) for v in expected], (operands, got, expected)


def test_the_sweep_skips_the_call_for_add_sub_and_mul_only_where_the_rules_say_so():
    from backprop.rules import SWAPPED, sweep_column

    column = sweep_column()
    assert column["add"] == (1.0, 1.0) and column["sub"] == (1.0, -1.0) and column["mul"] is SWAPPED
    assert callable(column["div"]) and callable(column["tanh"])


def test_a_squared_call_in_a_rule_is_computed_once_and_exactly():
    from backprop.ops import OPS
    from backprop.rules import compiled_partials

    tanh = compiled_partials(OPS["tanh"])
    assert tanh.source.count("_cosh(x)") == 1 + tanh.source.count("_ieee_cosh(x)")  # once in the plain line
    for x in (0.3, -2.0, 20.0, 400.0):
        assert tanh(x, math.tanh(x))[0] == 1.0 / (math.cosh(x) * math.cosh(x))
