"""Several steppers on one page, as in a notebook: each has its own ids, styles and keys.

A JupyterLab-like page is built here: notebook CSS, a code cell, and two outputs inserted
with innerHTML and their scripts re-run the way JupyterLab does (evalInnerHTMLScriptTags).
Real headless Chromium, as in test_stepper.py.
"""

from __future__ import annotations

import json
import shutil

import pytest

from backprop import differentiate
from backprop.render.export import json_document
from backprop.render.stepper import render_html

from conftest import SEED, SEED_VALUES
from test_stepper import SHARED, open_page, state  # noqa: F401  (fixtures)

pytestmark = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")

NOTEBOOK_CSS = """
body { margin: 8px; font-size: 13px; line-height: 1.1; color: rgb(40, 40, 40); }
.jp-RenderedHTMLCommon h1 { font-size: 40px; color: rgb(200, 0, 0); }
.jp-RenderedHTMLCommon h2 { font-size: 30px; }
.jp-RenderedHTMLCommon pre { font-size: 9px; background: rgb(255, 255, 0); }
.jp-RenderedHTMLCommon table { border: 5px solid rgb(0, 0, 255); }
.jp-RenderedHTMLCommon button, button { background: rgb(255, 0, 0); font-size: 20px; }
"""

NOTEBOOK = f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Untitled.ipynb</title><style>{NOTEBOOK_CSS}</style></head>
<body>
<h1 id="nb-title">My notebook</h1>
<textarea id="cell" rows="3" cols="40">r = differentiate("(a*b+c)*f", values)</textarea>
<button id="nb-button" type="button">Run</button>
<pre id="nb-pre">plain notebook text</pre>
<div class="jp-OutputArea-output jp-RenderedHTMLCommon" id="out1"></div>
<div class="jp-OutputArea-output jp-RenderedHTMLCommon" id="out2"></div>
<script>
  // What JupyterLab does with an HTML output: innerHTML, then each script re-created so it runs.
  window.showOutput = (id, html) => {{
    const host = document.getElementById(id);
    host.innerHTML = html;
    for (const script of Array.from(host.getElementsByTagName("script"))) {{
      const clone = document.createElement("script");
      for (const attribute of script.attributes) clone.setAttribute(attribute.name, attribute.value);
      clone.textContent = script.textContent;
      script.parentNode.replaceChild(clone, script);
    }}
  }};
</script>
</body></html>
"""

NOTEBOOK_LOOKS = """() => {
    const look = (e) => { const s = getComputedStyle(e); return [s.fontSize, s.color, s.backgroundColor, s.fontFamily,
                                                                 s.margin, s.borderRadius, s.boxSizing]; };
    return {title: look(document.getElementById('nb-title')), button: look(document.getElementById('nb-button')),
            pre: look(document.getElementById('nb-pre')), body: look(document.body),
            cell: look(document.getElementById('cell'))};
}"""


def notebook(open_page, *results):
    """The JupyterLab-like page with one output per result (each the result's _repr_html_)."""
    page = open_page(None, None, page_html=NOTEBOOK, name="notebook.html")
    before = page.evaluate(NOTEBOOK_LOOKS)
    for number, result in enumerate(results, start=1):
        page.evaluate("([id, html]) => window.showOutput(id, html)", [f"out{number}", result._repr_html_()])
    return page, before


def inside(page, index: int, script: str):
    """Evaluate ``script`` (a function of the shadow root) in stepper number ``index``."""
    return page.evaluate(f"(index) => ({script})(document.querySelectorAll('[data-bp-stepper]')[index].shadowRoot)",
                         index)


def test_two_steppers_in_a_notebook_work_on_their_own(open_page):
    seed, shared = differentiate(SEED, SEED_VALUES), differentiate(*SHARED)
    page, before = notebook(open_page, seed, shared)
    total_seed, total_shared = len(seed.steps), len(shared.steps)
    assert state(page, 0)["counter"] == f"Step 0 / {total_seed}"
    assert state(page, 1)["counter"] == f"Step 0 / {total_shared}"
    assert state(page, 1)["text"] == "inputs: x = 2, y = 3"  # the second one has its own data, not the first's

    # the second stepper's Next moves the second stepper only
    page.locator("#out2 >> #bp-next").click()
    page.locator("#out2 >> #bp-next").click()
    assert state(page, 1)["counter"] == f"Step 2 / {total_shared}"
    assert state(page, 1)["text"] == json_document(shared)["steps"][1]["text"]
    assert state(page, 0)["counter"] == f"Step 0 / {total_seed}"
    assert len(inside(page, 1, "root => Array.from(root.querySelectorAll('.bp-current'))")) == 1

    # arrow keys in a code cell move the caret, not a stepper
    page.click("#cell")
    page.keyboard.press("End")
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    caret = page.eval_on_selector("#cell", "e => e.selectionStart")
    assert caret == len("r = differentiate(\"(a*b+c)*f\", values)") - 2
    assert state(page, 0)["counter"] == f"Step 0 / {total_seed}"
    assert state(page, 1)["counter"] == f"Step 2 / {total_shared}"

    # keys go to the stepper that has focus (a click anywhere in it gives it focus)
    page.locator("#out1 >> #bp-text").click()
    page.keyboard.press("ArrowRight")
    assert state(page, 0)["counter"] == f"Step 1 / {total_seed}"
    assert state(page, 1)["counter"] == f"Step 2 / {total_shared}"
    page.locator("#out2 >> #bp-phase").click()
    page.keyboard.press("End")
    assert state(page, 1)["counter"] == f"Step {total_shared} / {total_shared}"
    assert state(page, 0)["counter"] == f"Step 1 / {total_seed}"

    # each stepper's tables and graphs are its own
    cells = inside(page, 0, "root => Array.from(root.querySelectorAll('#bp-table tbody td')).map(e => e.textContent)")
    assert cells[:2] == ["2", "?"]
    assert page.evaluate("document.querySelectorAll('[data-bp-stepper]').length") == 2
    assert page.evaluate("document.getElementById('bp-next')") is None  # no ids in the notebook's own document

    # the notebook's styles do not reach in, and the stepper's do not reach out
    heading = inside(page, 0, "root => getComputedStyle(root.querySelector('h1')).fontSize")
    assert heading == "21.6px"  # 1.35 × 16 px, as on its own page; not the notebook's 40 px
    button = inside(page, 0, "root => getComputedStyle(root.getElementById('bp-prev')).backgroundColor")
    assert button != "rgb(255, 0, 0)"
    size = inside(page, 0, "root => getComputedStyle(root.querySelector('.bp-app')).fontSize")
    assert size == "16px"  # not the notebook's 13 px
    assert page.evaluate(NOTEBOOK_LOOKS) == before


def test_standalone_and_notebook_headings_match(open_page):
    page = open_page(SEED, SEED_VALUES)
    heading = page.evaluate("getComputedStyle(document.querySelector('[data-bp-stepper]').shadowRoot"
                            ".querySelector('h1')).fontSize")
    assert heading == "21.6px"


def test_two_whole_pages_in_one_document(open_page):
    """Two pages pasted one after the other (what a static export of a notebook does): both work."""
    first = render_html(differentiate(SEED, SEED_VALUES))
    second = render_html(differentiate(*SHARED))
    page = open_page(None, None, page_html=first + second, name="two.html")
    page.locator("[data-bp-stepper] >> nth=1").locator("#bp-next").click()
    assert state(page, 1)["counter"].startswith("Step 1 / ")
    assert state(page, 0)["counter"] == "Step 0 / 10"
    page.locator("[data-bp-stepper] >> nth=0").locator("#bp-next").click()
    assert state(page, 0)["text"] == "e = a × b = 2 × 3 = 6"
    # with two steppers on the page, a key pressed with nothing focused belongs to neither
    page.evaluate("document.activeElement.blur()")
    page.keyboard.press("ArrowRight")
    assert state(page, 0)["counter"] == "Step 1 / 10" and state(page, 1)["counter"].startswith("Step 1 / ")


def test_keys_still_work_after_a_click_on_the_graph(open_page):
    page = open_page(SEED, SEED_VALUES)
    page.keyboard.press("ArrowRight")
    assert state(page)["counter"] == "Step 1 / 10"
    box = page.locator("#bp-viewport").bounding_box()
    page.mouse.click(box["x"] + 8, box["y"] + box["height"] - 8)  # an empty corner of the graph, to pan
    page.keyboard.press("ArrowRight")
    assert state(page)["counter"] == "Step 2 / 10"
    page.keyboard.press("End")
    assert state(page)["counter"] == "Step 10 / 10"
    page.keyboard.press("ArrowLeft")
    assert state(page)["counter"] == "Step 9 / 10"
    # a drag pans the graph and keeps the keys
    page.mouse.move(box["x"] + 100, box["y"] + 60)
    page.mouse.down()
    page.mouse.move(box["x"] + 40, box["y"] + 60)
    page.mouse.up()
    page.keyboard.press("Home")
    assert state(page)["counter"] == "Step 0 / 10"
    # the speed menu keeps its own arrow keys
    page.focus("#bp-speed")
    page.keyboard.press("ArrowRight")
    assert state(page)["counter"] == "Step 0 / 10"


@pytest.mark.slow
def test_each_path_of_a_sum_replays_its_animation_when_stepping_normally(open_page):
    result = differentiate(*SHARED)
    steps = json_document(result)["steps"]
    k = next(i for i, s in enumerate(steps, start=1) if s["phase"] == "backward" and s["node"] == 0)
    page = open_page(*SHARED, motion="no-preference")
    for _ in range(k):
        page.keyboard.press("ArrowRight")  # normally, one step at a time: the forward pass lit these edges
    animations = page.evaluate("""() => {
        const root = document.querySelector('[data-bp-stepper]').shadowRoot;
        return Array.from(root.querySelectorAll('.bp-arriving')).map(edge => ({
            id: edge.id,
            delay: getComputedStyle(edge).animationDelay,
            playing: edge.getAnimations().filter(a => a.animationName === 'bp-arrive')
                         .map(a => a.playState === 'running' || a.playState === 'pending'),
        }));
    }""")
    lit = sorted(a["id"] for a in animations)
    assert lit == ["o2_v2", "o3_v3", "v0_o2_0", "v0_o2_1", "v0_o3_0"]
    for edge in animations:
        assert edge["playing"] == [True], edge  # it arrives now, not already finished from the forward pass
    delays = {edge["id"]: float(edge["delay"].rstrip("s")) for edge in animations}
    assert delays["v0_o2_0"] < delays["v0_o2_1"] < delays["v0_o3_0"]  # one path at a time
    # only this step's edges carry the arrival: none left over from earlier steps
    assert page.evaluate("""() => document.querySelector('[data-bp-stepper]').shadowRoot
        .querySelectorAll('.bp-arriving:not(.bp-flow-bwd)').length""") == 0


def test_page_data_is_one_json_document_per_stepper():
    page = render_html(differentiate(SEED, SEED_VALUES))
    assert page.count('<div class="bp-stepper" data-bp-stepper="">') == 1 and page.count('id="bp-data"') == 1
    start = page.index('<script type="application/json" id="bp-data">')
    assert page.index("<template>") < start < page.rindex("</template>")  # inert until its stepper starts
    data = json.loads(page[start:].split(">", 1)[1].split("</script>", 1)[0])
    assert data["document"]["gradients"] == {"a": 15, "b": 10, "c": 5, "f": -4}
