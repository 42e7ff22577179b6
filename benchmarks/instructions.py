"""A writer's cost in machine instructions (valgrind's cachegrind): exact where CPU time is noisy.

    python benchmarks/instructions.py                                  # text on dag-1000 and sum-10000
    python benchmarks/instructions.py --format latex --workloads tree-1000
    python benchmarks/instructions.py --vs /tmp/before                  # against another checkout

On a shared 2-core machine CPU time moves by ±15 % from run to run, so a 5 % change cannot be seen
in it; the number of instructions executed moves by less than 1 %. For each workload the writer's
instructions are those of a run that differentiates and writes, less those of a run that only
differentiates; both first write a small program in the same format, so imports and the templates'
first use are left out. Needs ``valgrind`` (Debian: apt-get install valgrind); about 10 s a run.
``--vs DIR`` measures the same in another checkout (a ``git worktree``) and prints after ÷ before.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
WARM_UP = ("(a*b+c)*f + tanh(a) - max(a, b)/sigmoid(c)^2 + relu(b) + exp(-a) + log(f) + sin(c)*cos(a)",
           {"a": 2, "b": 3, "c": -1, "f": 5})


def child(root: str, workload: str, fmt: str, write: bool) -> None:
    """In the measured process: differentiate ``workload`` in ``root``'s backprop, and write it when asked."""
    sys.path[:0] = [str(Path(root) / "benchmarks"), str(Path(root) / "src")]
    import writers  # noqa: PLC0415 (the checkout's own, after the path is set)

    from backprop import differentiate
    from backprop.render.formats import FORMATS

    chosen = FORMATS[fmt]
    for _ in chosen.render_chunks(differentiate(*WARM_UP)):
        pass
    result = differentiate(*writers.program(workload))
    if hasattr(result.steps, "uses"):
        result.steps.uses()  # the steps' flat arrays: made by differentiate's caller either way
    if write:
        for _ in chosen.render_chunks(result):
            pass


def instructions(root: str, workload: str, fmt: str, write: bool) -> int:
    """Instructions executed by one child process (cachegrind's "I refs")."""
    command = ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null",
               sys.executable, __file__, "--child", root, workload, fmt, "write" if write else "skip"]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    found = re.search(r"I\s+refs:\s+([\d,]+)", done.stderr)
    if done.returncode != 0 or not found:
        raise SystemExit(f"valgrind failed on {workload}: {done.stderr.strip()[-300:]}")
    return int(found.group(1).replace(",", ""))


def operations(root: str, workload: str) -> int:
    """The workload's operation count, from a plain run of the checkout."""
    code = (f"import sys; sys.path[:0] = [{str(Path(root) / 'benchmarks')!r}, {str(Path(root) / 'src')!r}]\n"
            "import writers; from backprop import differentiate\n"
            f"r = differentiate(*writers.program({workload!r}))\n"
            "print(sum(1 for n in r.graph.nodes if n.args))")
    return int(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)


def writer_cost(root: str, workload: str, fmt: str) -> int:
    return instructions(root, workload, fmt, True) - instructions(root, workload, fmt, False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--format", default="text")
    parser.add_argument("--workloads", default="dag-1000,sum-10000")
    parser.add_argument("--vs", default=None, help="another checkout to compare with (before)")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        root, workload, fmt, mode = args.child
        child(root, workload, fmt, mode == "write")
        return
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (Debian: apt-get install valgrind)")
    here = str(HERE.parent)
    print(f"{'workload':<14} {'ops':>8}  {'instructions':>14}  {'per op':>9}"
          + (f"  {'before':>14}  {'after ÷ before':>14}" if args.vs else "") + f"   ({args.format} writer)")
    for workload in args.workloads.split(","):
        ops = operations(here, workload)
        after = writer_cost(here, workload, args.format)
        line = f"{workload:<14} {ops:>8,}  {after:>14,}  {after / ops:>9,.0f}"
        if args.vs:
            before = writer_cost(args.vs, workload, args.format)
            line += f"  {before:>14,}  {after / before:>14.3f}"
        print(line, flush=True)


if __name__ == "__main__":
    main()
