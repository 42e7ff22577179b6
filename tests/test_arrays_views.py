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
