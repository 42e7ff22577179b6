"""Command-line defects of exploratory session 6 (docs: /work/notes/explore-s6.md, items 5, 7, 11, 12).

- Item 7: a single-value option of the main command given twice is refused in one line, except
  --wrt and --params, which take a list of names and so gather every occurrence.
- Item 12: a value-taking option with nothing after it names itself and says it needs a value
  (it used to quote a '--' the user never typed).
- Item 5: a value (--set, a grade answer, a value from Python) is exactly one expression: "15;7"
  and "x=3" are refused, not read as programs whose last statement is the value.
- Item 11: quiz -o writes HTML only to an .html file, and quiz and worksheet files are replaced
  atomically (a failed write leaves the old file as it was).
"""

from __future__ import annotations

import json
import os
import shutil

import pytest
from click.testing import CliRunner

from backprop.api import differentiate
from backprop.cli import command
from backprop.errors import BackpropError

from conftest import SEED_ARGS


def run(args, **kwargs):
    return CliRunner().invoke(command, args, **kwargs)


def one_line_error(result, *fragments: str) -> None:
    assert result.exit_code != 0 and result.stderr.startswith("Error: "), result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert "Traceback" not in result.output + result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr


# --- Item 7: a repeated single-value option

@pytest.mark.parametrize("args, fragment", [
    (["-o", "r1.svg", "-o", "r2.png"], "-o is given twice (-o r1.svg and -o r2.png)"),
    (["-or1.svg", "--output=r2.dot"], "--output is given twice (-o r1.svg and --output r2.dot)"),
    (["--no-diagram", "--format", "json", "--format", "text"], "--format is given twice (--format json and --f"),
    (["--no-diagram", "--check", "--tol", "1e-3", "--tol=1e-9"], "--tol is given twice"),
    (["--no-diagram", "--step", "0.1", "--step", "0.2"], "--step is given twice"),
    (["--no-diagram", "--rankdir", "LR", "--rankdir", "TB"], "--rankdir is given twice"),
    (["-f", "a.bp", "-f", "b.bp"], "-f is given twice"),
])
def test_a_single_value_option_given_twice_is_refused(tmp_path, monkeypatch, args, fragment):
    monkeypatch.chdir(tmp_path)
    program = [] if "-f" in args else SEED_ARGS
    result = run(program + args)
    one_line_error(result, fragment)
    assert result.exit_code == 2 and result.stdout == ""
    assert list(tmp_path.iterdir()) == []  # neither file is written


@pytest.mark.parametrize("repeated, listed", [
    (["--wrt", "a", "--wrt", "b"], ["--wrt", "a,b"]),
    (["--wrt=a", "--wrt", "b,c"], ["--wrt", "a,b,c"]),
])
def test_wrt_given_twice_takes_both_lists(repeated, listed):
    result, expected = run(SEED_ARGS + ["--no-diagram"] + repeated), run(SEED_ARGS + ["--no-diagram"] + listed)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == expected.stdout
    table = result.stdout.split("Result")[-1]
    assert " a " in table and " b " in table


def test_params_given_twice_moves_both():
    result = run(SEED_ARGS + ["--no-diagram", "--step", "0.01", "--params", "a", "--params", "b"])
    assert result.exit_code == 0, result.stderr
    assert "moving a, b)" in result.stdout


def test_the_train_job_still_writes_one_file_per_o(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "points.csv").write_text("x,y\n1,2\n2,4\n3,6\n")
    result = run(["train", "(w*x - y)^2", "--data", "points.csv", "--params", "w", "--lr", "0.01", "--steps", "5",
                  "-o", "history.json", "-o", "history.csv"])
    assert result.exit_code == 0, result.stderr
    assert len(json.loads((tmp_path / "history.json").read_text())["history"]) == 6
    assert (tmp_path / "history.csv").read_text().startswith("step,loss")


# --- Item 12: an option with no value

@pytest.mark.parametrize("args, fragment", [
    (["x", "--set"], "--set needs a value: --set NAME=VALUE"),
    (["x", "-s"], "-s needs a value: -s NAME=VALUE"),
    (["x", "--set", "x=1", "--wrt"], "--wrt needs a value: --wrt NAME,..."),
    (["x", "--set", "x=1", "-o"], "-o needs a value: -o PATH"),
    (["x", "--set", "x=1", "--format"], "--format needs a value: --format text|"),
    (["x", "--set", "x=1", "--max-nodes"], "--max-nodes needs a value: --max-nodes N"),
    (["x", "--set", "x=1", "--wrt", "--check"], "--wrt needs a value"),
    (["--set", "x=1", "--wrt", "--", "x"], "--wrt needs a value"),
    (["-f"], "-f needs a value: -f PATH"),
])
def test_an_option_without_its_value_names_itself(args, fragment):
    result = run(args)
    one_line_error(result, fragment)
    assert result.exit_code == 2 and "'--'" not in result.stderr


# --- Item 5: a value is one expression

@pytest.mark.parametrize("pair, found", [
    ("x=15;7", "found ';'"),
    ("x=(15);", "found ';'"),
    ("x=15\n7", "found a new line"),
])
def test_a_set_value_with_several_statements_is_refused(pair, found):
    result = run(["x", "--set", pair, "--no-diagram"])
    one_line_error(result, "a value is one expression", found)
    assert result.stdout == ""


def test_an_empty_value_is_called_a_value_not_a_program():
    one_line_error(run(["x", "--set", "x=  # nothing", "--no-diagram"]), "--set x=  # nothing: the value is empty")


@pytest.mark.parametrize("pair, value", [("x=pi/4", 0.7853981633974483), ("x=-2^3", -8.0), ("x=15 # fifteen", 15.0)])
def test_one_expression_is_still_a_value(pair, value):
    result = run(["x", "--set", pair, "--no-diagram", "--format", "json"])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["value"] == pytest.approx(value)


@pytest.mark.parametrize("text, found", [("1;7", "found ';'"), ("x=3", "found '='"), ("a=1; a", "found ';'")])
def test_a_python_value_with_several_statements_is_refused(text, found):
    with pytest.raises(BackpropError, match=f"the value of a: a value is one expression .*{found}"):
        differentiate("a*2", {"a": text})


@pytest.mark.parametrize("line", ["a=15;b=10", "a = x=3", "a = 15; 7"])
def test_a_grade_answer_is_one_number(tmp_path, line):
    answers = tmp_path / "answers.txt"
    answers.write_text(line + "\n")
    result = run(["grade", "(a*b+c)*f", "--set", "a=2", "b=3", "c=-10", "f=5", "--answers", str(answers),
                  "--partial"])
    one_line_error(result, "line 1:", "is not a number", "one answer a line")
    assert "wrong" not in result.stdout and "right" not in result.stdout


def test_a_terminal_quiz_answer_is_one_number():
    result = run(["quiz"] + SEED_ARGS, input="7;6\n")  # 6 is e = a × b; the 7 before it is not an answer
    assert result.exit_code == 0, result.stderr
    assert "'7;6' is not a number" in result.stdout and "right" not in result.stdout


# --- Item 11: quiz -o names an HTML file; quiz and worksheet files are replaced atomically

@pytest.mark.parametrize("name", ["page.png", "page", "page.txt"])
def test_quiz_refuses_a_page_name_that_is_not_html(tmp_path, name):
    result = run(["quiz"] + SEED_ARGS + ["-o", str(tmp_path / name)])
    one_line_error(result, f"-o {tmp_path / name}: a practice page is HTML")
    assert list(tmp_path.iterdir()) == []


def test_quiz_writes_an_html_page_whatever_the_case_of_its_extension(tmp_path):
    result = run(["quiz"] + SEED_ARGS + ["-o", str(tmp_path / "page.HTML")])
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "page.HTML").read_text().lstrip().lower().startswith("<!doctype html")


def _failing_replace(*args, **kwargs):
    raise OSError(28, "No space left on device")


@pytest.mark.parametrize("args, name", [
    (["quiz"] + SEED_ARGS + ["-o"], "page.html"),
    (["worksheet", "--count", "1", "--seed", "1", "-o"], "quiz.xml"),
    pytest.param(["worksheet", "--count", "1", "--seed", "1", "-o"], "sheet.tex",
                 marks=pytest.mark.skipif(shutil.which("dot") is None, reason="its graphs need Graphviz")),
])
def test_a_failed_write_leaves_the_old_file_as_it_was(tmp_path, monkeypatch, args, name):
    target = tmp_path / name
    target.write_text("the old file")
    monkeypatch.setattr(os, "replace", _failing_replace)  # the last step of a write fails (a full disk, say)
    result = run(args + [str(target)])
    one_line_error(result, f"can not write {tmp_path}")
    assert target.read_text() == "the old file"
    assert [p.name for p in tmp_path.iterdir()] == [name]  # no temporary file left behind
