"""Run the benchmark of issue 5 and write its Markdown report.

    python benchmarks/run.py                      # full run → docs/benchmark.md
    python benchmarks/run.py --quick --out /tmp/bench.md
    python benchmarks/run.py --report-only results.json   # re-render a saved run's report

Each runner (ours, CPython, every peer) runs each workload in its own subprocess
(worker.py) with a timeout; a peer that is not installed, times out, crashes or raises
(RecursionError) is a result, and a failure skips that peer's larger sizes of the family.
Then the whole-process measurements (cold start, PNG, diagram limits) run, and report.py
writes the tables and the targets.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

import cli_timings  # noqa: E402
import report  # noqa: E402
import writers  # noqa: E402
from peers import REQUIRES, RUNNERS  # noqa: E402
from workloads import workload_names  # noqa: E402

OURS_TIMEOUT = 900.0  # seconds; ours must finish, renders of 10⁵ nodes included
RELATIVE_TOLERANCE = 1e-6


def run_worker(runner: str, workload: str, timeout: float) -> dict:
    """One runner on one workload in a fresh process; every outcome becomes a result dict."""
    command = [sys.executable, str(HERE / "worker.py"), runner, workload]
    started = time.perf_counter()
    try:
        completed = subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=REPO)
    except subprocess.TimeoutExpired:
        return {"status": "timeout", "message": f"no result within {timeout:g} s"}
    lines = completed.stdout.strip().splitlines()
    if completed.returncode != 0 or not lines:
        stderr = completed.stderr.strip().splitlines()
        reason = f"signal {-completed.returncode}" if completed.returncode < 0 else f"exit {completed.returncode}"
        return {"status": "crashed", "message": f"{reason}: {stderr[-1] if stderr else ''}"[:300]}
    result = json.loads(lines[-1])
    result["wall"] = time.perf_counter() - started
    return result


def cross_check(ours: dict, peer: dict) -> str:
    """'ok', or the worst relative difference from our value and gradients."""
    if peer.get("status") != "ok" or ours.get("status") != "ok":
        return ""
    pairs = [("value", ours["value"], peer["value"])]
    if peer["gradients"]:
        pairs += [(f"∂/∂{name}", g, peer["gradients"].get(name, math.nan)) for name, g in ours["gradients"].items()]
    scale = max(abs(expected) for _, expected, _ in pairs)
    worst_name, worst = "", 0.0
    for name, expected, got in pairs:
        error = abs(got - expected) / max(abs(expected), 1e-9 * scale, 1e-300)
        if not error <= worst:  # also catches nan
            worst_name, worst = name, error
    if worst <= RELATIVE_TOLERANCE:
        return "ok" if peer["gradients"] else "ok (value only)"
    return f"MISMATCH {worst_name}: rel. error {worst:.2g}"


def run_all(names: list[str], runners: list[str], timeout: float) -> dict[str, dict[str, dict]]:
    """results[workload][runner], printing progress on stderr."""
    results: dict[str, dict[str, dict]] = {}
    failed_at: dict[tuple[str, str], str] = {}  # (runner, family) → the workload it failed on
    for name in names:
        family = name.split("-")[0]
        results[name] = {}
        for runner in runners:
            module = REQUIRES.get(runner)
            if module and importlib.util.find_spec(module) is None:
                result = {"status": "missing", "message": f"'{module}' is not installed (pip install -e '.[bench]')"}
            elif (runner, family) in failed_at:
                earlier = failed_at[runner, family]
                result = {"status": "skipped", "message": f"not run: {results[earlier][runner]['status']} at {earlier}"}
            else:
                result = run_worker(runner, name, OURS_TIMEOUT if runner == "ours" else timeout)
                if result["status"] != "ok":
                    failed_at[runner, family] = name
            if runner != "ours":
                result["check"] = cross_check(results[name]["ours"], result)
            results[name][runner] = result
            seconds = sum(result.get("phases", {}).get(p, 0.0) for p in report.PHASES)
            print(f"{name:>14} {runner:>10}: {result['status']:<14} {seconds:9.3f} s  {result.get('check', '')}",
                  file=sys.stderr, flush=True)
    return results


def _command(args: argparse.Namespace) -> str:
    """The command that reproduces this run (where the report and raw data go aside)."""
    words = ["python", "benchmarks/run.py"]
    words += ["--quick"] if args.quick else []
    words += [f"--timeout {args.timeout:g}"] if args.timeout else []
    words += [f"--runners {args.runners}"] if args.runners else []
    words += ["--no-cli"] if args.no_cli else []
    words += ["--no-writers"] if args.no_writers else []
    return " ".join(words)


KEPT_SECTION = ("<!-- writers.py and memory.py -->", "<!-- end of writers.py and memory.py -->")


def _write_report(path: Path, text: str) -> None:
    """Write the report, carrying over the section benchmarks/writers.py and memory.py measured
    (pasted by hand between KEPT_SECTION's markers; this run does not measure it)."""
    start, end = KEPT_SECTION
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    if start in old and end in old:
        text = text.rstrip("\n") + "\n\n" + old[old.index(start):old.index(end) + len(end)] + "\n"
    path.write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a fast subset: sizes up to 10³, short timeouts")
    parser.add_argument("--out", default=str(REPO / "docs" / "benchmark.md"), help="where to write the report")
    parser.add_argument("--json", help="also write the raw results here")
    parser.add_argument("--timeout", type=float, help="seconds per peer and workload (default 120, quick 30)")
    parser.add_argument("--runners", help="comma-separated subset of: " + ", ".join(RUNNERS))
    parser.add_argument("--no-cli", action="store_true", help="skip cold start, PNG and diagram measurements")
    parser.add_argument("--no-writers", action="store_true", help="skip the writers' µs per operation and the 10⁶-term CLI runs")
    parser.add_argument("--report-only", metavar="JSON", help="write the report of results saved with --json")
    args = parser.parse_args()

    if args.report_only:
        data = json.loads(Path(args.report_only).read_text())
        _write_report(Path(args.out), _render(data))
        print(f"report written to {args.out}", file=sys.stderr)
        return

    timeout = args.timeout or (30.0 if args.quick else 120.0)
    runners = args.runners.split(",") if args.runners else list(RUNNERS)
    if "ours" not in runners:
        runners.insert(0, "ours")
    started = time.time()
    results = run_all(workload_names(args.quick), runners, timeout)
    cli = None if args.no_cli else cli_timings.measure(quick=args.quick)
    writer_rows = None if args.no_writers else measure_writers(args.quick)
    big_runs = None if args.no_writers else measure_big_runs(args.quick)
    data = {
        "environment": report.environment(),
        "command": _command(args),
        "timeout": timeout,
        "minutes": (time.time() - started) / 60,
        "results": results,
        "cli": cli,
        "writers": writer_rows,
        "big_runs": big_runs,
    }
    if args.json:
        Path(args.json).write_text(json.dumps(data, indent=1))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    _write_report(Path(args.out), _render(data))
    print(f"report written to {args.out}", file=sys.stderr)


WRITER_WORKLOADS = ["tree-10000", "chain-10000", "dag-10000", "sum-10000"]
QUICK_WRITER_WORKLOADS = ["tree-1000", "chain-1000", "dag-1000", "sum-1000"]


def measure_writers(quick: bool) -> list[dict]:
    """Each writer's µs per operation and the CLI ratio (issue 15), in this process, best of 2."""
    rows = []
    for name in QUICK_WRITER_WORKLOADS if quick else WRITER_WORKLOADS:
        row = writers.per_operation(writers.measure(name, writers.WRITERS, repeats=2))
        print(f"writers {name}: " + ", ".join(f"{k} {v:.1f}" for k, v in row["writers"].items())
              + f" µs/op, CLI ratio {row['ratio']:.1f}", file=sys.stderr, flush=True)
        rows.append(row)
    return rows


BIG_RUN, QUICK_BIG_RUN = "sum-1000000", "sum-10000"  # x + x + … + x: the 10⁶-term case
BIG_RUN_FORMATS = ("json", "text", "markdown", "latex")  # every streamed writer
BIG_RUN_LIMIT_MIB = 1024  # issue 15: a 10⁶-operation JSON or text run peaks under 1 GB


def measure_big_runs(quick: bool) -> list[dict]:
    """Whole ``backprop`` processes on the 10⁶-term sum: wall seconds and peak resident memory."""
    runs = []
    for fmt in BIG_RUN_FORMATS:
        run = writers.cli_run(QUICK_BIG_RUN if quick else BIG_RUN, fmt)
        print(f"CLI {run['workload']} --format {fmt}: {run['seconds']:.1f} s, max RSS {run['max_rss_mib']:,.0f} MiB",
              file=sys.stderr, flush=True)
        runs.append(run)
    return runs


def big_runs_section(runs: list[dict]) -> str:
    """The report's table of whole CLI runs on the big sum, and whether each stays under 1 GB."""
    lines = ["## The 10⁶-term sum, whole CLI runs (issue 15)", "",
             "`backprop -f sum.bp --no-diagram --format F` on `x + x + … + x`, one process each; wall time and "
             "peak resident memory (`os.wait4`'s ru_maxrss).", "",
             "| workload | format | wall (s) | peak memory (MiB) | exit |", "|---|---|--:|--:|---|"]
    met = True
    for run in runs:
        ended = "ok" if run["exit"] == 0 else f"{run['exit']}: {run['error']}"
        lines.append(f"| {run['workload']} | {run['format']} | {run['seconds']:.1f} | {run['max_rss_mib']:,.0f} | "
                     f"{ended} |")
        met = met and run["exit"] == 0 and run["max_rss_mib"] < BIG_RUN_LIMIT_MIB
    lines += ["", f"**Target (each under {BIG_RUN_LIMIT_MIB:,} MiB): " + ("met.**" if met else "not met.**")]
    return "\n".join(lines) + "\n"


def _render(data: dict) -> str:
    """The report, with the writers' section and the big CLI runs when they were measured."""
    text = report.render(data)
    if data.get("writers"):
        text = text.rstrip("\n") + "\n\n" + writers.markdown_section(data["writers"])
    if data.get("big_runs"):
        text = text.rstrip("\n") + "\n\n" + big_runs_section(data["big_runs"])
    return text


if __name__ == "__main__":
    main()
