"""Evaluated graph + local partials → forward mode (tangent sweeps), operation counts, paths.

Forward mode carries a tangent ẋ = ∂x/∂input through the graph in topological order, one
sweep per input; each sweep's output tangent is one gradient. Reverse mode gets every
gradient in one backward sweep. ``cost`` counts both from the graph, and ``paths`` writes a
gradient as the sum over paths of the product of the local derivatives on their edges,
counted exactly by dynamic programming (Python ints: a 60-deep diamond chain has 2^60
paths) and listed lazily up to a limit.

The local partials are the ones backward used (``Result.partials``), so forward mode and
reverse mode multiply the very same numbers. Every walk is a loop: graphs can be 10^5 deep.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .graph import Graph
from .steps import depends_on_inputs, reaches_output

MAX_SWEEPS_SHOWN = 10  # sweeps a derivation prints (with every tangent); the others keep only their gradient
# Edge visits forward mode runs for one request. A sweep visits every node its input feeds, so on a
# long sum of 10^4 inputs all the sweeps need 10^8 visits: measured 60 to 120 s (0.8 to 1.3 million
# visits a second) on a loaded 2-core machine (benchmarks/forward_mode.py). The budget keeps a
# derivation to a few seconds; the note says what was left and Result.forward_mode(budget=None) runs it.
WORK_BUDGET = 5_000_000


def _times(tangent: float, local: float) -> float:
    """tangent × local, with a zero factor winning (0 × inf = 0), as backward skips a zero upstream."""
    return 0.0 if tangent == 0.0 else tangent * local


@dataclass(frozen=True)
class Sweep:
    """One forward-mode sweep: the tangent of every node with respect to one input."""

    input: int  # the seeded input's node id
    tangents: list[float]  # ∂node/∂input, by node id (0 for nodes the input does not feed)


@dataclass(frozen=True)
class ForwardMode:
    """The sweeps forward mode ran: the first ones in full, every one's output tangent."""

    inputs: list[int]  # every input asked for, in order
    sweeps: list[Sweep]  # the first ``shown`` sweeps, with every node's tangent
    budget_hit: bool  # True when the last sweeps were not run: they would exceed WORK_BUDGET
    output: int  # the output's node id
    gradients: dict[int, float] = field(default_factory=dict)  # ∂output/∂input from every sweep run, by input id
    work: int = 0  # edges the sweeps visited (each a multiplication by a local derivative, or a skipped zero)

    @property
    def run(self) -> int:
        """How many sweeps were run."""
        return len(self.gradients)


def sweep(graph: Graph, partials, seed: int) -> Sweep:
    """One tangent sweep seeded with ∂seed/∂seed = 1, in topological order."""
    nodes = graph.nodes
    tangents = [0.0] * len(nodes)
    tangents[seed] = 1.0
    for node in nodes[seed + 1:]:  # nothing before the seed depends on it (topological ids)
        args = node.args
        if not args:
            continue
        local = partials[node.id]
        total = 0.0
        for position, arg in enumerate(args):
            tangent = tangents[arg]
            if tangent != 0.0:
                total += _times(tangent, local[position])
        tangents[node.id] = total
    return Sweep(seed, tangents)


class SparseSweeps:
    """Sweeps that visit only the nodes the seed feeds on the way to the output.

    A dense sweep walks every node after the seed; with 10^4 inputs (inputs come first in the
    graph) that is 10^4 × the whole graph. Here each sweep marks the seed's descendants that
    reach the output (one walk over the uses), visits them in id order (topological), and adds
    the operands' tangents in the same order as ``sweep``, so each gradient is the same float.
    """

    def __init__(self, graph: Graph, partials):
        self.graph = graph
        reaches = reaches_output(graph)
        self.uses: list[list[int]] = [[] for _ in graph.nodes]
        # each operation's (operand, local derivative) pairs, zipped once for the inner loop
        self.pairs: list[tuple] = [()] * len(graph.nodes)
        for node in graph.nodes:
            if reaches[node.id] and node.args:
                self.pairs[node.id] = tuple(zip(node.args, partials[node.id]))
                for arg in node.args:
                    self.uses[arg].append(node.id)
        self.mark = [-1] * len(graph.nodes)  # the seed whose sweep last reached the node
        self.tangents = [0.0] * len(graph.nodes)

    def gradient(self, seed: int) -> tuple[float, int]:
        """∂output/∂seed, and the edges visited to get it."""
        uses, mark, tangents, pairs = self.uses, self.mark, self.tangents, self.pairs
        mark[seed] = seed
        tangents[seed] = 1.0
        order, stack = [], [seed]
        while stack:
            for consumer in uses[stack.pop()]:
                if mark[consumer] != seed:
                    mark[consumer] = seed
                    order.append(consumer)
                    stack.append(consumer)
        order.sort()
        work = 0
        for node_id in order:
            total = 0.0
            edges = pairs[node_id]
            work += len(edges)
            for arg, local in edges:
                if mark[arg] == seed:
                    tangent = tangents[arg]
                    if tangent != 0.0:  # a zero tangent adds nothing, even times inf (as in ``sweep``)
                        total += tangent * local
            tangents[node_id] = total
        output = self.graph.output
        return (tangents[output] if mark[output] == seed else 0.0), work


def forward_mode(graph: Graph, partials, inputs: list[int] | None = None, *, shown: int = MAX_SWEEPS_SHOWN,
                 budget: int | None = WORK_BUDGET) -> ForwardMode:
    """Forward-mode sweeps over ``inputs`` (default: all): the first ``shown`` in full, then every other
    one's output tangent, while the edges visited stay within ``budget`` (None: every sweep)."""
    inputs = list(graph.inputs if inputs is None else inputs)
    full = [sweep(graph, partials, i) for i in inputs[:shown]]
    gradients = {s.input: s.tangents[graph.output] for s in full}
    rest = inputs[shown:]
    work = 0
    budget_hit = False
    if rest:
        sparse = SparseSweeps(graph, partials)
        for i in rest:
            if budget is not None and work > budget:
                budget_hit = True
                break
            gradients[i], visited = sparse.gradient(i)
            work += visited
    return ForwardMode(inputs, full, budget_hit, graph.output, gradients, work)


def cost(graph: Graph, inputs: list[int] | None = None) -> dict:
    """Sweeps, multiplications and additions of local derivatives in each mode, counted from the graph.

    An edge is an operand position of an operation whose operand depends on an input and which
    leads to the output; each mode multiplies once per edge per sweep. Forward mode adds
    (operands − 1) per operation per sweep; reverse mode adds (uses − 1) per node, once.
    """
    inputs = list(graph.inputs if inputs is None else inputs)
    varies = depends_on_inputs(graph)
    reaches = reaches_output(graph)
    edges = 0
    forward_adds = 0
    uses = [0] * len(graph.nodes)
    for node in graph.nodes:
        if not node.args or not reaches[node.id]:
            continue
        live = [arg for arg in node.args if varies[arg]]
        edges += len(live)
        forward_adds += max(0, len(live) - 1)
        for arg in live:
            uses[arg] += 1
    reverse_adds = sum(n - 1 for n in uses if n > 1)
    n = len(inputs)
    return {
        "inputs": n,
        "edges": edges,
        "forward": {"sweeps": n, "multiplications": n * edges, "additions": n * forward_adds},
        "reverse": {"sweeps": 1, "multiplications": edges, "additions": reverse_adds},
    }


# --- paths ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PathCount:
    """Exact path counts from every node to the output (dynamic programming, Python ints)."""

    counts: list[int]  # paths from each node to the output
    lengths: list[int]  # their edges in total

    def products(self, node: int) -> int:
        """Multiplications to form every path's product separately (a path of k edges takes k − 1)."""
        return max(0, self.lengths[node] - self.counts[node])  # 0 for the output's own empty path


def count_paths(graph: Graph) -> PathCount:
    """Paths from each node to the output; an operand used twice (x*x) is two edges, two paths."""
    counts = [0] * len(graph.nodes)
    lengths = [0] * len(graph.nodes)
    counts[graph.output] = 1
    for node in reversed(graph.nodes[: graph.output + 1]):
        count, length = counts[node.id], lengths[node.id]
        if not count:
            continue
        for arg in node.args:
            counts[arg] += count
            lengths[arg] += length + count
    return PathCount(counts, lengths)


def path_uses(graph: Graph, counts: list[int]) -> dict[int, list[tuple[int, int]]]:
    """Each node's uses (consumer, position) that lead to the output: the edges a path may take."""
    uses: dict[int, list[tuple[int, int]]] = {}
    for node in graph.nodes[: graph.output + 1]:
        if counts[node.id]:
            for position, arg in enumerate(node.args):
                uses.setdefault(arg, []).append((node.id, position))
    return uses


def iter_paths(graph: Graph, start: int, counts: list[int] | None = None, uses: dict | None = None):
    """Each path from ``start`` to the output, lazily, as a tuple of edges (consumer, position).

    A depth-first walk with an explicit stack that only enters nodes with a path to the output,
    so every step leads to a path: taking the first k paths costs k × (path length), never more.
    """
    if counts is None:
        counts = count_paths(graph).counts
    if not counts[start]:
        return
    if uses is None:
        uses = path_uses(graph, counts)
    output = graph.output
    path: list[tuple[int, int]] = []
    stack = [(start, 0)]  # (node, index of the next use to try)
    while stack:
        node, index = stack[-1]
        if node == output:
            yield tuple(path)
            stack.pop()
            if path:
                path.pop()
            continue
        out = uses.get(node, ())
        if index >= len(out):
            stack.pop()
            if path:
                path.pop()
            continue
        stack[-1] = (node, index + 1)
        consumer, position = out[index]
        path.append((consumer, position))
        stack.append((consumer, 0))


def path_product(partials, path) -> float:
    """The product of the local derivatives along a path (a zero factor wins)."""
    product = 1.0
    for consumer, position in path:
        product = _times(product, partials[consumer][position])
    return product


@dataclass(frozen=True)
class PathsOf:
    """The paths from one input to the output: the exact count and the first ones listed."""

    input: int
    count: int  # every path, counted exactly
    listed: list[tuple[tuple[int, int], ...]]  # the first ``limit`` paths, as edges (consumer, position)
    products: list[float]  # each listed path's product of local derivatives
    multiplications: int  # to form every path's product separately
    left_out: int  # count − len(listed)


def paths_of(graph: Graph, partials, start: int, limit: int = 50, counted: PathCount | None = None,
             uses: dict | None = None) -> PathsOf:
    """Count the paths from ``start`` exactly, and list at most ``limit`` of them (``counted`` and
    ``uses`` may be shared between inputs, so each input costs only its listed paths)."""
    import itertools

    counted = counted or count_paths(graph)
    listed = list(itertools.islice(iter_paths(graph, start, counted.counts, uses), max(0, limit)))
    return PathsOf(start, counted.counts[start], listed, [path_product(partials, p) for p in listed],
                   counted.products(start), counted.counts[start] - len(listed))
