"""The GIF export: one frame per step plus step 0, frames that decode, a stable layout, --frame-ms."""

from __future__ import annotations

import io
import shutil

import pytest
from click.testing import CliRunner

from backprop import differentiate
from backprop.cli import command
from backprop.render.dot import render_dot, run_dot
from backprop.render.gif import DEFAULT_FRAME_MS, HOLD_LAST, frame_dot, render_gif

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


def test_seed_gif_has_a_frame_per_step_plus_the_start():
    result = differentiate(SEED, SEED_VALUES)
    data = render_gif(result)
    assert data.startswith(b"GIF89a")
    image, frames = frames_of(data)
    assert image.n_frames == len(result.steps) + 1 == 11
    assert image.info.get("loop") == 0
    assert [duration for _, duration in frames] == [DEFAULT_FRAME_MS] * 10 + [DEFAULT_FRAME_MS * HOLD_LAST]
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
    assert start.count('<FONT COLOR="#FFFFFF00">') == 3 + 7  # e, d, L values; all 7 gradients
    assert "#FFFFFF00" not in end
    first = frame_dot(result, base, 1)  # e = a × b
    assert 'id="o4", shape=circle, style=filled, fillcolor="#0072B2"' in first
    assert 'id="v0_o4_0", color="#0072B2", penwidth=3' in first


def test_cli_writes_gif_with_frame_ms(tmp_path):
    target = tmp_path / "steps.gif"
    result = CliRunner().invoke(command, SEED_ARGS + ["-o", str(target), "--frame-ms", "500"])
    assert result.exit_code == 0, result.output
    assert f"Animation written to {target}" in result.stderr
    image, frames = frames_of(target.read_bytes())
    assert image.n_frames == 11
    assert [duration for _, duration in frames][:3] == [500, 500, 500]


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
