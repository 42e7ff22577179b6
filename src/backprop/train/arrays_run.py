"""Training an array program: parameters are whole arrays, and each step updates them elementwise.

``prepare_arrays`` lowers the program and checks its shapes once (arrays/graph.py, engine.py);
``run_array_training`` then re-runs the array engine's forward and backward with new parameter
values at every step, never re-parsing. The history holds NumPy arrays where the scalar run
holds floats, so the report, the curve and the JSON read either. NumPy is imported here only.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Callable, Mapping, Sequence

import numpy as np

from ..errors import BackpropError, DomainError
from ..numfmt import format_number
from ..arrays.engine import backward, forward, infer_shapes
from ..arrays.graph import lower_arrays
from ..arrays.render import show_value
from ..arrays.shapes import DEFAULT_MAX_ELEMENTS, ShapeError, show_shape
from ..arrays.values import to_array
from .optimizers import make_optimizer
from .run import Record, Training, _keep, _rising_since, growth_warning, interrupted, keep_diverged
from .setup import TrainingError, check_run_options, named_parameters


class ArrayProgram:
    """The lowered array graph, with the few things the report and the curve ask of a graph."""

    def __init__(self, graph):
        self.graph = graph
        self.nodes = graph.nodes
        self.output_name = graph.output_name

    def echo(self, *, ascii: bool = False) -> list[str]:
        lines = [" ".join(text.split()) for _, _, text in self.graph.statements]  # each statement as typed
        return [line.replace("−", "-") for line in lines] if ascii else lines


@dataclass
class ArraySetup:
    """What an array run trains (arrays), on what (fixed arrays), and how; checked by ``prepare_arrays``."""

    source: str
    graph: ArrayProgram
    parameters: list[str]
    initial: dict  # name → float64 array
    fixed: dict  # name → float64 array
    lr: float
    steps: int
    optimizer: str = "sgd"
    seed: int | None = None
    init: str = "zeros"
    notes: list[str] = field(default_factory=list)
    data = None
    bound: list = field(default_factory=list)
    batch = None
    is_array = True

    @property
    def rows(self) -> int:
        return 1

    @property
    def output(self) -> str:
        return self.graph.output_name


def prepare_arrays(source: str, program, *, values: Mapping[str, object], params: Sequence[str] | None, data,
                   lr: float, steps: int, optimizer: str = "sgd", batch: int | None = None, seed: int | None = None,
                   init: str = "zeros", max_elements: int | None = None) -> ArraySetup:
    """Lower and shape-check the program once; decide what moves; refuse what cannot run, in one line."""
    check_run_options(lr, steps, optimizer, init)
    if data is not None:
        raise TrainingError("--data is for scalar programs: an array program takes its data as arrays, "
                            "e.g. --set X=@features.csv y=[1, 2, 3] (docs/training.md)")
    if batch is not None:
        raise TrainingError(f"--batch {batch} splits the rows of --data, which array programs do not take")
    limit = max_elements or DEFAULT_MAX_ELEMENTS
    graph = lower_arrays(program)
    inputs = [graph.nodes[i].name for i in graph.inputs]
    if not inputs:
        raise TrainingError("the program has no inputs, so there is nothing to train")
    if isinstance(params, str):
        params = [name.strip() for name in params.split(",") if name.strip()]
    notes = []
    if params is None:
        parameters = list(inputs)
        if len(inputs) > 1:  # the data are inputs too here: moving them is rarely what is meant
            notes.append(f"every input moves ({', '.join(inputs)}), data included: name the parameters "
                         f"with --params")
    else:
        parameters = named_parameters(params, inputs)
    notes += [f"--set {name}: '{name}' is not an input of the program: it is not used"
              for name in values if name not in inputs]
    missing = [name for name in inputs if name not in values]
    if missing:
        listed = ", ".join(missing)
        raise TrainingError(f"{listed} {'has' if len(missing) == 1 else 'have'} no value: an array program needs "
                            f"every input's shape, so give {'it' if len(missing) == 1 else 'them'} with --set "
                            f"(e.g. --set {missing[0]}=[0, 0])")
    arrays = {name: to_array(name, values[name], limit) for name in inputs}
    if init == "random":  # --init random: the --set value gives the shape, the start is uniform in [-1, 1]
        generator = np.random.default_rng(seed)
        for name in parameters:
            arrays[name] = generator.uniform(-1.0, 1.0, size=arrays[name].shape)
    for i in graph.inputs:
        graph.nodes[i].shape = arrays[graph.nodes[i].name].shape
    infer_shapes(graph, limit)
    out = graph.nodes[graph.output]
    if out.shape != ():
        raise ShapeError(f"the loss {out.name} has shape {show_shape(out.shape)}: a loss is one number; "
                         f"reduce it first, for example {out.name} = sum(…) or mean(…)", out.span)
    initial = {name: arrays[name] for name in parameters}
    fixed = {name: arrays[name] for name in inputs if name not in parameters}
    return ArraySetup(source, ArrayProgram(graph), parameters, initial, fixed, lr, steps, optimizer, seed, init, notes)


def run_array_training(setup: ArraySetup, *, record: bool = False,
                       progress: Callable[[int, float], None] | None = None) -> Training:
    """Descend the gradient for ``setup.steps`` steps (fewer if the loss diverges or Ctrl-C is pressed)."""
    started = time.perf_counter()
    graph = setup.graph.graph
    ids = {graph.nodes[i].name: i for i in graph.inputs}
    optimizer = make_optimizer(setup.optimizer, setup.lr, len(setup.parameters))
    params = [setup.initial[name].copy() for name in setup.parameters]
    training = Training(setup, [], [])
    step = 0
    try:
        for step in range(setup.steps + 1):
            inputs = {**setup.fixed, **dict(zip(setup.parameters, params))}
            try:
                values = forward(graph, inputs)
                grads = backward(graph, values, record=False).grads
            except DomainError as error:
                _stop(training, setup, step, params, error)
                break
            loss = float(values[graph.output])
            gradient = [grads[ids[name]] if grads[ids[name]] is not None else np.zeros_like(p)
                        for name, p in zip(setup.parameters, params)]
            with np.errstate(all="ignore"):
                norm = math.sqrt(sum(float(np.sum(g * g)) for g in gradient))
            record_ = Record(step, loss, norm, params, gradient)
            if not math.isfinite(loss) or not math.isfinite(norm):
                training.stopped = "diverged"
                _keep(training, record_)
                training.message = _divergence(setup, step, loss, params, gradient, _rising_since(training.history))
                break
            _keep(training, record_)
            if progress is not None:
                progress(step, loss)
            if step == setup.steps:
                break
            deltas = optimizer.deltas(gradient)
            params = [p + d for p, d in zip(params, deltas)]
    except KeyboardInterrupt:
        training.stopped = "interrupted"
        training.message = interrupted(training, step)
    training.warning = growth_warning(training)
    training.seconds = time.perf_counter() - started
    return training


def _stop(training: Training, setup: ArraySetup, step: int, params: list, error: BackpropError) -> None:
    """A value that is not finite: divergence when the parameters grew or the loss was rising, else a failure."""
    rising = _rising_since(training.history)
    grew = any(not np.all(np.isfinite(p)) or float(np.max(np.abs(p), initial=0.0)) > 1e100 for p in params)
    if rising is not None or grew:
        training.stopped = "diverged"
        keep_diverged(training, step, params, [np.full_like(p, np.nan) for p in params])
        training.message = _divergence(setup, step, math.inf, params, None, rising)
    else:
        training.stopped = "failed"
        moved = ", ".join(f"{n} = {show_value(p)}" for n, p in zip(setup.parameters, params))
        training.message = (f"at step {step} ({moved}): {error.message} (if the step moved the parameters "
                            f"too far, lower --lr, now {format_number(setup.lr)})")


def _divergence(setup: ArraySetup, step: int, loss: float, params: list, gradient: list | None,
                rising=None) -> str:
    """Which parameter (and which element of it) blew up, at which step, and what to do about it."""
    def worst(arrays):
        for i, a in enumerate(arrays):
            bad = np.argwhere(~np.isfinite(np.atleast_1d(a)))
            if bad.size:
                return i, tuple(int(k) for k in bad[0])
        return None

    found = worst(params) or (worst(gradient) if gradient is not None else None)
    if found is None:
        sizes = [float(np.max(np.abs(p), initial=0.0)) for p in params]
        index = max(range(len(params)), key=lambda i: sizes[i])
        flat = int(np.argmax(np.abs(params[index]))) if params[index].size else 0
        found = index, tuple(int(k) for k in np.unravel_index(flat, params[index].shape)) if params[index].ndim else ()
    index, at = found
    name = setup.parameters[index]
    array = np.atleast_1d(params[index]) if params[index].ndim else params[index]
    element = f"{name}[{', '.join(map(str, at))}]" if params[index].ndim else name
    value = float(array[at]) if params[index].ndim else float(array)
    grad = ""
    if gradient is not None:
        g = gradient[index]
        grad = f" (∂loss/∂{element} = {format_number(float(g[at]) if g.ndim else float(g))})"
    since = f" (it rose at every step since step {rising.step}, loss {format_number(rising.loss)})" if rising else ""
    return (f"the loss diverged at step {step}: it became {format_number(loss)} with {element} = "
            f"{format_number(value)}{grad}{since}; the steps overshoot: lower --lr (now {format_number(setup.lr)}), "
            f"e.g. --lr {format_number(setup.lr / 10)}")
