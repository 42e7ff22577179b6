"""How long array --symbolic takes: building the gradient graph, simplifying and printing.

A network whose every layer uses the one before twice (written out, its formulas double per
layer), at several depths; prints the time of the derivation and of the formulas, and what was
printed (the formula's length, or its summary).

    python benchmarks/arrays_symbolic.py [--layers 60 600 3000]
"""

from __future__ import annotations

import argparse
import time

from backprop import differentiate


def measure(layers: int) -> tuple[float, float, str]:
    lines = ["h0 = x"] + [f"h{k} = tanh(W @ h{k - 1}) * h{k - 1}" for k in range(1, layers + 1)]
    started = time.perf_counter()
    values = {"x": [0.1, 0.2], "W": [[0.5, -0.1], [0.2, 0.3]]}
    result = differentiate("; ".join(lines) + f"; L = sum(h{layers})", values)
    derived = time.perf_counter()
    text = result.formula("x")
    done = time.perf_counter()
    shown = f"{len(text):,} characters" if "too big" not in text else text
    return derived - started, done - derived, shown


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layers", type=int, nargs="*", default=[10, 60, 600, 3000])
    for layers in parser.parse_args().layers:
        derivation, formulas, shown = measure(layers)
        print(f"{layers:>6} layers: derivation {derivation * 1000:8.1f} ms, "
              f"formulas {formulas * 1000:8.1f} ms: {shown}")


if __name__ == "__main__":
    main()
