"""The bulk step printer (render/bulk_text.py) writes the same bytes as the reference path.

The text, ASCII and JSON writers print every step in two passes over ``steps.Steps``' flat
arrays, with each node's six-digit texts made once; ``step_text.FAST = False`` prints one
``Step`` at a time through ``equations.py`` and ``printer.Printer``. Programs here hit every
branch of the bulk printer: nodes used 1, 2, 70 and 3,000 times, steps that need more than six
digits, negative numbers, aliases, constants and pi, subscripted and Greek names, a name with
"/" in it (grad()'s ∂f/∂x), unary and binary consumers, a dead branch, --wrt and --ascii.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backprop.api import differentiate
from backprop.render import step_text
from backprop.render.bulk_text import BulkSteps, bulk_for
from backprop.render.formats import FORMATS
from backprop.render.trace import _Writer

from test_properties import examples
from test_writers_fast import SETTINGS, _both, _result, programs, VALUES, INPUTS

FAST_WRITERS = ("text", "ascii", "json")
OPTIONS = [{}, {"wrt": ["x"]}, {"wrt": ["θ"]}, {"symbolic": True}]

PROGRAMS = [
    # the seed, negatives, an input used twice as both operands of one consumer
    ("(a*b+c)*f", {"a": 2.0, "b": -3.0, "c": -10.0, "f": 5.0}),
    ("L = x * x - θ ^ (-2) + log(θ) * sigmoid(-θ)", {"x": -0.5, "θ": 0.3}),
    # steps that need more than six digits, forward and backward
    ("y = x - 1\nL = (1024 + 0.001 * x) * y / (x - 1.0000001)", {"x": 1.0}),
    ("e = 1.0000001 * x - 1\nL = e * (1024 + 0.001) + e", {"x": 1.0, "θ": 2.0}),
    ("L = (x + 1024) * (x + 0.001) * (123456.7 + θ)", {"x": 1.0000001, "θ": -0.7}),
    # numbers in scientific notation under ^ (bracketed in text), and 1234567.5, which is 1.23457e6 at six
    # digits but printed in full in a step that needs more: used twice, then once
    ("L = x^2 * y + 2^z + w^3", {"x": 3e-7, "y": 2.0, "z": 1e-7, "w": 1234567.5}),
    ("c = w^2\nd = w * 10000000\nL = c + d * 1.0000001", {"w": 1234567.5}),
    ("c = w^2\nL = c * (2469136 / 2469135)", {"w": 1234567.5}),
    # an alias, constants, pi, subscripts, a max gate, a dead branch
    ("e = x * y\nf = e\nL = f * 2 + max(e, -y)", {"x": 1.0, "y": -2.0}),
    ("w_1 = x * pi\nθ_2 = w_1 / 3 + 0.1\ndead = θ_2 * 7\nh = θ_2 * x\nh = h - 1\nL = tanh(h) * exp(-x) + 2 * 3",
     {"x": 0.25, "θ": 1.0}),
    # grad(): names with "/" in them, bracketed as operands
    ("f = x * x * θ\ng = grad(f, x)\nL = g * g + θ", {"x": 1.5, "θ": -2.0}),
    # used 2 and 70 times (more than SHOWN_TERMS: "… and 50 more"), unary consumers
    ("h = sin(x) + cos(x)\nL = " + " + ".join(["h"] * 70) + " + relu(x) * abs(x)", {"x": -0.3, "θ": 1.0}),
    # used 3,000 times, by several consumers
    pytest.param("L = " + " + ".join(["x * θ"] * 1500), {"x": 1.0 / 3.0, "θ": -2.5}, marks=pytest.mark.slow,
                 id="used-3000-times"),
]


@pytest.mark.parametrize("source, values", PROGRAMS)
def test_known_programs_print_the_same_bytes_through_the_bulk_printer(source, values):
    result = differentiate(source, values)
    assert isinstance(bulk_for(result, _Writer(result).texts), BulkSteps)  # the path under test is taken
    names = {result.graph.nodes[i].name for i in result.graph.inputs}
    for options in OPTIONS:
        if "wrt" in options and not set(options["wrt"]) <= names:
            continue
        for fmt in FAST_WRITERS:
            fast, generic = _both(lambda: FORMATS[fmt].render(result, **options))
            assert fast == generic, (fmt, options)


def test_a_step_that_needs_more_digits_keeps_them_in_bulk():
    text = FORMATS["text"].render(differentiate("y = x - 1\nL = y * 1024 + 0.001", {"x": 1.0000001})).decode()
    assert "  1. y = x − 1 = 1.0000001 − 1 = 1e-7\n" in text
    text = FORMATS["text"].render(differentiate("L = x * 3 + 1024 + 0.001", {"x": 1.0})).decode()
    assert "  3. L = a + 0.001 = 1027 + 0.001 = 1027.001\n" in text


def test_the_bulk_printer_leaves_out_the_steps_off_the_wrt_paths():
    result = differentiate("p = x * y\nq = y * 2\nL = p + q", {"x": 2.0, "y": 3.0})
    text = FORMATS["text"].render(result, wrt=["x"]).decode()
    backward = text.split("Backward pass")[1].split("Result")[0]
    assert "∂L/∂x" in backward and "∂L/∂q" not in backward and "∂L/∂y" not in backward


@settings(SETTINGS, max_examples=examples(80))
@given(programs(), st.fixed_dictionaries({name: VALUES for name in INPUTS}), st.sampled_from(FAST_WRITERS),
       st.sampled_from(OPTIONS[:3]))
def test_random_programs_print_the_same_bytes_through_the_bulk_printer(source, values, fmt, options):
    result = _result(source, values)
    if result is None:
        return
    names = {result.graph.nodes[i].name for i in result.graph.inputs}
    if "wrt" in options and not set(options["wrt"]) <= names:
        options = {}
    fast, generic = _both(lambda: FORMATS[fmt].render(result, **options))
    assert fast == generic


def test_the_reference_path_does_not_use_the_bulk_printer():
    result = differentiate("L = x * x", {"x": 3.0})
    step_text.FAST = False
    try:
        assert bulk_for(result, _Writer(result).texts) is None
    finally:
        step_text.FAST = True


def test_a_big_streamed_json_document_is_the_same_through_the_bulk_printer():
    """Past INDENT_LIMIT nodes the JSON is streamed in batches; a node used more than a batch's worth
    of times is written piece by piece (``_BigStep``). Both ways must give the same bytes."""
    from backprop.render.export import _BATCH, INDENT_LIMIT, render_json

    source = "h = " + " + ".join(["x * y"] * (_BATCH + 100)) + "\nd = h * 3\nL = log(h * h) + max(h, y) / 3"
    result = differentiate(source, {"x": 0.5, "y": -1.5})
    assert len(result.graph.nodes) > INDENT_LIMIT
    fast, generic = _both(lambda: render_json(result))
    assert fast == generic
    for options in ({"wrt": ["y"]}, {}):
        fast, generic = _both(lambda: FORMATS["text"].render(result, **options))
        assert fast == generic


@settings(SETTINGS, max_examples=examples(500))
@given(st.lists(st.floats() | st.sampled_from([0.0, -0.0, 1e15, -1e15, 1e16, 123456.7, 999999.5, 0.000123457, 5e-324,
                                                1.0000001, 1024.001, 1234567.0, -1e-5, 0.1, float("inf"), float("-inf")]), max_size=20))
def test_a_column_of_six_digit_texts_is_what_format_number_and_six_give(xs):
    """numfmt.SixDigits (one pass over every node's value or gradient) against the per-number functions."""
    import math

    from backprop.numfmt import _SIX_READ, SixDigits, _six, format_number

    column = SixDigits(xs)
    for i, x in enumerate(xs):
        _SIX_READ.pop(x, None)
        assert column.texts[i] == format_number(x)
        if math.isfinite(x):
            assert (column.reads[i], column.claims[i]) == _six(x)
        assert column.exact[i] == (float(format_number(x)) == x)
        assert column.finite[i] == math.isfinite(x)


@settings(SETTINGS, max_examples=examples(1000))
@given(st.sampled_from(["add", "sub", "mul", "div", "pow", "max", "sin", "exp", "log", "tanh", "product"]),
       st.lists(st.floats(allow_nan=False, allow_infinity=False) | st.sampled_from(
           [0.0, 1.0, 1 / 3, 1024.0, 0.001, 1.0000001, 123456.7, -2.5, 1e300]), min_size=3, max_size=3),
       st.booleans())
def test_six_digits_hold_only_when_equation_digits_says_six(op, numbers, computed):
    """The bulk printer skips equation_digits when six_digits_hold (or its inlined copies) says six
    digits hold: that must never be where equation_digits would ask for more."""
    import math

    from backprop.numfmt import DIGITS, SixDigits, equation_digits, six_digits_hold
    from backprop.ops import OPS
    from backprop.render.equations import _product

    compute = _product if op == "product" else OPS[op].forward
    operands = numbers[:1] if op in ("sin", "exp", "log", "tanh") else numbers[:2]
    value = numbers[2]
    if computed:
        try:
            value = compute(*operands)
        except (ArithmeticError, ValueError):
            pass
    if not all(math.isfinite(x) for x in [*operands, value]):
        return
    column = SixDigits([*operands, value])
    held = six_digits_hold(compute, operands, list(column.reads[:-1]), value, column.reads[-1], column.claims[-1],
                           all(column.exact))
    if held:
        assert equation_digits(compute, operands, value) == DIGITS


def test_the_bulk_printer_prints_the_same_when_its_remembered_texts_are_dropped(monkeypatch):
    """Operations over names and ∂L/∂node are kept in bounded maps (a 10⁶-node derivation must fit
    in memory); when they are cleared, the texts are printed again, the same."""
    import sys
    from pathlib import Path

    from backprop.render import bulk_text

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    from workloads import make

    workload = make("dag-30")
    result = differentiate(workload.source, workload.values)
    whole = {fmt: FORMATS[fmt].render(result) for fmt in FAST_WRITERS}
    monkeypatch.setattr(bulk_text, "_REMEMBERED", 3)
    for fmt in FAST_WRITERS:
        fast, generic = _both(lambda: FORMATS[fmt].render(result))
        assert fast == generic == whole[fmt]
