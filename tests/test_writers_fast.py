"""The fast step writer (render/step_text.py) prints exactly what the generic printer prints.

Every derivation writer (text, ASCII, Markdown, LaTeX, and the JSON steps' text) prints its
steps from per-kind templates; ``step_text.FAST = False`` makes them print through
``equations.py`` and ``printer.Printer`` instead, the reference. Random programs over every
registry operation, with negative numbers, names that need bracketing or subscripts, nodes
used more than 20 times, aliases and steps that need more than six digits, are written
both ways in all five formats with the options that add sections, and must agree byte for byte.
``numfmt.equation_digits``' six-digit shortcut is checked against the plain search it replaces.
"""

from __future__ import annotations

import math
import re
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from backprop.api import differentiate
from backprop.errors import BackpropError
from backprop.numfmt import DIGITS, _checks_out, equation_digits, format_number
from backprop.ops import OPS
from backprop.render import step_text
from backprop.render.equations import Equations, _product, _total
from backprop.render.formats import FORMATS
from backprop.render.printer import printer
from backprop.steps import BACKWARD

from test_properties import examples

SETTINGS = settings(deadline=None, max_examples=examples(200),
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
WRITERS = ("text", "ascii", "markdown", "latex", "json")
INPUTS = ["x", "y", "θ", "w_1"]
UNARY = [name for name in OPS if OPS[name].arity == 1]
BINARY = [name for name in OPS if OPS[name].arity == 2 and OPS[name].kind != "transform"]
INFIX = {"add": "+", "sub": "-", "mul": "*", "div": "/", "pow": "^"}
LITERALS = ["2", "0.5", "3", "1e-7", "1024", "0.001", "10", "1.0000001", "pi", "(-3)", "0.1", "3e-5", "1234567"]
# 3e-5 and 1234567.5 print in scientific notation at six digits (bracketed under ^ in text); 1234567.5 not at more
VALUES = st.sampled_from([0.0, 1.0, -1.0, 2.5, -1.5, 0.25, 1 / 3, -2 / 3, 1.0000001, 1024.0, 0.001, 7.0, -0.7, 1e-7,
                          123456.7, 3.0, 3e-5, 1234567.5])


def _call(op: str, operands: list[str]) -> str:
    if op in INFIX:
        return f"({operands[0]} {INFIX[op]} {operands[1]})"
    if op == "neg":
        return f"(-{operands[0]})"
    return f"{op}({', '.join(operands)})"


@st.composite
def programs(draw):
    """A few statements over the inputs, earlier statements and literals, every operation possible."""
    names = list(INPUTS)
    lines = []
    for index in range(draw(st.integers(1, 4))):
        pool = names + LITERALS
        expression = draw(st.sampled_from(names))
        for _ in range(draw(st.integers(1, 4))):
            if draw(st.booleans()):
                expression = _call(draw(st.sampled_from(UNARY)), [expression])
            else:
                other = draw(st.sampled_from(pool))
                operands = [expression, other] if draw(st.booleans()) else [other, expression]
                expression = _call(draw(st.sampled_from(BINARY)), operands)
        name = f"h{index}"
        lines.append(f"{name} = {expression}")
        names.append(name)
        if draw(st.integers(0, 5)) == 0:  # an alias: printed as written (f = e)
            lines.append(f"f{index} = {name}")
            names.append(f"f{index}")
    if draw(st.integers(0, 4)) == 0:  # a node used more than 20 times: "… and N more"
        lines.append("s = " + " + ".join([draw(st.sampled_from(names))] * draw(st.integers(19, 24))))
        names.append("s")
    lines.append("L = " + " * ".join(draw(st.lists(st.sampled_from(names[len(INPUTS):] or names), min_size=1,
                                                    max_size=3))))
    return "\n".join(lines)


def _result(source: str, values: dict):
    try:
        result = differentiate(source, values)
        result.steps  # noqa: B018 (built on first use: refusals surface here)
    except (BackpropError, RecursionError, OverflowError):
        return None
    return result


def _both(function):
    """function() printed through the fast writer, then through the generic one."""
    try:
        step_text.FAST = True
        fast = function()
        step_text.FAST = False
        generic = function()
    finally:
        step_text.FAST = True
    return fast, generic


OPTION_SETS = [{}, {"wrt": ["x"]}, {"symbolic": True, "cost": True}, {"paths": True, "lint": True},
               {"step": 0.1}, {"wrt": ["θ"], "hessian": True, "symbolic": True}]


def assert_same_documents(result, option_sets=OPTION_SETS, writers=WRITERS):
    names = {result.graph.nodes[i].name for i in result.graph.inputs}
    for options in option_sets:
        if "wrt" in options and not set(options["wrt"]) <= names:
            continue
        for fmt in writers:
            try:
                fast, generic = _both(lambda: FORMATS[fmt].render(result, **options))
            except BackpropError:
                continue  # an option this program refuses (it is refused both ways)
            assert fast == generic, f"--format {fmt} {options}: the fast writer differs from the reference"


@SETTINGS
@given(programs(), st.fixed_dictionaries({name: VALUES for name in INPUTS}))
def test_every_step_prints_as_the_generic_printer_prints_it(source, values):
    result = _result(source, values)
    assume(result is not None)
    for style in ("text", "ascii", "latex"):
        equations = Equations(result)
        fast = step_text.StepTexts(equations, printer(style))
        generic = step_text.GenericStepTexts(Equations(result), printer(style))
        for step in result.steps:
            if step.phase == BACKWARD:
                assert fast.backward(step) == generic.backward(step), (style, step)
            else:
                assert fast.forward(step) == generic.forward(step), (style, step)


@settings(SETTINGS, max_examples=examples(60))
@given(programs(), st.fixed_dictionaries({name: VALUES for name in INPUTS}))
def test_documents_are_byte_identical_in_every_format(source, values):
    result = _result(source, values)
    assume(result is not None)
    assert_same_documents(result)


@pytest.mark.parametrize("source, values", [
    ("(a*b+c)*f", {"a": 2.0, "b": 3.0, "c": -10.0, "f": 5.0}),  # the seed
    (" + ".join(["x"] * 25), {"x": 1.5}),  # x used 25 times: the first 20, "… and 5 more"
    ("y = x - 1\nL = (1024 + 0.001 * x) * y / (x - 1.0000001)", {"x": 1.0}),  # steps that need more digits
    ("L = x * x - θ ^ (-2) + log(θ) * sigmoid(-θ)", {"x": -0.5, "θ": 0.3}),  # both operands, negatives
    ("e = x * y\nf = e\nL = f * 2 + max(e, -y)", {"x": 1.0, "y": -2.0}),  # an alias, a max gate
])
def test_documents_of_known_programs_are_byte_identical(source, values):
    assert_same_documents(differentiate(source, values))


@pytest.mark.parametrize("names", [("tree-30", "chain-10", "dag-30"),
                                   pytest.param(("tree-200", "chain-60", "dag-200"), marks=pytest.mark.slow)])
def test_workload_documents_are_byte_identical(names):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    from workloads import make

    for name in names:
        workload = make(name)
        assert_same_documents(differentiate(workload.source, workload.values), option_sets=[{}])


def test_the_command_line_prints_the_same_either_way(tmp_path):
    from click.testing import CliRunner

    from backprop.cli import command

    program = tmp_path / "p.bp"
    program.write_text("h = x * y - 2\nL = tanh(h) + h / y")
    for extra in ([], ["--format", "json", "--symbolic"], ["--format", "latex", "--wrt", "x", "--cost"],
                  ["--format", "markdown", "--paths", "--lint"], ["--ascii", "--step", "0.1"]):
        args = ["-f", str(program), "--set", "x=0.5", "--set", "y=-1.5", "--no-diagram", *extra]
        fast, generic = _both(lambda: CliRunner().invoke(command, args, catch_exceptions=False))
        assert fast.exit_code == generic.exit_code == 0, fast.output
        assert fast.output == generic.output
        assert "∂L/∂x" in fast.output or "dL/dx" in fast.output or "partial" in fast.output


def test_a_big_json_document_streams_as_json_dumps_writes_it():
    """Past INDENT_LIMIT nodes the JSON is written in batches of nodes and steps (each batch one
    call into the encoder); the pieces joined must be json.dumps of the whole document."""
    import json

    from backprop.render.export import _BATCH, INDENT_LIMIT, json_chunks, json_document

    terms = max(INDENT_LIMIT, _BATCH) + 300  # more than one batch of nodes and of steps
    source = "h = " + " + ".join(["x * y"] * terms) + "\nL = log(h * h) + max(h, y) / 3"
    result = differentiate(source, {"x": 0.5, "y": -1.5})
    streamed = "".join(json_chunks(result, symbolic=True, cost=True))
    assert len(result.graph.nodes) > INDENT_LIMIT and len(result.steps) > 2 * _BATCH
    whole = json.dumps(json_document(result, symbolic=True, cost=True), ensure_ascii=False, allow_nan=False) + "\n"
    assert streamed == whole
    assert json.loads(streamed)["steps"][-1]["node"] == result.steps[-1].node


# --- equation_digits' shortcut against the search it replaces (the issue-16 definition)

def _searched_digits(compute, operands, value) -> int:
    if not (math.isfinite(value) and all(math.isfinite(x) for x in operands)):
        return DIGITS
    if float(format_number(value)) == value and all(float(format_number(x)) == x for x in operands):
        try:
            if compute(*operands) == value:
                return DIGITS
        except (ArithmeticError, ValueError):
            return DIGITS
    for digits in range(DIGITS, 18):
        texts = [format_number(x, digits) for x in operands]
        if _checks_out(compute, texts, format_number(value, digits), digits):
            return digits
    return 17


NUMBERS = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.sampled_from(
    [0.0, -0.0, 1.0, 0.5, 1 / 3, 1024.0, 0.001, 1024.001, 1.0000001, 1e-7, 123456.7, -2.5, 1e300, 5e-324]),
    st.integers(-10**6, 10**6).map(lambda n: n / 1000))


@settings(SETTINGS, max_examples=examples(1000))
@given(st.sampled_from(["add", "sub", "mul", "div", "pow", "max", "sin", "exp", "log", "sqrt", "tanh", "product",
                        "total"]), st.lists(NUMBERS, min_size=2, max_size=4), st.booleans())
def test_equation_digits_agrees_with_the_search(op, numbers, computed):
    if op == "product":
        compute, operands = _product, numbers[:2]
    elif op == "total":
        compute, operands = _total, numbers
    else:
        compute, operands = OPS[op].forward, numbers[:OPS[op].arity]
    value = numbers[-1]
    if computed:  # the usual case: the value is what the operation gives
        try:
            value = compute(*operands)
        except (ArithmeticError, ValueError):
            pass
    assert equation_digits(compute, operands, value) == _searched_digits(compute, operands, value)


@SETTINGS
@given(st.floats(allow_nan=False, allow_infinity=False) | st.sampled_from([0.5, 1e-7, 123456.7, 0.000123457, 100.5,
                                                                          999999.5, 5e-324, 1e16, -0.0]))
def test_a_number_read_back_at_six_digits_claims_what_its_text_claims(x):
    """``_six`` (kept per number, used by equation_digits) counts digits its own way: as _claimed does."""
    from backprop.numfmt import _SIX_READ, _claimed, _six

    _SIX_READ.pop(x, None)
    text = format_number(x)
    assert _six(x) == (float(text), _claimed(text, DIGITS))


def test_a_step_that_needs_more_digits_still_gets_them():
    assert equation_digits(OPS["sub"].forward, [1.0000001, 1.0], 1.0000001 - 1.0) > DIGITS
    assert equation_digits(OPS["add"].forward, [1024.0, 0.001], 1024.001) > DIGITS
    assert equation_digits(OPS["mul"].forward, [3.0, 1 / 3], 1.0) == DIGITS


# --- latex_fit.visible_length's faster fraction loop against the plain one it replaces

_FRACTION = re.compile(r"\\frac\{((?:[^{}]|\{[^{}]*\})*)\}\{((?:[^{}]|\{[^{}]*\})*)\}")


def _plain_visible_length(tex: str) -> int:
    from backprop.render.latex_fit import _COMMAND, _FUNCTION, _SPACES, _WRAPPER

    text = tex
    for command, spaces in _SPACES.items():
        text = text.replace(command, spaces)
    while True:  # every fraction, leftmost first, searching again from the start each time
        found = _FRACTION.search(text)
        if found is None:
            break
        wider = max(found.group(1), found.group(2), key=_plain_visible_length)
        text = text[:found.start()] + wider + "x" + text[found.end():]
    binary = len(re.findall(r"\\(?:times|cdot)\b", text))
    text = _WRAPPER.sub(r"\1", text)
    text = _FUNCTION.sub(r"\1", text)
    text = re.sub(r"\\(left|right)", "", text)
    text = _COMMAND.sub("x", text)
    text = re.sub(r"[{}_^&]", "", text)
    operators = sum(text.count(op) for op in ("=", "+", " - "))
    return len(text.replace(" ", "")) + operators + binary + text.count("    ") * 2


LATEX_PIECES = st.sampled_from(["\\frac{", "}{", "}", "{", "a", "x_{1}", " + ", " - ", "=", "\\quad", "\\qquad",
                                "\\times ", "\\cdot", "\\sin", "\\sinx", "\\text{", "\\mathit{w", "\\left(",
                                "\\right)", " ", "    ", "\\,", "^{2}", "&", "\\partial ", "-0.5", "\\"])


@settings(SETTINGS, max_examples=examples(2000))
@given(st.lists(LATEX_PIECES, max_size=40).map("".join))
def test_visible_length_agrees_with_the_plain_measure(tex):
    from backprop.render.latex_fit import _MEASURED, visible_length

    _MEASURED.clear()  # measured afresh, not remembered from another example
    assert visible_length(tex) == _plain_visible_length(tex)


def test_visible_length_of_nested_fractions():
    from backprop.render.latex_fit import visible_length

    for tex in [r"\frac{\frac{a}{\frac{b}{c}}}{d} + \frac{1}{2}", r"x = \frac{\partial L}{\partial \mathit{ab}} \cdot 3",
                r"} \frac{a}{b} { \frac{\frac{a}{bb}}{c}", r"\frac{a}{b}\frac{cc}{d}"]:
        assert visible_length(tex) == _plain_visible_length(tex)


@settings(SETTINGS, max_examples=examples(1000))
@given(st.lists(LATEX_PIECES, max_size=12).map("".join), st.sampled_from([" ", " = "]),
       st.lists(LATEX_PIECES, max_size=12).map("".join))
def test_a_row_joined_from_measured_pieces_measures_as_the_whole_row(left, joiner, right):
    from backprop.render.latex_fit import _joined, _measure, _width

    whole = left + joiner + right
    assert _width(_joined(_measure(left), joiner, _measure(right), whole)) == _plain_visible_length(whole)


def _plain_rows(left: str, stages: list[str], remark: str = "") -> list[str]:
    """equation_rows as it was: every candidate row measured whole with the plain measure."""
    from backprop.render.latex_fit import LINE_CHARS, _plain_parentheses, split_top_level

    def parts(stage):
        if _plain_visible_length(f"{left} = {stage}") <= LINE_CHARS:
            return [(stage, " = ")]
        pieces = split_top_level(stage)
        if any(_plain_visible_length(piece) > LINE_CHARS for piece in pieces):
            pieces = split_top_level(_plain_parentheses(stage), parentheses=False)
        return [(pieces[0], " = ")] + [(piece, " ") for piece in pieces[1:]]

    rows, current, count = [], f"{left} &= " if left else "&= ", 0
    for stage in stages:
        for part, joiner in parts(stage):
            candidate = current + (joiner if count else "") + part
            if count and _plain_visible_length(candidate) > LINE_CHARS:
                rows.append(current)
                current = ("&= " if joiner == " = " else r"&\quad ") + part
            else:
                current = candidate
            count += 1
    if remark:
        if _plain_visible_length(current + remark) > LINE_CHARS:
            rows.append(current)
            current = "&" + remark.lstrip()
        else:
            current += remark
    rows.append(current)
    return rows


STAGE_PIECES = st.sampled_from([r"\frac{\partial L}{\partial \mathit{ab}}", r" \cdot ", r" \times ", " + ", " - ",
                                "-0.533333", r"\left(1 - x^{2}\right)", r"\frac{1}{\mathit{w}}", r"\sin\left(x\right)",
                                r"x_{1}", "2", r"\text{and 5 more}", r"\ldots\ ", r"\quad", "\\", "{", "}"])


@settings(SETTINGS, max_examples=examples(500))
@given(st.sampled_from(["", "a", r"\frac{\partial L}{\partial x}"]),
       st.lists(st.lists(STAGE_PIECES, min_size=1, max_size=14).map("".join), min_size=1, max_size=6),
       st.sampled_from(["", r" \quad \text{(the output)}"]))
def test_rows_break_where_the_plain_measure_breaks_them(left, stages, remark):
    from backprop.render.latex_fit import equation_rows

    assert equation_rows(left, stages, remark) == _plain_rows(left, stages, remark)
