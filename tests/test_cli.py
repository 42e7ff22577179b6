"""The command line, through click's CliRunner and through the installed console script."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from backprop import __version__
from backprop.cli import command

from conftest import ROOT, SEED_ARGS

HAS_DOT = shutil.which("dot") is not None


def run(args, input=None, **kwargs):
    return CliRunner().invoke(command, args, input=input, catch_exceptions=False, **kwargs)


def assert_clean_error(result, fragment, code=1):
    assert result.exit_code == code, result.output
    assert result.stderr.startswith("Error"), result.stderr
    assert fragment in result.stderr, result.stderr
    assert "Traceback" not in result.output + result.stderr


def test_seed_example_prints_derivation_and_writes_png(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(command, SEED_ARGS)
    assert result.exit_code == 0, result.output
    assert "∂L/∂a = ∂L/∂e × ∂e/∂a = 5 × b = 5 × 3 = 15" in result.stdout
    if HAS_DOT:
        assert "Diagram written to backprop.png" in result.stderr
        assert Path("backprop.png").read_bytes().startswith(b"\x89PNG")


def test_set_pairs_may_follow_one_flag_or_repeat():
    one = run(["a*b+c", "--set", "a=2", "b=3", "c=1", "--no-diagram", "--format", "json"])
    many = run(["a*b+c", "--set", "a=2", "--set", "b=3", "-s", "c=1", "--format", "json"])
    assert json.loads(one.stdout)["gradients"] == json.loads(many.stdout)["gradients"] == {"a": 3, "b": 2, "c": 1}


def test_values_may_be_constant_expressions():
    result = run(["x*y", "--set", "x=pi/4", "y=-2^3", "--format", "json"])
    document = json.loads(result.stdout)
    assert document["inputs"]["y"] == -8
    assert abs(document["inputs"]["x"] - 0.7853981633974483) < 1e-15


def test_program_may_start_with_a_minus():
    result = run(["-x^2", "--set", "x=3", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["value"] == -9
    result = run(["-f*2", "--set", "f=3", "--format", "json"])
    assert json.loads(result.stdout)["value"] == -6


def test_json_mode_prints_only_json_and_writes_no_diagram(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run(SEED_ARGS + ["--format", "json"])
    document = json.loads(result.stdout)
    assert document["value"] == -20
    assert not Path("backprop.png").exists()


def test_program_from_stdin_and_from_file(tmp_path):
    result = run(["-", "--set", "a=2", "b=3", "--format", "json"], input="# comment\na*b\r\n")
    assert json.loads(result.stdout)["value"] == 6
    program = tmp_path / "prog.bp"
    program.write_bytes("\ufeffe = a*b  # the product\nL = e + 1\n".encode("utf-8"))
    result = run(["-f", str(program), "--set", "a=2", "b=3", "--format", "json"])
    assert json.loads(result.stdout)["value"] == 7


@pytest.mark.parametrize("suffix, magic", [(".dot", b"digraph"), (".gv", b"digraph"), (".svg", b"<?xml"),
                                           (".pdf", b"%PDF"), (".png", b"\x89PNG")])
def test_output_format_follows_the_extension(tmp_path, suffix, magic):
    if suffix not in (".dot", ".gv") and not HAS_DOT:
        pytest.skip("Graphviz is not installed")
    target = tmp_path / f"graph{suffix}"
    result = run(SEED_ARGS + ["-o", str(target)])
    assert result.exit_code == 0, result.output
    assert target.read_bytes().startswith(magic)
    assert f"Diagram written to {target}" in result.stderr


def test_ascii_option():
    result = run(SEED_ARGS + ["--ascii", "--no-diagram"])
    assert result.stdout.isascii() and "dL/da = dL/de * de/da = 5 * b = 5 * 3 = 15" in result.stdout


def test_timings_go_to_stderr():
    result = run(SEED_ARGS + ["--timings", "--no-diagram"])
    for phase in ("parse", "lower", "forward", "backward", "render"):
        assert phase in result.stderr
    assert "ms" not in result.stdout


def test_version_and_help():
    assert __version__ in run(["--version"]).stdout
    help_text = run(["--help"]).stdout
    assert "backprop \"(a*b+c)*f\" --set a=2 b=3 c=-10 f=5" in help_text and "--set" in help_text


@pytest.mark.parametrize(
    "args, fragment, code",
    [
        (["a*b)"], "unexpected ')'", 1),
        (["lgo(x)", "--set", "x=1"], "did you mean 'log'?", 1),
        (["a*b+c"], "3 variables have no value: a, b, c", 1),
        (["x", "--set", "x"], "--set expects NAME=VALUE", 1),
        (["x", "--set", "=3"], "has no name", 1),
        (["x", "--set", "x="], "has no value", 1),
        (["x", "--set", "x=1=2"], "more than one '='", 1),
        (["x", "--set", "x=abc"], "not a name", 1),
        (["x", "--set", "x=nan"], "finite", 1),
        (["x", "--set", "x=1", "x=2"], "given twice", 1),
        (["log(x)", "--set", "x=-1"], "log needs x > 0", 1),
        (["x", "--set", "x=1", "-o", "out.xyz"], "can not tell the output format", 1),
        (["x", "--set", "x=1", "-o", "/no/such/folder/g.dot"], "does not exist", 1),
        (["-f", "/no/such/file.bp"], "no such file", 1),
        ([], "no program given", 1),
        (["x", "--bogus"], "No such option", 2),
    ],
)
def test_errors_are_one_clean_line(args, fragment, code):
    assert_clean_error(run(args + ["--no-diagram"] if args and args[0] != "-f" else args), fragment, code)


def test_syntax_error_shows_a_caret():
    result = run(["(a*b", "--set", "a=1", "b=2"])
    assert_clean_error(result, "expected ')'")
    assert result.stderr.splitlines()[1:3] == ["  (a*b", "      ^"]


def test_unused_set_is_a_warning():
    result = run(["x*2", "--set", "x=1", "y=2", "--no-diagram"])
    assert result.exit_code == 0 and "Warning: 'y' is given a value but the program does not use it" in result.stderr


def test_invalid_utf8_on_stdin():
    result = CliRunner().invoke(command, ["-", "--set", "x=1"], input=b"x*\xff\xfe")
    assert_clean_error(result, "not valid UTF-8")


def test_failed_run_keeps_existing_output_file(tmp_path):
    target = tmp_path / "graph.dot"
    target.write_text("precious")
    result = run(["log(x)", "--set", "x=-1", "-o", str(target)])
    assert result.exit_code == 1 and target.read_text() == "precious"
    result = run(["log(x)", "--set", "x=2", "-o", str(target)])
    assert result.exit_code == 0 and target.read_text().startswith("digraph")
    assert [p.name for p in tmp_path.iterdir()] == ["graph.dot"]  # no temporary files left


def test_deep_expression_through_the_cli():
    depth = 10_000
    result = run(["(" * depth + "x" + ")" * depth + "*x", "--set", "x=3", "--format", "json"])
    assert json.loads(result.stdout)["gradients"] == {"x": 6}


def _script() -> list[str]:
    """The console script installed beside this Python, else the checkout as a module."""
    installed = Path(sys.executable).parent / "backprop"
    return [str(installed)] if installed.exists() else [sys.executable, "-m", "backprop"]


def test_installed_script_runs_the_seed_example(tmp_path):
    env = dict(os.environ)
    if _script()[0] == sys.executable:
        env["PYTHONPATH"] = str(ROOT / "src")
    completed = subprocess.run(_script() + SEED_ARGS + ["--format", "json"], capture_output=True, text=True,
                               cwd=tmp_path, env=env, timeout=60)
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout)["gradients"] == {"a": 15, "b": 10, "c": 5, "f": -4}


def test_broken_pipe_is_quiet(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    program = "+".join(["x"] * 3000)
    completed = subprocess.run(f"{' '.join(_script())} '{program}' --set x=1 --no-diagram | head -1",
                               shell=True, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60)
    assert completed.stdout.startswith("Program")
    assert "Traceback" not in completed.stderr and "BrokenPipe" not in completed.stderr


def test_ascii_only_terminal_falls_back_to_ascii(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"), LANG="C", LC_ALL="C", PYTHONIOENCODING="ascii")
    completed = subprocess.run(_script() + SEED_ARGS + ["--no-diagram"], capture_output=True, cwd=tmp_path,
                               env=env, timeout=60)
    assert completed.returncode == 0, completed.stderr
    assert b"dL/da = dL/de * de/da = 5 * b = 5 * 3 = 15" in completed.stdout


@pytest.mark.parametrize("program, value", [("-sin(x)^2", -1.0), ("-s*x", -1.0), ("-o+x", 0.0)])
def test_programs_that_start_like_short_options(program, value):
    result = run([program, "--set", "x=1", "s=1", "o=1", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert abs(json.loads(result.stdout)["value"] - value) < 0.5
