"""The GIF export: one frame per step plus step 0, frames that decode, a stable layout, --frame-ms."""

from __future__ import annotations

import io
import shutil

import pytest
from click.testing import CliRunner

from backprop import differentiate
from backprop.cli import command
from backprop.render.dot import render_dot, run_dot
from backprop.render.gif import (DEFAULT_FRAME_MS, HOLD_LAST, LONG_GIF_SECONDS, READ_CHARS, frame_dot,
                                 frame_durations, frame_viewports, gif_seconds, render_gif)
from backprop.render.stepper import stepper_view
from backprop.render.trace import step_texts

from conftest import SEED, SEED_ARGS, SEED_VALUES

Image = pytest.importorskip("PIL.Image")
pytestmark = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")


def frames_of(data: bytes):
    image = Image.open(io.BytesIO(data))
    frames = []
    for index in range(image.n_frames):
        image.seek(index)
        frames.append((image.convert("RGB"), image.info.get("duration")))
    return image, frames


@pytest.mark.slow  # over half a second (the quick loop stays under a minute)
def test_seed_gif_has_a_frame_per_step_plus_the_start():
    result = differentiate(SEED, SEED_VALUES)
    data = render_gif(result)
    assert data.startswith(b"GIF89a")
    image, frames = frames_of(data)
    assert image.n_frames == len(result.steps) + 1 == 11
    assert image.info.get("loop") == 0
    durations = [duration for _, duration in frames]
    assert durations == frame_durations([stepper_view(result)["start"], *step_texts(result)])
    assert durations[-1] == DEFAULT_FRAME_MS * HOLD_LAST
    assert gif_seconds(result) == sum(durations) / 1000
    width, height = image.size
    assert 640 <= width <= 1600 and 300 <= height <= 1200
    assert len(data) < 1_500_000
    # every frame decodes to a different picture: each step changes something
    pictures = [frame.tobytes() for frame, _ in frames]
    assert len(set(pictures)) == len(pictures)


def test_frames_only_change_colours_so_the_layout_holds():
    result = differentiate(SEED, SEED_VALUES)
    base = render_dot(result)

    def layout(k):
        plain = run_dot(frame_dot(result, base, k), "plain").decode()
        return [line.split()[:6] for line in plain.splitlines() if line.startswith(("node", "graph"))]

    assert layout(0) == layout(4) == layout(len(result.steps))


def test_frame_dot_hides_what_is_not_yet_known():
    result = differentiate(SEED, SEED_VALUES)
    base = render_dot(result)
    start, end = frame_dot(result, base, 0), frame_dot(result, base, len(result.steps))
    unknown = '<FONT COLOR="#57606A">?</FONT>'
    assert start.count(unknown) == 3 + 7  # e, d, L values; all 7 gradients: "?", as in the HTML stepper
    assert unknown not in end and ">6</FONT>" in end and "∂L/∂a = 15</FONT>" in end
    first = frame_dot(result, base, 1)  # e = a × b
    assert 'id="o4", shape=circle, style=filled, fillcolor="#0072B2"' in first
    assert 'id="v0_o4_0", color="#0072B2", penwidth=3' in first


@pytest.mark.slow  # over half a second (the quick loop stays under a minute)
def test_cli_writes_gif_with_frame_ms(tmp_path):
    target = tmp_path / "steps.gif"
    result = CliRunner().invoke(command, SEED_ARGS + ["-o", str(target), "--frame-ms", "500"])
    assert result.exit_code == 0, result.output
    assert f"Animation written to {target}" in result.stderr
    image, frames = frames_of(target.read_bytes())
    assert image.n_frames == 11
    durations = [duration for _, duration in frames]
    assert durations == frame_durations([stepper_view(differentiate(SEED, SEED_VALUES))["start"],
                                         *step_texts(differentiate(SEED, SEED_VALUES))], 500)
    assert all(duration < DEFAULT_FRAME_MS for duration in durations[:-1])


def test_frame_ms_is_checked(tmp_path):
    result = CliRunner().invoke(command, SEED_ARGS + ["-o", str(tmp_path / "steps.gif"), "--frame-ms", "0"])
    assert result.exit_code == 2 and result.stderr.startswith("Error")


def test_output_that_is_an_input_gives_one_step():
    result = differentiate("x", {"x": 3})
    image, _ = frames_of(render_gif(result, frame_ms=100))
    assert image.n_frames == len(result.steps) + 1 == 2


def test_a_gif_with_too_many_frames_is_refused_clearly():
    from backprop.api import differentiate
    from backprop.errors import RenderError
    from backprop.render.gif import MAX_FRAMES, render_gif

    result = differentiate(" + ".join(f"x{i % 3}" for i in range(MAX_FRAMES)), {"x0": 1, "x1": 2, "x2": 3})
    with pytest.raises(RenderError, match="-o graph.html"):
        render_gif(result)


# --- issue 14, item 11: reading time, long animations, zoom

def test_a_frame_shows_for_a_time_that_grows_with_its_text():
    short, line, sum_of_five = "∂L/∂L = 1", "x" * READ_CHARS, "y" * (READ_CHARS * 3)
    durations = frame_durations([short, line, sum_of_five, "end"], 1000)
    assert durations[0] < durations[1] == 1000 < durations[2] == 3000
    assert durations[-1] == 1000 * HOLD_LAST


def test_a_long_animation_is_announced(tmp_path, monkeypatch):
    monkeypatch.setattr("backprop.render.gif.render_gif", lambda result, **options: b"GIF89a")
    program = " + ".join(f"sin(x{i})" for i in range(12))
    values = [f"x{i}=0.{i}" for i in range(12)]
    result = CliRunner().invoke(command, [program, "--set", *values, "-o", str(tmp_path / "g.gif"),
                                          "--no-diagram"])
    assert result.exit_code == 0, result.stderr
    assert gif_seconds(differentiate(program, {f"x{i}": i / 10 for i in range(12)})) > LONG_GIF_SECONDS
    assert "Note: the animation runs 1 min" in result.stderr or "Note: the animation runs " in result.stderr
    assert "--frame-ms" in result.stderr
    quiet = CliRunner().invoke(command, SEED_ARGS + ["-o", str(tmp_path / "s.gif")])
    assert "animation runs" not in quiet.stderr


def test_small_graphs_are_shown_whole_in_every_frame():
    result = differentiate(SEED, SEED_VALUES)
    assert frame_viewports(result, render_dot(result), stepper_view(result)) == [None] * 11


def test_big_graphs_zoom_to_the_step_and_show_the_whole_graph_first_and_last():
    terms = [f"tanh(w{i}*x{i} + b{i})" for i in range(6)]
    result = differentiate("(" + " + ".join(terms) + " - t)^2",
                           {**{f"w{i}": 0.1 * i for i in range(6)}, **{f"x{i}": 1 for i in range(6)},
                            **{f"b{i}": 0 for i in range(6)}, "t": 1})
    base = render_dot(result, rankdir="LR")
    view = stepper_view(result)
    ports = frame_viewports(result, base, view)
    assert ports[0] == ports[-1] and ports[0] is not None
    zooms = [float(port.split(",")[2]) for port in ports]
    assert all(zoom > zooms[0] for zoom in zooms[1:-1])  # every step is shown larger than the overview
    # The step's own node lies inside its frame's viewport.
    plain = run_dot(frame_dot(result, base, 0, view), "plain").decode()
    where = {line.split()[1]: (float(line.split()[2]) * 72, float(line.split()[3]) * 72)
             for line in plain.splitlines() if line.startswith("node ")}
    for k in (1, len(result.steps) // 2, len(result.steps)):
        width, height, zoom, cx, cy = (float(x) for x in ports[k].split(","))
        x, y = where[f"v{result.steps[k - 1].node}"]
        assert abs(x - cx) <= width / zoom / 2 and abs(y - cy) <= height / zoom / 2
    frame = run_dot(frame_dot(result, base, 3, view, viewport=ports[3]), "png")
    picture = Image.open(io.BytesIO(frame))
    assert picture.size == (1600, 900)


@pytest.mark.parametrize("source, values", [
    ("tanh(w*x - 1234.56789) * exp(x/7)", {"w": -0.123456, "x": 2.5}),
    ("h1 = tanh(w11*x1 + b1); L = (h1 - t)^2 / 3", {"w11": -0.3, "x1": 1.7, "b1": 0.01, "t": 0.25}),
])
def test_the_question_marks_keep_the_layout_of_long_numbers(source, values):
    # "?" is narrower than "-0.123456": each cell keeps one width in every frame.
    result = differentiate(source, values)
    base = render_dot(result)
    view = stepper_view(result)

    def layout(k):
        plain = run_dot(frame_dot(result, base, k, view), "plain").decode()
        return [line.split()[:6] for line in plain.splitlines() if line.startswith(("node", "graph"))]

    assert layout(0) == layout(len(result.steps) // 2) == layout(len(result.steps))


@pytest.mark.slow  # over half a second (the quick loop stays under a minute)
def test_the_page_stays_white():
    image, frames = frames_of(render_gif(differentiate(SEED, SEED_VALUES), frame_ms=100))
    assert all(frame.getpixel((3, 3)) == (255, 255, 255) for frame, _ in frames)
