"""Renderers: the derivation text, DOT and JSON for the seed example (golden) and their rules."""

import json
import math
import shutil

import pytest

from backprop.api import differentiate
from backprop.errors import RenderError
from backprop.render.dot import render_dot, run_dot
from backprop.render.export import json_document, render_json
from backprop.render.trace import render_trace

from conftest import SEED, SEED_VALUES


@pytest.fixture
def seed():
    return differentiate(SEED, SEED_VALUES)


def test_seed_derivation_golden(seed, golden):
    golden("seed_trace.txt", render_trace(seed))


def test_seed_derivation_ascii_golden(seed, golden):
    text = render_trace(seed, ascii=True)
    assert text.isascii()
    golden("seed_trace_ascii.txt", text)


def test_seed_dot_golden(seed, golden):
    golden("seed.dot", render_dot(seed))


def test_seed_ir_golden(seed, golden):
    golden("seed_ir.txt", str(seed.graph) + "\n")


def test_seed_derivation_has_the_pages_steps(seed):
    text = render_trace(seed)
    for line in [
        "L = ((a × b) + c) × f",
        "e = a × b = 2 × 3 = 6",
        "d = e + c = 6 + (-10) = -4",
        "L = d × f = (-4) × 5 = -20",
        "∂L/∂L = 1",
        "∂L/∂d = ∂L/∂L × ∂L/∂d = 1 × f = 1 × 5 = 5",
        "since L = d × f, ∂L/∂d = f",
        "∂L/∂e = ∂L/∂d × ∂d/∂e = 5 × 1 = 5",
        "∂L/∂a = ∂L/∂e × ∂e/∂a = 5 × b = 5 × 3 = 15",
        "∂L/∂b = ∂L/∂e × ∂e/∂b = 5 × a = 5 × 2 = 10",
    ]:
        assert line in text, line


def test_shared_node_shows_the_sum_over_paths():
    text = render_trace(differentiate("p = x*y; q = x + z; L = p*q", {"x": 2, "y": 3, "z": 1}))
    assert "∂L/∂x = ∂L/∂p·∂p/∂x + ∂L/∂q·∂q/∂x = 3 × y + 6 × 1 = 3 × 3 + 6 × 1 = 9 + 6 = 15" in text
    assert "x is used 2 times (by p, q)" in text


def test_kink_is_named_in_the_derivation():
    text = render_trace(differentiate("relu(x) * 2", {"x": 0}))
    assert "relu has a kink at 0" in text and "relu'(0) = 0" in text


def test_undefined_derivative_is_said_plainly():
    result = differentiate("sqrt(x) + x", {"x": 0})
    text = render_trace(result)
    assert "derivative does not exist" in text
    document = json_document(result)
    assert document["gradients"] == {"x": "inf"}
    json.loads(render_json(result))  # strict JSON parses


def test_json_has_exactly_the_documented_keys(seed):
    document = json.loads(render_json(seed))
    assert list(document) == ["output", "value", "inputs", "gradients", "nodes", "steps"]
    assert document["output"] == "L" and document["value"] == -20
    assert document["inputs"] == {"a": 2, "b": 3, "c": -10, "f": 5}
    assert document["gradients"] == {"a": 15, "b": 10, "c": 5, "f": -4}
    assert [n["name"] for n in document["nodes"]] == ["a", "b", "c", "f", "e", "d", "L"]
    assert document["nodes"][4] == {"id": 4, "name": "e", "op": "mul", "args": [0, 1], "value": 6, "grad": 5}
    phases = [s["phase"] for s in document["steps"]]
    assert phases == ["forward"] * 3 + ["backward"] * 7
    assert document["steps"][0]["text"] == "e = a × b = 2 × 3 = 6"


def test_json_never_writes_nan_or_infinity_literals():
    result = differentiate("pow(x, y)", {"x": -2, "y": 2})  # ∂/∂y is nan for x < 0
    text = render_json(result)
    assert "NaN" not in text and "Infinity" not in text
    assert json.loads(text)["gradients"]["y"] == "nan"


def test_dot_escapes_every_label():
    # Names can't carry markup (the grammar refuses it), but a title can: it must be escaped.
    result = differentiate("x*2", {"x": 1})
    dot = render_dot(result, title='<img src=x onerror="alert(1)"> & "q"')
    assert "<img" not in dot and "&lt;img" in dot and "&amp;" in dot


@pytest.mark.slow  # over half a second (the quick loop stays under a minute)
def test_big_graphs_are_drawn_in_part_with_a_summary():
    result = differentiate(" + ".join(f"tanh(x{i % 5})" for i in range(300)), {f"x{i}": 1 for i in range(5)})
    dot = render_dot(result, max_nodes=100)
    assert dot.count("shape=plain") <= 100 and "more operations" in dot and "--max-nodes 100" in dot
    assert f"v{result.graph.output} " in dot  # the output is always drawn
    assert all(f"v{i} " in dot for i in result.graph.inputs)  # and, when few, every input
    assert "hidden" not in render_dot(result, max_nodes=10_000)


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")
@pytest.mark.parametrize("fmt, magic", [("png", b"\x89PNG"), ("svg", b"<?xml"), ("pdf", b"%PDF")])
def test_images_render(seed, fmt, magic):
    assert run_dot(render_dot(seed), fmt).startswith(magic)


def test_missing_dot_is_a_clear_error(seed, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(RenderError, match="apt-get install graphviz"):
        run_dot(render_dot(seed), "png")


def test_rankdir_top_to_bottom(seed):
    assert "rankdir=TB" in render_dot(seed, rankdir="TB")


def test_numbers_are_formatted_once_for_all_outputs():
    result = differentiate("x/3", {"x": 1})
    assert "0.333333" in render_trace(result) and "0.333333" in render_dot(result)
    assert math.isclose(json_document(result)["value"], 1 / 3)


def test_readme_shows_the_real_seed_output(seed):
    from conftest import ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    command = '$ backprop "(a*b+c)*f" --set a=2 b=3 c=-10 f=5\n'
    start = readme.index(command) + len(command)
    end = readme.index("Diagram written to backprop.png", start)
    assert readme[start:end] == render_trace(seed)
