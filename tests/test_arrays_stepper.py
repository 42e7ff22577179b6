"""The array stepper page: self-contained, and driven in headless Chromium (Debian's, via Playwright)."""

from __future__ import annotations

import json
import re
import shutil

import pytest

from backprop import differentiate
from backprop.arrays.stepper import render_html

pytestmark = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
PROGRAM = ("y = W @ x + b; L = sum(y^2)", {"W": "[[1, 2], [3, 4]]", "x": "[1, -1]", "b": "[0.5, 1, 2]"})


def test_the_page_is_self_contained_and_carries_the_steps():
    page = render_html(differentiate("y = W @ x + b; L = sum(tanh(y))", {"W": "[[1, 2], [3, 4]]", "x": "[1, -1]",
                                                                       "b": "0.5"}))
    steps = json.loads(page.split('id="bp-data">', 1)[1].split("</script>", 1)[0])["steps"]
    # one drawing per step, revealed as computed: the first has "?" for the gradients, the last none
    assert page.startswith("<!DOCTYPE html>") and page.count("<svg") == len(steps)
    frames = page.split('<div class="bp-frame"')[1:]
    assert ">?<" in frames[0] and ">?<" not in frames[-1]
    lowered = page.lower()
    for needle in ("<link", "@import", " src=", "href=\"http", "cdn"):
        assert needle not in lowered, needle
    assert "(2, 2)" in page and "∂L/∂W = ∂L/∂a · xᵀ" in page


def test_a_long_program_keeps_one_drawing_with_every_value():
    from backprop.arrays.stepper import MAX_REVEAL_STEPS

    source = "; ".join(f"h{k} = tanh(h{k - 1})" if k else "h0 = tanh(x)" for k in range(MAX_REVEAL_STEPS))
    page = render_html(differentiate(source + f"; L = sum(h{MAX_REVEAL_STEPS - 1})", {"x": "[1, -1]"}))
    assert page.count("<svg") == 1 and 'class="bp-single"' in page and ">?<" not in page


@pytest.mark.slow
def test_the_page_steps_through_the_derivation_in_chromium(tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        pytest.skip("chromium is not installed (scripts/setup.sh --test installs it)")
    path = tmp_path / "steps.html"
    path.write_text(render_html(differentiate("y = W @ x + b; L = sum(y^2)",
                                              {"W": "[[1, 2], [3, 4]]", "x": "[1, -1]", "b": "1"})), encoding="utf-8")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=[
            "--no-sandbox", "--disable-background-networking", "--disable-component-update"])
        page = browser.new_page()
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("console", lambda message: message.type == "error" and errors.append(message.text))
        page.goto(path.as_uri())
        counter = page.locator("#counter")
        total = int(re.search(r"of (\d+)", counter.inner_text()).group(1))
        assert counter.inner_text() == f"Step 1 of {total}" and page.locator("#prev").is_disabled()
        assert page.locator("#phase").inner_text() == "Forward pass"
        assert "a = W @ x   (2, 2) @ (2,) → (2,)" in page.locator("#text").inner_text()
        assert page.locator(".bp-current title").text_content() == "v3"  # the node a, outlined
        for _ in range(total - 1):
            page.keyboard.press("ArrowRight")
        assert counter.inner_text() == f"Step {total} of {total}" and page.locator("#next").is_disabled()
        assert page.locator("#phase").inner_text() == "Backward pass"
        assert "∂L/∂" in page.locator("#text").inner_text()
        page.locator("#prev").click()
        assert counter.inner_text() == f"Step {total - 1} of {total}"
        assert errors == []
        browser.close()


@pytest.mark.slow
def test_the_gif_has_one_captioned_frame_per_step(tmp_path):
    pytest.importorskip("PIL")
    from PIL import Image

    from backprop.arrays.gif import render_gif

    result = differentiate(*PROGRAM[:1], PROGRAM[1] | {"b": "1"})
    data = render_gif(result, frame_ms=100)
    assert data.startswith(b"GIF89a")
    path = tmp_path / "steps.gif"
    path.write_bytes(data)
    with Image.open(path) as image:
        steps = len(__import__("json").loads(result.to_json())["steps"])
        assert image.n_frames == steps + 1  # frame 0: the graph and its inputs, then one per step
