"""Issue 17 (one command line for many jobs) and the command-line items of issue 16."""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from backprop.api import differentiate
from backprop.cli import command
from backprop.errors import BackpropError
from backprop.reserved import JOB_NAMES

from conftest import ROOT, SEED_ARGS

HAS_DOT = shutil.which("dot") is not None
CLI = ROOT / "src" / "backprop" / "cli"


def run(args, **kwargs):
    return CliRunner().invoke(command, args, **kwargs)


def value_of(result) -> float:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["value"]


def one_line_error(result, fragment: str, *, caret: bool = False) -> None:
    """One line "Error: …" (two more, the source and a caret, for a mistake in the program)."""
    assert result.exit_code != 0 and result.stderr.startswith("Error: ")
    assert result.stderr.count("\n") == (3 if caret else 1), result.stderr
    assert fragment in result.stderr and "Traceback" not in result.output + result.stderr, result.stderr


# --- The group: jobs by exact name only, reserved words, help, completion

@pytest.fixture
def echo_job():
    """A job registered for the test only, in place of the real quiz: it prints its arguments."""

    @click.command("quiz")
    @click.argument("rest", nargs=-1)
    def quiz(rest):
        """Ask questions about a derivation."""
        click.echo("quiz " + " ".join(rest))

    real = command.commands.get("quiz")
    command.add_command(quiz)
    yield
    if real is not None:
        command.add_command(real)
    else:
        del command.commands["quiz"]


def test_a_job_runs_only_when_the_first_argument_is_exactly_its_name(echo_job):
    assert run(["quiz", "a*b", "x=1"]).stdout == "quiz a*b x=1\n"
    one_line_error(run(["quiz*2", "--set", "x=1"]), "'quiz' is a reserved word", caret=True)
    one_line_error(run(["--no-diagram", "quiz"]), "'quiz' is a reserved word", caret=True)
    help_text = run(["--help"]).stdout
    assert "backprop JOB [ARGS]..." in help_text and "Ask questions about a derivation." in help_text


def test_help_lists_the_jobs_that_exist_and_every_format():
    help_text = run(["--help"]).stdout
    assert help_text.startswith("Usage: backprop PROGRAM [NAME=VALUE]... [OPTIONS]\n")
    assert "backprop JOB [ARGS]..." in help_text  # the jobs that ship: quiz, grade, worksheet, train
    for job in ("quiz", "grade", "worksheet", "train"):
        assert f"\n  {job} " in help_text, job
    assert "Jobs:" in help_text and "PROGRAM (the default)" in help_text
    assert 'backprop "(a*b+c)*f" --set a=2 b=3 c=-10 f=5' in help_text
    for name in ("text", "ascii", "markdown", "latex", "json", "dot", "png", "svg", "pdf", "html", "gif"):
        assert f"\n  {name} " in help_text, name
    assert "html .html .htm" in help_text and "(needs graphviz)" in help_text


@pytest.mark.parametrize("word", JOB_NAMES)
def test_job_names_are_reserved_words_of_the_language(word):
    for source in (f"{word}*2", f"{word} = 3; {word}"):
        with pytest.raises(BackpropError, match=f"'{word}' is a reserved word"):
            differentiate(source, {})
    one_line_error(run(["x", "--set", "x=1", f"{word}=2", "--no-diagram"]), f"'{word}' is a reserved word")


@pytest.mark.parametrize("shell, marker", [("bash", "_backprop_completion"), ("zsh", "#compdef backprop"),
                                           ("fish", "complete")])
def test_shell_completion_scripts_and_answers(shell, marker):
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"), _BACKPROP_COMPLETE=f"{shell}_source")
    script = subprocess.run([sys.executable, "-m", "backprop"], env=env, capture_output=True, text=True, timeout=60)
    assert script.returncode == 0 and marker in script.stdout, script.stderr
    env.update(_BACKPROP_COMPLETE="bash_complete", COMP_WORDS="backprop x --format ", COMP_CWORD="3")
    answer = subprocess.run([sys.executable, "-m", "backprop"], env=env, capture_output=True, text=True, timeout=60)
    assert "plain,markdown" in answer.stdout.splitlines()


# --- Issue 16.7: programs that start with -f, -s, -o, -h or --

@pytest.mark.parametrize("args, value", [
    (["-f/2", "--set", "f=4"], -2), (["-s/2", "--set", "s=4"], -2), (["-o/2", "--set", "o=4"], -2),
    (["--x", "--set", "x=3"], 3), (["--set", "h=2", "--", "-h"], -2), (["--", "-h", "h=2"], -2),
    (["-x^2", "--set", "x=3"], -9),
])
def test_programs_may_start_with_a_minus(args, value):
    assert value_of(run(["--format", "json"] + args)) == value


def test_exact_option_spellings_stay_options(tmp_path):
    assert run(["-h"]).stdout.startswith("Usage: backprop")
    program = tmp_path / "p.bp"
    program.write_text("a*2")
    assert value_of(run(["-f", str(program), "--set", "a=3", "--format", "json"])) == 6
    assert value_of(run(["a*2", f"-o{tmp_path / 'g.dot'}", "-sa=3", "--format", "json"])) == 6
    one_line_error(run(["x", "--fromat", "json"]), "No such option")
    one_line_error(run(["--fromat", "json", "x"]), "(Did you mean one of: '--format'")


# --- Issue 16.8: options before the program

def test_options_may_come_before_the_program():
    assert value_of(run(["--set", "a=1", "b=2", "a*b", "--format", "json"])) == 2
    assert value_of(run(["--format", "json", "-s", "a=1", "b=2", "--", "a*b"])) == 2


def test_a_program_that_looks_like_a_value_is_explained():
    one_line_error(run(["--set", "a=1", "y = 2*a"]), "every argument after --set looked like NAME=VALUE")


# --- Issue 16.9: pairs that were silently ignored

def test_check_honours_format_json_and_wrt():
    document = json.loads(run(SEED_ARGS + ["--check", "--format", "json"]).stdout)
    assert document["passed"] is True and [c["input"] for c in document["checks"]] == ["a", "b", "c", "f"]
    table = run(["tanh(w*x + b)", "-s", "w=0.5", "x=2", "b=0.1", "--check", "--wrt", "w,b"]).stdout
    rows = [line.split()[0] for line in table.splitlines()[2:-1]]
    assert rows == ["w", "b"], table


def test_check_uses_the_result_already_computed(monkeypatch):
    import backprop.api

    calls = []
    real = backprop.api.differentiate
    monkeypatch.setattr(backprop.api, "differentiate", lambda *a, **k: calls.append(a) or real(*a, **k))
    assert run(SEED_ARGS + ["--check"]).exit_code == 0
    assert len(calls) == 1


def test_wrt_is_resolved_once_for_every_writer(monkeypatch, tmp_path):
    import backprop.steps

    calls = []
    real = backprop.steps.wrt_inputs
    monkeypatch.setattr(backprop.steps, "wrt_inputs", lambda *a: calls.append(a) or real(*a))
    result = run(SEED_ARGS + ["--wrt", "a", "-o", str(tmp_path / "g.dot")])
    assert result.exit_code == 0 and "∂L/∂b" not in (tmp_path / "g.dot").read_text()
    assert len(calls) == 1


def test_standalone_and_ascii_reach_the_file(tmp_path):
    tex, txt = tmp_path / "notes.tex", tmp_path / "d.txt"
    assert run(SEED_ARGS + ["-o", str(tex), "--format", "latex", "--standalone"]).exit_code == 0
    assert tex.read_text().startswith("\\documentclass")
    result = run(SEED_ARGS + ["-o", str(txt), "--ascii"])
    assert result.exit_code == 0 and txt.read_bytes().isascii() and "dL/da" in txt.read_text()
    assert f"Derivation written to {txt}" in result.stderr


# --- Issue 16.10 and 16.16: outputs checked before any work, and named for what they are

def test_output_problems_surface_before_the_derivation(tmp_path):
    result = run(SEED_ARGS + ["-o", str(tmp_path / "out")])
    one_line_error(result, "can not tell the output format from 'out'")
    assert result.stdout == ""


def test_the_program_file_is_never_overwritten(tmp_path):
    program = tmp_path / "prog.txt"
    program.write_text("x*y")
    result = run(["-f", str(program), "-o", str(program), "--set", "x=1", "y=2"])
    one_line_error(result, "would overwrite the program it reads")
    assert program.read_text() == "x*y" and result.stdout == ""


@pytest.mark.parametrize("fmt, magic", [("dot", b"digraph"), ("json", b"{"), ("svg", b"<?xml")])
def test_dash_o_writes_the_format_to_stdout(fmt, magic):
    if fmt == "svg" and not HAS_DOT:
        pytest.skip("Graphviz is not installed")
    result = run(SEED_ARGS + ["-o", "-", "--format", fmt])
    assert result.exit_code == 0 and result.stdout_bytes.startswith(magic)
    one_line_error(run(SEED_ARGS + ["-o", "-"]), "name the format with --format")


@pytest.mark.parametrize("name, noun", [("g.json", "JSON"), ("g.md", "Derivation"), ("g.txt", "Derivation"),
                                        ("g.dot", "Diagram")])
def test_messages_name_what_was_written(tmp_path, name, noun):
    assert f"{noun} written to {tmp_path / name}" in run(SEED_ARGS + ["-o", str(tmp_path / name)]).stderr


def test_a_second_program_is_named(tmp_path):
    program = tmp_path / "p.bp"
    program.write_text("y*2")
    one_line_error(run(["-f", str(program), "y*2", "--set", "y=1"]), f"the program is -f {program}")


# --- Issue 16.6: LANG=C, and .html without Graphviz

def test_lang_c_falls_back_to_ascii_even_in_utf8_mode(tmp_path):
    env = {"PATH": os.environ["PATH"], "LANG": "C", "PYTHONPATH": str(ROOT / "src")}
    completed = subprocess.run([sys.executable, "-m", "backprop", "x*y", "--set", "x=1", "y=2", "--no-diagram"],
                               env=env, capture_output=True, cwd=tmp_path, timeout=60)
    assert completed.returncode == 0 and completed.stdout.isascii() and b"dL/dx" in completed.stdout


def test_html_without_graphviz_says_so_before_any_work(tmp_path, monkeypatch):
    monkeypatch.setattr("shutil.which", lambda name, *a, **k: None)
    monkeypatch.setattr("backprop.render.graphviz_program.find_pure", lambda: None)  # nor graphviz-pure
    result = run(SEED_ARGS + ["-o", str(tmp_path / "g.html")])
    one_line_error(result, f"Graphviz's 'dot' program is needed for -o {tmp_path / 'g.html'} (the interactive stepper")
    assert result.stdout == ""


# --- The package's shape

def test_cli_modules_are_small_and_the_library_never_imports_them():
    for module in CLI.glob("*.py"):
        assert len(module.read_text().splitlines()) < 150, module.name
    for module in (ROOT / "src" / "backprop").rglob("*.py"):
        if CLI in module.parents or module.name == "__main__.py":  # python -m backprop runs the CLI
            continue
        for node in ast.walk(ast.parse(module.read_text())):
            if isinstance(node, ast.ImportFrom):
                assert "cli" not in (node.module or "").split("."), f"{module} imports the CLI"


def test_formats_md_is_generated_from_the_registries():
    import importlib.util

    spec = importlib.util.spec_from_file_location("gen_docs", ROOT / "scripts" / "gen_docs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert (ROOT / "docs" / "formats.md").read_text(encoding="utf-8") == module.render_formats(), \
        "docs/formats.md disagrees with the format registry or the options table: run python scripts/gen_docs.py"


def test_save_returns_the_path_and_the_message_the_cli_prints(tmp_path):
    result = differentiate("x*y", {"x": 1, "y": 2})
    saved = result.save(tmp_path / "d.md")
    assert saved == tmp_path / "d.md" and saved.read_text().startswith("**Program")
    assert saved.message == f"Derivation written to {tmp_path / 'd.md'}"
    assert result.save(tmp_path / "g.gv").message.startswith("Diagram written to")


def test_binary_formats_are_refused_on_a_terminal(monkeypatch):
    monkeypatch.setattr("backprop.cli.output._is_terminal", lambda: True)
    one_line_error(run(SEED_ARGS + ["--format", "png"]), "--format png is binary and stdout is a terminal")
    assert run(SEED_ARGS + ["--format", "dot"]).exit_code == 0
