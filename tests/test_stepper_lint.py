"""The stepper's lint section (issue 10): the findings the text derivation prints, each a button
that lights its node (and a vanishing/exploding product's path) in the graph; and the gate
phrases of the backward steps in the step text."""

from __future__ import annotations

import re
import shutil

import pytest
from click.testing import CliRunner

from backprop import differentiate
from backprop.cli import command
from backprop.render.lint_views import lint_text
from backprop.render.stepper import render_html
from backprop.render.stepper_lint import lint_view

from conftest import SEED, SEED_VALUES
from test_stepper import open_page, page_data, state  # noqa: F401  (fixtures)

pytestmark = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")

DEAD = ("relu(w*x)", {"w": -1, "x": 2})  # a dead relu, and zero gradients for w and x
CLEAN = ("a*b", {"a": 1, "b": 2})  # nothing to find
RECURRENCE = ("h = w*x; h = w*h; h = w*h; h = w*h; h = w*h; h = w*h; h = w*h; h = w*h; h = w*h; h = w*h; L = h",
              {"w": 5, "x": 1})  # exploding products, ten edges long
LIT = ("() => { const root = document.querySelector('[data-bp-stepper]').shadowRoot;"
       " return { edges: Array.from(root.querySelectorAll('.bp-lint-edge')).map(e => e.id).sort(),"
       " nodes: Array.from(root.querySelectorAll('.bp-lint-node')).map(e => e.id).sort() }; }")


def svg_ids(page: str) -> set[str]:
    drawing = page[page.index("<svg"):page.index("</svg>")]  # the first drawing: the one shown
    return set(re.findall(r'\bid="([^"]+)"', drawing))


# ---- the page as text ----------------------------------------------------------------------

def test_the_section_says_what_the_text_derivation_says():
    result = differentiate(*DEAD)
    view = lint_view(result)
    text = lint_text(result)
    assert text[1] == view["header"] == "Lint: 3 findings about the gradient flow"
    assert [f["kind"] for f in view["findings"]] == ["dead-relu", "zero-gradient", "zero-gradient"]
    for number, finding in enumerate(view["findings"], start=1):
        printed = next(line for line in text if line.startswith(f"  {number}. "))
        assert printed == f"  {number}. {finding['title']}: {finding['message']}"
    assert view["findings"][0]["pointer"] == ["relu(w*x)", "^^^^^^^^^"]  # the caret under the node's span
    assert view["findings"][0]["nodes"] == ["v3", "o3"] and view["findings"][1]["nodes"] == ["v0"]


def test_the_section_shows_when_the_derivation_would_print_it():
    assert lint_view(differentiate(*CLEAN)) is None  # nothing found, no --lint: no section
    page = render_html(differentiate(*CLEAN))
    assert 'class="bp-path-term bp-lint-finding"' not in page and 'class="bp-all bp-lint"' not in page
    always = render_html(differentiate(*CLEAN), lint=True)
    assert 'class="bp-all bp-lint"' in always and "Lint: nothing found; checked: saturated tanh/sigmoid" in always
    found = render_html(differentiate(*DEAD))  # something found: shown without --lint too
    assert found.count('<button type="button" class="bp-path-term bp-lint-finding"') == 3
    assert "relu(w × x) is dead: its input is -2 ≤ 0" in found


def test_every_lit_id_is_drawn_and_a_long_product_lights_its_path():
    result = differentiate(*RECURRENCE)
    page = render_html(result, lint=True)
    drawn = svg_ids(page)
    view = lint_view(result)
    assert [f["kind"] for f in view["findings"]] == ["exploding", "exploding"]
    for finding in view["findings"]:
        assert len(finding["edges"]) == 20  # ten multiplications: into each and out of it
        assert set(finding["edges"]) | set(finding["nodes"]) <= drawn
    assert view["findings"][0]["edges"][:2] == ["v0_o2_0", "o2_v2"]  # from w, along the product, to L
    assert view["findings"][1]["nodes"][0] == "v1"  # x
    for program in (DEAD, ("exp(100) + 2", {}), ("sigmoid(20*x)", {"x": 1})):
        result = differentiate(*program)
        drawn = svg_ids(render_html(result))
        for finding in lint_view(result)["findings"]:
            assert finding["nodes"] and set(finding["nodes"]) | set(finding["edges"]) <= drawn, (program, finding)


def test_a_big_graph_lights_only_what_is_drawn():
    source = "h = 0.5*x; " + " ".join("h = 0.5*h;" for _ in range(60)) + " L = h"  # 0.5^61 vanishes
    result = differentiate(source, {"x": 1})
    page = render_html(result, max_nodes=30)
    lit = re.search(r'data-kind="vanishing" data-edges="([^"]*)" data-nodes="([^"]*)"', page)
    assert lit, "the vanishing product is a finding"
    edges, nodes = lit.group(1).split(), lit.group(2).split()
    assert 0 < len(edges) < 2 * 61 and set(edges) | set(nodes) <= svg_ids(page)
    assert len(lint_view(result)["findings"][0]["edges"]) == 2 * 61  # the whole path, when nothing is left out


def test_findings_past_the_cap_are_counted_in_words():
    source = " + ".join(f"relu(-a{i})" for i in range(25))
    page = render_html(differentiate(source, {f"a{i}": 1 for i in range(25)}))
    assert page.count('class="bp-path-term bp-lint-finding"') == 40  # 20 dead relus, 20 zero gradients
    assert page.count('<li class="bp-lint-plain"><span class="bp-lint-kind">dead relu</span>: and 5 more of this '
                      'kind, not listed') == 1


def test_user_text_in_a_finding_is_escaped():
    result = differentiate("relu(w*x)  # <b>&", {"w": -1, "x": 2})
    section = render_html(result).split("<script type=")[0]
    assert "<b>&" not in section


def test_cli_writes_the_lint_section_with_html(tmp_path):
    out = tmp_path / "relu.html"
    result = CliRunner().invoke(command, ["relu(w*x)", "--set", "w=-1", "x=2", "--lint", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "Stepper written to" in result.output
    assert "Lint: 3 findings about the gradient flow" in out.read_text(encoding="utf-8")
    shown = CliRunner().invoke(command, ["a*b", "--set", "a=1", "b=2", "--lint", "--format", "html", "-o", "-"])
    assert shown.exit_code == 0 and "Lint: nothing found" in shown.output


def test_backward_steps_carry_their_gate_phrases():
    data = page_data(render_html(differentiate(SEED, SEED_VALUES)))
    texts = [step["text"] for step in data["document"]["steps"] if step["phase"] == "backward"]
    assert any("(mul gate: it swaps its operands' values)" in text for text in texts)
    assert any("(add gate: it passes the gradient on unchanged)" in text for text in texts)


# ---- in the browser --------------------------------------------------------------------------

@pytest.mark.slow
def test_the_step_text_shows_the_gate_phrase(open_page):
    page = open_page(SEED, SEED_VALUES)
    gated = []
    for _ in range(10):
        page.keyboard.press("ArrowRight")
        shown = state(page)
        if "(mul gate: it swaps its operands' values)" in shown["text"]:
            gated.append(shown["counter"])
            assert "(mul gate: it swaps its operands' values)" in shown["announce"]  # read out too
    # ∂L/∂d, ∂L/∂a, ∂L/∂b and ∂L/∂f: each through a multiplication
    assert gated == ["Step 5 / 10", "Step 7 / 10", "Step 8 / 10", "Step 10 / 10"]


@pytest.mark.slow
def test_a_finding_lights_its_node(open_page):
    page = open_page(*DEAD)
    findings = page.locator(".bp-lint-finding")
    assert findings.count() == 3
    assert findings.nth(0).text_content().startswith("dead relu: relu(w × x) is dead")
    findings.nth(0).hover()
    assert page.evaluate(LIT) == {"edges": [], "nodes": ["o3", "v3"]}
    findings.nth(2).hover()
    assert page.evaluate(LIT) == {"edges": [], "nodes": ["v1"]}
    page.mouse.move(0, 0)
    assert page.evaluate(LIT) == {"edges": [], "nodes": []}
    findings.nth(1).click()  # chosen: stays lit, and stepping keeps it
    page.mouse.move(0, 0)
    assert findings.nth(1).get_attribute("aria-pressed") == "true"
    page.keyboard.press("ArrowRight")
    assert page.evaluate(LIT)["nodes"] == ["v0"] and state(page)["counter"].startswith("Step 1 / ")
    findings.nth(1).click()  # let go
    page.mouse.move(0, 0)
    assert page.evaluate(LIT) == {"edges": [], "nodes": []}
    findings.nth(0).focus()  # the keyboard reaches them
    assert page.evaluate(LIT)["nodes"] == ["o3", "v3"]
    page.keyboard.press("Enter")
    assert findings.nth(0).get_attribute("aria-pressed") == "true"
    colour = page.eval_on_selector("#v3 .bp-border", "e => getComputedStyle(e).stroke")
    assert colour == "rgb(154, 103, 0)"  # the lint colour, not a path's or a gradient's


@pytest.mark.slow
def test_an_exploding_product_lights_its_path_in_dark_mode(open_page):
    page = open_page(*RECURRENCE, lint=True, scheme="dark")
    findings = page.locator(".bp-lint-finding")
    assert findings.count() == 2
    findings.nth(1).hover()
    lit = page.evaluate(LIT)
    assert len(lit["edges"]) == 20 and "v1_o2_1" in lit["edges"] and "v0_o2_0" not in lit["edges"]
    assert "v1" in lit["nodes"] and "v11" in lit["nodes"]
    colour = page.eval_on_selector("#v1_o2_1 path", "e => getComputedStyle(e).stroke")
    assert colour == "rgb(227, 179, 65)"  # the dark theme's lint colour


@pytest.mark.slow
def test_nothing_found_still_says_what_was_checked(open_page):
    page = open_page(*CLEAN, lint=True)
    summary = page.locator(".bp-lint summary")
    assert summary.text_content().startswith("Lint: nothing found; checked:")
    assert page.locator(".bp-lint-finding").count() == 0
