"""The array syntax: both parsers agree, syntax errors explain, scalar programs stay scalar."""

from __future__ import annotations

import numpy as np
import pytest

from backprop.api import differentiate
from backprop.errors import ParseError, UnknownFunction
from backprop.parse import parse

ARRAY_PROGRAMS = [
    "L = sum((X @ w + b - y)^2)/n",
    "h = tanh(W1 @ x + b1); L = cross_entropy(W2 @ h + b2, 1)",
    "L = sum(X.T @ X) + X[0, 1] + sum(X[:, 0]) + sum(X[1:, :1]) + mean(X, -1)[0]",
    "v = [a, -b, [1, 2][0]]; L = logsumexp(v) + sum(softmax(v) * log_softmax(v))",
    "L = sum(transpose(M)[0:2])",
    "W = [[1, 2],\n     [3, 4]]\nL = sum(W @ x)",
]


def _shape_of(program):
    """A printable form of the AST, for comparing the two parsers."""
    from backprop.syntax import Apply, ArrayLiteral, Assign, Index, Name, Number, Slice

    out, todo = [], list(reversed(program))
    while todo:
        node = todo.pop()
        if isinstance(node, Assign):
            out.append(("=", node.name, node.span)); todo.append(node.expr)
        elif isinstance(node, Apply):
            out.append((node.op, len(node.args), node.span)); todo.extend(reversed(node.args))
        elif isinstance(node, ArrayLiteral):
            out.append(("[]", len(node.items), node.span)); todo.extend(reversed(node.items))
        elif isinstance(node, Index):
            out.append(("index", len(node.subscripts), node.span)); todo.append(node.target)
            todo.extend(reversed(node.subscripts))
        elif isinstance(node, Slice):
            out.append(("slice", node.span)); todo.extend(x for x in (node.stop, node.start) if x is not None)
        elif isinstance(node, Name):
            out.append(("name", node.name, node.span))
        elif isinstance(node, Number):
            out.append(("number", node.value, node.span))
    return out


@pytest.mark.parametrize("source", ARRAY_PROGRAMS)
def test_fast_table_driver_builds_what_lark_builds_for_arrays(source):
    from backprop.parse import _driver, _parse_with_lark, join_bracketed_lines

    text = join_bracketed_lines(source)
    fast = _driver().parse(text)
    assert fast is not None, "the fast path refused a valid program"
    assert _shape_of(fast) == _shape_of(_parse_with_lark(text))
    assert parse(source).arrays


@pytest.mark.parametrize("source", ["(a*b+c)*f", "L = tanh(x) * max(a, b)", "mean = a + b; L = mean * 2"])
def test_scalar_programs_are_not_marked_as_arrays(source):
    assert not parse(source).arrays


def test_a_scalar_program_with_an_array_value_takes_the_array_path():
    result = differentiate("L = a * b", {"a": 2, "b": 3})
    assert type(result).__name__ == "Result"
    with pytest.raises(Exception) as caught:
        differentiate("L = a * b", {"a": "[1, 2]", "b": 3})
    assert "the output L has shape (2,)" in str(caught.value)


@pytest.mark.parametrize("source, message", [
    ("L = sum([1, 2)", "unexpected ')': expected ']'"),
    ("L = x[1", "expected an operator, ',', ':' or ']'"),
    ("L = [1, 2] @", "unexpected end of the program"),
    ("L = sum(x, 0, 1)", "sum() takes 1 or 2 arguments, got 3"),
    ("L = softmax(x, 1)", "softmax() takes 1 argument, got 2"),
])
def test_syntax_errors_in_array_programs_say_what_was_expected(source, message):
    with pytest.raises((ParseError, UnknownFunction)) as caught:
        parse(source)
    assert message in caught.value.message


def test_indices_and_axes_must_be_written_as_whole_numbers():
    with pytest.raises(Exception) as caught:
        differentiate("L = x[i]", {"x": "[1, 2]", "i": 1})
    assert "an index must be a whole number written in the program" in str(caught.value)
    result = differentiate("L = x[-1] + x[0:-1][0]", {"x": "[1, 2, 3]"})
    assert result.value == 4
    np.testing.assert_array_equal(result.gradients["x"], [1, 0, 1])
