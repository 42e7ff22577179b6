"""The public API and the glue of the pipeline: source + values → ``Result``.

``differentiate`` runs parse → lower → forward → backward and returns a ``Result`` that
knows its value, every gradient, the evaluated graph and the derivation steps, and can
render itself (text, Markdown, LaTeX, DOT, images, JSON, HTML).
"""

from __future__ import annotations

import gc
import math
import time
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import Mapping

from .backward import Gradients, backward
from .forward import forward
from .graph import Graph
from .lower import lower
from .parse import parse
from .errors import BadAssignment, UnknownName
from .assignments import as_value, typed_texts, unused_warnings


def save_options() -> list[str]:
    """The keywords Result.save passes on: every option some format's writer takes (the registry says)."""
    from .render.formats import FORMATS

    return sorted({option for f in FORMATS.values() for option in f.options})


class Result:
    """An evaluated and differentiated program."""

    typed: Mapping[str, str] = {}  # each input's value as typed (--set x=123456.7), echoed as given

    def __init__(self, source: str, graph: Graph, values: list[float], gradients: Gradients,
                 inputs: dict[str, float], warnings: list[str], timings: dict[str, float]):
        self.source = source
        self.graph = graph
        self.values = values
        self.grads = gradients.grads
        self.partials = gradients.partials
        self.notes = gradients.notes  # the first kink or undefined-derivative note of each node
        self.operand_notes = gradients.operand_notes  # the same by (node id, operand position)
        self._gradients = gradients
        self.inputs = inputs
        self.warnings = warnings
        self.timings = timings

    @property
    def output(self) -> str:
        """The output node's name (L unless the program names it)."""
        return self.graph.output_name

    @property
    def value(self) -> float:
        return self.values[self.graph.output]

    @property
    def gradients(self) -> dict[str, float]:
        """∂output/∂input for every input, by name, in order of first use."""
        return {self.graph.nodes[i].name: self.grads[i] for i in self.graph.inputs}

    @cached_property
    def steps(self):
        """The derivation's steps (forward, then backward), shared by every writer."""
        from .steps import build_steps

        return build_steps(self.graph, self.values, self._gradients)

    @cached_property
    def _symbolic(self):
        from .symbolic import Symbolic

        return Symbolic(self)

    @cached_property
    def _formulas(self):
        return self._symbolic.formulas()

    @property
    def formulas(self) -> dict[str, str]:
        """Each input's gradient as a simplified formula over the inputs: {"a": "b × f", …}."""
        return {name: formula.text() for name, formula in self._formulas.items()}

    def formula(self, name: str, format: str = "text") -> str:
        """One input's gradient as a formula, in "text", "ascii" or "latex"."""
        from .errors import UnknownName

        if name not in self._formulas:
            known = ", ".join(self._formulas) or "none"
            raise UnknownName(f"'{name}' is not an input of the program; its inputs are: {known}")
        return self._formulas[name].text(format)

    def gradient_graph(self):
        """The graph autograd builds: the forward nodes plus backward nodes computing each gradient
        (a ``symbolic.GradientGraph``: ``.graph``, ``.values``, ``.gradients``)."""
        return self._symbolic.gradient_graph()

    def hessian(self, symbolic: bool = False):
        """The matrix of second derivatives over the inputs (a ``symbolic.Hessian``: ``.names``,
        ``.matrix``; ``.formulas`` too with ``symbolic=True``)."""
        return self._symbolic.hessian(symbolic)

    def _input_ids(self, wrt) -> list[int]:
        from .steps import wrt_inputs

        if wrt is None:
            return list(self.graph.inputs)
        return wrt_inputs(self.graph, [wrt] if isinstance(wrt, str) else wrt)

    def forward_mode(self, wrt=None, *, budget: int | None | str = "default"):
        """Forward mode: one tangent sweep per input (or per ``wrt`` name), with the partials backward used
        (a ``modes.ForwardMode``; ``.gradients`` by input id equal the reverse-mode gradients). The sweeps
        stop after ``modes.WORK_BUDGET`` edge visits unless ``budget`` says otherwise (None: run them all)."""
        from .modes import WORK_BUDGET, forward_mode

        return forward_mode(self.graph, self.partials, self._input_ids(wrt),
                            budget=WORK_BUDGET if budget == "default" else budget)

    def cost(self, wrt=None) -> dict:
        """Sweeps, multiplications and additions of local derivatives in forward and reverse mode."""
        from .modes import cost

        return cost(self.graph, self._input_ids(wrt))

    def paths(self, name: str, limit: int = 50):
        """The paths from one input to the output (a ``modes.PathsOf``: the exact count, the first
        ``limit`` paths with their products, and how many were left out)."""
        from .modes import paths_of

        if name not in self.inputs:
            raise UnknownName(f"'{name}' is not an input of the program; its inputs are: "
                              f"{', '.join(self.inputs) or 'none'}")
        return paths_of(self.graph, self.partials, self._input_ids([name])[0], limit)

    def lint(self) -> list:
        """Where the gradient flow is in trouble (``lint.Finding``: kind, node, message, span, path, factors)."""
        from .render.lint_views import findings_of

        return list(findings_of(self))

    def derivation(self, format: str = "text", *, wrt=None, standalone: bool = False, symbolic: bool = False,
                   hessian: bool = False, mode: str = "reverse", cost: bool = False, paths: bool = False,
                   max_paths: int = 50, lint: bool = False) -> str:
        """The step-by-step derivation: "text", "ascii", "markdown" or "latex".

        ``wrt`` (input names) restricts the backward pass to the paths that reach them;
        ``standalone`` makes the LaTeX a complete document; ``symbolic`` adds each gradient as a
        formula, ``hessian`` the matrix of second derivatives; ``mode="forward"`` gives forward mode's
        tangent sweeps instead of the backward pass, ``cost`` the operation counts of both modes, ``paths``
        each gradient as a sum over paths (at most ``max_paths`` listed per input); a lint section
        (saturation, dead relus, vanishing or exploding products, exp overflow, zero gradients) ends the
        derivation when something is found, and always with ``lint``.
        """
        from .render import formats

        return formats.render_derivation(self, format, wrt=wrt, standalone=standalone, symbolic=symbolic,
                                         hessian=hessian, mode=mode, cost=cost, paths=paths,
                                         max_paths=max_paths, lint=lint)

    def value_at(self, inputs: Mapping[str, float | str]) -> float:
        """The output's value with some inputs changed: a forward pass over the same graph.

        Values are read as ``differentiate`` reads them: numbers, or constant expressions as text ("pi/4").
        """
        unknown = [name for name in inputs if name not in self.inputs]
        if unknown:
            raise UnknownName(f"value_at: '{unknown[0]}' is not an input of the program; "
                              f"its inputs are: {', '.join(self.inputs) or 'none'}")
        return forward(self.graph, {**self.inputs, **read_values(inputs)})[self.graph.output]

    def to_dot(self, **options) -> str:
        """The computational graph as Graphviz DOT source (options: rankdir, wrt, title, max_nodes)."""
        from .render.dot import render_dot

        return render_dot(self, **options)

    def graphviz(self, **options):
        """The diagram as a ``graphviz.Source`` (options as for ``to_dot``); needs the graphviz package."""
        from .render.dot import to_graphviz

        return to_graphviz(self, **options)

    def to_json(self, *, symbolic: bool = False, hessian: bool = False, wrt=None, **views) -> str:
        """The stable JSON document of ``--format json`` (plus ``formulas``/``hessian`` when asked, and
        ``forward_mode``/``cost``/``paths`` with ``mode="forward"``, ``cost=True``, ``paths=True``)."""
        from .render.export import render_json

        return render_json(self, symbolic=symbolic, hessian=hessian, wrt=wrt, **views)

    def save(self, path: str | Path, **options) -> Path:
        """Write the diagram (or document) chosen by the path's extension; returns the path."""
        from .render import formats

        unknown = sorted(set(options) - set(save_options()))
        if unknown:
            raise TypeError(f"save() got an unexpected keyword argument '{unknown[0]}' "
                            f"(it takes {', '.join(save_options())})")
        return formats.save(self, Path(path), **options)

    def __repr__(self) -> str:
        grads = ", ".join(f"{k}={v:g}" for k, v in list(self.gradients.items())[:8])
        if len(self.graph.inputs) > 8:
            grads += f", … ({len(self.graph.inputs)} in all)"
        return f"<Result {self.output}={self.value:g} gradients: {grads}>"

    # Jupyter displays
    def _repr_svg_(self) -> str | None:
        """The diagram as SVG; None (Jupyter then shows another format) without Graphviz or when too big."""
        from .errors import RenderError
        from .render.dot import render_image

        try:
            return render_image(self, "svg").decode("utf-8")
        except RenderError:
            return None

    def _repr_markdown_(self) -> str:
        return self.derivation("markdown")

    def _repr_html_(self) -> str:
        """The interactive stepper when it is available, else the diagram and the gradient table."""
        try:
            from .render.stepper import render_html
        except ImportError:
            render_html = None
        from .errors import RenderError

        if render_html is not None:
            try:
                return render_html(self)
            except RenderError:
                pass  # no Graphviz, or too big to draw: the table below still helps
        import html

        from .numfmt import format_number

        rows = "".join(
            f"<tr><td>{html.escape(name)}</td><td>{format_number(self.values[i])}</td>"
            f"<td>{format_number(self.grads[i])}</td></tr>"
            for i, name in ((i, self.graph.nodes[i].name) for i in self.graph.inputs)
        )
        output = html.escape(self.output)
        return (
            f"<div>{self._repr_svg_() or ''}"
            f"<p>{output} = {format_number(self.value)}</p>"
            f"<table><tr><th>input</th><th>value</th><th>∂{output}/∂input</th></tr>{rows}</table></div>"
        )


@contextmanager
def _gc_paused():
    """Pause the cyclic garbage collector: building a big graph makes only acyclic objects,
    and the collector's repeated full scans cost up to half the time at 10^5 nodes."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def differentiate(source: str, values: Mapping[str, float | str] | None = None, *,
                  max_elements: int | None = None) -> Result:
    """Evaluate a program and the gradient of its output with respect to every input.

    A program with array syntax, or with an array among its values (a NumPy array, a list,
    "[1, 2]" or "@data.csv"), returns an ``arrays.api.ArrayResult`` (docs/arrays.md); values
    larger than ``max_elements`` elements are refused.
    """
    with _gc_paused():
        return _differentiate(source, values, max_elements)


def differentiate_scalars(source: str, values: Mapping[str, float | str] | None = None) -> Result:
    """``differentiate`` for the jobs built on scalar results (quiz, grade, worksheet, train): an
    array program or value is refused in one line instead of returning an ArrayResult."""
    result = differentiate(source, values)
    if getattr(result, "is_array", False):
        from .errors import BackpropError
        from .lower import SCALARS_ONLY

        raise BackpropError(SCALARS_ONLY)
    return result


def _is_array_value(value) -> bool:
    from .arrays.names import looks_like_array_value

    return not isinstance(value, (int, float, str)) or looks_like_array_value(value)


def read_values(values: Mapping[str, float | str]) -> dict[str, float]:
    """Input values from Python as floats: numbers or constant expressions; raise BadAssignment if not finite."""
    inputs = {name: as_value(name, value) for name, value in values.items()}
    for name, value in inputs.items():
        if not math.isfinite(value):
            raise BadAssignment(f"the value of {name} must be a finite number, not {value}")
    return inputs


def _differentiate(source: str, values: Mapping[str, float | str] | None, max_elements: int | None = None) -> Result:
    timings: dict[str, float] = {}
    started = time.perf_counter()
    program = parse(source)
    timings["parse"] = time.perf_counter() - started
    if program.arrays or any(_is_array_value(v) for v in (values or {}).values()):
        try:
            from .arrays.api import differentiate_arrays  # NumPy is imported here, and only here
        except ImportError as error:
            from .errors import BackpropError

            raise BackpropError(f"array programs need NumPy ({error}): pip install 'backprop[arrays]'") from None

        result = differentiate_arrays(program, values, max_elements)
        result.timings["parse"] = timings["parse"]
        return result

    started = time.perf_counter()
    graph = lower(program, consume=True)  # frees the AST as it is lowered: a lower peak on big programs
    del program
    timings["lower"] = time.perf_counter() - started

    inputs = read_values(values or {})
    input_names = [graph.nodes[i].name for i in graph.inputs]
    warnings = list(graph.notes) + unused_warnings(inputs, graph)

    started = time.perf_counter()
    node_values = forward(graph, inputs)
    timings["forward"] = time.perf_counter() - started

    started = time.perf_counter()
    gradients = backward(graph, node_values)
    timings["backward"] = time.perf_counter() - started

    used = {name: inputs[name] for name in input_names}
    result = Result(source, graph, node_values, gradients, used, warnings, timings)
    result.typed = typed_texts(values or {})
    return result
