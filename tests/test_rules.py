"""Each registry rule, written once as an expression in the language, against central finite
differences and against SymPy's own derivative; and what is derived from the rules."""

import math

import pytest

from backprop.ops import OPS
from backprop.render.printer import printer, rule_text
from backprop.rules import compiled_partials, fold, parse_rule, rule_exprs

sympy = pytest.importorskip("sympy")

X, Y = sympy.symbols("x y", real=True)

# The forward rule of each operation in SymPy (an independent statement of what it computes).
SYMPY_FORWARD = {
    "add": lambda x, y: x + y, "sub": lambda x, y: x - y, "mul": lambda x, y: x * y, "div": lambda x, y: x / y,
    "neg": lambda x: -x, "pow": lambda x, y: x ** y, "exp": sympy.exp, "log": sympy.log,
    "log2": lambda x: sympy.log(x, 2), "log10": lambda x: sympy.log(x, 10), "sqrt": sympy.sqrt,
    "sin": sympy.sin, "cos": sympy.cos, "tan": sympy.tan, "asin": sympy.asin, "acos": sympy.acos,
    "atan": sympy.atan, "sinh": sympy.sinh, "cosh": sympy.cosh, "tanh": sympy.tanh,
    "sigmoid": lambda x: 1 / (1 + sympy.exp(-x)), "relu": lambda x: sympy.Max(0, x),
    "softplus": lambda x: sympy.log(1 + sympy.exp(x)), "abs": sympy.Abs, "max": sympy.Max, "min": sympy.Min,
    "sign": sympy.sign, "gt": lambda x, y: sympy.Piecewise((1, x > y), (0, True)),
    "eq": lambda x, y: sympy.Piecewise((1, sympy.Eq(x, y)), (0, True)),
}

POINTS = {1: [(-1.3,), (-0.4,), (0.3,), (0.7,), (1.9,)],
          2: [(0.7, 1.3), (1.5, -0.6), (2.2, 0.4), (0.9, 2.1), (-1.4, 3.0)]}
DOMAIN = {
    "log": lambda x: x > 0, "log2": lambda x: x > 0, "log10": lambda x: x > 0, "sqrt": lambda x: x > 0,
    "asin": lambda x: abs(x) < 1, "acos": lambda x: abs(x) < 1, "pow": lambda x, y: x > 0,
}


def differentiable_ops():
    return [op for op in OPS.values() if op.arity > 0 and op.kind != "transform"]


def to_sympy(expr, slots):
    """A rule expression as a SymPy expression."""
    def number(leaf):
        value = leaf[1]
        return sympy.Integer(int(value)) if value == int(value) else sympy.Float(value)

    return fold(expr, number, slots.__getitem__, lambda op, args: SYMPY_FORWARD[op](*args))


def test_every_operation_has_a_sympy_statement():
    assert {op.name for op in differentiable_ops()} <= set(SYMPY_FORWARD)


@pytest.mark.parametrize("op", differentiable_ops(), ids=lambda op: op.name)
def test_rule_agrees_with_sympy_and_finite_differences(op):
    symbols = (X, Y)[: op.arity]
    forward = SYMPY_FORWARD[op.name](*symbols)
    checked = 0
    for point in POINTS[op.arity]:
        if op.name in DOMAIN and not DOMAIN[op.name](*point):
            continue
        out = op.forward(*point)
        numeric = compiled_partials(op)(*point, out)
        at = dict(zip(symbols, point))
        for position, rule in enumerate(rule_exprs(op)):
            # the rule, with out as the operation itself, is SymPy's derivative
            ours = to_sympy(rule, {"x": X, "y": Y, "out": forward})
            exact = sympy.diff(forward, symbols[position])
            assert float(ours.subs(at).evalf()) == pytest.approx(float(exact.subs(at).evalf()), rel=1e-12, abs=1e-12)
            assert numeric[position] == pytest.approx(float(exact.subs(at).evalf()), rel=1e-12, abs=1e-12)
            # and a central difference of the forward rule agrees
            h = 1e-6
            up, down = list(point), list(point)
            up[position] += h
            down[position] -= h
            difference = (op.forward(*up) - op.forward(*down)) / (2 * h)
            assert numeric[position] == pytest.approx(difference, rel=1e-5, abs=1e-6), (op.name, point)
        checked += 1
    assert checked >= 3


@pytest.mark.parametrize("op", differentiable_ops(), ids=lambda op: op.name)
def test_rule_names_only_its_operands_and_out(op):
    assert len(op.grads) == op.arity
    for text in op.grads:
        parse_rule(text, op)  # raises on a name that is not x, y (by arity) or out


def test_a_rule_naming_something_else_is_refused():
    with pytest.raises(ValueError, match="uses 'z'"):
        parse_rule("z * 2", OPS["mul"])


def test_numeric_partials_are_generated_python():
    source = compiled_partials(OPS["mul"]).source
    assert "return (y, x)" in source


def test_the_rules_print_in_every_format_from_one_expression():
    assert rule_text("div", 1) == "-x / y^2"
    assert rule_text("div", 1, "ascii") == "-x / y^2"
    assert rule_text("div", 1, "latex") == r"\frac{-x}{y^{2}}"
    assert rule_text("pow", 0) == "y × x^(y − 1)"
    assert rule_text("max", 0) == "[x > y] + 0.5 × [x = y]"


def test_negative_arguments_print_once_parenthesised():
    text = printer("text")
    assert text(("op", "cos", (("num", -3.0),))) == "cos(-3)"
    assert printer("latex")(("op", "tanh", (("num", -1.2),))) == r"\tanh(-1.2)"
    assert text(("op", "mul", (("num", -4.0), ("num", 5.0)))) == "(-4) × 5"
    assert text(("op", "add", (("num", 6.0), ("num", -10.0)))) == "6 + (-10)"
    assert text(("op", "pow", (("name", "x"), ("op", "sub", (("name", "y"), ("num", 1.0)))))) == "x^(y − 1)"


@pytest.mark.parametrize(
    "name, point, expected",
    [
        ("relu", (0.0,), (0.0,)), ("abs", (0.0,), (0.0,)), ("max", (2.0, 2.0), (0.5, 0.5)),
        ("min", (2.0, 2.0), (0.5, 0.5)), ("sqrt", (0.0,), (math.inf,)), ("pow", (0.0, 0.5), (math.inf, 0.0)),
        ("pow", (0.0, 2.0), (0.0, 0.0)), ("pow", (0.0, 1.0), (1.0, 0.0)), ("asin", (1.0,), (math.inf,)),
        ("acos", (-1.0,), (-math.inf,)), ("log", (1e-320,), (math.inf,)),
    ],
)
def test_conventions_at_kinks_and_edges_come_from_the_rules(name, point, expected):
    op = OPS[name]
    assert compiled_partials(op)(*point, op.forward(*point)) == expected


def test_tanh_and_sigmoid_keep_their_digits_where_tiny():
    # 1 − tanh² and σ(1 − σ) cancel to 0 here; the registry's stable forms keep every digit
    tanh, sigmoid = OPS["tanh"], OPS["sigmoid"]
    assert compiled_partials(tanh)(20.0, math.tanh(20.0))[0] == pytest.approx(4 * math.exp(-40), rel=1e-12)
    assert compiled_partials(tanh)(15.0, math.tanh(15.0))[0] == pytest.approx(4 * math.exp(-30), rel=1e-12)
    assert compiled_partials(sigmoid)(40.0, sigmoid.forward(40.0))[0] == pytest.approx(math.exp(-40), rel=1e-12)
    assert compiled_partials(tanh)(800.0, 1.0) == (0.0,)  # cosh overflows: 1/inf² is 0, not an error
