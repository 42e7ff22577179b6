"""A training run → its loss curve as PNG or SVG, drawn with matplotlib (imported only here).

The y axis is logarithmic when the positive losses span more than two decades (a fit that
converges falls by orders of magnitude, and a linear axis would show a cliff then a flat
line); it stays linear when a loss is zero or negative, which a log axis can not show.
"""

from __future__ import annotations

import io
import math
import warnings

from ..errors import RenderError

DECADES_FOR_LOG = 2.0
HUGE = 1e200  # above this, the curve plots log10(loss) on a linear axis


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
    finite = [record for record in training.history if math.isfinite(record.loss)]  # a diverged run ends in inf
    steps = [record.step for record in finite]
    losses = [record.loss for record in finite]
    figure, axes = plt.subplots(figsize=(7.5, 4.5), dpi=110)
    # losses near the float limit overflow the log axis' tick computations: harmless, and not the user's news
    with warnings.catch_warnings(), plt.rc_context({"svg.fonttype": "none"}):  # SVG text stays text
        warnings.simplefilter("ignore", RuntimeWarning)
        return _draw(training, figure, axes, plt, steps, losses, finite, fmt)


def _draw(training, figure, axes, plt, steps, losses, finite, fmt: str) -> bytes:
    from ..numfmt import format_number
    from ..train.report import describe_loss

    setup = training.setup
    name = "minibatch loss" if setup.batch is not None else "loss"  # with --batch each step's loss is its minibatch's
    try:
        shown = losses
        if uses_log_scale(losses) and max(losses) > HUGE:
            # matplotlib's log axis overflows near the float limit (a diverging run): plot the exponents
            shown = [math.log10(loss) for loss in losses]
            axes.set_ylabel(f"log10({name})")
        elif uses_log_scale(losses):
            axes.set_yscale("log")
            axes.set_ylabel(f"{name} (log scale)")
        else:
            axes.set_ylabel(name)
        axes.plot(steps, shown, color="#1f6fb4", linewidth=1.8, label=name)
        axes.set_xlabel("step")
        axes.grid(True, which="both", alpha=0.3)
        program = "; ".join(setup.graph.echo())
        if len(program) > 70:
            program = program[:69] + "…"
        optimizer = {"sgd": "gradient descent", "momentum": "momentum", "adam": "Adam"}[setup.optimizer]
        axes.set_title(f"{program}\n{optimizer}, lr = {format_number(setup.lr)}; loss: "
                       f"{_short(describe_loss(training))}", fontsize=9)
        if finite:
            final = finite[-1]
            rising = shown[-1] > shown[0]
            axes.annotate(f"step {final.step}: {format_number(final.loss)}", xy=(final.step, shown[-1]),
                          xytext=(-10, -16 if rising else 12), textcoords="offset points", ha="right", fontsize=8)
        if training.stopped in ("diverged", "interrupted", "failed"):
            low = bool(finite) and shown[-1] > shown[0]  # away from where the line ends
            axes.text(0.98, 0.05 if low else 0.95, f"stopped: {training.stopped}", transform=axes.transAxes,
                      ha="right", va="bottom" if low else "top", color="#b22222", fontsize=9)
        buffer = io.BytesIO()
        metadata = {"Software": None} if fmt == "png" else {"Date": None}
        figure.tight_layout()
        figure.savefig(buffer, format=fmt, metadata=metadata)
        return buffer.getvalue()
    finally:
        plt.close(figure)


def _short(text: str, limit: int = 70) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
