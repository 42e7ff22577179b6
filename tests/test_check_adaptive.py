"""--check chooses its step adaptively (Ridders) and judges against the estimate's own error (issue 16, item 2).

A correct gradient must never be reported as FAIL: not at a fast oscillation, not at a large
input, not in a random program that SymPy agrees with. A wrong one must still fail, and an
estimate too coarse to judge is reported as ill-conditioned.
"""

from __future__ import annotations

import dataclasses
import math

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import backprop.ops
from backprop.check import FAIL, ILL, OK, check_gradients, render_check
from backprop.errors import BackpropError

from test_properties import VARIABLES


@pytest.mark.parametrize("source, values, name, exact", [
    ("cos(w*x)", {"w": 1000, "x": 1}, "x", -1000 * math.sin(1000)),  # −826.88: failed with rel. error 5e-4
    ("cos(w*x)", {"w": 1000, "x": 1}, "w", -math.sin(1000)),
    ("sin(x)", {"x": 1000}, "x", math.cos(1000)),  # the old step, 0.74, was scaled by |x|
    ("exp(x)", {"x": 1e-300}, "x", 1.0),  # a tiny input: the step must not be tiny too
    ("sin(x)*1e6", {"x": 3}, "x", 1e6 * math.cos(3)),
])
def test_correct_gradients_that_a_fixed_step_failed_now_pass(source, values, name, exact):
    report = check_gradients(source, values)
    check = next(c for c in report.checks if c.name == name)
    assert check.status == OK, render_check(report)
    assert abs(check.numeric - exact) <= 1e-9 * max(1.0, abs(exact))
    assert check.uncertainty < 1e-8


def test_an_estimate_too_coarse_to_judge_is_ill_conditioned_not_failed():
    # L = 1e20 + x: every nudge of x is lost in rounding, the finite difference sees 0, not 1.
    report = check_gradients("1e20 + x", {"x": 1})
    (check,) = report.checks
    assert check.status == ILL and report.passed
    text = render_check(report)
    assert "x: ill-conditioned, not a failure: the finite difference is only accurate to about" in text


def test_a_wrong_derivative_still_fails_at_a_large_input(monkeypatch):
    cos = backprop.ops.OPS["cos"]
    wrong = dataclasses.replace(cos, grads=("-sin(x) * 1.0001",))
    monkeypatch.setitem(backprop.ops.OPS, "cos", wrong)
    report = check_gradients("cos(w*x)", {"w": 1000, "x": 1})
    assert {c.name: c.status for c in report.checks} == {"w": FAIL, "x": FAIL}
    assert "differ from the finite difference by more than 1e-05 and more than its own error" in render_check(report)


def test_the_table_shows_the_estimates_own_error():
    text = render_check(check_gradients("cos(w*x)", {"w": 1000, "x": 1}))
    assert "FD error" in text.splitlines()[1] and "Ridders" in text.splitlines()[0]


# --- Random programs: where SymPy confirms a gradient, --check never calls it a failure


def _sympy_expression(result, symbols):
    """The graph as a SymPy expression, node by node (iterative, as every graph walk)."""
    import sympy

    functions = {
        "add": lambda x, y: x + y, "sub": lambda x, y: x - y, "mul": lambda x, y: x * y,
        "div": lambda x, y: x / y, "neg": lambda x: -x, "pow": lambda x, y: x ** y,
        "exp": sympy.exp, "log": sympy.log, "sqrt": sympy.sqrt, "sin": sympy.sin, "cos": sympy.cos,
        "tan": sympy.tan, "tanh": sympy.tanh, "sinh": sympy.sinh, "cosh": sympy.cosh, "atan": sympy.atan,
        "sigmoid": lambda x: 1 / (1 + sympy.exp(-x)), "softplus": lambda x: sympy.log(1 + sympy.exp(x)),
        "pi": lambda: sympy.pi,
    }
    built = []
    for node in result.graph.nodes:
        if node.op == "input":
            built.append(symbols[node.name])
        elif node.op == "const":
            built.append(sympy.Float(node.value, 30) if not float(node.value).is_integer()
                         else sympy.Integer(int(node.value)))
        else:
            built.append(functions[node.op](*(built[arg] for arg in node.args)))
    return built[result.graph.output]


SMOOTH = ["sin", "cos", "tanh", "exp", "sigmoid", "softplus", "atan", "sinh", "log", "sqrt"]


def smooth_programs() -> st.SearchStrategy[str]:
    """Expression trees over a, b, x, y: every variable used, products, quotients, powers, smooth calls."""
    leaves = st.one_of(st.sampled_from(VARIABLES), st.sampled_from(["2", "0.5", "3", "10", "1000", "1e-3"]))

    def grow(children):
        return st.one_of(
            st.tuples(children, st.sampled_from(["+", "-", "*", "/"]), children).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
            st.tuples(children, st.sampled_from(["2", "3", "-1", "0.5"])).map(lambda t: f"({t[0]})^{t[1]}"),
            st.tuples(st.sampled_from(SMOOTH), children).map(lambda t: f"{t[0]}({t[1]})"),
        )

    return st.recursive(leaves, grow, max_leaves=12)


def _exact(derivative, point) -> float | None:
    """The derivative at the point to 30 digits, or None where SymPy finds it complex, infinite or undefined."""
    try:
        exact = complex(derivative.evalf(30, subs=point))
    except (ZeroDivisionError, TypeError, ValueError, OverflowError):
        return None
    return exact.real if exact.imag == 0 and math.isfinite(exact.real) else None


# Inputs of several scales, as users give them: small, ordinary, large.
WIDE_VALUES = st.fixed_dictionaries({
    name: st.one_of(st.floats(-3, 3, allow_nan=False).map(lambda v: round(v, 3)),
                    st.sampled_from([1000.0, -250.0, 0.001, 12.5, 1e-5]))
    for name in VARIABLES
})


@pytest.mark.slow
@settings(deadline=None, max_examples=300, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(smooth_programs(), WIDE_VALUES)
def test_check_never_fails_a_gradient_that_sympy_confirms(source, values):
    import sympy

    try:
        report = check_gradients(source, values)
    except BackpropError:
        assume(False)
        return
    from backprop.api import differentiate

    result = differentiate(source, values)
    symbols = {name: sympy.Symbol(name) for name in result.inputs}
    expression = _sympy_expression(result, symbols)
    point = {symbols[name]: sympy.Float(value, 30) for name, value in result.inputs.items()}
    for check in report.checks:
        if check.status != FAIL:
            continue
        exact = _exact(sympy.diff(expression, symbols[check.name]), point)
        if exact is None:
            continue  # SymPy can not confirm it: not a false failure
        agrees = abs(exact.real - check.analytic) <= 1e-8 * max(1.0, abs(exact.real))
        assert not agrees, f"--check fails a gradient SymPy confirms: {source!r} {values} {check}"
