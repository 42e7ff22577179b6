"""One runner on one workload, in its own process: ``python worker.py RUNNER WORKLOAD``.

Prints one JSON object on stdout: the status ("ok", or the failure's exception name and the
phase it happened in), the median seconds of each phase over the repeats (a run shorter
than REPEAT_BUDGET is repeated until the budget is spent, at most MAX_REPEATS times), the
value and the gradients, and the peak memory the workload added over the process after a
warm-up run.
run.py starts this with a timeout, so a hang or a crash is a result too.
"""

from __future__ import annotations

import gc
import json
import resource
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent / "src"), str(HERE)]  # benchmark the working tree's backprop

from peers import RUNNERS, Run, status_kib  # noqa: E402
from workloads import make  # noqa: E402

REPEAT_BUDGET = 1.0  # seconds
MAX_REPEATS = 20


def _reset_peak() -> bool:
    """Reset the kernel's peak-RSS mark, so the peak measured is the workload's, not the imports'."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def main() -> None:
    runner_name, workload_name = sys.argv[1], sys.argv[2]
    runner = RUNNERS[runner_name]
    workload = make(workload_name)
    runner(make("seed"))  # warm-up: imports, grammar, first-call caches
    gc.collect()
    reset = _reset_peak()
    baseline = status_kib("VmRSS")
    runs: list[Run] = []
    report: dict = {"status": "ok"}
    try:
        started = time.perf_counter()
        while len(runs) < MAX_REPEATS and (not runs or time.perf_counter() - started < REPEAT_BUDGET):
            runs.append(runner(workload))
    except BaseException as error:  # a peer's RecursionError or crash is a result, not a bug here
        report = {"status": type(error).__name__, "message": str(error)[:300], "phase": getattr(error, "phase", "")}
    peak = status_kib("VmHWM") if reset else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    report["peak_mib"] = round(peak / 1024, 1) if peak else None
    report["added_mib"] = round((peak - baseline) / 1024, 1) if peak and baseline else None
    if runs:
        last = runs[-1]
        report["phases"] = {name: statistics.median(r.phases[name] for r in runs) for name in last.phases}
        report["value"] = last.value
        report["gradients"] = last.gradients
        report["how"] = last.how
        report["ops"] = last.ops
        if last.peak_kib_before_render and baseline:
            marks = [r.peak_kib_before_render for r in runs]
            report["added_mib_before_render"] = round((max(marks) - baseline) / 1024, 1)
        report["repeats"] = len(runs)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
