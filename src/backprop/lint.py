"""Evaluated graph → lint findings: where the gradient flow is in trouble, with the node's source span.

The checks read the values, local partials and gradients the passes already computed (they
redo no maths), each in one loop over the graph:

- saturated: a tanh or sigmoid whose local derivative is below ``SATURATED`` (1e-3), so the
  gradient behind it is scaled down by that much (Karpathy's "saturated sigmoid").
- dead-relu: a relu whose input is ≤ 0: its local derivative is 0, so nothing flows back to
  anything behind it.
- vanishing / exploding: an input whose gradient is tiny or huge while its dominant path (the
  path whose product of local derivatives is largest in size, found by dynamic programming
  in log space) is long: the repeated factors are shown (Karpathy's exploding recurrence).
- exp-overflow: exp of more than 88.72 overflows in float32 (PyTorch's default type); we
  compute in float64, which overflows above 709.78.
- zero-gradient: an input whose gradient is exactly 0, with the reason: it does not feed the
  output, a zero local derivative blocks every path, or its paths cancel.

Constants-only programs get the checks that concern values (exp overflow); the gradient checks
have nothing to look at. Every walk is a loop: graphs can be 10^5 deep.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from .errors import Span
from .graph import CONST, INPUT, Graph
from .numfmt import count_words, format_number
from .steps import depends_on_inputs, reaches_output

SATURATED = 1e-3  # a tanh/sigmoid local derivative below this is saturated
SATURATING = ("tanh", "sigmoid")  # the squashing functions whose tails flatten (lint's own list)
LONG_PATH = 8  # edges: a dominant path at least this long is a "long product"
VANISHING = 1e-6  # an input gradient below this in size, along a long product, vanishes
EXPLODING = 1e6  # ... above this, explodes
UNDERFLOW = math.log(5e-324)  # a product smaller than the smallest float is 0
FLOAT32_EXP_LIMIT = math.log(3.4028234663852886e38)  # 88.72: exp overflows float32 above it
FLOAT64_EXP_LIMIT = math.log(1.7976931348623157e308)  # 709.78
MAX_PER_KIND = 20  # findings listed per kind; the rest are counted in one closing finding (10^4 dead relus…)
KINDS = ("saturated", "dead-relu", "vanishing", "exploding", "exp-overflow", "zero-gradient")


@dataclass(frozen=True)
class Finding:
    """One lint warning, pointing at a node (and its source span)."""

    kind: str  # one of KINDS
    node: int
    message: str
    span: Span | None
    path: tuple[int, ...] = ()  # vanishing/exploding: the node ids from the input to the output
    factors: tuple[float, ...] = ()  # ... and the local derivative on each edge of that path
    behind: tuple[str, ...] = field(default=())  # dead-relu/saturated: the inputs it starves


def lint(result) -> list[Finding]:
    """Every finding of an evaluated result, grouped by kind (in KINDS order), in graph order within each."""
    graph, values, partials, grads = result.graph, result.values, result.partials, result.grads
    varies = depends_on_inputs(graph)
    reaches = reaches_output(graph)
    findings: list[Finding] = []
    name = _namer(graph, values)
    seen = dict.fromkeys(KINDS, 0)
    more = dict.fromkeys(KINDS, 0)  # findings past MAX_PER_KIND, by kind: counted, not described

    def listed(kind: str) -> bool:
        seen[kind] += 1
        if seen[kind] > MAX_PER_KIND:
            more[kind] += 1
            return False
        return True

    for node in graph.nodes:
        if not node.args:
            continue
        x = node.args[0]
        live = varies[x] and reaches[node.id]
        if node.op in SATURATING and live and partials[node.id] is not None:
            local = partials[node.id][0]
            if abs(local) < SATURATED and listed("saturated"):
                behind = _inputs_behind(graph, x)
                findings.append(Finding(
                    "saturated", node.id,
                    f"{node.op}({name(x)}) is saturated: its input is {format_number(values[x])}, so its local "
                    f"derivative is {format_number(local)} (below {SATURATED:g}) and the gradient flowing back to "
                    f"{_words(behind)} is scaled down by that much",
                    node.span, behind=behind))
        elif node.op == "relu" and live and values[x] <= 0 and listed("dead-relu"):
            behind = _inputs_behind(graph, x)
            findings.append(Finding(
                "dead-relu", node.id,
                f"relu({name(x)}) is dead: its input is {format_number(values[x])} ≤ 0, so its local derivative "
                f"is 0 and no gradient flows back through it to {_words(behind)}",
                node.span, behind=behind))
        elif node.op == "exp" and values[x] > FLOAT32_EXP_LIMIT and listed("exp-overflow"):
            findings.append(Finding(
                "exp-overflow", node.id,
                f"exp({name(x)}) risks overflow: its input is {format_number(values[x])}, above "
                f"{FLOAT32_EXP_LIMIT:.2f} where exp overflows float32 (PyTorch's default); float64 overflows above "
                f"{FLOAT64_EXP_LIMIT:.2f}. Subtract the largest input first (the log-sum-exp trick) or use a "
                f"stable form (softplus, sigmoid)",
                node.span))
    findings += _long_products(graph, partials, grads, reaches, name, more)
    flagged = {f.node for f in findings if f.kind == "vanishing"}
    findings += _zero_gradients(graph, partials, grads, reaches, flagged, name, more)
    for kind in KINDS:
        if more[kind]:
            findings.append(Finding(kind, graph.output, f"and {more[kind]:,} more of this kind, not listed: at most "
                                                        f"{MAX_PER_KIND} findings of a kind are", None))
    return sorted(findings, key=lambda f: KINDS.index(f.kind))  # stable: graph order within a kind


def _namer(graph: Graph, values):
    """A node's words in a finding: a literal's number, a name the user wrote, or an unnamed
    intermediate's expression (shortened: a generated program's can be huge)."""
    def name(node_id: int) -> str:
        node = graph.nodes[node_id]
        if node.op == CONST and not node.named:
            return format_number(values[node_id])
        if node.op == INPUT or node.named:
            return node.name
        return _short(graph.expression(node_id))
    return name


def _short(text: str) -> str:
    """An expression quoted in a finding: a generated program's can be huge."""
    return text if len(text) <= 60 else text[:40] + "…" + text[-15:]


def _inputs_behind(graph: Graph, start: int) -> tuple[str, ...]:
    """The inputs that feed ``start`` (an explicit stack: no recursion on deep graphs)."""
    seen = {start}
    stack = [start]
    found = []
    while stack:
        node = graph.nodes[stack.pop()]
        if node.op == INPUT:
            found.append(node.id)
        for arg in node.args:
            if arg not in seen:
                seen.add(arg)
                stack.append(arg)
    return tuple(graph.nodes[i].name for i in sorted(found))


def _words(names: tuple[str, ...]) -> str:
    if not names:
        return "nothing (only constants are behind it)"
    if len(names) > 6:
        return ", ".join(names[:6]) + f" and {len(names) - 6} more inputs"
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def dominant_paths(graph: Graph, partials, reaches) -> tuple[list[float], list[tuple[int, int] | None]]:
    """For each node, log|product| of its largest-in-size path to the output and that path's first edge.

    One loop in reverse topological order: best[node] = max over its uses (consumer, position)
    of log|∂consumer/∂node| + best[consumer]. A zero factor is log 0 = -inf; nan is skipped.
    """
    nodes = graph.nodes
    best = [-math.inf] * len(nodes)
    step: list[tuple[int, int] | None] = [None] * len(nodes)
    best[graph.output] = 0.0
    for node in reversed(nodes[: graph.output + 1]):
        if not node.args or (step[node.id] is None and node.id != graph.output):
            continue  # a leaf, or a node with no path to the output
        here = best[node.id]
        local = partials[node.id]
        for position, arg in enumerate(node.args):
            factor = local[position]
            if factor != factor:  # nan: no size to compare
                continue
            size = -math.inf if factor == 0.0 else (math.log(abs(factor)) if math.isfinite(factor) else math.inf)
            total = size + here
            if step[arg] is None or total > best[arg]:
                best[arg] = total
                step[arg] = (node.id, position)
    return best, step


def longest_paths(graph: Graph, reaches) -> list[tuple[int, int] | None]:
    """For each node, the first edge of its longest path (most edges) to the output: one loop."""
    nodes = graph.nodes
    length = [-1] * len(nodes)
    step: list[tuple[int, int] | None] = [None] * len(nodes)
    length[graph.output] = 0
    for node in reversed(nodes[: graph.output + 1]):
        if not node.args or length[node.id] < 0:
            continue
        for position, arg in enumerate(node.args):
            if length[node.id] + 1 > length[arg]:
                length[arg] = length[node.id] + 1
                step[arg] = (node.id, position)
    return step


def _follow(graph: Graph, partials, start: int, step) -> tuple[tuple[int, ...], tuple[float, ...]]:
    path, factors = [start], []
    node = start
    while node != graph.output and step[node] is not None:
        consumer, position = step[node]
        factors.append(partials[consumer][position])
        path.append(consumer)
        node = consumer
    return tuple(path), tuple(factors)


def _long_products(graph: Graph, partials, grads, reaches, name, more: dict) -> list[Finding]:
    """Inputs whose gradient vanishes or explodes while their dominant path is a long product."""
    candidates = [i for i in graph.inputs if reaches[i] and i != graph.output
                  and (abs(grads[i]) < VANISHING or abs(grads[i]) > EXPLODING)]
    if not candidates:
        return []
    found = []
    best, step = dominant_paths(graph, partials, reaches)
    from .modes import count_paths

    counts = count_paths(graph).counts
    longest_step = None
    for i in candidates:
        if grads[i] == 0.0 and not -math.inf < best[i] < UNDERFLOW:
            continue  # exactly 0 for another reason (a zero factor, cancelling paths): a zero-gradient finding
        path, factors = _follow(graph, partials, i, step)
        which = "largest"
        if len(factors) < LONG_PATH:
            which = "longest"
            # A short dominant path can carry a long product in its value (w × h₉ in a recurrence, with
            # h₉ = w⁹x): show the longest path instead when its own product is as extreme.
            longest = longest_step if longest_step is not None else longest_paths(graph, reaches)
            longest_step = longest
            path, factors = _follow(graph, partials, i, longest)
            if len(factors) < LONG_PATH or not _extreme(math.prod(factors), grads[i]):
                continue
        gradient = grads[i]
        kind = "vanishing" if abs(gradient) < VANISHING else "exploding"
        product = 1.0
        for factor in factors:
            product *= factor
        sizes = [abs(f) for f in factors if f != 0.0 and math.isfinite(f)]
        mean = math.exp(sum(math.log(s) for s in sizes) / len(sizes)) if sizes else 0.0
        if sum(f.kind == kind for f in found) >= MAX_PER_KIND:
            more[kind] += 1
            continue
        verb = "explodes" if kind == "exploding" else "vanishes" if gradient else "vanishes to exactly 0 (underflow)"
        path_words = (f"{_paths_words(counts[i], which)} to {graph.output_name} is a product of {len(factors)} local "
                      f"derivatives, about {format_number(mean, 3)} each in size")
        if _explains(product, gradient):
            word = "shrinks" if kind == "vanishing" else "grows"
            why = f"{path_words}, so it {word} geometrically: {_factors(factors)} = {format_number(product)}"
        else:
            # The largest path is moderate beside the gradient: its size comes from how many paths there are
            # (x₁ = x₀ × x₀, …: 2^69 paths of product 1), or, when it is tiny, from paths that nearly cancel.
            does_not = "vanish" if kind == "vanishing" else "explode"
            why = f"{path_words}: {_factors(factors)} = {format_number(product)}, which does not {does_not}"
            if kind == "exploding":
                why += (f". The gradient sums all {_count_words(counts[i])} paths, each contributing at most "
                        f"{format_number(abs(product))} in size: it is the number of paths that explodes")
            else:
                why += f". The gradient sums its {_count_words(counts[i])} paths, and their contributions nearly cancel"
        found.append(Finding(
            kind, i,
            f"the gradient of {graph.nodes[i].name} {verb}: "
            f"∂{graph.output_name}/∂{graph.nodes[i].name} = {format_number(gradient)}. {why}",
            graph.nodes[i].span, path=path, factors=factors))
    return found


def _extreme(product: float, gradient: float) -> bool:
    """Whether a path's product is itself as extreme as the gradient (huge, or tiny)."""
    return abs(product) > EXPLODING if abs(gradient) > EXPLODING else abs(product) < VANISHING


def _explains(product: float, gradient: float) -> bool:
    """Whether a path's product makes at least half the gradient's orders of magnitude (2.5¹⁵ of an
    RNN's 1.5e7 does; the 1 of each of 2^69 paths does not): then the product is the story."""
    size, target = abs(product), abs(gradient)
    if target > 1:
        return size > 1 and math.log(size) >= 0.5 * math.log(target)
    if size == 0.0 or target == 0.0:  # underflow: a product that reached 0, or nearly, is the story
        return size < VANISHING
    return size < 1 and math.log(size) <= 0.5 * math.log(target)


def _count_words(count: int) -> str:
    """A count of paths, with its power of two when it is one (x₁ = x₀ × x₀, …: 2^69 paths)."""
    if count >= 1 << 10 and count & (count - 1) == 0:
        return f"{count_words(count)} (2^{count.bit_length() - 1})"
    return count_words(count)


def _paths_words(count: int, which: str) -> str:
    return "Its one path" if count == 1 else f"The {which} of its {count_words(count)} paths"


def _factors(factors: tuple[float, ...], shown: int = 6) -> str:
    """The factors of a product, the middle elided when there are many."""
    def one(f: float) -> str:
        t = format_number(f, 4)
        return f"({t})" if t.startswith("-") else t

    if len(factors) > 2 * shown:  # format only what is shown: a 10^5-edge path has 10^5 factors
        return " × ".join([one(f) for f in factors[:shown]] + [f"… ({len(factors) - 2 * shown} more)"]
                          + [one(f) for f in factors[-shown:]])
    return " × ".join(one(f) for f in factors)


def _zero_gradients(graph: Graph, partials, grads, reaches, flagged, name, more: dict) -> list[Finding]:
    """Inputs whose gradient is exactly 0, with why."""
    found = []
    zero = [i for i in graph.inputs if grads[i] == 0.0 and i != graph.output and i not in flagged]
    more["zero-gradient"] += max(0, len(zero) - MAX_PER_KIND)
    zero = zero[:MAX_PER_KIND]
    if not zero:
        return found
    for i in zero:
        input_name = graph.nodes[i].name
        if not reaches[i]:
            why = f"{input_name} does not feed into {graph.output_name}"
        else:
            blocks = _zero_factors(graph, partials, reaches, i, name)
            if blocks:
                why = "a local derivative of exactly 0 blocks its paths: " + "; ".join(blocks[:4]) \
                      + (f" (and {len(blocks) - 4} more)" if len(blocks) > 4 else "")
            else:
                why = "the products along its paths to the output cancel out"
        found.append(Finding("zero-gradient", i,
                             f"the gradient of {input_name} is exactly 0: {why}", graph.nodes[i].span))
    return found


def _zero_factors(graph: Graph, partials, reaches, start: int, name) -> list[str]:
    """'∂a/∂b = 0 at a = relu(b)' for each zero local derivative on a path from ``start`` to the output."""
    fed = [False] * len(graph.nodes)
    fed[start] = True
    blocks = []
    for node in graph.nodes[start + 1: graph.output + 1]:
        if not node.args or not reaches[node.id]:
            continue
        for position, arg in enumerate(node.args):
            if fed[arg]:
                fed[node.id] = True
                if partials[node.id][position] == 0.0:
                    where = name(node.id)
                    if node.named:
                        where = f"{node.name} = {_short(graph.expression(node.id))}"
                    blocks.append(f"{where} passes nothing back to {name(arg)} (its local derivative is 0)")
    return blocks
