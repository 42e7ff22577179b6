"""Practice page (`backprop quiz … -o page.html`) defects, driven in headless Chromium: after the
last step the answer box and its buttons are gone and inert (they used to stay on screen and throw
a JavaScript error on Enter or "Show me"), a non-finite answer such as 1e1000 is refused like any
other non-number instead of counting as a wrong try, and two-digit step numbers in "Steps so far"
are shown whole (the marker "10." used to be clipped to ".0.")."""

from __future__ import annotations

import shutil

import pytest

from backprop import differentiate
from backprop.numfmt import format_number
from backprop.render.practice_page import render_practice_page

from conftest import SEED, SEED_VALUES
from test_practice_page import answer, feedback, page_data, practice  # noqa: F401 (practice: a fixture)

pytestmark = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")

SEED_ANSWERS = ["6", "-4", "-20", "5", "5", "15", "10", "5", "-4"]
# 22 steps: the "Steps so far" list runs to two-digit numbers
LONG = "L = (a*b + c*d)*(e - f) + g*h"
LONG_VALUES = {"a": 1, "b": 2, "c": 3, "d": 4, "e": 5, "f": 6, "g": 7, "h": 8}


def controls_enabled(page) -> list[bool]:
    return [page.locator(selector).is_enabled() for selector in ("#bp-answer", "#bp-check", "#bp-show")]


def test_the_step_list_makes_room_for_the_widest_step_number():
    assert 'style="--bp-digits: 1"' in render_practice_page(differentiate("x*y", {"x": 2, "y": 3}))  # 4 steps
    assert 'style="--bp-digits: 2"' in render_practice_page(differentiate(SEED, SEED_VALUES))  # 10 steps


@pytest.mark.slow
def test_after_the_last_step_the_answer_box_and_buttons_are_gone_and_inert(practice):
    page = practice(SEED, SEED_VALUES)
    for text in SEED_ANSWERS:
        answer(page, text)
    assert page.get_attribute("html", "data-done") == "true"
    assert not page.locator("#bp-ask").is_visible()
    assert controls_enabled(page) == [False, False, False]
    assert page.evaluate("document.activeElement.id") == "bp-again"
    # a submit that still reaches the form (a script, an old browser) does nothing, and throws nothing
    page.evaluate("document.getElementById('bp-ask').requestSubmit()")
    page.evaluate("document.getElementById('bp-show').dispatchEvent(new Event('click'))")
    assert page.locator("#bp-score").inner_text() == "Score: 9 of 9 right at the first try (0 after a hint, 0 shown)."
    assert page.locator("#bp-log li").count() == 10
    assert page.errors == []
    # "Practise again" brings them back
    page.keyboard.press("Enter")
    assert page.locator("#bp-ask").is_visible()
    assert controls_enabled(page) == [True, True, True]
    assert page.evaluate("document.activeElement.id") == "bp-answer"
    answer(page, SEED_ANSWERS[0])
    assert feedback(page).startswith("Right: e = a × b")
    assert page.errors == []


@pytest.mark.slow
def test_a_non_finite_answer_is_refused_and_not_counted(practice):
    page = practice(SEED, SEED_VALUES)
    for text in ("1e1000", "-1e400", "1e300/1e-300"):
        answer(page, text)
        assert feedback(page) == "Too large: type a finite number, such as -0.5 or 1/3.", text
        assert page.get_attribute("html", "data-revealed") == "0"
        page.keyboard.press("Control+A")
    answer(page, "6")
    assert feedback(page).startswith("Right: ")  # no "after the hint": the refused answers were not tries
    assert page.errors == []


@pytest.mark.slow
def test_a_long_program_runs_through_without_errors_and_shows_every_step_number_whole(practice, tmp_path):
    page = practice(LONG, LONG_VALUES)
    steps = page_data(render_practice_page(differentiate(LONG, LONG_VALUES)))["steps"]
    asked = [step["question"]["answer"] for step in steps if step["question"]]
    assert len(steps) >= 12
    answer(page, "12345")  # a wrong first try, then the right one
    answer(page, format_number(asked[0]))
    page.click("#bp-show")  # one step shown
    for value in asked[2:]:
        answer(page, format_number(value))
    assert page.get_attribute("html", "data-done") == "true"
    assert page.locator("#bp-log li").count() == len(steps)
    # each list marker ("10. ", in the list's own font) fits in the space left of its item
    clipped = page.evaluate("""() => {
        const list = document.getElementById("bp-log");
        const left = list.getBoundingClientRect().left + list.clientLeft;
        const probe = document.createElement("span");
        probe.style.whiteSpace = "pre";
        probe.style.position = "absolute";
        document.body.append(probe);
        const bad = [];
        list.querySelectorAll("li").forEach((item, index) => {
            probe.style.font = getComputedStyle(item).font;
            probe.textContent = (index + 1) + ". ";
            if (probe.getBoundingClientRect().width > item.getBoundingClientRect().left - left) bad.push(index + 1);
        });
        probe.remove();
        return bad;
    }""")
    assert clipped == []
    page.screenshot(path=str(tmp_path / "long.png"), full_page=True)
    assert page.errors == []
