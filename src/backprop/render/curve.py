"""A training run → its loss curve as PNG or SVG, drawn with matplotlib (imported only here).

The y axis is logarithmic when the positive losses span more than two decades (a fit that
converges falls by orders of magnitude, and a linear axis would show a cliff then a flat
line); it stays linear when a loss is zero or negative, which a log axis can not show.
"""

from __future__ import annotations

import io
import math

from ..errors import RenderError

DECADES_FOR_LOG = 2.0


def uses_log_scale(losses: list[float]) -> bool:
    """True when every loss is positive and they span more than DECADES_FOR_LOG decades."""
    finite = [loss for loss in losses if math.isfinite(loss)]
    if not finite or min(finite) <= 0:
        return False
    return math.log10(max(finite) / min(finite)) > DECADES_FOR_LOG


def render_curve(training, fmt: str = "png") -> bytes:
    """The loss at every recorded step, with the run's setup in the title; PNG or SVG bytes."""
    try:
        import matplotlib

        matplotlib.use("Agg")  # no display: files only
        import matplotlib.pyplot as plt
    except ImportError:
        raise RenderError("the loss curve needs matplotlib: pip install 'backprop[train]' "
                          "(or pip install matplotlib)") from None
    from ..numfmt import format_number
    from ..train.report import describe_loss

    setup = training.setup
    steps = [record.step for record in training.history]
    losses = [record.loss for record in training.history]
    figure, axes = plt.subplots(figsize=(7.5, 4.5), dpi=110)
    try:
        axes.plot(steps, losses, color="#1f6fb4", linewidth=1.8, label="loss")
        if uses_log_scale(losses):
            axes.set_yscale("log")
            axes.set_ylabel("loss (log scale)")
        else:
            axes.set_ylabel("loss")
        axes.set_xlabel("step")
        axes.grid(True, which="both", alpha=0.3)
        program = "; ".join(setup.graph.echo())
        if len(program) > 70:
            program = program[:69] + "…"
        optimizer = {"sgd": "gradient descent", "momentum": "momentum", "adam": "Adam"}[setup.optimizer]
        axes.set_title(f"{program}\n{optimizer}, lr = {format_number(setup.lr)}; loss: "
                       f"{_short(describe_loss(training))}", fontsize=9)
        if training.history:
            final = training.history[-1]
            axes.annotate(f"step {final.step}: {format_number(final.loss)}", xy=(final.step, final.loss),
                          xytext=(-10, 12), textcoords="offset points", ha="right", fontsize=8)
        if training.stopped in ("diverged", "interrupted", "failed"):
            axes.text(0.98, 0.95, f"stopped: {training.stopped}", transform=axes.transAxes, ha="right", va="top",
                      color="#b22222", fontsize=9)
        figure.tight_layout()
        buffer = io.BytesIO()
        metadata = {"Software": None} if fmt == "png" else {"Date": None}
        figure.savefig(buffer, format=fmt, metadata=metadata)
        return buffer.getvalue()
    finally:
        plt.close(figure)


def _short(text: str, limit: int = 70) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
