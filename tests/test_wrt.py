"""--wrt: the backward derivation and the diagram's gradients restricted to some inputs."""

import json

import pytest
from click.testing import CliRunner

from backprop.api import differentiate
from backprop.cli import command
from backprop.errors import UnknownName
from backprop.render.dot import render_dot
from backprop.steps import relevant_nodes, wrt_inputs

from conftest import SEED, SEED_ARGS, SEED_VALUES


@pytest.fixture
def seed():
    return differentiate(SEED, SEED_VALUES)


def names(result, ids):
    return sorted(result.graph.nodes[i].name for i in ids)


def test_relevant_nodes_are_the_paths_from_the_inputs_to_the_output(seed):
    assert names(seed, relevant_nodes(seed.graph, wrt_inputs(seed.graph, ["a"]))) == ["L", "a", "d", "e"]
    assert names(seed, relevant_nodes(seed.graph, wrt_inputs(seed.graph, ["f"]))) == ["L", "f"]
    assert names(seed, relevant_nodes(seed.graph, wrt_inputs(seed.graph, ["c", "f"]))) == ["L", "c", "d", "f"]


def test_derivation_keeps_only_the_needed_steps(seed):
    text = seed.derivation(wrt=["a"])
    assert "∂L/∂a = ∂L/∂e × ∂e/∂a = 5 × b = 5 × 3 = 15" in text
    assert "∂L/∂b" not in text and "∂L/∂f =" not in text and "∂L/∂c" not in text
    assert "only the steps on the paths that reach a" in text
    assert "e = a × b = 2 × 3 = 6" in text  # the forward pass is complete
    table = text.split("Result")[1]
    assert "  a  " in table and "  b  " not in table
    full = seed.derivation()
    assert "∂L/∂b = ∂L/∂e × ∂e/∂b" in full


@pytest.mark.parametrize("fmt", ["text", "ascii", "markdown", "latex"])
def test_every_format_takes_wrt(seed, fmt):
    full, restricted = seed.derivation(fmt), seed.derivation(fmt, wrt="f")
    assert len(restricted) < len(full)


def test_shared_node_keeps_every_path_to_it():
    result = differentiate("p = x*y; q = x + z; L = p*q", {"x": 2, "y": 3, "z": 1})
    text = result.derivation(wrt=["x"])
    assert "∂L/∂x = ∂L/∂p·∂p/∂x + ∂L/∂q·∂q/∂x" in text
    assert "∂L/∂y" not in text and "∂L/∂z" not in text


def test_diagram_gradients_only_on_the_paths(seed):
    dot = render_dot(seed, wrt=["a"])
    assert "∂L/∂a = 15" in dot and "∂L/∂e = 5" in dot
    assert "∂L/∂b" not in dot and "∂L/∂f" not in dot and "∂L/∂c" not in dot
    assert render_dot(seed) == render_dot(seed, wrt=None)


def test_unknown_name_is_a_clean_error(seed):
    with pytest.raises(UnknownName, match="did you mean 'a'"):
        seed.derivation(wrt=["aa"])
    with pytest.raises(UnknownName, match="not an input"):
        seed.derivation(wrt=["e"])  # an intermediate, not an input
    result = CliRunner().invoke(command, SEED_ARGS + ["--wrt", "a,zz", "--no-diagram"])
    assert result.exit_code == 1 and result.stderr.startswith("Error: --wrt 'zz' is not an input")
    assert "Traceback" not in result.output
    result = CliRunner().invoke(command, SEED_ARGS + ["--wrt", ",", "--no-diagram"])
    assert result.exit_code == 1 and result.stderr.startswith("Error")


def test_json_has_every_gradient_so_wrt_with_json_is_refused():
    result = CliRunner().invoke(command, SEED_ARGS + ["--wrt", "a", "--format", "json"])
    assert result.exit_code == 2 and result.stderr.startswith("Error: --wrt a does not combine with --format json")
    checked = CliRunner().invoke(command, SEED_ARGS + ["--wrt", "a", "--format", "json", "--check"])
    assert [c["input"] for c in json.loads(checked.stdout)["checks"]] == ["a"]  # --check honours both


def test_cli_wrt_with_a_dot_file(tmp_path):
    path = tmp_path / "g.dot"
    result = CliRunner().invoke(command, SEED_ARGS + ["--wrt", "b", "-o", str(path)])
    assert result.exit_code == 0, result.output
    assert "∂L/∂b = 10" in path.read_text() and "∂L/∂a" not in path.read_text()
