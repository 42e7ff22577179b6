"""A program, data and options → a checked ``Setup``: which inputs move, which come from the data, which are fixed.

Everything the user gave is checked here, before any step: a parameter that is not an input,
a data column that is also a parameter, an input with no value, a learning rate that is not
positive, a minibatch larger than the data.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import Mapping, Sequence

from ..errors import BackpropError, UnknownName
from ..graph import Graph
from ..numfmt import format_number
from .data import Dataset
from .optimizers import OPTIMIZERS


class TrainingError(BackpropError):
    """Options that do not make a training run (a parameter that is not an input, --lr 0)."""


@dataclass
class Setup:
    """What a run trains, on what, and how; checked by ``prepare``."""

    source: str
    graph: Graph
    parameters: list[str]
    initial: dict[str, float]
    fixed: dict[str, float]  # inputs that keep their --set value
    data: Dataset | None
    bound: list[str]  # data columns that give inputs their values
    lr: float
    steps: int
    optimizer: str = "sgd"
    batch: int | None = None
    seed: int | None = None
    init: str = "zeros"
    notes: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return self.data.rows if self.data is not None else 1

    @property
    def output(self) -> str:
        return self.graph.output_name


def check_run_options(lr: float, steps: int, optimizer: str, init: str) -> None:
    """Refuse a learning rate, step count, optimizer or initialisation that cannot make a run (scalars and arrays)."""
    if not (lr > 0 and math.isfinite(lr)):
        raise TrainingError(f"--lr {format_number(lr)}: the learning rate must be a positive number (try --lr 0.01)")
    if steps < 1:
        raise TrainingError(f"--steps {steps}: a run takes at least one step")
    if optimizer not in OPTIMIZERS:
        raise TrainingError(f"--optimizer {optimizer}: use one of {', '.join(OPTIMIZERS)}")
    if init not in ("zeros", "random"):
        raise TrainingError(f"--init {init}: use zeros or random")


def named_parameters(params: Sequence[str], inputs: list[str], data_columns: Sequence[str] = (),
                     data_path: str | None = None) -> list[str]:
    """--params checked against the program's inputs (and the data's columns): each once, in the order given."""
    parameters: list[str] = []
    for name in params:
        if name not in inputs:
            raise UnknownName(f"--params {','.join(params)}: '{name}' is not an input of the program "
                              f"(its inputs are: {', '.join(inputs)})")
        if name in data_columns:
            raise TrainingError(f"--params {','.join(params)}: '{name}' is a column of {data_path}, so it is data, "
                                f"not a parameter")
        if name not in parameters:
            parameters.append(name)
    if not parameters:
        raise TrainingError("--params names no parameter: give at least one input, such as --params w,b")
    return parameters


def prepare(source: str, graph: Graph, *, values: Mapping[str, float], params: Sequence[str] | None,
            data: Dataset | None, lr: float, steps: int, optimizer: str = "sgd", batch: int | None = None,
            seed: int | None = None, init: str = "zeros") -> Setup:
    """Decide which inputs move, which come from the data and which are fixed; refuse what can not run."""
    check_run_options(lr, steps, optimizer, init)
    inputs = [graph.nodes[i].name for i in graph.inputs]
    if not inputs:
        raise TrainingError("the program has no inputs, so there is nothing to train")
    notes: list[str] = []
    columns = list(data.columns) if data is not None else []
    bound = [name for name in columns if name in inputs]
    for name in columns:
        if name not in inputs:
            notes.append(f"column '{name}' of {data.path} names no input of the program: it is not used")
    if data is not None and not bound:
        raise TrainingError(f"no column of {data.path} ({', '.join(columns)}) names an input of the program "
                            f"(its inputs are: {', '.join(inputs)})")
    if params is None:
        parameters = [name for name in inputs if name not in bound]
        if not parameters:
            raise TrainingError(f"every input is a column of {data.path}: name what should move with --params")
        if data is not None:
            notes.append(f"the parameters are {', '.join(parameters)}: the inputs that are not columns of "
                         f"{data.path} (choose them with --params)")
    else:
        parameters = named_parameters(params, inputs, bound, data.path if data is not None else None)
    for name in values:
        if name in bound:
            raise TrainingError(f"--set {name}: '{name}' is a column of {data.path}; give it a value in one place")
        if name not in inputs:
            notes.append(f"--set {name}: '{name}' is not an input of the program: it is not used")
    missing = [name for name in inputs if name not in parameters and name not in bound and name not in values]
    if missing:
        listed = ", ".join(missing)
        raise TrainingError(f"{listed} {'has' if len(missing) == 1 else 'have'} no value: give "
                            f"{'it' if len(missing) == 1 else 'them'} with --set {missing[0]}=…, a column in --data, "
                            f"or let {'it' if len(missing) == 1 else 'them'} move with --params")
    if batch is not None:
        if data is None:
            raise TrainingError(f"--batch {batch} splits the rows of --data into minibatches: give --data FILE")
        if not 1 <= batch <= data.rows:
            raise TrainingError(f"--batch {batch}: choose between 1 and the {data.rows} rows of {data.path}")
    generator = random.Random(seed)
    initial = {}
    for name in parameters:
        if name in values:
            initial[name] = float(values[name])
        else:
            initial[name] = generator.uniform(-1.0, 1.0) if init == "random" else 0.0
    fixed = {name: float(value) for name, value in values.items() if name in inputs and name not in parameters}
    return Setup(source, graph, parameters, initial, fixed, data, bound, lr, steps, optimizer, batch, seed, init, notes)
