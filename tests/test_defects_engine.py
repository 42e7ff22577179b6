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
