"""Diagrams for a classroom: operand marks, the automatic direction, clean SVG/PDF and --style edges."""

import re
import shutil

import pytest
from click.testing import CliRunner
from conftest import SEED, SEED_ARGS, SEED_VALUES

from backprop.api import differentiate
from backprop.cli import command
from backprop.errors import BackpropError
from backprop.parse import parse
from backprop.render.dot import OPERAND_MARKS, layout_size, render_dot, render_image, slide_scale

HAS_DOT = shutil.which("dot") is not None
needs_dot = pytest.mark.skipif(not HAS_DOT, reason="Graphviz is not installed")
TWO_LAYER = ("h1 = tanh(w11*x1 + w12*x2 + b1); h2 = tanh(w21*x1 + w22*x2 + b2); "
             "y = v1*h1 + v2*h2 + c; L = (y - t)^2")
TWO_LAYER_VALUES = {"x1": 1, "x2": -1, "w11": 0.5, "w12": -0.3, "b1": 0.1, "w21": -0.4, "w22": 0.8, "b2": 0,
                    "v1": 1.2, "v2": -0.7, "c": 0.05, "t": 1}


def rankdir(dot: str) -> str:
    return re.search(r"rankdir=(\w+)", dot).group(1)


# --- operand marks (issue 14, item 8)

def test_operand_marks_can_not_clash_with_variable_names():
    dot = render_dot(differentiate("(y - x)/x", {"x": 2, "y": 5}), rankdir="LR")
    labels = re.findall(r'(?:head|tail)label="([^"]*)"', dot)
    assert labels == ["①", "②", "①", "②"]  # y − x, then (y − x) / x
    assert 'taillabel="x"' not in dot and 'taillabel="y"' not in dot
    for mark in OPERAND_MARKS:  # the language refuses the marks as names
        with pytest.raises(BackpropError):
            parse(f"{mark} + 1")


def test_operand_marks_sit_at_the_operation_whichever_way_the_graph_runs():
    # At the small circle, away from the boxes' borders (a taillabel sat on them top-down).
    for direction in ("LR", "TB"):
        dot = render_dot(differentiate("a - b", {"a": 1, "b": 2}), rankdir=direction)
        assert dot.count("headlabel=") == 2 and "taillabel" not in dot


def test_commutative_operations_have_no_marks():
    assert "headlabel" not in render_dot(differentiate(SEED, SEED_VALUES))


# --- the direction (item 10)

@needs_dot
def test_a_graph_too_wide_for_a_slide_is_drawn_top_down():
    result = differentiate(TWO_LAYER, TWO_LAYER_VALUES)
    wide = render_dot(result, rankdir="LR")
    width, height = layout_size(wide)
    assert width > 4 * height  # the 9:1 strip of the issue
    auto = render_dot(result)
    assert rankdir(auto) == "TB"
    assert slide_scale(*layout_size(auto)) > slide_scale(width, height)  # bigger text on a slide


@needs_dot
def test_a_graph_that_fits_a_slide_stays_left_to_right():
    assert rankdir(render_dot(differentiate(SEED, SEED_VALUES))) == "LR"


def test_an_explicit_direction_is_kept():
    result = differentiate(TWO_LAYER, TWO_LAYER_VALUES)
    assert rankdir(render_dot(result, rankdir="LR")) == "LR"
    assert rankdir(render_dot(result, rankdir="tb")) == "TB"


@needs_dot
def test_the_command_line_chooses_the_direction_unless_told(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    args = [TWO_LAYER, "--set", *(f"{k}={v}" for k, v in TWO_LAYER_VALUES.items()), "--no-diagram"]
    runner = CliRunner()
    assert rankdir(runner.invoke(command, args + ["--format", "dot"]).stdout) == "TB"
    assert rankdir(runner.invoke(command, args + ["--format", "dot", "--rankdir", "LR"]).stdout) == "LR"


# --- SVG and PDF for slides (item 13)

@needs_dot
def test_svg_has_no_graphviz_tooltips():
    result = differentiate(SEED, SEED_VALUES)
    for svg in (render_image(result, "svg").decode("utf-8"), result._repr_svg_()):
        assert "<title>" not in svg and "v0-&gt;o4" not in svg
        assert svg.rstrip().endswith("</svg>") and "∂L/∂a = 15" in svg


@needs_dot
def test_pdf_has_no_margin_beyond_the_drawing():
    result = differentiate(SEED, SEED_VALUES)
    pdf = render_image(result, "pdf")
    box = [float(x) for x in re.search(rb"/MediaBox \[([^\]]*)\]", pdf).group(1).split()]
    width, height = layout_size(render_dot(result))
    # The page is the drawing and its own pad (0.3 in a side); Graphviz's default PDF margin
    # added another 36 points a side.
    pad = 2 * 0.3 * 72
    assert abs(box[2] - box[0] - width * 72 - pad) < 4 and abs(box[3] - box[1] - height * 72 - pad) < 4


# --- --style edges (Beyond)

def test_edge_style_has_operation_circles_as_its_only_drawn_nodes():
    dot = render_dot(differentiate(SEED, SEED_VALUES), style="edges", rankdir="LR")
    shapes = re.findall(r"\[id=\"[vo]\d+\", shape=(\w+)", dot)
    assert shapes.count("circle") == 3
    assert set(shapes) == {"circle", "plain"}
    assert 'BORDER="0"' in dot and 'BORDER="1"' not in dot  # labels, not boxes
    # value above the rule in blue, gradient below in vermillion
    assert re.search(r'#0072B2"><B>a = </B>2</FONT></TD></TR><HR/><TR><TD><FONT COLOR="#D55E00">15<', dot)
    assert re.search(r'#0072B2">6</FONT></TD></TR><HR/><TR><TD><FONT COLOR="#D55E00">5<', dot)  # e: no name
    assert "tailport=e" in dot and "headport=w" in dot  # the line runs through its label


def test_edge_style_top_down_puts_the_numbers_beside_the_line():
    dot = render_dot(differentiate(SEED, SEED_VALUES), style="edges", rankdir="TB")
    assert "<VR/>" in dot and "<HR/>" not in dot and "tailport=s" in dot
    assert "blue, left: value" in dot


def test_edge_style_constants_have_no_gradient():
    dot = render_dot(differentiate("exp(x)*y + 1/3", {"x": 0, "y": 2}), style="edges", rankdir="LR")
    label = re.search(r'label=<<TABLE[^\n]*0\.333333[^\n]*', dot).group(0)
    assert "#D55E00" not in label


def test_unknown_style_is_refused():
    with pytest.raises(ValueError):
        render_dot(differentiate(SEED, SEED_VALUES), style="bubbles")


@needs_dot
@pytest.mark.parametrize("extension", ["png", "svg", "pdf", "dot"])
def test_style_edges_on_the_command_line(extension, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(command, SEED_ARGS + ["--style", "edges", "-o", f"g.{extension}"])
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / f"g.{extension}").stat().st_size > 100


@pytest.mark.parametrize("extension", ["html", "gif"])
def test_style_edges_is_refused_where_it_can_not_be_drawn(extension, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(command, SEED_ARGS + ["--style", "edges", "-o", f"g.{extension}"])
    assert result.exit_code != 0
    assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1
    assert "--style" in result.stderr and f"g.{extension}" in result.stderr


def test_a_cut_diagram_says_what_it_shows(tmp_path):
    # --max-nodes 1 said "the 1 nodes nearest the output and the inputs" with no input drawn
    result = CliRunner().invoke(command, [*SEED_ARGS, "--max-nodes", "1", "-o", str(tmp_path / "cut.dot")])
    assert result.exit_code == 0, result.output
    assert "the diagram shows the node nearest the output (of 7 nodes)" in result.stderr
    assert "Showing the node nearest the output, of 7 (--max-nodes 1)" in (tmp_path / "cut.dot").read_text()
    wide = CliRunner().invoke(command, [*SEED_ARGS, "--max-nodes", "9", "-o", str(tmp_path / "wide.dot")])
    assert "the diagram shows the 6 nodes nearest the output (of 7 nodes)" in wide.stderr  # 4 inputs: not all drawn
    big = differentiate("L = " + " + ".join(f"w{i}*x" for i in range(30)), {"x": 1, **{f"w{i}": i for i in range(30)}})
    assert "nearest the output and the inputs, of" in render_dot(big, max_nodes=130)  # 31 inputs ≤ 130 // 4: drawn
