"""Array programs end to end: parsed program + values → ``ArrayResult``.

``api.differentiate`` sends a program here when its text uses array syntax or a value is an
array; scalar programs never reach this module (nor NumPy).
"""

from __future__ import annotations

import time
from functools import cached_property
from pathlib import Path

import numpy as np

from ..errors import MissingValue, UnknownName
from .engine import backward, forward, infer_shapes
from .graph import ArrayGraph, lower_arrays
from .shapes import DEFAULT_MAX_ELEMENTS, ShapeError, show_shape
from .values import to_array


class ArrayResult:
    """An evaluated and differentiated array program (the array twin of ``api.Result``)."""

    is_array = True

    def __init__(self, source: str, graph: ArrayGraph, values: list, grads: list, steps: list,
                 inputs: dict, warnings: list, timings: dict, typed: dict):
        self.source = source
        self.graph = graph
        self.values = values
        self.grads = grads
        self.backward_steps = steps
        self.inputs = inputs
        self.warnings = warnings
        self.timings = timings
        self.typed = typed

    @property
    def output(self) -> str:
        return self.graph.output_name

    @property
    def value(self) -> float:
        return float(self.values[self.graph.output])

    @property
    def gradients(self) -> dict:
        """∂L/∂input for every input, by name: arrays of the input's shape."""
        return {self.graph.nodes[i].name: np.array(self.grads[i]) if self.grads[i] is not None
                else np.zeros_like(self.values[i]) for i in self.graph.inputs}

    @property
    def shapes(self) -> dict:
        return {node.name: node.shape for node in self.graph.nodes if node.name}

    def value_at(self, inputs: dict) -> float:
        """The output with some inputs changed: a forward pass over the same graph."""
        unknown = [name for name in inputs if name not in self.inputs]
        if unknown:
            raise UnknownName(f"value_at: '{unknown[0]}' is not an input of the program")
        merged = {**self.inputs, **{k: np.asarray(v, dtype=float) for k, v in inputs.items()}}
        return float(forward(self.graph, merged)[self.graph.output])

    @cached_property
    def _formulas(self) -> dict:
        from .symbolic import formulas

        return formulas(self)

    def formulas_for(self, wrt=None) -> dict:
        """The ``symbolic.ArrayFormula`` of each input (or of the node ids in ``wrt``), by name."""
        if wrt is None:
            return self._formulas
        return {name: f for name, f in self._formulas.items() if self.graph.nodes[self._input_id(name)].id in wrt}

    def _input_id(self, name: str) -> int:
        return next(i for i in self.graph.inputs if self.graph.nodes[i].name == name)

    @property
    def formulas(self) -> dict[str, str]:
        """Each input's gradient as a matrix formula over the inputs: {"w": "2 Xᵀ(X w − y)", …}."""
        return {name: formula.text() for name, formula in self._formulas.items()}

    def formula(self, name: str, format: str = "text") -> str:
        """One input's gradient as a formula, in "text", "ascii" or "latex"."""
        if name not in self._formulas:
            known = ", ".join(self._formulas) or "none"
            raise UnknownName(f"'{name}' is not an input of the program; its inputs are: {known}")
        if format == "ascii":
            from .render import to_ascii

            return to_ascii(self._formulas[name].text("ascii"))
        return self._formulas[name].text(format)

    def gradient_graph(self, simplify: str = "exact"):
        """The backward pass as a graph of array operations (``gradient_graph.Adjoint``: ``.builder.nodes``,
        ``.grads`` by program node id); with "exact" it evaluates to exactly ``gradients``."""
        from .gradient_graph import adjoint

        return adjoint(self.graph, simplify)

    def derivation(self, format: str = "text", **options) -> str:
        """The derivation as the command line writes it ("text", "ascii", "markdown", "latex"), with its
        options (wrt, symbolic, expand, mode, paths, lint…): the format registry's writers, so that
        none is dropped on the way (expand=True in Markdown used to give no expansion)."""
        from ..render import formats
        from ..steps import restrict

        if options.get("wrt") is not None:  # names, resolved to node ids as the command line does
            options["wrt"] = restrict(self.graph, options["wrt"])
        return formats.render_derivation(self, format, **options)

    def to_json(self, **options) -> str:
        from .render import render_json

        return render_json(self, **options)

    def to_dot(self, **options) -> str:
        from .dot import render_dot

        return render_dot(self, **options)

    def save(self, path, **options):
        from ..render import formats

        return formats.save(self, Path(path), **options)

    @cached_property
    def steps(self):
        return self.backward_steps

    # Jupyter displays
    def _repr_markdown_(self) -> str:
        return self.derivation("markdown")

    def _repr_svg_(self) -> str | None:
        """The diagram as SVG; None (Jupyter then shows another format) without Graphviz."""
        from ..errors import RenderError
        from ..render.dot import run_dot

        try:
            return run_dot(self.to_dot(), "svg").decode("utf-8")
        except RenderError:
            return None

    def __repr__(self) -> str:
        shapes = ", ".join(f"{n}{show_shape(self.values[i].shape)}" for n, i in
                           ((self.graph.nodes[i].name, i) for i in self.graph.inputs))
        return f"<ArrayResult {self.output}={self.value:g} inputs: {shapes}>"


def differentiate_arrays(program, values: dict | None, max_elements: int | None = None) -> ArrayResult:
    """Lower, infer shapes (errors before any evaluation), run forward and backward."""
    from ..assignments import typed_texts, unused_names

    limit = max_elements or DEFAULT_MAX_ELEMENTS
    timings = {"parse": 0.0}
    started = time.perf_counter()
    graph = lower_arrays(program)
    values = dict(values or {})
    names = [graph.nodes[i].name for i in graph.inputs]
    missing = [name for name in names if name not in values]
    if missing:
        listed = ", ".join(missing)
        example = " ".join(f"{n}=[1, 2]" for n in missing[:2])
        raise MissingValue(f"no value for {listed}: give {'it' if len(missing) == 1 else 'them'} with --set "
                           f"(for example --set {example})")
    inputs = {name: to_array(name, values[name], limit) for name in names}
    for i in graph.inputs:
        graph.nodes[i].shape = inputs[graph.nodes[i].name].shape
    infer_shapes(graph, limit)
    out = graph.nodes[graph.output]
    if out.shape != ():
        name = graph.statements[-1][0] or out.name
        raise ShapeError(f"the output {name} has shape {show_shape(out.shape)}: backpropagation starts from one "
                         f"number; reduce it first, for example {name} = sum(…) or mean(…)", out.span)
    timings["lower"] = time.perf_counter() - started
    started = time.perf_counter()
    node_values = forward(graph, inputs)
    timings["forward"] = time.perf_counter() - started
    started = time.perf_counter()
    result = backward(graph, node_values)
    timings["backward"] = time.perf_counter() - started
    bound = {name for name, _, _ in graph.statements if name}
    warnings = [f"'{name}' is given a value, but the program computes {name} itself: the value is not used"
                if name in bound else f"'{name}' is given a value but the program does not use it"
                for name in unused_names(values, names)]
    return ArrayResult(program.source, graph, node_values, result.grads, result.steps, inputs, warnings, timings,
                       typed_texts(values))
