"""backprop train on array programs: whole-array parameters, the same gradients as the array engine, one Error line."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from backprop.api import differentiate
from backprop.cli import command
from backprop.train import prepare_run, train

np = pytest.importorskip("numpy")

LINEAR = "L = sum((X @ w + b - y)^2)/n"


def run(args):
    return CliRunner().invoke(command, ["train", *args], catch_exceptions=False)


def regression(rows=40, seed=3):
    generator = np.random.default_rng(seed)
    X = generator.uniform(-2, 2, size=(rows, 3))
    y = X @ np.array([1.5, -2.0, 0.5]) + 0.8 + generator.normal(0, 0.3, size=rows)
    return X, y


@pytest.mark.parametrize("optimizer, lr, steps", [("sgd", 0.1, 600), ("momentum", 0.02, 600), ("adam", 0.05, 2000)])
@pytest.mark.slow  # over half a second (the quick loop stays under a minute)
def test_matrix_linear_regression_converges_to_lstsq(optimizer, lr, steps):
    X, y = regression()
    training = train(LINEAR, values={"X": X, "w": np.zeros(3), "b": 0.0, "y": y, "n": len(y)}, params="w,b",
                     lr=lr, steps=steps, optimizer=optimizer)
    assert training.stopped is None, training.message
    solution, *_ = np.linalg.lstsq(np.column_stack([X, np.ones(len(y))]), y, rcond=None)
    w, b = training.final_params["w"], training.final_params["b"]
    assert np.asarray(w).shape == (3,)
    np.testing.assert_allclose(np.append(w, b), solution, atol=2e-3)
    assert training.final.loss < training.history[0].loss


def test_every_step_has_the_gradient_of_the_array_result_at_its_parameters():
    X, y = regression(rows=12)
    source = "h = tanh(X @ W + c)\nL = mean((h @ v - y)^2)"
    generator = np.random.default_rng(0)
    start = {"W": generator.normal(size=(3, 4)), "c": np.zeros(4), "v": generator.normal(size=4)}
    training = train(source, values={"X": X, "y": y, **start}, params="W,c,v", lr=0.1, steps=5, optimizer="adam")
    assert len(training.history) == 6
    for record in training.history:
        params = dict(zip(["W", "c", "v"], record.params))
        result = differentiate(source, {"X": X, "y": y, **params})
        assert record.loss == pytest.approx(result.value, rel=1e-12)
        for name, gradient in zip(["W", "c", "v"], record.gradient):
            np.testing.assert_allclose(gradient, result.gradients[name], rtol=1e-10, atol=1e-14)
        norm = np.sqrt(sum(np.sum(result.gradients[name] ** 2) for name in ["W", "c", "v"]))
        assert record.grad_norm == pytest.approx(float(norm), rel=1e-12)
    # the parameters moved between steps, elementwise, and kept their shapes
    assert training.history[-1].params[0].shape == (3, 4)
    assert not np.allclose(training.history[-1].params[0], start["W"])


def test_sgd_update_is_parameter_minus_lr_times_gradient_elementwise():
    training = train("L = sum((w - t)^2)", values={"w": "[0, 0, 0]", "t": "[1, 2, 3]"}, params="w", lr=0.1, steps=2)
    first, second = training.history[0], training.history[1]
    np.testing.assert_allclose(first.gradient[0], [-2, -4, -6])
    np.testing.assert_allclose(second.params[0], first.params[0] - 0.1 * first.gradient[0])


def test_the_program_is_lowered_and_shape_checked_once(monkeypatch):
    import backprop.train.arrays_run as arrays_run

    calls = {"lower": 0, "infer": 0}
    lower, infer = arrays_run.lower_arrays, arrays_run.infer_shapes

    def counted_lower(*args):
        calls["lower"] += 1
        return lower(*args)

    def counted_infer(*args):
        calls["infer"] += 1
        return infer(*args)

    monkeypatch.setattr(arrays_run, "lower_arrays", counted_lower)
    monkeypatch.setattr(arrays_run, "infer_shapes", counted_infer)
    train("L = sum((w - t)^2)", values={"w": "[0, 0]", "t": "[1, 2]"}, params="w", lr=0.1, steps=20)
    assert calls == {"lower": 1, "infer": 1}


def test_cli_table_shows_arrays_compactly_and_writes_history(tmp_path):
    history = tmp_path / "run.csv"
    document = tmp_path / "run.json"
    result = run([LINEAR, "--set", f"X=@{_repo()}/docs/data/features.csv", "w=[0, 0]", "b=0", "y=[1, 2, 3, 4]", "n=4",
                  "--params", "w,b", "--lr", "0.05", "--steps", "300", "-o", str(history), "-o", str(document)])
    assert result.exit_code == 0, result.output
    assert "parameters: w = [0, 0], b = 0" in result.output
    assert "fixed: X = [[1, 2], [2, 0], [3, 1], [4, 3]], y = [1, 2, 3, 4], n = 4" in result.output
    assert "     [0.75, 0.425]" in result.output  # step 1 of gradient descent, as an array
    final = next(line for line in result.output.splitlines() if line.startswith("Final parameters"))
    assert final.startswith("Final parameters (step 300): w = [0.99") and "b = 0.0033" in final
    header, first, *_ = history.read_text().splitlines()
    assert header == "step,loss,grad_norm,w[0],w[1],b"
    assert first == "0,7.5,17.95132307101624,0.0,0.0,0.0"
    data = json.loads(document.read_text())
    assert data["initial"] == {"w": [0.0, 0.0], "b": 0.0}
    assert len(data["final"]["w"]) == 2 and data["history"][1]["params"]["w"] == pytest.approx([0.75, 0.425])


def test_large_arrays_are_summarised_in_the_table():
    result = run(["L = sum((W - 1)^2)", "--set", "W=[[0,0,0,0,0],[0,0,0,0,0]]", "--lr", "0.1", "--steps", "2"])
    assert result.exit_code == 0, result.output
    assert "(2, 5) mean 0.2 sd 0" in result.output
    assert "W = (2, 5) array: min 0.36, mean 0.36, max 0.36 (every element: -o run.json or -o run.csv)" in result.output


@pytest.mark.slow
def test_cli_writes_the_loss_curve_of_an_array_run(tmp_path):
    pytest.importorskip("matplotlib")
    curve = tmp_path / "curve.png"
    result = run([LINEAR, "--set", f"X=@{_repo()}/docs/data/features.csv", "w=[0, 0]", "b=0", "y=[1, 2, 3, 4]", "n=4",
                  "--params", "w,b", "--lr", "0.05", "--steps", "50", "-o", str(curve)])
    assert result.exit_code == 0, result.output
    assert curve.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


BAD = [
    ([LINEAR, "--set", "X=@docs/data/features.csv", "w=[0, 0]", "b=0", "y=[1, 2, 3, 4]", "n=4", "--params", "w,q"],
     "Error: --params w,q: 'q' is not an input of the program (its inputs are: X, w, b, y, n)"),
    ([LINEAR, "--set", "X=@docs/data/features.csv", "w=[0, 0, 0]", "b=0", "y=[1, 2, 3, 4]", "n=4", "--params", "w,b"],
     "Error: X @ w: (4, 2) @ (3,) — the inner dimensions 2 and 3 differ"),
    ([LINEAR, "--set", "X=@docs/data/features.csv", "b=0", "y=[1, 2, 3, 4]", "n=4", "--params", "w,b"],
     "Error: w has no value: an array program needs every input's shape"),
    (["L = (X @ w)^2", "--set", "X=[[1, 2]]", "w=[0, 0]"], "Error: the loss L has shape (1,): a loss is one number"),
    ([LINEAR, "--set", "X=@docs/data/features.csv", "w=[0, 0]", "b=0", "y=[1, 2, 3, 4]", "n=4",
      "--data", "docs/data/points.csv"], "Error: --data is for scalar programs: an array program takes its data"),
    ([LINEAR, "--set", "X=@docs/data/features.csv", "w=[0, 0]", "b=0", "y=[1, 2, 3, 4]", "n=4", "--lr", "0"],
     "Error: --lr 0: the learning rate must be a positive number"),
    ([LINEAR, "--set", "X=@docs/data/features.csv", "w=[0, 0]", "b=0", "y=[1, 2, 3, 4]", "n=4", "-o", "run.html"],
     "Error: -o run.html: the training page replays scalar programs only"),
]


@pytest.mark.parametrize("args, message", BAD)
def test_bad_input_is_one_error_line(args, message, tmp_path, monkeypatch):
    import shutil

    if any(a.endswith(".html") for a in args) and shutil.which("dot") is None:
        pytest.skip("the page needs Graphviz before anything else is checked")
    monkeypatch.chdir(tmp_path)
    args = [a.replace("@docs/", f"@{_repo()}/docs/").replace("docs/data/points", f"{_repo()}/docs/data/points")
            for a in args]
    result = run(args)
    assert result.exit_code == 1, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1 and errors[0].startswith(message), result.output
    assert "Traceback" not in result.output


def test_divergence_names_the_element_and_advises_a_lower_lr():
    result = run([LINEAR, "--set", "X=@" + _repo() + "/docs/data/features.csv", "w=[0, 0]", "b=0", "y=[1, 2, 3, 4]",
                  "n=4", "--lr", "1", "--steps", "3000", "--params", "w,b"])
    assert result.exit_code == 1
    error = result.output.splitlines()[-1]
    assert error.startswith("Error: the loss diverged at step ") and "with w[0] = " in error
    assert "lower --lr (now 1), e.g. --lr 0.1" in error
    assert "Parameters when the loss diverged" in result.output


def test_an_undefined_operation_stops_the_run_naming_it():
    training = train("L = sum(log(w))", values={"w": "[1, 2]"}, lr=1, steps=5)
    assert training.stopped == "failed"
    assert training.message.startswith("at step 1 (w = [0, 1.5]): cannot compute")
    assert "log needs x > 0" in training.message
    assert len(training.history) == 1


def test_ctrl_c_keeps_the_steps_done(monkeypatch):
    import backprop.train.arrays_run as arrays_run

    backward = arrays_run.backward
    count = {"calls": 0}

    def interrupted(*args, **kwargs):
        count["calls"] += 1
        if count["calls"] == 4:
            raise KeyboardInterrupt
        return backward(*args, **kwargs)

    monkeypatch.setattr(arrays_run, "backward", interrupted)
    training = train("L = sum((w - t)^2)", values={"w": "[0, 0]", "t": "[1, 2]"}, lr=0.1, steps=100)
    assert training.stopped == "interrupted" and len(training.history) == 3
    assert training.message.startswith("interrupted at step 3 of 100")


def test_without_params_every_input_moves_and_a_note_says_so():
    setup = prepare_run("L = sum((X @ w - y)^2)", values={"X": "[[1, 2], [3, 4]]", "w": "[0, 0]", "y": "[1, 2]"})
    assert setup.parameters == ["X", "w", "y"]
    assert setup.notes == ["every input moves (X, w, y), data included: name the parameters with --params"]


def test_scalar_values_keep_the_scalar_path():
    setup = prepare_run("(w - 3)^2", values={"w": 0}, lr=0.1, steps=3)
    assert not getattr(setup, "is_array", False)


def _repo() -> str:
    from pathlib import Path

    return str(Path(__file__).resolve().parent.parent)
