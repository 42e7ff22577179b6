"""The HTML stepper: one self-contained page, checked as text and driven in headless Chromium.

The browser tests use Debian's chromium through Playwright for Python (never a browser that
Playwright downloads). They skip only when chromium or playwright is not installed;
``scripts/setup.sh --test`` installs both, so CI runs them.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time

import pytest
from click.testing import CliRunner

from backprop import differentiate
from backprop.cli import command
from backprop.render.export import json_document
from backprop.render.stepper import render_html, script_json

from conftest import ROOT, SEED, SEED_ARGS, SEED_VALUES

pytestmark = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")

SHARED = ("x*x + sin(x)*y + 2*3", {"x": 2, "y": 3})  # x is used three times: a sum over paths
NET = (  # a two-unit network and a squared error: 29 nodes, 44 steps
    "h1 = tanh(w1*x1 + w2*x2 + b1); h2 = tanh(w3*x1 + w4*x2 + b2); L = (v1*h1 + v2*h2 + c - y)^2",
    dict(w1=0.5, w2=-1, b1=0.1, w3=1.5, w4=0.3, b2=-0.2, x1=1, x2=2, v1=0.7, v2=-0.4, c=0.05, y=1),
)
HOSTILE = ('a*b  # </script><script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">'
           '<!-- & \u2028 "quotes" \'too\'')


def page_data(page: str) -> dict:
    match = re.search(r'<script type="application/json" id="bp-data">(.*?)</script>', page, re.S)
    assert match, "the page embeds its data"
    return json.loads(match.group(1))


# ---- the page as text ----------------------------------------------------------------------

def test_page_is_self_contained():
    page = render_html(differentiate(SEED, SEED_VALUES))
    assert page.startswith("<!DOCTYPE html>")
    assert page.count("<svg") == 2 and "<style>" in page and "<script>" in page  # the drawing, and top-down for phones
    lowered = page.lower()
    for needle in ("<link", "@import", "url(", " src=", "href=\"http", "xlink:href", "fonts.googleapis", "cdn"):
        assert needle not in lowered, needle
    # The only absolute URLs are XML namespace names, which are never fetched.
    assert set(re.findall(r"https?://[^\s\"'<>)]+", page)) <= {"http://www.w3.org/2000/svg",
                                                               "http://www.w3.org/1999/xlink"}
    assert "@@" not in page  # every placeholder was filled


def test_page_embeds_the_json_document_and_its_steps():
    result = differentiate(SEED, SEED_VALUES)
    data = page_data(render_html(result))
    assert data["document"] == json.loads(json.dumps(json_document(result)))
    assert [s["text"] for s in data["document"]["steps"]][0] == "e = a × b = 2 × 3 = 6"
    assert len(data["view"]["steps"]) == len(result.steps)


def test_every_step_names_svg_elements_that_exist():
    result = differentiate(*NET)
    page = render_html(result)
    ids = set(re.findall(r'<g id="([^"]+)"', page))
    view = page_data(page)["view"]
    for step in view["steps"]:
        named = step["edges"] + step["operands"] + ([step["op"]] if step["op"] else [])
        named += [edge for path in step["paths"] for edge in path["edges"]] + [p["from"] for p in step["paths"]]
        assert set(named) <= ids, set(named) - ids
    assert {node["key"] for node in view["nodes"]} <= ids


def test_script_json_can_not_close_the_script_tag():
    text = script_json({"s": "</script><!-- & \u2028"})
    assert "<" not in text and ">" not in text and "&" not in text and "\u2028" not in text
    assert json.loads(text) == {"s": "</script><!-- & \u2028"}


def test_hostile_program_text_is_escaped():
    page = render_html(differentiate(HOSTILE, {"a": 2, "b": 3}))
    assert "<img" not in page and "window.__pwned = 1</script>" not in page
    assert page.count("<script") == 2  # the data and the stepper, nothing else
    assert "&lt;/script&gt;&lt;script&gt;window.__pwned = 1" in page  # shown, as text


def test_cli_writes_html(tmp_path):
    target = tmp_path / "graph.html"
    result = CliRunner().invoke(command, SEED_ARGS + ["-o", str(target)])
    assert result.exit_code == 0, result.output
    assert f"Stepper written to {target}" in result.stderr
    assert page_data(target.read_text(encoding="utf-8"))["document"]["gradients"] == {"a": 15, "b": 10, "c": 5, "f": -4}


def test_stepper_and_pillow_do_not_load_at_startup():
    import subprocess
    import sys

    code = "import sys, backprop.cli; print('backprop.render.stepper' in sys.modules, 'PIL' in sys.modules)"
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                               env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    assert completed.stdout.split() == ["False", "False"], completed.stderr


# ---- in a real browser -------------------------------------------------------------------------
# Every test that asks for the browser (tests/conftest.py) is slow: the whole suite runs them.

@pytest.fixture
def open_page(browser, tmp_path):
    """Write a program's page to disk and open it from file://; console errors fail the test."""
    pages = []

    def opener(source, values, *, scheme="light", width=1280, height=900, name="graph.html", motion="reduce",
               touch=False, page_html=None, **options):
        path = tmp_path / name
        path.write_text(page_html or render_html(differentiate(source, values), **options), encoding="utf-8")
        context = browser.new_context(viewport={"width": width, "height": height}, color_scheme=scheme,
                                      reduced_motion=motion, offline=True, has_touch=touch, is_mobile=touch)
        page = context.new_page()
        page.errors = []
        page.on("console", lambda message: message.type == "error" and page.errors.append(message.text))
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        page.on("request", lambda request: request.url.startswith("file:") or page.errors.append(request.url))
        page.goto(path.as_uri())
        pages.append(page)
        return page

    yield opener
    for page in pages:
        assert page.errors == [], page.errors
        page.context.close()


def state(page, index: int = 0) -> dict:
    """What stepper number ``index`` on the page shows (each lives in its own shadow root)."""
    return page.evaluate("""(index) => {
        const host = document.querySelectorAll('[data-bp-stepper]')[index], root = host.shadowRoot;
        return {
            counter: root.getElementById('bp-counter').textContent,
            text: root.getElementById('bp-text').textContent,
            current: Array.from(root.querySelectorAll('svg .bp-current')).map(e => e.id),
            announce: root.getElementById('bp-announce').textContent,
            hiddenValues: Array.from(root.querySelectorAll('svg .bp-value-hidden')).map(e => e.id),
            hiddenGrads: Array.from(root.querySelectorAll('svg .bp-grad-hidden')).map(e => e.id),
            step: host.dataset.step,
        };
    }""", index)


@pytest.mark.slow  # launches Chromium: about 3.5 s with the page's setup
def test_next_walks_every_step_of_the_seed(open_page, tmp_path):
    result = differentiate(SEED, SEED_VALUES)
    steps = json_document(result)["steps"]
    total = len(steps)
    page = open_page(SEED, SEED_VALUES)
    start = state(page)
    assert start["counter"] == f"Step 0 / {total}" == "Step 0 / 10"
    assert start["text"] == "inputs: a = 2, b = 3, c = -10, f = 5"
    assert start["current"] == []
    assert sorted(start["hiddenValues"]) == ["v4", "v5", "v6"]  # only the inputs' values show
    assert len(start["hiddenGrads"]) == 7
    for k, step in enumerate(steps, start=1):
        page.click("#bp-next")
        now = state(page)
        assert now["counter"] == f"Step {k} / {total}"
        assert now["text"] == step["text"]
        assert now["current"] == [f"v{step['node']}"]
        assert step["text"] in now["announce"] and f"Step {k} of {total}" in now["announce"]
        lit = page.eval_on_selector_all(".bp-flow-fwd, .bp-flow-bwd", "els => els.length")
        assert lit >= (0 if step["text"].startswith("∂L/∂L") else 2)
    assert state(page)["hiddenValues"] == [] and state(page)["hiddenGrads"] == []
    cells = page.eval_on_selector_all("#bp-table tbody td", "els => els.map(e => e.textContent)")
    assert cells == ["2", "15", "3", "10", "-10", "5", "5", "-4", "-20", "1"]
    assert page.get_attribute("#bp-next", "aria-disabled") == "true"
    page.keyboard.press("ArrowRight")  # past the end: stays (Next is aria-disabled there)
    assert state(page)["counter"] == f"Step {total} / {total}"
    shot = tmp_path / "seed-last-step.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000


@pytest.mark.slow
def test_forward_step_lights_the_operation_and_its_edges(open_page):
    page = open_page(SEED, SEED_VALUES)
    page.click("#bp-next")  # e = a × b
    lit = page.eval_on_selector_all(".bp-flow-fwd", "els => els.map(e => e.id).sort()")
    assert lit == ["o4_v4", "v0_o4_0", "v1_o4_1"]
    assert page.eval_on_selector_all(".bp-active", "els => els.map(e => e.id)") == ["o4"]
    assert page.eval_on_selector_all(".bp-operand", "els => els.map(e => e.id).sort()") == ["v0", "v1"]
    value = page.text_content("#v4 .bp-val")
    assert value.startswith("6")  # the number, then its hidden '?' twin
    assert page.eval_on_selector("#v5 .bp-val .bp-num", "e => getComputedStyle(e).display") == "none"


@pytest.mark.slow
def test_prev_reset_and_keyboard(open_page):
    page = open_page(SEED, SEED_VALUES)
    for _ in range(3):
        page.click("#bp-next")
    page.click("#bp-prev")
    assert state(page)["counter"] == "Step 2 / 10"
    page.click("#bp-reset")
    assert state(page)["counter"] == "Step 0 / 10" and state(page)["current"] == []
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    assert state(page)["counter"] == "Step 2 / 10"
    page.keyboard.press("ArrowLeft")
    assert state(page)["counter"] == "Step 1 / 10"
    page.keyboard.press("End")
    assert state(page)["counter"] == "Step 10 / 10" and state(page)["current"] == ["v3"]
    page.keyboard.press("Home")
    assert state(page)["counter"] == "Step 0 / 10"
    page.keyboard.press("ArrowLeft")  # before the start: stays
    assert state(page)["counter"] == "Step 0 / 10"
    # the buttons are real buttons, reachable with Tab, with a visible focus ring
    page.focus("#bp-next")
    page.keyboard.press("Enter")
    assert state(page)["counter"] == "Step 1 / 10"
    outline = page.eval_on_selector("#bp-next", "e => getComputedStyle(e).outlineStyle")
    assert outline == "solid"
    assert page.eval_on_selector_all("button", "els => els.every(e => e.tagName === 'BUTTON')")


@pytest.mark.slow
def test_play_advances_and_pauses(open_page):
    page = open_page(SEED, SEED_VALUES)
    page.select_option("#bp-speed", "700")
    page.click("#bp-play")
    assert page.get_attribute("#bp-play", "aria-pressed") == "true"
    page.wait_for_function("Number(document.querySelector('[data-bp-stepper]').dataset.step) >= 2", timeout=5000)
    page.click("#bp-play")
    assert page.get_attribute("#bp-play", "aria-pressed") == "false"
    paused = state(page)["step"]
    time.sleep(0.9)
    assert state(page)["step"] == paused


@pytest.mark.slow
def test_sum_over_paths_shows_each_contribution(open_page):
    result = differentiate(*SHARED)
    steps = json_document(result)["steps"]
    k = next(i for i, s in enumerate(steps, start=1) if s["phase"] == "backward" and s["node"] == 0)
    page = open_page(*SHARED)
    for _ in range(k):
        page.keyboard.press("ArrowRight")
    assert state(page)["text"] == steps[k - 1]["text"]
    items = page.eval_on_selector_all("#bp-paths li", "els => els.map(e => e.textContent)")
    square, sine = result.graph.nodes[2].name, result.graph.nodes[3].name  # generated names (x*x, sin(x))
    assert items == [f"via {square}: ∂L/∂{square} × ∂{square}/∂x = 1 × 2 = 2"] * 2 + [
        f"via {sine}: ∂L/∂{sine} × ∂{sine}/∂x = 3 × (-0.416147) = -1.24844"]
    lit = page.eval_on_selector_all(".bp-flow-bwd", "els => els.map(e => e.id).sort()")
    assert lit == ["o2_v2", "o3_v3", "v0_o2_0", "v0_o2_1", "v0_o3_0"]  # x*x: both operand edges


@pytest.mark.slow
def test_hover_card_shows_name_op_value_gradient_and_local_derivatives(open_page):
    page = open_page(SEED, SEED_VALUES)
    page.hover("#v4")
    card = page.text_content("#bp-tooltip")
    assert "multiplication: e = a × b" in card and "mul:" not in card and "value: ? (forward step 1)" in card and "∂e/∂a = b" in card
    page.keyboard.press("End")
    page.mouse.move(0, 0)
    page.hover("#v4")
    card = page.text_content("#bp-tooltip")
    assert "value: 6" in card and "∂L/∂e = 5" in card and "∂e/∂a = b = 3" in card and "∂e/∂b = a = 2" in card
    assert page.is_visible("#bp-tooltip")


@pytest.mark.slow
def test_hostile_program_can_not_inject(open_page):
    page = open_page(HOSTILE, {"a": 2, "b": 3})
    page.keyboard.press("End")
    assert page.evaluate("window.__pwned") is None
    assert page.eval_on_selector_all("img", "els => els.length") == 0
    assert page.eval_on_selector_all("script", "els => els.length") == 2
    assert "</script><script>window.__pwned = 1</script>" in page.text_content("#bp-source")
    assert page.title() == "backprop: L = a × b"  # the echoed program: the comment never reaches the title


@pytest.mark.slow
def test_thirty_node_graph_stays_readable(open_page):
    page = open_page(*NET, width=1024)
    total = len(json_document(differentiate(*NET))["steps"])
    page.keyboard.press("End")
    assert state(page)["counter"] == f"Step {total} / {total}"
    box = page.evaluate("""() => {
        const root = document.querySelector('[data-bp-stepper]').shadowRoot;
        const svg = root.querySelector('#bp-viewport svg'), text = svg.querySelector('.bp-name');
        return {font: text.getBoundingClientRect().height, vp: root.getElementById('bp-viewport').clientWidth,
                svg: svg.getBoundingClientRect().width};
    }""")
    assert box["font"] >= 10  # readable labels; the graph pans instead of shrinking
    page.click("#bp-zoom-fit")
    fitted = page.eval_on_selector("#bp-viewport svg", "e => e.getBoundingClientRect().width")
    assert fitted <= box["vp"]
    page.click("#bp-zoom-in")
    assert page.eval_on_selector("#bp-viewport svg", "e => e.getBoundingClientRect().width") > fitted


@pytest.mark.slow
def test_dark_scheme_follows_the_system(open_page):
    light = open_page(SEED, SEED_VALUES)
    dark = open_page(SEED, SEED_VALUES, scheme="dark", name="dark.html")
    colour = "() => getComputedStyle(document.body).backgroundColor"
    assert light.evaluate(colour) == "rgb(255, 255, 255)"
    assert dark.evaluate(colour) == "rgb(13, 17, 23)"
    node_fill = "() => getComputedStyle(document.querySelector('[data-bp-stepper]').shadowRoot.querySelector('#v0 .bp-bg')).fill"
    assert dark.evaluate(node_fill) != light.evaluate(node_fill)
