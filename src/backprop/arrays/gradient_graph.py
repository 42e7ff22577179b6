"""The backward pass of an array program as a graph of array operations.

``ArrayBuilder`` emits nodes (matmul, transpose, elementwise, sums over axes, …), each
(op, operands, params) once. ``adjoint`` walks the program's graph in reverse exactly as
``engine.backward`` does, but where the engine calls each operation's ``vjp`` on numbers it
calls the same entry's ``adjoint`` (ops_array.py), which emits the product as nodes; undoing
broadcasting is an ``unbroadcast`` node, and a node used several times sums its uses with
``add`` in the engine's order. So the graph built with ``simplify="exact"`` evaluates to
exactly the engine's gradients (tests check it), and the one built with ``"algebra"``
(constants folded, × 1, + 0, double negation and (Aᵀ)ᵀ dropped, scalar factors pulled in
front of products) is the readable formula ``--symbolic`` prints.

Gradient-only operations: ``outer`` (u vᵀ), ``spread`` (a reduced gradient copied back along
the reduced axis), ``unbroadcast`` (sum over the axes broadcasting added), ``onehot``,
``scatter`` (an index's gradient put back in zeros) and ``sum`` with ``keepdims``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import BackpropError
from .graph import CONST, INPUT, ArrayGraph
from .ops_array import ELEMENTWISE, NUMPY_FORWARD, _masked_product, log_softmax, logsumexp, operation, softmax
from .shapes import broadcast, broadcast_axes

MAX_REWRITE_DEPTH = 40  # nested rewrites of one emit (each is a few levels; a cycle would be endless)
MAX_GRADIENT_NODES = 200_000  # a gradient graph bigger than this is not built (its formulas say so)


@dataclass(eq=False)
class GNode:
    id: int
    op: str
    args: tuple
    params: dict
    shape: tuple
    name: str | None = None
    named: bool = False  # a name the program gave (or an input's)
    value: object = None  # a constant's value
    source: int | None = None  # the program graph's node this copies (None: made by the transform)


class GradientTooLarge(BackpropError):
    pass


def _params_key(params: dict):
    return tuple(sorted((k, repr(v)) for k, v in params.items()))


class ArrayBuilder:
    """Nodes of a gradient graph in topological order; each (op, operands, params) is made once."""

    def __init__(self, simplify: str = "exact"):
        if simplify not in ("exact", "algebra"):
            raise ValueError(f"unknown simplification {simplify!r}")
        self.simplify = simplify
        self.nodes: list[GNode] = []
        self._made: dict = {}
        self._depth = 0

    def __len__(self) -> int:
        return len(self.nodes)

    def _append(self, op, args, params, shape, **fields) -> int:
        if len(self.nodes) >= MAX_GRADIENT_NODES:
            raise GradientTooLarge(f"the gradient graph would have more than {MAX_GRADIENT_NODES:,} nodes")
        node = GNode(len(self.nodes), op, tuple(args), dict(params), tuple(shape), **fields)
        self.nodes.append(node)
        return node.id

    def shape(self, node_id: int) -> tuple:
        return self.nodes[node_id].shape

    # --- leaves and copies
    def copy_graph(self, graph: ArrayGraph) -> list[int]:
        """The program's nodes, as they are: mapping[program node id] → builder id."""
        mapping: list[int] = []
        for node in graph.nodes:
            args = tuple(mapping[a] for a in node.args)
            new = self._append(node.op, args, node.params, node.shape, name=node.name, named=node.named,
                               value=node.value, source=node.id)
            if node.op == CONST:
                self._made.setdefault(self._const_key(node.value), new)
            elif node.op != INPUT:
                self._made.setdefault((node.op, args, _params_key(node.params)), new)
            mapping.append(new)
        return mapping

    @staticmethod
    def _const_key(value):
        value = np.asarray(value, dtype=float)
        if value.size > 64:
            return None
        return (CONST, value.shape, value.tobytes())

    def const(self, value) -> int:
        value = np.asarray(value, dtype=float)
        key = self._const_key(value)
        found = self._made.get(key) if key is not None else None
        if found is None:
            found = self._append(CONST, (), {}, value.shape, value=value)
            if key is not None:
                self._made[key] = found
        return found

    def constant_value(self, node_id: int):
        node = self.nodes[node_id]
        return node.value if node.op == CONST else None

    def uniform(self, node_id: int) -> float | None:
        """The one value of a constant whose elements are all equal (None otherwise)."""
        value = self.constant_value(node_id)
        if value is None or value.size == 0:
            return None
        first = float(value.flat[0])
        return first if value.ndim == 0 or bool(np.all(value == first)) else None

    # --- emitting
    def emit(self, op: str, args, **params) -> int:
        args = tuple(args)
        shape = infer_shape(op, [self.nodes[a].shape for a in args], params)
        if self._depth < MAX_REWRITE_DEPTH:  # rewrites emit rewrites; a bound makes sure they end
            self._depth += 1
            try:
                simpler = _simplify(self, op, args, params, shape)
            finally:
                self._depth -= 1
            if simpler is not None and self.nodes[simpler].shape == shape:
                return simpler
        key = (op, args, _params_key(params))
        found = self._made.get(key)
        if found is None:
            found = self._made[key] = self._append(op, args, params, shape)
        return found


# --- shapes and values of every operation a gradient graph holds ------------------------------

def infer_shape(op: str, shapes: list, params: dict) -> tuple:
    if op in ELEMENTWISE:
        return shapes[0] if len(shapes) == 1 else broadcast(*shapes)
    if op == "matmul":
        return shapes[0][:-1] + shapes[1][1:]
    if op == "outer":
        return shapes[0] + shapes[1]
    if op == "transpose":
        return tuple(reversed(shapes[0]))
    if op in ("spread", "unbroadcast", "onehot", "scatter"):
        return tuple(params["shape"])
    if op in ("sum", "mean"):
        axis = params.get("axis")
        if axis is None:
            return ()
        axis %= len(shapes[0])
        if params.get("keepdims"):
            return shapes[0][:axis] + (1,) + shapes[0][axis + 1:]
        return shapes[0][:axis] + shapes[0][axis + 1:]
    if op in ("softmax", "log_softmax"):
        return shapes[0]
    if op == "logsumexp":
        return shapes[0][:-1]
    if op == "index":
        return np.empty(shapes[0])[params["key"]].shape
    if op == "cross_entropy":
        return ()
    raise KeyError(op)


def apply(op: str, params: dict, values: list):
    """One node's value from its operands' (the engine's NumPy calls, in the engine's order)."""
    if op == "mul":
        return _masked_product(*values)
    if op in ELEMENTWISE:
        with np.errstate(all="ignore"):
            return NUMPY_FORWARD[op](*values)
    if op == "matmul":
        return values[0] @ values[1]
    if op == "outer":
        return np.outer(values[0], values[1])
    if op == "transpose":
        return values[0].T
    if op == "spread":
        g, axis = values[0], params.get("axis")
        return np.broadcast_to(g if axis is None else np.expand_dims(g, axis), params["shape"])
    if op == "unbroadcast":
        return values[0].sum(axis=tuple(params["axes"]), keepdims=True).reshape(params["shape"])
    if op == "sum" and params.get("keepdims"):
        return np.sum(values[0], axis=params["axis"], keepdims=True)
    if op == "softmax":
        return softmax(values[0])
    if op == "log_softmax":
        return log_softmax(values[0])
    if op == "logsumexp":
        return logsumexp(values[0])
    if op == "onehot":
        from .ops_array import _onehot, class_targets

        z = np.zeros(params["shape"])
        return _onehot(z, class_targets(z, values[0]))
    if op == "scatter":
        grad = np.zeros(params["shape"])
        grad[params["key"]] = values[0]
        return grad
    if op == "index":
        return np.array(values[0][params["key"]], dtype=float)
    from .ops_array import Site

    site = Site(op, tuple("" for _ in values), tuple(np.shape(v) for v in values), params, None)
    return operation(op).forward(site, *values)


def evaluate(nodes: list[GNode], known: list | None = None) -> list:
    """Every node's value; a copied program node takes its value from ``known`` (the engine's)."""
    values: list = [None] * len(nodes)
    for node in nodes:
        if node.source is not None and known is not None:
            values[node.id] = known[node.source]
        elif node.op == CONST:
            values[node.id] = node.value
        else:
            with np.errstate(all="ignore"):
                values[node.id] = np.asarray(apply(node.op, node.params, [values[a] for a in node.args]),
                                             dtype=float)
    return values


# --- simplification ---------------------------------------------------------------------------

_FOLDABLE = ELEMENTWISE | {"matmul", "outer", "transpose", "spread", "unbroadcast", "sum", "softmax",
                           "log_softmax", "logsumexp", "index", "scatter"}


def _simplify(b: ArrayBuilder, op: str, args: tuple, params: dict, shape: tuple) -> int | None:
    """A node that computes the same: exact rewrites always, equal-valued ones with "algebra"."""
    nodes = b.nodes
    u = [b.uniform(a) for a in args]
    if op == "mul":
        for mine, other in ((0, 1), (1, 0)):
            if u[mine] == 1.0 and nodes[args[other]].shape == shape:
                return args[other]  # x × 1 = x, bit for bit
            if u[mine] == -1.0 and nodes[args[other]].shape == shape:
                return b.emit("neg", (args[other],))
    if op == "div" and u[1] == 1.0 and nodes[args[0]].shape == shape:
        return args[0]  # x / 1 = x, bit for bit
    if op in ELEMENTWISE and args and all(nodes[a].shape == () and b.constant_value(a) is not None for a in args):
        value = np.asarray(apply(op, params, [b.constant_value(a) for a in args]), dtype=float)
        if np.isfinite(value):  # numbers of a rule (2 - 1): NumPy's own result, as the engine computes it
            return b.const(value)
    if b.simplify != "algebra":
        return None
    if args and op in _FOLDABLE and all(b.constant_value(a) is not None for a in args):
        value = np.asarray(apply(op, params, [b.constant_value(a) for a in args]), dtype=float)
        if np.all(np.isfinite(value)) and value.size <= 10_000_000:
            return b.const(np.array(value))
    if op in ELEMENTWISE and len(args) == 2:  # an array of one repeated number: the number, broadcast
        for mine, other in ((0, 1), (1, 0)):
            if u[mine] is not None and nodes[args[mine]].shape != () and nodes[args[other]].shape == shape:
                plain = list(args)
                plain[mine] = b.const(u[mine])
                return b.emit(op, tuple(plain), **params)
    if op in ELEMENTWISE and len(args) == 2:  # a gradient spread from a number: broadcasting does it
        spread = [a for a in args if nodes[a].op == "spread" and nodes[a].params.get("axis") is None]
        if spread:
            other = args[1] if args[0] == spread[0] else args[0]
            if nodes[other].shape == shape:
                plain = tuple(nodes[a].args[0] if a == spread[0] else a for a in args)
                return b.emit(op, plain, **params)
    x = args[0] if args else None
    y = args[1] if len(args) > 1 else None
    if op == "mul":
        if 0.0 in u:
            return b.const(np.zeros(shape))
        if _number(b, y) is not None and _number(b, x) is None:
            return b.emit("mul", (y, x))  # a number's factor in front: 2 x
        c = _number(b, x)
        inner = nodes[y]
        if c is not None:
            if inner.op == "mul" and _number(b, inner.args[0]) is not None:
                return b.emit("mul", (b.const(c * _number(b, inner.args[0])), inner.args[1]))
            if inner.op == "neg":
                return b.emit("mul", (b.const(-c), inner.args[0]))
            if inner.op == "div" and inner.shape == () and _number(b, inner.args[0]) is not None:
                return b.emit("div", (b.const(c * _number(b, inner.args[0])), inner.args[1]))  # 2 × 1/n = 2/n
            if inner.op == "mul" and inner.args[0] != y and _is_reciprocal(b, inner.args[0]):
                scaled = b.emit("mul", (x, inner.args[0]))
                return b.emit("mul", (scaled, inner.args[1]))
        else:
            for mine, other in ((x, y), (y, x)):  # numbers move to the front of a product
                factor = nodes[mine]
                if factor.op == "mul" and _number(b, factor.args[0]) is not None:
                    rest = factor.args[1]
                    return b.emit("mul", (factor.args[0], b.emit("mul", (rest, other) if mine == x else (other, rest))))
            if nodes[x].op == "neg" and nodes[y].op == "neg":
                return b.emit("mul", (nodes[x].args[0], nodes[y].args[0]))
            if nodes[x].op == "neg" or nodes[y].op == "neg":
                plain = tuple(nodes[a].args[0] if nodes[a].op == "neg" else a for a in args)
                return b.emit("neg", (b.emit("mul", plain),))
    if op == "add":
        if u[0] == 0.0:
            return y
        if u[1] == 0.0:
            return x
        if x == y:
            return b.emit("mul", (b.const(2.0), x))
        collected = _collect(b, x, y)
        if collected is not None:
            return collected
        if nodes[y].op == "neg":
            return b.emit("sub", (x, nodes[y].args[0]))
        if nodes[x].op == "neg":
            return b.emit("sub", (y, nodes[x].args[0]))
    if op in ("add", "sub") and _coefficient(b, y) is not None and (_number(b, nodes[y].args[0]) or 0) < 0:
        flipped = b.emit("mul", (b.const(-_number(b, nodes[y].args[0])), nodes[y].args[1]))
        return b.emit("sub" if op == "add" else "add", (x, flipped))  # x - (-0.5) t is x + 0.5 t
    if op == "sub":
        if u[1] == 0.0:
            return x
        if u[0] == 0.0:
            return b.emit("neg", (y,))
        if nodes[y].op == "neg":
            return b.emit("add", (x, nodes[y].args[0]))
        if nodes[x].op == "neg":
            return b.emit("neg", (b.emit("add", (nodes[x].args[0], y)),))
    if op == "neg":
        if nodes[x].op == "neg":
            return nodes[x].args[0]
        if nodes[x].op == "sub":
            return b.emit("sub", tuple(reversed(nodes[x].args)))
    if op == "div" and u[1] == 1.0:
        return x
    if op == "div" and nodes[x].op == "mul" and _number(b, nodes[x].args[0]) is not None:
        return b.emit("mul", (nodes[x].args[0], b.emit("div", (nodes[x].args[1], y))))
    if op == "pow" and u[1] == 1.0:
        return x
    if op == "exp" and nodes[x].op == "log_softmax":
        return b.emit("softmax", nodes[x].args)
    if op == "transpose":
        if len(nodes[x].shape) < 2:
            return x
        if nodes[x].op == "transpose":
            return nodes[x].args[0]  # (Aᵀ)ᵀ = A
    if op in ("matmul", "outer", "transpose", "unbroadcast", "scatter", "spread", "index", "mul") or \
            op == "sum" and params.get("keepdims"):
        for position, arg in enumerate(args):  # a division by one number moves outside: (A / n) B = A B / n
            quotient = nodes[arg]
            if quotient.op == "div" and nodes[quotient.args[1]].shape == () and quotient.shape != () and \
                    _number(b, quotient.args[0]) is None and not (op == "mul" and any(
                        _number(b, a) is not None for a in args)):  # 2 (x / n) stays: numbers lead
                inner = b.emit(op, args[:position] + (quotient.args[0],) + args[position + 1:], **params)
                return b.emit("div", (inner, quotient.args[1]))
    if op in ("matmul", "outer", "transpose", "unbroadcast", "scatter", "spread", "index") or \
            op == "sum" and params.get("keepdims"):
        # linear in each operand: a number's factor (or a minus) moves in front
        for position, arg in enumerate(args):
            pulled = _coefficient(b, arg)
            if pulled is not None:
                c, rest = pulled
                inner = b.emit(op, args[:position] + (rest,) + args[position + 1:], **params)
                return b.emit("mul", (c, inner))
            if nodes[arg].op == "neg":
                return b.emit("neg", (b.emit(op, args[:position] + (nodes[arg].args[0],) + args[position + 1:],
                                             **params),))
    return None


def _coefficient(b: ArrayBuilder, node_id: int):
    """(c, rest) when the node is c × rest with c one number (a constant or any scalar), else None."""
    node = b.nodes[node_id]
    if node.op == "mul" and b.nodes[node.args[0]].shape == () and node.shape != ():
        return node.args[0], node.args[1]
    if node.op == "mul" and _number(b, node.args[0]) is not None:
        return node.args[0], node.args[1]
    return None


def _scaled(b: ArrayBuilder, node_id: int) -> tuple[float, int]:
    """(c, term) with the node = c × term (c = 1 when it has no number in front)."""
    node = b.nodes[node_id]
    if node.op == "mul" and _number(b, node.args[0]) is not None:
        return _number(b, node.args[0]), node.args[1]
    return 1.0, node_id


def _collect(b: ArrayBuilder, x: int, y: int) -> int | None:
    """Like terms of a sum collected: 2 y + y = 3 y, (a + y) + y = a + 2 y."""
    cy, term = _scaled(b, y)
    cx, other = _scaled(b, x)
    shape = b.nodes[term].shape
    if other == term:
        return b.emit("mul", (b.const(cx + cy), term))
    node = b.nodes[x]
    if node.op == "add" and b.constant_value(y) is not None:  # (a + 3) + 1 = a + 4
        for mine, rest in ((node.args[1], node.args[0]), (node.args[0], node.args[1])):
            if b.constant_value(mine) is not None and b.nodes[rest].shape == b.nodes[x].shape:
                return b.emit("add", (rest, b.emit("add", (mine, y))))
    if node.op == "add":
        for mine, rest in ((node.args[1], node.args[0]), (node.args[0], node.args[1])):
            c, found = _scaled(b, mine)
            if found == term and b.nodes[rest].shape == b.nodes[x].shape and shape == b.nodes[x].shape:
                return b.emit("add", (rest, b.emit("mul", (b.const(c + cy), term))))
    return None


def _number(b: ArrayBuilder, node_id: int) -> float | None:
    """The value of a constant number (shape ()), else None."""
    return b.uniform(node_id) if b.nodes[node_id].shape == () else None


def _is_reciprocal(b: ArrayBuilder, node_id: int) -> bool:
    node = b.nodes[node_id]
    return node.op == "div" and node.shape == () and _number(b, node.args[0]) is not None


# --- reverse mode as a transform --------------------------------------------------------------

@dataclass
class Adjoint:
    builder: ArrayBuilder
    mapping: list[int]  # program node id → builder id
    grads: dict[int, int] = field(default_factory=dict)  # program node id → the node of its gradient


def adjoint(graph: ArrayGraph, simplify: str = "exact") -> Adjoint:
    """The engine's backward pass (engine.backward), emitted as nodes instead of computed."""
    b = ArrayBuilder(simplify)
    mapping = b.copy_graph(graph)
    nodes = graph.nodes
    depends = [False] * len(nodes)
    for node in nodes:
        depends[node.id] = node.op == INPUT or any(depends[a] for a in node.args)
    grads: dict[int, int] = {graph.output: b.const(np.ones(nodes[graph.output].shape))}
    uses = graph.consumers()
    for node in reversed(nodes):
        if node.id == graph.output or not depends[node.id]:
            continue
        total = None
        for consumer, position in uses[node.id]:
            if consumer not in grads:
                continue
            user = nodes[consumer]
            site = graph.site(user)
            rules = operation(user.op)
            if not rules.differentiable(site, position):
                continue
            contribution = rules.adjoint(b, site, position, grads[consumer], [mapping[a] for a in user.args],
                                         mapping[consumer])
            shape = b.shape(contribution)
            if shape != node.shape:
                leading, stretched = broadcast_axes(node.shape, shape)
                contribution = b.emit("unbroadcast", (contribution,), axes=leading + stretched, shape=node.shape)
            total = contribution if total is None else b.emit("add", (total, contribution))
        if total is not None:
            grads[node.id] = total
    return Adjoint(b, mapping, grads)
