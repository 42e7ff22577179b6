"""Markdown and LaTeX derivations: the same steps as the text, math that renders, LaTeX that compiles."""

import shutil
import string
import subprocess
import time

import pytest
from click.testing import CliRunner

from backprop.api import differentiate
from backprop.cli import command
from backprop.errors import BackpropError
from backprop.ops import OPS
from backprop.render.latex import latex_name, latex_number, latex_text, render_latex
from backprop.render.markdown import render_markdown
from backprop.steps import BACKWARD, FORWARD

from conftest import SEED, SEED_ARGS, SEED_VALUES

SHARED = "p = x*y; q = x + z; L = p*q"
SHARED_VALUES = {"x": 2, "y": 3, "z": 1}
HAS_PDFLATEX = shutil.which("pdflatex") is not None


@pytest.fixture
def seed():
    return differentiate(SEED, SEED_VALUES)


@pytest.mark.parametrize("op", [op for op in OPS.values() if op.kind != "transform"], ids=lambda op: op.name)
def test_every_op_has_a_latex_derivative_per_operand(op):
    from backprop.render.printer import rule_text

    assert len(op.grads) == op.arity
    for position in range(op.arity):
        filled = rule_text(op.name, position, "latex")
        assert filled and filled.count("{") == filled.count("}"), (op.name, filled)


@pytest.mark.parametrize("name, latex", [
    ("a", "a"), ("c₁", "c_{1}"), ("c₁₂", "c_{12}"), ("θ", r"\theta"), ("w1", r"\mathit{w1}"),
    ("w_out", r"\mathit{w\_out}"), ("_t3", r"\mathit{\_t3}"), ("loss₂", r"\mathit{loss}_{2}"),
])
def test_names_are_escaped_and_versions_become_subscripts(name, latex):
    assert latex_name(name) == latex
    assert latex_name("c1") != latex_name("c₁")  # a user's c1 is not the version c₁ of c


def test_numbers_and_prose():
    assert latex_number(1.5e-7) == r"1.5 \times 10^{-7}"
    assert latex_number(float("inf")) == r"\infty" and latex_number(-4.0) == "-4"
    assert latex_text("x^y < 1 & 50% #_") == r"x\^{}y \textless{} 1 \& 50\% \#\_"
    assert latex_text("∂(x^y)/∂y") == r"$\partial$(x\^{}y)/$\partial$y"


def test_latex_has_an_align_block_per_pass_and_the_seed_steps(seed):
    text = render_latex(seed)
    assert text.count(r"\begin{align*}") == 3  # program, forward pass, backward pass
    assert r"e &= a \times b = 2 \times 3 = 6" in text
    assert r"L &= d \times f = (-4) \times 5 = -20" in text
    assert (r"\frac{\partial L}{\partial a} &= \frac{\partial L}{\partial e} \times \frac{\partial e}{\partial a}"
            r" = 5 \times b = 5 \times 3 = 15") in text
    assert r"\text{since } e = a \times b,\quad \frac{\partial e}{\partial a} = b" in text
    assert r"\documentclass" not in text
    document = render_latex(seed, standalone=True)
    assert document.startswith(r"\documentclass") and document.rstrip().endswith(r"\end{document}")
    assert r"\usepackage{amsmath}" in document


def test_shared_node_shows_the_sum_with_cdot_in_both_formats():
    result = differentiate(SHARED, SHARED_VALUES)
    latex, markdown = render_latex(result), render_markdown(result)
    chain = (r"\frac{\partial L}{\partial p} \cdot \frac{\partial p}{\partial x} + "
             r"\frac{\partial L}{\partial q} \cdot \frac{\partial q}{\partial x}")
    assert chain in latex and chain in markdown
    for text in (latex, markdown):
        assert "&= 3 \\times y + 6 \\times 1" in text and "&= 9 + 6" in text and "&= 15" in text
    assert "x is used 2 times (by p, q): its gradient is the sum of the 2 paths" in markdown


def test_markdown_math_is_dollar_delimited_and_has_the_gradient_table(seed):
    text = render_markdown(seed)
    assert "1. $e = a \\times b = 2 \\times 3 = 6$" in text
    assert "$$ L = " in text
    assert "| input | value |" in text and "| $a$ | 2 | 15 |" in text and "| $f$ | 5 | -4 |" in text
    assert text.count("$") % 2 == 0


def test_every_step_appears_once_in_each_format(seed):
    forward = [s for s in seed.steps if s.phase == FORWARD]
    backward = [s for s in seed.steps if s.phase == BACKWARD]
    markdown = render_markdown(seed)
    numbered = [line for line in markdown.splitlines() if line[:1].isdigit()]
    assert len(numbered) == len(forward) + len(backward)
    latex = render_latex(seed)
    assert latex.count(r"\frac{\partial L}{\partial ") >= len(backward)


def test_kink_notes_are_escaped_prose():
    result = differentiate("relu(x) * 2 + max(x, x)", {"x": 0})
    latex, markdown = render_latex(result), render_markdown(result)
    assert r"\text{note: relu has a kink at 0" in latex
    assert "note: relu has a kink at 0" in markdown


def test_cli_formats(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    markdown = CliRunner().invoke(command, SEED_ARGS + ["--format", "markdown"])
    assert markdown.exit_code == 0 and "**Backward pass**" in markdown.stdout
    latex = CliRunner().invoke(command, SEED_ARGS + ["--format", "latex", "--standalone"])
    assert latex.exit_code == 0 and latex.stdout.startswith(r"\documentclass")
    import os

    assert not os.path.exists("backprop.png")  # like JSON: a document on stdout, no picture unless -o
    refused = CliRunner().invoke(command, SEED_ARGS + ["--standalone"])
    assert refused.exit_code == 2 and refused.stderr.startswith("Error")


def test_save_by_extension(seed, tmp_path):
    assert seed.save(tmp_path / "d.tex").read_text().startswith("% The derivation")
    assert "**Forward pass**" in seed.save(tmp_path / "d.md").read_text()


def _compile(tmp_path, source: str) -> float:
    (tmp_path / "doc.tex").write_text(source, encoding="utf-8")
    started = time.perf_counter()
    completed = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "doc.tex"],
        cwd=tmp_path, capture_output=True, timeout=120,
    )
    elapsed = time.perf_counter() - started
    log = completed.stdout.decode("utf-8", "replace")
    assert completed.returncode == 0, log[-3000:]
    assert (tmp_path / "doc.pdf").read_bytes().startswith(b"%PDF")
    return elapsed


@pytest.mark.skipif(not HAS_PDFLATEX, reason="pdflatex is not installed (sh scripts/setup.sh --test installs it)")
@pytest.mark.parametrize("source, values", [
    (SEED, SEED_VALUES),
    (SHARED, SHARED_VALUES),
    # Versions, Greek and underscored names, a constant, a tie, a kink, fractions and powers.
    ("c = θ*x; c += w_out; L = relu(c - 1)/c^2 + max(x, x) + abs(x) * pi + 1.5e-9", {"θ": 2, "x": 0, "w_out": 1}),
    # powers of numbers printed as m × 10^e, written and computed (a bare 10^{-7}^{2} does not compile)
    ("1e-7^2 * x + y^3", {"x": 2, "y": 2e-5}),
], ids=["seed", "shared", "names-and-kinks", "scientific-powers"])
def test_standalone_latex_compiles_with_pdflatex(tmp_path, source, values):
    _compile(tmp_path, render_latex(differentiate(source, values), standalone=True))


@pytest.mark.skipif(not HAS_PDFLATEX, reason="pdflatex is not installed (sh scripts/setup.sh --test installs it)")
@pytest.mark.parametrize("view", [{"paths": True}, {"mode": "forward"}], ids=["paths", "forward-mode"])
def test_standalone_latex_with_check_marks_compiles(tmp_path, view):
    # the paths and forward-mode views mark a match with \checkmark (amssymb): it was undefined
    document = render_latex(differentiate("L = x*y + x + relu(x)", {"x": 0.5, "y": -1.25}), standalone=True, **view)
    assert r"\checkmark" in document
    _compile(tmp_path, document)


@pytest.mark.skipif(not HAS_PDFLATEX, reason="pdflatex is not installed (sh scripts/setup.sh --test installs it)")
def test_latin_letters_and_more_greek_in_names_compile(tmp_path):
    # é in maths mode stopped pdflatex ("use \mathaccent"), and ϑ, ς, ℓ had no command
    result = differentiate("café*ϑ + ℓ + ñ_1 * ς", {"café": 1, "ϑ": 2, "ℓ": 3, "ñ_1": 4, "ς": 5})
    document = render_latex(result, standalone=True)
    assert r"\mathit{caf\text{é}}" in document and r"\vartheta" in document and r"\ell" in document
    _compile(tmp_path, document)


def test_a_standalone_document_refuses_letters_pdflatex_cannot_typeset():
    result = differentiate("ж*2 + x", {"ж": 1, "x": 2})
    with pytest.raises(BackpropError, match="pdflatex cannot typeset ж"):
        render_latex(result, standalone=True)
    assert r"\text{ж}" in render_latex(result)  # the fragment, for xelatex or lualatex


def test_a_power_of_a_number_in_scientific_notation_is_bracketed():
    result = differentiate("1e-7^2 * x + y^3", {"x": 2, "y": 2e-5})
    for text in (render_latex(result), render_markdown(result)):
        assert "10^{-7}^{" not in text and "10^{-5}^{" not in text
        assert r"\left(1 \times 10^{-7}\right)^{2}" in text  # the echo and the forward step
        assert r"y^{3} = \left(2 \times 10^{-5}\right)^{3} = 8 \times 10^{-15}" in text
        assert r"3 \times \left(2 \times 10^{-5}\right)^{3 - 1}" in text  # the rule with numbers in


@pytest.mark.skipif(not HAS_PDFLATEX, reason="pdflatex is not installed (sh scripts/setup.sh --test installs it)")
def test_fragment_compiles_inside_a_plain_document(tmp_path, seed):
    fragment = render_latex(seed)
    _compile(tmp_path, "\\documentclass{article}\n\\usepackage{amsmath}\n\\begin{document}\n"
             + fragment + "\\end{document}\n")


# --- issue 14, item 14: lines that fit, the seed on one page, space between steps

TWO_LAYER = ("h1 = tanh(w11*x1 + w12*x2 + b1); h2 = tanh(w21*x1 + w22*x2 + b2); "
             "y = v1*h1 + v2*h2 + c; L = (y - t)^2")
TWO_LAYER_VALUES = {"x1": 1, "x2": -1, "w11": 0.5, "w12": -0.3, "b1": 0.1, "w21": -0.4, "w22": 0.8, "b2": 0,
                    "v1": 1.2, "v2": -0.7, "c": 0.05, "t": 1}


def _log_and_pages(tmp_path, source: str) -> tuple[str, int]:
    import re

    _compile(tmp_path, source)
    log = (tmp_path / "doc.log").read_text(encoding="utf-8", errors="replace")
    pages = int(re.search(r"Output written on doc\.pdf \((\d+) pages?", log).group(1))
    return log, pages


@pytest.mark.skipif(not HAS_PDFLATEX, reason="pdflatex is not installed (sh scripts/setup.sh --test installs it)")
@pytest.mark.parametrize("standalone", [True, False], ids=["standalone", "fragment-in-article"])
def test_long_lines_stay_inside_the_margin(tmp_path, standalone):
    # The two-layer example overflowed by 234 pt, and a sum of many terms by more.
    for source, values in ((TWO_LAYER, TWO_LAYER_VALUES),
                           (" + ".join(f"w{i}*x" for i in range(9)) + " + tanh(x)^2", {
                               "x": 0.5, **{f"w{i}": i / 7 for i in range(9)}})):
        latex = render_latex(differentiate(source, values), standalone=standalone)
        if not standalone:
            latex = "\\documentclass[11pt]{article}\n\\usepackage{amsmath}\n\\allowdisplaybreaks\n" \
                    "\\begin{document}\n" + latex + "\\end{document}\n"
        log, _ = _log_and_pages(tmp_path, latex)
        assert "Overfull \\hbox" not in log, [line for line in log.splitlines() if "Overfull" in line]


@pytest.mark.skipif(not HAS_PDFLATEX, reason="pdflatex is not installed (sh scripts/setup.sh --test installs it)")
def test_the_seed_with_its_table_fits_on_one_page(tmp_path, seed):
    _, pages = _log_and_pages(tmp_path, render_latex(seed, standalone=True))
    assert pages == 1


def test_backward_steps_are_spaced_apart(seed):
    latex = render_latex(seed)
    backward = latex.split("Backward pass")[1].split(r"\end{align*}")[0]
    # one gap after each step but the last (7 steps): the step's "since" line ends it
    assert backward.count(r"\\[4pt]") == 6
    assert r"\text{since } e = a \times b" in backward


def test_a_long_stage_is_cut_before_a_top_level_plus():
    from backprop.render.latex_fit import LINE_CHARS, equation_rows, split_top_level, visible_length

    assert split_top_level(r"a + \left(b + c\right) - d") == ["a", r"+ \left(b + c\right)", "- d"]
    assert split_top_level(r"\frac{a + b}{c} \times d") == [r"\frac{a + b}{c}", r"\times d"]
    stage = " + ".join(rf"\mathit{{w{i}}} \times x" for i in range(12))
    rows = equation_rows("L", [stage, "42"])
    assert rows[0].startswith("L &= ") and rows[-1].endswith("42") and len(rows) >= 2
    assert all(visible_length(row) <= LINE_CHARS for row in rows)
    assert equation_rows("e", ["a \\times b", "2 \\times 3", "6"]) == [r"e &= a \times b = 2 \times 3 = 6"]


def test_a_derivative_name_raised_to_a_power_is_bracketed_in_latex():
    # \frac{∂f}{∂x}^{2} reads as ∂f over ∂x², not (∂f/∂x)²
    latex = render_latex(differentiate("f = x^3 - 2*x - 5; x - f/grad(f, x)", {"x": 2}), symbolic=True, hessian=True)
    assert r"\left(\frac{\partial f}{\partial x}\right)^{2}" in latex
    assert r"\frac{\partial f}{\partial x}^{" not in latex
