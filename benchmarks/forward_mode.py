"""Forward mode at scale: how long every tangent sweep takes when a program has 10^4 inputs.

    python benchmarks/forward_mode.py [INPUTS]

Each sweep visits every node its input feeds (modes.SparseSweeps), so on a long sum the
sweeps together visit about inputs² / 2 edges. The figures (edge visits a second) are what
modes_views.RATE and the budget note quote. Prints one line per program; asserts nothing.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from backprop import differentiate  # noqa: E402
from backprop.modes import WORK_BUDGET  # noqa: E402

PROGRAMS = {
    "sum of squares": lambda n: " + ".join(f"x{i}*x{i}" for i in range(n)),
    "sum": lambda n: " + ".join(f"x{i}" for i in range(n)),
    "neuron tanh(w·x)": lambda n: "tanh(" + " + ".join(f"w{i}*x{i}" for i in range(n // 2)) + ")",
}


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    for name, program in PROGRAMS.items():
        source = program(n)
        result = differentiate(source, {name: 0.5 for name in _names(source)})
        for budget in (WORK_BUDGET, None):
            started = time.perf_counter()
            mode = result.forward_mode(budget=budget)
            elapsed = time.perf_counter() - started
            same = all(mode.gradients[i] == result.grads[i] for i in mode.gradients)
            print(f"{name}: {len(result.graph.inputs):,} inputs, {len(result.graph.nodes):,} nodes, budget "
                  f"{'none' if budget is None else f'{budget:,}'}: {mode.run:,} sweeps in {elapsed:.2f} s, "
                  f"{mode.work:,} edge visits ({mode.work / elapsed:,.0f} a second); equal to reverse mode: {same}")


def paths() -> None:
    """Sums over paths on a 60-deep diamond chain: 2^60 paths, counted by dynamic programming."""
    from backprop.modes import count_paths

    source = "; ".join(f"x{i + 1} = sin(x{i}) + cos(x{i})" for i in range(60))
    result = differentiate(source, {"x0": 0.3})
    started = time.perf_counter()
    count = count_paths(result.graph).counts[0]
    counted = time.perf_counter() - started
    started = time.perf_counter()
    found = result.paths("x0", limit=50)
    listed = time.perf_counter() - started
    print(f"60-deep diamond: {count:,} paths (2^60: {count == 2 ** 60}) counted in {counted * 1000:.2f} ms; "
          f"the first {len(found.listed)} listed in {listed * 1000:.2f} ms")


def _names(source: str) -> list[str]:
    import re

    return sorted(set(re.findall(r"[wx]\d+", source)))


if __name__ == "__main__":
    paths()
    main()
