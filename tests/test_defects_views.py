"""Views that said something untrue (exploratory test, session 6, items 3, 8 and 14).

- ``--hessian --symbolic``: every formula's shared parts (``s1``, ``f``, ``∂f/∂x``) are defined on
  ``where`` lines in text, ASCII, Markdown and LaTeX, and the LaTeX still compiles on the page.
- lint: an exploding gradient whose largest path product is moderate is blamed on the number of
  paths (or, vanishing, on paths that nearly cancel), not on a geometric product of 1s.
- ``--step``: the explanation of the gap says which term makes it; where the curvature along the
  step is 0 (``x^3 + x`` at x = 0) the gap shrinks like step³, and nothing "curves".
"""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from click.testing import CliRunner

from backprop.api import differentiate
from backprop.cli import command
from backprop.lint import lint
from backprop.train.nudge import take_step

NEWTON = ["f = x^3 - 2*x - 5; x - f/grad(f, x)", "--set", "x=2", "--hessian", "--symbolic", "--no-diagram"]
HAS_PDFLATEX = shutil.which("pdflatex") is not None


def run(args):
    result = CliRunner().invoke(command, args, catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    return result.stdout


def _hessian_section(text: str) -> str:
    return text[text.index("Hessian: second derivatives"):]


# --- item 3: the Hessian's formulas define the names they use


def test_text_hessian_formula_defines_its_shared_parts():
    section = _hessian_section(run(NEWTON))
    assert "∂²L/∂x² = 2 × -f / s1 × (-3)" in section
    lines = section.split("\n")
    assert "    where f = x^3 − 2 × x − 5" in lines
    assert "          ∂f/∂x = 3 × x^2 − 2" in lines
    assert "          s1 = (∂f/∂x)^2" in lines
    assert "          s2 = 1 / s1 × x × 6" in lines
    assert "(written out in full this formula would have 68 operations;" in section


def test_every_shared_name_in_a_text_hessian_is_defined():
    chain = "x1 = x0*x0 + sin(x0); x2 = x1*x1 + sin(x1); x3 = x2*x2 + sin(x2); x4 = x3*x3 + sin(x3)"
    for style in ([], ["--format", "ascii"]):
        section = _hessian_section(run([chain, "--set", "x0=0.5", "--hessian", "--symbolic", "--no-diagram", *style]))
        used = set(re.findall(r"\bs\d+\b", section))
        defined = set(re.findall(r"^\s+(?:where )?(s\d+) = ", section, flags=re.MULTILINE))
        assert used and used == defined


def test_markdown_and_latex_hessians_print_the_formulas_with_their_where_lines():
    for style in ("markdown", "latex"):
        text = run(NEWTON + ["--format", style])
        hessian = text[text.index(r"\begin{bmatrix} 1.428"):]
        assert r"\frac{\partial^{2} L}{\partial x^{2}} &= 2 \times \frac{-f}{\mathit{s1}}" in hessian
        assert r"\text{where } f &= x^{3} - 2 \times x - 5" in hessian
        assert r"\frac{\partial f}{\partial x} &= 3 \times x^{2} - 2" in hessian
        assert r"\mathit{s2} &= \frac{1}{\mathit{s1}} \times x \times 6" in hessian


def test_the_zero_entries_note_counts_in_words():
    text = run(["x^3*y", "--set", "x=2", "y=5", "--hessian", "--symbolic", "--no-diagram"])
    assert "(the other entry on and above the diagonal is 0)" in text


def _compiled_log(tmp_path, tex: str) -> str:
    (tmp_path / "doc.tex").write_text(tex, encoding="utf-8")
    done = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "doc.tex"],
                          check=False, cwd=tmp_path, capture_output=True, timeout=120)
    log = done.stdout.decode("utf-8", "replace")
    assert done.returncode == 0, log[-3000:]
    return log


@pytest.mark.skipif(not HAS_PDFLATEX, reason="pdflatex is not installed")
@pytest.mark.parametrize("args", [
    NEWTON,
    # 9 nonzero second derivatives, most with fractions: more than one display (one page) holds
    ["x/y^2 + y/(z*x) + z/(x+y) + w/(x*z)", "--set", "x=1.5", "y=2", "z=3", "w=0.5", "--hessian", "--symbolic",
     "--no-diagram"],
])
def test_standalone_latex_with_hessian_formulas_compiles_and_stays_on_the_page(tmp_path, args):
    tex = run(args + ["--format", "latex", "--standalone"])
    log = _compiled_log(tmp_path, tex)
    assert "Overfull \\vbox" not in log  # a display taller than the page would run off its bottom
    overfull = [float(width) for width in re.findall(r"Overfull \\hbox \(([\d.]+)pt too wide\)", log)]
    assert all(width < 20 for width in overfull), overfull


def test_a_tall_hessian_display_says_how_many_formulas_it_leaves_to_the_text():
    args = ["x/y^2 + y/(z*x) + z/(x+y) + w/(x*z)", "--set", "x=1.5", "y=2", "z=3", "w=0.5", "--hessian",
            "--symbolic", "--no-diagram"]
    tex = run(args + ["--format", "latex"])
    note = re.search(r"\((\d+) more formulas, more than a page holds", tex)
    shown = tex[tex.index(r"\begin{aligned}"):].count(r"\frac{\partial^{2} L}")
    assert note and shown + int(note.group(1)) == 8  # 10 entries on and above the diagonal, 2 of them 0
    assert "∂²L/∂w² = " not in run(args) and run(args).count("∂²L/∂") == 9  # the heading's and 8 formulas


# --- item 8: an explosion made by the number of paths


def _squaring_chain(links: int) -> str:
    return "; ".join(["x1 = x0*x0"] + [f"x{k} = x{k - 1}*x{k - 1}" for k in range(2, links + 1)])


def test_exploding_gradient_of_many_unit_paths_blames_the_path_count():
    findings = lint(differentiate(_squaring_chain(69), {"x0": 1.0}))
    (finding,) = [f for f in findings if f.kind == "exploding"]
    message = finding.message
    assert "∂x69/∂x0 = 5.90296e20" in message
    assert "grows geometrically" not in message
    assert "= 1, which does not explode" in message
    assert "all 590,295,810,358,705,651,712 (2^69) paths, each contributing at most 1 in size" in message
    assert "it is the number of paths that explodes" in message


def test_vanishing_gradient_of_nearly_cancelling_paths_says_so():
    chain = "; ".join(["a1 = x*1.01"] + [f"a{k} = a{k - 1}*1.01" for k in range(2, 10)] + ["a9 - x*1.0936852"])
    (finding,) = lint(differentiate(chain, {"x": 1.0}))
    assert finding.kind == "vanishing"
    assert "shrinks geometrically" not in finding.message
    assert "which does not vanish" in finding.message and "their contributions nearly cancel" in finding.message


def test_a_real_geometric_product_keeps_its_wording():
    chain = "; ".join(["h1 = 3*x"] + [f"h{k} = 3*h{k - 1}" for k in range(2, 14)])
    (finding,) = lint(differentiate(chain, {"x": 1.0}))
    assert "so it grows geometrically: 3 × 3" in finding.message and "number of paths" not in finding.message


def test_a_product_that_makes_most_of_a_many_path_gradient_stays_the_story():
    # the unrolled recurrence h ← w·h: 16 paths to L, the largest 2.5¹⁵ ≈ 9.3e5 of the gradient's 1.5e7
    recurrence = "h = w*x\n" + "\n".join(["h = w*h"] * 15) + "\nL = h"
    finding = lint(differentiate(recurrence, {"w": 2.5, "x": 1.0}))[0]
    assert finding.message.startswith("the gradient of w explodes: ∂L/∂w = 1.49012e7. The largest of its 16 paths")
    assert "so it grows geometrically" in finding.message and "number of paths" not in finding.message


# --- item 14: how the gap of one step shrinks


def _gap(source: str, values: dict, lr: float) -> float:
    nudge = take_step(differentiate(source, values), lr)
    return nudge.actual - nudge.predicted


def test_step_gap_without_curvature_is_explained_as_third_order():
    explanation = take_step(differentiate("x^3 + x", {"x": 0.0}), 0.1).explanation()
    assert "the second-order term is 0" in explanation
    assert "like --step³ (a step ten times smaller makes it about a thousand times smaller)" in explanation
    assert "curves" not in explanation and "hundred" not in explanation
    # … and that is what happens: the gap went from -0.001 to -1e-6
    assert _gap("x^3 + x", {"x": 0.0}, 0.1) / _gap("x^3 + x", {"x": 0.0}, 0.01) == pytest.approx(1000, rel=1e-6)


def test_step_gap_beyond_the_third_order_shrinks_faster_than_step_squared():
    explanation = take_step(differentiate("x^4 + x", {"x": 0.0}), 0.1).explanation()
    assert "the second-order term is 0" in explanation and "shrinks faster than --step²." in explanation
    assert "curves" not in explanation


def test_step_gap_with_small_curvature_says_the_higher_terms_dominate_at_this_step():
    explanation = take_step(differentiate("x^3 + x", {"x": 0.001}), 0.1).explanation()
    assert "L curves upward along the step" in explanation  # L'' = 6x > 0
    assert "second-order term (3.00002e-5) is not most of the gap" in explanation
    assert "third- and higher-order terms add -0.00100001" in explanation


def test_step_gap_of_a_curved_output_still_shrinks_like_step_squared():
    text = run(["(a*b+c)*f", "--set", "a=2", "b=3", "c=-10", "f=5", "--step", "0.01", "--no-diagram"])
    assert ("while L curves upward along the step; that gap comes from second- and higher-order terms, so it shrinks "
            "like --step² (a step ten times smaller makes it about a hundred times smaller).") in text
