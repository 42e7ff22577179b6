"""Forward mode, the cost of both modes and sums over paths (modes.py, render/modes_views.py)."""

import json
import math
import unicodedata

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, assume, given, settings

from backprop import differentiate
from backprop.cli import command
from backprop.modes import MAX_SWEEPS_SHOWN, WORK_BUDGET, count_paths, forward_mode, iter_paths, sweep
from test_properties import VALUES, expressions, run_or_user_error

from conftest import SEED_ARGS

SEED = "(a*b+c)*f"
SEED_VALUES = {"a": 2, "b": 3, "c": -10, "f": 5}
HYPOTHESIS = settings(deadline=None, max_examples=60,
                      suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


class Ran:
    """A CliRunner result whose stdout is NFC-normalised: the tangent dot is U+0307 after the letter,
    which NFC composes (a + U+0307 = U+0227), as this file's literals are."""

    def __init__(self, result):
        self.exit_code, self.stderr = result.exit_code, result.stderr
        self.stdout = unicodedata.normalize("NFC", result.stdout)


def run(args):
    result = CliRunner().invoke(command, args + ["--no-diagram"])
    assert "Traceback" not in result.output + result.stderr, result.stderr
    return Ran(result)


def diamond(depth: int) -> str:
    """x1 = sin(x0) + cos(x0); x2 = sin(x1) + cos(x1); …: two paths per level, 2^depth in all."""
    return "; ".join(f"x{i + 1} = sin(x{i}) + cos(x{i})" for i in range(depth))


# --- forward mode


def test_seed_forward_mode_gives_the_reverse_gradients_in_four_sweeps():
    result = differentiate(SEED, SEED_VALUES)
    mode = result.forward_mode()
    assert [mode.gradients[i] for i in result.graph.inputs] == [15, 10, 5, -4]
    assert len(mode.sweeps) == 4 and not mode.budget_hit
    assert result.cost() == {"inputs": 4, "edges": 6,
                             "forward": {"sweeps": 4, "multiplications": 24, "additions": 12},
                             "reverse": {"sweeps": 1, "multiplications": 6, "additions": 0}}


def test_seed_forward_mode_text():
    out = run(SEED_ARGS + ["--mode", "forward"]).stdout
    assert "Sweep 1 of 4, for a: ȧ = 1, ḃ = 0, ċ = 0, ḟ = 0" in out
    assert "ė = ȧ × b + ḃ × a = 1 × 3 + 0 × 2 = 3" in out
    for name, value in (("a", 15), ("b", 10), ("c", 5), ("f", -4)):
        assert f"so ∂L/∂{name} = L̇ = {value}   (reverse mode: {value} ✓)" in out
    assert "forward mode: 4 sweeps, 24 multiplications, 12 additions" in out
    assert "reverse mode: 1 sweep, 6 multiplications, 0 additions: one backward pass computes all 4 gradients" in out
    assert "Backward pass" not in out


@pytest.mark.parametrize("fmt, expected", [
    ("ascii", ["a' = 1, b' = 0", "e' = a' * b + b' * a = 1 * 3 + 0 * 2 = 3",
               "so dL/da = L' = 15   (reverse mode: 15 ok)"]),
    ("markdown", [r"$\dot{e} = \dot{a} \times b + \dot{b} \times a = 1 \times 3 + 0 \times 2 = 3$",
                  "- forward mode: 4 sweeps, 24 multiplications, 12 additions"]),
    ("latex", [r"\dot{e} &= \dot{a} \times b + \dot{b} \times a = 1 \times 3 + 0 \times 2 = 3",
               r"\item reverse mode: 1 sweep, 6 multiplications"]),
])
def test_forward_mode_in_every_derivation_format(fmt, expected):
    out = run(SEED_ARGS + ["--mode", "forward", "--format", fmt]).stdout
    for fragment in expected:
        assert fragment in out, out
    if fmt == "ascii":
        assert out.isascii()


def test_forward_mode_json():
    document = json.loads(run(SEED_ARGS + ["--mode", "forward", "--format", "json"]).stdout)
    mode = document["forward_mode"]
    assert mode["gradients"] == {"a": 15, "b": 10, "c": 5, "f": -4}
    assert mode["sweeps_total"] == mode["sweeps_run"] == 4
    first = unicodedata.normalize("NFC", mode["sweeps"][0]["steps"][0]["text"])
    assert first == "ė = ȧ × b + ḃ × a = 1 × 3 + 0 × 2 = 3"
    assert document["cost"]["forward"]["sweeps"] == 4 and document["cost"]["reverse"]["multiplications"] == 6
    plain = json.loads(run(SEED_ARGS + ["--format", "json"]).stdout)
    assert not {"forward_mode", "cost", "paths"} & set(plain)


def test_forward_mode_with_wrt_runs_one_sweep_per_chosen_input():
    out = run(SEED_ARGS + ["--mode", "forward", "--wrt", "a,f"]).stdout
    assert "Sweep 1 of 2, for a" in out and "Sweep 2 of 2, for f" in out and "for b" not in out
    assert "forward mode: 2 sweeps, 12 multiplications" in out


def test_reverse_mode_prints_the_cost_line_on_request():
    out = run(SEED_ARGS + ["--cost"]).stdout
    assert "Backward pass" in out and "reverse mode: 1 sweep, 6 multiplications" in out
    assert "Sweep 1" not in out


@pytest.mark.slow  # 60 examples, one forward sweep per input each: over 3 s
@HYPOTHESIS
@given(expressions(), VALUES)
def test_forward_mode_tangents_equal_reverse_gradients(source, values):
    result = run_or_user_error(source, values)
    assume(result is not None)
    mode = result.forward_mode()
    for i, tangent in mode.gradients.items():
        gradient = result.grads[i]
        if math.isfinite(gradient) and math.isfinite(tangent):
            assert tangent == pytest.approx(gradient, rel=1e-9, abs=1e-12), (source, i)
        else:
            assert repr(tangent) == repr(gradient) or math.isnan(gradient) or math.isnan(tangent), (source, i)
    for i in result.graph.inputs:  # and a gradient is the sum of its path products
        found = result.paths(result.graph.nodes[i].name, limit=64)
        total = sum(found.products)
        if not found.left_out and math.isfinite(total) and math.isfinite(result.grads[i]):
            assert total == pytest.approx(result.grads[i], rel=1e-9, abs=1e-9), (source, i)


@pytest.mark.slow  # 10,000 inputs: over 3 s
def test_ten_thousand_inputs_cap_the_printed_sweeps_and_say_so():
    n = 10_000
    source = " + ".join(f"x{i}*x{i}" for i in range(n))
    result = differentiate(source, {f"x{i}": i / 1000 for i in range(n)})
    text = result.derivation(mode="forward")
    assert text.count("Sweep ") == 10
    assert "9,990 more sweeps not printed: at most 10 are." in text
    mode = result.forward_mode()
    assert mode.budget_hit and 10 < mode.run < n and mode.work > WORK_BUDGET
    assert f"{mode.run:,} of the 10,000 sweeps were run ({mode.work:,} edge visits)" in text
    assert f"so the other {n - mode.run:,} would take up to {(n - mode.run) * 39_998:,} more edge visits" in text
    assert "They were not run; reverse mode's one sweep has every gradient" in text
    assert "forward mode: 10,000 sweeps, 399,980,000 multiplications" in text
    assert "reverse mode: 1 sweep, 39,998 multiplications, 10,000 additions" in text
    assert all(mode.gradients[i] == result.grads[i] for i in mode.gradients)  # the very same floats


def test_every_sweep_runs_without_a_budget_and_sparse_sweeps_equal_dense_ones():
    n = 400
    source = "tanh(" + " + ".join(f"w{i}*x{i}" for i in range(n // 2)) + ") + w0*w0"
    result = differentiate(source, {**{f"w{i}": (i % 7) / 5 - 0.5 for i in range(n // 2)},
                                    **{f"x{i}": (i % 5) / 3 for i in range(n // 2)}})
    capped = forward_mode(result.graph, result.partials, budget=1)  # one sparse sweep, then the budget is spent
    assert capped.budget_hit and capped.run == MAX_SWEEPS_SHOWN + 1
    every = result.forward_mode(budget=None)
    assert not every.budget_hit and every.run == n and len(every.sweeps) == MAX_SWEEPS_SHOWN
    for i in result.graph.inputs:  # sparse and dense sweeps add the same terms in the same order
        assert every.gradients[i] == sweep(result.graph, result.partials, i).tangents[result.graph.output]
        assert every.gradients[i] == result.grads[i]
    assert "390 more sweeps not printed: at most 10 are. All 400 sweeps were run, and their tangents equal" \
        in result.derivation(mode="forward").replace("\n", " ")


# --- paths


def test_paths_of_x_in_x_times_y_plus_x():
    result = differentiate("x*y + x", {"x": 2, "y": 3})
    found = result.paths("x")
    assert found.count == 2 and found.products == [3, 1] and found.left_out == 0
    out = run(["x*y + x", "--set", "x=2", "y=3", "--paths"]).stdout
    assert "∂L/∂x: 2 paths" in out
    assert "∂(a + x)/∂a" not in out  # a has one use, so ∂L/∂a is its local derivative
    assert "x → a → L: ∂a/∂x × ∂L/∂a = y × 1 = 3 × 1 = 3" in out
    assert "x → L: ∂(a + x)/∂x = 1" in out
    assert "sum = 3 + 1 = 4 = ∂L/∂x ✓" in out
    assert "reverse mode: 4 edge multiplications (one sweep, every input) instead of 2 path products" in out


@pytest.mark.parametrize("fmt, expected", [
    ("ascii", ["x -> a -> L: da/dx * dL/da = y * 1 = 3 * 1 = 3", "sum = 3 + 1 = 4 = dL/dx ok"]),
    ("markdown", [r"- $x \to a \to L : \frac{\partial a}{\partial x} \times \frac{\partial L}{\partial a} = y "
                  r"\times 1 = 3 \times 1 = 3$", r"$\text{sum} = 3 + 1 = 4"]),
    ("latex", [r"x \to L &: \frac{\partial \left(a + x\right)}{\partial x} = 1", r"\checkmark"]),
])
def test_paths_in_every_derivation_format(fmt, expected):
    out = run(["x*y + x", "--set", "x=2", "y=3", "--paths", "--format", fmt]).stdout
    for fragment in expected:
        assert fragment in out, out


def test_paths_json():
    document = json.loads(run(["x*y + x", "--set", "x=2", "y=3", "--paths", "--format", "json"]).stdout)
    x = document["paths"]["x"]
    assert x["count"] == 2 and x["left_out"] == 0 and x["gradient"] == 4
    assert [p["route"] for p in x["paths"]] == ["x → a → L", "x → L"]
    assert [p["product"] for p in x["paths"]] == [3, 1]


def test_a_60_deep_diamond_chain_has_2_to_the_60_paths_counted_and_only_the_asked_ones_enumerated(monkeypatch):
    # how fast: benchmarks/forward_mode.py prints the time (unit tests assert no wall-clock limits)
    import backprop.modes as modes

    result = differentiate(diamond(60), {"x0": 0.3})
    counted = count_paths(result.graph)
    assert counted.counts[0] == 2 ** 60
    yielded = []
    original = modes.iter_paths

    def counting(*args, **kwargs):
        for path in original(*args, **kwargs):
            yielded.append(path)
            yield path

    monkeypatch.setattr(modes, "iter_paths", counting)
    found = result.paths("x0", limit=50)
    assert len(yielded) == 50  # the walk stops at the limit: it never enumerates more than asked
    assert len(result.paths("x0", limit=0).listed) == 0 and len(yielded) == 50
    text = result.derivation(paths=True, max_paths=3)
    assert len(yielded) == 53 and f"{2 ** 60 - 3:,} more paths not listed (--max-paths 3)" in text
    assert len(found.listed) == 50 and found.left_out == 2 ** 60 - 50
    assert all(len(path) == 120 for path in found.listed)  # two edges a level: sin/cos, then the sum
    assert len(set(found.listed)) == 50


def test_small_diamond_paths_sum_to_the_gradient():
    result = differentiate(diamond(4), {"x0": 0.3})
    found = result.paths("x0", limit=100)
    assert found.count == 16 and len(found.listed) == 16 and found.left_out == 0
    assert sum(found.products) == pytest.approx(result.gradients["x0"], rel=1e-12)


def test_an_operand_used_twice_is_two_paths():
    result = differentiate("; ".join(f"x{i + 1} = x{i} + x{i}" for i in range(60)), {"x0": 1})
    assert result.paths("x0", limit=3).count == 2 ** 60 == result.gradients["x0"]
    first = [path for path, _ in zip(iter_paths(result.graph, 0), range(3))]
    assert len(set(first)) == 3 and all(len(path) == 60 for path in first)


def test_max_paths_truncates_with_a_message():
    out = run(["; ".join(f"x{i + 1} = sin(x{i}) + cos(x{i})" for i in range(60)), "--set", "x0=0.3",
               "--paths", "--max-paths", "3"]).stdout
    assert "∂x60/∂x0: 1,152,921,504,606,846,976 paths" in out
    assert out.count("    x0 → ") == 3
    assert "1,152,921,504,606,846,973 more paths not listed (--max-paths 3)" in out


@pytest.mark.slow
def test_path_counts_beyond_python_int_printing_are_written_about(tmp_path):
    # 15,000 squarings: 2^15000 paths, 4,516 digits, over the 4,300 digits Python will print
    program = tmp_path / "squares.bp"
    program.write_text("y0 = x\n" + "\n".join(f"y{i} = y{i - 1} * y{i - 1}" for i in range(1, 15001))
                       + "\ny15000 / y15000")
    text = run(["-f", str(program), "--set", "x=1", "--paths", "--max-paths", "2", "--no-diagram"])
    assert text.exit_code == 0, text.stderr
    assert "∂L/∂x: about 5.6e4515 paths" in text.stdout
    assert "about 5.6e4515 more paths not listed (--max-paths 2)" in text.stdout
    document = run(["-f", str(program), "--set", "x=1", "--paths", "--max-paths", "2", "--no-diagram",
                    "--format", "json"])
    assert document.exit_code == 0, document.stderr
    paths = json.loads(document.stdout)["paths"]["x"]
    assert paths["count"] == paths["left_out"] == "about 5.6e4515" and len(paths["paths"]) == 2
    small = json.loads(run(SEED_ARGS + ["--paths", "--format", "json", "--no-diagram"]).stdout)["paths"]["a"]
    assert small["count"] == 1 and small["left_out"] == 0


def test_max_paths_without_paths_is_refused():
    result = run(SEED_ARGS + ["--max-paths", "3"])
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: --max-paths 3 limits the paths --paths lists: add --paths")


def test_paths_on_a_deep_chain_does_not_recurse():
    n = 20_000
    result = differentiate("; ".join(["y1 = sin(x)"] + [f"y{i + 1} = sin(y{i})" for i in range(1, n)]), {"x": 0.1})
    found = result.paths("x", limit=2)
    assert found.count == 1 and len(found.listed[0]) == n


@pytest.mark.parametrize("source", ["x", "2*3", "y = x; 3 + z", "x*x*x"])
@pytest.mark.parametrize("fmt", ["text", "ascii", "markdown", "latex", "json"])
def test_small_and_odd_programs_in_every_format(source, fmt):
    result = run([source, "--set", "x=2", "z=1", "--mode", "forward", "--paths", "--format", fmt])
    assert result.exit_code == 0, result.stderr
    if fmt == "json":
        document = json.loads(result.stdout)
        assert set(document["forward_mode"]["gradients"]) == set(document["gradients"])
        for name, entry in document["paths"].items():
            if entry["count"] and not entry["left_out"]:
                assert sum(p["product"] for p in entry["paths"]) == pytest.approx(document["gradients"][name])


def test_an_output_that_is_an_input_has_one_empty_path():
    found = differentiate("x", {"x": 2}).paths("x")
    assert found.count == 1 and found.listed == [()] and found.products == [1.0]


def test_paths_list_at_most_ten_inputs_and_print_long_paths_by_their_ends():
    n = 30
    source = "; ".join(["s = " + " + ".join(f"x{i}" for i in range(n))] + [f"s{k + 1} = sin(s{k})" if k else
                                                                            "s1 = sin(s)" for k in range(14)])
    result = differentiate(source, {f"x{i}": 0.01 for i in range(n)})
    text = unicodedata.normalize("NFC", result.derivation(paths=True))
    assert "(20 more inputs not shown: the paths of at most 10 inputs are listed (choose them with --wrt))" in text
    assert text.count(": 1 path\n") == 10
    assert "the product of its" in text and "more) →" in text


@pytest.mark.slow
def test_ten_thousand_inputs_through_the_command_line():
    n = 10_000
    result = run([" + ".join(f"x{i}" for i in range(n)), "--set", *[f"x{i}=1" for i in range(n)],
                  "--mode", "forward", "--paths", "--format", "text"])
    assert result.exit_code == 0, result.stderr
    assert "9,990 more sweeps not printed" in result.stdout
    assert "9,990 more inputs not shown" in result.stdout
