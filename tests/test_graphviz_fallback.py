"""Diagrams on a machine without Graphviz: graphviz-pure draws SVG and the HTML stepper.

CI installs Graphviz, so these tests take dot away: a subprocess whose PATH has no dot (the
fallback is found beside this Python), or BACKPROP_GRAPHVIZ=graphviz-pure.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from backprop.api import differentiate
from backprop.errors import RenderError
from backprop.render import graphviz_program
from backprop.render.dot import FONT, render_dot, run_dot

ROOT = Path(__file__).resolve().parents[1]
SEED = ["(a*b+c)*f", "--set", "a=2", "b=3", "c=-10", "f=5"]
PURE = graphviz_program.find_pure()
needs_pure = pytest.mark.skipif(PURE is None, reason="graphviz-pure is not installed (the test extra installs it)")


def without_dot(tmp_path: Path, *args: str, **environment: str) -> subprocess.CompletedProcess:
    """backprop ARGS in a process whose PATH has no Graphviz (nor anything else)."""
    empty = tmp_path / "empty-path"
    empty.mkdir(exist_ok=True)
    env = {"PATH": str(empty), "PYTHONPATH": str(ROOT / "src"), "LANG": "C.UTF-8", **environment}
    return subprocess.run([sys.executable, "-m", "backprop", *args], env=env, capture_output=True, text=True,
                          cwd=tmp_path, timeout=120)


def one_line_error(completed: subprocess.CompletedProcess, *fragments: str) -> str:
    assert completed.returncode != 0
    lines = completed.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), completed.stderr
    assert "Traceback" not in completed.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


# Which program draws what

def test_dot_first_then_graphviz_pure_for_svg_and_plain_only(monkeypatch):
    monkeypatch.delenv(graphviz_program.ENVIRONMENT, raising=False)
    monkeypatch.setattr(graphviz_program, "find_pure", lambda: "/opt/gp/graphviz-pure")
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: "/usr/bin/dot" if name == "dot" else None)
    assert graphviz_program.program("png") == ("dot", "/usr/bin/dot")
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None)
    assert graphviz_program.program("svg") == ("graphviz-pure", "/opt/gp/graphviz-pure")
    assert graphviz_program.program("plain") == ("graphviz-pure", "/opt/gp/graphviz-pure")
    assert graphviz_program.program("png") is None and graphviz_program.program("pdf") is None


def test_the_environment_variable_picks_one(monkeypatch):
    monkeypatch.setattr(graphviz_program, "find_pure", lambda: "/opt/gp/graphviz-pure")
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: "/usr/bin/dot" if name == "dot" else None)
    monkeypatch.setenv("BACKPROP_GRAPHVIZ", "graphviz-pure")
    assert graphviz_program.program("svg") == ("graphviz-pure", "/opt/gp/graphviz-pure")
    assert graphviz_program.program("png") is None  # asked for graphviz-pure, which draws no PNG
    monkeypatch.setenv("BACKPROP_GRAPHVIZ", "dot")
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None)
    assert graphviz_program.program("svg") is None  # asked for dot, which is missing: no silent fallback
    monkeypatch.setenv("BACKPROP_GRAPHVIZ", "neato")
    with pytest.raises(RenderError, match="BACKPROP_GRAPHVIZ=neato: use dot or graphviz-pure"):
        graphviz_program.program("svg")


def test_found_beside_this_python_when_the_environment_is_not_activated(monkeypatch, tmp_path):
    scripts = tmp_path / "bin"
    scripts.mkdir()
    program = scripts / "graphviz-pure"
    program.write_text("#!/bin/sh\n")
    program.chmod(0o755)
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None)
    monkeypatch.setattr("sysconfig.get_path", lambda name, *a, **k: str(scripts))
    assert graphviz_program.find_pure() == str(program)
    program.chmod(0o644)  # not executable: not a program
    assert graphviz_program.find_pure() is None


# The CLI with no dot on PATH

@needs_pure
def test_svg_without_dot(tmp_path):
    completed = without_dot(tmp_path, *SEED, "-o", "g.svg")
    assert completed.returncode == 0, completed.stderr
    svg = (tmp_path / "g.svg").read_text(encoding="utf-8")
    assert "graphviz-pure" in svg  # drawn by the fallback, not by a dot found somewhere
    for label in ("∂L/∂a = 15", "∂L/∂b = 10", "&#45;20", "∂L/∂L = 1"):
        assert label in svg
    families = set(re.findall(r'font-family="([^"]*)"', svg))
    assert families == {FONT}  # laid out with DejaVu Sans's widths, drawn with our font list as dot's SVG is
    assert "<title>" not in svg  # no tooltips such as "v0->o4", as with dot


@needs_pure
def test_html_stepper_without_dot(tmp_path):
    completed = without_dot(tmp_path, *SEED, "-o", "g.html")
    assert completed.returncode == 0, completed.stderr
    page = (tmp_path / "g.html").read_text(encoding="utf-8")
    assert 'class="bp-svg"' in page and page.count("node bp-value") == 7 and page.count("node bp-op") == 3


@pytest.mark.parametrize("suffix", ["png", "pdf", "gif"])
@needs_pure
def test_png_pdf_and_gif_without_dot_refuse_in_one_line(tmp_path, suffix):
    completed = without_dot(tmp_path, *SEED, "-o", f"g.{suffix}")
    one_line_error(completed, "Graphviz's 'dot' program is needed for -o g.", "graphviz-pure draws SVG and the HTML "
                   "stepper only", "apt-get install graphviz")
    assert not (tmp_path / f"g.{suffix}").exists()


def test_nothing_to_draw_with_says_both_ways(tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None)
    monkeypatch.setattr(graphviz_program, "find_pure", lambda: None)
    with pytest.raises(RenderError) as raised:
        run_dot("digraph { a -> b }", "svg")
    message = str(raised.value)
    assert "apt-get install graphviz" in message and "pip install 'backprop[graphviz-pure]'" in message
    assert "\n" not in message


@needs_pure
def test_default_diagram_without_dot_is_only_a_warning(tmp_path):
    completed = without_dot(tmp_path, *SEED)  # backprop.png by default: PNG needs dot
    assert completed.returncode == 0 and "∂L/∂a" in completed.stdout
    assert "Warning: no diagram written" in completed.stderr


# The drawing itself

@needs_pure
@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed (to compare with)")
def test_same_nodes_and_edges_as_dot(monkeypatch):
    source = render_dot(differentiate("h = tanh(w*x + b); L = (h - t)^2", {"w": 0.5, "x": 2, "b": 0.1, "t": 1}),
                        rankdir="LR")
    by_dot = run_dot(source, "svg").decode("utf-8")
    monkeypatch.setenv("BACKPROP_GRAPHVIZ", "graphviz-pure")
    by_pure = run_dot(source, "svg").decode("utf-8")

    def parts(svg: str) -> tuple[list, list]:
        return (sorted(re.findall(r'<g id="([^"]+)" class="node"', svg)),
                sorted(re.findall(r'<g id="([^"]+)" class="edge"', svg)))

    assert parts(by_pure) == parts(by_dot) and len(parts(by_dot)[0]) == 15
    for label in ("∂L/∂w", "∂L/∂x", "①", "②"):
        assert by_pure.count(label) == by_dot.count(label) > 0


@needs_pure
def test_a_slow_graphviz_pure_is_stopped(tmp_path, monkeypatch):
    slow = tmp_path / "graphviz-pure"
    slow.write_text("#!/bin/sh\nexec sleep 30\n")
    slow.chmod(0o755)
    monkeypatch.setattr(graphviz_program, "find_pure", lambda: str(slow))
    monkeypatch.setenv("BACKPROP_GRAPHVIZ", "graphviz-pure")
    with pytest.raises(RenderError, match=r"^graphviz-pure took longer than 0.2 s and was stopped; write DOT"):
        run_dot("digraph { a -> b }", "svg", timeout=0.2)


@needs_pure
def test_a_failing_graphviz_pure_says_why(monkeypatch):
    monkeypatch.setenv("BACKPROP_GRAPHVIZ", "graphviz-pure")
    with pytest.raises(RenderError, match=r"^graphviz-pure failed: .*syntax error"):
        run_dot("digraph { a -> ", "svg")


# In a real browser

@needs_pure
def test_stepper_without_dot_shows_the_graph_in_chromium(browser, tmp_path):
    two_layer = ["h1 = tanh(w11*x1 + w12*x2 + b1); h2 = tanh(w21*x1 + w22*x2 + b2); y = v1*h1 + v2*h2 + c; "
                 "L = (y - t)^2", "--set", "x1=1", "x2=-1", "w11=0.5", "w12=-0.3", "b1=0.1", "w21=-0.4",
                 "w22=0.8", "b2=0", "v1=1.2", "v2=-0.7", "c=0.05", "t=1"]
    completed = without_dot(tmp_path, *two_layer, "-o", "g.html")
    assert completed.returncode == 0, completed.stderr
    context = browser.new_context(viewport={"width": 1280, "height": 900}, offline=True, reduced_motion="reduce")
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto((tmp_path / "g.html").as_uri())
    page.keyboard.press("End")
    drawn = page.evaluate("""() => {
        const root = document.querySelector('[data-bp-stepper]').shadowRoot;
        const svg = root.querySelector('svg.bp-svg'), box = svg.getBoundingClientRect();
        const overflow = [];
        for (const node of root.querySelectorAll('svg g.bp-value:not(.bp-const)')) {
            const outline = node.querySelector('path').getBBox();
            for (const text of node.querySelectorAll('text')) {
                const b = text.getBBox();
                if (b.width && (b.x < outline.x - 1 || b.x + b.width > outline.x + outline.width + 1))
                    overflow.push(node.id + ': ' + text.textContent);
            }
        }
        return {width: box.width, height: box.height, values: root.querySelectorAll('svg g.bp-value').length,
                text: svg.textContent, overflow};
    }""")
    context.close()
    assert errors == []
    assert drawn["width"] > 300 and drawn["height"] > 300
    assert drawn["values"] == 29  # 12 inputs, the constant 2 and 16 operations
    assert "∂L/∂w11 = 0.576256" in drawn["text"] and "∂L/∂h2 = -0.690362" in drawn["text"]
    assert drawn["overflow"] == []  # every number inside its box, in the font the browser really uses


@pytest.mark.parametrize("program, values", [
    ("(a*b+c)*f", {"a": 2, "b": 3, "c": -10, "f": 5}),
    ("L = sum((X @ w - y)^2)", {"X": "[[1, 2], [3, 4]]", "w": "[0.5, -1]", "y": "[1, 2]"}),  # the array diagrams
])
def test_graphviz_pure_measures_every_diagram_in_dejavu_sans(program, values):
    if "@" in program:
        pytest.importorskip("numpy")
    source = differentiate(program, values).to_dot()
    laid_out, font = graphviz_program.for_layout(graphviz_program.PURE, source)
    assert font is not None and f'fontname="{font}"' not in laid_out  # a font its width tables miss or
    assert 'fontname="DejaVu Sans"' in laid_out  # that a browser draws wider: measured as DejaVu Sans
    svg = b'<text font-family="DejaVu Sans">x</text>'
    assert graphviz_program.from_layout("svg", svg, font) == f'<text font-family="{font}">x</text>'.encode()
    assert graphviz_program.for_layout(graphviz_program.DOT, source) == (source, None)  # dot measures real fonts
