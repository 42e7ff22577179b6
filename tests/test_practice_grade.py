"""backprop grade: each answer right or wrong, and the mistake that reproduces a wrong one."""

import json

import pytest
from click.testing import CliRunner

from backprop import differentiate
from backprop.cli import command
from backprop.practice.answers import BadAnswer, parse_answers
from backprop.practice.grade import grade
from backprop.practice.mistakes import (ACTIVATION_FROM_INPUT, ACTIVATION_TWICE, CARRIED, DROPPED_LOCAL,
                                        DROPPED_UPSTREAM, FORGOT_SUM, SIGN, WRONG_OPERAND)

from conftest import SEED, SEED_ARGS, SEED_VALUES

SEED_RIGHT = ["d=5", "e=5", "a=15", "b=10", "c=5", "f=-4"]


def run(args, input=None):
    return CliRunner().invoke(command, args, input=input)


def first_wrong(source, values, pairs, tol=0.01):
    result = differentiate(source, values)
    report = grade(result, parse_answers(result, [(p, p) for p in pairs], partial=True), tol)
    return report.first_wrong


def test_all_right_exits_0():
    result = run(["grade", *SEED_ARGS, "--answer", *SEED_RIGHT])
    assert result.exit_code == 0, result.output
    assert "All 6 right." in result.stdout


def test_forgot_to_sum_over_two_uses_of_x():
    # the case: x*y + x, the learner gives ∂L/∂x = y
    result = run(["grade", "x*y + x", "--set", "x=2", "y=5", "--answer", "x=5", "y=2", "a=1"])
    assert result.exit_code == 1
    assert "∂L/∂x  5  wrong (expected 6)" in result.stdout
    assert "most likely: forgot to sum over the two uses of x" in result.stdout


@pytest.mark.parametrize("source, values, pairs, label, mistake", [
    (SEED, SEED_VALUES, ["a=10"], "∂L/∂a", WRONG_OPERAND),  # 5 × a instead of 5 × b
    (SEED, SEED_VALUES, ["a=3"], "∂L/∂a", DROPPED_UPSTREAM),  # ∂e/∂a = b alone
    ("x - y", {"x": 1, "y": 2}, ["y=1"], "∂L/∂y", SIGN),
    ("-(x*y)", {"x": 3, "y": 4}, ["a=1"], "∂L/∂a", SIGN),
    ("h = tanh(w*x + b); L = 3*h", {"w": 0.5, "x": 2, "b": 0.1}, ["∂L/∂a=-0.63"], "∂L/∂a", ACTIVATION_FROM_INPUT),
    ("h = sigmoid(z); L = 2*h", {"z": 0.5}, ["z=0.5"], "∂L/∂z", ACTIVATION_FROM_INPUT),
    ("h = tanh(z); L = h", {"z": 0.8}, ["z=0.6624"], "∂L/∂z", ACTIVATION_TWICE),
    ("h = tanh(z); L = 2*h", {"z": 0.8}, ["z=2"], "∂L/∂z", DROPPED_LOCAL),
])
def test_each_mistake_model_is_recognised_by_recomputing(source, values, pairs, label, mistake):
    wrong = first_wrong(source, values, pairs)
    assert wrong is not None and wrong.label == label
    assert wrong.diagnosis is not None and wrong.diagnosis.mistake == mistake, wrong.diagnosis


def test_an_error_carried_forward_is_named_once():
    result = differentiate(SEED, SEED_VALUES)
    pairs = ["d=5", "e=1", "a=3", "b=2", "c=5", "f=-4"]  # e wrong; a = 1 × b and b = 1 × a follow from it
    report = grade(result, parse_answers(result, [(p, p) for p in pairs]))
    wrong = [g for g in report.graded if not g.right]
    assert [g.label for g in wrong] == ["∂L/∂e", "∂L/∂a", "∂L/∂b"]
    assert report.first_wrong.label == "∂L/∂e"
    assert report.first_wrong.diagnosis.mistake == DROPPED_UPSTREAM
    assert all(g.diagnosis.mistake == CARRIED and "∂L/∂e" in g.diagnosis.text for g in wrong[1:])


def test_an_unexplained_number_gets_no_invented_diagnosis():
    wrong = first_wrong(SEED, SEED_VALUES, ["a=123"])
    assert wrong.diagnosis is None


def test_values_are_graded_forward():
    wrong = first_wrong(SEED, SEED_VALUES, ["value(e)=6", "value(d)=16"])
    assert wrong.label == "value(d)" and wrong.diagnosis.mistake == SIGN


def test_json_report_for_autograders(tmp_path):
    answers = tmp_path / "answers.txt"
    answers.write_text("# seed example\n∂L/∂d = 5\ndL/de = 5\na = 10\nb = 10\nc = 5\nf = -4\n", encoding="utf-8")
    result = run(["grade", *SEED_ARGS, "--answers", str(answers), "--format", "json"])
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert (report["right"], report["total"], report["all_right"]) == (5, 6, False)
    assert report["first_wrong"]["label"] == "∂L/∂a"
    assert report["first_wrong"]["diagnosis"]["mistake"] == WRONG_OPERAND
    assert report["first_wrong"]["where"] == f"{answers} line 4"


def test_answers_from_stdin():
    result = run(["grade", *SEED_ARGS, "--answers", "-"], input="\n".join(SEED_RIGHT) + "\n")
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("pairs, fragment", [
    (["q=1"], "'q' is not a node of the program"),
    (["a=abc"], "'abc' is not a number"),
    (["a=15", "a=15"], "a second answer for ∂L/∂a"),
    (["a=15"], "no answer for the gradient of d, e, b, c, f"),
    (["dM/da=15"], "the output is L"),
    (["a"], "is not an answer"),
])
def test_bad_answers_are_one_line_errors(pairs, fragment):
    result = run(["grade", *SEED_ARGS, "--answer", *pairs])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error") and fragment in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def test_no_answers_is_a_usage_error(tmp_path):
    result = run(["grade", *SEED_ARGS])
    assert result.exit_code == 2 and result.stderr.startswith("Error")
    missing = run(["grade", *SEED_ARGS, "--answers", str(tmp_path / "nope.txt")])
    assert missing.exit_code == 1 and "no such file" in missing.stderr


def test_bad_answer_is_a_backprop_error():
    result = differentiate(SEED, SEED_VALUES)
    with pytest.raises(BadAnswer):
        parse_answers(result, [])


def test_console_examples_in_practice_md_are_current(tmp_path, monkeypatch):
    """docs/practice.md shows real output: its `$ backprop grade` blocks are run again here
    (a `$ cat answers.txt` block first writes the file it shows)."""
    import re
    import shlex

    from conftest import ROOT

    monkeypatch.chdir(tmp_path)
    text = (ROOT / "docs" / "practice.md").read_text(encoding="utf-8")
    checked = 0
    for block in re.findall(r"```console\n(.*?)```", text, flags=re.S):
        commands = re.split(r"^\$ ", block, flags=re.M)[1:]
        for command_text in commands:
            line, _, shown = command_text.partition("\n")
            if line.startswith("cat "):
                (tmp_path / line.split()[1]).write_text(shown, encoding="utf-8")
                continue
            if "|" in line:
                line, _, pipe = line.partition("|")
                assert pipe.strip() == "head -12"
            args = shlex.split(line)[1:]
            result = run(args)
            output = result.stdout
            if "head -12" in command_text.partition("\n")[0]:
                output = "".join(output.splitlines(keepends=True)[:12])
            assert output == shown, f"docs/practice.md is out of date for: {line}"
            checked += 1
    assert checked >= 3


def test_a_json_answers_file_for_autograders(tmp_path):
    answers = tmp_path / "answers.json"
    answers.write_text('{"d": 5, "e": 5, "a": 15, "b": 10, "c": 5, "f": -4, "value(e)": 6, "x_unused": 1}',
                       encoding="utf-8")
    result = run(["grade", *SEED_ARGS, "--answers", str(answers)])
    assert result.exit_code == 1 and "'x_unused' is not a node of the program" in result.stderr
    answers.write_text('{"d": 5, "e": 5, "a": 15, "b": 10, "c": 5, "f": -4, "value(e)": 6, "y": 1e-05}'
                       .replace(', "y": 1e-05', ""), encoding="utf-8")
    assert run(["grade", *SEED_ARGS, "--answers", str(answers)]).exit_code == 0
    for text, fragment in (('{"d": 5, "d": 4}', "appears twice"), ('{"d": [5]}', "is not a number"),
                           ('{"d": 5', "is not valid JSON"), ('{"d": true}', "is not a number")):
        answers.write_text(text, encoding="utf-8")
        refused = run(["grade", *SEED_ARGS, "--answers", str(answers)])
        assert refused.exit_code == 1 and fragment in refused.stderr, refused.stderr


@pytest.mark.parametrize("job, usage", [("grade", "Usage: backprop grade [OPTIONS] PROGRAM"),
                                        ("quiz", "Usage: backprop quiz [OPTIONS] [PROGRAM]"),
                                        ("worksheet", "Usage: backprop worksheet [OPTIONS]")])
def test_each_job_has_its_own_help(job, usage):
    result = run([job, "--help"])
    assert result.exit_code == 0 and result.stdout.startswith(usage + "\n")
    assert "Examples:" in result.stdout


def test_any_answers_text_is_graded_or_refused_with_a_bad_answer():
    """Whatever a learner's file holds, grading it gives a report or one BackpropError, never a crash."""
    from hypothesis import given, strategies as st

    from backprop.errors import BackpropError
    from backprop.practice.answers import read_answer_lines

    result = differentiate(SEED, SEED_VALUES)
    pieces = st.sampled_from(["a", "b", "e", "d", "L", "∂L/∂a", "dL/de", "value(d)", "value(", "=", " = ", "15",
                              "-4", "1/3", "1/0", "abc", "#", "\n", "{", "}", '"a": 1', ",", "nan", "1e999", "é"])

    @given(st.lists(pieces, max_size=12).map("".join), st.booleans())
    def check(text, partial):
        try:
            entries = read_answer_lines(text, "answers.txt")
            grade(result, parse_answers(result, entries, partial=partial))
        except BackpropError:
            pass

    check()


def test_the_practice_page_escapes_the_program():
    import shutil

    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot is not installed")
    from backprop.render.practice_page import render_practice_page

    hostile = 'a*b  # </script><script>window.__pwned = 1</script><img src=x onerror="alert(1)">'
    page = render_practice_page(differentiate(hostile, {"a": 2, "b": 3}))
    assert "__pwned" not in page and "onerror" not in page  # a comment is not part of the graph
    assert page.count("</script>") == 2  # the data and the script, each closed once


def test_a_template_to_fill_in_is_graded_once_filled(tmp_path):
    template = run(["grade", *SEED_ARGS, "--template"])
    assert template.exit_code == 0
    lines = template.stdout.splitlines()
    assert "value(e) =    # e = a × b" in lines and "∂L/∂a =" in lines and lines[-1] == "∂L/∂f ="
    answers = tmp_path / "answers.txt"
    filled = {"∂L/∂d =": "5", "∂L/∂e =": "5", "∂L/∂a =": "15", "∂L/∂b =": "10", "∂L/∂c =": "5", "∂L/∂f =": "4"}
    answers.write_text("\n".join(f"{line} {filled.get(line, '')}".rstrip() for line in lines) + "\n",
                       encoding="utf-8")
    result = run(["grade", *SEED_ARGS, "--answers", str(answers)])  # the values left blank are not graded
    assert result.exit_code == 1
    assert "∂L/∂f   4  wrong (expected -4)" in result.stdout and "5 of 6 right" in result.stdout
    refused = run(["grade", *SEED_ARGS, "--template", "--answer", "a=1"])
    assert refused.exit_code == 2 and "does not combine" in refused.stderr
