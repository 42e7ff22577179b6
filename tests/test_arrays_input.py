"""Array values from the command line and from files, and the bad ones refused in one line."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from backprop.api import differentiate
from backprop.cli import command
from backprop.errors import BackpropError


def run(args):
    return CliRunner().invoke(command, args)


def refused(args) -> str:
    result = run(args)
    assert result.exit_code != 0
    assert "Traceback" not in result.output + result.stderr
    assert result.stderr.startswith("Error: ")
    return result.stderr


def test_a_csv_with_a_header_is_read_and_one_column_is_a_vector(tmp_path):
    (tmp_path / "points.csv").write_text("x1,x2\n1,2\n3,4\n5,6\n")
    (tmp_path / "y.csv").write_text("1\n3\n5\n")
    result = differentiate("L = sum((X @ w - y)^2)", {"X": f"@{tmp_path}/points.csv", "w": "[1, 0]",
                                                      "y": f"@{tmp_path}/y.csv"})
    assert result.inputs["X"].shape == (3, 2) and result.inputs["y"].shape == (3,)
    assert result.value == 0


def test_an_npy_file_is_read(tmp_path):
    np.save(tmp_path / "w.npy", np.array([[1.0, 2.0], [3.0, 4.0]]))
    result = differentiate("L = sum(W)", {"W": f"@{tmp_path}/w.npy"})
    assert result.value == 10


@pytest.mark.parametrize("content, message", [
    ("a,b\n1,2\n3,abc\n", "row 3, column 2: 'abc' is not a number"),
    ("1,2\n3,nan\n", "row 2, column 2: nan — values must be finite numbers"),
    ("1,2\n3\n", "row 2 has 1 cells but row 1 has 2"),
    ("a,b\n", "the file has no rows of numbers"),
])
def test_bad_csv_files_name_the_row_and_column(tmp_path, content, message):
    (tmp_path / "data.csv").write_text(content)
    with pytest.raises(BackpropError) as caught:
        differentiate("L = sum(X)", {"X": f"@{tmp_path}/data.csv"})
    assert message in caught.value.message


def test_nan_in_an_npy_file_is_refused_with_its_index(tmp_path):
    np.save(tmp_path / "x.npy", np.array([1.0, np.nan]))
    with pytest.raises(BackpropError) as caught:
        differentiate("L = sum(X)", {"X": f"@{tmp_path}/x.npy"})
    assert "element [1] is nan; values must be finite numbers" in caught.value.message


def test_a_hundred_million_elements_are_refused_from_the_header_naming_the_limit(tmp_path):
    from numpy.lib import format as npy

    path = tmp_path / "big.npy"
    with open(path, "wb") as stream:  # only the header: the data is never read
        npy.write_array_header_1_0(stream, {"descr": "<f8", "fortran_order": False, "shape": (10_000, 10_000)})
    message = refused(["L = sum(X)", "--set", f"X=@{path}", "--no-diagram"])
    assert "100,000,000 elements (shape (10000, 10000)), more than the limit of 10,000,000" in message
    assert "--max-elements" in message


def test_max_elements_also_limits_results_before_they_are_computed():
    message = refused(["L = sum(X * Y)", "--set", "X=[[1], [2], [3]]", "Y=[[1, 2, 3]]", "--max-elements", "8",
                       "--no-diagram"])
    assert "a = X * Y would have 9 elements (shape (3, 3)), more than the limit of 8" in message


def test_missing_files_and_unknown_extensions(tmp_path):
    assert "no such file" in refused(["L = sum(X)", "--set", f"X=@{tmp_path}/nope.csv", "--no-diagram"])
    (tmp_path / "x.json").write_text("[1]")
    assert "use a .csv or .npy file" in refused(["L = sum(X)", "--set", f"X=@{tmp_path}/x.json", "--no-diagram"])


def test_literal_values_accept_constant_expressions_but_not_names():
    result = differentiate("L = sum(x)", {"x": "[pi, -1, 2^3]"})
    assert result.value == pytest.approx(np.pi + 7)
    message = refused(["L = sum(x)", "--set", "x=[a, 1]", "--no-diagram"])
    assert "an array value holds numbers and constant expressions only" in message


def test_the_cli_prints_the_derivation_and_the_check(tmp_path):
    result = run(["L = sum(W @ x)", "--set", "W=[[1, 2], [3, 4]]", "x=[1, -1]", "--no-diagram"])
    assert result.exit_code == 0
    assert "∂L/∂W (2, 2) = [[1, -1], [1, -1]]" in result.stdout
    checked = run(["L = sum(tanh(W @ x))", "--set", "W=[[1, 2], [3, 4]]", "x=[1, -1]", "--check"])
    assert checked.exit_code == 0 and "2 of 2 inputs agree" in checked.stdout


def test_formats_arrays_do_not_have_yet_are_refused_in_one_line():
    assert "--paths lists each gradient as a sum over the paths of the scalar graph" in refused(
        ["L = sum(x)", "--set", "x=[1, 2]", "--paths", "--no-diagram"])
    assert "--hessian gives one second derivative per pair of scalar inputs: add --expand" in refused(
        ["L = sum(x)", "--set", "x=[1, 2]", "--hessian", "--no-diagram"])


def test_the_examples_in_docs_arrays_md_are_real_output(monkeypatch):
    """Each `$ backprop …` in docs/arrays.md prints what the page shows (a '…' line stands for the
    part left out: the lines after it must end the output; the head before it must start it)."""
    import re
    import shlex
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    monkeypatch.chdir(root)
    text = (root / "docs" / "arrays.md").read_text(encoding="utf-8")
    checked = 0
    for block in re.findall(r"```text\n(.*?)```", text, flags=re.S):
        for command_line, shown in re.findall(r"^\$ (backprop [^\n]*)\n(.*?)(?=^\$ |\Z)", block, flags=re.S | re.M):
            args = shlex.split(command_line)[1:]
            if any(a.startswith(("X=@bad", "x=@big")) for a in args):
                continue  # files made for the error examples (their messages are tested above)
            if "--rankdir" in args:  # the page's command draws backprop.png too; here only stdout matters
                del args[args.index("--rankdir"):args.index("--rankdir") + 2]
            result = run(args + ([] if "--no-diagram" in args or "--check" in args else ["--no-diagram"]))
            output = result.stdout + (result.stderr if result.exit_code else "")
            parts, position = shown.split("…\n"), 0
            for part in parts:  # in order, each a contiguous piece of the real output
                found = output.find(part, position)
                assert found >= 0, f"{command_line}: not in the output:\n{part}"
                position = found + len(part)
            assert output.startswith(parts[0]) and output.endswith(parts[-1]), command_line
            checked += 1
    assert checked >= 8


def test_wrt_keeps_the_backward_steps_and_the_check_on_the_chosen_inputs():
    args = ["y = W @ x + b; L = sum(y^2)", "--set", "W=[[1, 2], [3, 4]]", "x=[1, 2]", "b=1", "--wrt", "x"]
    text = run(args + ["--no-diagram"]).stdout
    assert "∂L/∂x = Wᵀ · ∂L/∂a" in text and "∂L/∂W" not in text and "∂L/∂b" not in text
    checked = run(args + ["--check"])
    assert checked.exit_code == 0 and "1 of 1 inputs agree" in checked.stdout and "  W " not in checked.stdout


def test_max_nodes_summarises_a_big_array_diagram_as_it_says(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    program = "; ".join(["h0 = tanh(W @ x)"] + [f"h{i} = tanh(W @ h{i - 1} + b)" for i in range(1, 30)]
                        + ["L = sum(h29)"])
    result = run([program, "--set", "W=[[0.5, 0.1], [0.2, 0.3]]", "x=[1, 2]", "b=[0.1, 0.2]", "-o", "g.dot",
                  "--max-nodes", "20"])
    assert result.exit_code == 0 and "more than --max-nodes 20" in result.stderr
    dot = (tmp_path / "g.dot").read_text(encoding="utf-8")
    assert "more operations" in dot and dot.count("shape=plaintext, label=<<TABLE") < 15
