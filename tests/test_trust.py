"""What a demanding user hit (issue 16): every printed step checks out, inputs echo as typed, and more."""

from __future__ import annotations

import math
import operator

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from backprop.api import differentiate
from backprop.cli import command
from backprop.numfmt import equation_digits, format_input, format_number, shortest

from test_properties import examples


def _run(*args: str):
    result = CliRunner().invoke(command, [*args, "--no-diagram"])
    return result


def _forward(stdout: str) -> str:
    return stdout.split("Forward pass")[1].split("Backward pass")[0]


# --- Item 1: six significant digits must not make a step false

@pytest.mark.parametrize("args, expected", [
    (["x - y", "--set", "x=1.0000001", "y=1"], ["inputs: x = 1.0000001, y = 1", "L = x − y = 1.0000001 − 1 = 1e-7"]),
    (["x + 1e-3", "--set", "x=1024"], ["= 1024 + 0.001 = 1024.001"]),
    (["x*2", "--set", "x=123456.7"], ["inputs: x = 123456.7", "= 123456.7 × 2 = 246913.4"]),
    (["x + y", "--set", "x=0.1", "y=0.2"], ["= 0.1 + 0.2 = 0.3"]),  # no 0.30000000000000004
    (["(a*b+c)*f", "--set", "a=2", "b=3", "c=-10", "f=5"], ["= 6 + (-10) = -4"]),
    (["sin(x)", "--set", "x=pi/4"], ["inputs: x = pi/4 = 0.785398", "sin(0.785398) = 0.707107"]),
    (["x", "--set", "x=1e-3"], ["inputs: x = 1e-3"]),  # as typed
])
def test_forward_steps_check_out_and_inputs_echo_as_typed(args, expected):
    result = _run(*args)
    assert result.exit_code == 0, result.output
    forward = _forward(result.stdout)
    for text in expected:
        assert text in forward, forward


def test_the_api_echoes_the_shortest_exact_text():
    text = differentiate("x - y", {"x": 1.0000001, "y": 1}).derivation()
    assert "inputs: x = 1.0000001, y = 1" in text and "1.0000001 − 1 = 1e-7" in text


def test_latex_steps_check_out_too():
    text = differentiate("x - y", {"x": 1.0000001, "y": 1}).derivation("latex")
    assert "x = 1.0000001$, $y = 1" in text and "1.0000001 - 1 = 1 \\times 10^{-7}" in text


@pytest.mark.parametrize("compute, operands, value, shown", [
    (operator.sub, (1.0000001, 1.0), 1.0000001 - 1, (["1.0000001", "1"], "1e-7")),
    (operator.add, (1024.0, 1e-3), 1024 + 1e-3, (["1024", "0.001"], "1024.001")),
    (operator.add, (0.1, 0.2), 0.1 + 0.2, (["0.1", "0.2"], "0.3")),
    (operator.mul, (3.0, 1 / 3), 1.0, (["3", "0.333333"], "1")),  # 0.333333 is visibly rounded
    (math.exp, (1.0,), math.e, (["1"], "2.71828")),
    (math.sin, (1000.0,), math.sin(1000), (["1000"], "0.8268795")),  # 0.82688 would claim to be exact
    # cancellations: the operands' rounding would allow the result, but redone on the printed numbers
    # the step is far off (1234570 − 1234567 = 3; log(1.00004) = 3.99992e-5)
    (operator.sub, (1234567.5, 1234567.0), 0.5, (["1234567.5", "1234567"], "0.5")),
    (math.log, (1.0000363133,), math.log(1.0000363133), (["1.0000363"], "3.6312641e-5")),
    (operator.sub, (0.33333333, 0.33333332), 0.33333333 - 0.33333332, (["0.33333333", "0.33333332"], "1e-8")),
    (operator.sub, (0.731059, 0.73), 0.731059 - 0.73, (["0.731059", "0.73"], "0.001059")),  # as it was
])
def test_equation_digits_are_the_fewest_that_check_out(compute, operands, value, shown):
    digits = equation_digits(compute, operands, value)
    assert ([format_number(x, digits) for x in operands], format_number(value, digits)) == shown


@settings(max_examples=examples(300), deadline=None)
@given(st.sampled_from(["add", "sub", "mul", "log", "exp"]), st.floats(-1e7, 1e7).filter(lambda x: abs(x) > 1e-3),
       st.floats(-1e-4, 1e-4), st.booleans())
def test_a_step_redone_on_its_printed_numbers_lands_within_a_thousandth(name, x, nearby, cancel):
    # with ``cancel``, the second operand cancels most of the first (x − 1.00001·x, log(1.00001))
    y = x * (1 + nearby) if cancel else x * 3.7 + 1
    compute, operands = {"add": (operator.add, (x, -y)), "sub": (operator.sub, (x, y)), "mul": (operator.mul, (x, y)),
                         "log": (math.log, (1 + nearby if cancel else abs(x),)), "exp": (math.exp, (x % 50,))}[name]
    value = compute(*operands)
    digits = equation_digits(compute, operands, value)
    redone = compute(*[float(format_number(number, digits)) for number in operands])
    printed = float(format_number(value, digits))
    assert abs(redone - printed) <= max(1e-3 * abs(printed), 1e-12 * max(map(abs, (printed, *operands)))), \
        (operands, digits)


def test_shortest_and_typed_texts():
    assert [shortest(x) for x in (1.0000001, 123456.7, 0.1 + 0.2, 1e-7, 2.0, -2.5)] == \
        ["1.0000001", "123456.7", "0.30000000000000004", "1e-7", "2", "-2.5"]
    assert format_input(123456.7, "123456.7") == "123456.7"
    assert format_input(math.pi / 4, "pi/4") == "pi/4 = 0.785398"
    assert format_input(1.0000001) == "1.0000001"


def test_check_table_shows_inputs_exactly():
    result = _run("x - y", "--set", "x=1.0000001", "y=1", "--check")
    assert "  x      1.0000001" in result.stdout, result.stdout


# --- Item 11: a new line inside brackets continues the statement

@pytest.mark.parametrize("source", [
    "L = (w*x +\n b)",
    "L = (w*x + # a comment (with a bracket\n   b)",
    "L = max(w*x,\n        0) + b\n",
])
def test_new_lines_inside_brackets_continue_the_statement(source):
    result = differentiate(source, {"w": 2, "x": 3, "b": 1})
    assert result.value == 7 and result.gradients == {"w": 3, "x": 2, "b": 1}


def test_a_new_line_outside_brackets_still_ends_the_statement():
    result = differentiate("a = w*x\nL = a + b", {"w": 2, "x": 3, "b": 1})
    assert [name for name, _ in result.graph.statements] == ["a", "L"]
    error = _run("L = w*x +\n b", "--set", "w=1", "x=1", "b=1")
    assert error.exit_code == 1 and "unexpected end of line" in error.stderr


# --- Items 12 and 13: Greek names in ASCII, subscripts

def test_ascii_spells_greek_names_and_keeps_the_table_aligned():
    result = _run("θ*x + Δ", "--set", "θ=2", "x=3", "Δ=1", "--ascii")
    assert result.exit_code == 0 and "\\u" not in result.stdout
    assert "dL/dtheta" in result.stdout and "inputs: theta = 2, x = 3, Delta = 1" in result.stdout
    table = result.stdout.split("Result\n")[1].splitlines()[1:]
    assert len({len(row) for row in table}) == 1, table  # every row as wide as the header
    check = _run("θ*x", "--set", "θ=2", "x=3", "--ascii", "--check")
    assert "\\u" not in check.stdout and "  theta" in check.stdout


def test_a_subscript_digit_gets_a_hint():
    result = _run("x₁ + 1", "--set", "x=1")
    assert result.exit_code == 1 and "write x_1" in result.stderr and "or x1" in result.stderr


@pytest.mark.parametrize("name, latex", [
    ("w_1", "w_{1}"), ("x_i", "x_{i}"), ("w_12", "w_{12}"), ("θ_2", r"\theta_{2}"), ("w_1₁", "w_{1,1}"),
    ("w_out", r"\mathit{w\_out}"), ("c₁", "c_{1}"), ("w1", r"\mathit{w1}"),
])
def test_latex_writes_w_1_as_a_subscript(name, latex):
    from backprop.render.latex import latex_name

    assert latex_name(name) == latex


# --- Item 16 (part): messages about --set values speak of the value

@pytest.mark.parametrize("pair, message", [
    ("x=1_000", "Error: --set x=1_000: '_' can not group digits (1_000): write 1000"),
    ("x=sqrt(-1)", "Error: --set x=sqrt(-1): cannot compute sqrt(-1): sqrt needs x ≥ 0"),
    ("x=1,5", "Error: --set x=1,5: write a decimal point, not a comma (1.5)"),
    ("x=2+", "Error: --set x=2+: unexpected end of the value: expected a number, a name, '(' or a sign"),
])
def test_set_messages_speak_of_the_value(pair, message):
    result = _run("x", "--set", pair)
    assert result.exit_code == 1 and result.stderr.strip() == message


def test_setting_a_name_the_program_binds_says_so():
    result = _run("L = x*2", "--set", "x=1", "L=5")
    assert "Warning: 'L' is given a value, but the program computes L itself: the value is not used" in result.stderr
    result = _run("x*2", "--set", "x=1", "z=5")
    assert "Warning: 'z' is given a value but the program does not use it" in result.stderr


# --- Item 15: the Python API

def test_api_values_that_are_not_floats_raise_backprop_errors():
    from backprop.errors import BackpropError

    for value in (10**400, None, float("nan")):
        with pytest.raises(BackpropError):
            differentiate("x", {"x": value})


def test_value_at_save_and_repr_refuse_or_show_what_they_can_not_use(tmp_path):
    from backprop.errors import UnknownName

    result = differentiate(" + ".join(f"x{i}" for i in range(10)), {f"x{i}": i for i in range(10)})
    with pytest.raises(UnknownName, match="'zz' is not an input"):
        result.value_at({"zz": 2.5})
    with pytest.raises(TypeError, match="unexpected keyword argument 'bogus'"):
        result.save(tmp_path / "g.dot", bogus=1)
    assert not (tmp_path / "g.dot").exists()
    assert repr(result).endswith("x7=1, … (10 in all)>")


def test_a_missing_value_message_also_speaks_to_python_callers():
    from backprop.errors import MissingValue

    with pytest.raises(MissingValue, match=r"from Python \{'a': 1, 'b': 1\}"):
        differentiate("a*b")


# --- Item 5: pi's output is L; acos's note says -inf

def test_a_bare_constant_output_is_named_l():
    result = differentiate("pi")
    assert result.output == "L" and result.value == math.pi


def test_acos_note_gives_the_sign_of_the_infinite_slope():
    result = differentiate("acos(x)", {"x": -1})
    assert result.gradients["x"] == -math.inf
    assert "(reported as -inf)" in result.derivation()
    assert "(reported as inf)" in differentiate("asin(x)", {"x": 1}).derivation()


def test_a_version_never_prints_as_a_name_the_program_writes():
    # c's second binding was c₁, printed c_1 in ASCII and c_{1} in LaTeX: the user's own c_1 printed the same
    result = differentiate("c = x; c_1 = 2*x; c += c_1; c", {"x": 3})
    assert [name for name, _ in result.graph.statements][:3] == ["c", "c_1", "c₂"]
    assert "c_2 = c + c_1 = 3 + 6 = 9" in result.derivation("ascii")
    assert r"c_{2} &= c + c_{1}" in result.derivation("latex")
    assert [name for name, _ in differentiate("c = x; c += 1; c *= 2", {"x": 3}).graph.statements] == \
        ["c", "c₁", "c₂"]  # no clash: numbered as before


def test_ascii_refuses_two_names_it_would_print_alike():
    result = _run("θ*theta", "--set", "θ=2", "theta=3", "--ascii")
    assert result.exit_code == 1 and result.stderr.startswith("Error: --ascii would print both theta and θ as theta")
    assert "Traceback" not in result.output
    assert _run("θ*theta", "--set", "θ=2", "theta=3").exit_code == 0  # Unicode tells them apart
