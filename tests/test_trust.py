"""What a demanding user hit (issue 16): every printed step checks out, inputs echo as typed, and more."""

from __future__ import annotations

import math
import operator

import pytest
from click.testing import CliRunner

from backprop.api import differentiate
from backprop.cli import command
from backprop.numfmt import equation_digits, format_input, format_number, shortest


def _run(*args: str):
    result = CliRunner().invoke(command, [*args, "--no-diagram"])
    return result


def _forward(stdout: str) -> str:
    return stdout.split("Forward pass")[1].split("Backward pass")[0]


# --- Item 1: six significant digits must not make a step false

@pytest.mark.parametrize("args, expected", [
    (["x - y", "--set", "x=1.0000001", "y=1"], ["inputs: x = 1.0000001, y = 1", "L = x − y = 1.0000001 − 1 = 1e-7"]),
    (["x + 1e-3", "--set", "x=1024"], ["= 1024 + 0.001 = 1024.001"]),
    (["x*2", "--set", "x=123456.7"], ["inputs: x = 123456.7", "= 123456.7 × 2 = 246913.4"]),
    (["x + y", "--set", "x=0.1", "y=0.2"], ["= 0.1 + 0.2 = 0.3"]),  # no 0.30000000000000004
    (["(a*b+c)*f", "--set", "a=2", "b=3", "c=-10", "f=5"], ["= 6 + (-10) = -4"]),
    (["sin(x)", "--set", "x=pi/4"], ["inputs: x = pi/4 = 0.785398", "sin(0.785398) = 0.707107"]),
    (["x", "--set", "x=1e-3"], ["inputs: x = 1e-3"]),  # as typed
])
def test_forward_steps_check_out_and_inputs_echo_as_typed(args, expected):
    result = _run(*args)
    assert result.exit_code == 0, result.output
    forward = _forward(result.stdout)
    for text in expected:
        assert text in forward, forward


def test_the_api_echoes_the_shortest_exact_text():
    text = differentiate("x - y", {"x": 1.0000001, "y": 1}).derivation()
    assert "inputs: x = 1.0000001, y = 1" in text and "1.0000001 − 1 = 1e-7" in text


def test_latex_steps_check_out_too():
    text = differentiate("x - y", {"x": 1.0000001, "y": 1}).derivation("latex")
    assert "x = 1.0000001, y = 1" in text and "1.0000001 - 1 = 1 \\times 10^{-7}" in text


@pytest.mark.parametrize("compute, operands, value, shown", [
    (operator.sub, (1.0000001, 1.0), 1.0000001 - 1, (["1.0000001", "1"], "1e-7")),
    (operator.add, (1024.0, 1e-3), 1024 + 1e-3, (["1024", "0.001"], "1024.001")),
    (operator.add, (0.1, 0.2), 0.1 + 0.2, (["0.1", "0.2"], "0.3")),
    (operator.mul, (3.0, 1 / 3), 1.0, (["3", "0.333333"], "1")),  # 0.333333 is visibly rounded
    (math.exp, (1.0,), math.e, (["1"], "2.71828")),
    (math.sin, (1000.0,), math.sin(1000), (["1000"], "0.8268795")),  # 0.82688 would claim to be exact
])
def test_equation_digits_are_the_fewest_that_check_out(compute, operands, value, shown):
    digits = equation_digits(compute, operands, value)
    assert ([format_number(x, digits) for x in operands], format_number(value, digits)) == shown


def test_shortest_and_typed_texts():
    assert [shortest(x) for x in (1.0000001, 123456.7, 0.1 + 0.2, 1e-7, 2.0, -2.5)] == \
        ["1.0000001", "123456.7", "0.30000000000000004", "1e-7", "2", "-2.5"]
    assert format_input(123456.7, "123456.7") == "123456.7"
    assert format_input(math.pi / 4, "pi/4") == "pi/4 = 0.785398"
    assert format_input(1.0000001) == "1.0000001"


def test_check_table_shows_inputs_exactly():
    result = _run("x - y", "--set", "x=1.0000001", "y=1", "--check")
    assert "  x      1.0000001" in result.stdout, result.stdout
