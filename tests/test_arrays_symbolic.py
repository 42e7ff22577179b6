"""--symbolic for array programs: the gradient graph of array operations, its formulas, every format.

The oracle is the engine: the gradient graph built with exact rewrites must evaluate to exactly
the engine's gradients, and the simplified formulas (the ones printed) to the same values within
rounding; closed forms (2 Xᵀ(X w − y), softmax(z) − onehot(t)) are checked against NumPy by hand.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from backprop.api import differentiate
from backprop.arrays.gradient_graph import evaluate
from backprop.arrays.symbolic import evaluate_formulas
from backprop.cli import command

LINEAR_REGRESSION = ("L = sum((X @ w - y)^2)",
                     {"X": [[1, 2, 0.5], [3, -1, 2], [0, 1, 1], [2, 2, -1]], "w": [0.5, -1, 2], "y": [1, 2, 3, 4]})
LINEAR_LAYER = ("L = sum((X @ W + b - Y)^2)/n",
                {"X": [[1, 2], [3, -1], [0, 1], [2, 2]], "W": [[0.5, -1, 0], [1, 0.25, 2]], "b": [1, 0, -1],
                 "Y": [[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 1]], "n": 4})
SOFTMAX_CE = ("L = cross_entropy(W @ x + b, 2)",
              {"W": [[0.2, -0.5], [1.5, 1.3], [0, 0.25]], "x": [1, 2], "b": [0.1, 0, -0.1]})
MAZUR = ("h = sigmoid(W1 @ i + b1); o = sigmoid(W2 @ h + b2); E = sum(0.5 * (t - o)^2)",
         {"i": [0.05, 0.10], "W1": [[0.15, 0.20], [0.25, 0.30]], "b1": 0.35, "W2": [[0.40, 0.45], [0.50, 0.55]],
          "b2": 0.60, "t": [0.01, 0.99]})
TANH_MLP = ("h = tanh(X @ W1 + b1); L = sum((h @ W2 + b2 - Y)^2)",
            {"X": [[1, 2], [3, -1], [0, 1]], "W1": [[0.1, -0.2, 0.3], [0.4, 0.5, -0.6]], "b1": [0.1, 0.2, 0.3],
             "W2": [[1, 0], [0, 1], [1, 1]], "b2": [0, 0.1], "Y": [[1, 0], [0, 1], [1, 1]]})
RELU_MLP = ("h = relu(X @ W1 + b1); L = cross_entropy(h @ W2 + b2, t)",
            {"X": [[1, 2], [3, -1], [0, 1]], "W1": [[0.1, -0.2, 0.3], [0.4, 0.5, -0.6]], "b1": [0.1, 0.2, 0.3],
             "W2": [[1, 0], [0, 1], [1, 1]], "b2": [0, 0.1], "t": [0, 1, 1]})
PROGRAMS = [
    LINEAR_REGRESSION, LINEAR_LAYER, SOFTMAX_CE, MAZUR, TANH_MLP, RELU_MLP,
    ("L = -sum(t * log_softmax(Z)) / 2", {"Z": [[1, 2, 3], [0, 1, -1]], "t": [[0, 0, 1], [1, 0, 0]]}),
    ("L = cross_entropy(Z, P)", {"Z": [[1, 2, 3], [0, 1, -1]], "P": [[0.2, 0.3, 0.5], [1, 0, 0]]}),
    ("L = sum(mean(X, 1) * v) + logsumexp(v) + sum(X.T @ X)", {"X": [[1, 2, 3], [4, 5, 6]], "v": [0.5, -1]}),
    ("L = x[0] * 3 + sum(x[1:3]^2) + sum([a, b*a])", {"x": [1, 2, 3, 4], "a": 2, "b": 5}),
    ("L = sum(softmax(z) * c) + sum(abs(z) / max(z, 1))", {"z": [[1, 2, 3], [0, 1, -1]], "c": [1, 2, 3]}),
    ("L = sum(exp(-u) * log(v) + sqrt(v) - u @ v)", {"u": [0.5, 1.5], "v": [2, 3]}),
]


@pytest.mark.parametrize("source, values", PROGRAMS, ids=[p[0][:40] for p in PROGRAMS])
def test_the_exact_gradient_graph_evaluates_to_exactly_the_engines_gradients(source, values):
    result = differentiate(source, values)
    built = result.gradient_graph("exact")
    computed = evaluate(built.builder.nodes, result.values)
    for i in result.graph.inputs:
        name = result.graph.nodes[i].name
        expected = result.gradients[name]
        got = computed[built.grads[i]] if i in built.grads else np.zeros_like(expected)
        assert got.shape == expected.shape and np.array_equal(got, expected), name


@pytest.mark.parametrize("source, values", PROGRAMS, ids=[p[0][:40] for p in PROGRAMS])
def test_the_printed_formulas_graph_evaluates_to_the_engines_gradients(source, values):
    result = differentiate(source, values)
    values_of_formulas = evaluate_formulas(result)
    for name, expected in result.gradients.items():
        got = values_of_formulas.get(name, np.zeros_like(expected))
        assert got.shape == expected.shape, name  # each formula has its input's shape
        np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-13, err_msg=name)
        assert result.formula(name)  # every input gets a formula


def test_linear_regression_is_two_x_transpose_times_the_residual():
    result = differentiate(*LINEAR_REGRESSION)
    assert result.formula("w") == "2 Xᵀ(X w - y)"
    assert result.formula("w", "ascii") == "2 X^T(X w - y)"
    assert result.formula("w", "latex") == r"2 X^{\top}\left(X w - y\right)"
    assert result.formula("X") == "2 (X w - y) wᵀ"
    X, w, y = (np.array(LINEAR_REGRESSION[1][k], dtype=float) for k in "Xwy")
    np.testing.assert_allclose(result.gradients["w"], 2 * X.T @ (X @ w - y))  # the closed form, by hand


def test_a_linear_layer_states_products_with_transposes_and_the_bias_broadcast_undone():
    result = differentiate(*LINEAR_LAYER)
    assert result.formula("W") == "2/n × Xᵀ(X W + b - Y)"
    assert result.formula("X") == "2/n × (X W + b - Y) Wᵀ"
    assert result.formula("b") == "2/n × sum(X W + b - Y, axis=0)"
    X, W, b, Y = (np.array(LINEAR_LAYER[1][k], dtype=float) for k in "XWbY")
    np.testing.assert_allclose(result.gradients["b"], (2 / 4) * np.sum(X @ W + b - Y, axis=0))


def test_softmax_cross_entropy_is_softmax_minus_onehot():
    result = differentiate("L = cross_entropy(z, 2)", {"z": [1.0, 2.0, 0.5]})
    assert result.formula("z") == "softmax(z) - onehot(2)"
    z = np.array([1.0, 2.0, 0.5])
    np.testing.assert_allclose(result.gradients["z"], np.exp(z) / np.exp(z).sum() - np.eye(3)[2])
    layer = differentiate(*SOFTMAX_CE)
    assert layer.formula("W") == "(softmax(W x + b) - onehot(2)) xᵀ"
    assert layer.formula("x") == "Wᵀ(softmax(W x + b) - onehot(2))"
    rows = differentiate("L = cross_entropy(Z, t)", {"Z": [[1, 2, 3], [0, 1, -1]], "t": [2, 0]})
    assert rows.formula("Z") == "(softmax(Z) - onehot(t)) / 2"


def test_a_long_formula_names_its_shared_parts_with_the_programs_own_names():
    result = differentiate(*MAZUR)
    text = result.formula("W2")
    assert text.startswith("((o - t) ⊙ o ⊙ sigmoid(-s1)) hᵀ   where ")
    assert "h = sigmoid(W1 i + b1)" in text and "o = sigmoid(s1)" in text
    W2 = np.array(result.gradients["W2"])
    assert W2[0, 0] == pytest.approx(0.082167041, abs=1e-9)  # Mazur's published ∂E/∂w5


def test_a_formula_too_big_to_print_is_summarised_with_its_size_and_never_hangs():
    layers = 60  # each layer uses the one before twice: written out, the formula doubles per layer
    lines = ["h0 = x"] + [f"h{k} = tanh(W @ h{k - 1}) * h{k - 1}" for k in range(1, layers + 1)]
    result = differentiate("; ".join(lines) + f"; L = sum(h{layers})",
                           {"x": [0.1, 0.2], "W": [[0.5, -0.1], [0.2, 0.3]]})
    formula = result._formulas["x"]
    text = result.formula("x")
    assert formula.written_out > 10 ** 15  # far too many operations to write out …
    assert formula.shared  # … so the shared parts get names (h1, h2, …)
    assert "where s1 = tanh(W x); h1 = s1 ⊙ x; " in text
    np.testing.assert_allclose(evaluate_formulas(result)["x"], result.gradients["x"], rtol=1e-9)


def run(args):
    return CliRunner().invoke(command, args)


LR_ARGS = ["L = sum((X @ w - y)^2)", "--set", "X=[[1, 2], [3, -1], [0, 1]]", "w=[0.5, -1]", "y=[1, 2, 3]",
           "--symbolic", "--no-diagram"]


def test_the_text_derivation_ends_with_the_formulas_their_shapes_and_values():
    result = run(LR_ARGS)
    assert result.exit_code == 0, result.output
    tail = result.stdout.split("Gradients as formulas", 1)[1]
    assert "  ∂L/∂w (2,) = 2 Xᵀ(X w - y) = [-2, -19]" in tail
    assert "  ∂L/∂X (3, 2) = 2 (X w - y) wᵀ = [[-2.5, 5], [0.5, -1], [-4, 8]]" in tail
    ascii = run(LR_ARGS + ["--ascii"]).stdout
    assert "  dL/dw (2,) = 2 X^T(X w - y) = [-2, -19]" in ascii and ascii.isascii()


def test_markdown_latex_and_json_carry_the_formulas():
    markdown = run(LR_ARGS + ["--format", "markdown"]).stdout
    assert r"- $\frac{\partial L}{\partial w} = 2 X^{\top}\left(X w - y\right) = \begin{bmatrix}" in markdown
    latex = run(LR_ARGS + ["--format", "latex", "--standalone"]).stdout
    assert r"\frac{\partial L}{\partial w} &= 2 X^{\top}\left(X w - y\right)" in latex
    assert latex.rstrip().endswith(r"\end{document}") and latex.index("Gradients as formulas") < latex.index(
        r"\end{document}")
    document = json.loads(run(LR_ARGS + ["--format", "json"]).stdout)
    assert document["formulas"]["w"] == {"text": "2 Xᵀ(X w - y)", "latex": r"2 X^{\top}\left(X w - y\right)",
                                         "value": [-2.0, -19.0], "shape": [2]}
    plain = json.loads(run(LR_ARGS[:-2] + ["--no-diagram", "--format", "json"]).stdout)
    assert "formulas" not in plain  # only with the flag


def test_the_json_document_with_formulas_validates_against_the_schema():
    jsonschema = pytest.importorskip("jsonschema")
    from pathlib import Path

    schema = json.loads((Path(__file__).parent.parent / "docs" / "schema.json").read_text(encoding="utf-8"))
    for source, values in (MAZUR, LINEAR_REGRESSION):
        document = json.loads(differentiate(source, values).to_json())
        from backprop.arrays.symbolic import formulas_json

        document["formulas"] = formulas_json(differentiate(source, values))
        jsonschema.validate(document, schema)
    mazur = formulas_json(differentiate(*MAZUR))
    assert mazur["W2"]["where"][0] == {"text": "h = sigmoid(W1 i + b1)",
                                       "latex": r"h = \operatorname{sigmoid}\left(W_{1} i + b_{1}\right)"} or \
        mazur["W2"]["where"][0]["text"] == "h = sigmoid(W1 i + b1)"


def test_wrt_keeps_the_chosen_inputs_formulas():
    result = run(LR_ARGS + ["--wrt", "w"])
    tail = result.stdout.split("Gradients as formulas", 1)[1]
    assert "∂L/∂w" in tail and "∂L/∂X" not in tail and "∂L/∂y" not in tail


def test_the_stepper_shows_the_formulas_below_its_steps(tmp_path, browser):
    result = run(LR_ARGS[:-1] + ["-o", str(tmp_path / "s.html")])
    assert result.exit_code == 0, result.output
    page = browser.new_page()
    page.goto((tmp_path / "s.html").as_uri())
    section = page.locator("#formulas")
    assert section.is_visible()
    assert "Gradients as formulas" in section.inner_text()
    assert "∂L/∂w (2,) = 2 Xᵀ(X w - y) = [-2, -19]" in section.inner_text()
    page.close()
    plain = run(LR_ARGS[:-2] + ["-o", str(tmp_path / "plain.html")])
    assert plain.exit_code == 0 and 'id="formulas"' not in (tmp_path / "plain.html").read_text(encoding="utf-8")


def test_what_arrays_do_not_have_yet_is_refused_in_one_line():
    result = run(LR_ARGS[:-2] + ["--hessian", "--no-diagram"])
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert result.stderr.startswith("Error: --hessian gives one second derivative per pair of scalar inputs: add --expand")


def test_graph_gradient_draws_the_backward_pass_as_array_operations(tmp_path):
    dot = run(LR_ARGS[:-2] + ["--graph", "gradient", "-o", str(tmp_path / "g.dot")])
    assert dot.exit_code == 0, dot.output
    source = (tmp_path / "g.dot").read_text(encoding="utf-8")
    assert source.startswith("digraph") and "backward nodes, as autograd builds them" in source
    for gradient in ("∂L/∂X", "∂L/∂w", "∂L/∂y"):
        assert f"<B>{gradient}</B>" in source
    assert 'label="⊗"' in source and 'label="ᵀ"' in source  # ∂L/∂X: ∂L/∂a ⊗ w; ∂L/∂w: Xᵀ ∂L/∂a
    from backprop.arrays.gradient_dot import render_gradient_dot

    bias = render_gradient_dot(differentiate(*LINEAR_LAYER))
    assert 'label="sum axis 0"' in bias  # the bias's broadcast undone, as a node of its own


def test_graph_gradient_is_refused_in_one_line_where_it_cannot_be_drawn(tmp_path):
    result = run(LR_ARGS[:-2] + ["--graph", "gradient", "-o", str(tmp_path / "g.html")])
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert result.stderr.startswith("Error: --graph gradient")


def _random_program(rng) -> str:
    """A random scalar-valued array program over u, v (3,), A (2, 3), C (3, 3), a, k ()."""
    def expr(depth: int, shape: str) -> str:
        if depth == 0:
            return rng.choice({"v": ["u", "v"], "m": ["A"], "s": ["a", "k", "2", "0.5"]}[shape])
        roll = rng.random()
        if roll < 0.3:
            op = rng.choice(["+", "-", "*", "/"])
            left, right = expr(depth - 1, shape), expr(depth - 1, rng.choice([shape, "s"]))
            return f"({left} / (2 + {right}^2))" if op == "/" else f"({left} {op} {right})"
        if roll < 0.5:
            function = rng.choice(["tanh", "sigmoid", "exp", "relu", "softplus", "abs", "sin", "-"])
            return f"-({expr(depth - 1, shape)})" if function == "-" else f"{function}({expr(depth - 1, shape)})"
        pick = rng.random()
        if shape == "s":
            return rng.choice([f"sum({expr(depth - 1, 'm')})", f"({expr(depth - 1, 'v')} @ {expr(depth - 1, 'v')})",
                               f"logsumexp({expr(depth - 1, 'v')})", f"mean({expr(depth - 1, 'm')})"])
        if shape == "v":
            return rng.choice([f"([1, -1] @ {expr(depth - 1, 'm')})", f"sum({expr(depth - 1, 'm')}, 0)",
                               f"softmax({expr(depth - 1, 'v')})", f"{expr(depth - 1, 'm')}[1]",
                               f"log_softmax({expr(depth - 1, 'v')})"])
        return f"({expr(depth - 1, 'm')} @ C)" if pick < 0.4 else f"softmax({expr(depth - 1, 'm')})" if pick < 0.6 \
            else f"({expr(depth - 1, 'm')} * {expr(depth - 1, 'v')})"

    return "L = " + expr(rng.randint(1, 4), "s")


def test_random_programs_exact_graph_formulas_and_engine_agree():
    import random

    rng = random.Random(11)
    values = {"u": [0.3, -0.2, 0.5], "v": [0.1, 0.4, -0.6], "A": [[0.1, 0.2, -0.3], [0.4, -0.5, 0.6]], "a": 0.7,
              "k": -0.3, "C": [[0.2, 0.1, 0], [0.1, -0.2, 0.3], [0.5, 0.5, -0.1]]}
    checked = 0
    for _ in range(40):
        source = _random_program(rng)
        used = {name: value for name, value in values.items() if name in source.replace("softmax", "")}
        result = differentiate(source, used)
        if not getattr(result, "is_array", False):
            continue  # a program over the numbers alone is a scalar one
        built = result.gradient_graph("exact")
        computed = evaluate(built.builder.nodes, result.values)
        simplified = evaluate_formulas(result)
        for i in result.graph.inputs:
            name = result.graph.nodes[i].name
            expected = result.gradients[name]
            if i in built.grads:
                assert np.array_equal(computed[built.grads[i]], expected), (source, name)
            assert simplified.get(name, expected).shape == expected.shape, (source, name)
            np.testing.assert_allclose(simplified.get(name, np.zeros_like(expected)), expected, rtol=1e-8,
                                       atol=1e-10, err_msg=f"{source}: {name}")
            for style in ("text", "ascii", "latex"):
                assert result.formula(name, style)
        checked += 1
    assert checked >= 30


def test_a_gradient_graph_too_big_to_build_still_prints_the_derivation(monkeypatch):
    from backprop.arrays import gradient_graph, symbolic

    monkeypatch.setattr(gradient_graph, "MAX_GRADIENT_NODES", 5)  # as a 100,000-deep program meets 200,000
    monkeypatch.setattr(symbolic, "MAX_GRADIENT_NODES", 5)
    result = run(LR_ARGS[:2] + ["X=[[1, 2], [3, -1], [0, 1]]", "w=[0.5, -1]", "y=[1, 2, 3]", "--symbolic",
                                "--no-diagram"])
    assert result.exit_code == 0, result.output
    assert "Result" in result.stdout
    assert "∂L/∂w (2,) = (written out: more than 5 nodes of gradient graph, so far more operations; too big to " \
           "print) = [-2, -19]" in result.stdout
    document = json.loads(run(LR_ARGS + ["--format", "json"]).stdout)
    assert document["formulas"]["w"] == {"text": None, "latex": None, "value": [-2.0, -19.0], "shape": [2]}


@pytest.mark.slow
def test_a_deep_program_gets_its_derivation_and_a_summarised_formula():
    depth = 3000
    result = differentiate("L = sum(" + "tanh(" * depth + "x" + ")" * depth + ")", {"x": [0.1, 0.2]})
    assert "too big to print" in result.formula("x")


def test_a_gradient_graph_too_big_to_draw_is_refused_in_one_line(tmp_path):
    program = "L = sum(" + "tanh(" * 400 + "x" + ")" * 400 + ")"
    result = run([program, "--set", "x=[0.1, 0.2]", "--graph", "gradient", "-o", str(tmp_path / "g.dot")])
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert "this gradient graph has" in result.stderr and "more than the 600 it draws" in result.stderr
