"""Array ``--symbolic`` formulas read as they are printed: their shapes, and their minus signs.

Two defects (notes/explore-s6b.md, items 2 and 3):
- a ``sum`` scaled by a number lost its ``ones(n)``: ``L = sum(X @ w) * c`` printed ∂L/∂X = c wᵀ (a row,
  not a (2, 2) matrix) and ∂L/∂w = Xᵀ c (a matrix, not a vector), though the values were right;
- a number in front of a negated term read as a subtraction: ``2 -x A x / (x x)^2 × x``.

The oracle is a small reader of the printed text (below): it evaluates a formula the way a reader
of the matrix-calculus notation does (juxtaposition is a matrix product, or a number's factor;
``u vᵀ`` of two vectors is their outer product; ``×`` has a number on one side; ``⊙``, ``+``
and ``-`` broadcast as NumPy does), and the result must have the input's shape and the engine's
gradient as its value.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from click.testing import CliRunner

from backprop.api import differentiate
from backprop.cli import command


# --- a reader of the printed formulas (text style) --------------------------------------------

class Row:
    """A vector transposed: vᵀ, a row, as the notation reads it (NumPy has no 1-D row)."""

    def __init__(self, vector):
        self.vector = vector


class Unreadable(Exception):
    """The printed text does not make sense as written (shapes that do not fit, stray tokens)."""


_TOKEN = re.compile(r"\s*(?:(?P<number>\d+(?:\.\d*)?(?:e[-+]?\d+)?)|(?P<name>[A-Za-z_][A-Za-z_0-9]*)"
                    r"|(?P<symbol>ᵀ|×|⊙|[-+/^(),\[\]=>]))")


def _tokens(text: str) -> list[tuple[str, str, bool]]:
    """(kind, text, spaced: whitespace before it) for each token."""
    out, position = [], 0
    while position < len(text.rstrip()):
        match = _TOKEN.match(text, position)
        if match is None:
            raise Unreadable(f"cannot read {text[position:]!r}")
        kind = match.lastgroup
        out.append((kind, match.group(kind), match.start(kind) > position))
        position = match.end()
    return out


def _softmax(x):
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


_FUNCTIONS = {
    "tanh": np.tanh, "cosh": np.cosh, "exp": np.exp, "log": np.log, "sign": np.sign, "abs": np.abs,
    "sqrt": np.sqrt, "sin": np.sin, "cos": np.cos, "sigmoid": lambda x: 1 / (1 + np.exp(-x)),
    "relu": lambda x: np.maximum(x, 0), "softplus": lambda x: np.log1p(np.exp(x)), "softmax": _softmax,
    "max": np.maximum, "ones": lambda *dims: np.ones(tuple(int(d) for d in dims)),
}


def _scalar(x) -> bool:
    return not isinstance(x, Row) and np.ndim(x) == 0


def _array(x):
    if isinstance(x, Row):
        raise Unreadable("a row vector where an array is meant")
    return np.asarray(x, dtype=float)


def _scale(a, b):
    """A number times anything (a row stays a row)."""
    number, other = (a, b) if _scalar(a) else (b, a)
    if isinstance(other, Row):
        return Row(_array(number) * other.vector)
    return _array(number) * _array(other)


def _juxtapose(a, b):
    """Two factors side by side: a number's factor, an outer product u vᵀ, else a matrix product."""
    if _scalar(a) or _scalar(b):
        return _scale(a, b)
    if isinstance(b, Row) and not isinstance(a, Row) and np.ndim(a) == 1:
        return np.outer(a, b.vector)
    if isinstance(a, Row):
        a = a.vector[None, :]
        if isinstance(b, Row):
            raise Unreadable("a row times a row")
        product = a @ _array(b)
        return product[0] if product.ndim == 2 else product
    if isinstance(b, Row):
        raise Unreadable("a matrix times a row")
    try:
        return a @ b
    except ValueError as error:
        raise Unreadable(str(error)) from None


class Reader:
    """Evaluates one printed formula over the named values (inputs and 'where' names)."""

    def __init__(self, text: str, values: dict):
        self.tokens = _tokens(text)
        self.at = 0
        self.values = values

    def peek(self, offset: int = 0):
        index = self.at + offset
        return self.tokens[index] if index < len(self.tokens) else (None, None, False)

    def take(self, expected: str | None = None):
        token = self.peek()
        if expected is not None and token[1] != expected:
            raise Unreadable(f"expected {expected!r}, found {token[1]!r}")
        self.at += 1
        return token

    def read(self):
        value = self.expression()
        if self.at != len(self.tokens):
            raise Unreadable(f"left over: {self.tokens[self.at:]}")
        return value

    def expression(self):
        value = self.term()
        while self.peek()[1] in ("+", "-"):
            symbol = self.take()[1]
            other = self.term()
            try:
                value = _array(value) + _array(other) if symbol == "+" else _array(value) - _array(other)
            except ValueError as error:
                raise Unreadable(str(error)) from None
        return value

    def _starts_factor(self) -> bool:
        kind, text, _ = self.peek()
        return kind in ("number", "name") or text in ("(", "[")

    def term(self):
        value = self.unary()
        while True:
            symbol = self.peek()[1]
            if symbol == "×":
                self.take()
                other = self.unary()
                if not (_scalar(value) or _scalar(other)):
                    raise Unreadable("× between two arrays")
                value = _scale(value, other)
            elif symbol in ("⊙", "/"):
                self.take()
                other = self.unary()
                try:
                    value = _array(value) * _array(other) if symbol == "⊙" else _array(value) / _array(other)
                except ValueError as error:
                    raise Unreadable(str(error)) from None
            elif self._starts_factor():
                value = _juxtapose(value, self.power())
            else:
                return value

    def unary(self):
        if self.peek()[1] == "-":
            self.take()
            value = self.unary()
            return Row(-value.vector) if isinstance(value, Row) else -_array(value)
        return self.power()

    def power(self):
        base = self.postfix()
        if self.peek()[1] == "^":
            self.take()
            exponent = self.unary() if self.peek()[1] == "-" else self.postfix()
            return _array(base) ** _array(exponent)
        return base

    def postfix(self):
        value = self.atom()
        while True:
            if self.peek()[1] == "ᵀ":
                self.take()
                if isinstance(value, Row):
                    value = value.vector
                elif np.ndim(value) == 1:
                    value = Row(value)
                else:
                    value = _array(value).T
            elif self.peek()[1] == "[" and not self.peek()[2]:
                raise Unreadable("indexing is not read here")
            else:
                return value

    def atom(self):
        kind, text, _ = self.take()
        if kind == "number":
            return np.asarray(float(text))
        if text == "(":
            value = self.expression()
            self.take(")")
            return value
        if text == "[":  # an Iverson bracket [a > b]
            left = self.expression()
            self.take(">")
            right = self.expression()
            self.take("]")
            return (_array(left) > _array(right)).astype(float)
        if kind == "name" and self.peek()[1] == "(":
            return self.call(text)
        if kind == "name" and text in self.values:
            return np.asarray(self.values[text], dtype=float)
        raise Unreadable(f"unexpected {text!r}")

    def call(self, function: str):
        self.take("(")
        args, keywords = [], {}
        while self.peek()[1] != ")":
            if self.peek()[0] == "name" and self.peek(1)[1] == "=":
                key = self.take()[1]
                self.take("=")
                sign = -1 if self.peek()[1] == "-" and self.take() else 1
                keywords[key] = sign * int(self.take()[1])
            elif self.peek()[1] == "keepdims":
                self.take()
                keywords["keepdims"] = True
            else:
                args.append(self.expression())
            if self.peek()[1] == ",":
                self.take()
        self.take(")")
        if function in ("sum", "mean"):
            return getattr(np, function)(_array(args[0]), axis=keywords.get("axis"),
                                         keepdims=keywords.get("keepdims", False))
        if function == "ones":
            return _FUNCTIONS["ones"](*(float(a) for a in args))
        return _FUNCTIONS[function](*(_array(a) for a in args))


def read_formula(result, name: str):
    """The value of input ``name``'s printed formula (text style), its 'where' names defined first."""
    formula, where = result.formulas_for()[name].lines("text")
    values = {key: np.asarray(value, dtype=float) for key, value in result.inputs.items()}
    for line in where:
        defined, text = line.split(" = ", 1)
        values[defined] = Reader(text, values).read()
    return Reader(formula, values).read()


# --- the shapes of the printed formulas -------------------------------------------------------

SCALED_SUMS = [
    ("L = sum(X @ w) * c", {"X": [[1, 2], [3, 4]], "w": [1, -1], "c": 3}),
    ("L = sum(X @ w) / c", {"X": [[1, 2], [3, 4]], "w": [1, -1], "c": 3}),
    ("L = mean(X @ w) * c", {"X": [[1, 2], [3, 4]], "w": [1, -1], "c": 3}),
    ("L = sum(X @ w) * sum(w)", {"X": [[1, 2], [3, 4]], "w": [1, -1]}),
    ("L = sum(X @ w) * c + sum(w)", {"X": [[1, 2], [3, 4]], "w": [1, -1], "c": 3}),
    ("L = sum(x) * c", {"x": [1, 2], "c": 3}),
    ("L = sum(X) * c", {"X": [[1, 2], [3, 4]], "c": 3}),
    ("L = sum(x)", {"x": [1, 2, 3]}),
    ("L = tanh(sum(A))", {"A": [[0.1, 0.2, -0.3], [0.4, -0.5, 0.6]]}),
]
NEGATED_TERMS = [
    ("L = (x @ A @ x) / (x @ x)", {"x": [1, 2], "A": [[2, 1], [0, 3]]}),
    ("L = sum(X @ w) / (w @ w)", {"X": [[1, 2], [3, 4]], "w": [1, 2]}),
    ("L = sum(A) * (2 / (2 + a^2))", {"A": [[1, 2, 3], [4, 5, 6]], "a": 0.7}),
]
OTHERS = [
    ("L = sum((X @ w - y)^2)", {"X": [[1, 2], [3, -1], [0, 1]], "w": [0.5, -1], "y": [1, 2, 3]}),
    ("L = sum((X @ W + b - Y)^2)/n", {"X": [[1, 2], [3, -1], [0, 1], [2, 2]], "W": [[0.5, -1, 0], [1, 0.25, 2]],
                                      "b": [1, 0, -1], "Y": [[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 1]], "n": 4}),
    ("h = tanh(X @ W1 + b1); L = sum((h @ W2 + b2 - Y)^2)",
     {"X": [[1, 2], [3, -1], [0, 1]], "W1": [[0.1, -0.2, 0.3], [0.4, 0.5, -0.6]], "b1": [0.1, 0.2, 0.3],
      "W2": [[1, 0], [0, 1], [1, 1]], "b2": [0, 0.1], "Y": [[1, 0], [0, 1], [1, 1]]}),
    ("h = sigmoid(W1 @ i + b1); o = sigmoid(W2 @ h + b2); E = sum(0.5 * (t - o)^2)",
     {"i": [0.05, 0.10], "W1": [[0.15, 0.20], [0.25, 0.30]], "b1": 0.35, "W2": [[0.40, 0.45], [0.50, 0.55]],
      "b2": 0.60, "t": [0.01, 0.99]}),
    ("L = sum(softmax(A))", {"A": [[0.1, 0.2, -0.3], [0.4, -0.5, 0.6]]}),
    ("L = -logsumexp(sum(A, 0))", {"A": [[0.1, 0.2, -0.3], [0.4, -0.5, 0.6]]}),
    ("L = sum(mean(X, 1) * v) + sum(X.T @ X)", {"X": [[1, 2, 3], [4, 5, 6]], "v": [0.5, -1]}),
    ("L = relu(sum((A * v) * (v + v)))", {"A": [[0.1, 0.2, -0.3], [0.4, -0.5, 0.6]], "v": [0.1, 0.4, -0.6]}),
    ("L = sum((A @ C)) * k - sum(A) * k", {"A": [[0.1, 0.2, -0.3], [0.4, -0.5, 0.6]], "k": -0.3,
                                          "C": [[0.2, 0.1, 0], [0.1, -0.2, 0.3], [0.5, 0.5, -0.1]]}),
]
PROGRAMS = SCALED_SUMS + NEGATED_TERMS + OTHERS


@pytest.mark.parametrize("source, values", PROGRAMS, ids=[p[0][:40] for p in PROGRAMS])
def test_each_printed_formula_read_as_written_has_its_inputs_shape_and_the_engines_value(source, values):
    result = differentiate(source, values)
    for name, expected in result.gradients.items():
        text = result.formula(name)
        try:
            got = read_formula(result, name)
        except Unreadable as error:
            pytest.fail(f"{source}: ∂/∂{name} = {text} does not read: {error}")
        shape = "a row" if isinstance(got, Row) else np.shape(got)
        assert shape == np.shape(expected), f"{source}: ∂/∂{name} = {text} reads as {shape}, not {expected.shape}"
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6, err_msg=f"{source}: ∂/∂{name} = {text}")


def test_the_reader_catches_what_the_defects_printed():
    """The oracle can fail: the old texts read with the wrong shape or the wrong value."""
    values = {"X": np.array([[1.0, 2], [3, 4]]), "w": np.array([1.0, -1]), "c": np.array(3.0),
              "x": np.array([1.0, 2]), "A": np.array([[2.0, 1], [0, 3]])}
    assert np.shape(Reader("Xᵀ c", values).read()) == (2, 2)  # was printed for a (2,) gradient
    assert isinstance(Reader("c wᵀ", values).read(), Row)  # was printed for a (2, 2) gradient
    old = Reader("1 / (x x) × A x + 1 / (x x) × x A + 2 -x A x / (x x)^2 × x", values).read()
    assert not np.allclose(old, [-0.08, 0.04])  # "2 -x …" reads as 2 minus …
    with pytest.raises(Unreadable):
        Reader("Xᵀ wᵀ", values).read()  # a matrix juxtaposed with a row


# --- the same formulas in every format ---------------------------------------------------------

SCALED = ["L = sum(X @ w) * c", "--set", "X=[[1,2],[3,4]]", "w=[1,-1]", "c=3", "--symbolic", "--no-diagram"]
QUOTIENT = ["L = (x @ A @ x) / (x @ x)", "--set", "x=[1,2]", "A=[[2,1],[0,3]]", "--symbolic", "--no-diagram"]


def run(args):
    result = CliRunner().invoke(command, args)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_a_scaled_sum_keeps_its_ones_in_every_format(tmp_path):
    text = run(SCALED).split("Gradients as formulas", 1)[1]
    assert "∂L/∂X (2, 2) = (c ones(2)) wᵀ = [[3, -3], [3, -3]]" in text
    assert "∂L/∂w (2,) = Xᵀ(c ones(2)) = [12, 18]" in text
    ascii = run(SCALED + ["--ascii"])
    assert "dL/dX (2, 2) = (c ones(2)) w^T" in ascii and "dL/dw (2,) = X^T(c ones(2))" in ascii
    ones = r"c \operatorname{ones}\left(2\right)"
    markdown = run(SCALED + ["--format", "markdown"])
    assert rf"\frac{{\partial L}}{{\partial w}} = X^{{\top}}\left({ones}\right) = " in markdown
    latex = run(SCALED + ["--format", "latex"])
    assert rf"\frac{{\partial L}}{{\partial X}} &= \left({ones}\right) w^{{\top}} = " in latex
    formulas = json.loads(run(SCALED + ["--format", "json"]))["formulas"]
    assert formulas["X"]["text"] == "(c ones(2)) wᵀ" and formulas["w"]["text"] == "Xᵀ(c ones(2))"
    assert formulas["w"]["latex"] == rf"X^{{\top}}\left({ones}\right)"
    page = tmp_path / "steps.html"
    run(SCALED[:-1] + ["-o", str(page)])
    assert "Xᵀ(c ones(2)) = [12, 18]" in page.read_text(encoding="utf-8")


def test_a_whole_formula_of_one_repeated_number_is_written_with_its_shape():
    text = run(["L = sum(x) * c", "--set", "x=[1,2]", "c=3", "--symbolic", "--no-diagram"])
    assert "∂L/∂x (2,) = c ones(2) = [3, 3]" in text
    text = run(["L = sum(W @ x + b)", "--set", "W=[[1,2],[3,4]]", "x=[1,-1]", "b=[0,1]", "--symbolic",
                "--no-diagram"])
    assert "∂L/∂b (2,) = ones(2) = [1, 1]" in text and "∂L/∂W (2, 2) = ones(2) xᵀ" in text


def test_a_number_before_a_negated_term_is_not_read_as_a_subtraction():
    text = run(QUOTIENT)
    assert "∂L/∂x (2,) = 1 / (x x) × A x + 1 / (x x) × x A + 2 (-x A x / (x x)^2 × x) = [-0.08, 0.04]" in text
    assert " 2 -" not in text.split("Gradients as formulas", 1)[1]
    document = json.loads(run(QUOTIENT + ["--format", "json"]))
    assert "2 (-x A x / (x x)^2 × x)" in document["formulas"]["x"]["text"]
    assert r"2 \frac{-x A x}{" in document["formulas"]["x"]["latex"]  # \frac delimits it already
    ascii = run(QUOTIENT + ["--ascii"])
    assert "2 (-x A x / (x x)^2 * x)" in ascii


@pytest.mark.parametrize("source, values, expected", [
    ("L = sum(A) * (2 / (2 + a^2))", {"A": [[1, 2, 3], [4, 5, 6]], "a": 0.7}, "× (-2 / (2 + a^2)^2)"),
    ("L = sum(X @ w) / (w @ w)", {"X": [[1, 2], [3, 4]], "w": [1, 2]}, "+ 2 (-sum(X w) / (w w)^2 × w)"),
])
def test_a_negated_operand_after_an_operator_gets_brackets(source, values, expected):
    result = differentiate(source, values)
    assert any(expected in result.formula(name) for name in result.gradients), \
        [result.formula(name) for name in result.gradients]
