"""backprop quiz in the terminal, and the generated problems it asks."""

import subprocess
import sys

import pytest
from click.testing import CliRunner

from backprop.cli import command
from backprop.practice.problems import FAMILIES, LEVELS, generate, usable

from conftest import ROOT


def quiz(args, answers):
    return CliRunner().invoke(command, ["quiz", *args], input="".join(f"{a}\n" for a in answers))


def test_right_answers_score_full_marks():
    result = quiz(["x*y + x", "--set", "x=2", "y=5"], [10, 12, 1, 6, 2])
    assert result.exit_code == 0, result.output
    assert "Score: 5 of 5 right at the first try (0 after a hint, 0 shown)." in result.stdout


def test_a_wrong_answer_gets_the_computed_mistake_then_the_step():
    result = quiz(["x*y + x", "--set", "x=2", "y=5"], [10, 12, 1, 5, 6, 2])
    out = result.stdout
    assert "Likely mistake: forgot to sum over the two uses of x" in out
    assert "since a = x × y, ∂a/∂x = y" in out  # the local rule in the hint
    assert "right, after the hint" in out
    assert "Score: 4 of 5 right at the first try (1 after a hint, 0 shown)." in out
    assert "Needed help: ∂L/∂x" in out


def test_two_wrong_answers_reveal_the_step_and_non_numbers_are_asked_again():
    result = quiz(["(a*b+c)*f", "-s", "a=2", "b=3", "c=-10", "f=5"], ["six", 7, 7])
    out = result.stdout
    assert "'six' is not a number" in out
    assert "The step: e = a × b = 2 × 3 = 6" in out


def test_end_of_input_ends_with_the_score_so_far():
    result = quiz(["(a*b+c)*f", "-s", "a=2", "b=3", "c=-10", "f=5"], [6, -4])
    assert result.exit_code == 0
    assert "Quiz ended early." in result.stdout
    assert "Score: 2 of 2 right at the first try" in result.stdout


def test_question_mark_shows_the_step():
    result = quiz(["x - y", "-s", "x=1", "y=2"], ["?"])
    assert "The step: L = x − y = 1 − 2 = -1" in result.stdout
    assert "0 of 1 right at the first try (0 after a hint, 1 shown)" in result.stdout


def test_generated_problems_are_reproducible_with_a_seed():
    first = quiz(["--level", "2", "--seed", "7", "--count", "2"], [])
    again = quiz(["--level", "2", "--seed", "7", "--count", "2"], [])
    assert first.stdout == again.stdout
    assert "Problem 1 of 2 (level 2: " in first.stdout
    assert [p.source for p in generate(3, 5, seed=1)] == [p.source for p in generate(3, 5, seed=1)]


@pytest.mark.parametrize("level", LEVELS)
def test_every_generated_problem_evaluates_without_domain_errors_or_kinks(level):
    problems = generate(level, 40, seed=level)
    assert all(usable(p) for p in problems)
    families = {p.family for p in problems}
    assert len(families) == len({f.__name__ for f in FAMILIES[level]})


def test_a_problem_that_hits_a_domain_error_is_never_emitted():
    from backprop.practice.problems import Problem

    assert not usable(Problem("a division", "a/(b - c)", {"a": 1, "b": 2, "c": 2}))
    assert not usable(Problem("a relu", "relu(w*x + b)", {"w": 1, "x": 2, "b": -2}))  # on the kink


@pytest.mark.parametrize("args, fragment", [
    (["--level", "4"], "--level"),
    (["--count", "0"], "--count"),
    (["--count", "101"], "--count"),
    (["x*y", "--level", "2"], "does not combine with a program of your own"),
    (["--set", "x=1"], "write the program first"),
    (["x*", "--set", "x=1"], "Error"),
    (["x*y", "--set", "x=1"], "no value"),
])
def test_bad_input_is_one_line(args, fragment):
    result = quiz(args, [])
    assert result.exit_code != 0
    assert result.stderr.startswith("Error") and fragment in result.stderr, result.stderr
    assert "Traceback" not in result.output


def test_quiz_in_a_real_terminal_process():
    process = subprocess.run([sys.executable, "-m", "backprop", "quiz", "x*y", "--set", "x=3", "y=4"],
                             input="12\n4\n3\n", capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert process.returncode == 0, process.stderr
    assert "Score: 3 of 3 right at the first try" in process.stdout


@pytest.mark.slow
def test_ctrl_c_ends_with_the_score_so_far():
    import os
    import signal

    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen([sys.executable, "-m", "backprop", "quiz", "x*y", "--set", "x=3", "y=4"],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT, env=env)
    process.stdin.write(b"12\n")
    process.stdin.flush()
    seen = b""
    while "∂L/∂x".encode() not in seen:  # read until the second question is asked
        chunk = process.stdout.read1(1024)
        assert chunk, seen
        seen += chunk
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    out = (seen + out).decode("utf-8")
    assert process.returncode == 0, err
    assert "Quiz ended early." in out
    assert "Score: 1 of 1 right at the first try" in out


def test_a_derivation_imports_none_of_the_practice_jobs():
    code = ("import sys; from backprop.cli import command; from click.testing import CliRunner; "
            "CliRunner().invoke(command, ['x*y', '--set', 'x=1', 'y=2', '--no-diagram']); "
            "print(sorted(m for m in sys.modules if m.startswith(('backprop.practice', 'backprop.cli.quiz', "
            "'backprop.cli.grade', 'backprop.cli.worksheet'))))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert done.stdout.strip() == "[]", done.stderr


def test_the_quiz_session_in_practice_md_is_current():
    import re

    text = (ROOT / "docs" / "practice.md").read_text(encoding="utf-8")
    match = re.search(r'A session with `backprop quiz "x\*y \+ x" --set x=2 y=5`, typing (.*?):\n\n```text\n(.*?)```',
                      text, flags=re.S)
    assert match, "docs/practice.md shows a quiz session"
    typed = [word.strip() for word in re.split(r",| and ", match.group(1)) if word.strip()]
    session = CliRunner(echo_stdin=True).invoke(command, ["quiz", "x*y + x", "--set", "x=2", "y=5"],
                                                input="".join(f"{word}\n" for word in typed))
    assert session.output == match.group(2)
