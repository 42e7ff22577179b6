"""Array programs against independent oracles: closed forms, finite differences on every element,
the scalar engine element by element, and Mazur's published worked example."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from backprop.api import differentiate
from backprop.errors import BackpropError
from backprop.ops import OPS

RNG = np.random.default_rng(7)


def finite_differences(result, h=1e-6):
    """∂L/∂input for every element, by central differences through Result.value_at (a forward pass)."""
    grads = {}
    for name, value in result.inputs.items():
        value = np.array(value, dtype=float)
        grad = np.zeros_like(value)
        for index in np.ndindex(value.shape):
            up, down = value.copy(), value.copy()
            up[index] += h
            down[index] -= h
            grad[index] = (result.value_at({name: up}) - result.value_at({name: down})) / (2 * h)
        grads[name] = grad
    return grads


def test_linear_regression_gradient_is_the_closed_form():
    X, w, y = RNG.normal(size=(6, 3)), RNG.normal(size=3), RNG.normal(size=6)
    result = differentiate("L = sum((X @ w - y)^2)", {"X": X, "w": w, "y": y})
    assert result.value == pytest.approx(np.sum((X @ w - y) ** 2))
    np.testing.assert_allclose(result.gradients["w"], 2 * X.T @ (X @ w - y), rtol=1e-12)
    np.testing.assert_allclose(result.gradients["X"], 2 * np.outer(X @ w - y, w), rtol=1e-12)
    np.testing.assert_allclose(result.gradients["y"], -2 * (X @ w - y), rtol=1e-12)


def _softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def test_softmax_cross_entropy_gradient_is_softmax_minus_onehot():
    z = RNG.normal(size=5)
    result = differentiate("L = cross_entropy(z, 3)", {"z": z})
    onehot = np.eye(5)[3]
    assert result.value == pytest.approx(-np.log(_softmax(z)[3]))
    np.testing.assert_allclose(result.gradients["z"], _softmax(z) - onehot, atol=1e-15)


def test_batched_cross_entropy_averages_over_rows_and_equals_the_hand_written_form():
    Z, t = RNG.normal(size=(4, 3)), np.array([0, 2, 1, 2])
    onehot = np.eye(3)[t]
    built_in = differentiate("L = cross_entropy(Z, t)", {"Z": Z, "t": t})
    by_hand = differentiate("L = -sum(Y * log_softmax(Z)) / 4", {"Z": Z, "Y": onehot})
    assert built_in.value == pytest.approx(by_hand.value)
    np.testing.assert_allclose(built_in.gradients["Z"], (_softmax(Z) - onehot) / 4, atol=1e-15)
    np.testing.assert_allclose(by_hand.gradients["Z"], built_in.gradients["Z"], atol=1e-15)


@pytest.mark.parametrize("program, shapes", [
    ("h = tanh(W1 @ x + b1); L = sum(sigmoid(W2 @ h + b2))", {"W1": (3, 2), "x": (2,), "b1": (3,), "W2": (2, 3),
                                                           "b2": (2,)}),
    ("L = logsumexp(X @ w) + mean(softmax(X @ w) * y)", {"X": (4, 3), "w": (3,), "y": (4,)}),
    ("L = sum(log_softmax(Z) * T)", {"Z": (3, 4), "T": (3, 4)}),
    ("L = sum((X - mean(X, 0))^2) / 5", {"X": (5, 2)}),
    ("L = sum((X.T @ X) * (transpose(X) @ X))", {"X": (3, 2)}),
    ("L = x[0] * x[2] + sum(M[1, 0:2] * M[:, 2])", {"x": (3,), "M": (2, 3)}),
    ("L = sum(A * b + c) + sum(relu(A) , 1)[0]", {"A": (4, 3), "b": (3,), "c": ()}),
    ("v = [a * b, a + b, a]; L = sum(v @ M)", {"a": (), "b": (), "M": (3, 2)}),
    ("L = mean(sqrt(exp(x) + 1) / (1 + x^2))", {"x": (6,)}),
])
def test_every_element_of_every_gradient_matches_finite_differences(program, shapes):
    values = {name: RNG.normal(size=shape) for name, shape in shapes.items()}
    result = differentiate(program, values)
    numeric = finite_differences(result)
    for name in shapes:
        assert result.gradients[name].shape == np.shape(values[name])
        np.testing.assert_allclose(result.gradients[name], numeric[name], rtol=1e-5, atol=1e-7, err_msg=name)


ELEMENTWISE_POINTS = {"log": (0.3, 2.5), "log2": (0.3, 2.5), "log10": (0.3, 2.5), "sqrt": (0.3, 2.5),
                      "asin": (-0.7, 0.7), "acos": (-0.7, 0.7)}


@pytest.mark.parametrize("name", [n for n, op in OPS.items() if op.kind == "function" and op.arity == 1])
def test_every_registry_function_lifts_to_arrays_with_the_scalar_engines_values_and_gradients(name):
    low, high = ELEMENTWISE_POINTS.get(name, (-1.5, 1.5))
    x = np.linspace(low, high, 5) + 0.0123  # away from kinks at 0
    result = differentiate(f"L = sum({name}(x))", {"x": x})
    for i, point in enumerate(x):
        scalar = differentiate(f"L = {name}(x)", {"x": float(point)})
        assert float(np.asarray(result.values[1])[i]) == pytest.approx(scalar.value, rel=1e-12)
        assert result.gradients["x"][i] == pytest.approx(scalar.gradients["x"], rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("name", [n for n, op in OPS.items() if op.arity == 2 and op.kind != "transform"])
def test_every_binary_registry_operation_broadcasts_with_the_scalar_gradients(name):
    a, b = np.array([[0.5, 1.25, 2.0], [1.5, 0.75, 3.0]]), np.array([1.75, 0.5, 2.5])
    text = f"{name}(a, b)" if OPS[name].kind == "function" else f"a {OPS[name].ascii_symbol or OPS[name].symbol} b"
    result = differentiate(f"L = sum({text})", {"a": a, "b": b})
    expected_b = np.zeros(3)
    for i, j in np.ndindex(a.shape):
        scalar = differentiate(f"L = {text}", {"a": a[i, j], "b": b[j]})
        assert result.gradients["a"][i, j] == pytest.approx(scalar.gradients["a"], rel=1e-12, abs=1e-15)
        expected_b[j] += scalar.gradients["b"]
    np.testing.assert_allclose(result.gradients["b"], expected_b, rtol=1e-12, atol=1e-15)


def test_mazurs_two_two_two_network_reproduces_his_published_numbers():
    """Matt Mazur, "A Step by Step Backpropagation Example": E_total = 0.298371109, ∂E/∂w5 = 0.082167041."""
    program = "h = sigmoid(W1 @ i + b1); o = sigmoid(W2 @ h + b2); E = sum(0.5 * (t - o)^2)"
    result = differentiate(program, {"i": "[0.05, 0.10]", "W1": "[[0.15, 0.20], [0.25, 0.30]]", "b1": "0.35",
                                     "W2": "[[0.40, 0.45], [0.50, 0.55]]", "b2": "0.60", "t": "[0.01, 0.99]"})
    assert result.output == "E"
    assert result.value == pytest.approx(0.298371109, abs=1e-9)
    assert result.gradients["W2"][0, 0] == pytest.approx(0.082167041, abs=1e-9)  # ∂E/∂w5
    assert result.gradients["W1"][0, 0] == pytest.approx(0.000438568, abs=1e-9)  # ∂E/∂w1


def test_the_derivation_states_shapes_rules_and_broadcasting():
    result = differentiate("y = W @ x + b; L = sum(y)", {"W": "[[1, 2], [3, 4], [5, 6]]", "x": "[1, -1]",
                                                         "b": "[[0.5, 1, 1.5]]"})
    text = result.derivation()
    assert "a = W @ x   (3, 2) @ (2,) → (3,)" in text
    assert "∂L/∂W = ∂L/∂a · xᵀ   (3,) ⊗ (2,) → (3, 2)" in text
    assert "dimension analysis: ∂L/∂W must have W's shape (3, 2)" in text
    assert "b (1, 3) was broadcast to (3,)" not in text
    assert "∂L/∂a = ∂L/∂(a broadcast) summed over axis 0   (1, 3) → (3,)" in text
    assert "a (3,) was broadcast to (1, 3): its gradient sums ∂L/∂(a broadcast) over axis 0" in text
    assert "∂L/∂W (3, 2) = [[1, -1], [1, -1], [1, -1]]" in text
    ascii_text = result.derivation("ascii")
    assert ascii_text.isascii() and "dL/dW = dL/da * x^T" in ascii_text


def test_large_values_are_summarised_and_small_ones_shown_in_full():
    result = differentiate("L = sum(X @ w)", {"X": np.ones((5, 2)), "w": [1.0, 2.0]})
    text = result.derivation()
    assert "X (5, 2) = (5, 2) array: min 1, mean 1, max 1" in text
    assert "w (2,) = [1, 2]" in text


def test_json_has_nested_lists_and_shapes_and_follows_the_schema():
    jsonschema = pytest.importorskip("jsonschema")
    result = differentiate("L = sum(W @ x)", {"W": "[[1, 2], [3, 4]]", "x": "[1, -1]"})
    document = json.loads(result.to_json())
    schema = json.loads((Path(__file__).parents[1] / "docs" / "schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(document, schema)
    assert document["inputs"]["W"] == [[1.0, 2.0], [3.0, 4.0]]
    assert document["gradients"]["W"] == [[1.0, -1.0], [1.0, -1.0]]
    assert document["shapes"] == {"W": [2, 2], "x": [2]}


def test_markdown_and_latex_draw_matrices_as_bmatrix():
    result = differentiate("L = sum(W @ x)", {"W": "[[1, 2], [3, 4]]", "x": "[1, -1]"})
    assert r"\begin{bmatrix} 1 & 2 \\ 3 & 4 \end{bmatrix}" in result.derivation("markdown")
    latex = result.derivation("latex", standalone=True)
    assert r"\frac{\partial L}{\partial W} &= \begin{bmatrix} 1 & -1 \\ 1 & -1 \end{bmatrix}" in latex
    assert "∂" not in latex and "ᵀ" not in latex


def test_latex_and_markdown_write_a_steps_equations_as_maths_not_as_text():
    result = differentiate("h = tanh(W @ x); L = sum(h^2) + sum(h)", {"W": "[[1, 2], [-3, 1]]", "x": "[1, -1]"})
    latex = result.derivation("latex")
    # a "since" line's equations are maths (h^2, not a text circumflex), and a use's own equation is not
    # printed as if it were the gradient (∂L/∂h (from its use in d = h ^ 2) = rule, not ∂L/∂h = h ^ 2 = rule)
    assert r"since $b = h ^ 2$ elementwise, $\frac{\partial b}{\partial h} = 2 \times  h$ element by element" in latex
    assert r"$\frac{\partial L}{\partial h}$ (from its use in $b = h ^ 2$) $= \frac{\partial L}{\partial b}" in latex
    assert r"\^{}" not in latex and r"\operatorname{tanh}(a)" in latex
    markdown = result.derivation("markdown")
    assert r"(from its use in $b = h ^ 2$) $= \frac{\partial L}{\partial b}" in markdown


def test_literals_in_programs_and_constant_expressions_in_values():
    result = differentiate("L = sum([1, 2, 3] * x) + [[1, 2], [3, 4]][1, 0]", {"x": "[pi/4, -1, 2^3]"})
    assert result.value == pytest.approx(np.pi / 4 - 2 + 24 + 3)
    np.testing.assert_array_equal(result.gradients["x"], [1, 2, 3])


def test_a_multi_line_matrix_literal_continues_over_new_lines():
    result = differentiate("W = [[1, 2],\n     [3, 4]]\nL = sum(W @ x)", {"x": "[1, 1]"})
    assert result.value == 10


def test_a_node_used_twice_sums_its_gradients_and_says_so():
    result = differentiate("y = x * x; L = sum(y + x)", {"x": "[1, 2]"})
    np.testing.assert_array_equal(result.gradients["x"], [3, 5])
    assert "∂L/∂x = the sum of its 3 uses' gradients   (2,)" in result.derivation()  # x * x is two uses


def test_check_passes_on_every_element_and_samples_large_inputs():
    from backprop.arrays.check import SAMPLE, check_array_gradients, render_array_check

    result = differentiate("L = sum(tanh(X @ w))", {"X": RNG.normal(size=(30, 10)), "w": RNG.normal(size=10)})
    report = check_array_gradients(result)
    assert report.passed
    by_name = {c.name: c for c in report.checks}
    assert len(by_name["X"].elements) == SAMPLE and len(by_name["w"].elements) == 10
    assert "200 of 300 (sample)" in render_array_check(report)


def break_matmul(monkeypatch) -> None:
    """Swap in a matmul whose vector-Jacobian product is 1 % off: a wrong rule for the checks to catch."""
    from backprop.arrays import ops_array

    right = ops_array.ARRAY_OPS["matmul"]
    wrong = ops_array.Operation("matmul", right.infer, right.forward,
                                lambda site, position, g, values, out: 1.01 * right.vjp(site, position, g, values, out),
                                right.rule, right.show)
    monkeypatch.setitem(ops_array.ARRAY_OPS, "matmul", wrong)


def test_check_catches_a_wrong_rule(monkeypatch):
    from backprop.arrays.check import check_array_gradients

    break_matmul(monkeypatch)
    result = differentiate("L = sum(W @ x)", {"W": "[[1, 2], [3, 4]]", "x": "[1, -1]"})
    assert not check_array_gradients(result).passed


def test_a_scalar_program_never_imports_numpy():
    code = ("import sys; from backprop.api import differentiate; "
            "r = differentiate('L = (a*b+c)*f', {'a': 2, 'b': -3, 'c': 10, 'f': -2}); r.derivation(); "
            "print(r.value, 'numpy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["-8.0", "False"]


def test_numpy_arrays_and_lists_are_values():
    result = differentiate("L = sum(x * y)", {"x": np.array([1, 2]), "y": [3.0, 4.0]})
    assert result.value == 11
    np.testing.assert_array_equal(result.gradients["y"], [1, 2])


@pytest.mark.parametrize("program, values, message", [
    ("y = W @ x; L = sum(y)", {"W": "[[1, 2, 3], [4, 5, 6]]", "x": "[1, -1]"},
     "W @ x: (2, 3) @ (2,) — the inner dimensions 3 and 2 differ"),
    ("L = sum(x * y)", {"x": "[1, 2, 3]", "y": "[1, 2]"}, "x * y: (3,) * (2,) do not broadcast"),
    ("L = x[3]", {"x": "[1, 2, 3]"}, "index 3 is out of range for axis 0 of x, which has 3 elements"),
    ("L = x[0, 1]", {"x": "[1, 2, 3]"}, "x has shape (3,), 1 axis, but 2 subscripts are given"),
    ("L = sum(x, 1)", {"x": "[1, 2, 3]"}, "axis 1 is out of range"),
    ("L = x", {"x": "[1, 2]"}, "the output L has shape (2,): backpropagation starts from one number"),
    ("L = sum([[1, 2], [3]])", {}, "ragged array literal: item 1 has shape (2,) but item 2 has shape (1,)"),
    ("L = sum(x)", {"x": "[[1, 2], [3]]"}, "--set x=[[1, 2], [3]]: ragged array literal"),
    ("L = sum(log(x))", {"x": "[1, -2]"}, "cannot compute a = log(x): element [1] is nan"),
    ("L = cross_entropy(z, 3)", {"z": "[1, 2, 3]"}, "the target is 3, not a class number 0 … 2"),
    ("L = sum(x)", {}, "no value for x"),
    ("L = grad(sum(x), x)", {"x": "[1, 2]"}, "grad() works in scalar programs only"),
    ("L = logsumexp(x[2:1])", {"x": "[1, 2, 3]"}, "the last axis of a (0,) is empty"),
    ("L = cross_entropy(x[2:1], 0)", {"x": "[1, 2, 3]"}, "the logits are empty"),
    ("L = mean(x[2:1])", {"x": "[1, 2, 3]"}, "cannot compute L = mean(a)"),
])
def test_bad_programs_and_values_are_one_clear_error_before_evaluation(program, values, message):
    with pytest.raises(BackpropError) as caught:
        differentiate(program, values)
    assert message in caught.value.message


def test_shape_errors_point_at_the_operation(tmp_path):
    from click.testing import CliRunner

    from backprop.cli import command

    result = CliRunner().invoke(command, ["y = W @ x; L = sum(y)", "--set", "W=[[1,2,3],[4,5,6]]", "x=[1,-1]",
                                          "--no-diagram"])
    assert result.exit_code == 1
    assert result.stderr == ("Error: W @ x: (2, 3) @ (2,) — the inner dimensions 3 and 2 differ (at line 1, column 5)\n"
                             "  y = W @ x; L = sum(y)\n      ^^^^^\n")


@pytest.mark.parametrize("program, values", [
    ("y = W @ x + b; L = cross_entropy(y, 1) + sum(softmax(y)[0:2]) + mean(X, 0)[1] + logsumexp(x.T)",
     {"W": "[[1, 2], [3, 4], [5, 6]]", "x": "[1, -1]", "b": "0.5", "X": "[[1, 2], [3, 4]]"}),
    ("h = tanh(X @ W1); L = cross_entropy(h @ W2, t) + sum(log_softmax(h) * h) / 2",
     {"X": "[[1, 2], [0, -1]]", "W1": "[[0.5, -1], [1, 0.25]]", "W2": "[[1, 0], [0, 1]]", "t": "[1, 0]"}),
    ("v = [a, a * b]; L = sum(v @ [[1, 2], [3, 4]]) + sum(M.T[1]) + cross_entropy(M, [[0.25, 0.75], [1, 0]])",
     {"a": "2", "b": "-1", "M": "[[1, 2], [3, 4]]"}),
])
def test_expand_writes_the_scalar_graph_whose_gradients_equal_the_vectorised_ones(program, values):
    from backprop.arrays.expand import expansion_json, render_expansion, scalar_program

    result = differentiate(program, values)
    text, inputs = scalar_program(result)
    assert "[" not in text and "@" not in text  # a scalar program: the array syntax is gone
    scalar = differentiate(text, inputs)
    assert type(scalar).__name__ == "Result" and scalar.value == pytest.approx(result.value, rel=1e-12)
    expansion = expansion_json(result)
    assert expansion["agree"], expansion["largest_difference"]
    for name, grad in result.gradients.items():
        np.testing.assert_allclose(np.array(expansion["gradients"][name]), grad, rtol=1e-9, atol=1e-12)
    assert "agree on every element" in render_expansion(result)


def test_expand_refuses_more_than_tiny_shapes_and_scalar_programs():
    from click.testing import CliRunner

    from backprop.cli import command

    big = CliRunner().invoke(command, ["L = sum(x)", "--set", "x=[" + ", ".join(["1"] * 300) + "]", "--expand"])
    assert big.exit_code == 1 and "more than the limit of 200" in big.stderr
    scalar = CliRunner().invoke(command, ["L = a * b", "--set", "a=1", "b=2", "--expand"])
    assert scalar.exit_code == 1 and "this program is already scalar" in scalar.stderr


def test_jupyter_shows_the_markdown_derivation_and_the_diagram():
    import shutil

    result = differentiate("L = sum(W @ x)", {"W": [[1, 2], [3, 4]], "x": [1, -1]})
    assert r"\begin{bmatrix}" in result._repr_markdown_()
    svg = result._repr_svg_()
    assert (svg is None) == (shutil.which("dot") is None)
    if svg is not None:
        assert "<svg" in svg and "(2, 2)" in svg
