"""The practice page: one self-contained file, driven in headless Chromium by typing right and
wrong answers with the keyboard only (Debian's chromium through Playwright, as tests/test_stepper.py)."""

from __future__ import annotations

import json
import re
import shutil

import pytest
from click.testing import CliRunner

from backprop import differentiate
from backprop.cli import command
from backprop.render.practice_page import render_practice_page

from conftest import SEED, SEED_ARGS, SEED_VALUES

pytestmark = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")

# the seed's questions in order: e, d, L, then ∂L/∂d, ∂L/∂e, ∂L/∂a, ∂L/∂b, ∂L/∂c, ∂L/∂f (∂L/∂L is given)
SEED_ANSWERS = ["6", "-4", "-20", "5", "5", "15", "10", "5", "-4"]


def page_data(page: str) -> dict:
    match = re.search(r'<script type="application/json" id="bp-data">(.*?)</script>', page, re.S)
    return json.loads(match.group(1))


def test_page_is_self_contained_and_carries_the_questions():
    page = render_practice_page(differentiate(SEED, SEED_VALUES))
    assert page.startswith("<!DOCTYPE html>") and "@@" not in page
    lowered = page.lower()
    for needle in ("<link", "@import", "url(", " src=", "href=\"http", "cdn"):
        assert needle not in lowered, needle
    data = page_data(page)
    asked = [s["question"]["answer"] for s in data["steps"] if s["question"]]
    assert asked == [float(a) for a in SEED_ANSWERS]
    a_step = next(s for s in data["steps"] if s["question"] and s["question"]["label"] == "∂L/∂a")
    assert a_step["question"]["rule"] == ["since e = a × b, ∂e/∂a = b   (mul gate: it swaps its operands' values)"]
    assert any(m["value"] == 10 and "wrong operand" in m["text"] for m in a_step["question"]["mistakes"])


def test_quiz_writes_the_page(tmp_path):
    target = tmp_path / "practice.html"
    result = CliRunner().invoke(command, ["quiz", *SEED_ARGS, "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert "Practice page written to" in result.stderr
    assert page_data(target.read_text(encoding="utf-8"))["output"] == "L"
    generated = CliRunner().invoke(command, ["quiz", "--level", "2", "--seed", "7", "-o", str(target)])
    assert generated.exit_code == 0, generated.output
    refused = CliRunner().invoke(command, ["quiz", "--count", "2", "-o", str(target)])
    assert refused.exit_code == 2 and "one problem" in refused.stderr


# ---- in a real browser ---------------------------------------------------------------------

@pytest.fixture
def practice(browser, tmp_path):
    contexts = []

    def opener(source, values):
        path = tmp_path / "practice.html"
        path.write_text(render_practice_page(differentiate(source, values)), encoding="utf-8")
        context = browser.new_context(viewport={"width": 1280, "height": 900}, reduced_motion="reduce", offline=True)
        contexts.append(context)
        page = context.new_page()
        page.errors = []
        page.on("console", lambda message: message.type == "error" and page.errors.append(message.text))
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        page.goto(path.as_uri())
        return page

    yield opener
    for context in contexts:
        context.close()


def answer(page, text):
    """Type into the focused answer box and press Enter: the keyboard only."""
    page.keyboard.type(text)
    page.keyboard.press("Enter")


def feedback(page) -> str:
    return page.locator("#bp-feedback").inner_text()


@pytest.mark.slow
def test_right_answers_reveal_every_step_and_score_full_marks(practice):
    page = practice(SEED, SEED_VALUES)
    assert page.evaluate("document.activeElement.id") == "bp-answer"
    assert page.locator("#bp-question").inner_text() == "e = a × b (a = 2, b = 3) ="
    # before the first answer nothing computed is shown: e's value box holds '?'
    assert page.locator("#v4.bp-value-hidden").count() == 1
    answer(page, SEED_ANSWERS[0])
    assert feedback(page) == "Right: e = a × b = 2 × 3 = 6"
    assert page.locator("#v4.bp-value-hidden").count() == 0
    for text in SEED_ANSWERS[1:]:
        answer(page, text)
    assert page.get_attribute("html", "data-done") == "true"
    assert page.locator("#bp-score").inner_text() == "Score: 9 of 9 right at the first try (0 after a hint, 0 shown)."
    assert page.locator("#bp-helped").inner_text() == "No step needed help."
    assert page.locator("#bp-log li").count() == 10  # every step, ∂L/∂L included
    assert page.errors == []


@pytest.mark.slow
def test_a_wrong_answer_gets_the_computed_hint_and_a_second_shows_the_step(practice):
    page = practice(SEED, SEED_VALUES)
    for text in SEED_ANSWERS[:5]:
        answer(page, text)
    assert page.locator("#bp-question").inner_text().startswith("∂L/∂a")
    answer(page, "10")  # 5 × a: the wrong operand of e = a × b
    text = feedback(page)
    assert "Likely mistake: used the wrong operand in the product e = a × b" in text
    assert "Hint: since e = a × b, ∂e/∂a = b" in text
    assert page.get_attribute("html", "data-revealed") == "6"  # 3 forward steps, ∂L/∂L, ∂L/∂d, ∂L/∂e; ∂L/∂a not yet
    answer(page, "15")
    assert feedback(page).startswith("Right, after the hint")
    answer(page, "abc")  # not a number: asked again, not counted
    assert feedback(page) == "Type a number, such as -0.5 or 1/3."
    page.keyboard.press("Control+A")
    answer(page, "7")
    answer(page, "8")  # second wrong answer for ∂L/∂b: the step is shown
    assert feedback(page).startswith("The step: ∂L/∂b = ∂L/∂e × ∂e/∂b = 5 × a = 5 × 2 = 10")
    for text in ("5", "-4"):
        answer(page, text)
    assert page.locator("#bp-score").inner_text() == "Score: 7 of 9 right at the first try (1 after a hint, 1 shown)."
    assert page.locator("#bp-helped").inner_text() == "Steps that needed help: ∂L/∂a, ∂L/∂b"
    # keyboard only: Enter on the focused "Practise again" starts over
    assert page.evaluate("document.activeElement.id") == "bp-again"
    page.keyboard.press("Enter")
    assert page.get_attribute("html", "data-revealed") == "0"
    assert page.evaluate("document.activeElement.id") == "bp-answer"
    assert page.errors == []


@pytest.mark.slow
def test_the_forgot_to_sum_hint_and_fractions(practice):
    page = practice("x*y + x", {"x": 2, "y": 5})
    for text in ("10", "12", "1"):
        answer(page, text)
    answer(page, "5")
    assert "forgot to sum over the two uses of x" in feedback(page)
    answer(page, "12/2")  # a fraction is a number
    assert feedback(page).startswith("Right, after the hint")
    assert page.errors == []


@pytest.mark.slow
@pytest.mark.parametrize("level", [2, 3])
def test_generated_problems_can_be_answered_right_to_the_end(practice, level):
    from backprop.practice.problems import generate
    from backprop.numfmt import format_number

    problem = generate(level, 1, seed=11)[0]
    page = practice(problem.source, problem.values)
    result = problem.result()
    asked = [s for s in page_data(render_practice_page(result))["steps"] if s["question"]]
    for step in asked:
        answer(page, format_number(step["question"]["answer"]))  # six significant digits: within 1%
    assert page.locator("#bp-score").inner_text().startswith(f"Score: {len(asked)} of {len(asked)} right")
    assert page.errors == []
