"""What the one equation model and its printers fix: true arithmetic at kinks, a local derivative
that can not be read as the total, single parentheses, no gradient for constants, notes on the
right operand, and the same step in text and LaTeX."""

from backprop import differentiate
from backprop.check import KINK, OK, check_gradients
from backprop.render.trace import render_trace


def test_kink_arithmetic_is_true_as_printed():
    text = render_trace(differentiate("relu(x)*y + max(x, y)", {"x": 0, "y": 0}))
    assert "if 0 > 0" not in text
    assert "[0 > 0] + 0.5 × [0 = 0]" in text  # max's tie convention, evaluated to the 0.5 printed after it
    assert "[x > 0]" in text  # relu's rule states relu'(0) = 0
    assert "0 × [0 > 0] + 1 × ([0 > 0] + 0.5 × [0 = 0]) = 0 × 0 + 1 × 0.5" in text


def test_local_derivative_is_not_written_as_the_total():
    text = render_trace(differentiate("c = a + b; c += c; L = c*a", {"a": 2, "b": 3}))
    line = next(line for line in text.splitlines() if line.strip().startswith("4. ∂L/∂a"))
    assert "∂L/∂L·∂(c₁ × a)/∂a" in line and line.count("∂L/∂a") == 1
    seed = render_trace(differentiate("(a*b+c)*f", {"a": 2, "b": 3, "c": -10, "f": 5}))
    assert "∂L/∂f = ∂L/∂L × ∂L/∂f = 1 × d" in seed  # the seed's own line, where they coincide, is kept


def test_negative_arguments_print_with_single_parentheses():
    result = differentiate("cos(x) + tanh(y)", {"x": -3, "y": -1.2})
    text = render_trace(result)
    assert "cos(-3)" in text and "cos((-3))" not in text and "tanh(-1.2)" in text
    latex = result.derivation("latex")
    assert r"\tanh(-1.2)" in latex and r"\tanh((-1.2))" not in latex


def test_constants_need_no_gradient():
    result = differentiate("exp(x)*y + 1/3", {"x": 0, "y": 2})
    text = render_trace(result)
    assert "∂L/∂a" not in text  # a = 1/3 is made of constants alone
    assert "∂L/∂a = " not in result.to_dot()  # nor in the diagram


def test_notes_belong_to_their_operand():
    text = render_trace(differentiate("x^y", {"x": 0, "y": 0.5}))
    dy = text[text.index("∂L/∂y ="):]
    assert "infinite slope" not in dy.split("\n\n")[0]  # the note is about ∂/∂x
    report = check_gradients("x^y", {"x": -2, "y": 3})
    statuses = {c.name: c.status for c in report.checks}
    assert statuses["x"] == OK  # exact 12: the exponent's nan note does not make x a kink
    assert statuses["y"] == KINK


def test_text_and_latex_print_one_model():
    result = differentiate("tanh(w*x + b)", {"w": 0.5, "x": 2, "b": 0.1})
    text, latex = result.derivation("text"), result.derivation("latex")
    assert "since L = tanh(a), ∂L/∂a = 1 / cosh(a)^2" in text  # the stable form of 1 − tanh²
    assert r"\frac{\partial L}{\partial a} = \frac{1}{\cosh(a)^{2}}" in latex


def test_alias_bindings_are_echoed_as_written():
    result = differentiate("e = a*b; f = e; L = f*2", {"a": 2, "b": 3})
    assert result.graph.echo() == ["e = a × b", "f = e", "L = f × 2"]
    text = render_trace(result)
    assert "L = f × 2 = 6 × 2 = 12" in text
    latex = result.derivation("latex")
    assert "f &= e" in latex and r"L &= f \times 2" in latex
    inputs = differentiate("g = x; h = g*g; L = h + g", {"x": 3})
    assert inputs.graph.echo() == ["g = x", "h = g × g", "L = h + g"]
    assert inputs.gradients == {"x": 7}


def test_a_power_of_a_number_in_scientific_notation_is_bracketed_in_text():
    # 3e-7^2 reads as 3·10^(-7²): the base and the exponent of a power are bracketed when scientific
    result = differentiate("x^2 * y + 2^z + x^1e-3", {"x": 3e-7, "y": 2, "z": 1e-7})
    text = render_trace(result)
    assert "e = x^2 = (3e-7)^2 = 9e-14" in text
    assert "2 × 2 × (3e-7)^(2 − 1) + 1 × 0.001 × (3e-7)^(0.001 − 1)" in text  # rules over numbers
    assert "2^z = 2^(1e-7)" in text and "a = x^0.001 = (3e-7)^0.001" in text  # 0.001 is not scientific
    assert "3e-7^" not in text and "^1e-7" not in text
    ascii_text = result.derivation("ascii")
    assert "(3e-7)^2" in ascii_text and "2^(1e-7)" in ascii_text
    for fmt in ("latex", "markdown"):  # as before: LaTeX's own brackets (Markdown's maths is LaTeX)
        assert r"\left(3 \times 10^{-7}\right)^{2}" in result.derivation(fmt)
    # elsewhere a scientific number is an atom, as before
    assert "9e-14 × 2 = 1.8e-13" in text
