"""--step LR: one step of gradient descent after the derivation, checked against its own numbers."""

from __future__ import annotations

import json
import math

import pytest
from click.testing import CliRunner

from backprop.api import differentiate
from backprop.cli import command
from backprop.train.nudge import take_step

from conftest import SEED, SEED_ARGS, SEED_VALUES


def run(args):
    return CliRunner().invoke(command, args, catch_exceptions=False)


def test_the_seed_step_prints_each_update_the_new_output_and_both_changes():
    result = run(SEED_ARGS + ["--step", "0.01", "--no-diagram"])
    assert result.exit_code == 0, result.stderr
    text = result.stdout
    assert "a ← a − 0.01 × ∂L/∂a = 2 − 0.01 × 15 = 1.85" in text
    assert "f ← f − 0.01 × ∂L/∂f = 5 − 0.01 × (-4) = 5.04" in text
    # (1.85·2.9 − 10.05)·5.04 = −23.6124; the prediction is −0.01·(225 + 100 + 25 + 16) = −3.66
    assert "New output: L = -23.6124 (was -20)" in text
    assert "actual -3.6124; first-order prediction −lr·‖∇L‖² = −0.01 × (15² + 10² + 5² + (-4)²) = -3.66" in text
    assert "They differ by 0.0476" in text


def test_params_chooses_what_moves():
    nudge = take_step(differentiate(SEED, SEED_VALUES), 0.01, ["a", "b"])
    assert [u.name for u in nudge.updates] == ["a", "b"]
    assert nudge.after == pytest.approx((1.85 * 2.9 - 10) * 5)
    assert nudge.predicted == pytest.approx(-0.01 * (15 ** 2 + 10 ** 2))


@pytest.mark.parametrize("source, values", [
    (SEED, SEED_VALUES),
    ("tanh(w*x + b)", {"w": 0.5, "x": 2, "b": 0.1}),
    ("z = w*x + b; p = sigmoid(z); L = -(y*log(p) + (1 - y)*log(1 - p))", {"w": 0.5, "x": 2, "b": -0.5, "y": 1}),
])
def test_the_prediction_matches_the_actual_change_to_first_order(source, values):
    """(actual − predicted) / lr² stays bounded as lr → 0: the prediction is right to first order."""
    result = differentiate(source, values)
    ratios = []
    for lr in (1e-1, 1e-2, 1e-3, 1e-4):
        nudge = take_step(result, lr)
        assert nudge.actual / nudge.predicted == pytest.approx(1, abs=50 * lr)
        ratios.append(abs(nudge.actual - nudge.predicted) / lr ** 2)
    # the second-order coefficient settles (½·gᵀHg): the last ratios agree
    assert ratios[-1] == pytest.approx(ratios[-2], rel=0.05, abs=1e-6)


def test_a_linear_output_is_predicted_exactly():
    nudge = take_step(differentiate("3*a - 2*b", {"a": 1, "b": 1}), 0.5)
    assert nudge.actual == pytest.approx(nudge.predicted)
    assert nudge.explanation().startswith("They agree")


def test_a_step_out_of_the_domain_is_explained():
    result = run(["log(x)", "--set", "x=1", "--step", "2", "--no-diagram"])
    assert result.exit_code == 0
    assert "can not be computed there" in result.stdout and "try a smaller --step" in result.stdout


def test_json_markdown_and_latex_carry_the_same_step():
    document = json.loads(run(SEED_ARGS + ["--step", "0.01", "--format", "json"]).stdout)
    assert document["step"]["updates"][0] == {"name": "a", "value": 2.0, "gradient": 15.0, "new": 1.85}
    assert document["step"]["predicted_change"] == pytest.approx(-3.66)
    assert document["step"]["actual_change"] == pytest.approx(-3.6124)
    markdown = run(SEED_ARGS + ["--step", "0.01", "--format", "markdown"]).stdout
    assert "a \\leftarrow a - 0.01 \\times \\frac{\\partial L}{\\partial a} = 2 - 0.01 \\times 15 = 1.85" in markdown
    latex = run(SEED_ARGS + ["--step", "0.01", "--format", "latex", "--standalone"]).stdout
    assert latex.index("One step of gradient descent") < latex.index("\\end{document}")
    assert latex.rstrip().endswith("\\end{document}")


@pytest.mark.parametrize("args, fragment", [
    (["--step", "0"], "--step 0: the learning rate must be a positive number"),
    (["--step", "-1"], "--step -1: the learning rate must be a positive number"),
    (["--step", "0.1", "--params", "a,z"], "'z' is not an input of the program (its inputs are: a, b, c, f)"),
    (["--params", "a"], "--params a chooses the inputs --step moves: add --step"),
])
def test_bad_steps_are_one_line_errors(args, fragment):
    result = run(SEED_ARGS + args + ["--no-diagram"])
    assert result.exit_code != 0
    assert result.stderr.startswith("Error: ") and fragment in result.stderr, result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.output


def test_ascii_step_is_ascii():
    text = run(SEED_ARGS + ["--step", "0.01", "--ascii", "--no-diagram"]).stdout
    assert text.isascii() and "a <- a - 0.01 * dL/da = 2 - 0.01 * 15 = 1.85" in text
    assert math.isfinite(float(text.split("New output: L = ")[1].split()[0]))


def test_the_latex_prediction_of_a_step_moving_many_inputs_wraps_to_the_line():
    """Six inputs made the sum of squares 100 pt wider than an A4 page's text (pdflatex: Overfull)."""
    from backprop.render.latex_fit import LINE_CHARS, visible_length
    from backprop.render.nudge_views import nudge_latex
    from backprop.train.nudge import step_options

    values = {"w1": 0.7, "x1": 1.2, "w2": -0.4, "x2": 3, "b": 0.05, "t": 1}
    result = differentiate("y = sigmoid(w1*x1 + w2*x2 + b); L = (y - t)^2", values)
    nudge = take_step(result, 0.5, step_options(result, 0.5, None))
    lines = nudge_latex(nudge)
    start = lines.index(r"\begin{align*}", lines.index(r"\end{align*}"))  # the second block: the prediction
    rows = lines[start + 1:lines.index(r"\end{align*}", start)]
    assert len(rows) >= 2 and rows[0].startswith(r"-\eta \, \lVert \nabla L \rVert^2 &= -0.5 \times (")
    assert all(visible_length(row) <= LINE_CHARS + 4 for row in rows)
    joined = " ".join(row.removesuffix(r" \\").replace(r"&\quad ", "").replace("&= ", "= ") for row in rows)
    squares = " + ".join(f"{g}^2" for g in ["(-0.337947)", "(-0.197136)", "(-0.844867)", "0.112649", "(-0.281622)",
                                            "1.15377"])
    assert f"({squares}) = -1.14503" in joined.replace(" \\\\ ", " ").replace("  ", " ")
