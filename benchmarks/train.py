"""How fast ``backprop train`` runs: 1,000 steps of a 50-operation loss over 100 rows (issue 13: under 10 s).

    python benchmarks/train.py            # prints the figures (median of --repeat runs)

The loss is a small network, tanh hidden units over two features and a squared error, written
in our language; the figure counts the operations of its graph, so "50 operations" is measured,
not assumed. Also timed: the same steps as a per-row loop of the library's own scalar
``forward``/``backward`` (what a naive trainer would do), to show what evaluating whole
columns buys, and the whole command line with its table. First, the vectorised run of an array
program: 1,000 steps of a 2-layer MLP (tanh) on 100×20 data (--arrays-only for just that).
Nothing here is collected by pytest.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

from backprop.backward import backward  # noqa: E402
from backprop.forward import forward  # noqa: E402
from backprop.graph import CONST, INPUT  # noqa: E402
from backprop.train import prepare_run  # noqa: E402
from backprop.train.run import run_training  # noqa: E402


def network(hidden: int = 5) -> str:
    """tanh hidden units over x1, x2, a linear output and a squared error (9·hidden + 7 operations)."""
    lines = [f"h{i} = tanh(w{i}1*x1 + w{i}2*x2 + b{i})" for i in range(hidden)]
    lines.append("o = " + " + ".join(f"v{i}*h{i}" for i in range(hidden)) + " + c")
    lines.append("L = (o - t)^2 + 0.001*(" + " + ".join(f"v{i}^2" for i in range(hidden)) + ") + 0.001*c^2")
    return "\n".join(lines)


def dataset(rows: int, seed: int = 1) -> dict[str, list[float]]:
    generator = random.Random(seed)
    x1 = [generator.uniform(-2, 2) for _ in range(rows)]
    x2 = [generator.uniform(-2, 2) for _ in range(rows)]
    return {"x1": x1, "x2": x2, "t": [0.5 * a - 0.3 * b * b + 0.1 for a, b in zip(x1, x2)]}


def operations(setup) -> int:
    return sum(1 for node in setup.graph.nodes if node.op not in (INPUT, CONST))


def per_row_loop(setup, steps: int) -> float:
    """The same descent, one scalar forward and backward per row (the engine's plain loops)."""
    graph = setup.graph
    data = setup.data.columns
    params = dict(setup.initial)
    ids = {graph.nodes[i].name: i for i in graph.inputs}
    started = time.perf_counter()
    for _ in range(steps):
        totals = dict.fromkeys(params, 0.0)
        for row in range(setup.rows):
            values = forward(graph, {**params, **{name: column[row] for name, column in data.items()}})
            grads = backward(graph, values).grads
            for name in params:
                totals[name] += grads[ids[name]]
        params = {name: value - setup.lr * totals[name] / setup.rows for name, value in params.items()}
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--rows", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-baseline", action="store_true", help="skip the per-row loop (slow)")
    parser.add_argument("--arrays-only", action="store_true", help="only the array MLP")
    options = parser.parse_args()
    array_mlp(options.steps, repeat=options.repeat)
    if options.arrays_only:
        return
    source = network()
    columns = dataset(options.rows)
    setup = prepare_run(source, data=columns, lr=0.05, steps=options.steps, init="random", seed=3,
                        params=[n for n in _inputs(source) if n not in columns])
    print(f"loss: {operations(setup)} operations, {len(setup.parameters)} parameters, {setup.rows} rows, "
          f"{options.steps} steps (python {sys.version.split()[0]}, {os.cpu_count()} cores)")
    times, cpu = [], []
    for _ in range(options.repeat):
        started = time.process_time()
        training = run_training(setup)
        cpu.append(time.process_time() - started)
        times.append(training.seconds)
    print(f"backprop.train (columns):   median {statistics.median(times):.2f} s wall, {statistics.median(cpu):.2f} s CPU "
          f"of {options.repeat} runs (min {min(times):.2f} s); loss {training.history[0].loss:.4g} -> "
          f"{training.final.loss:.4g}")
    recorded = run_training(setup, record=True)
    print(f"  with snapshots for -o training.html: {recorded.seconds:.2f} s")
    if not options.no_baseline:
        seconds = per_row_loop(setup, max(1, options.steps // 10))
        print(f"per-row scalar loop:        {seconds * 10:.2f} s (extrapolated from {max(1, options.steps // 10)} steps)")
    with tempfile.TemporaryDirectory() as folder:
        csv = Path(folder) / "points.csv"
        csv.write_text("x1,x2,t\n" + "\n".join(",".join(repr(c[i]) for c in columns.values())
                                              for i in range(options.rows)) + "\n")
        env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
        started = time.perf_counter()
        completed = subprocess.run([sys.executable, "-m", "backprop", "train", source, "--data", str(csv),
                                    "--lr", "0.05", "--steps", str(options.steps), "--init", "random", "--seed", "3",
                                    "--params", ",".join(setup.parameters)],
                                   capture_output=True, text=True, env=env)
        elapsed = time.perf_counter() - started
        status = "ok" if completed.returncode == 0 else f"exit {completed.returncode}: {completed.stderr.strip()}"
        print(f"whole command (backprop train ..., table on stdout): {elapsed:.2f} s ({status})")


MLP = "H = tanh(X @ W1 + b1)\nL = mean((H @ w2 + b2 - y)^2)"


def array_mlp(steps: int, rows: int = 100, features: int = 20, hidden: int = 16, repeat: int = 3) -> None:
    """The vectorised run (array programs): a 2-layer MLP on rows×features data, the whole batch per step."""
    try:
        import numpy as np
    except ImportError:
        print("array MLP: skipped (NumPy is not installed)")
        return
    generator = np.random.default_rng(5)
    X = generator.normal(size=(rows, features))
    y = np.tanh(X @ generator.normal(size=features) / 4)
    values = {"X": X, "y": y, "W1": generator.normal(0, 0.3, size=(features, hidden)), "b1": np.zeros(hidden),
              "w2": generator.normal(0, 0.3, size=hidden), "b2": 0.0}
    setup = prepare_run(MLP, values=values, params="W1,b1,w2,b2", lr=0.01, steps=steps, optimizer="adam")
    count = sum(p.size for p in setup.initial.values())
    times, cpu = [], []
    for _ in range(repeat):
        started = time.process_time()
        training = run_training(setup)
        cpu.append(time.process_time() - started)
        times.append(training.seconds)
    print(f"array MLP ({rows}x{features} data, {hidden} tanh units, {count} parameters, Adam), {steps} steps: "
          f"median {statistics.median(times):.2f} s wall, {statistics.median(cpu):.2f} s CPU of {repeat} runs "
          f"({1000 * statistics.median(times) / steps:.2f} ms/step); loss {training.history[0].loss:.4g} -> "
          f"{training.final.loss:.4g}")


def _inputs(source: str) -> list[str]:
    from backprop.lower import lower
    from backprop.parse import parse

    graph = lower(parse(source))
    return [graph.nodes[i].name for i in graph.inputs]


if __name__ == "__main__":
    main()
