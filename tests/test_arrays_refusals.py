"""Array programs where only scalars are supported yet: one Error line, never a traceback."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from backprop.cli import command

pytest.importorskip("numpy")

ARRAY = ["sum(a*b)", "--set", "a=[1,2]", "b=3"]


def run(args):
    result = CliRunner().invoke(command, args)
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), result.exception
    return result


@pytest.mark.parametrize("args", [
    ["train", "L = sum((X @ w - y)^2)", "--set", "X=[[1,2],[3,4]]", "w=[0,0]", "y=[1,2]", "--params", "w",
     "--lr", "0.01", "--steps", "3"],
    ["train", "sum((w*x - y)^2)", "--set", "x=[1,2]", "w=0", "y=1", "--params", "w", "--lr", "0.01", "--steps", "3"],
])
def test_train_trains_array_programs(args):
    """backprop train runs array programs (tests/test_train_arrays.py); only quiz and grade are scalar-only."""
    result = run(args)
    assert result.exit_code == 0, result.output
    assert "scalar programs only" not in result.output
    assert "Final parameters (step 3): w = " in result.output


def test_train_refuses_an_array_loss_that_is_not_one_number():
    result = run(["train", "(w*x - y)^2", "--set", "x=[1,2]", "w=0", "y=1", "--params", "w", "--steps", "3"])
    assert result.exit_code == 1
    assert result.output.startswith("Error: the loss L has shape (2,): a loss is one number")
    assert "Traceback" not in result.output


@pytest.mark.parametrize("args", [
    ["quiz", "sum([a, b]*2)", "--set", "a=1", "b=2"],
    ["grade", "sum([a, b]*2)", "--set", "a=1", "b=2", "--answer", "a=2"],
    ["grade", "sum(a*b)", "--set", "a=[1,2]", "b=2", "--answer", "a=2"],
])
def test_scalar_jobs_refuse_array_programs_in_one_line(args):
    result = run(args)
    assert result.exit_code == 1
    assert result.output.startswith("Error: ")
    assert "scalar programs only" in result.output and "Traceback" not in result.output


@pytest.mark.slow
def test_an_array_gif_is_written(tmp_path):
    result = run(ARRAY + ["-o", str(tmp_path / "steps.gif")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "steps.gif").read_bytes()[:6] in (b"GIF89a", b"GIF87a")
