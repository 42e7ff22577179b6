"""Properties over generated programs: the tool succeeds or raises BackpropError, never anything else.

Programs come from our own grammar (``hypothesis.extra.lark.from_lark``), from arbitrary
text and bytes, and from mutations of valid programs. When a run succeeds, the JSON is
strict, the gradients agree with central finite differences (away from kinks and domain
edges), the fast table-driven parser builds what Lark builds, and printing the graph back
and reparsing it gives the same operations.
"""

from __future__ import annotations

import json
import math
import re
from functools import lru_cache

import lark
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.lark import from_lark

from backprop.api import differentiate
from backprop.errors import BackpropError, ParseError
from backprop.lower import lower
from backprop.parse import _driver, _parse_with_lark, grammar_text
from backprop.syntax import Program

VARIABLES = ["a", "b", "x", "y"]
FUNCTIONS = ["sin", "tanh", "exp", "log", "sqrt", "sigmoid", "max", "pow", "relu", "abs", "pi"]
NON_SMOOTH = {"relu", "abs", "max", "min"}


def examples(full: int) -> int:
    """``full`` examples in the whole suite; a tenth under the quick loop's profile (conftest.py)."""
    return max(1, full * settings.default.max_examples // 100)


SETTINGS = settings(deadline=None, max_examples=examples(150), suppress_health_check=[HealthCheck.too_slow,
                                                                                     HealthCheck.filter_too_much])
CHEAP = settings(SETTINGS, max_examples=examples(400))  # arbitrary text: mostly syntax errors, fast to explain


@lru_cache(maxsize=1)
def _grammar_parser():
    return lark.Lark(grammar_text(), parser="lalr", start=["program", "sum"])


NUMBERS = st.sampled_from(["0", "1", "2", "3", "0.5", ".25", "1e-3", "2.5E1", "10"])
SPACES = st.sampled_from([" ", "\t", "\u00a0"])


ARRAY_TERMINALS = {"AT", "LSQB", "TRANSPOSE"}  # @, [ and .T: the array syntax (tests/test_arrays_properties.py)


def _grammar(start: str, names, arrays: bool = False) -> st.SearchStrategy[str]:
    """Sentences of grammar/backprop.lark from ``start``, with sensible names, numbers and spacing
    (scalar programs only unless ``arrays``: the properties here are about the scalar engine)."""
    strategy = from_lark(_grammar_parser(), start=start, explicit={
        "NAME": st.sampled_from(names),
        "NUMBER": NUMBERS,
        "__IGNORE_0": SPACES,
        # A comment runs to the end of its line, so generated between two tokens it would swallow the rest.
        "COMMENT": st.just(" "),
    })
    # from_lark picks a rule's alternatives uniformly: with two of three alternatives of `sum` recursive,
    # most draws grow past Hypothesis's depth limit and are thrown away (70% of examples, 10x the time).
    # Favouring each rule's shortest alternative keeps the trees finite; every alternative stays reachable.
    lark_strategy = getattr(strategy, "wrapped_strategy", None)
    alternatives = getattr(lark_strategy, "nonterminal_strategies", None)
    if isinstance(alternatives, dict):
        for rule, choice in list(alternatives.items()):
            options = list(getattr(choice, "elements", ()))
            if not arrays:
                options = [o for o in options if not any(getattr(s, "name", "") in ARRAY_TERMINALS for s in o)]
            if len(options) > 1:
                alternatives[rule] = st.one_of(st.just(options[0]), st.just(options[0]), st.sampled_from(options))
            elif len(options) == 1:
                alternatives[rule] = st.just(options[0])
    return strategy


def programs(names=tuple(VARIABLES + FUNCTIONS)):
    """Whole programs (statements, bindings, calls) of our grammar."""
    return _grammar("program", names)


SMOOTH_FUNCTIONS = ["sin", "cos", "tanh", "exp", "sigmoid", "softplus", "atan", "sinh"]


@st.composite
def expressions(draw):
    """Expressions of the grammar whose calls name a smooth one-argument function (most succeed)."""
    text = draw(_grammar("sum", VARIABLES))
    functions = draw(st.lists(st.sampled_from(SMOOTH_FUNCTIONS), min_size=50, max_size=50))
    calls = iter(functions * 100)
    return re.sub(r"\b[abxy](?=[ \t\u00a0]*\()", lambda m: next(calls), text)


VALUES = st.fixed_dictionaries({name: st.floats(-3, 3, allow_nan=False).map(lambda v: round(v, 3))
                                 for name in VARIABLES})


def run_or_user_error(source: str, values=None):
    """The Result, or None when the program is the user's mistake; any other exception fails the test."""
    try:
        return differentiate(source, values if values is not None else {n: 0.7 for n in VARIABLES})
    except BackpropError:
        return None


def strict_json(text: str):
    def refuse(constant):
        raise AssertionError(f"non-strict JSON constant {constant}")

    return json.loads(text, parse_constant=refuse)


# --- Only BackpropError escapes

@SETTINGS
@given(st.one_of(programs(), expressions()), VALUES)
def test_grammar_programs_succeed_or_raise_backprop_error(source, values):
    result = run_or_user_error(source, values)
    if result is None:
        return
    document = strict_json(result.to_json())
    assert set(document) == {"output", "value", "inputs", "gradients", "nodes", "steps"}
    result.derivation("text")
    result.derivation("ascii")
    result.to_dot()


@CHEAP
@given(st.text(alphabet=st.sampled_from(list("abxy01.5e+-*/^()=,;\n #×−÷·²…\t\r\x00\u200f😀sincolgptah_")),
               max_size=40))
def test_arbitrary_text_succeeds_or_raises_backprop_error(source):
    run_or_user_error(source)


@CHEAP
@given(st.text(max_size=30))
def test_any_unicode_succeeds_or_raises_backprop_error(source):
    run_or_user_error(source)


@CHEAP
@given(st.binary(max_size=40))
def test_any_bytes_succeed_or_raise_backprop_error(data):
    source = data.decode("utf-8", errors="replace")
    run_or_user_error(source)


def mutated(source_strategy):
    """A valid program with a few characters inserted, deleted or replaced."""

    @st.composite
    def build(draw):
        text = draw(source_strategy)
        for _ in range(draw(st.integers(1, 3))):
            position = draw(st.integers(0, len(text)))
            kind = draw(st.sampled_from(["insert", "delete", "replace"]))
            char = draw(st.sampled_from(list("()+-*/^=,;.e0123 \nxa")))
            if kind == "insert":
                text = text[:position] + char + text[position:]
            elif kind == "delete":
                text = text[:position] + text[position + 1:]
            else:
                text = text[:position] + char + text[position + 1:]
        return text

    return build()


@SETTINGS
@given(st.one_of(mutated(programs()), mutated(expressions())))
def test_mutated_programs_succeed_or_raise_backprop_error(source):
    result = run_or_user_error(source)
    if result is not None:
        strict_json(result.to_json())


# --- Gradients agree with finite differences

def _central_difference(result, name: str, h: float) -> float | None:
    x = result.inputs[name]
    try:
        up = result.value_at({name: x + h})
        down = result.value_at({name: x - h})
    except BackpropError:  # a domain edge within h
        return None
    return (up - down) / (2 * h)


@settings(deadline=None, max_examples=examples(200), suppress_health_check=[HealthCheck.too_slow,
                                                                            HealthCheck.filter_too_much])
@given(expressions(), VALUES)
def test_gradients_agree_with_central_differences(source, values):
    result = run_or_user_error(source, values)
    assume(result is not None)
    assume(not any(node.op in NON_SMOOTH for node in result.graph.nodes))
    assume(math.isfinite(result.value) and abs(result.value) < 1e6)
    for name, grad in result.gradients.items():
        assume(math.isfinite(grad) and abs(grad) < 1e6)
        x = result.inputs[name]
        h = 1e-5 * max(1.0, abs(x))
        coarse, fine = _central_difference(result, name, 10 * h), _central_difference(result, name, h)
        if coarse is None or fine is None:
            continue
        scale = max(1.0, abs(grad), abs(fine))
        if abs(coarse - fine) > 1e-3 * scale:
            continue  # a kink, a pole or a domain edge nearby: the difference itself is unstable
        assert abs(grad - fine) <= 1e-4 * scale, (source, values, name, grad, fine)


# --- The fast parser and Lark agree; echo and reparse round-trips

def _outcome(parse_statements, source: str):
    """('ok', IR dump) or ('error', exception type); a syntax error from the fast path is its None."""
    try:
        statements = parse_statements(source)
    except BackpropError as error:
        return ("error", type(error).__name__)
    if statements is None:
        return ("error", ParseError.__name__)
    try:
        return ("ok", str(lower(Program(tuple(statements), source))))
    except BackpropError as error:
        return ("error", type(error).__name__)


def _assert_parsers_agree(source: str) -> None:
    fast = _outcome(_driver().parse, source)
    reference = _outcome(_parse_with_lark, source)
    if fast == ("error", "ParseError") and reference[0] == "ok":
        pytest.fail(f"the fast path refused a valid program: {source!r}")
    if fast[0] == "error" and reference[0] == "error":
        return  # the fast path defers the explanation of syntax errors to Lark
    assert fast == reference, source


@SETTINGS
@given(st.one_of(programs(), expressions(), mutated(programs()), mutated(expressions())))
def test_fast_parser_and_lark_agree(source):
    _assert_parsers_agree(source)


# Found by these properties: the fast lexer once gave back the end of a trailing comment ('# 5' → 5).
@pytest.mark.parametrize("source", ["x*3\n# 5", "# only a comment", "y = x\n# the end", "x # a\n#b", "x²"])
def test_fast_parser_and_lark_agree_on_a_trailing_comment(source):
    _assert_parsers_agree(source)


@SETTINGS
@given(st.one_of(programs(), expressions()))
def test_echo_reparses_to_the_same_operations(source):
    try:
        graph = lower(Program(_parse_with_lark(source), source))
    except BackpropError:
        return
    echoed = "\n".join(graph.echo())
    again = lower(Program(_parse_with_lark(echoed), echoed))
    structure = [(node.op, node.args) for node in graph.nodes]
    assert [(node.op, node.args) for node in again.nodes] == structure, (source, echoed)
