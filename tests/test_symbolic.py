"""The derivative as a graph: the adjoint transform, formulas, grad() in the language, the Hessian."""

import math

import pytest
from hypothesis import HealthCheck, assume, given, settings

from backprop import differentiate
from backprop.errors import BackpropError
from backprop.transform import evaluate_nodes
from test_properties import VALUES, expressions, run_or_user_error

SEED = "(a*b+c)*f"
SEED_VALUES = {"a": 2, "b": 3, "c": -10, "f": 5}
HYPOTHESIS = settings(deadline=None, max_examples=200,
                      suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


def test_seed_formulas_are_the_textbook_ones():
    result = differentiate(SEED, SEED_VALUES)
    assert result.formulas == {"a": "b × f", "b": "a × f", "c": "f", "f": "a × b + c"}
    assert result.formula("f", "latex") == r"a \times b + c"
    assert result.formula("a", "ascii") == "b * f"


def test_hessian_of_x_cubed_y():
    hessian = differentiate("x^3*y", {"x": 2, "y": 5}).hessian(symbolic=True)
    assert hessian.names == ["x", "y"]
    assert hessian.matrix == [[60, 12], [12, 0]]
    assert [[f.text() for f in row] for row in hessian.formulas] == [["6 × x × y", "3 × x^2"], ["3 × x^2", "0"]]


def test_simplification_collects_terms_and_drops_identities():
    result = differentiate("u = x*y; L = u*u + sin(u)", {"x": 1.5, "y": -2})
    assert result.formulas["x"] == "(cos(x × y) + 2 × x × y) × y"
    assert differentiate("x + y + x - x*3 + 2*y", {"x": 1, "y": 2}).formulas == {"x": "-1", "y": "3"}
    assert differentiate("--x * 1 + 0", {"x": 1}).formulas == {"x": "1"}


def test_a_swelling_formula_names_its_shared_parts():
    source = "; ".join(["x1 = sin(x0)*x0"] + [f"x{i + 1} = x{i}*x{i} + sin(x{i})" for i in range(1, 12)])
    result = differentiate(source, {"x0": 0.5})
    formula = result._formulas["x0"]
    assert formula.written_out > 10 ** 5  # written out in full, the formula would swell
    assert formula.shared and "where" in formula.text()
    assert len(formula.text()) < 5_000
    values = evaluate_nodes(formula.builder.nodes, result.inputs)
    assert values[formula.root] == pytest.approx(result.gradients["x0"], rel=1e-12)


def test_gradient_graph_has_one_output_per_input_and_exact_values():
    result = differentiate("tanh(w*x + b) * max(w, x)", {"w": 0.5, "x": 2, "b": 0.1})
    gradient = result.gradient_graph()
    assert [name for name, _ in gradient.outputs] == ["∂L/∂w", "∂L/∂x", "∂L/∂b"]
    assert gradient.gradients == result.gradients  # exactly, not approximately
    assert gradient.backward and min(gradient.backward) >= len(result.graph.nodes)
    gradient.graph.check()


@pytest.mark.slow  # 200 examples (settings override the quick profile): about 23 s, a third of the quick loop
@HYPOTHESIS
@given(expressions(), VALUES)
def test_symbolic_numeric_and_graph_gradients_agree(source, values):
    result = run_or_user_error(source, values)
    assume(result is not None and all(math.isfinite(g) for g in result.gradients.values()))
    gradient = result.gradient_graph()
    for name, value in gradient.gradients.items():
        numeric = result.gradients[name]
        assert value == numeric or (math.isnan(value) and math.isnan(numeric)), (source, name)
    for name, formula in result._formulas.items():
        simplified = evaluate_nodes(formula.builder.nodes, result.inputs)[formula.root]
        numeric = result.gradients[name]
        assert simplified == pytest.approx(numeric, rel=1e-7, abs=1e-9), (source, name, formula.text())


@pytest.mark.slow  # about 2 minutes even with the quick profile's examples
@HYPOTHESIS
@given(expressions(), VALUES)
def test_grad_in_the_language_equals_the_gradient(source, values):
    result = run_or_user_error(source, values)
    assume(result is not None and result.graph.inputs)
    name = result.graph.nodes[result.graph.inputs[0]].name
    try:
        inner = differentiate(f"grad({source}, {name})", values)
    except BackpropError:
        return  # a derivative node outside its domain (1/0 where the value had a kink)
    assert inner.value == pytest.approx(result.gradients[name], rel=1e-9, abs=1e-12), source


def test_newtons_step_and_its_derivative():
    result = differentiate("f = x^3 - 2*x - 5; x - f/grad(f, x)", {"x": 2})
    assert result.value == pytest.approx(2.1)
    assert result.gradients["x"] == pytest.approx(-0.12)  # d/dx (x - f/f') = f·f''/f'^2 = -1·12/100


def test_second_derivative_through_grad_is_exact():
    assert differentiate("grad(grad(x^4, x), x)", {"x": 3}).value == 108  # 12 x^2
    penalty = differentiate("L = w^2*x; L + grad(L, w)^2", {"w": 3, "x": 2})
    assert penalty.value == 18 + 144  # L + (2wx)^2
    assert penalty.gradients["w"] == 12 + 2 * 12 * 4  # 2wx + 2(2wx)(2x)


def test_grad_nested_ten_deep():
    source = "x^12"
    for _ in range(10):
        source = f"grad({source}, x)"
    result = differentiate(source, {"x": 1})
    assert result.value == math.factorial(12) / math.factorial(2)  # d^10/dx^10 x^12 = 12!/2! x^2


def test_grad_bad_input():
    with pytest.raises(BackpropError, match="must be a variable"):
        differentiate("e = x*2; grad(e, 3)", {"x": 1})
    unused = differentiate("e = x*2; grad(e, y)", {"x": 1})
    assert unused.value == 0 and any("'y' is not used" in w for w in unused.warnings)
    with pytest.raises(BackpropError, match="takes 2 arguments"):
        differentiate("grad(x)", {"x": 1})


def test_grad_at_a_kink_states_the_convention():
    result = differentiate("grad(relu(x), x)", {"x": 0})
    assert result.value == 0  # relu'(0) = 0, as in PyTorch
    assert any("convention" in w for w in result.warnings)


def test_hessian_agrees_with_finite_differences_of_the_gradient():
    result = differentiate("sin(x*y) + x^2/y", {"x": 0.7, "y": 1.3})
    hessian = result.hessian().matrix
    h = 1e-5
    for j, name in enumerate(["x", "y"]):
        up = differentiate("sin(x*y) + x^2/y", {**result.inputs, name: result.inputs[name] + h}).gradients
        down = differentiate("sin(x*y) + x^2/y", {**result.inputs, name: result.inputs[name] - h}).gradients
        for i, row_name in enumerate(["x", "y"]):
            assert hessian[i][j] == pytest.approx((up[row_name] - down[row_name]) / (2 * h), rel=1e-6)
    assert hessian[0][1] == hessian[1][0]


def test_every_format_carries_the_formulas_and_the_hessian(tmp_path):
    import json

    from click.testing import CliRunner

    from backprop.cli import command as main_group

    args = [SEED, "--set", "a=2", "b=3", "c=-10", "f=5", "--symbolic", "--hessian"]
    runner = CliRunner()
    document = json.loads(runner.invoke(main_group, args + ["--format", "json"]).stdout)
    assert document["formulas"]["f"] == {"text": "a × b + c", "latex": r"a \times b + c", "value": -4.0}
    assert document["hessian"]["matrix"][0] == [0, 5, 0, 3]
    plain = json.loads(runner.invoke(main_group, args[:6] + ["--format", "json"]).stdout)
    assert "formulas" not in plain and "hessian" not in plain  # the default document keeps its six keys
    markdown = runner.invoke(main_group, args + ["--format", "markdown"]).stdout
    assert r"$\frac{\partial L}{\partial a} = b \times f = 3 \times 5 = 15$" in markdown and "bmatrix" in markdown
    text = runner.invoke(main_group, args + ["--no-diagram"]).stdout
    assert "∂L/∂f = a × b + c = 2 × 3 + (-10) = -4" in text and "∂²L/∂a∂b = f = 5" in text
    page = tmp_path / "s.html"
    result = runner.invoke(main_group, args + ["-o", str(page), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert "∂L/∂a = b × f = 3 × 5 = 15" in page.read_text(encoding="utf-8")


def test_gradient_graph_diagram_from_the_command_line(tmp_path):
    from click.testing import CliRunner

    from backprop.cli import command as main_group

    out = tmp_path / "g.dot"
    result = CliRunner().invoke(main_group, [SEED, "--set", "a=2", "b=3", "c=-10", "f=5", "--graph", "gradient",
                                             "-o", str(out), "--format", "json"])
    assert result.exit_code == 0, result.output
    dot = out.read_text(encoding="utf-8")
    assert "backward nodes" in dot and "∂L/∂a" in dot and "∂L/∂c" in dot


def test_too_big_formulas_and_hessians_are_refused_or_summarised():
    source = " + ".join(f"x{i}*x{i + 1}" for i in range(250))
    values = {f"x{i}": 1.0 for i in range(251)}
    with pytest.raises(BackpropError, match="--hessian needs at most 200 inputs"):
        differentiate(source, values).hessian()
    chain = "; ".join(["h0 = tanh(w*x)"] + [f"h{i + 1} = tanh(w*h{i} + x)" for i in range(400)])
    result = differentiate(chain, {"w": 0.5, "x": 0.1})
    text = result.derivation(symbolic=True)
    assert "∂h400/∂w" in text and len(text) < 2_000_000
    assert result.formulas["w"]  # printed or summarised, never a hang
