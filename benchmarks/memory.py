"""Targets 4 and 5 of docs/benchmark.md, measured from inside (issue 15): where time and memory go.

    python benchmarks/memory.py                    # tree, chain, dag at 10⁴ and 10⁵
    python benchmarks/memory.py --families dag --top 12
    python benchmarks/memory.py --memory-only      # tracemalloc part only

- Scaling (target 4): each phase of ``differentiate`` (parse, lower, forward, backward, as
  ``Result.timings`` splits them, but in CPU time so that a busy machine distorts less; best
  of --repeats) at 10⁴ and 10⁵, and time(10⁵) ÷ time(10⁴) per phase (linear is 10).
- Memory (target 5): with ``tracemalloc``, the peak Python allocation during ``differentiate``
  and what the finished result keeps, in bytes per operation, then the allocation sites that
  hold most of what is kept (file:line, MiB, share), so a redesign (a graph in flat arrays)
  can be judged by what it would remove; then what the derivation's steps keep (made as they
  are read: a few bytes per step) and the peak while every step and term is read once.
- The graph alone: what ``lower(parse(text))`` keeps per node (the IR's own size, without
  the engine's values and gradients) and the peak of parsing and lowering together.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
import tracemalloc
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent / "src"), str(HERE)]

from workloads import make  # noqa: E402

PHASES = ("parse", "lower", "forward", "backward")


def phase_times(name: str, repeats: int) -> tuple[dict[str, float], int]:
    import types

    from backprop import api, differentiate

    api.time = types.SimpleNamespace(perf_counter=time.process_time)  # this process only: CPU time per phase

    workload = make(name)
    best = {phase: float("inf") for phase in PHASES}
    ops = 0
    for _ in range(repeats):
        result = differentiate(workload.source, workload.values)
        for phase in PHASES:
            best[phase] = min(best[phase], result.timings[phase])
        ops = sum(1 for node in result.graph.nodes if node.args)
        del result
        gc.collect()
    return best, ops


def memory(name: str, top: int) -> dict:
    """tracemalloc's peak during differentiate, what the result keeps, the biggest holders, and
    what the derivation's steps add (kept, and the peak while a writer reads every one)."""
    from backprop import differentiate

    workload = make(name)
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    base, _ = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    result = differentiate(workload.source, workload.values)
    kept, peak = tracemalloc.get_traced_memory()
    after = tracemalloc.take_snapshot()
    tracemalloc.reset_peak()
    steps = result.steps  # the derivation's steps, which every writer reads
    for step in steps:
        for _ in step.terms:
            pass
    with_steps, reading = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    ops = sum(1 for node in result.graph.nodes if node.args)
    sites = after.compare_to(before, "lineno")[:top]
    del steps
    return {"ops": ops, "nodes": len(result.graph.nodes), "peak": peak - base, "kept": kept - base,
            "steps_kept": with_steps - kept, "steps_peak": reading - kept,
            "sites": [(str(s.traceback[0]).replace(str(HERE.parent) + "/", ""), s.size_diff) for s in sites]}


def graph_memory(name: str) -> dict:
    """What the lowered graph keeps (bytes per node) and the peak of parse + lower, with tracemalloc."""
    from backprop.lower import lower
    from backprop.parse import parse

    workload = make(name)
    lower(parse("a*b"))  # imports and caches, outside the measurement
    gc.collect()
    tracemalloc.start()
    base, _ = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    graph = lower(parse(workload.source), consume=True)
    kept, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"nodes": len(graph.nodes), "kept": kept - base, "peak": peak - base}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", default="tree,chain,dag")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--top", type=int, default=8)
    parser.add_argument("--memory-only", action="store_true", help="skip the scaling (target 4) part")
    args = parser.parse_args()
    families = args.families.split(",")
    if not args.memory_only:
        print("Scaling, CPU ms per phase (best of repeats) and time(10⁵) ÷ time(10⁴):")
    for family in families if not args.memory_only else ():
        small, _ = phase_times(f"{family}-10000", args.repeats)
        big, ops = phase_times(f"{family}-100000", args.repeats)
        cells = "  ".join(f"{p} {small[p] * 1e3:.0f}→{big[p] * 1e3:.0f} ms (×{big[p] / small[p]:.1f})" for p in PHASES)
        print(f"  {family}: {cells}", flush=True)
    print("\nMemory at 10⁵ (tracemalloc): differentiate's peak and what its result keeps; then the steps")
    for family in families:
        found = memory(f"{family}-100000", args.top)
        mib = 1 << 20
        print(f"  {family}-100000: {found['ops']:,} ops, {found['nodes']:,} nodes; peak {found['peak'] / mib:.0f} MiB "
              f"({found['peak'] / found['ops']:.0f} B/op), kept {found['kept'] / mib:.0f} MiB "
              f"({found['kept'] / found['ops']:.0f} B/op); steps keep {found['steps_kept'] / mib:.1f} MiB, "
              f"reading them all peaks at {found['steps_peak'] / mib:.1f} MiB more")
        for site, size in found["sites"]:
            print(f"      {size / mib:7.1f} MiB  {100 * size / found['kept']:4.0f} %  {site}")
        sys.stdout.flush()
    print("\nThe graph alone at 10⁵ (tracemalloc): what lower(parse(text)) keeps, and the peak of the two")
    for family in families:
        found = graph_memory(f"{family}-100000")
        print(f"  {family}-100000: {found['nodes']:,} nodes; the graph keeps {found['kept'] / (1 << 20):.1f} MiB "
              f"({found['kept'] / found['nodes']:.0f} B/node); parse + lower peak {found['peak'] / (1 << 20):.1f} MiB",
              flush=True)


if __name__ == "__main__":
    main()
