"""The stepper's layout and legibility at the sizes a class uses: a 1280×800 laptop, a 390 px
phone, a projector (contrast), a touch screen; and the hover card. Real headless Chromium."""

from __future__ import annotations

import re
import shutil

import pytest

from backprop import differentiate
from backprop.graph import CONST, INPUT
from backprop.ops import OPS
from backprop.render.export import json_document
from backprop.render.stepper import stepper_view

from conftest import SEED, SEED_VALUES
from test_stepper import NET, open_page, state  # noqa: F401  (fixtures)

pytestmark = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")

LONG_PROGRAM = (  # twelve lines
    "z1 = w1*x1 + w2*x2 + b1\nh1 = tanh(z1)\nz2 = w3*x1 + w4*x2 + b2\nh2 = tanh(z2)\n"
    "z3 = w5*x1 + w6*x2 + b3\nh3 = tanh(z3)\ns = v1*h1 + v2*h2\ns2 = s + v3*h3\np = sigmoid(s2)\n"
    "e = p - y\nsq = e*e\nL = sq / 2",
    dict(w1=0.5, w2=-1, b1=0.1, w3=1.5, w4=0.3, b2=-0.2, w5=0.2, w6=0.4, b3=0, x1=1, x2=2, v1=0.7, v2=-0.4,
         v3=0.3, y=1),
)


def shadow(page, script: str):
    return page.evaluate(f"(() => {{ const root = document.querySelector('[data-bp-stepper]').shadowRoot; "
                         f"return {script}; }})()")


def test_a_long_program_leaves_the_controls_and_the_step_in_view_at_1280_by_800(open_page):
    page = open_page(*LONG_PROGRAM, width=1280, height=800)
    page.keyboard.press("ArrowRight")
    next_button = page.locator("#bp-next").bounding_box()
    text = page.locator("#bp-text").bounding_box()
    assert next_button["y"] + next_button["height"] <= 800
    assert text["y"] + 20 <= 800  # the first line of the step, without scrolling
    assert page.evaluate("window.scrollY") == 0
    # the whole program is still there, in its own scrolling box
    echo = shadow(page, "{scroll: root.getElementById('bp-echo').scrollHeight, "
                        "client: root.getElementById('bp-echo').clientHeight, "
                        "lines: root.getElementById('bp-echo').textContent.split('\\n').length}")
    assert echo["lines"] == 12 and echo["scroll"] > echo["client"]


def test_the_whole_seed_graph_shows_on_a_phone(open_page):
    page = open_page(SEED, SEED_VALUES, width=390, height=844)
    box = shadow(page, """(() => {
        const viewport = root.getElementById('bp-viewport'), frame = viewport.getBoundingClientRect();
        const boxes = Array.from(viewport.querySelectorAll('svg g.node')).map(g => g.getBoundingClientRect());
        return {inside: boxes.every(b => b.left >= frame.left - 1 && b.right <= frame.right + 1),
                nodes: boxes.length, font: viewport.querySelector('svg .bp-name').getBoundingClientRect().height,
                pageWidth: document.documentElement.scrollWidth};
    })()""")
    assert box["nodes"] == 10 and box["inside"], box  # every box in view, none cut off at the right
    assert box["font"] >= 8, box
    assert box["pageWidth"] <= 390  # the page itself never scrolls sideways
    # stepping on the phone still lights the right node in the top-down drawing
    page.keyboard.press("ArrowRight")
    assert state(page)["current"] == ["v4"]
    assert page.locator("#v4.bp-current").is_visible()


@pytest.mark.slow
def test_step_text_never_breaks_inside_a_derivative_on_a_phone(open_page):
    page = open_page(*NET, width=390, height=844)
    total = len(json_document(differentiate(*NET))["steps"])
    broken = []
    for _ in range(total):
        page.keyboard.press("ArrowRight")
        broken += shadow(page, r"""(() => {
            const walker = document.createTreeWalker(root.getElementById('bp-text'), NodeFilter.SHOW_TEXT), found = [];
            for (let node = walker.nextNode(); node; node = walker.nextNode())
            for (const match of node.textContent.matchAll(/∂[^\s\/]*\/∂[^\s=×+,)]*/g)) {
                const range = document.createRange();
                range.setStart(node, match.index);
                range.setEnd(node, match.index + match[0].length);
                const tops = new Set(Array.from(range.getClientRects()).map(r => Math.round(r.top)));
                if (tops.size > 1) found.push(match[0]);
            }
            return found;
        })()""")
    assert broken == []


def _luminance(colour: str) -> float:
    channels = [int(c) / 255 for c in re.findall(r"\d+", colour)[:3]]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a: str, b: str) -> float:
    light, dark = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_unknown_numbers_are_readable_on_a_projector(open_page, scheme):
    page = open_page(SEED, SEED_VALUES, scheme=scheme, name=f"{scheme}.html")
    look = shadow(page, """(() => {
        const node = root.getElementById('v4'), text = node.querySelector('.bp-grad');
        let opacity = 1;
        for (let e = node.querySelector('.bp-grad .bp-unknown'); e && e !== root; e = e.parentNode) {
            opacity *= Number(getComputedStyle(e).opacity);
        }
        return {fill: getComputedStyle(text).fill, bg: getComputedStyle(node.querySelector('.bp-bg')).fill,
                shown: getComputedStyle(node.querySelector('.bp-grad .bp-unknown')).display, opacity};
    })()""")
    assert look["shown"] == "inline" and look["opacity"] == 1
    assert _contrast(look["fill"], look["bg"]) >= 4.5, look
    page.keyboard.press("ArrowRight")  # e is the current node now: its gradient is still '?' on a tinted box
    current = shadow(page, """{fill: getComputedStyle(root.querySelector('#v4 .bp-grad')).fill,
                               bg: getComputedStyle(root.querySelector('#v4 .bp-bg')).fill}""")
    assert current["bg"] != look["bg"] and _contrast(current["fill"], current["bg"]) >= 4.5, current


def test_hover_card_follows_the_keys(open_page):
    page = open_page(SEED, SEED_VALUES)
    page.hover("#v4")
    assert "value: ? (forward step 1)" in page.text_content("#bp-tooltip")
    page.keyboard.press("ArrowRight")  # the mouse stays on e
    card = page.text_content("#bp-tooltip")
    assert "value: 6" in card and "∂e/∂a = b = 3" in card
    page.keyboard.press("End")
    assert "∂L/∂e = 5" in page.text_content("#bp-tooltip")


def test_a_tap_opens_the_card_on_a_touch_screen(open_page):
    page = open_page(SEED, SEED_VALUES, width=390, height=844, touch=True)
    assert not page.is_visible("#bp-tooltip")
    page.tap("#v4 .bp-name")
    assert page.is_visible("#bp-tooltip")
    card = page.text_content("#bp-tooltip")
    assert card.startswith("e") and "multiplication: e = a × b" in card
    page.tap("#bp-phase")  # elsewhere: the card closes
    assert not page.is_visible("#bp-tooltip")


def test_cards_name_operations_in_words_not_internal_names():
    result = differentiate("t = tanh(w*x + b); L = sigmoid(t) / 2 - t^2 + max(t, 0)", dict(w=1, x=2, b=0.5))
    cards = {card["name"]: card["what"] for card in stepper_view(result)["nodes"]}
    for node in result.graph.nodes:
        if node.op in (INPUT, CONST):
            continue
        what = cards[result.graph.nodes[node.id].name]
        if OPS[node.op].kind in ("infix", "prefix"):
            assert not what.startswith(node.op + ":"), what  # never "mul:", "add:", "div:", "pow:"
    assert cards["t"].startswith("tanh: t = tanh(")  # a function: the name the user typed
    assert any(what.startswith("division: ") for what in cards.values())
    assert any(what.startswith("power: ") for what in cards.values())
