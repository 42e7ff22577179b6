"""A training run → what the terminal shows (the setup, a table of steps, the final parameters) and its JSON.

Short runs show every step; long ones the first few, then steps at a round stride, then the
last, so the table stays one screen and still shows the fall.
"""

from __future__ import annotations

import json
import math

from ..graph import display_name
from ..numfmt import format_number
from .optimizers import DESCRIPTIONS
from .run import Training

EVERY_STEP_UP_TO = 30  # runs this short print every step
SAMPLED_ROWS = 20


def shown_steps(steps: list[int]) -> list[int]:
    """The recorded steps the table prints: all of them, or a sample at a round stride."""
    if len(steps) <= EVERY_STEP_UP_TO:
        return steps
    last = steps[-1]
    stride = _round_stride(last / SAMPLED_ROWS)
    chosen = [s for s in steps if s < 5 or s % stride == 0]
    if chosen[-1] != last:
        chosen.append(last)
    return chosen


def kept_steps(training: Training) -> str:
    """What the files keep of the steps: every one, or (a huge --steps) every k-th one and the last."""
    if training.stride == 1:
        return "-o curve.png draws every one"
    return f"the -o files keep every {ordinal(training.stride)} step and the last"


def ordinal(number: int) -> str:
    """4th, 16th, 32nd, 1024th: the strides are powers of two."""
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


def _round_stride(target: float) -> int:
    """1, 2, 5, 10, 20, 50 … : the round number nearest above target."""
    if target <= 1:
        return 1
    power = 10 ** math.floor(math.log10(target))
    for factor in (1, 2, 5, 10):
        if factor * power >= target:
            return int(factor * power)
    return int(10 * power)


def show_param(value, full: bool = False) -> str:
    """A parameter's value: a number, or an array compactly ("[0.51, -0.98]"; a large one by shape and summary)."""
    if isinstance(value, (int, float)):
        return format_number(value)
    from ..arrays.render import is_small, show_value  # an array program: NumPy is loaded already

    if full or is_small(value) or getattr(value, "ndim", 0) == 0:
        return show_value(value)
    from ..arrays.shapes import show_shape

    # three digits: a table column, which the final line and -o run.json give in full
    return f"{show_shape(value.shape)} mean {float(value.mean()):.3g} sd {float(value.std()):.3g}"


def describe_loss(training: Training, ascii: bool = False) -> str:
    """What the loss is: the program's output, or its mean over the data's rows."""
    setup = training.setup
    output = display_name(setup.output, ascii)
    if setup.data is None:
        return f"the program's output {output}"
    columns = ", ".join(setup.bound)
    batch = f", in minibatches of {setup.batch} rows (seed {setup.seed})" if setup.batch else ""
    return f"the mean of {output} over the {setup.rows} rows of {setup.data.path} (columns {columns}){batch}"


def render_report(training: Training, ascii: bool = False) -> str:
    """The run as terminal text: what was trained, the table of steps, and the final parameters."""
    setup = training.setup
    names = [display_name(name, ascii) for name in setup.parameters]
    started = ", ".join(f"{n} = {show_param(setup.initial[p], full=True)}" for n, p in zip(names, setup.parameters))
    init = " (--init random, seed " + str(setup.seed) + ")" if setup.init == "random" else ""
    lines = [f"Training {'; '.join(setup.graph.echo(ascii=ascii))}",
             f"  loss: {describe_loss(training, ascii)}",
             f"  parameters: {started}{init}"]
    if setup.fixed:
        lines.append("  fixed: " + ", ".join(f"{display_name(n, ascii)} = {show_param(v, full=True)}"
                                            for n, v in setup.fixed.items()))
    lines.append(f"  optimizer: {DESCRIPTIONS[setup.optimizer]}, lr = {format_number(setup.lr)}, "
                 f"{setup.steps} step{'s' if setup.steps != 1 else ''}")
    lines.append("")
    history = training.history
    steps = [record.step for record in history]
    shown = set(shown_steps(steps))
    grad = "|grad|" if ascii else "‖∇loss‖"
    header = ["step", "loss", grad, *names]
    rows = [[str(r.step), format_number(r.loss), format_number(r.grad_norm), *map(show_param, r.params)]
            for r in history if r.step in shown]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines.append("  ".join(cell.rjust(width) for cell, width in zip(header, widths)).rstrip())
    for row in rows:
        lines.append("  ".join(cell.rjust(width) for cell, width in zip(row, widths)))
    if len(shown) < len(steps) or training.stride > 1:
        lines.append(f"({len(rows)} of {history[-1].step + 1} steps shown; {kept_steps(training)})")
    lines.append("")
    final = training.final
    if final is not None:
        values = ", ".join(f"{n} = {show_param(v, full=True)}" for n, v in zip(names, final.params))
        label = "Parameters when the loss diverged" if training.stopped == "diverged" else "Final parameters"
        summarised = any(" array: " in show_param(v, full=True) for v in final.params)  # a large array
        every = " (every element: -o run.json or -o run.csv)" if summarised else ""
        lines.append(f"{label} (step {final.step}): {values}{every}")
        first = history[0].loss
        arrow = "->" if ascii else "→"
        lines.append(f"Loss: {format_number(first)} {arrow} {format_number(final.loss)} in {final.step} "
                     f"step{'s' if final.step != 1 else ''}")
        if training.full_loss is not None:
            lines.append(f"Loss over all {setup.rows} rows at the final parameters: {format_number(training.full_loss)}")
    text = "\n".join(lines) + "\n"
    if ascii:
        text = text.translate(_ASCII).encode("ascii", "backslashreplace").decode("ascii")
    return text


_ASCII = str.maketrans({"←": "<-", "−": "-", "·": "*", "∂": "d", "β": "beta", "ε": "eps", "₁": "1", "₂": "2",
                        "√": "sqrt ", "\u0302": "_hat", "×": "*", "‖": "|", "∇": "grad ", "²": "^2", "→": "->", "…": "..."})


def _number(x):
    if not isinstance(x, (int, float)):  # an array program's parameter: nested lists (strict JSON)
        if getattr(x, "ndim", 0) == 0:
            return _number(float(x))
        return [_number(item) for item in x]
    if math.isfinite(x):
        return x
    return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")


def render_json(training: Training) -> str:
    """The run as one strict JSON object: setup, every recorded step, final parameters, how it ended."""
    setup = training.setup
    document = {
        "program": setup.graph.echo(),
        "output": setup.output,
        "loss": describe_loss(training),
        "rows": setup.rows,
        "data": setup.data.path if setup.data is not None else None,
        "parameters": setup.parameters,
        "initial": {name: _number(setup.initial[name]) for name in setup.parameters},
        "fixed": {name: _number(value) for name, value in setup.fixed.items()},
        "optimizer": setup.optimizer,
        "lr": setup.lr,
        "steps": setup.steps,
        "batch": setup.batch,
        "seed": setup.seed,
        "history": [{"step": r.step, "loss": _number(r.loss), "grad_norm": _number(r.grad_norm),
                     "params": {n: _number(v) for n, v in zip(setup.parameters, r.params)}}
                    for r in training.history],
        "final": {name: _number(value) for name, value in training.final_params.items()},
        "final_loss": _number(training.final.loss) if training.final else None,
        "full_loss": _number(training.full_loss) if training.full_loss is not None else None,
        "stopped": training.stopped,
        "message": training.message,
        "warning": training.warning,
        "seconds": round(training.seconds, 6),
    }
    return json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def render_csv(training: Training) -> str:
    """Every recorded step as CSV: step, loss, grad_norm, then one column per parameter."""
    setup = training.setup
    columns = _csv_columns(setup)
    # "W[0, 1]" holds a comma: such a name is quoted, as a CSV reader expects
    names = [f'"{name}"' if "," in name else name for name, _ in columns]
    lines = [",".join(["step", "loss", "grad_norm", *names])]
    for r in training.history:
        cells = [repr(float(r.params[index] if at is None else r.params[index][at])) for _, (index, at) in columns]
        lines.append(",".join([str(r.step), repr(r.loss), repr(r.grad_norm), *cells]))
    return "\n".join(lines) + "\n"


def _csv_columns(setup) -> list:
    """One column per parameter, or per element of an array parameter ("w[0]", "W[1, 2]", as --check writes it)."""
    columns = []
    for index, name in enumerate(setup.parameters):
        value = setup.initial[name]
        if isinstance(value, (int, float)) or getattr(value, "ndim", 0) == 0:
            columns.append((name, (index, None)))
            continue
        import itertools

        for at in itertools.product(*(range(n) for n in value.shape)):
            columns.append((f"{name}[{', '.join(map(str, at))}]", (index, at)))
    return columns
