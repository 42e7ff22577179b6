"""Defects of `backprop train` found in exploratory session 6b (items 4, 6, 7 and part of 10).

- The training page with --batch shows one loss per step everywhere (the minibatch loss), with
  its marker on the curve, and says the step moves by the mean over its minibatch.
- Stopped and very long runs count steps, not records, and say which steps the files keep.
- A diverging run (array or scalar) records the step that overflowed, so the table, the files
  and the error name the same step.
- A CSV value whose first row holds no words is data, not a header; run.csv names a matrix's
  elements as `W[0, 1]`, like every other output.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from backprop.cli import command
from backprop.numfmt import format_number
from backprop.train import prepare_run
from backprop.train.report import render_report
from backprop.train.run import run_training

ROOT = Path(__file__).resolve().parent.parent
NEURON = "z = w1*x1 + w2*x2 + b; p = sigmoid(z); L = -(y*log(p) + (1 - y)*log(1 - p))"
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")


def run(args):
    return CliRunner().invoke(command, ["train", *args], catch_exceptions=False)


def page_data(text: str) -> dict:
    return json.loads(re.search(r'<script id="tp-data" type="application/json">(.*?)</script>', text, re.S).group(1))


def batch_page(tmp_path):
    result = run([NEURON, "--data", str(ROOT / "docs" / "data" / "neuron.csv"), "--lr", "0.5", "--steps", "50",
                  "--batch", "4", "--seed", "2", "--optimizer", "momentum",
                  "-o", str(tmp_path / "tn.html"), "-o", str(tmp_path / "tn.json")])
    assert result.exit_code == 0, result.stderr
    history = {r["step"]: r["loss"] for r in json.loads((tmp_path / "tn.json").read_text())["history"]}
    return (tmp_path / "tn.html").read_text(), history


@needs_dot
def test_a_batch_page_shows_the_minibatch_loss_of_each_step_with_its_marker_on_the_curve(tmp_path):
    page, history = batch_page(tmp_path)
    data = page_data(page)
    for snapshot in data["snapshots"]:  # the slider's loss is the step's loss in the table and run.json
        assert snapshot["loss"] == format_number(history[snapshot["step"]]), snapshot["step"]
    polyline = re.search(r'<polyline class="tp-line" points="([^"]+)"', page).group(1)
    curve = [tuple(map(float, pair.split(","))) for pair in polyline.split()]
    for snapshot, (x, y) in zip(data["snapshots"], data["curve"]["points"]):
        drawn = curve[snapshot["step"]]  # every step of this short run is on the curve
        assert (x, y) == pytest.approx(drawn, abs=0.01), snapshot["step"]
    assert data["lossName"] == "minibatch loss"
    assert "Minibatch loss at every step" in page
    assert f"final (step 50): minibatch loss = {format_number(history[50])}" in page
    assert "loss over all 16 rows at the final parameters: " in page
    assert "each step moves the parameters by the mean over that step&#x27;s minibatch of 4 rows" in page
    assert "the mean over the rows" not in page


def test_the_slider_of_a_batch_page_says_minibatch_loss_in_a_browser(tmp_path, browser):
    if shutil.which("dot") is None:
        pytest.skip("Graphviz is not installed")
    _, history = batch_page(tmp_path)
    page = browser.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto((tmp_path / "tn.html").as_uri())
    page.locator("#tp-step").fill("50")
    assert page.locator("#tp-step-text").text_content() == \
        f"step 50 (51 of 51 recorded): minibatch loss = {format_number(history[50])}"
    assert errors == []
    page.close()


def test_an_interrupted_thinned_run_counts_its_steps_and_says_which_it_kept(monkeypatch):
    from backprop.train import run as run_module

    monkeypatch.setattr(run_module, "HISTORY_LIMIT", 50)

    def interrupt(step, loss):
        if step == 299:
            raise KeyboardInterrupt

    training = run_training(prepare_run("(w - 3)^2", lr=0.001, steps=100_000), progress=interrupt)
    assert training.stopped == "interrupted" and training.stride == 8
    text = render_report(training)
    assert re.search(r"\(\d+ of 300 steps shown; the -o files keep every 8th step and the last\)", text), text
    assert "draws every one" not in text
    assert training.message == "interrupted at step 299 of 100000: the results shown are those of step 299"


def test_a_finished_thinned_run_says_the_files_keep_every_kth_step(monkeypatch):
    from backprop.train import run as run_module

    monkeypatch.setattr(run_module, "HISTORY_LIMIT", 50)
    training = run_training(prepare_run("(w - 3)^2", lr=0.001, steps=1000))
    assert training.stride == 32
    assert "of 1001 steps shown; the -o files keep every 32nd step and the last)" in render_report(training)


def test_an_array_run_that_diverges_records_the_step_it_names(tmp_path):
    document = tmp_path / "div.json"
    result = run(["L = sum((X @ w + b - y)^2)/n", "--set", f"X=@{ROOT}/docs/data/features.csv", "w=[0, 0]", "b=0",
                  "y=[1, 2, 3, 4]", "n=4", "--params", "w,b", "--lr", "1", "--steps", "3000", "-o", str(document)])
    assert result.exit_code == 1
    assert "Error: the loss diverged at step 116: it became inf with w[0] = -2.52428e153" in result.stderr
    assert "Parameters when the loss diverged (step 116): w = [-2.52428e153, -1.5946e153]" in result.stdout
    assert "Loss: 7.5 → inf in 116 steps" in result.stdout
    last = json.loads(document.read_text())["history"][-1]
    assert last["step"] == 116 and last["loss"] == "inf"
    assert last["params"]["w"][0] == pytest.approx(-2.52428e153, rel=1e-5)


def test_a_scalar_run_whose_loss_overflows_records_the_step_it_names():
    result = run(["(w - 1)^4", "--set", "w=3", "--lr", "1", "--steps", "100"])
    assert result.exit_code == 1
    assert "Error: the loss diverged at step 5: it became inf with w = -5.32064e143" in result.stderr
    assert "Parameters when the loss diverged (step 5): w = -5.32064e143" in result.stdout
    assert re.search(r"^\s+5\s+inf\s+nan\s+-5.32064e143$", result.stdout, re.M), result.stdout


def test_a_csv_value_whose_first_row_holds_no_words_is_data_not_a_header(tmp_path):
    semi = tmp_path / "semi.csv"
    semi.write_text("1;2\n3;4\n")
    result = CliRunner().invoke(command, ["L = sum(v*v)", "--set", f"v=@{semi}", "--no-diagram"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "row 1, column 1: '1;2' is not a number" in result.stderr


def test_run_csv_names_matrix_elements_as_every_other_output_does(tmp_path):
    history = tmp_path / "run.csv"
    result = run(["L = sum((W - 1)^2)", "--set", "W=[[0,0],[0,0]]", "--steps", "2", "-o", str(history)])
    assert result.exit_code == 0, result.stderr
    header = next(csv.reader(io.StringIO(history.read_text())))
    assert header == ["step", "loss", "grad_norm", "W[0, 0]", "W[0, 1]", "W[1, 0]", "W[1, 1]"]
