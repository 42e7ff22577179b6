"""Whole-process timings: cold start of the CLI, the PNG's extra time, and big diagrams.

- Cold start: ``python -m backprop "(a*b+c)*f" --set … --no-diagram`` against a bare
  ``python -c pass``, interleaved, median of RUNS each (after two warm-up runs, so .pyc
  files exist, as they do for an installed package), plus the imports that usually cost.
- PNG: the same command writing ``-o seed.png``, minus the ``--no-diagram`` run, against
  Graphviz's own ``dot -Tpng`` on the DOT the CLI writes for the same program.
- Diagrams: programs around and above the default node limit, to a PNG, under a hard
  wall-clock limit; each case reports how long it took and how it ended.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from workloads import make

REPO = Path(__file__).resolve().parent.parent
SEED_ARGS = ["(a*b+c)*f", "--set", "a=2", "b=3", "c=-10", "f=5"]
DIAGRAM_WALL_LIMIT = 180.0  # seconds: a case still running then counts as a hang


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO / "src") + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _seconds(command: list[str], env: dict, cwd: str, timeout: float = 120.0) -> tuple[float, subprocess.CompletedProcess]:
    started = time.perf_counter()
    completed = subprocess.run(command, capture_output=True, env=env, cwd=cwd, timeout=timeout)
    return time.perf_counter() - started, completed


def _medians(commands: dict[str, list[str]], runs: int, env: dict, cwd: str) -> dict[str, float]:
    """Median wall time of each command, run interleaved so drift hits all alike."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    for round_number in range(runs + 2):
        for name, command in commands.items():
            seconds, completed = _seconds(command, env, cwd)
            if completed.returncode != 0:
                raise RuntimeError(f"{command} failed: {completed.stderr.decode()[-300:]}")
            if round_number >= 2:  # the first two are warm-ups
                times[name].append(seconds)
    return {name: statistics.median(values) for name, values in times.items()}


def measure(quick: bool = False) -> dict:
    """Every whole-process figure of the report, in seconds."""
    python = sys.executable
    env = _environment()
    runs = 7 if quick else 21
    with tempfile.TemporaryDirectory() as work:
        backprop = [python, "-m", "backprop", *SEED_ARGS]
        subprocess.run(backprop + ["-o", "seed.dot"], env=env, cwd=work, check=True, capture_output=True)
        start = _medians(
            {
                "python -c pass": [python, "-c", "pass"],
                "python -c 'import lark'": [python, "-c", "import lark"],
                "python -c 'import click'": [python, "-c", "import click"],
                "seed derivation (--no-diagram)": backprop + ["--no-diagram"],
                "seed derivation + PNG": backprop + ["-o", "seed.png"],
                # The same resolution backprop asks for (render/dot.py: -Gdpi=144), so like is timed with like.
                "dot -Tpng seed.dot": ["dot", "-Tpng", "-Gdpi=144", "seed.dot", "-o", "dot.png"],
            },
            runs,
            env,
            work,
        )
        diagrams = [_diagram_case(name, extra, env, work) for name, extra in _DIAGRAM_CASES]
    return {"runs": runs, "medians": start, "diagrams": diagrams}


# (workload, extra CLI options): under the default limit, over it, and over it on purpose.
_DIAGRAM_CASES = [
    ("tree-100", []),
    ("tree-1000", []),
    ("dag-10000", []),
    ("tree-1000", ["--max-nodes", "1000000"]),
    ("dag-300", ["--max-nodes", "1000000"]),
]


def _diagram_case(name: str, extra: list[str], env: dict, work: str) -> dict:
    """One program to a PNG under a hard limit: seconds, exit status and the first stderr line."""
    workload = make(name)
    program = Path(work) / f"{name}.bp"
    program.write_text(workload.source)
    pairs = [f"{k}={v}" for k, v in workload.values.items()]
    command = [sys.executable, "-m", "backprop", "-f", str(program), "--set", *pairs, "-o", "out.png", *extra]
    case = {"workload": name, "options": " ".join(extra)}
    try:
        seconds, completed = _seconds(command, env, work, timeout=DIAGRAM_WALL_LIMIT)
    except subprocess.TimeoutExpired:
        case.update(seconds=DIAGRAM_WALL_LIMIT, status="HANG", message=f"still running after {DIAGRAM_WALL_LIMIT:g} s")
        return case
    stderr = completed.stderr.decode("utf-8", "replace").strip().splitlines()
    errors = [line for line in stderr if line.startswith("Error")]
    case.update(seconds=seconds, status="png" if completed.returncode == 0 else f"exit {completed.returncode}",
                message=(errors or stderr or [""])[0][:240])
    return case
