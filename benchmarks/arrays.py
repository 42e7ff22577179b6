"""Array programs: speed against NumPy by hand, and the scalar path's cold start (issue 11).

    python benchmarks/arrays.py            # prints the figures (about a minute on 2 cores)

- matmul: ``L = sum(A @ B)`` with 512×512 operands, forward + backward through
  ``differentiate`` (parse, shapes, forward, backward, steps recorded), against NumPy doing
  the same products by hand (A @ B, its sum, ∂L/∂A = G Bᵀ, ∂L/∂B = Aᵀ G). Target: within 1.5×.
- MLP: a 2-layer network's cross-entropy loss on 1,000 rows of 20 features (64 hidden units,
  10 classes), forward + backward. Target: under 100 ms.
- Cold start (skip with --no-cold-start): a scalar derivation as a whole process, this tree against another checkout
  (``--against PATH``, default /work/main; ``git archive`` of the commit before arrays gives the
  fair baseline), interleaved, median and fastest of runs; and whether the scalar run imported
  NumPy (it must not).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))
if "--blas-threads" in sys.argv:  # must be set before NumPy loads OpenBLAS
    os.environ["OPENBLAS_NUM_THREADS"] = os.environ["OMP_NUM_THREADS"] = sys.argv[sys.argv.index("--blas-threads") + 1]

import numpy as np  # noqa: E402

from backprop.api import differentiate  # noqa: E402


def _best(function, repeat: int) -> float:
    """The median of ``repeat`` timed calls, after one warm-up, in seconds."""
    function()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def matmul(repeat: int) -> None:
    rng = np.random.default_rng(0)
    A, B = rng.normal(size=(512, 512)), rng.normal(size=(512, 512))

    def ours():
        return differentiate("L = sum(A @ B)", {"A": A, "B": B})

    def by_hand():
        C = A @ B
        value = C.sum()
        G = np.ones_like(C)
        return value, G @ B.T, A.T @ G

    result, (value, dA, dB) = ours(), by_hand()
    assert np.isclose(result.value, value) and np.allclose(result.gradients["A"], dA) \
        and np.allclose(result.gradients["B"], dB)
    t_ours, t_hand = _best(ours, repeat), _best(by_hand, repeat)
    print(f"512×512 matmul, forward + backward: backprop {t_ours * 1000:.1f} ms, NumPy by hand {t_hand * 1000:.1f} ms, "
          f"ratio {t_ours / t_hand:.2f}× (target ≤ 1.5×)")
    print(f"  backprop's phases: " + ", ".join(f"{k} {v * 1000:.1f} ms" for k, v in result.timings.items()))


def mlp(repeat: int) -> None:
    rng = np.random.default_rng(1)
    values = {"X": rng.normal(size=(1000, 20)), "W1": rng.normal(size=(20, 64)) * 0.2, "b1": np.zeros(64),
              "W2": rng.normal(size=(64, 10)) * 0.2, "b2": np.zeros(10), "y": rng.integers(0, 10, size=1000)}
    program = "h = tanh(X @ W1 + b1); L = cross_entropy(h @ W2 + b2, y)"
    result = differentiate(program, values)
    t = _best(lambda: differentiate(program, values), repeat)
    print(f"2-layer MLP, cross-entropy on 1,000×20 (64 hidden, 10 classes), forward + backward: {t * 1000:.1f} ms "
          f"(target < 100 ms); L = {result.value:.6f}")


def cold_start(against: Path, runs: int) -> None:
    seed = ["-m", "backprop", "(a*b+c)*f", "--set", "a=2", "b=-3", "c=10", "f=-2", "--no-diagram"]
    trees = {"this tree": REPO / "src", f"{against}": against / "src"}
    if not (against / "src" / "backprop").is_dir():
        trees.pop(f"{against}")
    times: dict[str, list[float]] = {name: [] for name in trees}
    import compileall

    for src in trees.values():  # .pyc files for both (PYTHONDONTWRITEBYTECODE would leave one tree without)
        compileall.compile_dir(str(src), quiet=1)
    for _ in range(2):  # warm-up: the file cache
        for src in trees.values():
            subprocess.run([sys.executable, *seed], env={**os.environ, "PYTHONPATH": str(src)}, capture_output=True)
    for _ in range(runs):
        for name, src in trees.items():
            started = time.perf_counter()
            subprocess.run([sys.executable, *seed], env={**os.environ, "PYTHONPATH": str(src)}, capture_output=True,
                           check=True)
            times[name].append(time.perf_counter() - started)
    for name, samples in times.items():
        print(f"cold start, scalar seed derivation ({name}): median {statistics.median(samples) * 1000:.1f} ms, "
              f"fastest {min(samples) * 1000:.1f} ms, over {runs} runs")
    probe = subprocess.run([sys.executable, "-X", "importtime", *seed], env={**os.environ, "PYTHONPATH": str(REPO / "src")},
                           capture_output=True, text=True)
    print(f"  NumPy imported by the scalar run: {'numpy' in probe.stderr}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--runs", type=int, default=15, help="cold-start runs per tree")
    parser.add_argument("--blas-threads", help="OpenBLAS threads (on a loaded machine, 1 is much faster: "
                                                "idle threads spin while they wait for a core)")
    parser.add_argument("--no-cold-start", action="store_true")
    parser.add_argument("--against", type=Path, default=Path("/work/main"), help="another checkout to compare the "
                                                                                "cold start with")
    options = parser.parse_args()
    print(f"OpenBLAS threads: {os.environ.get('OPENBLAS_NUM_THREADS', 'default')}; load average "
          f"{', '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    matmul(options.repeat)
    mlp(options.repeat)
    if not options.no_cold_start:
        cold_start(options.against, options.runs)


if __name__ == "__main__":
    main()
