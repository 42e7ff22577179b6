"""Jupyter: a Result's display methods, and docs/notebook.ipynb executed end to end."""

import os
import shutil

import pytest

from backprop.api import differentiate

from conftest import ROOT, SEED, SEED_VALUES

HAS_DOT = shutil.which("dot") is not None


@pytest.fixture
def seed():
    return differentiate(SEED, SEED_VALUES)


def test_repr_markdown_is_the_markdown_derivation(seed):
    assert seed._repr_markdown_() == seed.derivation("markdown")
    assert "$e = a \\times b = 2 \\times 3 = 6$" in seed._repr_markdown_()


@pytest.mark.skipif(not HAS_DOT, reason="Graphviz is not installed")
def test_repr_svg_and_html_show_the_diagram(seed):
    svg = seed._repr_svg_()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg and "∂L/∂a = 15" in svg
    page = seed._repr_html_()
    assert "<svg" in page and "15" in page


def test_reprs_degrade_without_graphviz(seed, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setattr("backprop.render.graphviz_program.find_pure", lambda: None)  # nor graphviz-pure
    assert seed._repr_svg_() is None  # Jupyter then falls back to another format
    page = seed._repr_html_()
    assert "<table" in page and "<td>a</td>" in page and "<svg" not in page


def test_derivation_formats_to_dot_and_save(seed, tmp_path):
    for fmt in ("text", "ascii", "markdown", "latex"):
        assert "15" in seed.derivation(fmt)
    assert seed.to_dot().startswith("digraph") and "∂L/∂b" not in seed.to_dot(wrt=["a"])
    assert seed.save(tmp_path / "g.dot").read_text() == seed.to_dot()
    with pytest.raises(ValueError):
        seed.derivation("rtf")


@pytest.mark.skipif(not HAS_DOT, reason="Graphviz is not installed")
@pytest.mark.slow  # over half a second (the quick loop stays under a minute)
def test_notebook_runs_and_displays_the_diagram(monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    # The kernel is a new process: point it at this checkout's sources.
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]))
    notebook = nbformat.read(ROOT / "docs" / "notebook.ipynb", as_version=4)
    nbclient.NotebookClient(notebook, timeout=60, kernel_name="python3", resources={"metadata": {"path": str(ROOT / "docs")}}).execute()
    outputs = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    bundles = [o.get("data", {}) for o in outputs]
    first = bundles[0]  # the bare `result`
    assert {"text/html", "image/svg+xml", "text/markdown"} <= set(first)
    assert any("<svg" in b.get("image/svg+xml", "") for b in bundles)
    assert any("\\frac{\\partial L}{\\partial a}" in b.get("text/markdown", "") for b in bundles)
    assert any("5 of 5 gradients agree" in o.get("text", "") for o in outputs)
