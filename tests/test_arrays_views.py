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
