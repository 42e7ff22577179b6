"""The LaTeX writer's linear width measure (render/latex_fit.py) breaks rows exactly as before.

``latex_fit_reference.py`` is the module as it was before the measure was made linear (one regex
search per fraction, a per-character loop per cut, every row and stage measured whole). The
rewritten module must agree with it: the same measure of any text, the same cuts, the same rows,
the same whole documents, and rows no wider than the line. The speed itself is measured by
``benchmarks/writers.py --formats latex``; here a counter shows that a long program's expression
is scanned once, not once per fraction.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import latex_fit_reference as reference
from backprop.api import differentiate
from backprop.render import latex as latex_module
from backprop.render import latex_fit
from backprop.render.latex import render_latex
from backprop.render.latex_fit import LINE_CHARS, equation_rows, since_rows, split_top_level, visible_length

from test_properties import examples
from test_writers_fast import INPUTS, VALUES, _result, programs

# Pieces of the math the writers print, and pieces that stress the measure (unbalanced braces, a lone
# backslash, "frac{" that a replacement could join to a backslash, \quad spaces, commands at the end).
ATOMS = ["a", "xy", "2.5", " ", " = ", " + ", " - ", " \\times ", "\\cdot ", "=", "-", "(", ")", "{", "}",
         "\\frac{", "}{", "^{2}", "_{1}", "\\mathit{t1}", "\\mathrm{relu}", "\\partial ", "\\left(", "\\right)",
         "\\sin", "\\cosh(", "\\sigma", "\\quad ", "\\qquad", ",\\quad ", "\\text{since }", "\\text{(add gate)}",
         "\\", "frac{", "\\,", "  ", "&", "&="]


@st.composite
def fractions(draw, depth=0):
    """Nested math as the writers print it: fractions, parentheses, powers, square roots."""
    if depth > 4 or draw(st.integers(0, 9)) < 3:
        return draw(st.sampled_from(["a", "bb", "\\partial \\mathit{L}", "x_{1}", "-2.5", "\\cosh(x)^{2}", "{y}",
                                     "10^{-7}"]))
    shape = draw(st.integers(0, 3))
    inner = [draw(fractions(depth + 1)), draw(fractions(depth + 1))]
    if shape == 0:
        return "\\frac{" + inner[0] + "}{" + inner[1] + "}"
    if shape == 1:
        return "\\left(" + inner[0] + draw(st.sampled_from([" + ", " - ", " = ", " \\times "])) + inner[1] + "\\right)"
    if shape == 2:
        return inner[0] + "^{" + inner[1] + "}"
    return "\\sqrt{" + inner[0] + "}"


TEXTS = st.one_of(st.lists(st.sampled_from(ATOMS), max_size=40).map("".join),
                  st.lists(fractions(), min_size=1, max_size=5).map(" \\times ".join),
                  st.lists(fractions(), min_size=1, max_size=5).map(" = ".join))
FIT = settings(deadline=None, max_examples=examples(500))
ROWS = settings(deadline=None, max_examples=examples(300))


def _fresh():
    """Empty caches on both sides: a remembered measure must not hide a difference."""
    for module in (latex_fit, reference):
        for cache in ("_MEASURED", "_PIECES", "_REPLACED"):
            if hasattr(module, cache):
                getattr(module, cache).clear()


@FIT
@given(TEXTS)
def test_every_text_measures_as_before(text):
    _fresh()
    assert latex_fit._measure(text) == reference._measure(text)
    assert visible_length(text) == reference.visible_length(text)
    assert split_top_level(text) == reference.split_top_level(text)
    assert split_top_level(text, parentheses=False) == reference.split_top_level(text, parentheses=False)


@FIT
@given(TEXTS)
def test_the_one_scan_reduces_fractions_as_the_search_does(text):
    # The scan may decline (unbalanced braces): then the search runs, as before.
    scanned = latex_fit._fractions_scanned(text)
    assert scanned is None or scanned == reference._fractions_measured(text)


@ROWS
@given(st.lists(TEXTS, min_size=1, max_size=5), TEXTS,
       st.sampled_from(["", r" \quad \text{(the output)}", r" \quad \text{(no effect on the output)}"]))
def test_rows_break_where_they_broke(stages, left, remark):
    _fresh()
    assert equation_rows(left, stages, remark) == reference.equation_rows(left, stages, remark)


@ROWS
@given(TEXTS, TEXTS, st.sampled_from(["", r"\quad\text{(mul gate: it swaps its operands' values)}",
                                       r"\quad\text{(add gate)}"]))
def test_since_lines_break_where_they_broke(definition, rule, gate):
    since = f"{definition},\\quad {rule}{gate}"
    _fresh()
    assert since_rows(since) == reference.since_rows(since)


def _documents(result) -> tuple[str, str]:
    """The LaTeX document through the rewritten fit, then through the reference."""
    _fresh()
    fast = render_latex(result, standalone=True)
    saved = latex_module.equation_rows, latex_module.since_rows, latex_module.text_rows
    try:
        latex_module.equation_rows, latex_module.since_rows, latex_module.text_rows = (
            reference.equation_rows, reference.since_rows, reference.text_rows)
        before = render_latex(result, standalone=True)
    finally:
        latex_module.equation_rows, latex_module.since_rows, latex_module.text_rows = saved
    return fast, before


@settings(deadline=None, max_examples=examples(100))
@given(programs(), st.fixed_dictionaries({name: VALUES for name in INPUTS}))
def test_documents_are_byte_identical_to_before(source, values):
    result = _result(source, values)
    if result is None:
        return
    fast, before = _documents(result)
    assert fast == before


def _workload(family: str, size: int):
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    from workloads import make

    workload = make(f"{family}-{size}")
    return differentiate(workload.source, workload.values)


@pytest.mark.parametrize("family,size", [("tree", 300), ("dag", 300), ("chain", 100)])
def test_benchmark_workloads_are_byte_identical_to_before(family, size):
    # A tree's whole program is one long expression (hundreds of fractions and parentheses): cut by the scan
    fast, before = _documents(_workload(family, size))
    assert fast == before


def test_long_equations_fit_the_line():
    result = differentiate(" + ".join(f"w{i} * sin(x) / (1 + w{i})" for i in range(60)),
                           {"x": 0.5, **{f"w{i}": i / 7 for i in range(60)}})
    # The passes (the program as parsed can hold a run of parentheses no cut can split: see docs/benchmark.md)
    passes = render_latex(result).split("Forward pass")[1]
    rows = [row.removesuffix(r" \\[4pt]").removesuffix(r" \\") for row in passes.splitlines()
            if "&" in row and r"\text" not in row]
    assert len(rows) > 200 and any(row.startswith(r"&\quad +") for row in rows)  # long sums cut before a +
    assert [row for row in rows if visible_length(row) > LINE_CHARS] == []


def test_a_long_expression_is_scanned_once_not_once_per_fraction(monkeypatch):
    # 400 fractions under one square root, as in a program's long expression: the regex search started
    # again from the beginning after each one replaced inside braces (quadratic); the scan visits each
    # brace once.
    text = r"\sqrt{" + " + ".join(rf"\frac{{\mathit{{w{i}}}}}{{1 + \mathit{{v{i}}}^{{2}}}}" for i in range(400)) + "}"
    tokens = []
    original = latex_fit._FRACTION_TOKEN

    class Counting:
        def finditer(self, string):
            for found in original.finditer(string):
                tokens.append(found)
                yield found

    monkeypatch.setattr(latex_fit, "_FRACTION_TOKEN", Counting())
    _fresh()
    reduced = latex_fit._fractions_measured(text)
    assert len(tokens) == text.count("{") + text.count("}")  # one token a brace ("\frac{" holds its own)
    monkeypatch.undo()
    assert reduced == reference._fractions_measured(text)
    assert visible_length(text) == reference.visible_length(text)


NAMES = ["x", "ab", r"\mathit{t1000}", r"\mathit{[2446]}", r"\mathit{w\_out}", r"\mathit{é1}", r"\mathit{a b}",
         r"\mathit{a-b}", r"\mathit{a_b}", "w_{1}", r"\theta ", r"\mathit{a'}", r"\mathit{1.5}", r"\mathit{a=b}"]


@pytest.mark.parametrize("top", NAMES)
def test_a_partial_fraction_is_as_wide_as_before(top):
    # ∂a/∂b takes its wider part from the names' lengths when both are plain names, else by measuring
    for bottom in NAMES:
        text = rf"\frac{{\partial {top}}}{{\partial {bottom}}} \times 2"
        _fresh()
        assert latex_fit._measure(text) == reference._measure(text), text
