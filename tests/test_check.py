"""--check: reverse-mode gradients against finite differences; it must catch a wrong derivative."""

import dataclasses

import pytest
from click.testing import CliRunner

import backprop.ops
from backprop.check import FAIL, KINK, OK, check_gradients, render_check
from backprop.cli import command

from conftest import SEED, SEED_ARGS, SEED_VALUES


def test_seed_gradients_pass():
    report = check_gradients(SEED, SEED_VALUES)
    assert report.passed and [c.status for c in report.checks] == [OK] * 4
    assert [c.analytic for c in report.checks] == [15, 10, 5, -4]
    assert all(abs(c.numeric - c.analytic) < 1e-8 for c in report.checks)


@pytest.mark.parametrize("source, values", [
    ("tanh(w1*x1 + w2*x2 + b)", {"w1": -3, "x1": 2, "w2": 1, "x2": 0, "b": 6.8813735870195432}),
    ("p = sigmoid(w*x + b); L = -(y*log(p) + (1 - y)*log(1 - p))", {"w": 0.5, "x": 2, "b": -0.5, "y": 1}),
    ("exp(x)*1000 + log(y)", {"x": 10, "y": 1e-3}),  # inputs of very different scales
    ("x^3/y + sin(x*y)", {"x": 1e3, "y": 3e-4}),
    ("sqrt(x) * 3", {"x": 1e-6}),
])
def test_correct_gradients_pass_at_every_scale(source, values):
    report = check_gradients(source, values)
    assert report.passed, render_check(report)


def test_kinks_are_reported_not_failed():
    report = check_gradients("relu(x)*y + max(u, v) + sqrt(z)", {"x": 0, "y": 2, "u": 1, "v": 1, "z": 0})
    status = {c.name: c.status for c in report.checks}
    assert status == {"x": KINK, "y": OK, "u": KINK, "v": KINK, "z": KINK}
    assert report.passed
    text = render_check(report)
    assert "relu has a kink at 0" in text and "not a failure" in text


def test_a_wrong_derivative_is_caught(monkeypatch):
    mul = backprop.ops.OPS["mul"]
    wrong = dataclasses.replace(mul, grads=("y", "2 * x"))  # ∂(x*y)/∂y = 2x: wrong
    monkeypatch.setitem(backprop.ops.OPS, "mul", wrong)
    report = check_gradients(SEED, SEED_VALUES)
    assert not report.passed
    assert {c.name: c.status for c in report.checks} == {"a": OK, "b": FAIL, "c": OK, "f": FAIL}
    result = CliRunner().invoke(command, SEED_ARGS + ["--check"])
    assert result.exit_code == 1
    assert "FAIL" in result.stdout and result.stderr.startswith("Error: gradient check failed for b, f")


def test_a_subtly_wrong_derivative_is_caught(monkeypatch):
    tanh = backprop.ops.OPS["tanh"]
    wrong = dataclasses.replace(tanh, grads=("1 - out^2 * 1.001",))
    monkeypatch.setitem(backprop.ops.OPS, "tanh", wrong)
    assert not check_gradients("tanh(w*x)", {"w": 0.5, "x": 2}).passed


def test_cli_check_table_and_exit_codes(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(command, SEED_ARGS + ["--check"])
    assert result.exit_code == 0, result.output
    assert "analytic ∂L/∂input" in result.stdout and "4 of 4 gradients agree" in result.stdout
    import os

    assert not os.path.exists("backprop.png")
    # A tolerance below the finite difference's own error can not be judged: ill-conditioned, not a failure.
    strict = CliRunner().invoke(command, ["exp(x)*1000 + log(y)", "-s", "x=10", "y=0.001", "--check",
                                          "--tol", "1e-300"])
    assert strict.exit_code == 0 and "ill-conditioned, not a failure" in strict.stdout
    bad = CliRunner().invoke(command, SEED_ARGS + ["--check", "--tol", "-1"])
    assert bad.exit_code == 2 and bad.stderr.startswith("Error")


def test_ascii_table():
    assert render_check(check_gradients(SEED, SEED_VALUES), ascii=True).isascii()
