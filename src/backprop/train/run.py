"""A checked ``Setup`` → a training run: the history of every step and snapshots to replay.

``setup.prepare`` checks everything the user gave before any work; ``run_training`` then
descends the gradient. The program is parsed and lowered once and evaluated on columns
(``engine.BatchedGraph``). A loss that becomes
inf or nan stops the run, naming the step and the parameter that blew up; Ctrl-C stops it
too, and what was done is kept either way.
"""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass
from typing import Callable

from ..errors import BackpropError
from ..numfmt import format_number
from .engine import BatchedGraph, Overflow, Undefined
from .optimizers import make_optimizer
from .setup import Setup

SNAPSHOTS = 40  # recorded steps the HTML page can replay at least (plus the last)
SNAPSHOT_ROWS = 25  # data points recorded at each of them
SNAPSHOT_NUMBERS = 120_000  # values and gradients the page may hold: more steps for a small graph
MOST_SNAPSHOTS = 1000
HISTORY_LIMIT = 20_000  # beyond this many records the history keeps every other recorded step (a huge --steps)


@dataclass
class Record:
    """One step: the loss at these parameters, and its gradient's length."""

    step: int
    loss: float
    grad_norm: float
    params: list[float]
    gradient: list[float]


@dataclass(frozen=True)
class Stop:
    """Why an evaluation could not finish: the loss overflowed ("diverged"), or is undefined ("failed")."""

    how: str
    message: str


@dataclass
class Snapshot:
    """Every node's value and gradient at one step, for the first data points (the page replays them)."""

    step: int
    rows: list[int]
    values: list[list[float]]  # values[node][row]
    grads: list[list[float] | None]
    loss: float  # the step's loss, as in the history (with --batch: its minibatch's)
    params: list[float]


@dataclass
class Training:
    """The outcome of a run: its history, how it ended, and snapshots when they were asked for."""

    setup: Setup
    history: list[Record]
    snapshots: list[Snapshot]
    stopped: str | None = None  # None (finished), "diverged", "interrupted" or "failed"
    message: str | None = None  # why it stopped
    warning: str | None = None  # a finished run whose loss grew: the steps overshoot
    seconds: float = 0.0
    full_loss: float | None = None  # with --batch: the loss over every row at the final parameters
    stride: int = 1  # the history keeps one step in ``stride`` (1 unless --steps was huge)

    @property
    def final(self) -> Record | None:
        return self.history[-1] if self.history else None

    @property
    def final_params(self) -> dict[str, float]:
        final = self.final
        values = final.params if final else [self.setup.initial[p] for p in self.setup.parameters]
        return dict(zip(self.setup.parameters, values))


def snapshot_steps(steps: int, count: int = SNAPSHOTS) -> set[int]:
    """The steps the page can replay: evenly spaced from 0 to the last, denser at the start where most happens."""
    if steps <= count:
        return set(range(steps + 1))
    early = set(range(min(10, count // 4)))
    spaced = {round(i * steps / (count - len(early))) for i in range(count - len(early) + 1)}
    return early | spaced


def snapshot_count(setup: Setup) -> int:
    """How many steps the page replays: every step when the numbers fit, else as many as fit (at least SNAPSHOTS)."""
    per_step = 2 * len(setup.graph.nodes) * min(setup.rows, SNAPSHOT_ROWS)
    return max(SNAPSHOTS, min(MOST_SNAPSHOTS, SNAPSHOT_NUMBERS // max(per_step, 1)))


def run_training(setup: Setup, *, record: bool = False,
                 progress: Callable[[int, float], None] | None = None) -> Training:
    """Descend the gradient for ``setup.steps`` steps (fewer if the loss diverges or Ctrl-C is pressed)."""
    if getattr(setup, "is_array", False):  # an array program: whole arrays per step (arrays_run.py)
        from .arrays_run import run_array_training

        return run_array_training(setup, record=record, progress=progress)
    started = time.perf_counter()
    engine = BatchedGraph(setup.graph, setup.parameters)
    optimizer = make_optimizer(setup.optimizer, setup.lr, len(setup.parameters))
    params = [setup.initial[name] for name in setup.parameters]
    training = Training(setup, [], [])
    batches = _batches(setup)
    wanted = snapshot_steps(setup.steps, snapshot_count(setup)) if record else set()
    step = 0
    try:
        for step in range(setup.steps + 1):
            rows = next(batches)
            evaluation = _evaluate(engine, setup, params, rows, step)
            if isinstance(evaluation, Stop):
                training.stopped, training.message = evaluation.how, evaluation.message
                if evaluation.how == "diverged":
                    rising = _rising_since(training.history)
                    keep_diverged(training, step, params, [math.nan] * len(params))
                    training.message = _divergence(setup, step, math.inf, params, None, rising)
                break
            norm = math.sqrt(sum(g * g for g in evaluation.gradient))
            if not math.isfinite(evaluation.loss) or not math.isfinite(norm):
                training.stopped = "diverged"
                _keep(training, Record(step, evaluation.loss, norm, params, evaluation.gradient))
                training.message = _divergence(setup, step, evaluation.loss, params, evaluation.gradient,
                                               _rising_since(training.history))
                break
            _keep(training, Record(step, evaluation.loss, norm, params, evaluation.gradient))
            if step in wanted:
                training.snapshots.append(_snapshot(engine, setup, params, step, evaluation.loss))
            if progress is not None:
                progress(step, evaluation.loss)
            if step == setup.steps:
                break
            deltas = optimizer.deltas(evaluation.gradient)
            params = [p + d for p, d in zip(params, deltas)]
    except KeyboardInterrupt:
        training.stopped = "interrupted"
        training.message = interrupted(training, step)
    if record and training.history and (not training.snapshots or training.snapshots[-1].step != training.final.step):
        final = training.final
        if all(math.isfinite(p) for p in final.params):
            try:
                training.snapshots.append(_snapshot(engine, setup, final.params, final.step, final.loss))
            except (Overflow, Undefined):
                pass  # the step that diverged: nothing finite to replay
    if setup.batch is not None and training.final is not None and training.stopped is None:
        evaluation = _evaluate(engine, setup, training.final.params, list(range(setup.rows)), setup.steps)
        if not isinstance(evaluation, Stop):
            training.full_loss = evaluation.loss
    training.warning = growth_warning(training)
    training.seconds = time.perf_counter() - started
    return training


def interrupted(training: Training, step: int) -> str:
    """What Ctrl-C stopped: the step it interrupted, and the last one whose results were kept."""
    kept = training.final.step if training.final else 0
    return f"interrupted at step {step} of {training.setup.steps}: the results shown are those of step {kept}"


def keep_diverged(training: Training, step: int, params: list, gradient: list) -> None:
    """Record the step whose loss overflowed, as inf (its gradient was never computed: nan), so the table,
    the files and the error name the same last step."""
    _keep(training, Record(step, math.inf, math.nan, params, gradient))


def _keep(training: Training, record: Record) -> None:
    """Append to the history; past HISTORY_LIMIT records it keeps one step in ``stride`` (and always the last)."""
    history = training.history
    if history and history[-1].step % training.stride:
        history.pop()  # kept only while it was the latest
    history.append(record)
    if len(history) > HISTORY_LIMIT:
        training.stride *= 2
        kept = [r for r in history if r.step % training.stride == 0]
        if record.step % training.stride:
            kept.append(record)
        training.history = kept


def _inputs(setup: Setup, params: list[float], rows: list[int]) -> dict:
    inputs: dict = dict(setup.fixed)
    inputs.update(zip(setup.parameters, params))
    if setup.data is not None:
        for name in setup.bound:
            column = setup.data.columns[name]
            inputs[name] = column if len(rows) == len(column) else [column[r] for r in rows]
    return inputs


def _evaluate(engine: BatchedGraph, setup: Setup, params: list[float], rows: list[int], step: int,
              every_gradient: bool = False):
    """The evaluation at these parameters, or the message of the failure that stops the run."""
    try:
        return engine.evaluate(_inputs(setup, params, rows), len(rows), every_gradient=every_gradient)
    except Overflow:
        return Stop("diverged", _divergence(setup, step, math.inf, params, None))
    except Undefined:
        return Stop("failed", _undefined(setup, params, rows, step))


def _snapshot(engine: BatchedGraph, setup: Setup, params: list[float], step: int, loss: float) -> Snapshot:
    """The graph on the first data points; ``loss`` is the step's own (its minibatch's with --batch), which the
    history and the curve hold, not the mean over these points."""
    rows = list(range(min(setup.rows, SNAPSHOT_ROWS)))
    evaluation = engine.evaluate(_inputs(setup, params, rows), len(rows), every_gradient=True)
    return Snapshot(step, rows, evaluation.values, evaluation.grads, loss, list(params))


def _batches(setup: Setup):
    """The rows of each step: every row, or minibatches of --batch rows from a seeded shuffle of each epoch."""
    everything = list(range(setup.rows))
    if setup.batch is None:
        while True:
            yield everything
    generator = random.Random(setup.seed)
    while True:
        order = everything[:]
        generator.shuffle(order)
        for start in range(0, len(order) - setup.batch + 1, setup.batch):
            yield order[start:start + setup.batch]


def _rising_since(history: list[Record]) -> Record | None:
    """The record after which the loss rose at every recorded step up to the end (None if it did not rise)."""
    index = len(history) - 1
    while index > 0 and not history[index - 1].loss >= history[index].loss:
        index -= 1
    return history[index] if index < len(history) - 1 else None


RISING_STEPS = 3  # a finished run is said to overshoot when its loss rose over at least this many last steps


def growth_warning(training: Training) -> str | None:
    """Why to distrust a run that finished but made things worse: its loss ended above where it began
    and rose at every recorded step over the last few (None otherwise, or when the run stopped)."""
    history = training.history
    if training.stopped is not None or len(history) < 2 or not history[-1].loss > history[0].loss:
        return None
    rising = _rising_since(history)
    if rising is None or len(history) - 1 - history.index(rising) < RISING_STEPS:
        return None
    setup = training.setup
    return (f"the loss grew from {format_number(history[0].loss)} to {format_number(history[-1].loss)} "
            f"(it rose at every step since step {rising.step}): the steps overshoot: lower --lr "
            f"(now {format_number(setup.lr)}), e.g. --lr {format_number(setup.lr / 10)}")


def _divergence(setup: Setup, step: int, loss: float, params: list[float], gradient: list[float] | None,
                rising: Record | None = None) -> str:
    """Which parameter blew up, at which step, and what to do about it."""
    names = setup.parameters
    culprit = next((i for i, p in enumerate(params) if not math.isfinite(p)), None)
    if culprit is None and gradient is not None:
        culprit = next((i for i, g in enumerate(gradient) if not math.isfinite(g)), None)
    if culprit is None:
        culprit = max(range(len(params)), key=lambda i: abs(params[i]))
    name, value = names[culprit], params[culprit]
    grad = f" (∂loss/∂{name} = {format_number(gradient[culprit])})" if gradient is not None else ""
    suggestion = format_number(setup.lr / 10)
    since = f" (it rose at every step since step {rising.step}, loss {format_number(rising.loss)})" if rising else ""
    return (f"the loss diverged at step {step}: it became {format_number(loss)} with {name} = {format_number(value)}"
            f"{grad}{since}; the steps overshoot: lower --lr (now {format_number(setup.lr)}), e.g. --lr {suggestion}")


def _undefined(setup: Setup, params: list[float], rows: list[int], step: int) -> str:
    """Name the row and the operation that failed, with forward.py's own message."""
    from ..forward import forward

    inputs = _inputs(setup, params, rows)
    for position, row in enumerate(rows):
        scalar = {name: value[position] if isinstance(value, list) else value for name, value in inputs.items()}
        try:
            forward(setup.graph, scalar)
        except BackpropError as error:
            where = f" on line {setup.data.line_of(row)} of {setup.data.path}" if setup.data is not None else ""
            moved = ", ".join(f"{n} = {format_number(p)}" for n, p in zip(setup.parameters, params))
            return f"at step {step} ({moved}){where}: {error.message}"
    return f"at step {step}: an operation is undefined at these parameters"
