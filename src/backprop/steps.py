"""Evaluated graph → Step records: what each step of the derivation says.

One sequence of steps feeds every writer (terminal text, JSON ``steps``, the HTML stepper,
Markdown and LaTeX), so they can never disagree. Forward steps follow the topological
order; backward steps start at the output and visit operations in reverse topological
order, then the inputs, each as the sum over the node's uses (its *terms*).

``Steps`` keeps no record per step: it keeps the order of the steps and each node's uses
in flat arrays, and makes a ``Step`` (and its ``Term``s) when a writer reads it. A
derivation of 10⁶ operations is written as it is read, so its records never all exist at
once (docs/benchmark.md, "peak memory"); a node used 10⁶ times gets a ``Terms`` sequence
that makes each ``Term`` as it is read.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate

from .backward import Gradients
from .graph import Graph
from .ops import OPS

FORWARD = "forward"
BACKWARD = "backward"
# A node with at most this many uses gets its terms as a tuple, made once per Step (writers read
# them several times); more get a Terms sequence that makes each Term as it is read.
EAGER_TERMS = 64
_RECENT = 256  # steps remembered, so writers reading the same step together share one object


@dataclass(frozen=True, slots=True)
class Term:
    """One path into a node's gradient: ∂L/∂consumer × ∂consumer/∂node."""

    consumer: int
    position: int  # which operand of the consumer the node is
    upstream: float  # ∂L/∂consumer
    local: float  # ∂consumer/∂node
    contribution: float  # upstream × local (0 when nothing flows back)
    note: str | None = None  # a kink or undefined derivative at the consumer
    gate: str | None = None  # the consumer's gate pattern (ops.GATE_PATTERNS): "add", "mul", "max"


@dataclass(frozen=True, slots=True)
class Step:
    phase: str  # FORWARD or BACKWARD
    node: int
    value: float  # forward: the node's value; backward: its gradient
    terms: Sequence[Term] = ()  # backward only; empty for the output and dead nodes
    reaches_output: bool = True
    gate: str | None = None  # "copy" for a node whose gradient sums several uses (a fork)


class Steps(Sequence):
    """The forward steps, then the backward steps, of an evaluated graph, made as they are read.

    Indexing, ``len``, slicing and iteration work as on the list of ``Step``s it replaces.
    """

    def __init__(self, graph: Graph, values: list[float], gradients: Gradients):
        nodes = graph.nodes
        self._graph, self._values, self._gradients = graph, values, gradients
        # A constant-only operation such as 2*3 is still a forward step; pi is a constant node.
        self._forward = array("i", [i for i, node in enumerate(nodes) if node.args])
        varies = depends_on_inputs(graph)
        output = graph.output
        # A node computed from constants alone (1/3) needs no gradient: nothing can move it.
        self._backward = array("i", [output])
        self._backward.extend([i for i in range(len(nodes) - 1, -1, -1) if nodes[i].args and i != output
                               and varies[i]])
        self._backward.extend([i for i in graph.inputs if i != output])
        self._reaches = bytearray(reaches_output(graph))
        self._uses: _Uses | None = None  # made when the first backward step is read
        self._recent: dict[int, Step] = {}

    def __len__(self) -> int:
        return len(self._forward) + len(self._backward)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        size = len(self)
        if index < 0:
            index += size
        if not 0 <= index < size:
            raise IndexError("step index out of range")
        return self._step(index)

    def __iter__(self):
        step = self._step
        for index in range(len(self)):
            yield step(index)

    def __repr__(self) -> str:
        return f"<Steps: {len(self._forward):,} forward, {len(self._backward):,} backward>"

    # --- the flat arrays, for writers that print every step in one pass (render/bulk_text.py)
    @property
    def forward_order(self) -> array:
        """The node of each forward step, in order (no Step objects made)."""
        return self._forward

    @property
    def backward_order(self) -> array:
        """The node of each backward step, in order: the output, operations, then the inputs."""
        return self._backward

    @property
    def reaches(self) -> bytearray:
        """For each node, 1 when some path leads from it to the output."""
        return self._reaches

    def uses(self) -> _Uses:
        """Every node's uses as flat arrays (``_Uses``: ``start``, ``consumers``, ``positions``)."""
        if self._uses is None:
            self._uses = _Uses(self._graph, self._gradients)
        return self._uses

    def backward_step(self, node_id: int) -> Step:
        """The backward step of ``node_id`` as a ``Step`` (what indexing returns for it)."""
        return self._backward_step(node_id)

    def _step(self, index: int) -> Step:
        recent = self._recent
        found = recent.get(index)
        if found is not None:
            return found
        forward = self._forward
        if index < len(forward):
            node_id = forward[index]
            step = Step(FORWARD, node_id, self._values[node_id])
        else:
            step = self._backward_step(self._backward[index - len(forward)])
        if len(recent) >= _RECENT:
            recent.clear()
        recent[index] = step
        return step

    def _backward_step(self, node_id: int) -> Step:
        uses = self.uses()
        reaches = bool(self._reaches[node_id])
        grad = self._gradients.grads[node_id]
        if node_id == self._graph.output:
            return Step(BACKWARD, node_id, grad, (), reaches, None)
        start, stop = uses.start[node_id], uses.start[node_id + 1]
        count = stop - start
        terms = uses.terms(start, stop) if count <= EAGER_TERMS else Terms(uses, start, stop)
        return Step(BACKWARD, node_id, grad, terms, reaches, "copy" if count > 1 and reaches else None)


class _Uses:
    """Every node's uses, (consumer, operand position), in consumer order, as flat arrays:
    node i's are at ``start[i]:start[i + 1]`` (compressed rows)."""

    def __init__(self, graph: Graph, gradients: Gradients):
        nodes = graph.nodes
        counts = array("i", bytes(4 * (len(nodes) + 1)))
        for node in nodes:
            for arg in node.args:
                counts[arg + 1] += 1
        self.start = start = array("i", accumulate(counts))
        fill = array("i", start)
        total = start[-1]
        self.consumers = consumers = array("i", bytes(4 * total))
        self.positions = positions = bytearray(total)
        for node_id, node in enumerate(nodes):
            position = 0
            for arg in node.args:
                at = fill[arg]
                consumers[at] = node_id
                positions[at] = position
                fill[arg] = at + 1
                position += 1
        self.nodes = nodes
        self.grads, self.partials, self.notes = gradients.grads, gradients.partials, gradients.operand_notes
        self.gates = OPS.column("gate")

    def term(self, at: int) -> Term:
        consumer, position = self.consumers[at], self.positions[at]
        upstream = self.grads[consumer]
        local = self.partials[consumer][position]
        contribution = upstream * local if upstream != 0.0 else 0.0
        return Term(consumer, position, upstream, local, contribution, self.notes.get((consumer, position)),
                    self.gates[self.nodes[consumer].op] or None)

    def terms(self, start: int, stop: int) -> tuple[Term, ...]:
        term = self.term
        return tuple([term(at) for at in range(start, stop)])


class Terms(Sequence):
    """The terms of a node with many uses, each made as it is read (a tuple's interface)."""

    __slots__ = ("_uses", "_start", "_stop")

    def __init__(self, uses: _Uses, start: int, stop: int):
        self._uses, self._start, self._stop = uses, start, stop

    def __len__(self) -> int:
        return self._stop - self._start

    def __getitem__(self, index):
        if isinstance(index, slice):
            term = self._uses.term
            return tuple([term(self._start + i) for i in range(*index.indices(len(self)))])
        size = len(self)
        if index < 0:
            index += size
        if not 0 <= index < size:
            raise IndexError("term index out of range")
        return self._uses.term(self._start + index)

    def __iter__(self):
        term = self._uses.term
        for at in range(self._start, self._stop):
            yield term(at)

    def __eq__(self, other) -> bool:
        if not isinstance(other, Sequence) or isinstance(other, str):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other))

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        return f"<Terms: {len(self):,} uses>"


def build_steps(graph: Graph, values: list[float], gradients: Gradients) -> Steps:
    """The forward steps, then the backward steps, of an evaluated graph (made as they are read)."""
    return Steps(graph, values, gradients)


def depends_on_inputs(graph: Graph) -> list[bool]:
    """For each node, whether some input feeds it (the others are constants, whatever their op)."""
    varies = [False] * len(graph.nodes)
    for node_id, node in enumerate(graph.nodes):
        if node.op == "input":
            varies[node_id] = True
            continue
        for arg in node.args:  # a loop, not any(generator): this runs once per node of big graphs
            if varies[arg]:
                varies[node_id] = True
                break
    return varies


def reaches_output(graph: Graph) -> list[bool]:
    """For each node, whether some path leads from it to the output (the others have gradient 0)."""
    reaches = [False] * len(graph.nodes)
    reaches[graph.output] = True
    nodes = graph.nodes
    for node_id in range(len(nodes) - 1, -1, -1):
        if reaches[node_id]:
            for arg in nodes[node_id].args:
                reaches[arg] = True
    return reaches


def wrt_inputs(graph: Graph, names) -> list[int]:
    """The input node ids of the names given to --wrt; an unknown name raises UnknownName."""
    import difflib

    from .errors import UnknownName

    by_name = {graph.nodes[i].name: i for i in graph.inputs}
    wanted = [name.strip() for name in names if name.strip()]
    if not wanted:
        raise UnknownName("--wrt needs at least one input name (for example --wrt a,b)")
    ids = []
    for name in wanted:
        if name not in by_name:
            known = ", ".join(by_name) or "none"
            close = difflib.get_close_matches(name, list(by_name), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise UnknownName(f"--wrt '{name}' is not an input of the program{hint}; its inputs are: {known}")
        if by_name[name] not in ids:
            ids.append(by_name[name])
    return ids


def relevant_nodes(graph: Graph, wrt_ids) -> set[int]:
    """The nodes on a path from one of ``wrt_ids`` to the output (the output included).

    Their gradients are exactly the ones the chain rule needs for ∂output/∂wrt; every
    other backward step can be left out of a derivation restricted to ``wrt_ids``.
    """
    nodes = graph.nodes
    depends = [False] * len(nodes)  # depends on a wrt input
    for i in wrt_ids:
        depends[i] = True
    for node_id, node in enumerate(nodes):  # topological order: operands before their consumers
        if any(depends[arg] for arg in node.args):
            depends[node_id] = True
    reaches = reaches_output(graph)
    return {i for i in range(len(nodes)) if depends[i] and reaches[i]} | {graph.output}


class Focus(frozenset):
    """--wrt resolved once: the ids of the nodes a restricted derivation shows."""


def restrict(graph: Graph, wrt) -> Focus | None:
    """The node ids a derivation restricted to the input names ``wrt`` shows (None: all of them).

    A ``Focus`` (already resolved) is returned as it is, so writers never resolve names twice.
    """
    if wrt is None or isinstance(wrt, Focus):
        return wrt
    if isinstance(wrt, str):
        wrt = wrt.split(",")
    return Focus(relevant_nodes(graph, wrt_inputs(graph, wrt)))
