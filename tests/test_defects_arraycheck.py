"""Array --check judges as the scalar --check does; the array stepper refuses what it can not show; the
schema accepts the JSON --expand writes.

The array check used a fixed step and called every disagreement FAIL (exit 1): relu at 0 in a
zero-initialised network, sin at 1e6, 1e20 + sum(x), all correct gradients. It now reports kinks
and ill-conditioned differences as the scalar check does, and a wrong rule still fails; its JSON
said "fail" where docs/json.md says "FAIL". `-o steps.html` for an array program quietly left
out --paths and --hessian, where it refuses --lint. docs/schema.json rejected the `expanded` key.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from backprop import differentiate
from backprop.cli import command

from test_arrays import break_matmul

DOCS = Path(__file__).parents[1] / "docs"
ZERO_NETWORK = ["L = sum(relu(W @ x + b))", "--set", "W=[[0,0],[0,0]]", "x=[1,2]", "b=[0,0]", "--no-diagram",
                "--check"]


def run(args: list[str]):
    return CliRunner().invoke(command, args)


def _rows(text: str) -> dict:
    """The check table's rows by input: the last word is the status."""
    return {line.split()[0]: line.split()[-1] for line in text.splitlines()[2:] if line.startswith("  ")
            and not line.split()[0].endswith(":")}


def test_relu_at_zero_in_a_zero_initialised_network_is_a_kink_not_a_failure():
    result = run(ZERO_NETWORK)
    assert result.exit_code == 0, result.output
    assert _rows(result.stdout) == {"W": "kink", "x": "ok", "b": "kink"}
    assert "W: kink, not a failure: relu has a kink at 0" in result.stdout
    assert "FAIL" not in result.stdout


@pytest.mark.parametrize("program, values, status", [
    ("L = sum(sin(x))", "x=[1000, 1e6]", "ok"),  # the fixed step was 100 at 1e6
    ("L = 1e20 + sum(x)", "x=[1, 2]", "ill-conditioned"),  # every digit of x is lost in 1e20
])
def test_a_finite_difference_that_can_not_judge_is_not_a_failure(program, values, status):
    result = run([program, "--set", values, "--no-diagram", "--check"])
    assert result.exit_code == 0, result.output
    assert _rows(result.stdout) == {"x": status}


def test_a_wrong_rule_still_fails_beside_a_kink_and_behind_one(monkeypatch):
    break_matmul(monkeypatch)
    # a is at relu's kink; W and x are not behind it. Then W's first row sits at the kink, its second does not.
    result = run(["L = sum(relu(a)) + sum(W @ x)", "--set", "a=[0, 1]", "W=[[1,2],[3,4]]", "x=[1,-1]",
                  "--no-diagram", "--check"])
    assert result.exit_code == 1 and _rows(result.stdout) == {"a": "kink", "W": "FAIL", "x": "FAIL"}
    assert "gradient check failed for W, x" in result.output
    result = run(["L = sum(relu(W @ x))", "--set", "W=[[0,0],[1,2]]", "x=[1,1]", "--no-diagram", "--check"])
    assert result.exit_code == 1 and _rows(result.stdout)["W"] == "FAIL", result.output


def test_the_json_statuses_are_the_documented_words(monkeypatch):
    document = json.loads(run(ZERO_NETWORK + ["--format", "json"]).stdout)
    statuses = {c["input"]: (c["status"], c["note"]) for c in document["checks"]}
    assert document["passed"] and statuses["x"] == ("ok", None) and statuses["W"][0] == "kink"
    assert statuses["W"][1].startswith("relu has a kink at 0")
    break_matmul(monkeypatch)
    result = run(["L = sum(W @ x)", "--set", "W=[[1,2],[3,4]]", "x=[1,-1]", "--no-diagram", "--check",
                  "--format", "json"])
    assert result.exit_code == 1
    assert {c["status"] for c in json.loads(result.stdout)["checks"]} == {"FAIL"}
    text = (DOCS / "json.md").read_text(encoding="utf-8")
    for word in ("ok", "FAIL", "kink", "ill-conditioned", "unchecked"):
        assert f'`"{word}"`' in text


@pytest.mark.parametrize("flag", ["--paths", "--hessian"])
def test_the_array_stepper_refuses_paths_and_hessian_as_it_refuses_lint(flag, tmp_path):
    page = tmp_path / "steps.html"
    result = run(["L = sum(W @ x)", "--set", "W=[[1,2],[3,4]]", "x=[1,-1]", "-o", str(page), "--expand", flag,
                  "--no-diagram"])
    assert result.exit_code == 1
    assert f"Error: {flag} is written in an array program's derivation" in result.output
    assert "Traceback" not in result.output and not page.exists() and result.stdout == ""


def test_the_schema_accepts_what_expand_writes_with_paths_and_hessian_inside_expanded():
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((DOCS / "schema.json").read_text(encoding="utf-8"))
    result = run(["h = tanh(X @ W + b); L = sum(softmax(h) * Y) + X[0, 1]", "--set", "X=[[1,2],[3,4]]",
                  "W=[[0.1,0.2],[0.3,-0.1]]", "b=[0,1]", "Y=[[1,0],[0,1]]", "--no-diagram", "--format", "json",
                  "--expand", "--paths", "--hessian"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    jsonschema.validate(document, schema)
    assert "paths" not in document and "hessian" not in document  # where docs/json.md and arrays.md say
    assert {"paths", "hessian"} <= set(document["expanded"])
    jsonschema.validate(json.loads(differentiate("L = sum(W @ x)", {"W": "[[1,2],[3,4]]", "x": "[1,-1]"})
                                   .to_json(expand=True)), schema)
