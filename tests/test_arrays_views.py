"""Array programs' views: refusals before any output, the GIF's reveal, --lint, --step, --mode forward,
--cost and --style edges (docs/arrays.md)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from backprop.cli import command

np = pytest.importorskip("numpy")

ARRAY = ["L = sum(W @ x)", "--set", "W=[[1,2],[3,4]]", "x=[1,-1]"]


def run(args):
    result = CliRunner().invoke(command, args)
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), result.exception
    return result


# --- refused before anything is written -----------------------------------------------------------

def test_an_array_file_the_writer_refuses_is_refused_before_the_derivation(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run(ARRAY + ["-o", "g.png", "--paths"])
    assert result.exit_code != 0
    assert result.stdout == ""
    assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1
    assert not (tmp_path / "g.png").exists()


def test_a_scalar_gif_over_the_frame_limit_is_refused_before_the_derivation(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    program = "L = " + " + ".join(f"x*{i}" for i in range(1, 160))
    result = run([program, "--set", "x=1", "-o", "big.gif"])
    assert result.exit_code != 0
    assert result.stdout == ""
    assert "frames, more than 301" in result.stderr
    assert not (tmp_path / "big.gif").exists()


def test_scalar_step_params_are_checked_before_another_format_is_printed(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run(["L = a*b", "--set", "a=1", "b=2", "--format", "dot", "-o", "x.md", "--step", "0.1",
                  "--params", "q"])
    assert result.exit_code != 0
    assert result.stdout == ""
    assert "'q' is not an input of the program" in result.stderr


def test_an_array_file_is_still_written_after_the_derivation(tmp_path):
    result = run(ARRAY + ["-o", str(tmp_path / "g.dot")])
    assert result.exit_code == 0, result.output
    assert "∂L/∂W (2, 2) = [[1, -1], [1, -1]]" in result.stdout
    assert (tmp_path / "g.dot").read_text().startswith("digraph")
    assert "Diagram written to" in result.stderr


# --- the GIF reveals values and gradients step by step ----------------------------------------------

def _frames_dot(program, values):
    from backprop import differentiate
    from backprop.arrays.dot import render_dot
    from backprop.arrays.gif import reveal_schedule
    from backprop.arrays.render import render_json

    result = differentiate(program, values)
    steps = json.loads(render_json(result))["steps"]
    schedule = reveal_schedule(result, steps)
    return result, steps, schedule, [render_dot(result, reveal=known) for known in schedule]


def test_the_array_gif_shows_inputs_first_then_each_value_and_gradient_as_its_step_computes_it():
    result, steps, schedule, dots = _frames_dot("y = W @ x; L = sum(y^2)", {"W": [[1, 2], [3, 4]], "x": [1, -1]})
    assert len(schedule) == len(steps) + 1
    first, last = dots[0], dots[-1]
    assert ">-1<" in first and first.count(">?<") == (2 + 2 + 1) + (4 + 2 + 2 + 2 + 1)  # y, a, L; every gradient
    assert ">?<" not in last
    names = {node.name: node.id for node in result.graph.nodes}
    for k, step in enumerate(steps, start=1):
        values, grads = schedule[k]
        if step["phase"] == "forward":
            assert step["node"] in values and step["node"] not in schedule[k - 1][0]
    assert names["W"] not in schedule[-2][1] and names["W"] in schedule[-1][1]  # ∂L/∂W is the last step


def test_a_broadcast_gradient_appears_with_its_summing_step_not_before():
    result, steps, schedule, _ = _frames_dot("L = sum(A * b)", {"A": [[1, 2], [3, 4]], "b": [1, -1]})
    b = next(node.id for node in result.graph.nodes if node.name == "b")
    b_steps = [k for k, step in enumerate(steps, start=1) if step["node"] == b]
    assert len(b_steps) == 2  # ∂L/∂(b broadcast), then summed over axis 0
    assert b not in schedule[b_steps[0]][1] and b in schedule[b_steps[1]][1]


def test_every_frame_of_the_array_gif_keeps_one_layout():
    """The cells have fixed widths, so Graphviz lays out every frame alike (nothing jumps)."""
    import re
    import shutil

    if shutil.which("dot") is None:
        pytest.skip("Graphviz is not installed")
    from backprop.render.dot import run_dot

    _, _, _, dots = _frames_dot("y = W @ x; L = sum(y^2)", {"W": [[1, 2], [3, 4]], "x": [10, -1]})
    sizes = {re.search(rb"^graph \S+ \S+ \S+", run_dot(dot, "plain"), re.M).group(0) for dot in (dots[0], dots[-1])}
    assert len(sizes) == 1


@pytest.mark.slow
def test_the_array_gif_has_a_frame_for_the_inputs_and_one_per_step(tmp_path):
    pytest.importorskip("PIL")
    from PIL import Image

    result = run(ARRAY + ["-o", str(tmp_path / "steps.gif")])
    assert result.exit_code == 0, result.output
    with Image.open(tmp_path / "steps.gif") as gif:
        frames = gif.n_frames
    steps = json.loads(run(ARRAY + ["--format", "json"]).stdout)["steps"]
    assert frames == len(steps) + 1


# --- --lint, --step, --mode forward, --cost in every derivation format -------------------------------

LAYER = ["h = relu(W @ x); L = sum(tanh(h))", "--set", "W=[[1,2],[3,-4]]", "x=[1,1]", "--no-diagram"]
VIEWS = {"--lint": (["--lint"], ("Lint: ", "## Lint", "\\section*{Lint}", '"lint"')),
         "--step": (["--step", "0.01"], ("One step of gradient descent", "One step of gradient descent",
                                         "One step of gradient descent", '"step"')),
         "--mode": (["--mode", "forward"], ("Forward mode: one sweep per input element", "## Forward mode",
                                            "\\section*{Forward mode}", '"forward_mode"')),
         "--cost": (["--cost"], ("Cost on this program", "## Cost of each mode", "\\section*{Cost of each mode}",
                                 '"cost"'))}
FORMAT_COLUMN = {"text": 0, "ascii": 0, "markdown": 1, "latex": 2, "json": 3}


@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize("fmt", FORMAT_COLUMN)
def test_each_array_view_is_written_in_each_derivation_format(view, fmt):
    args, marks = VIEWS[view]
    result = run(LAYER + args + ["--format", fmt])
    assert result.exit_code == 0, result.output
    assert marks[FORMAT_COLUMN[fmt]] in result.stdout
    if fmt == "ascii":
        assert result.stdout.isascii()
    if fmt == "json":
        json.loads(result.stdout)


@pytest.mark.parametrize("view", ["--lint", "--mode", "--cost"])  # --step: the stepper never takes it
def test_an_array_view_the_stepper_does_not_show_is_refused_before_any_output(view, tmp_path):
    result = run(LAYER + VIEWS[view][0] + ["-o", str(tmp_path / "steps.html")])
    assert result.exit_code != 0
    assert result.stdout == "" and result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1
    assert "derivation (text, markdown, latex, json)" in result.stderr


def test_every_array_view_combines_with_the_others():
    result = run(LAYER + ["--lint", "--step", "0.01", "--mode", "forward", "--cost", "--format", "json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert {"lint", "step", "forward_mode", "cost"} <= set(document)


def test_the_schema_accepts_the_array_views():
    jsonschema = pytest.importorskip("jsonschema")
    from pathlib import Path

    schema = json.loads((Path(__file__).parents[1] / "docs" / "schema.json").read_text(encoding="utf-8"))
    result = run(LAYER + ["--lint", "--step", "0.01", "--mode", "forward", "--cost", "--format", "json"])
    jsonschema.validate(json.loads(result.stdout), schema)


def test_lint_counts_the_dead_relu_units_and_names_their_indices_with_the_caret():
    result = run(LAYER + ["--lint"])
    text = result.stdout
    assert "dead relu: h = relu(a) is dead in 1 of 2 units ([1]): its input is ≤ 0" in text
    assert "h = relu(W @ x); L = sum(tanh(h))\n         ^^^^^^^^^^^" in text
    assert "zero gradient: the gradient of W is exactly 0 in 2 of 4 elements ([1, 0], [1, 1])" in text


def test_lint_finds_saturated_elements_and_exp_overflow_per_element():
    from backprop import differentiate
    from backprop.arrays.lint import array_lint

    result = differentiate("L = sum(tanh(x)) + sum(exp(z))", {"x": [0.1, 30, -40], "z": [1, 100]})
    kinds = {f.kind: f for f in array_lint(result)}
    assert kinds["saturated"].count == 2 and kinds["saturated"].of == 3
    assert kinds["saturated"].indices == ((1,), (2,))
    assert kinds["exp-overflow"].indices == ((1,),)
    assert "dead-relu" not in kinds and "zero-gradient" not in kinds


def test_lint_says_nothing_found_when_the_flow_is_healthy():
    result = run(["L = sum(W @ x)", "--set", "W=[[1,2],[3,4]]", "x=[1,-1]", "--no-diagram", "--lint"])
    assert "Lint: nothing found; checked: saturated tanh/sigmoid elements" in result.stdout


def test_step_moves_every_element_against_its_gradient_and_predicts_the_change():
    from backprop import differentiate
    from backprop.arrays.step import take_array_step

    result = differentiate("L = sum((X @ w - y)^2)", {"X": [[1, 2], [3, 4]], "w": [0.5, -1], "y": [1, 2]})
    nudge = take_array_step(result, 0.001, ["w"])
    (update,) = nudge.updates
    gradient = 2 * np.array([[1, 3], [2, 4]]) @ (np.array([[1, 2], [3, 4]]) @ [0.5, -1] - [1, 2])  # 2Xᵀ(Xw − y)
    np.testing.assert_allclose(update.gradient, gradient)
    np.testing.assert_allclose(update.new, np.array([0.5, -1]) - 0.001 * gradient)
    assert nudge.predicted == pytest.approx(-0.001 * float(gradient @ gradient))
    assert nudge.after == pytest.approx(result.value_at({"w": update.new}))
    assert abs(nudge.actual - nudge.predicted) < 0.05 * abs(nudge.predicted)  # a small step: first order holds


def test_step_refuses_a_params_name_that_is_not_an_input():
    result = run(LAYER + ["--step", "0.1", "--params", "q"])
    assert result.exit_code != 0 and result.stdout == ""
    assert "'q' is not an input of the program" in result.stderr


def test_forward_mode_sweeps_once_per_element_and_agrees_with_reverse_mode():
    from backprop import differentiate
    from backprop.arrays.modes import forward_mode

    values = {"W": [[0.2, -0.5], [1.5, 1.3], [0, 0.25]], "x": [1, 2], "b": [0.1, 0, -0.1]}
    result = differentiate("L = cross_entropy(W @ x + b, 2) + sum(softmax(W @ x) * b)", values)
    mode = forward_mode(result)
    assert mode.total == mode.run == 6 + 2 + 3
    for name, gradient in result.gradients.items():
        np.testing.assert_allclose(mode.gradients[name], gradient, rtol=1e-12, atol=1e-15)
    first = mode.sweeps[0]
    assert first.index == (0, 0) and first.tangents[first.input][0, 0] == 1 and first.tangents[first.input].sum() == 1


def test_forward_mode_stops_at_its_budget_and_says_so():
    from backprop import differentiate
    from backprop.arrays.modes import forward_mode
    from backprop.arrays.modes_views import forward_lines

    result = differentiate("L = sum(W @ x)", {"W": np.ones((4, 5)), "x": np.ones(5)})
    mode = forward_mode(result, budget=100)
    assert mode.budget_hit and mode.run < mode.total
    assert any("sweeps were not run" in line for line in forward_lines(result, mode))


def test_cost_counts_one_sweep_per_input_element_in_forward_mode_and_one_in_reverse():
    from backprop import differentiate
    from backprop.arrays.modes import array_cost

    result = differentiate("y = W @ x; L = sum(y^2)", {"W": np.ones((3, 4)), "x": np.ones(4)})
    cost = array_cost(result)
    edges = 3 * 4 + 3 * 4 + 3 + 3  # W @ x: each of 3 outputs reads a row of W and all of x; then ^2, sum
    assert cost["edges"] == edges and cost["inputs"] == 16
    assert cost["forward"] == {"sweeps": 16, "multiplications": 16 * edges}
    assert cost["reverse"] == {"sweeps": 1, "multiplications": edges}


def test_cost_edges_equal_the_expanded_scalar_graphs_multiplications_for_elementwise_programs():
    """For a program of elementwise steps the Jacobians' nonzeros are the scalar graph's edges."""
    from backprop import differentiate
    from backprop.arrays.expand import scalar_program
    from backprop.arrays.modes import array_cost
    from backprop.modes import cost

    result = differentiate("L = sum(tanh(a * b))", {"a": [1, 2, 3], "b": [0.5, -1, 2]})
    program, inputs = scalar_program(result)
    scalar = differentiate(program, inputs)
    # the scalar graph writes sum of 3 terms as 2 binary additions (4 edges); its Jacobian has 3 nonzeros
    assert array_cost(result)["edges"] == cost(scalar.graph)["edges"] - 1


# --- --paths and --hessian on the expanded scalar graph ----------------------------------------------

def test_paths_and_hessian_work_on_the_expanded_scalar_graph():
    result = run(ARRAY + ["--expand", "--paths", "--hessian", "--no-diagram"])
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert "Hessian: second derivatives ∂²L/∂row ∂column" in text
    assert "∂L/∂x_0: 2 paths" in text and "sum = 1 + 3 = 4 = ∂L/∂x_0 ✓" in text  # x_0 reaches L through W[0,0], W[1,0]
    document = json.loads(run(ARRAY + ["--expand", "--paths", "--hessian", "--format", "json"]).stdout)
    hessian = document["expanded"]["hessian"]
    names = hessian["names"]
    assert hessian["matrix"][names.index("W_0_0")][names.index("x_0")] == 1  # ∂²(W x)/∂W₀₀∂x₀ = 1
    assert document["expanded"]["paths"]["x_1"]["count"] == 2


@pytest.mark.parametrize("flag", ["--paths", "--hessian"])
def test_paths_and_hessian_without_expand_say_to_add_it(flag):
    result = run(ARRAY + [flag, "--no-diagram"])
    assert result.exit_code != 0 and result.stdout == ""
    assert "add --expand" in result.stderr


# --- --style edges -----------------------------------------------------------------------------------

def test_style_edges_writes_each_value_and_gradient_on_its_edge(tmp_path):
    result = run(ARRAY + ["-o", str(tmp_path / "g.dot"), "--style", "edges"])
    assert result.exit_code == 0, result.output
    dot = (tmp_path / "g.dot").read_text()
    assert "shape=circle" in dot and "tailport=e" in dot and "headport=w" in dot
    assert "<HR/>" in dot  # the rule between the value (above) and its gradient (below)
    assert ">-1</FONT>" in dot and "#b3261e" in dot  # ∂L/∂W's cells, in the gradient colour
    assert "vermillion, below: gradient ∂L/∂value" in dot


def test_style_edges_top_down_and_with_wrt(tmp_path):
    result = run(ARRAY + ["-o", str(tmp_path / "g.dot"), "--style", "edges", "--rankdir", "TB", "--wrt", "x"])
    assert result.exit_code == 0, result.output
    dot = (tmp_path / "g.dot").read_text()
    assert "<VR/>" in dot and "tailport=s" in dot and "left: value" in dot
    w_line = next(line for line in dot.splitlines() if line.startswith("  v0 "))
    assert "#b3261e" not in w_line  # --wrt x: W's gradient is not drawn


def test_forward_mode_and_cost_keep_to_the_wrt_inputs():
    result = run(["y = W @ x; L = sum(y^2)", "--set", "W=[[1, 2], [3, 4]]", "x=[1, -1]", "--mode", "forward",
                  "--cost", "--wrt", "x", "--no-diagram"])
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert "(2 sweeps for 2 elements)" in text and "for W[" not in text
    assert "∂L/∂x (2,) = [-8, -12]   (equals reverse mode's)" in text
    assert "forward mode: 2 sweeps (one per input element)" in text


def test_each_sweep_step_says_how_the_tangent_is_made():
    result = run(["h = tanh(W @ x + b); L = sum(h * h) - mean(softmax(h))", "--set", "W=[[1, 2], [3, 4]]",
                  "x=[1, -1]", "b=0.5", "--mode", "forward", "--no-diagram"])
    import unicodedata

    text = unicodedata.normalize("NFC", result.stdout)  # ȧ is printed as a + U+0307: compare composed
    for line in ("ȧ = Ẇ @ x   (2,)", "ḣ = (∂h/∂c) ⊙ ċ   (2,)", "ḋ = ḣ ⊙ h + h ⊙ ḣ   (2,)",
                 "ė = sum(ḋ)   ()", "ḟ = (∂f/∂h) · ḣ   (2,)", "L̇ = ė − ġ   ()"):
        assert unicodedata.normalize("NFC", line) in text, line
    assert unicodedata.normalize("NFC", "ȧ = W @ ẋ   (2,)") in text  # the sweeps for x's elements
