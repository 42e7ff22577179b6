"""Array --mode forward and --cost: how long the local Jacobians and the tangent sweeps take.

    python benchmarks/arrays_modes.py [HIDDEN]

A one-hidden-layer network on one example (20 features, HIDDEN units, 4 outputs): forward
mode builds each operation's local Jacobian from its vjp rule (one call per output element),
then runs one sweep per input element; --cost only counts. Prints one line per phase, with
the sweeps, the multiply-adds and whether the budget stopped them; asserts nothing.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import numpy as np  # noqa: E402

from backprop import differentiate  # noqa: E402
from backprop.arrays.modes import array_cost, forward_mode, local_jacobians  # noqa: E402


def best_of(runs: int, work):
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        value = work()
        times.append(time.perf_counter() - started)
    return min(times), value


def main() -> None:
    hidden = int(sys.argv[1]) if len(sys.argv) > 1 else 16
    rng = np.random.default_rng(0)
    values = {"W1": rng.normal(size=(hidden, 20)), "x": rng.normal(size=20), "b1": np.zeros(hidden),
              "W2": rng.normal(size=(4, hidden)), "y": np.zeros(4)}
    result = differentiate("h = tanh(W1 @ x + b1); L = sum((W2 @ h - y)^2)", values)
    seconds, jacobians = best_of(5, lambda: local_jacobians(result))
    print(f"local Jacobians ({hidden} hidden): {len(jacobians)} of them, "
          f"{sum(j.size for j in jacobians.values()):,} entries, {seconds * 1000:.1f} ms")
    seconds, mode = best_of(5, lambda: forward_mode(result))
    print(f"forward mode: {mode.run:,} of {mode.total:,} sweeps, {mode.work:,} multiply-adds"
          f"{' (budget hit)' if mode.budget_hit else ''}, {seconds * 1000:.1f} ms (Jacobians included)")
    seconds, cost = best_of(5, lambda: array_cost(result))
    print(f"--cost: forward {cost['forward']['multiplications']:,} vs reverse {cost['reverse']['multiplications']:,} "
          f"multiply-adds, counted in {seconds * 1000:.2f} ms")


if __name__ == "__main__":
    main()
