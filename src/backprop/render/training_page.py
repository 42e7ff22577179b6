"""A training run → one self-contained HTML page: the loss curve and the graph at any recorded step and data point.

Python records everything the page shows: the curve's points (as an inline SVG drawn here, so
the page needs no plotting library), and at each recorded step (``Training.snapshots``) every
node's value and gradient on the first data points, already formatted by the one number
formatter. The script only picks which recorded numbers to show; it computes nothing. The
graph is the stepper's own Graphviz SVG (``stepper.annotate_svg``), whose numbers the script
replaces. User text reaches the page escaped (``html.escape``; data as ``stepper.script_json``).
"""

from __future__ import annotations

import html
import math
import re
from importlib import resources

from ..errors import RenderError
from ..graph import CONST, display_name
from ..numfmt import format_number
from .curve import uses_log_scale

CURVE_WIDTH, CURVE_HEIGHT = 640, 260
_MARGIN = {"left": 64, "right": 16, "top": 28, "bottom": 38}


def render_training_page(training) -> str:
    """The page: setup, loss curve with a marker, sliders over the recorded steps and data points, the graph."""
    from ..api import differentiate
    from ..train.report import describe_loss
    from .stepper import annotate_svg, script_json
    from .dot import render_image

    setup = training.setup
    if not training.snapshots:
        raise RenderError("the run recorded no step to replay (it stopped before its first step)")
    first = training.snapshots[0]
    graph = setup.graph
    snapshots = [_snapshot_data(graph, snapshot) for snapshot in training.snapshots]
    # Graphviz sizes each box for the numbers it is drawn with: draw it with the widest recorded ones.
    widest, row = max(((k, r) for k in range(len(snapshots)) for r in range(len(first.rows))),
                      key=lambda kr: _width(snapshots[kr[0]]["rows"][kr[1]]))
    chosen = training.snapshots[widest]
    inputs = {graph.nodes[i].name: chosen.values[i][row] for i in graph.inputs}
    result = differentiate(setup.source, inputs)  # the same source lowers to the same node ids
    svg = annotate_svg(render_image(result, "svg").decode("utf-8"))
    log_scale = uses_log_scale([r.loss for r in training.history])
    loss_name = _loss_name(training)
    data = {
        "lossName": loss_name,
        "snapshots": snapshots,
        "rows": _row_labels(training),
        "parameters": [display_name(p) for p in setup.parameters],
        "output": display_name(setup.output),
        "curve": _curve_points(training, log_scale),
        "nodes": [{"key": f"v{node.id}", "name": display_name(node.name), "kind": node.op}
                  for node in graph.nodes if node.op != CONST],
        "inputs": [f"v{i}" for i in graph.inputs],
        "outputKey": f"v{graph.output}",
    }
    program = "; ".join(graph.echo())
    final = training.final
    summary = [f"loss: {describe_loss(training)}",
               f"parameters: {', '.join(display_name(p) for p in setup.parameters)}; optimizer {setup.optimizer}, "
               f"lr = {format_number(setup.lr)}, {setup.steps} steps"]
    if final is not None:
        summary.append(f"final (step {final.step}): {loss_name} = {format_number(final.loss)}; " + ", ".join(
            f"{display_name(p)} = {format_number(v)}" for p, v in zip(setup.parameters, final.params)))
    if training.full_loss is not None:
        summary.append(f"loss over all {setup.rows} rows at the final parameters: "
                       f"{format_number(training.full_loss)}")
    if training.stopped:
        summary.append(f"stopped: {training.message}")
    if training.warning:
        summary.append(f"warning: {training.warning}")
    replacements = {
        "TITLE": _escape(f"backprop train: {program}"),
        "PROGRAM": _escape(program),
        "SUMMARY": "\n".join(f"<li>{_escape(line)}</li>" for line in summary),
        "CURVE_TITLE": _escape(_curve_title(training)),
        "CURVE": _curve_svg(training, log_scale),
        "STEP_MAX": str(len(training.snapshots) - 1),
        "ROW_MAX": str(len(first.rows) - 1),
        "ROWS_NOTE": _escape(_rows_note(training)),
        "OUTPUT": _escape(display_name(setup.output)),
        "SVG": svg,
        "STYLE": _asset("training.css"),
        "DATA": script_json(data),
        "SCRIPT": _asset("training.js"),
    }
    return re.sub(r"@@([A-Z_]+)@@", lambda m: replacements[m.group(1)], _asset("training.html"))


def _snapshot_data(graph, snapshot) -> dict:
    """One recorded step: the loss, the parameters, and every node's value and gradient per data point
    (in the order of the page's ``nodes``: every node but the constants)."""
    shown = [node.id for node in graph.nodes if node.op != CONST]
    rows = []
    for position in range(len(snapshot.rows)):
        values = [format_number(snapshot.values[i][position]) for i in shown]
        grads = [format_number(snapshot.grads[i][position]) if snapshot.grads[i] is not None else "0" for i in shown]
        rows.append({"values": values, "grads": grads})
    return {"step": snapshot.step, "loss": format_number(snapshot.loss),
            "params": [format_number(p) for p in snapshot.params], "rows": rows}


def _width(point: dict) -> int:
    return sum(map(len, point["values"])) + sum(map(len, point["grads"]))


def _row_labels(training) -> list[str]:
    """What each recorded data point is: its line in the file and its values."""
    setup = training.setup
    if setup.data is None:
        return ["the program's inputs (no --data)"]
    labels = []
    for row in training.snapshots[0].rows:
        cells = ", ".join(f"{display_name(name)} = {format_number(setup.data.columns[name][row])}"
                          for name in setup.bound)
        labels.append(f"line {setup.data.line_of(row)} of {setup.data.path}: {cells}")
    return labels


def _loss_name(training) -> str:
    """What each step's loss is: with --batch, its minibatch's (the history, the curve and the slider agree)."""
    return "minibatch loss" if training.setup.batch is not None else "loss"


def _curve_title(training) -> str:
    """The curve's heading: which loss, and which steps it draws (every k-th one when a huge run was thinned)."""
    from ..train.report import ordinal

    steps = "every step" if training.stride == 1 else f"every {ordinal(training.stride)} step and the last"
    return f"{_loss_name(training).capitalize()} at {steps}"


def _rows_note(training) -> str:
    setup = training.setup
    shown = len(training.snapshots[0].rows)
    if setup.data is None:
        return "no data: the loss is the program's output"
    more = f" (the first {shown} of {setup.rows} are recorded)" if shown < setup.rows else ""
    over = (f"the mean over that step's minibatch of {setup.batch} rows" if setup.batch is not None
            else "the mean over the rows")
    return (f"gradients are of this data point's {display_name(setup.output)}; each step moves the parameters by "
            f"{over}{more}")


def _scales(training, log_scale: bool):
    steps = [r.step for r in training.history]
    losses = [r.loss for r in training.history if math.isfinite(r.loss)]
    transform = (lambda v: math.log10(v)) if log_scale else (lambda v: v)
    low, high = (transform(min(losses)), transform(max(losses))) if losses else (0.0, 1.0)
    if high == low:
        high, low = high + 1, low - 1
    last = max(steps[-1], 1) if steps else 1
    width = CURVE_WIDTH - _MARGIN["left"] - _MARGIN["right"]
    height = CURVE_HEIGHT - _MARGIN["top"] - _MARGIN["bottom"]

    def x_of(step: float) -> float:
        return _MARGIN["left"] + width * step / last

    def y_of(loss: float) -> float:
        value = transform(loss) if math.isfinite(loss) and (loss > 0 or not log_scale) else high
        return _MARGIN["top"] + height * (1 - (min(max(value, low), high) - low) / (high - low))

    return x_of, y_of, low, high, last


def _curve_points(training, log_scale: bool) -> dict:
    """Where the marker of each recorded step sits on the curve (pixel coordinates, computed here)."""
    x_of, y_of, *_ = _scales(training, log_scale)
    return {"points": [[round(x_of(s.step), 2), round(y_of(s.loss), 2)] for s in training.snapshots]}


def _curve_svg(training, log_scale: bool) -> str:
    """The loss at every recorded step as an SVG polyline with axes and tick labels."""
    x_of, y_of, low, high, last = _scales(training, log_scale)
    points = " ".join(f"{x_of(r.step):.2f},{y_of(r.loss):.2f}" for r in training.history)
    bottom = CURVE_HEIGHT - _MARGIN["bottom"]
    left, right = _MARGIN["left"], CURVE_WIDTH - _MARGIN["right"]
    parts = [f'<svg id="tp-curve" class="tp-curve" viewBox="0 0 {CURVE_WIDTH} {CURVE_HEIGHT}" role="img" '
             f'aria-labelledby="tp-curve-label">',
             f'<line class="tp-axis" x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}"/>',
             f'<line class="tp-axis" x1="{left}" y1="{_MARGIN["top"]}" x2="{left}" y2="{bottom}"/>']
    for fraction in (0, 0.25, 0.5, 0.75, 1):
        value = low + (high - low) * fraction
        loss = 10 ** value if log_scale else value
        y = y_of(loss)
        parts.append(f'<line class="tp-grid" x1="{left}" y1="{y:.2f}" x2="{right}" y2="{y:.2f}"/>')
        parts.append(f'<text class="tp-tick" x="{left - 6}" y="{y + 4:.2f}" text-anchor="end">'
                     f'{_escape(format_number(loss, 3))}</text>')
    for fraction in (0, 0.25, 0.5, 0.75, 1):
        step = round(last * fraction)
        x = x_of(step)
        parts.append(f'<text class="tp-tick" x="{x:.2f}" y="{bottom + 16}" text-anchor="middle">{step}</text>')
    parts.append(f'<text class="tp-label" x="{(left + right) / 2:.2f}" y="{CURVE_HEIGHT - 4}" '
                 f'text-anchor="middle">step</text>')
    parts.append(f'<text class="tp-label" x="8" y="12" text-anchor="start">'
                 f'{"loss (log scale)" if log_scale else "loss"}</text>')
    parts.append(f'<polyline class="tp-line" points="{points}"/>')
    parts.append('<circle id="tp-marker" class="tp-marker" r="5" cx="0" cy="0"/>')
    parts.append("</svg>")
    return "\n".join(parts)


def _escape(text: str) -> str:
    return html.escape(text, quote=True)


def _asset(name: str) -> str:
    return resources.files(__package__).joinpath("training_assets", name).read_text(encoding="utf-8")
