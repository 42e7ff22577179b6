"""The registry: every entry's local derivatives against central finite differences."""

import math
import re

import pytest

from backprop.ops import OPS

# Points inside each op's domain and away from its kinks.
POINTS = {
    1: [(-1.3,), (-0.4,), (0.3,), (0.7,), (1.9,)],
    2: [(0.7, 1.3), (1.5, -0.6), (2.2, 0.4), (0.9, 2.1), (-1.4, 3.0)],
}
DOMAIN = {
    "log": lambda x: x > 0, "log2": lambda x: x > 0, "log10": lambda x: x > 0, "sqrt": lambda x: x > 0,
    "asin": lambda x: abs(x) < 1, "acos": lambda x: abs(x) < 1,
    "pow": lambda x, y: x > 0, "div": lambda x, y: y != 0,
}


def operations():
    return [op for op in OPS.values() if op.arity > 0 and op.kind != "transform"]


def numeric_partial(op, point, position, h=1e-6):
    up = list(point)
    down = list(point)
    up[position] += h
    down[position] -= h
    return (op.forward(*up) - op.forward(*down)) / (2 * h)


@pytest.mark.parametrize("op", operations(), ids=lambda op: op.name)
def test_local_grads_match_finite_differences(op):
    checked = 0
    for point in POINTS[op.arity]:
        if op.name in DOMAIN and not DOMAIN[op.name](*point):
            continue
        out = op.forward(*point)
        partials = op.local_grads(*point, out)
        assert len(partials) == op.arity
        for position in range(op.arity):
            expected = numeric_partial(op, point, position)
            assert partials[position] == pytest.approx(expected, rel=1e-5, abs=1e-6), (op.name, point, position)
        checked += 1
    assert checked >= 3, f"too few points inside the domain of {op.name}"


@pytest.mark.parametrize("op", list(OPS.values()), ids=lambda op: op.name)
def test_entry_is_complete(op):
    assert len(op.grads) == op.arity
    assert op.doc and op.label and op.kind in ("infix", "prefix", "function", "constant", "transform")
    assert op.kind != "infix" or op.symbol
    assert op.kind == "transform" or op.forward is not None


@pytest.mark.parametrize(
    "name, point, expected",
    [
        ("relu", (0.0,), (0.0,)),
        ("abs", (0.0,), (0.0,)),
        ("max", (2.0, 2.0), (0.5, 0.5)),
        ("min", (2.0, 2.0), (0.5, 0.5)),
        ("sqrt", (0.0,), (math.inf,)),
        ("pow", (0.0, 0.5), (math.inf, 0.0)),
        ("pow", (0.0, 2.0), (0.0, 0.0)),
        ("pow", (0.0, 1.0), (1.0, 0.0)),
        ("asin", (1.0,), (math.inf,)),
    ],
)
def test_conventions_at_kinks_and_edges(name, point, expected):
    op = OPS[name]
    assert op.local_grads(*point, op.forward(*point)) == expected


def test_pow_exponent_gradient_is_nan_for_negative_base():
    dx, dy = OPS["pow"].local_grads(-2.0, 2.0, 4.0)
    assert dx == -4.0 and math.isnan(dy)


def test_sigmoid_and_softplus_are_stable_for_large_inputs():
    assert OPS["sigmoid"].forward(-1000.0) == 0.0
    assert OPS["sigmoid"].forward(1000.0) == 1.0
    assert OPS["softplus"].forward(1000.0) == 1000.0
    assert OPS["softplus"].forward(-1000.0) == pytest.approx(0.0)


def test_function_names_are_valid_identifiers():
    for name, op in OPS.items():
        if op.kind in ("function", "constant"):
            assert re.fullmatch(r"[a-z][a-z0-9]*", name)
