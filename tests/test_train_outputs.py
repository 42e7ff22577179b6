"""backprop train's files: the loss curve (matplotlib) and the training page (in real headless Chromium)."""

from __future__ import annotations

import io
import json
import re
import shutil

import pytest
from click.testing import CliRunner

from backprop.api import differentiate
from backprop.cli import command
from backprop.numfmt import format_number
from backprop.render.curve import uses_log_scale

from test_train import line_data, write_csv

HAS_DOT = shutil.which("dot") is not None
needs_dot = pytest.mark.skipif(not HAS_DOT, reason="Graphviz is not installed")
SOURCE = "(w*x + b - y)^2"


def run(args):
    return CliRunner().invoke(command, ["train", *args], catch_exceptions=False)


@pytest.fixture
def points(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    xs, ys = line_data(rows=30)
    write_csv(tmp_path / "points.csv", {"x": xs, "y": ys})
    return xs, ys


def test_log_scale_only_when_positive_losses_span_decades():
    assert uses_log_scale([100, 10, 0.5])
    assert not uses_log_scale([21, 5, 0.3])
    assert not uses_log_scale([10, 0.0001, 0])  # a zero can not be drawn on a log axis
    assert not uses_log_scale([-5, -50, -500])


@pytest.mark.slow  # importing matplotlib takes about two seconds
def test_the_curve_png_falls(points, tmp_path):
    pytest.importorskip("matplotlib")
    from PIL import Image

    result = run([SOURCE, "--data", "points.csv", "--lr", "0.05", "--steps", "100", "-o", "curve.png",
                  "-o", "curve.svg"])
    assert result.exit_code == 0, result.stderr
    assert "Loss curve written to curve.png" in result.stderr
    image = Image.open(io.BytesIO((tmp_path / "curve.png").read_bytes()))
    assert image.format == "PNG" and image.size[0] > 600
    svg = (tmp_path / "curve.svg").read_text()
    assert "<svg" in svg and "step" in svg and "loss" in svg
    # the drawn line: its first point is higher on the page (smaller y) than its last
    path = max(re.findall(r'<path d="(M [^"]+)"', svg), key=len)
    coordinates = [tuple(map(float, pair.split())) for pair in re.findall(r"[ML] ([-\d.]+ [-\d.]+)", path)]
    assert coordinates[0][1] < coordinates[-1][1]


@pytest.mark.slow  # importing matplotlib takes about two seconds
def test_a_diverged_run_still_draws_its_curve(points, tmp_path):
    pytest.importorskip("matplotlib")
    result = run([SOURCE, "--data", "points.csv", "--lr", "2", "--steps", "1000", "-o", "curve.svg"])
    assert result.exit_code == 1 and "diverged" in result.stderr and "Warning" not in result.stderr
    svg = (tmp_path / "curve.svg").read_text()
    assert ("log10(loss)" in svg or "loss (log scale)" in svg) and "stopped: diverged" in svg


def page_data(text: str) -> dict:
    return json.loads(re.search(r'<script id="tp-data" type="application/json">(.*?)</script>', text, re.S).group(1))


@needs_dot
def test_the_page_holds_python_numbers_for_each_step_and_point(points, tmp_path):
    xs, ys = points
    result = run([SOURCE, "--data", "points.csv", "--lr", "0.05", "--steps", "200", "-o", "training.html",
                  "-o", "h.json"])
    assert result.exit_code == 0, result.stderr
    page = (tmp_path / "training.html").read_text()
    assert not re.search(r"<script[^>]+src=|<link|href=\"http|url\(", page)  # self-contained
    data = page_data(page)
    history = json.loads((tmp_path / "h.json").read_text())["history"]
    snapshot = data["snapshots"][-1]
    assert snapshot["step"] == 200
    w, b = (history[-1]["params"][name] for name in ("w", "b"))
    expected = differentiate(SOURCE, {"w": w, "b": b, "x": xs[4], "y": ys[4]})
    keys = [node["key"] for node in data["nodes"]]
    output = keys.index(data["outputKey"])
    assert snapshot["rows"][4]["values"][output] == format_number(expected.value)
    w = next(i for i, node in enumerate(data["nodes"]) if node["name"] == "w")
    assert snapshot["rows"][4]["grads"][w] == format_number(expected.gradients["w"])
    assert [s["step"] for s in data["snapshots"]] == list(range(201))  # a small graph: every step replays
    assert len(data["rows"]) == 25 and data["rows"][0].startswith("line 2 of points.csv: x = ")


@pytest.mark.slow
@needs_dot
def test_the_page_replays_any_step_and_point_in_a_browser(points, tmp_path, browser):
    result = run([SOURCE, "--data", "points.csv", "--lr", "0.05", "--steps", "120", "-o", "training.html"])
    assert result.exit_code == 0, result.stderr
    data = page_data((tmp_path / "training.html").read_text())
    context = browser.new_context(viewport={"width": 1200, "height": 900}, offline=True)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.goto((tmp_path / "training.html").as_uri())
    output_key = data["outputKey"]
    for k, r in ((0, 0), (7, 3), (len(data["snapshots"]) - 1, 24)):
        page.locator("#tp-step").fill(str(k))
        page.locator("#tp-row").fill(str(r))
        snapshot = data["snapshots"][k]
        assert page.locator("body").get_attribute("data-step") == str(snapshot["step"])
        shown = page.locator(f"#{output_key} .bp-val .bp-num").text_content()
        output = [node["key"] for node in data["nodes"]].index(output_key)
        assert shown == snapshot["rows"][r]["values"][output]
        assert f"loss = {snapshot['loss']}" in page.locator("#tp-step-text").text_content()
        assert page.locator("#tp-row-text").text_content() == data["rows"][r]
        marker = page.locator("#tp-marker")
        assert [float(marker.get_attribute("cx")), float(marker.get_attribute("cy"))] == data["curve"]["points"][k]
    first = data["curve"]["points"][0][1]
    last = data["curve"]["points"][-1][1]
    assert first < last  # the loss falls: the marker ends lower on the page
    assert errors == []
    context.close()


@needs_dot
def test_the_page_of_a_run_whose_loss_grew_carries_the_warning(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run(["(x - 3)^2", "--set", "x=0", "--lr", "1.5", "--steps", "30", "-o", "training.html"])
    assert result.exit_code == 0 and "Warning: the loss grew from 9 to 1.03763e19" in result.stderr
    page = (tmp_path / "training.html").read_text()
    assert "<li>warning: the loss grew from 9 to 1.03763e19 (it rose at every step since step 0)" in page
