"""The stepper's views from issue 10: forward mode as a third phase (--mode forward), the cost
lines (--cost), and sums over paths whose terms light their path (--paths)."""

from __future__ import annotations

import re
import shutil

import pytest
from click.testing import CliRunner

from backprop import differentiate
from backprop.cli import command
from backprop.render.modes_views import modes_text
from backprop.render.stepper import render_html
from backprop.render.stepper_modes import path_view, tangent_phase

from conftest import SEED, SEED_ARGS, SEED_VALUES
from test_stepper import open_page, page_data, state  # noqa: F401  (fixtures)

pytestmark = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")

XY = ("x*y + x", {"x": 3, "y": 2})  # the paths of x: y × 1 and 1


def test_tangent_phase_says_what_the_text_derivation_says():
    result = differentiate(SEED, SEED_VALUES)
    phase = tangent_phase(result, len(result.steps) + 1)
    text = "\n".join(modes_text(result, mode="forward"))
    for step in phase["steps"]:
        for line in step["text"].split("\n"):
            assert line.strip() in text, line  # the same words, from the same writer
    sweeps = [s["text"] for s in phase["steps"] if s["text"].startswith("so ")]
    assert sweeps == ["so ∂L/∂a = L̇ = 15   (reverse mode: 15 ✓)", "so ∂L/∂b = L̇ = 10   (reverse mode: 10 ✓)",
                      "so ∂L/∂c = L̇ = 5   (reverse mode: 5 ✓)", "so ∂L/∂f = L̇ = -4   (reverse mode: -4 ✓)"]
    assert phase["steps"][-1]["text"].splitlines()[-2:] == [
        "  forward mode: 4 sweeps, 24 multiplications, 12 additions",
        "  reverse mode: 1 sweep, 6 multiplications, 0 additions: one backward pass computes all 4 gradients"]
    # each tangent step names the node it computes and the edges its tangent arrives along
    graph = result.graph
    first = next(s for s in phase["steps"] if s["text"].startswith("e\u0307 ="))
    assert first["node"] == 4 and first["edges"] == ["v0_o4_0", "o4_v4"] and first["operands"] == ["v0"]
    assert {cell["text"] for cell in phase["cells"].values()} == {"15", "10", "5", "-4"}
    assert set(phase["cells"]) == set(graph.inputs)


def test_many_inputs_show_ten_sweeps_and_say_so():
    source = " + ".join(f"x{i}*x{i}" for i in range(14))
    result = differentiate(source, {f"x{i}": i for i in range(14)})
    phase = tangent_phase(result, len(result.steps) + 1)
    assert sum(s["text"].startswith("Sweep ") for s in phase["steps"]) == 10
    assert "4 more sweeps not printed" in phase["steps"][-1]["text"]
    assert "first 10 sweeps of 14" in phase["note"]
    assert phase["cells"][result.graph.inputs[13]]["text"] == "26"  # run, not printed: it still fills in


def test_path_view_names_the_edges_of_each_path():
    result = differentiate(*XY)
    view = path_view(result, 50)
    x = view["inputs"][0]
    assert x["gradient"] == "∂L/∂x" and x["count"] == 2 and x["total"] == "sum = 2 + 1 = 3 = ∂L/∂x ✓"
    product, direct = x["rows"]
    mul, out = result.graph.nodes[2], result.graph.output  # a = x × y, then L = a + x
    assert product["route"] == "x → a → L" and product["edges"] == ["v0_o2_0", "o2_v2", "v2_o3_0", "o3_v3"]
    assert direct["route"] == "x → L" and direct["edges"] == ["v0_o3_1", "o3_v3"]
    assert product["nodes"] == ["v0", "o2", "v2", "o3", "v3"] and (mul.id, out) == (2, 3)
    page = render_html(result, paths=True)
    ids = set(re.findall(r'<g id="([^"]+)"', page))
    assert set(product["edges"] + direct["edges"] + product["nodes"]) <= ids


def test_cli_accepts_forward_mode_and_paths_for_html(tmp_path):
    target = tmp_path / "modes.html"
    result = CliRunner().invoke(command, SEED_ARGS + ["--mode", "forward", "--cost", "--paths", "--max-paths", "3",
                                                      "--no-diagram", "-o", str(target)])
    assert result.exit_code == 0, result.output
    page = target.read_text(encoding="utf-8")
    data = page_data(page)
    assert len(data["view"]["tangent"]["steps"]) == 18  # 4 sweeps: seed, steps, result; then the cost
    assert 'class="bp-path-term"' in page and "Sums over paths" in page
    assert "L\u0307 (forward mode)" in page


@pytest.mark.slow
def test_forward_mode_plays_as_a_third_phase(open_page):
    page = open_page(SEED, SEED_VALUES, mode="forward")
    assert state(page)["counter"] == "Step 0 / 28"
    page.keyboard.press("End")
    cells = page.eval_on_selector_all("#bp-table tbody tr", """rows => rows.map(r =>
        Array.from(r.querySelectorAll('td')).map(c => c.textContent))""")
    assert cells[:4] == [["2", "15", "15"], ["3", "10", "10"], ["-10", "5", "5"], ["5", "-4", "-4"]]
    assert "one backward pass computes all 4 gradients" in state(page)["text"]
    for _ in range(18):
        page.keyboard.press("ArrowLeft")
    now = state(page)
    assert now["counter"] == "Step 10 / 28"  # the last backward step
    page.keyboard.press("ArrowRight")  # sweep 1: ȧ = 1
    assert state(page)["text"].startswith("Sweep 1 of 4, for a: a\u0307 = 1, b\u0307 = 0")
    assert page.text_content("#bp-phase") == "Forward mode · step 1 of 18"
    page.keyboard.press("ArrowRight")  # ė = ȧ × b + a × ḃ
    assert state(page)["current"] == ["v4"]
    lit = page.eval_on_selector_all(".bp-flow-tan", "els => els.map(e => e.id).sort()")
    assert lit == ["o4_v4", "v0_o4_0"]  # the tangent arrives from a only: b's is 0 in this sweep
    assert page.eval_on_selector_all(".bp-fed", "els => els.map(e => e.id).sort()") == ["v0", "v4"]
    tangent_cell = "#bp-table tbody tr:first-child .bp-cell-tangent"
    assert page.text_content(tangent_cell) == "?"
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    assert state(page)["text"] == "so ∂L/∂a = L̇ = 15   (reverse mode: 15 ✓)"
    assert page.text_content(tangent_cell) == "15"  # filled in when its sweep ends
    colour = page.eval_on_selector("#v6 .bp-border", "e => getComputedStyle(e).stroke")
    assert colour == "rgb(0, 121, 90)"  # the tangent's colour, not the value's or the gradient's


@pytest.mark.slow
def test_a_path_term_lights_its_path(open_page):
    page = open_page(*XY, paths=True)
    terms = page.locator(".bp-path-term")
    assert terms.count() == 3  # x: two paths, y: one
    lit = "() => Array.from(document.querySelector('[data-bp-stepper]').shadowRoot" \
          ".querySelectorAll('.bp-path-edge')).map(e => e.id).sort()"
    terms.nth(0).hover()
    assert page.evaluate(lit) == ["o2_v2", "o3_v3", "v0_o2_0", "v2_o3_0"]
    terms.nth(1).hover()
    assert page.evaluate(lit) == ["o3_v3", "v0_o3_1"]
    page.mouse.move(0, 0)
    assert page.evaluate(lit) == []
    terms.nth(0).click()  # chosen: it stays lit without the pointer
    page.mouse.move(0, 0)
    assert terms.nth(0).get_attribute("aria-pressed") == "true"
    assert page.evaluate(lit) == ["o2_v2", "o3_v3", "v0_o2_0", "v2_o3_0"]
    page.keyboard.press("ArrowRight")  # stepping keeps the chosen path and lights the step too
    assert page.evaluate(lit) == ["o2_v2", "o3_v3", "v0_o2_0", "v2_o3_0"]
    assert state(page)["counter"].startswith("Step 1 / ")
    terms.nth(0).click()  # chosen again: let go
    page.mouse.move(0, 0)
    assert terms.nth(0).get_attribute("aria-pressed") == "false" and page.evaluate(lit) == []
    terms.nth(2).focus()  # the keyboard reaches the terms too
    assert page.evaluate(lit) == ["o2_v2", "o3_v3", "v1_o2_1", "v2_o3_0"]
    width = page.eval_on_selector("#v0_o2_0 path", "e => getComputedStyle(e).strokeWidth")
    assert width == "1px" or float(width.rstrip("px")) < 4  # not lit: only the focused path is


@pytest.mark.slow
def test_a_contribution_of_a_backward_step_lights_its_edges(open_page):
    from test_stepper import SHARED
    from backprop.render.export import json_document

    steps = json_document(differentiate(*SHARED))["steps"]
    k = next(i for i, s in enumerate(steps, start=1) if s["phase"] == "backward" and s["node"] == 0)
    page = open_page(*SHARED)
    for _ in range(k):
        page.keyboard.press("ArrowRight")
    lit = "() => Array.from(document.querySelector('[data-bp-stepper]').shadowRoot" \
          ".querySelectorAll('.bp-path-edge')).map(e => e.id).sort()"
    page.locator("#bp-paths li").nth(2).hover()  # via the sine
    assert page.evaluate(lit) == ["o3_v3", "v0_o3_0"]
    page.locator("#bp-paths li").nth(1).hover()  # the second operand of x*x
    assert page.evaluate(lit) == ["o2_v2", "v0_o2_1"]
    page.mouse.move(0, 0)
    assert page.evaluate(lit) == []
