"""Parsing: the grammar's precedence and associativity, and syntax errors with carets."""

import pytest

from backprop.api import differentiate
from backprop.errors import BackpropError, ParseError, UnknownFunction, UnknownName, format_error
from backprop.lower import lower
from backprop.parse import parse


def echo(source: str) -> list[str]:
    return lower(parse(source)).echo()


@pytest.mark.parametrize(
    "source, expected",
    [
        ("(a*b+c)*f", "L = ((a × b) + c) × f"),
        ("a+b*c", "L = a + (b × c)"),
        ("a-b-c", "L = (a − b) − c"),
        ("a/b/c", "L = (a / b) / c"),
        ("-2^2", "L = -(2 ^ 2)"),
        ("2^3^2", "L = 2 ^ (3 ^ 2)"),
        ("2**-1", "L = 2 ^ (-1)"),
        ("a × b ÷ c · d − e", "L = ((a × b) / c) × d) − e".replace("L = ((", "L = (((")),
        ("+a", "a"),
        ("−x", "L = -x"),
        ("pow(x, 2) + max(a, b)", "L = (x ^ 2) + max(a, b)"),
        ("θ*α_1 + w2", "L = (θ × α_1) + w2"),
        ("pi/4", "L = π / 4"),
        ("pi", "L = π"),  # a bare constant is echoed as written, not as its value 3.14159
        ("L = pi", "L = π"),
        ("2*π*r", "L = (2 × π) × r"),  # π, as the echo prints it, reads back as pi
        (".5 + 1e-3 + 6.02E23 + 2.5", "L = ((0.5 + 1e-3) + 6.02E23) + 2.5".replace("0.5", ".5")),
    ],
)
def test_precedence_and_echo(source, expected):
    assert echo(source)[-1] == expected


def test_statements_separated_by_semicolons_newlines_and_comments():
    source = "# the seed page\ne = a*b   # product\r\nd = e + c;\n\nL = d*f;\n"
    assert echo(source) == ["e = a × b", "d = e + c", "L = d × f"]


def test_augmented_assignment_is_sugar():
    assert echo("c = a + b; c += 1; c *= c") == ["c = a + b", "c₁ = c + 1", "c₂ = c₁ × c₁"]


def test_unary_minus_binds_looser_than_power_and_exponent_may_carry_sign():
    assert differentiate("-2^2").value == -4
    assert differentiate("2^3^2").value == 512
    assert differentiate("2^-1").value == 0.5
    assert differentiate("(-2)^2").value == 4


@pytest.mark.parametrize(
    "source, error, message, column",
    [
        ("", ParseError, "the program is empty", None),
        ("   ", ParseError, "the program is empty", None),
        ("(a*b", ParseError, "expected ')'", 5),
        ("a*b)", ParseError, "unexpected ')'", 4),
        ("a**", ParseError, "unexpected end of the program", 4),
        ("3 +* 4", ParseError, "unexpected '*'", 4),
        ("a b", ParseError, "is an operator missing", 3),
        ("2a", ParseError, "write 2*a for a product", 2),
        ("a..b", ParseError, "unexpected '.'", 2),
        ("1e", ParseError, "malformed number '1e'", 2),
        ("1.2.3", ParseError, "at most one decimal point", 4),
        ("f(,)", ParseError, "unexpected ','", 3),
        ("max(1)", UnknownFunction, "max() takes 2 arguments, got 1", 1),
        ("sin()", UnknownFunction, "sin() takes 1 argument, got 0", 1),
        ("sin(1,2)", UnknownFunction, "sin() takes 1 argument, got 2", 1),
        ("lgo(x) * 2", UnknownFunction, "unknown function 'lgo' (did you mean 'log'?)", 1),
        ("= 3", ParseError, "unexpected '='", 1),
        ("x = ", ParseError, "unexpected end of the program", 4),
        ("sin = 3", UnknownName, "'sin' is a built-in function", 1),
        ("pi = 3", UnknownName, "'pi' is a built-in constant", 1),
        ("sin + 1", UnknownName, "'sin' is a function", 1),
        ("a = a + 1", UnknownName, "'a' is used before its first binding", 5),
        ("__import__('os').system('ls')", ParseError, "strings are not part of the language", 12),
        ("().__class__", ParseError, "unexpected ')'", 2),
        ("1e999999", ParseError, "too large", 1),
    ],
)
def test_errors_name_the_problem_and_point_at_it(source, error, message, column):
    with pytest.raises(error) as raised:
        differentiate(source, {"a": 1, "b": 1, "x": 1})
    text = format_error(raised.value, source)
    assert message in text
    assert "__ANON" not in text and "$END" not in text
    if column is not None:
        assert f"column {column})" in text
        caret_line = text.splitlines()[-1]
        assert caret_line.index("^") - 2 == column - 1  # two spaces of indent
    assert isinstance(raised.value, BackpropError)


def test_caret_lands_on_second_line():
    source = "x = 1\ny = (x +\n"
    with pytest.raises(ParseError) as raised:
        parse(source)
    text = format_error(raised.value, source)
    assert "line 2" in text
    assert text.splitlines()[1] == "  y = (x +"


def test_deep_nesting_parses_without_recursion():
    depth = 100_000
    source = "(" * depth + "x" + ")" * depth + "*2"
    result = differentiate(source, {"x": 3})
    assert result.value == 6 and result.gradients == {"x": 2}


PROGRAMS = [
    "(a*b+c)*f",
    "e = a*b; d = e + c; L = d*f",
    "-x^2 + 2^-y ** 3 × z · w ÷ v − u",
    "c = a; c += 1; c -= 2; c *= c; c /= 3; c −= 1",
    "# comment\nx = sin(a) + max(a, b)  # trailing\n\n  pow(x, 2) - -+-x;;",
    "θ_1 = α*β\r\nθ_1 / 2",
    "pi*r^2",
    "tanh(w*tanh(w*x+b)+b)",
    "x*3\n# 5",  # a comment that ends the text is not lexed again as tokens
    "y = x*2 # the end",
]


@pytest.mark.parametrize("source", PROGRAMS)
def test_fast_table_driver_builds_what_lark_builds(source):
    from backprop.parse import _driver, _parse_with_lark
    from backprop.syntax import Program

    fast = _driver().parse(source)
    assert fast is not None, "the fast path refused a valid program"
    reference = _parse_with_lark(source)
    assert str(lower(Program(tuple(fast), source))) == str(lower(Program(tuple(reference), source)))


@pytest.mark.parametrize("source", ["a b", "(a", "a)", "1e", "x = ", "a $ b"])
def test_fast_table_driver_defers_syntax_errors_to_lark(source):
    from backprop.parse import _driver

    assert _driver().parse(source) is None
    with pytest.raises(ParseError):
        parse(source)


def test_generated_parser_tables_match_the_grammar():
    """src/backprop/_parser_tables.py is stale: run `python scripts/gen_parser.py`."""
    import hashlib

    from backprop import _parser_tables
    from backprop.parse import _driver, grammar_text

    assert _parser_tables.GRAMMAR_SHA256 == hashlib.sha256(grammar_text().encode("utf-8")).hexdigest()
    assert _parser_tables.GRAMMAR == grammar_text()
    assert _driver() is not None


def test_valid_programs_never_import_lark():
    import subprocess
    import sys

    from conftest import ROOT

    code = ("import sys; from backprop.api import differentiate; "
            "differentiate('e = a*b; d = e + c; L = d*f', {'a': 2, 'b': 3, 'c': -10, 'f': 5}); "
            "print('lark' in sys.modules)")
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                               env={"PYTHONPATH": str(ROOT / "src")}, timeout=60)
    assert completed.stdout.strip() == "False", completed.stderr


def test_pi_symbol_is_the_constant_and_reserved():
    from backprop import differentiate
    from backprop.errors import BackpropError

    assert differentiate("2*π*r", {"r": 1}).value == differentiate("2*pi*r", {"r": 1}).value
    with pytest.raises(BackpropError, match="'π' is a built-in constant and can not be assigned to"):
        differentiate("π = 3\nL = π*x", {"x": 1})
