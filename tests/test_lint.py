"""--lint: saturated tanh/sigmoid, dead relu, vanishing/exploding products, exp overflow, zero gradients."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from backprop import differentiate
from backprop.cli import command
from backprop.lint import EXPLODING, LONG_PATH, MAX_PER_KIND, SATURATED, VANISHING, lint


def kinds(source, values=None):
    return [f.kind for f in lint(differentiate(source, values or {}))]


def run(args):
    result = CliRunner().invoke(command, args + ["--no-diagram"])
    assert "Traceback" not in result.output + result.stderr, result.stderr
    return result


def recurrence(steps: int, weight: str = "w") -> str:
    """h_{t+1} = w × h_t + x: the gradient of w is a sum of products of w's (Karpathy's RNN case)."""
    return "h0 = x\n" + "\n".join(f"h{t + 1} = {weight}*h{t}" for t in range(steps))


def test_sigmoid_of_20x_at_1_is_saturated_and_points_at_the_call():
    result = differentiate("sigmoid(20*x)", {"x": 1})
    [finding] = result.lint()
    assert finding.kind == "saturated" and result.source[slice(*finding.span)] == "sigmoid(20*x)"
    assert abs(result.partials[finding.node][0]) < SATURATED
    assert "local derivative is 2.06115e-9" in finding.message and finding.behind == ("x",)


def test_an_unsaturated_sigmoid_and_tanh_are_quiet():
    assert kinds("sigmoid(2*x) + tanh(x)", {"x": 1}) == []
    assert kinds("tanh(x)", {"x": 4}) == []  # 1 − tanh(4)² = 1.3e-3: not below 1e-3
    assert kinds("tanh(x)", {"x": 4.5}) == ["saturated"]  # 4.9e-4


def test_relu_of_wx_at_w_minus_1_x_2_is_dead_and_starves_w_and_x():
    result = differentiate("relu(w*x)", {"w": -1, "x": 2})
    findings = result.lint()
    assert [f.kind for f in findings] == ["dead-relu", "zero-gradient", "zero-gradient"]
    dead = findings[0]
    assert dead.behind == ("w", "x") and "its input is -2 ≤ 0" in dead.message
    assert [result.graph.nodes[f.node].name for f in findings[1:]] == ["w", "x"]
    assert "L = relu(w × x) passes nothing back to w × x (its local derivative is 0)" in findings[1].message


def test_relu_at_exactly_0_is_dead_too_and_a_live_one_is_quiet():
    assert kinds("relu(x)", {"x": 0}) == ["dead-relu", "zero-gradient"]
    assert kinds("relu(x) * 2", {"x": 0.5}) == []


def test_a_recurrence_weight_whose_largest_path_is_short_shows_its_longest_path():
    # L = w × h9 and h9 = w^9 x: w's largest path is one edge, worth w^9; its longest is the recurrence itself
    result = differentiate("h = w*x\n" + "\n".join(["h = w*h"] * 9) + "\nL = h", {"w": 5, "x": 1})
    found = {result.graph.nodes[f.node].name: f for f in result.lint()}
    assert set(found) == {"w", "x"}
    assert "The longest of its 10 paths to L is a product of 10 local derivatives" in found["w"].message
    assert found["w"].factors == (1.0,) + (5.0,) * 9


def test_an_exploding_recurrence_shows_its_path_and_factors():
    result = differentiate(recurrence(30), {"x": 1, "w": 1.9})
    found = {f.kind: f for f in result.lint()}
    assert set(found) == {"exploding"}
    finding = found["exploding"]
    assert result.graph.nodes[finding.node].name in ("x", "w")
    assert len(finding.factors) >= LONG_PATH and abs(result.grads[finding.node]) > EXPLODING
    assert len(finding.path) == len(finding.factors) + 1 and finding.path[-1] == result.graph.output
    assert "1.9 × 1.9 × 1.9" in finding.message and "… (" in finding.message


def test_a_vanishing_chain_of_tanh_is_flagged_and_a_short_one_is_not():
    long = "h0 = tanh(x)\n" + "\n".join(f"h{t + 1} = tanh(0.5*h{t})" for t in range(30))
    result = differentiate(long, {"x": 1})
    [finding] = result.lint()
    assert finding.kind == "vanishing" and abs(result.grads[finding.node]) < VANISHING
    assert kinds("h0 = tanh(x)\nh1 = tanh(0.5*h0)\nh2 = tanh(0.5*h1)", {"x": 1}) == []  # short: not a long product


def test_exp_overflow_risk_also_in_a_constants_only_program():
    result = differentiate("exp(100) + 2")
    [finding] = result.lint()
    assert finding.kind == "exp-overflow" and result.source[slice(*finding.span)] == "exp(100)"
    assert kinds("exp(x)", {"x": 80}) == []


def test_zero_gradients_say_why():
    unused = differentiate("y = x * 2\nL = 3 + z", {"x": 1, "z": 2})
    assert [f.message for f in unused.lint()] == ["the gradient of x is exactly 0: x does not feed into L"]
    cancel = differentiate("x - x + y", {"x": 1, "y": 2})
    assert "cancel out" in cancel.lint()[0].message
    assert kinds("(a*b+c)*f", {"a": 2, "b": 3, "c": -10, "f": 5}) == []


def test_the_derivation_ends_with_the_section_only_when_something_is_found():
    assert "Lint" not in run(["(a*b+c)*f", "a=2", "b=3", "c=-10", "f=5"]).stdout
    out = run(["relu(w*x)", "w=-1", "x=2"]).stdout
    assert "\nLint: 3 findings about the gradient flow\n  1. dead relu: relu(w × x) is dead" in out
    assert "(at line 1, column 1)\n     relu(w*x)\n     ^^^^^^^^^\n" in out
    assert "(at line 1, column 6)\n     relu(w*x)\n          ^\n" in out  # the caret under w


@pytest.mark.parametrize("fmt, mark", [("text", "Lint: nothing found"), ("ascii", "Lint: nothing found"),
                                       ("markdown", "**Lint**: nothing found"),
                                       ("latex", r"\textbf{Lint:} nothing found")])
def test_lint_flag_always_prints_the_section(fmt, mark):
    out = run(["x*y", "x=1", "y=2", "--lint", "--format", fmt]).stdout
    assert mark in out


def test_lint_on_a_constants_only_program_says_what_it_checked():
    result = run(["2*3", "--lint"])
    assert result.exit_code == 0
    assert "Lint: nothing found (the program has no inputs: only the values were checked)" in result.stdout


def test_ascii_lint_is_ascii():
    out = run(["relu(w*x)", "w=-1", "x=2", "--ascii"]).stdout
    assert out.isascii() and "input is -2 <= 0" in out


def test_markdown_and_latex_point_at_the_source():
    result = differentiate("y = 1\nL = sigmoid(20*x)", {"x": 1})
    markdown = result.derivation("markdown")
    assert "1. **saturated**: sigmoid(20 × x) is saturated" in markdown
    assert "   ```\n   L = sigmoid(20*x)\n       ^^^^^^^^^^^^^\n   ```" in markdown
    latex = result.derivation("latex")
    assert "\\item \\textbf{saturated}: sigmoid(20 $\\times$ x)" in latex
    # a long quote may break after "(": code has few spaces to break at
    assert "(at line 2, column 5): \\texttt{sigmoid(\\allowbreak{}20*x)}" in latex


def test_json_lint_key():
    out = run(["relu(w*x)", "w=-1", "x=2", "--lint", "--format", "json"]).stdout
    document = json.loads(out)
    lint_ = document["lint"]
    assert [f["kind"] for f in lint_["findings"]] == ["dead-relu", "zero-gradient", "zero-gradient"]
    assert lint_["findings"][0]["span"] == [0, 9] and lint_["findings"][0]["inputs_behind"] == ["w", "x"]
    assert lint_["findings"][0]["pointer"] == "  relu(w*x)\n  ^^^^^^^^^"
    assert "lint" not in json.loads(run(["relu(w*x)", "w=-1", "x=2", "--format", "json"]).stdout)
    exploding = json.loads(run([recurrence(12), "x=1", "w=4", "--lint", "--format", "json"]).stdout)
    by_input = {f["name"]: f for f in exploding["lint"]["findings"]}
    assert set(by_input) == {"x", "w"} and {f["kind"] for f in by_input.values()} == {"exploding"}
    assert by_input["x"]["factors"] == [4.0] * 12 and by_input["x"]["path"] == ["x"] + [f"h{t}" for t in range(1, 13)]


@pytest.mark.slow  # over half a second (the quick loop stays under a minute)
def test_a_deep_graph_is_linted_without_recursion_and_underflow_is_vanishing_not_zero():
    depth = 20_000  # 0.5^20000 underflows: the gradient is exactly 0, yet no factor is 0
    result = differentiate("h0 = x\n" + "\n".join(f"h{t + 1} = tanh(0.5*h{t})" for t in range(depth)), {"x": 1})
    [finding] = result.lint()
    assert result.grads[0] == 0.0
    assert finding.kind == "vanishing" and len(finding.factors) == 2 * depth
    assert "vanishes to exactly 0 (underflow)" in finding.message
    assert "more)" in finding.message and len(finding.message) < 600


def test_docs_lint_md_shows_real_output():
    import re
    import shlex

    from conftest import ROOT

    text = (ROOT / "docs" / "lint.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```console\n\$ (backprop [^\n]*)\n(.*?)```", text, flags=re.S)
    assert len(blocks) >= 6
    for line, expected in blocks:
        assert CliRunner().invoke(command, shlex.split(line)[1:]).stdout == expected, line


def test_many_findings_of_a_kind_are_capped_and_counted():
    n = 300
    result = differentiate(" + ".join(f"relu(x{i})" for i in range(n)), {f"x{i}": -1 for i in range(n)})
    findings = result.lint()
    dead = [f for f in findings if f.kind == "dead-relu"]
    zero = [f for f in findings if f.kind == "zero-gradient"]
    assert len(dead) == len(zero) == MAX_PER_KIND + 1
    assert dead[-1].message == f"and {n - MAX_PER_KIND} more of this kind, not listed: at most {MAX_PER_KIND} " \
                               f"findings of a kind are" and dead[-1].span is None
    text = result.derivation("text")
    assert f"{2 * MAX_PER_KIND + 2} findings about the gradient flow" in text
    assert "  21. dead relu: and 280 more of this kind" in text


def test_path_counts_are_exact_up_to_30_digits_then_about():
    from backprop.numfmt import count_words, json_count

    assert count_words(1_234_567) == "1,234,567"
    assert count_words(2 ** 60) == "1,152,921,504,606,846,976"
    assert count_words(10 ** 30 - 1) == f"{10 ** 30 - 1:,}" and count_words(10 ** 30) == "about 1e30"
    assert count_words(2 ** 20000) == "about 4e6020"  # str() of it raises ValueError (over 4,300 digits)
    assert json_count(2 ** 60) == 2 ** 60 and json_count(2 ** 20000) == "about 4e6020"


@pytest.mark.slow
def test_path_counts_too_long_to_print_are_written_about():
    # 5,000 diamonds: 2^5000 paths (1,506 digits is printable; the text must not print them all)
    source = "h0 = x\n" + "\n".join(f"h{i} = h{i - 1} * 0.5 + h{i - 1} * 0.5" for i in range(1, 15001)) + "\nL = h15000"
    text = differentiate(source, {"x": 1.0}).derivation("text")
    assert "Error" not in text[:200]
