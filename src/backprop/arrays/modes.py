"""--mode forward and --cost for array programs.

Forward mode seeds one input *element* per sweep (a one-hot tangent of the input's shape) and
carries every node's tangent — an array of the node's shape — to the output: one sweep per
input element, where reverse mode's one backward sweep gives every element's gradient. Each
operation's tangent is its local Jacobian times its operands' tangents; the Jacobians are
built from the operations' own vector-Jacobian products (one per output element, the same
rules backward uses), so both modes multiply the very same numbers.

``array_cost`` counts, from the shapes alone, the multiply-adds of local derivatives each mode
does: one per nonzero of each operation's local Jacobian (the edges of the scalar graph that
--expand writes), once in reverse mode and once per input element in forward mode.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import RenderError
from ..modes import MAX_SWEEPS_SHOWN
from .graph import CONST, INPUT
from .ops_array import ELEMENTWISE, operation
from .shapes import broadcast_axes

MAX_JACOBIAN_ENTRIES = 4_000_000  # dense local Jacobians forward mode may hold (32 MB of float64)
# Multiply-adds (dense Jacobian entries times tangents) the sweeps of one derivation may spend. NumPy does
# them at a few hundred million a second (benchmarks/arrays_modes.py: 5 million in 10 ms with the Jacobians),
# so this keeps forward mode to about a second; the scalar budget (modes.WORK_BUDGET) counts Python steps.
WORK_BUDGET = 300_000_000


def _size(shape: tuple) -> int:
    return int(np.prod(shape, dtype=np.int64)) if shape else 1


def _live(graph) -> list[bool]:
    """Nodes that depend on an input and lead to the output (their gradient is not None)."""
    varies = [False] * len(graph.nodes)
    for node in graph.nodes:
        varies[node.id] = node.op == INPUT or any(varies[a] for a in node.args)
    reaches = [False] * len(graph.nodes)
    reaches[graph.output] = True
    for node in reversed(graph.nodes):
        if reaches[node.id]:
            for arg in node.args:
                reaches[arg] = True
    return [v and r for v, r in zip(varies, reaches)]


def _edges(graph, node, position: int) -> int:
    """Nonzeros of ∂node/∂operand (structural): the scalar graph's edges from the operand's elements."""
    out, operand = _size(node.shape), _size(graph.nodes[node.args[position]].shape)
    op = node.op
    if op in ELEMENTWISE or op in ("transpose", "index"):
        return out  # each output element reads one element of the operand
    if op == "matmul":
        return out * graph.nodes[node.args[0]].shape[-1]  # each output element is a dot product of length k
    if op in ("sum", "mean", "stack", "logsumexp", "cross_entropy"):
        return operand  # each operand element feeds one output element
    if op in ("softmax", "log_softmax"):
        shape = graph.nodes[node.args[position]].shape
        return operand * (shape[-1] if shape else 1)  # every element of a row feeds every element of it
    return out * operand


def array_cost(result, wrt=None) -> dict:
    """Sweeps and multiply-adds of each mode, counted from the shapes, with each operation's share;
    forward mode sweeps once per element of the inputs ``wrt`` keeps (or all)."""
    graph = result.graph
    live = _live(graph)
    per_operation = []
    edges = 0
    for node in graph.nodes:
        if node.op in (INPUT, CONST) or not live[node.id]:
            continue
        site = graph.site(node)
        rules = operation(node.op)
        count = sum(_edges(graph, node, p) for p, arg in enumerate(node.args)
                    if live[arg] and rules.differentiable(site, p))
        edges += count
        per_operation.append({"node": node.name, "operation": rules.show(site), "edges": count})
    inputs = [graph.nodes[i] for i in graph.inputs if wrt is None or i in wrt]
    elements = sum(_size(node.shape) for node in inputs)
    return {"inputs": elements, "arrays": len(inputs), "edges": edges,
            "forward": {"sweeps": elements, "multiplications": elements * edges},
            "reverse": {"sweeps": 1, "multiplications": edges},
            "operations": per_operation}


# --- forward mode -------------------------------------------------------------------------------------

@dataclass
class ArraySweep:
    input: int  # the seeded input's node id
    index: tuple  # the seeded element
    tangents: dict  # node id → tangent array (nodes the seed reaches)
    gradient: float  # the output's tangent: ∂L/∂input[index]


@dataclass
class ArrayForwardMode:
    sweeps: list  # the first MAX_SWEEPS_SHOWN, with every tangent
    gradients: dict = field(default_factory=dict)  # input name → array assembled from the sweeps run
    run: int = 0
    total: int = 0
    budget_hit: bool = False
    work: int = 0


def _unbroadcast(array, shape: tuple):
    if array.shape == shape:
        return array
    leading, stretched = broadcast_axes(shape, array.shape)
    return array.sum(axis=leading + stretched, keepdims=True).reshape(shape)


def local_jacobians(result) -> dict:
    """(node id, position) → the dense Jacobian (node elements × operand elements), from the vjp rules."""
    graph, values = result.graph, result.values
    live = _live(graph)
    entries = sum(_size(n.shape) * _size(graph.nodes[a].shape) for n in graph.nodes if live[n.id]
                  for a in n.args if live[a])
    if entries > MAX_JACOBIAN_ENTRIES:
        raise RenderError(f"--mode forward on arrays builds each operation's local Jacobian, and this program's "
                          f"would have {entries:,} entries, more than the limit of {MAX_JACOBIAN_ENTRIES:,}: use "
                          f"smaller shapes, or --cost for the sweeps and operations of each mode")
    jacobians = {}
    for node in graph.nodes:
        if node.op in (INPUT, CONST) or not live[node.id]:
            continue
        site = graph.site(node)
        rules = operation(node.op)
        operands = [values[a] for a in node.args]
        out = values[node.id]
        for position, arg in enumerate(node.args):
            if not live[arg] or not rules.differentiable(site, position):
                continue
            shape = graph.nodes[arg].shape
            rows = np.zeros((_size(node.shape), _size(shape)))
            for k in range(rows.shape[0]):
                seed = np.zeros(_size(node.shape))
                seed[k] = 1.0
                with np.errstate(all="ignore"):
                    row = rules.vjp(site, position, seed.reshape(node.shape), operands, out)
                rows[k] = _unbroadcast(np.asarray(row, dtype=float), shape).ravel()
            jacobians[(node.id, position)] = rows
    return jacobians


def forward_mode(result, *, shown: int = MAX_SWEEPS_SHOWN, budget: int | None = WORK_BUDGET,
                 wrt=None) -> ArrayForwardMode:
    """One tangent sweep per input element (of the inputs ``wrt`` keeps, or all), while the multiply-adds
    stay within ``budget``."""
    graph = result.graph
    jacobians = local_jacobians(result)
    chosen = [i for i in graph.inputs if wrt is None or i in wrt]
    seeds = [(i, index) for i in chosen for index in np.ndindex(graph.nodes[i].shape)]
    mode = ArrayForwardMode([], {graph.nodes[i].name: np.full(graph.nodes[i].shape, np.nan) for i in chosen},
                            total=len(seeds))
    for number, (input_id, index) in enumerate(seeds):
        if budget is not None and mode.work > budget:
            mode.budget_hit = True
            break
        tangents = {input_id: np.zeros(graph.nodes[input_id].shape)}
        tangents[input_id][index] = 1.0
        for node in graph.nodes[input_id + 1:]:
            total = None
            for position, arg in enumerate(node.args):
                matrix = jacobians.get((node.id, position))
                if matrix is None or arg not in tangents:
                    continue
                mode.work += matrix.size
                part = matrix @ tangents[arg].ravel()
                total = part if total is None else total + part
            if total is not None:
                tangents[node.id] = total.reshape(node.shape)
        gradient = float(tangents[graph.output]) if graph.output in tangents else 0.0
        mode.gradients[graph.nodes[input_id].name][index] = gradient
        mode.run = number + 1
        if number < shown:
            mode.sweeps.append(ArraySweep(input_id, index, tangents, gradient))
    return mode
