"""How fast can a derivation be written in pure Python at all? A floor for issue 15's 5 µs per operation.

    python benchmarks/writer_floor.py                       # tree, chain, dag at 10⁴ and 10⁵, sum-10⁵
    python benchmarks/writer_floor.py --workloads dag-10000

For each workload: the real text writer (``--format text``, streamed to nowhere), and a *floor*: the
least a Python writer of the same derivation must do, timed in parts (CPU time, best of --repeats):

- ``numbers``: every value's and gradient's six-digit text, by one %-format of each column (a C loop;
  no read-back, no check that the digits hold: the real writer also needs those);
- ``check``: what it costs more to know whether those texts are exact enough for each equation
  (``numfmt.SixDigits`` of both columns: read back, claimed error, finiteness, less ``numbers``): the
  real writer's promise that every printed equation checks out starts there;
- ``names``: every node's name and ∂L/∂name;
- ``forward`` / ``backward``: one f-string per line for the commonest step shape (two operands, one
  use): the numbered forward line, and the backward equation with its "since" line. No template look-up,
  no digits check, no rule per operation, no de-duplication of equal stages, no uses, notes or gates;
- ``join``: the lines joined into one text.

The floor writes text of about the real size (bytes/op are printed for both), but it is not a
derivation: it exists to show how much of the 5 µs budget Python spends on formatting and string
building alone. Figures only, nothing asserted.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent / "src"), str(HERE)]  # the working tree's backprop

from writers import program  # noqa: E402


def _columns(xs) -> list[str]:
    count = len(xs)
    texts = ("%.6g\x00" * count % tuple(xs)).split("\x00")
    texts.pop()
    return texts


def floor_parts(result) -> tuple[dict[str, float], int]:
    """CPU seconds of each part of the floor (see the module docstring), and the bytes it wrote."""
    steps = result.steps
    uses = steps.uses()
    nodes = result.graph.nodes
    seconds = {}
    started = time.process_time()
    value_texts, grad_texts = _columns(result.values), _columns(uses.grads)
    seconds["numbers"] = time.process_time() - started

    from backprop.numfmt import SixDigits

    started = time.process_time()
    SixDigits(result.values), SixDigits(uses.grads)
    seconds["check"] = max(0.0, time.process_time() - started - seconds["numbers"])

    started = time.process_time()
    names = [node.name for node in nodes]
    targets = ["∂L/∂" + name for name in names]
    seconds["names"] = time.process_time() - started

    started = time.process_time()
    lines: list[str] = []
    add = lines.append
    over_names: dict[int, str] = {}
    for number, node_id in enumerate(steps.forward_order, start=1):
        args = nodes[node_id].args
        first, second = args[0], args[-1]
        over = f"{names[first]} × {names[second]}"
        add(f"  {number}. {names[node_id]} = {over} = {value_texts[first]} × {value_texts[second]} "
            f"= {value_texts[node_id]}")
        over_names[node_id] = over
    seconds["forward"] = time.process_time() - started

    started = time.process_time()
    start, consumers, positions, partials = uses.start, uses.consumers, uses.positions, uses.partials
    number = 0
    for node_id in steps.backward_order:
        at = start[node_id]
        if at == start[node_id + 1]:
            continue
        consumer = consumers[at]
        local = "%.6g" % partials[consumer][positions[at]]
        consumer_name, name = names[consumer], names[node_id]
        partial = f"∂{consumer_name}/∂{name}"
        up = grad_texts[consumer]
        number += 1
        add(f"  {number}. {targets[node_id]} = {targets[consumer]} × {partial} = {up} × {name} = {up} × "
            f"{value_texts[node_id]} = {up} × {local} = {grad_texts[node_id]}\n"
            f"     since {consumer_name} = {over_names.get(consumer)}, {partial} = {name}   "
            "(mul gate: it swaps its operands' values)")
    seconds["backward"] = time.process_time() - started

    started = time.process_time()
    text = "\n".join(lines)
    seconds["join"] = time.process_time() - started
    return seconds, len(text.encode())


def real_text(result) -> tuple[float, int]:
    """CPU seconds and bytes of the text writer, streamed as the CLI streams it."""
    from backprop.render.formats import FORMATS

    started = time.process_time()
    size = sum(len(chunk) for chunk in FORMATS["text"].render_chunks(result))
    return time.process_time() - started, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workloads", default="tree-10000,chain-10000,dag-10000,sum-100000,tree-100000,"
                                                "chain-100000,dag-100000")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    from backprop import differentiate

    parts = ("numbers", "check", "names", "forward", "backward", "join")
    print(f"{'workload':<14} {'ops':>9}  " + "  ".join(f"{p:>8}" for p in parts)
          + "     floor  real text  floor B/op  real B/op   (µs per operation, CPU time, best of the repeats)")
    for name in args.workloads.split(","):
        source, values = program(name)
        result = differentiate(source, values)
        ops = sum(1 for node in result.graph.nodes if node.args)
        best = dict.fromkeys(parts, float("inf"))
        real = float("inf")
        for _ in range(args.repeats):
            seconds, floor_bytes = floor_parts(result)
            for part in parts:
                best[part] = min(best[part], seconds[part])
            real_seconds, real_bytes = real_text(result)
            real = min(real, real_seconds)
        per_op = {part: best[part] / ops * 1e6 for part in parts}
        print(f"{name:<14} {ops:>9,}  " + "  ".join(f"{per_op[p]:>8.2f}" for p in parts)
              + f"  {sum(per_op.values()):>8.2f}  {real / ops * 1e6:>9.2f}  {floor_bytes / ops:>10.0f}"
              f"  {real_bytes / ops:>9.0f}", flush=True)


if __name__ == "__main__":
    main()
