"""Gradient descent on a program: one nudge (``--step``), or a whole training run (``backprop train``).

``train(source, data=…, params=…, lr=…, steps=…)`` parses and lowers the program once and runs
it as a loss: its output, averaged over the rows of the data when there are data. The result
(``run.Training``) holds the history of every step, how the run ended, and (``record=True``)
snapshots of the graph on the first data points that the HTML page replays.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Mapping, Sequence

# The derivation imports ``train.nudge`` for --step: this package imports its modules only when used.
_EXPORTS = {"Dataset": "data", "DataError": "data", "read_csv": "data", "Setup": "setup", "Training": "run",
            "TrainingError": "setup", "run_training": "run"}
__all__ = ["train", "prepare_run", *_EXPORTS]


def __getattr__(name: str):
    if name in _EXPORTS:
        import importlib

        return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def prepare_run(source: str, *, data: "str | Path | Dataset | Mapping[str, Sequence[float]] | None" = None,
                values: Mapping[str, float | str] | None = None, params: Sequence[str] | str | None = None,
                lr: float = 0.1, steps: int = 100, optimizer: str = "sgd", batch: int | None = None,
                seed: int | None = None, init: str = "zeros") -> "Setup":
    """Parse and lower the program once and check the run's options (see ``train``).

    An array program (array syntax, or an array value) gets an ``arrays_run.ArraySetup``: its
    parameters are arrays, given their shape (and starting value) with ``values``."""
    from .setup import prepare
    from ..assignments import as_value
    from ..errors import BadAssignment
    from ..lower import lower
    from ..parse import parse

    program = parse(source)
    if isinstance(params, str):
        params = [name.strip() for name in params.split(",") if name.strip()]
    if program.arrays or any(_is_array_value(v) for v in (values or {}).values()):
        return _prepare_arrays(source, program, data=data, values=values, params=params, lr=lr, steps=steps,
                               optimizer=optimizer, batch=batch, seed=seed, init=init)
    graph = lower(program)
    inputs = {name: as_value(name, value) for name, value in (values or {}).items()}
    for name, value in inputs.items():
        if not math.isfinite(value):
            raise BadAssignment(f"the value of {name} must be a finite number, not {value}")
    return prepare(source, graph, values=inputs, params=params, data=_dataset(data), lr=lr, steps=steps,
                   optimizer=optimizer, batch=batch, seed=seed, init=init)


def train(source: str, *, record: bool = False, **options) -> "Training":
    """Train the program's inputs by gradient descent on its output (the mean over the data's rows).

    ``data``: a CSV path, a ``Dataset`` or ``{"x": [...], "y": [...]}``; ``values``: fixed inputs and
    initial values; ``params``: what moves (default: every input that is not a data column);
    ``lr``, ``steps``, ``optimizer`` ("sgd", "momentum", "adam"), ``batch`` (minibatch size),
    ``seed``, ``init`` ("zeros" or "random", for parameters without a value).
    Array programs (docs/training.md, "Vectors and matrices") train whole arrays: ``values`` may
    hold lists, NumPy arrays, "[1, 2]" or "@file.csv"; every input needs a value (its shape).
    """
    from .run import run_training

    return run_training(prepare_run(source, **options), record=record)


def _is_array_value(value) -> bool:
    from ..api import _is_array_value as is_array

    return is_array(value)


def _prepare_arrays(source, program, *, data, values, **options):
    """An array program: its own setup (train/arrays_run.py), where NumPy is imported."""
    try:
        from .arrays_run import prepare_arrays
    except ImportError as error:
        from ..errors import BackpropError

        raise BackpropError(f"array programs need NumPy ({error}): pip install 'backprop[arrays]'") from None
    if data is not None:
        from .setup import TrainingError

        raise TrainingError("--data is for scalar programs: an array program takes its data as whole arrays, "
                            "e.g. --set X=@features.csv y=\"[1, 2, 3, 4]\" (see docs/training.md)")
    return prepare_arrays(source, program, values=dict(values or {}), data=None, **options)


def _dataset(data):
    from .data import DataError, Dataset, read_csv

    if data is None or isinstance(data, Dataset):
        return data
    if isinstance(data, (str, Path)):
        return read_csv(data)
    columns = {str(name): [float(v) for v in column] for name, column in data.items()}
    sizes = {len(column) for column in columns.values()}
    if len(sizes) != 1 or 0 in sizes:
        raise DataError("data: give columns of the same, non-zero length")
    return Dataset("the data", columns)
