"""backprop train: gradient descent against closed forms, and every bad input refused in one line."""

from __future__ import annotations

import json
import random

import pytest
from click.testing import CliRunner

from backprop.api import differentiate
from backprop.cli import command
from backprop.train import train
from backprop.train.engine import BatchedGraph
from backprop.train.report import render_json, shown_steps
from backprop.train.run import SNAPSHOTS


def run(args):
    return CliRunner().invoke(command, ["train", *args], catch_exceptions=False)


def line_data(rows=60, seed=7):
    generator = random.Random(seed)
    xs = [generator.uniform(-3, 3) for _ in range(rows)]
    ys = [2.5 * x + 0.7 + generator.gauss(0, 0.5) for x in xs]
    return xs, ys


def write_csv(path, columns):
    names = list(columns)
    lines = [",".join(names)] + [",".join(repr(v) for v in row) for row in zip(*columns.values())]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_linear_regression_converges_to_the_least_squares_solution():
    numpy = pytest.importorskip("numpy")
    xs, ys = line_data()
    training = train("(w*x + b - y)^2", data={"x": xs, "y": ys}, params="w,b", lr=0.05, steps=300)
    solution, *_ = numpy.linalg.lstsq(numpy.c_[xs, numpy.ones(len(xs))], numpy.array(ys), rcond=None)
    assert training.stopped is None
    assert training.final_params["w"] == pytest.approx(solution[0], abs=1e-6)
    assert training.final_params["b"] == pytest.approx(solution[1], abs=1e-6)
    residuals = numpy.array(ys) - (solution[0] * numpy.array(xs) + solution[1])
    assert training.final.loss == pytest.approx(float(numpy.mean(residuals ** 2)), rel=1e-9)


@pytest.mark.parametrize("optimizer, lr, steps", [("momentum", 0.02, 300), ("adam", 0.1, 600)])
def test_other_optimizers_reach_the_same_line(optimizer, lr, steps):
    numpy = pytest.importorskip("numpy")
    xs, ys = line_data()
    training = train("(w*x + b - y)^2", data={"x": xs, "y": ys}, lr=lr, steps=steps, optimizer=optimizer)
    solution, *_ = numpy.linalg.lstsq(numpy.c_[xs, numpy.ones(len(xs))], numpy.array(ys), rcond=None)
    assert [training.final_params["w"], training.final_params["b"]] == pytest.approx(list(solution), abs=1e-3)


def test_logistic_regression_on_a_separable_set_drives_the_loss_below_a_bound():
    generator = random.Random(3)
    xs = [generator.uniform(0.5, 3) * generator.choice((-1, 1)) for _ in range(40)]
    labels = [1.0 if x > 0 else 0.0 for x in xs]
    training = train("p = sigmoid(w*x + b); -(y*log(p) + (1 - y)*log(1 - p))",
                     data={"x": xs, "y": labels}, params="w,b", lr=0.5, steps=400)
    assert training.history[0].loss == pytest.approx(0.693147, abs=1e-6)  # log 2 at w = b = 0
    assert training.final.loss < 0.05
    assert all(later.loss <= earlier.loss for earlier, later in zip(training.history, training.history[1:]))


def test_the_batched_gradient_is_the_mean_of_the_scalar_gradients():
    source = "h = tanh(w*x + b); (v*h - y)^2 + 0.1*w^2"
    rows = [{"x": 0.3, "y": 1.0}, {"x": -1.2, "y": 0.5}, {"x": 2.0, "y": -0.4}]
    params = {"w": 0.4, "b": -0.2, "v": 1.5}
    results = [differentiate(source, {**params, **row}) for row in rows]
    graph = results[0].graph
    engine = BatchedGraph(graph, list(params))
    evaluation = engine.evaluate({**params, "x": [r["x"] for r in rows], "y": [r["y"] for r in rows]}, 3)
    assert evaluation.loss == pytest.approx(sum(r.value for r in results) / 3)
    for position, name in enumerate(params):
        assert evaluation.gradient[position] == pytest.approx(sum(r.gradients[name] for r in results) / 3)


def test_minibatches_are_seeded_and_still_fit():
    xs, ys = line_data()
    runs = [train("(w*x + b - y)^2", data={"x": xs, "y": ys}, lr=0.05, steps=200, batch=10, seed=seed)
            for seed in (1, 1, 2)]
    assert [r.loss for r in runs[0].history] == [r.loss for r in runs[1].history]
    assert [r.loss for r in runs[0].history] != [r.loss for r in runs[2].history]
    assert runs[0].final_params["w"] == pytest.approx(2.5, abs=0.2)
    assert runs[0].full_loss is not None and runs[0].full_loss < 0.5


def test_random_init_is_seeded():
    first = train("(w - 3)^2 + (v + 1)^2", lr=0.1, steps=1, init="random", seed=5)
    again = train("(w - 3)^2 + (v + 1)^2", lr=0.1, steps=1, init="random", seed=5)
    assert first.setup.initial == again.setup.initial and first.setup.initial != {"w": 0.0, "v": 0.0}


def test_divergence_names_the_step_and_the_parameter_and_says_lower_lr():
    xs, ys = line_data()
    training = train("(w*x + b - y)^2", data={"x": xs, "y": ys}, params="w,b", lr=1.5, steps=1000)
    assert training.stopped == "diverged"
    assert "diverged at step" in training.message and "w = " in training.message
    assert "lower --lr (now 1.5), e.g. --lr 0.15" in training.message
    assert training.final.step < 1000


def test_a_finished_run_whose_loss_grew_warns_that_the_steps_overshoot():
    growing = train("(x - 3)^2", values={"x": 0}, lr=1.5, steps=30)  # |1 - 2·lr| = 2: doubles every step
    assert growing.stopped is None and growing.final.loss > 1e18
    assert growing.warning == ("the loss grew from 9 to 1.03763e19 (it rose at every step since step 0): the steps "
                               "overshoot: lower --lr (now 1.5), e.g. --lr 0.15")
    assert json.loads(render_json(growing))["warning"] == growing.warning
    # bouncing between 0 and 6 (lr = 1) never falls, but never grows either; a good run falls
    assert train("(x - 3)^2", values={"x": 0}, lr=1.0, steps=30).warning is None
    assert train("(x - 3)^2", values={"x": 0}, lr=0.1, steps=30).warning is None
    # a loss that rose for only the last two steps, ending above its start, is not yet a pattern
    assert train("(x - 3)^2", values={"x": 0}, lr=1.5, steps=2).warning is None


def test_the_growing_loss_warning_reaches_stderr_and_the_exit_status_stays_0():
    result = run(["(x - 3)^2", "--set", "x=0", "--lr", "1.5", "--steps", "30"])
    assert result.exit_code == 0
    assert result.stderr.strip().splitlines()[-1].startswith("Warning: the loss grew from 9 to 1.03763e19")
    assert "Warning" not in result.stdout and "Loss: 9 → 1.03763e19 in 30 steps" in result.stdout


@pytest.mark.slow  # about 9 s: a whole recorded run
def test_snapshots_cover_the_run_for_the_page():
    xs, ys = line_data()
    training = train("(w*x + b - y)^2", data={"x": xs, "y": ys}, lr=0.05, steps=250, record=True)
    steps = [s.step for s in training.snapshots]
    assert steps == list(range(251))  # 9 nodes × 25 points: every step fits the page's budget
    big = train("0 * (" + " + ".join(f"(w*x + b - y)^{k}" for k in range(2, 40)) + ")", data={"x": xs, "y": ys},
                lr=0.1, steps=5000, record=True)
    big_steps = [s.step for s in big.snapshots]
    assert big_steps[0] == 0 and big_steps[-1] == 5000 and SNAPSHOTS <= len(big_steps) <= 1000
    assert big_steps == sorted(set(big_steps))
    last = training.snapshots[-1]
    assert last.params == training.final.params and last.step == 250
    output = training.setup.graph.output
    row = 3
    expected = differentiate("(w*x + b - y)^2", {"w": last.params[0], "b": last.params[1], "x": xs[row], "y": ys[row]})
    assert last.values[output][row] == pytest.approx(expected.value)
    x_id = next(i for i in training.setup.graph.inputs if training.setup.graph.nodes[i].name == "x")
    assert last.grads[x_id][row] == pytest.approx(expected.gradients["x"])


def test_long_runs_print_a_sample_and_short_runs_every_step():
    assert shown_steps(list(range(11))) == list(range(11))
    shown = shown_steps(list(range(1001)))
    assert shown[:5] == [0, 1, 2, 3, 4] and shown[-1] == 1000 and len(shown) <= 30
    assert all(step % 50 == 0 for step in shown[5:])


def test_the_command_prints_the_table_and_the_final_parameters(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_csv(tmp_path / "points.csv", dict(zip(("x", "y"), line_data())))
    result = run(["(w*x + b - y)^2", "--data", "points.csv", "--params", "w,b", "--lr", "0.05", "--steps", "300",
                  "-o", "history.json", "-o", "history.csv"])
    assert result.exit_code == 0, result.stderr
    assert "loss: the mean of L over the 60 rows of points.csv (columns x, y)" in result.stdout
    lines = result.stdout.splitlines()
    header = next(line for line in lines if line.split()[:2] == ["step", "loss"])
    assert header.split() == ["step", "loss", "‖∇loss‖", "w", "b"]
    assert "Final parameters (step 300): w = " in result.stdout
    document = json.loads((tmp_path / "history.json").read_text())
    assert len(document["history"]) == 301 and document["history"][-1]["step"] == 300
    assert document["final"]["w"] == pytest.approx(2.5, abs=0.2)
    csv_lines = (tmp_path / "history.csv").read_text().splitlines()
    assert csv_lines[0] == "step,loss,grad_norm,w,b" and len(csv_lines) == 302
    assert "Training history written to history.json" in result.stderr


def test_every_step_of_a_short_run_without_data():
    result = run(["(x - 3)^2 + (y + 1)^2", "--set", "x=0", "y=0", "--lr", "0.1", "--steps", "3"])
    assert result.exit_code == 0
    rows = [line.split() for line in result.stdout.splitlines() if line.strip()[:1].isdigit()]
    assert rows == [["0", "10", "6.32456", "0", "0"], ["1", "6.4", "5.05964", "0.6", "-0.2"],
                    ["2", "4.096", "4.04772", "1.08", "-0.36"], ["3", "2.62144", "3.23817", "1.464", "-0.488"]]
    assert "loss: the program's output L" in result.stdout


def test_divergence_in_the_command_still_prints_what_was_done(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_csv(tmp_path / "points.csv", dict(zip(("x", "y"), line_data())))
    result = run(["(w*x + b - y)^2", "--data", "points.csv", "--lr", "1.5", "--steps", "1000", "-o", "h.csv"])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1].startswith("Error: the loss diverged at step")
    assert "lower --lr" in result.stderr and "Parameters when the loss diverged (step " in result.stdout
    assert "(it rose at every step since step 0, loss " in result.stderr
    assert (tmp_path / "h.csv").exists()


def test_ctrl_c_stops_cleanly_and_writes_what_was_done(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    from backprop.train import engine

    calls = []
    original = engine.BatchedGraph.evaluate

    def interrupted(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 40:
            raise KeyboardInterrupt
        return original(self, *args, **kwargs)

    monkeypatch.setattr(engine.BatchedGraph, "evaluate", interrupted)
    result = run(["(w - 3)^2", "--steps", "1000000000", "-o", "h.json"])
    assert result.exit_code == 130
    assert "Error: interrupted at step 39 of 1000000000" in result.stderr
    assert "Final parameters (step 38)" in result.stdout
    assert json.loads((tmp_path / "h.json").read_text())["stopped"] == "interrupted"


@pytest.mark.parametrize("csv_text, args, fragment", [
    ("x\n1\n2\n", [], "Note: the parameters are w, b, y: the inputs that are not columns of points.csv"),
    ("x\n1\n2\n", ["--params", "w,b"], "y has no value: give it with --set y=…, a column in --data, or let it move with --params"),
    ("x,y,z\n1,2,3\n", [], "Note: column 'z' of points.csv names no input of the program: it is not used"),
    ("x,y\n1,2\n3,abc\n", [], "points.csv, line 3, column 'y': 'abc' is not a number"),
    ("x,y\n1,\n", [], "points.csv, line 2, column 'y': the cell is empty"),
    ("", [], "--data points.csv is empty"),
    ("x,y\n", [], "points.csv has a header line but no data points"),
    ("1,2\n3,4\n", [], "the first line must name the columns (x,y)"),
    ("x,y\n1,2,3\n", [], "line 2: 3 cells where the header names 2 columns"),
    ("x,y\n1,2\n", ["--lr", "0"], "--lr 0: the learning rate must be a positive number"),
    ("x,y\n1,2\n", ["--lr", "-0.1"], "--lr -0.1: the learning rate must be a positive number"),
    ("x,y\n1,2\n", ["--params", "w,q"], "'q' is not an input of the program (its inputs are: w, x, b, y)"),
    ("x,y\n1,2\n", ["--params", "w,x"], "'x' is a column of points.csv, so it is data, not a parameter"),
    ("x,y\n1,2\n", ["--steps", "0"], "--steps 0: a run takes at least one step"),
    ("x,y\n1,2\n", ["--batch", "5"], "--batch 5: choose between 1 and the 1 rows of points.csv"),
    ("x,y\n1,2\n", ["-o", "curve.gif"], "backprop train writes .png, .svg, .html, .htm, .json, .csv files"),
])
def test_bad_input_is_one_line(csv_text, args, fragment, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "points.csv").write_text(csv_text)
    result = run(["(w*x + b - y)^2", "--data", "points.csv", "--steps", "5", *args])
    assert "Traceback" not in result.output + result.stderr
    assert fragment in result.stderr, result.stderr
    if fragment.startswith("Note"):
        assert result.exit_code == 0
        return
    assert result.exit_code != 0 and result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1


def test_a_missing_data_file_and_a_domain_error_mid_run():
    assert "--data nowhere.csv: no such file" in run(["(w - y)^2", "--data", "nowhere.csv"]).stderr
    result = run(["log(w)", "--set", "w=1", "--lr", "2", "--steps", "5"])
    assert result.exit_code == 1
    assert "Error: at step 1 (w = -1): cannot compute L = log(w) with w = -1: log needs x > 0" in result.stderr


def test_the_gallery_neuron_carries_the_weights_training_finds():
    from conftest import ROOT
    from test_gallery import gallery

    example = next(e for e in gallery.EXAMPLES if e.slug == "trained-neuron")
    training = train("p = sigmoid(w1*x1 + w2*x2 + b); -(y*log(p) + (1 - y)*log(1 - p))",
                     data=ROOT / "docs" / "data" / "neuron.csv", lr=0.5, steps=300)
    for name, value in training.final_params.items():
        assert float(example.values[name]) == pytest.approx(value, rel=1e-5), name
    assert training.final.loss < 0.02


def test_a_huge_run_keeps_a_bounded_history_with_the_first_and_last_steps(monkeypatch):
    from backprop.train import run as run_module

    monkeypatch.setattr(run_module, "HISTORY_LIMIT", 50)
    training = train("(w - 3)^2", lr=0.01, steps=1000)
    steps = [record.step for record in training.history]
    assert len(steps) <= 51 and steps[0] == 0 and steps[-1] == 1000
    assert training.stride > 1 and all(step % training.stride == 0 for step in steps[:-1])
    assert steps == sorted(steps)


def test_ascii_and_json_on_stdout():
    text = run(["(w - 3)^2", "--steps", "2", "--optimizer", "adam", "--ascii"]).stdout
    assert text.isascii() and "p <- p - lr*m_hat/(sqrt v_hat + eps)" in text and "|grad|" in text
    document = json.loads(run(["(w - 3)^2", "--steps", "2", "--format", "json"]).stdout)
    assert [r["step"] for r in document["history"]] == [0, 1, 2]
    assert document["final"]["w"] == pytest.approx(0.6 + 0.1 * 2 * (3 - 0.6))
    assert document["stopped"] is None and document["loss"] == "the program's output L"


@pytest.mark.slow
def test_a_real_ctrl_c_stops_a_huge_run_and_keeps_its_files(tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    from conftest import ROOT

    process = subprocess.Popen([sys.executable, "-m", "backprop", "train", "(w - 3)^2 + (v + 1)^2", "--lr", "0.001",
                                "--steps", "1000000000", "-o", "h.csv"], cwd=tmp_path, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    time.sleep(3)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr and "Error: interrupted at step " in stderr
    assert "Final parameters (step " in stdout
    lines = (tmp_path / "h.csv").read_text().splitlines()
    assert lines[0] == "step,loss,grad_norm,w,v" and len(lines) > 10
