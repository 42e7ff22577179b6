"""Gradients as formulas, the gradient graph and the Hessian: all from ``transform.adjoint``.

- ``gradient_graph``: the forward nodes plus the backward nodes autograd would build, one
  output per input (∂L/∂a, ∂L/∂b, …), evaluated; equal, exactly, to the numeric gradients.
- ``formulas``: each input's gradient simplified (constants folded, × 1, + 0, × 0 and double
  negation dropped, like terms collected) and written over the inputs. Where writing it out
  would repeat sub-expressions many times (symbolic differentiation swells; reverse mode
  shares), the shared parts get names, and the formula says so.
- ``hessian``: reverse mode applied to the gradient graph, once per input.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .graph import CONST, INPUT, Graph
from .transform import GraphBuilder, adjoint, copy_graph, evaluate_nodes

INLINE_LIMIT = 60  # operations a formula may show written out in full before shared parts get names
PRINT_LIMIT = 4_000  # operations a formula may show at all; beyond, a summary
MAX_CHARACTERS = 20_000  # a printed formula (with its where-lines) longer than this is summarised
MAX_HESSIAN_INPUTS = 200  # n² entries and n reverse sweeps over the gradient graph


@dataclass
class Formula:
    """One expression over the inputs, held as a node of a builder's DAG."""

    builder: GraphBuilder
    root: int
    value: float
    shared: list[tuple[str, int]] = field(default_factory=list)  # (name, node) defined in "where" lines
    written_out: int = 0  # operations of the formula written out in full (counted, never built)
    too_big: bool = False

    def expression(self, node_id: int | None = None):
        """The formula (or one shared part) as a printer expression; shared parts appear by name."""
        names = {node: name for name, node in self.shared}
        nodes = self.builder.nodes
        start = self.root if node_id is None else node_id
        done: list = []
        todo: list = [start]
        while todo:
            item = todo.pop()
            if type(item) is list:
                node = nodes[item[1]]
                args = tuple(done[len(done) - len(node.args):])
                del done[len(done) - len(node.args):]
                done.append(("op", node.op, args))
                continue
            node = nodes[item]
            if item != start and item in names:
                done.append(("name", names[item]))
            elif node.op == INPUT or node.op == CONST and node.named:
                done.append(("name", node.name))
            elif node.op == CONST:
                done.append(("num", node.value))
            elif not node.args:
                done.append(("op", node.op, ()))
            else:
                todo.append(["apply", item])
                todo.extend(reversed(node.args))
        return done[0]

    def lines(self, style: str = "text") -> tuple[str, list[str]]:
        """(the formula, its 'where' lines) printed in one style."""
        formula, definitions = self.parts(style)
        return formula, [f"{name} = {expression}" for name, expression in definitions]

    def parts(self, style: str = "text") -> tuple[str, list[tuple[str, str]]]:
        """(the formula, its shared parts as (name, expression)) printed in one style; a writer
        that lays the 'where' lines out itself (LaTeX rows) needs the two sides apart."""
        from .render.printer import printer

        if self.too_big:
            return "", []
        show = printer(style)
        definitions = [(show(("name", name)), show(self.expression(node))) for name, node in self.shared]
        formula = show(self.expression())
        if len(formula) + sum(len(name) + len(expression) + 3 for name, expression in definitions) > MAX_CHARACTERS:
            self.too_big = True  # printing it helps no one: say how big it is instead
            return "", []
        return formula, definitions

    def text(self, style: str = "text") -> str:
        formula, where = self.lines(style)
        if self.too_big:
            if not self.written_out:
                return f"(too long to print: over {MAX_CHARACTERS:,} characters even with its shared parts named)"
            return f"(a formula of {self.written_out:,} operations written out: too big to print)"
        return formula + (f"   where {'; '.join(where)}" if where else "")


def _sizes(nodes, root: int, cap: int, shown=None) -> tuple[dict[int, int], dict[int, int]]:
    """For the DAG below ``root``: each node's written-out size (operations, capped) and how many
    parents inside the DAG use it; ``shown(node)`` says whether an operation is written (all are)."""
    order: list[int] = []
    seen = {root}
    todo = [root]
    while todo:
        item = todo.pop()
        order.append(item)
        for arg in nodes[item].args:
            if arg not in seen:
                seen.add(arg)
                todo.append(arg)
    uses: dict[int, int] = {}
    for item in order:
        for arg in nodes[item].args:
            uses[arg] = uses.get(arg, 0) + 1
    size: dict[int, int] = {}
    for item in sorted(order):  # ids are topological: operands first
        node = nodes[item]
        written = node.args and (shown is None or shown(node))
        size[item] = min(cap, (1 if written else 0) + sum(size[a] for a in node.args))
    return size, uses


def _share(formula: Formula) -> None:
    """Name the shared sub-expressions of a formula that would swell written out."""
    nodes = formula.builder.nodes
    cap = 10 ** 18
    size, uses = _sizes(nodes, formula.root, cap)
    formula.written_out = size[formula.root]
    if formula.written_out <= INLINE_LIMIT:
        return
    taken = {node.name for node in nodes if node.op == INPUT}
    number = 0
    shared = []
    for item in sorted(size):
        node = nodes[item]
        if item == formula.root or not node.args or uses.get(item, 0) < 2 or size[item] < 2:
            continue
        if node.named and node.name not in taken:
            name = node.name  # the user's own name for it (h1), when it has one
        else:
            number += 1
            name = f"s{number}"
            while name in taken:
                number += 1
                name = f"s{number}"
        taken.add(name)
        shared.append((name, item))
    formula.shared = shared
    if len(nodes) > PRINT_LIMIT and len(shared) > PRINT_LIMIT // 4:
        formula.too_big = True


class Symbolic:
    """The symbolic side of one result: formulas, gradient graph and Hessian, built on demand."""

    def __init__(self, result):
        self.result = result
        self.graph: Graph = result.graph

    def formulas(self, wrt: list[int] | None = None) -> dict[str, Formula]:
        """∂output/∂input for each input (or those of ``wrt``), simplified, by input name."""
        graph = self.graph
        ids = list(graph.inputs if wrt is None else wrt)
        builder = GraphBuilder("algebra")
        mapping = copy_graph(builder, graph)
        gradients = adjoint(builder, mapping[graph.output], [mapping[i] for i in ids])
        formulas = {}
        for i in ids:
            root = gradients[mapping[i]]
            formula = Formula(builder, root, self.result.grads[i])
            _share(formula)
            formulas[graph.nodes[i].name] = formula
        return formulas

    def gradient_graph(self) -> "GradientGraph":
        """The forward graph plus the backward nodes that compute every input's gradient."""
        graph = self.graph
        builder = GraphBuilder("exact")
        mapping = copy_graph(builder, graph)
        forward_count = len(builder)
        gradients = adjoint(builder, mapping[graph.output], [mapping[i] for i in graph.inputs])
        out = graph.output_name
        outputs = [(f"∂{out}/∂{graph.nodes[i].name}", gradients[mapping[i]]) for i in graph.inputs]
        for name, node_id in outputs:
            if node_id >= forward_count and not builder.nodes[node_id].named:
                builder.nodes[node_id] = builder.nodes[node_id]._replace(name=name, named=True)
        outputs, forward_count = _prune(builder, outputs, forward_count)
        gradient = builder.graph(outputs or [(out, mapping[graph.output])])
        values = evaluate_nodes(gradient.nodes, self.result.inputs, known=self.result.values)
        backward = {i for i in range(forward_count, len(gradient.nodes))}
        return GradientGraph(gradient, values, backward, outputs, out)

    def hessian(self, symbolic: bool = False) -> "Hessian":
        """∂²output/∂input_i∂input_j: reverse mode over the gradient graph, once per input."""
        graph = self.graph
        names = [graph.nodes[i].name for i in graph.inputs]
        if len(names) > MAX_HESSIAN_INPUTS:
            from .errors import BackpropError

            raise BackpropError(f"--hessian needs at most {MAX_HESSIAN_INPUTS} inputs (this program has {len(names):,}: "
                                f"{len(names) ** 2:,} second derivatives, one reverse sweep per input)")
        builder = GraphBuilder("algebra" if symbolic else "exact")
        mapping = copy_graph(builder, graph)
        inputs = [mapping[i] for i in graph.inputs]
        first = adjoint(builder, mapping[graph.output], inputs)
        rows = []
        for i in inputs:
            rows.append(adjoint(builder, first[i], inputs))
        values = evaluate_nodes(builder.nodes, self.result.inputs, known=self.result.values)
        matrix = [[values[row[j]] for j in inputs] for row in rows]
        formulas = None
        if symbolic:
            formulas = []
            for row in rows:
                printed = []
                for j in inputs:
                    formula = Formula(builder, row[j], values[row[j]])
                    _share(formula)
                    printed.append(formula)
                formulas.append(printed)
        return Hessian(names, matrix, formulas)


def _prune(builder: GraphBuilder, outputs: list[tuple[str, int]], forward_count: int):
    """Drop backward nodes no gradient uses (the seed's 1, an unused 0), renumbering the rest."""
    nodes = builder.nodes
    keep = [i < forward_count for i in range(len(nodes))]
    for _, i in outputs:
        keep[i] = True
    for i in range(len(nodes) - 1, forward_count - 1, -1):
        if keep[i]:
            for arg in nodes[i].args:
                keep[arg] = True
    new_id: dict[int, int] = {}
    kept = []
    for node in nodes:
        if keep[node.id]:
            new_id[node.id] = len(kept)
            kept.append(node._replace(id=len(kept), args=tuple(new_id[a] for a in node.args)))
    builder.nodes[:] = kept
    return [(name, new_id[i]) for name, i in outputs], forward_count


@dataclass
class GradientGraph:
    graph: Graph  # forward nodes, then backward nodes; one output per input
    values: list[float]  # every node's value (gradients where the node is a backward one)
    backward: set[int]  # ids of the backward nodes
    outputs: list[tuple[str, int]]  # (∂L/∂a, node id) per input
    of: str = "L"  # the name of the output differentiated

    grads = None  # drawn without gradients of its own: its backward nodes' values are the gradients

    @property
    def output(self) -> str:
        return self.graph.output_name

    @property
    def gradients(self) -> dict[str, float]:
        return {name.split("/∂", 1)[1]: self.values[i] for name, i in self.outputs}

    def to_dot(self, **options) -> str:
        """The gradient graph as DOT: forward nodes in blue, backward nodes in vermillion."""
        from .render.dot import render_dot

        options.pop("wrt", None)
        return render_dot(self, **options)


@dataclass
class Hessian:
    names: list[str]
    matrix: list[list[float]]
    formulas: list[list[Formula]] | None = None

    def as_lists(self) -> list[list[float]]:
        return [list(row) for row in self.matrix]
