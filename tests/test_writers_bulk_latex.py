"""The LaTeX-alphabet bulk printer (render/bulk_latex.py) writes the same Markdown and LaTeX as the
step-by-step path.

``bulk_latex.BULK = False`` makes both writers read one ``Step`` at a time through
``LatexWriter`` and ``StepTexts`` (the path they took before the bulk printer), and
``step_text.FAST = False`` through the generic printer: all three must give the same bytes.
Programs here reach every branch of the bulk printer: every registry operation, negative numbers,
steps needing more than six digits, numbers printed in scientific form (and powers of them),
aliases, constants and pi, subscripted and Greek names, names with "/" (grad()), calls of one and
two operands (the registry has none of three: LaTeX's templates have the slots x and y only, and
the bulk printer hands such a step to ``LatexWriter``), nodes used 1, 2, 70 and 3,000 times, a
dead branch, --wrt, and the views that the Markdown and LaTeX writers add (--symbolic, --hessian,
--paths, --lint, --mode forward).
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backprop.api import differentiate
from backprop.ops import OPS
from backprop.render import bulk_latex, step_text
from backprop.render.bulk_latex import BulkLatexSteps, bulk_latex_for
from backprop.render.formats import FORMATS
from backprop.render.latex import LatexWriter
from backprop.render.markdown import markdown_text

from test_properties import examples
from test_writers_bulk import PROGRAMS as TEXT_PROGRAMS
from test_writers_fast import INPUTS, SETTINGS, VALUES, _result, programs

WRITERS = ("markdown", "latex")

PROGRAMS = TEXT_PROGRAMS + [
    # numbers printed in scientific form, and powers of them (bracketed in LaTeX)
    ("L = (x * 1e-7) ^ 2 + 1e20 * x ^ 3 + (1e-7) ^ x", {"x": 1.5}),
    ("e = x * 1e20\nL = e ^ 2 + 1e-7 / e", {"x": -3.0}),
    # calls of one operand, consumers of one and of two
    ("L = sin(x) * cos(θ) + exp(x / θ) - log(θ * θ)", {"x": 0.5, "θ": 2.0}),
    # names with subscripts and Greek letters, an alias used twice
    ("w_1 = x * α\nβ_i = w_1 + α\nf = β_i\nL = f * f + w_1", {"x": 2.0, "α": -0.5}),
]
EVERY_OP = [name for name in OPS if OPS[name].arity in (1, 2) and OPS[name].kind != "transform"]


def _bulk_and_stepwise(render):
    """render() through the bulk printer, step by step (``BULK = False``), and the generic printer."""
    try:
        bulk_latex.BULK = True
        bulk = render()
        bulk_latex.BULK = False
        stepwise = render()
        bulk_latex.BULK = True
        step_text.FAST = False
        generic = render()
    finally:
        bulk_latex.BULK = True
        step_text.FAST = True
    return bulk, stepwise, generic


def _names(result) -> set[str]:
    return {result.graph.nodes[i].name for i in result.graph.inputs}


OPTIONS = [{}, {"wrt": ["x"]}, {"wrt": ["θ"]}]
VIEWS = [{"symbolic": True}, {"hessian": True}, {"paths": True}, {"lint": True}, {"mode": "forward"},
         {"cost": True, "paths": True, "wrt": ["x"]}]


@pytest.mark.parametrize("source, values", PROGRAMS)
def test_known_programs_print_the_same_markdown_and_latex_in_bulk(source, values):
    result = differentiate(source, values)
    writer = LatexWriter(result)
    expected = [writer.name(i) for i in range(len(result.graph.nodes))]
    assert isinstance(bulk_latex_for(result, writer), BulkLatexSteps)  # the path under test
    assert [writer.name(i) for i in range(len(result.graph.nodes))] == expected  # now the bulk printer's names
    for options in OPTIONS:
        if "wrt" in options and not set(options["wrt"]) <= _names(result):
            continue
        for fmt in WRITERS:
            bulk, stepwise, generic = _bulk_and_stepwise(lambda: FORMATS[fmt].render(result, **options))
            assert bulk == stepwise == generic, (fmt, options)


@pytest.mark.parametrize("views", VIEWS)
def test_the_views_of_markdown_and_latex_print_the_same_in_bulk(views):
    result = differentiate("e = x * θ\nf = e\nd = f * 3\nL = tanh(f) * relu(x) + max(e, θ) / 3",
                           {"x": 0.5, "θ": -1.5})
    for fmt in WRITERS:
        bulk, stepwise, generic = _bulk_and_stepwise(lambda: FORMATS[fmt].render(result, **views))
        assert bulk == stepwise == generic, (fmt, views)


@pytest.mark.parametrize("op", EVERY_OP)
def test_every_registry_operation_prints_the_same_in_bulk(op):
    operands = ["x", "θ"][:OPS[op].arity]
    call = f"{op}({', '.join(operands)})"
    source = f"u = {call}\nv = u * x - θ\nL = v * u + {op}({', '.join(['v'] + operands[1:])})"
    for values in ({"x": 0.5, "θ": 1.5}, {"x": -0.7, "θ": 2.0}, {"x": 1.0000001, "θ": 1e-7}):
        result = _result(source, values)
        if result is None:
            continue
        for fmt in WRITERS:
            bulk, stepwise, generic = _bulk_and_stepwise(lambda: FORMATS[fmt].render(result))
            assert bulk == stepwise == generic, (op, values, fmt)


def test_scientific_numbers_and_their_powers_are_printed_in_bulk_as_before():
    result = differentiate("L = (x * 1e-7) ^ 2", {"x": 1.0})
    text = FORMATS["markdown"].render(result).decode()
    assert r"= \left(1 \times 10^{-7}\right)^{2} = 1 \times 10^{-14}$" in text
    bulk, stepwise, _ = _bulk_and_stepwise(lambda: FORMATS["latex"].render(result))
    assert bulk == stepwise


def test_a_step_that_needs_more_digits_keeps_them_in_bulk_latex():
    text = FORMATS["markdown"].render(differentiate("y = x - 1\nL = y * 1024 + 0.001", {"x": 1.0000001})).decode()
    assert "1. $y = x - 1 = 1.0000001 - 1 = 1 \\times 10^{-7}$\n" in text
    text = FORMATS["latex"].render(differentiate("L = x * 3 + 1024 + 0.001", {"x": 1.0})).decode()
    assert "1027 + 0.001 = 1027.001" in text


def test_a_node_used_3000_times_shows_the_first_uses_in_bulk():
    result = differentiate(" + ".join(["x"] * 3000), {"x": 1.5})
    bulk, stepwise, generic = _bulk_and_stepwise(lambda: FORMATS["markdown"].render(result))
    assert bulk == stepwise == generic
    text = bulk.decode()
    assert "x is used 3,000 times" in text and r"\ldots\ \text{and 2,980 more}" in text
    assert "- note: the other 2,980 uses are left out here; --format json lists every contribution" in text


def test_the_bulk_latex_printer_leaves_out_the_steps_off_the_wrt_paths():
    result = differentiate("p = x * y\nq = y * 2\nL = p + q", {"x": 2.0, "y": 3.0})
    text = FORMATS["markdown"].render(result, wrt=["x"]).decode()
    backward = text.split("**Backward pass**")[1].split("**Result**")[0]
    assert r"\partial x}" in backward and r"\partial q}" not in backward and r"\partial y}" not in backward


def test_markdown_text_escapes_each_special_character_once():
    assert markdown_text(r"a_b *c* [d] <e> |f| #g $h$ `i` \j") == \
        r"a\_b \*c\* \[d\] \<e\> \|f\| \#g \$h\$ \`i\` \\j"
    assert markdown_text("x is used 2 times (by p, q)") == "x is used 2 times (by p, q)"


def test_the_reference_paths_do_not_use_the_bulk_latex_printer():
    result = differentiate("L = x * x", {"x": 3.0})
    try:
        bulk_latex.BULK = False
        assert bulk_latex_for(result, LatexWriter(result)) is None
        bulk_latex.BULK = True
        step_text.FAST = False
        assert bulk_latex_for(result, LatexWriter(result)) is None
    finally:
        bulk_latex.BULK = True
        step_text.FAST = True


def test_the_bulk_latex_printer_prints_the_same_when_its_remembered_texts_are_dropped(monkeypatch):
    """Operations over names and ∂L/∂node are kept in bounded maps; cleared, they are printed again."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    from workloads import make

    workload = make("dag-30")
    result = differentiate(workload.source, workload.values)
    whole = {fmt: FORMATS[fmt].render(result) for fmt in WRITERS}
    monkeypatch.setattr(bulk_latex, "_REMEMBERED", 3)
    for fmt in WRITERS:
        bulk, stepwise, generic = _bulk_and_stepwise(lambda: FORMATS[fmt].render(result))
        assert bulk == stepwise == generic == whole[fmt]


@settings(SETTINGS, max_examples=examples(80))
@given(programs(), st.fixed_dictionaries({name: VALUES for name in INPUTS}), st.sampled_from(WRITERS),
       st.sampled_from(OPTIONS[:3]))
def test_random_programs_print_the_same_markdown_and_latex_in_bulk(source, values, fmt, options):
    result = _result(source, values)
    if result is None:
        return
    if "wrt" in options and not set(options["wrt"]) <= _names(result):
        options = {}
    bulk, stepwise, generic = _bulk_and_stepwise(lambda: FORMATS[fmt].render(result, **options))
    assert bulk == stepwise == generic


def _latex_text_per_character(text: str) -> str:
    """latex.latex_text as it was written before str.translate: one look-up per character."""
    from backprop.render.latex import _GREEK, _TEXT_ESCAPES, _VERSION_DIGITS

    out = []
    for char in text:
        if char in _TEXT_ESCAPES:
            out.append(_TEXT_ESCAPES[char])
        elif char in _GREEK:
            out.append(f"$\\{_GREEK[char]}$")
        elif char in _VERSION_DIGITS:
            out.append(f"\\textsubscript{{{_VERSION_DIGITS.index(char)}}}")
        else:
            out.append(char)
    return "".join(out).replace("--", "-{}-")  # an option's hyphens, kept apart from LaTeX's en dash


_PROSE = st.text(st.sampled_from(list("\\{}$&#%_^~<>×·−∂±≤≥…²πσ’—–αβθΩΔ₀₁₂₉ax1 */`[]|")))


def test_an_options_two_hyphens_stay_two_hyphens_in_latex():
    from backprop.render.latex import latex_text

    assert latex_text("--format json lists every contribution") == "-{}-format json lists every contribution"
    assert latex_text("a - b") == "a - b"


@settings(SETTINGS, max_examples=examples(300))
@given(_PROSE)
def test_prose_is_escaped_for_latex_and_markdown_as_character_by_character(text):
    from backprop.render.latex import latex_text

    assert latex_text(text) == _latex_text_per_character(text)
    assert markdown_text(text) == "".join(f"\\{c}" if c in "\\`*_[]<>|#$" else c for c in text)


@settings(SETTINGS, max_examples=examples(300))
@given(st.lists(st.sampled_from(["1 \\times 10^{-7}", "2.5 \\times 10^{20}", "}^{", "^{", "{2}", "x", " ", "10^{3}",
                                 "\\times", "(", ")", "-", "7"]), max_size=12))
def test_scientific_bases_are_bracketed_as_the_pattern_alone_brackets_them(pieces):
    """bracket_scientific_bases looks for what its pattern needs before it runs the pattern."""
    from backprop.render.latex import _SCIENTIFIC_BASE, bracket_scientific_bases

    text = "".join(pieces)
    assert bracket_scientific_bases(text) == _SCIENTIFIC_BASE.sub(r"\\left(\1 \\times 10^{\2}\\right)^{", text)


@settings(SETTINGS, max_examples=examples(300))
@given(st.text(st.sampled_from(list("abxyzLt019[] ")), max_size=8))
def test_a_plain_name_is_printed_as_the_general_word_path_prints_it(name):
    """latex_name's short cut (no subscript, version, Greek letter or ∂) against _latex_word."""
    from backprop.render.latex import _latex_word, latex_name

    assert latex_name(name) == _latex_word(name)
    assert latex_name("w_1") == "w_{1}" and latex_name("θ₂") == r"\theta_{2}" and latex_name("t12") == r"\mathit{t12}"


def _expression_before(writer: LatexWriter, node_id: int) -> str:
    """LatexWriter.expression as it was written before its operands' brackets were inlined (the reference)."""
    from backprop.graph import CONST, INPUT
    from backprop.render.latex import _joined, latex_name

    graph = writer.graph

    def nested(parent: int, arg: int, text):
        parent_op = OPS[graph.nodes[parent].op]
        if not graph.is_inlined(arg) or parent_op.kind not in ("infix", "prefix") or parent_op.name == "div":
            return text
        if parent_op.name == "pow" and graph.nodes[parent].args[1] == arg:
            return text
        if OPS[graph.nodes[arg].op].kind in ("infix", "prefix"):
            return [r"\left(", text, r"\right)"]
        return text

    done: dict[int, object] = {}
    stack = [(node_id, False)]
    while stack:
        current, expanded = stack.pop()
        if current in done:
            continue
        node = graph.nodes[current]
        if current != node_id and not graph.is_inlined(current) or node.op in (INPUT, CONST):
            done[current] = writer.name(current)
        elif not expanded:
            stack.append((current, True))
            stack.extend((arg, False) for arg in reversed(node.args) if arg not in done)
        else:
            aliases = graph.alias_uses
            done[current] = writer._apply(current, [
                latex_name(aliases[current, position]) if (current, position) in aliases
                else nested(current, arg, done[arg]) for position, arg in enumerate(node.args)])
    return _joined(done[node_id])


def _echo_matches_the_reference(result) -> None:
    writer = LatexWriter(result)
    for _, root in result.graph.statements:
        assert writer.expression(root) == _expression_before(writer, root)


@pytest.mark.parametrize("source, values", PROGRAMS + [
    ("L = (x + 1) ^ (x - 1) + x ^ (x * 2) - (x * 2) ^ x + (-(x + 1)) / (x - 2) * -(x * x)", {"x": 3.0}),
    ("e = x + 1\nf = e\nL = f * (f - e) ^ 2", {"x": 0.5})])
def test_the_program_echo_brackets_as_before(source, values):
    _echo_matches_the_reference(differentiate(source, values))


@settings(SETTINGS, max_examples=examples(80))
@given(programs(), st.fixed_dictionaries({name: VALUES for name in INPUTS}))
def test_the_program_echo_of_random_programs_brackets_as_before(source, values):
    result = _result(source, values)
    if result is not None:
        _echo_matches_the_reference(result)
