"""Figures for the practice jobs (issue 12): generating problems, grading, the page, a worksheet.

Run ``python benchmarks/practice.py``; it prints one line per figure (best of a few runs),
never asserts a limit. Graphviz and pdflatex are used where they are installed.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from backprop import differentiate  # noqa: E402
from backprop.practice.answers import gradable_nodes, parse_answers  # noqa: E402
from backprop.practice.grade import grade  # noqa: E402
from backprop.practice.problems import generate  # noqa: E402


def best(function, runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    for level in (1, 2, 3):
        print(f"generate 100 problems, level {level}: {best(lambda: generate(level, 100, seed=1)) * 1000:8.1f} ms")
    for size in (1_000, 10_000):
        source = "x" + "".join(f"*1.0001+{i % 7}" for i in range(size // 2))
        result = differentiate(source, {"x": 1})
        wrong = [(f"line {n}", f"{result.graph.nodes[i].name} = 0") for n, i in enumerate(gradable_nodes(result))]
        answers = parse_answers(result, wrong)
        print(f"grade {len(answers):,} answers, every one wrong ({len(result.graph.nodes):,} nodes): "
              f"{best(lambda: grade(result, answers), 1) * 1000:8.1f} ms")
    if shutil.which("dot"):
        from backprop.render.practice_page import render_practice_page

        seed = differentiate("(a*b+c)*f", {"a": 2, "b": 3, "c": -10, "f": 5})
        print(f"practice page of the seed example: {best(lambda: render_practice_page(seed)) * 1000:8.1f} ms")
    if shutil.which("dot") and shutil.which("pdflatex"):
        from backprop.practice.worksheet import write_worksheet

        with tempfile.TemporaryDirectory() as folder:
            problems = generate(2, 8, seed=7)
            elapsed = best(lambda: write_worksheet(problems, Path(folder) / "sheet.pdf", title="Worksheet"), 1)
            print(f"worksheet of 8 level-2 problems and its key, as PDF: {elapsed * 1000:8.1f} ms")


if __name__ == "__main__":
    main()
