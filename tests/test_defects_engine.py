"""Defects in the engine found by exploratory testing (notes/explore-s6.md, items 4, 10, 13 and 15).

Which node an overflow is blamed on, the error caret covering the parentheses around an
operation's operands, ``Result.value_at`` reading values as ``differentiate`` does, and
∂(x^y)/∂y at 0^0 following PyTorch's convention in every path that computes it.
"""

import math

import pytest
from click.testing import CliRunner

from backprop.api import differentiate
from backprop.cli import command
from backprop.errors import BadAssignment, DomainError
from backprop.parse import _driver, _parse_with_lark, parse


def run(args):
    return CliRunner().invoke(command, args, catch_exceptions=False)


# --- item 4: an overflow is blamed where it happens, not on the node that uses it ------------------

@pytest.mark.parametrize("use", ["sin(y)", "cos(y) * 2", "asin(y)", "y + 1"])
def test_overflow_is_blamed_on_the_node_that_overflowed_whatever_uses_it(use):
    source = f"y = x*x; {use}"
    with pytest.raises(DomainError) as caught:
        differentiate(source, {"x": 1e200})
    assert caught.value.message.startswith("cannot compute y = x × x with x = 1e200: the result is too large")
    assert caught.value.span == (4, 7)


def test_overflow_caret_on_the_command_line_is_under_the_overflowing_operation():
    result = run(["y = x*x; sin(y)", "--set", "x=1e200", "--no-diagram"])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: cannot compute y = x × x with x = 1e200")
    assert "(at line 1, column 5)\n  y = x*x; sin(y)\n      ^^^\n" in result.stderr


def test_an_operation_that_fails_on_finite_operands_is_still_blamed_itself():
    with pytest.raises(DomainError) as caught:
        differentiate("y = x*x; log(-y)", {"x": 3})
    assert caught.value.message == "cannot compute L = log(-y) with -y = -9: log needs x > 0"


# --- item 10: an operation's span covers the parentheses around its operands -----------------------

@pytest.mark.parametrize("source, span", [
    ("a/(a-a)", (0, 7)),
    ("(a)/(a-a)", (0, 9)),
    ("( a ) / ( a - a )", (0, 17)),
    ("((a))*(((b)))", (0, 13)),
    ("-(a)", (0, 4)),
    ("-((a - b))", (0, 10)),
    ("(a)^(b)", (0, 7)),
    ("x = (a) + (b)", (4, 13)),  # the expression; a statement starts at its name
    ("(a*b)", (1, 4)),  # parentheses around the whole program belong to no operation
    ("((a)*b)", (1, 6)),  # the group around the product is not the product's
    ("(a*(b))", (1, 6)),
    ("f = sin((a)) * (b)", (4, 18)),
])
def test_operation_span_covers_its_operands_parentheses(source, span):
    statement = parse(source).statements[0]
    expression = statement.expr if hasattr(statement, "expr") else statement
    assert expression.span == span


def test_augmented_assignment_covers_the_parenthesised_right_side():
    statement = parse("c = a; c /= (a-a)").statements[1]
    assert statement.expr.span == (7, 17)


@pytest.mark.parametrize("source", ["a/(a-a)", "b*(a/((a-a)))", "(a\n) / (\n a - a\n)", "-(a)^(-(b))"])
def test_lark_and_the_table_driver_give_the_same_spans(source):
    from backprop.parse import join_bracketed_lines

    text = join_bracketed_lines(source)
    fast, reference = _driver().parse(text), _parse_with_lark(text)
    todo = [(fast[0], reference[0])]
    while todo:
        one, other = todo.pop()
        assert one.span == other.span
        todo.extend(zip(getattr(one, "args", ()), getattr(other, "args", ())))


@pytest.mark.parametrize("source, caret_line", [
    ("a/(a-a)", "  ^^^^^^^"),
    ("(a)/(a-a)", "  ^^^^^^^^^"),
    ("b*(a/((a-a)))", "     ^^^^^^^^^"),
])
def test_division_by_zero_caret_underlines_the_whole_division(source, caret_line):
    result = run([source, "--set", "a=1", "b=2", "--no-diagram"])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: cannot compute")
    assert result.stderr.splitlines()[-1] == caret_line


# --- item 15: value_at reads values exactly as differentiate does ---------------------------------

SEED = {"a": 2, "b": 3, "c": -10, "f": 5}


def test_value_at_accepts_a_constant_expression_like_differentiate():
    result = differentiate("(a*b+c)*f", SEED)
    assert result.value_at({"a": "pi/4"}) == differentiate("(a*b+c)*f", {**SEED, "a": "pi/4"}).value
    assert result.value_at({"a": "pi/4"}) == pytest.approx((math.pi / 4 * 3 - 10) * 5)


@pytest.mark.parametrize("value", [math.nan, math.inf, "1/0", "x+", "exp(1000)"])
def test_value_at_refuses_a_value_with_differentiates_message(value):
    with pytest.raises(BadAssignment) as expected:
        differentiate("(a*b+c)*f", {**SEED, "a": value})
    with pytest.raises(BadAssignment) as caught:
        differentiate("(a*b+c)*f", SEED).value_at({"a": value})
    assert caught.value.message == expected.value.message
    assert "cannot compute a = a" not in caught.value.message


# --- item 13: ∂(x^y)/∂y at x = 0 is 0, 0^0 included (PyTorch: 0 where x = 0 and y ≥ 0) ----------------

@pytest.mark.parametrize("x, y, expected", [
    (0.0, 0.0, {"x": 0.0, "y": 0.0}),  # was -inf for y
    (0.0, 2.0, {"x": 0.0, "y": 0.0}),
    (0.0, 1.0, {"x": 1.0, "y": 0.0}),
    (2.0, 3.0, {"x": 12.0, "y": 8 * math.log(2)}),
])
def test_pow_gradients_at_and_away_from_zero(x, y, expected):
    assert differentiate("x^y", {"x": x, "y": y}).gradients == pytest.approx(expected, rel=1e-15)


def test_pow_exponent_gradient_is_still_nan_for_a_negative_base():
    gradients = differentiate("x^y", {"x": -2, "y": 2}).gradients
    assert gradients["x"] == -4 and math.isnan(gradients["y"])


def test_every_path_gives_zero_for_the_exponent_at_zero_to_the_zero():
    from backprop.ops import OPS
    from backprop.rules import compiled_partials, evaluate, rule_exprs

    pow_op = OPS["pow"]
    assert compiled_partials(pow_op)(0.0, 0.0, 1.0)[1] == 0.0
    assert evaluate(rule_exprs(pow_op)[1], {"x": 0.0, "y": 0.0, "out": 1.0}) == 0.0
    result = differentiate("x^y", {"x": 0, "y": 0})
    assert result.gradient_graph().gradients == {"x": 0.0, "y": 0.0}  # the symbolic path's own graph
    assert result.forward_mode().gradients == {0: 0.0, 1: 0.0}
    assert result.formulas["y"] == "(1 − [x = 0]) × x^y × log(x)"


def test_exponent_gradient_at_zero_to_the_zero_with_arrays():
    pytest.importorskip("numpy")
    result = differentiate("sum(x^y)", {"x": "[0, 2]", "y": "[0, 3]"})
    assert list(result.gradients["y"]) == pytest.approx([0.0, 8 * math.log(2)])


def test_derivation_and_check_state_the_convention_at_zero_to_the_zero():
    from backprop.check import check_gradients

    text = differentiate("x^y", {"x": 0, "y": 0}).derivation()
    assert "since L = x^y, ∂L/∂y = L × log(x) × (1 − [x = 0])" in text
    assert "= 1 × 1 × log(0) × (1 − [0 = 0]) = 1 × 0 = 0" in text
    assert "at 0^0 does not exist" in text and "takes it as 0 (PyTorch's convention)" in text
    report = check_gradients("x^y", {"x": 0, "y": 0})
    exponent = next(check for check in report.checks if check.name == "y")
    assert exponent.analytic == 0.0
    assert exponent.status == "kink" and "takes it as 0" in exponent.note


def test_language_doc_states_the_pow_convention_the_rule_implements():
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[1] / "docs" / "language.md").read_text(encoding="utf-8")
    assert "at x = 0 it is taken as 0" in doc and "also at 0^0" in doc
