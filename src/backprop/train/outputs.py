"""The files a training run writes, by extension: the loss curve, the page, the history.

Checked before the run (a folder that does not exist, a missing matplotlib or Graphviz is
refused at once, not after a thousand steps), then written atomically.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import RenderError

NOUNS = {".png": "Loss curve", ".svg": "Loss curve", ".html": "Training page", ".htm": "Training page",
         ".json": "Training history", ".csv": "Training history"}


def check_outputs(outputs) -> list[Path]:
    """Every -o path is one a run writes, in a folder that exists, with what drawing it needs installed."""
    import importlib.util

    from ..render.formats import check_writable

    targets = []
    for output in outputs:
        target = Path(output)
        suffix = target.suffix.lower()
        if suffix not in NOUNS:
            raise RenderError(f"-o {output}: backprop train writes {', '.join(NOUNS)} files")
        check_writable(target)
        if suffix in (".html", ".htm"):
            from ..render.graphviz_program import can_draw, missing_hint

            if not can_draw("svg"):
                raise RenderError(f"-o {output} draws the graph with Graphviz's 'dot' program: {missing_hint('svg')}")
        if suffix in (".png", ".svg") and importlib.util.find_spec("matplotlib") is None:
            raise RenderError(f"-o {output} draws the loss curve with matplotlib, which is not installed: "
                              f"pip install 'backprop[train]' (or pip install matplotlib)")
        targets.append(target)
    return targets


def refuse_pages_of_arrays(setup, targets: list[Path]) -> None:
    """The training page replays scalar graphs only: refuse it for an array program before any step."""
    if getattr(setup, "is_array", False):
        for target in targets:
            if target.suffix.lower() in (".html", ".htm"):
                raise RenderError(f"-o {target}: the training page replays scalar programs only; for an array "
                                  f"program write the curve (-o curve.png) or the history (-o run.json, -o run.csv)")


def wants_snapshots(targets: list[Path]) -> bool:
    """Only the page replays the graph: record snapshots only for it."""
    return any(target.suffix.lower() in (".html", ".htm") for target in targets)


def write_output(training, target: Path) -> str:
    """Write one file; returns what the command line says about it ("Loss curve written to curve.png")."""
    from ..render.formats import write_atomically

    suffix = target.suffix.lower()
    if suffix in (".png", ".svg"):
        from ..render.curve import render_curve

        data = render_curve(training, suffix[1:])
    elif suffix in (".html", ".htm"):
        from ..render.training_page import render_training_page

        data = render_training_page(training).encode("utf-8")
    else:
        from .report import render_csv, render_json

        data = (render_json(training) if suffix == ".json" else render_csv(training)).encode("utf-8")
    write_atomically(target, data)
    return f"{NOUNS[suffix]} written to {target}"
