"""--expand: the scalar names of array elements never stand for two values, and the verdict is true.

An element used to be named ``x_0`` whatever else the program held: beside a scalar input
``x_0``, or a vector ``x_1`` beside a matrix ``x``, two values merged into one scalar, and a
name bound again (``h = h @ M``) was rebound element by element, so later elements read the
new values of earlier ones. The scalar graph then disagreed with correct vectorised
gradients. The verdict also said "DIFFER on every element" however many agreed, and the
run exited 0 on DIFFER, where --check exits 1 on a mismatch.
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
from click.testing import CliRunner

from backprop import differentiate
from backprop.cli import command


def run(args: list[str]):
    return CliRunner().invoke(command, args)


CLASH = ["sum(W @ x) * x_0", "--set", "W=[[1,2],[3,4]]", "x=[1,-1]", "x_0=5", "--expand", "--no-diagram"]


def test_an_element_name_never_merges_with_a_scalar_of_the_same_name():
    result = run(CLASH)
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert "agree on every element" in text and "NO" not in text
    rows = [line.split()[0] for line in text.split("input element")[1].splitlines()[1:-1]]
    assert len(rows) == 7 and len(set(rows)) == 7  # W's 4, x's 2 and x_0: each row its own label
    assert "L = b * x_0" in text  # the scalar x_0 keeps its name
    assert "a_0 = (W_0_0 * x__0 + W_0_1 * x__1)" in text  # x[0] is written x__0, and a note says why
    assert "x's elements are written x__0, …: x_0 is a name in the program" in text


@pytest.mark.parametrize("program, values", [
    ("sum(W @ x) * x_0", {"W": "[[1,2],[3,4]]", "x": "[1,-1]", "x_0": "5"}),
    ("L = sum(x) * sum(x_1 * x_1)", {"x": "[[1,2],[3,4]]", "x_1": "[5,6]"}),  # x_1_0: x[1, 0] or x_1[0]
    ("h = x * 1; h = h @ M; sum(h)", {"x": "[1,1]", "M": "[[1,2],[3,4]]"}),  # h bound again
    ("h = x * 1; h = transpose(h); sum(h * h)", {"x": "[[1,2],[3,4]]"}),
    ("h = x * 2; h_1 = x + 1; h += h_1; sum(h * h_1)", {"x": "[1,-1]"}),
])
def test_the_expansion_agrees_with_correct_vectorised_gradients_whatever_the_names(program, values):
    from backprop.arrays.expand import expansion_json

    result = differentiate(program, values)
    expansion = expansion_json(result)
    assert expansion["agree"] and expansion["differing"] == [], expansion
    for name, grad in result.gradients.items():
        np.testing.assert_allclose(np.array(expansion["gradients"][name]), grad, rtol=1e-9, atol=1e-12)
    every = [n for names in expansion["names"].values() for n in np.ravel(names)]
    assert len(every) == len(set(every))


def test_a_name_bound_again_gets_its_own_elements():
    text = run(["h = x * 1; h = h @ M; sum(h)", "--set", "x=[1,1]", "M=[[1,2],[3,4]]", "--expand",
                "--no-diagram"]).stdout
    assert "h2_1 = (h_0 * M_0_1 + h_1 * M_1_1)" in text  # reads the first h, not the new h2_0
    assert "h2 is h₁, h bound a second time" in text


def test_an_array_name_bound_again_is_a_version_in_the_derivation():
    # both bindings printed as h: "∂L/∂h = M · ∂L/∂h" read as an equation of h with itself
    text = run(["h = x * 1; h = h @ M; sum(h)", "--set", "x=[1,2]", "M=[[1,0],[0,2]]", "--no-diagram"]).stdout
    assert "2. h₁ = h @ M" in text and "3. L = sum(h₁)" in text
    assert "3. ∂L/∂h = M · ∂L/∂h₁" in text
    versions = run(["h_1 = x * 2; h = x * 1; h = h @ M; sum(h) + sum(h_1)", "--set", "x=[1,2]", "M=[[1,0],[0,2]]",
                    "--no-diagram"]).stdout
    assert "h₂ = h @ M" in versions  # h₁ would print as the user's h_1 in ASCII and LaTeX


def test_paths_and_hessian_use_the_same_clash_free_names():
    document = json.loads(run(CLASH[:-1] + ["--hessian", "--paths", "--format", "json"]).stdout)
    expanded = document["expanded"]
    assert expanded["names"]["x"] == ["x__0", "x__1"] and expanded["names"]["x_0"] == "x_0"
    names = expanded["hessian"]["names"]
    assert len(names) == len(set(names)) == 7
    hessian = expanded["hessian"]["matrix"]
    assert hessian[names.index("W_0_0")][names.index("x_0")] == 1  # ∂²L/∂W₀₀∂x_0 = x[0] = 1
    assert expanded["paths"]["x__0"]["count"] == 2


def _broken_transpose(monkeypatch):
    """A wrong vectorised rule: transpose's gradient doubles element [0, 0]."""
    from backprop.arrays import ops_array

    def vjp(site, position, g, values, out):
        wrong = np.array(g.T)
        wrong[0, 0] *= 2
        return wrong

    monkeypatch.setitem(ops_array.ARRAY_OPS, "transpose",
                        dataclasses.replace(ops_array.ARRAY_OPS["transpose"], vjp=vjp))


WRONG = ["L = sum(transpose(X) * M)", "--set", "X=[[1,2],[3,4]]", "M=[[1,2],[3,4]]", "--expand", "--no-diagram"]


def test_a_differ_verdict_counts_the_elements_that_differ_and_fails_the_run(monkeypatch):
    _broken_transpose(monkeypatch)
    result = run(WRONG)
    verdict = result.stdout.splitlines()[-1]
    assert verdict.startswith("The vectorised rules and the scalar graph DIFFER on 1 of 8 elements (X_0_0; largest")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: --expand: the vectorised rules and the scalar graph differ on 1 of 8 "
                                    "elements (X_0_0), so one of the two engines computes a wrong gradient")
    assert "Traceback" not in result.output


def test_a_differ_verdict_in_json_lists_the_elements_and_fails_the_run(monkeypatch):
    _broken_transpose(monkeypatch)
    result = run(WRONG[:-1] + ["--format", "json"])
    assert result.exit_code == 1
    expanded = json.loads(result.stdout)["expanded"]
    assert expanded["agree"] is False and expanded["differing"] == ["X_0_0"]


def test_an_agreeing_expansion_exits_zero():
    result = run(WRONG)
    assert result.exit_code == 0 and "agree on every element" in result.stdout


def test_the_api_derivation_takes_the_options_the_command_line_takes():
    # ArrayResult.derivation("markdown", expand=True) left the expansion out without a word
    result = differentiate("sum(W @ x)", {"W": [[1, 2], [3, 4]], "x": [1, -1]})
    for fmt in ("text", "markdown", "latex"):
        assert "Expanded to scalars" in result.derivation(fmt, expand=True), fmt
    assert "∂L/∂x (2,) = Wᵀ ones(2) = [4, 6]" in result.derivation("text", symbolic=True)
    # wrt names: the backward pass keeps the steps that reach x (it printed none past ∂L/∂L, or failed)
    for wrt in ("x", ["x"]):
        text = result.derivation("text", wrt=wrt)
        assert "3. ∂L/∂x = Wᵀ · ∂L/∂a" in text and "∂L/∂W" not in text
