"""The output writers at scale (issue 15): µs per operation per format, the CLI end to end, peak memory.

    python benchmarks/writers.py                  # tree/chain/dag at 10⁴ and 10⁵ and sum-10⁵
    python benchmarks/writers.py --sizes 4        # 10⁴ only (a minute or two)
    python benchmarks/writers.py --cli sum-1000000 --formats json,text   # + whole CLI runs, max RSS

For each workload, in this process: ``differentiate`` (CPU seconds, best of --repeats), then
each writer (text, ascii, markdown, latex, json) streamed to nowhere, µs per operation;
"CLI ratio" is (differentiate + text) ÷ differentiate, what a user waits for against the
engine alone. ``--cli`` runs ``python -m backprop -f PROGRAM --format F`` as a separate process
per format and reports its wall time and peak resident memory (``os.wait4``'s ru_maxrss).
Figures are CPU time (``time.process_time``) so that other load on the machine inflates them
less than wall time; on a shared machine they still vary by ±30 %.
``sum-N`` is ``x + x + … + x`` (N terms of one name); the others are workloads.py's.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent / "src"), str(HERE)]  # the working tree's backprop

from workloads import make  # noqa: E402

WRITERS = ("text", "ascii", "markdown", "latex", "json")


def program(name: str) -> tuple[str, dict[str, float]]:
    """Program text and input values of a workload, or of ``sum-N``."""
    if name.startswith("sum-"):
        return " + ".join(["x"] * int(name[4:])), {"x": 1.5}
    workload = make(name)
    return workload.source, workload.values


def _best(function, repeats: int) -> tuple[float, object]:
    best, value = float("inf"), None
    for _ in range(repeats):
        started = time.process_time()
        value = function()
        best = min(best, time.process_time() - started)
    return best, value


def measure(name: str, formats: tuple[str, ...], repeats: int) -> dict:
    """differentiate's CPU seconds and each writer's, on one workload."""
    from backprop import differentiate
    from backprop.render.formats import FORMATS

    source, values = program(name)
    seconds, result = _best(lambda: differentiate(source, values), repeats)
    ops = sum(1 for node in result.graph.nodes if node.args)
    row = {"workload": name, "ops": ops, "differentiate": seconds, "writers": {}}
    for fmt in formats:
        def write(fmt=fmt):
            chosen = FORMATS[fmt]
            pieces = chosen.render_chunks(result) if hasattr(chosen, "render_chunks") else [chosen.render(result)]
            size = 0
            for chunk in pieces:  # older checkouts (--before) have no streaming writers
                size += len(chunk)
            return size
        row["writers"][fmt], row.setdefault("bytes", {})[fmt] = _best(write, repeats)
    return row


def per_operation(row: dict) -> dict:
    """A measured row in µs per operation, with its CLI ratio ((differentiate + text) ÷ differentiate)."""
    ops = row["ops"]
    writers = {fmt: seconds / ops * 1e6 for fmt, seconds in row["writers"].items()}
    base = row["differentiate"] / ops * 1e6
    return {"workload": row["workload"], "ops": ops, "differentiate": base, "writers": writers,
            "ratio": (base + writers["text"]) / base if "text" in writers else None}


TARGET_US, TARGET_RATIO = 5.0, 2.0  # issue 15: every writer ≤ 5 µs/op, the CLI within 2× of differentiate


def markdown_section(rows: list[dict]) -> str:
    """The writers' table of a run.py report (rows from ``per_operation``), and whether the target is met."""
    lines = ["## Writers, µs per operation (`benchmarks/writers.py`, issue 15)", "",
             "CPU time (`time.process_time`), best of the repeats, in the same process as `differentiate`; "
             "\"CLI ratio\" is (differentiate + text) ÷ differentiate, what `backprop PROGRAM` costs against "
             "the engine alone.", "",
             "| workload | ops | differentiate | " + " | ".join(WRITERS) + " | CLI ratio |",
             "|---|--:|--:|" + "--:|" * len(WRITERS) + "--:|"]
    met = True
    for row in rows:
        cells = [f"{row['writers'][fmt]:.1f}" if fmt in row["writers"] else "" for fmt in WRITERS]
        ratio = f"{row['ratio']:.1f}" if row["ratio"] is not None else ""
        lines.append(f"| {row['workload']} | {row['ops']:,} | {row['differentiate']:.1f} | " + " | ".join(cells)
                     + f" | {ratio} |")
        met = met and all(v <= TARGET_US for v in row["writers"].values()) and (row["ratio"] or 0) <= TARGET_RATIO
    lines += ["", f"**Target (every writer ≤ {TARGET_US:g} µs/op, CLI ratio ≤ {TARGET_RATIO:g}): "
              + ("met.**" if met else "not met.**")]
    return "\n".join(lines) + "\n"


def cli_run(name: str, fmt: str) -> dict:
    """One whole ``backprop`` process: wall seconds and peak resident MiB."""
    source, values = program(name)
    with tempfile.TemporaryDirectory() as work:
        path = Path(work) / f"{name}.bp"
        path.write_text(source)
        command = [sys.executable, "-m", "backprop", "-f", str(path), "--no-diagram", "--format", fmt, "--set",
                   *[f"{k}={v!r}" for k, v in values.items()]]
        env = dict(os.environ, PYTHONPATH=str(HERE.parent / "src") + os.pathsep + os.environ.get("PYTHONPATH", ""))
        started = time.perf_counter()
        with open(os.devnull, "wb") as sink:
            process = subprocess.Popen(command, stdout=sink, stderr=subprocess.PIPE, env=env)
            _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        error = process.stderr.read().decode("utf-8", "replace").strip()[-200:]
        process.stderr.close()
    return {"workload": name, "format": fmt, "seconds": seconds, "max_rss_mib": usage.ru_maxrss / 1024,
            "exit": process.returncode, "error": error}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="4,5", help="powers of ten for tree, chain and dag (default 4,5)")
    parser.add_argument("--workloads", default=None, help="comma-separated names instead (tree-1000,sum-100000)")
    parser.add_argument("--formats", default=",".join(WRITERS))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--cli", default="", help="workloads to also run as whole CLI processes (peak memory)")
    args = parser.parse_args()
    formats = tuple(f for f in args.formats.split(",") if f)
    if args.workloads:
        names = args.workloads.split(",")
    else:
        names = [f"{family}-{10 ** int(p)}" for p in args.sizes.split(",") for family in ("tree", "chain", "dag")]
        names.append("sum-100000")
    print(f"{'workload':<14} {'ops':>9} {'differentiate':>14}  " + "  ".join(f"{f:>8}" for f in formats)
          + "  CLI ratio  (µs per operation, CPU time; ratio = (differentiate + text) ÷ differentiate)")
    for name in names:
        row = per_operation(measure(name, formats, args.repeats))
        ratio = f"{row['ratio']:9.1f}" if row["ratio"] is not None else ""
        print(f"{name:<14} {row['ops']:>9,} {row['differentiate']:>14.1f}  "
              + "  ".join(f"{row['writers'][f]:>8.1f}" for f in formats) + f"  {ratio}", flush=True)
    for name in [n for n in args.cli.split(",") if n]:
        for fmt in formats:
            run = cli_run(name, fmt)
            ended = "ok" if run["exit"] == 0 else f"exit {run['exit']}: {run['error']}"
            print(f"CLI {name} --format {fmt}: {run['seconds']:.1f} s wall, max RSS {run['max_rss_mib']:,.0f} MiB, "
                  f"{ended}", flush=True)


if __name__ == "__main__":
    main()
