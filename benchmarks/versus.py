"""Time ``differentiate`` (parse → lower → forward → backward) of this checkout against another
commit's, on the benchmark's workloads, each in its own process, alternating, best of N.

    python benchmarks/versus.py /path/to/other/checkout [--repeat 7] [--sizes 10000]

Prints each workload's best time for both and the ratio (this / other): how a change to the
engine moved its speed (issue 9: the rules written once must not slow differentiate by > 10%).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from workloads import make  # noqa: E402

_TIMER = """
import json, sys, time
sys.path.insert(0, {src!r})
sys.setrecursionlimit(10000)
from backprop.api import differentiate
source, values, repeat = json.load(sys.stdin)
best = float("inf")
for _ in range(repeat):
    started = time.perf_counter()
    differentiate(source, values)
    best = min(best, time.perf_counter() - started)
print(best)
"""


def best_time(checkout: Path, source: str, values: dict, repeat: int) -> float:
    code = _TIMER.format(src=str(checkout / "src"))
    done = subprocess.run([sys.executable, "-c", code], input=json.dumps([source, values, repeat]),
                          capture_output=True, text=True, check=True)
    return float(done.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("other", type=Path)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds (each a fresh process)")
    parser.add_argument("--workloads", default="seed,tree-1000,tree-10000,chain-10000,dag-10000")
    args = parser.parse_args()
    this = HERE.parent
    print(f"{'workload':<14} {'this (ms)':>10} {'other (ms)':>11} {'ratio':>7}")
    for name in args.workloads.split(","):
        workload = make(name)
        ours, theirs = float("inf"), float("inf")
        for _ in range(args.rounds):
            ours = min(ours, best_time(this, workload.source, workload.values, args.repeat))
            theirs = min(theirs, best_time(args.other, workload.source, workload.values, args.repeat))
        print(f"{name:<14} {ours * 1000:>10.3f} {theirs * 1000:>11.3f} {ours / theirs:>7.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
