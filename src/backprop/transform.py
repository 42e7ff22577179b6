"""Graphs → graphs: reverse mode as a transform, and ``grad()`` rewritten into ordinary nodes.

A transform reads one graph and emits another through one builder (``GraphBuilder.emit``),
never by editing nodes in place. Its output is an ordinary graph: it can be evaluated,
printed, drawn and transformed again, which is what makes second derivatives free.

``adjoint`` is the symbolic twin of ``backward.backward``: it visits the same nodes in the
same order and accumulates the same products with ``add`` nodes, instantiating each
operation's registry rule (``rules.rule_exprs``) as new nodes over the forward ones. With
``simplify="exact"`` it only takes steps that leave every floating-point result unchanged
(× 1, + 0, constant folding), so evaluating the adjoint graph gives exactly the numeric
gradients; ``simplify="algebra"`` also collects terms and orders factors, for formulas.
"""

from __future__ import annotations

import math

from .errors import BackpropError
from .graph import CONST, INPUT, Graph, Node
from .ops import OPS
from .rules import fold, ieee_apply, rule_exprs

MAX_TRANSFORM_NODES = 200_000  # grad() nested deep grows the graph geometrically: stop with a message


class TransformTooLarge(BackpropError):
    """A derivative graph would be too large to build (grad nested too deep)."""


class GraphBuilder:
    """Emits nodes of a new graph in topological order; each (op, operands) is made once."""

    def __init__(self, simplify: str = "exact", limit: int = MAX_TRANSFORM_NODES):
        if simplify not in ("none", "exact", "algebra"):
            raise ValueError(f"unknown simplification {simplify!r}")
        self.simplify = simplify
        self.limit = limit
        self.nodes: list[Node] = []
        self.order: list[tuple] = []  # per node: a sort key for factors (first input it depends on, id)
        self._made: dict[tuple, int] = {}
        self.backward_ids: set[int] = set()  # nodes made by a transform (drawn as gradients)

    def __len__(self) -> int:
        return len(self.nodes)

    # --- leaves and copies
    def _append(self, op, args, name="", span=None, value=None, named=False) -> int:
        node_id = len(self.nodes)
        if node_id >= self.limit:
            raise TransformTooLarge(
                f"the derivative graph would have more than {self.limit:,} nodes (grad() nested too deep, "
                f"or too large a program for --hessian)", span)
        self.nodes.append(Node(node_id, op, tuple(args), name, span, value, named))
        if op == INPUT:
            self.order.append((node_id, node_id))
        elif args:
            self.order.append((min(self.order[a][0] for a in args), node_id))
        else:
            self.order.append((-1, node_id))
        return node_id

    def copy(self, node: Node, args: tuple[int, ...]) -> int:
        """A node of another graph, as it is (its name and span kept; never merged)."""
        new_id = self._append(node.op, args, node.name, node.span, node.value, node.named)
        if node.args:
            self._made.setdefault((node.op, tuple(args)), new_id)
        elif node.op == CONST and not node.named:
            self._made.setdefault((CONST, node.value), new_id)
        return new_id

    def const(self, value: float, span=None) -> int:
        key = (CONST, float(value))
        found = self._made.get(key)
        if found is None:
            found = self._made[key] = self._append(CONST, (), None, span, float(value))
        return found

    def value_of(self, node_id: int) -> float | None:
        node = self.nodes[node_id]
        return node.value if node.op == CONST else None

    # --- emitting operations
    def emit(self, op: str, args: tuple[int, ...], span=None) -> int:
        """The id of ``op(args)``: an existing node when one computes it, else a new one."""
        args = tuple(args)
        if self.simplify != "none":
            simpler = self._simplify(op, args, span)
            if simpler is not None:
                return simpler
            if self.simplify == "algebra":
                op, args = self._canonical(op, args)
        key = (op, args)
        found = self._made.get(key)
        if found is None:
            found = self._made[key] = self._append(op, args, None, span)
            self.backward_ids.add(found)
        return found

    def _simplify(self, op: str, args: tuple[int, ...], span) -> int | None:
        """Rewrites that keep every float result (and, with "algebra", equal-valued ones)."""
        values = [self.value_of(a) for a in args]
        if args and all(v is not None for v in values) and OPS[op].forward is not None:
            result = ieee_apply(op, tuple(values))
            if math.isfinite(result) and (self.simplify == "algebra" and result == round(result, 12)
                                          or op in ("add", "sub", "mul", "neg") or result.is_integer()):
                return self.const(result, span)
        x = args[0] if args else None
        y = args[1] if len(args) > 1 else None
        vx = values[0] if args else None
        vy = values[1] if len(args) > 1 else None
        if op == "mul":
            if vx == 1.0:
                return y
            if vy == 1.0:
                return x
            if vx == 0.0 or vy == 0.0:
                return self.const(0.0, span)  # a zero local derivative stops the product (rules.ieee_apply)
            if vx == -1.0:
                return self.emit("neg", (y,), span)
            if vy == -1.0:
                return self.emit("neg", (x,), span)
        elif op == "add":
            if vx == 0.0:
                return y
            if vy == 0.0:
                return x
            if self.nodes[y].op == "neg":
                return self.emit("sub", (x, self.nodes[y].args[0]), span)
            # t − 2 reads better than (-2) + t, and IEEE addition makes them the same number
            if vy is not None and vy < 0:
                return self.emit("sub", (x, self.const(-vy, span)), span)
            if vx is not None and vx < 0:
                return self.emit("sub", (y, self.const(-vx, span)), span)
        elif op == "sub":
            if vy == 0.0:
                return x
            if vx == 0.0:
                return self.emit("neg", (y,), span)
            if self.nodes[y].op == "neg":
                return self.emit("add", (x, self.nodes[y].args[0]), span)
        elif op == "neg":
            if self.nodes[x].op == "neg":
                return self.nodes[x].args[0]
        elif op == "div":
            if vy == 1.0:
                return x
            if vx == 0.0 and self.simplify == "algebra":
                return self.const(0.0, span)
        elif op == "pow":
            if vy == 1.0:
                return x
            if vy == 0.0:
                return self.const(1.0, span)
        if self.simplify == "algebra":
            return self._collect(op, args, span)
        return None

    def _split(self, node_id: int) -> tuple[float, int | None]:
        """(coefficient, term): 3 × t → (3, t), -t → (-1, t), 5 → (5, None), t → (1, t)."""
        node = self.nodes[node_id]
        if node.op == CONST:
            return node.value, None
        if node.op == "neg":
            coefficient, term = self._split(node.args[0])
            return -coefficient, term
        if node.op == "mul" and self.nodes[node.args[0]].op == CONST:
            return self.nodes[node.args[0]].value, node.args[1]
        return 1.0, node_id

    def _scaled(self, coefficient: float, term: int, span) -> int:
        if coefficient == 0.0:
            return self.const(0.0, span)
        return self.emit("mul", (self.const(coefficient, span), term), span)

    def _collect(self, op: str, args: tuple[int, ...], span) -> int | None:
        """Like terms (2a + 3a = 5a), repeated factors (a × a = a^2) and constant factors."""
        if op in ("add", "sub"):
            (cx, tx), (cy, ty) = self._split(args[0]), self._split(args[1])
            if tx is not None and tx == ty:
                return self._scaled(cx + cy if op == "add" else cx - cy, tx, span)
            merged = self._merge_into_sum(args[0], cy if op == "add" else -cy, ty, span)
            if merged is not None:
                return merged
            if op == "add" and ty is not None and cy < 0 and tx is not None:
                return self.emit("sub", (args[0], self._scaled(-cy, ty, span)), span)
            return None
        if op == "mul":
            (cx, tx), (cy, ty) = self._split(args[0]), self._split(args[1])
            if (cx != 1.0 or cy != 1.0) and not (tx is None and ty is None):
                if tx is None:
                    return self._scaled(cx * cy, ty, span) if (cy != 1.0 or self.nodes[args[1]].op == "neg") else None
                if ty is None:
                    return self._scaled(cx * cy, tx, span)
                return self._scaled(cx * cy, self.emit("mul", (tx, ty), span), span)
            if tx is not None and tx == ty:
                return self.emit("pow", (tx, self.const(2.0, span)), span)
            base_x, exp_x = self._power(tx)
            base_y, exp_y = self._power(ty)
            if base_x is not None and base_x == base_y and exp_x is not None and exp_y is not None:
                return self.emit("pow", (base_x, self.const(exp_x + exp_y, span)), span)
            return None
        if op == "neg":
            coefficient, term = self._split(args[0])
            if term is not None and coefficient != 1.0:
                return self._scaled(-coefficient, term, span)
        return None

    def _merge_into_sum(self, total: int, coefficient: float, term: int | None, span) -> int | None:
        """a + t + … + t: find a like term in the sum's left spine (a few deep) and combine them."""
        if term is None:
            return None
        spine = []
        node_id = total
        for _ in range(12):
            node = self.nodes[node_id]
            if node.op not in ("add", "sub"):
                break
            spine.append(node)
            c, t = self._split(node.args[1])
            if t == term:
                combined = c + (coefficient if node.op == "add" else -coefficient)
                rebuilt = node.args[0]
                if combined != 0.0:
                    rebuilt = self.emit(node.op, (rebuilt, self._scaled(combined, term, span)), span)
                for outer in reversed(spine[:-1]):  # put back what sat to the right of it
                    rebuilt = self.emit(outer.op, (rebuilt, outer.args[1]), span)
                return rebuilt
            node_id = node.args[0]
        return None

    def _power(self, node_id: int | None) -> tuple[int | None, float | None]:
        if node_id is None:
            return None, None
        node = self.nodes[node_id]
        if node.op == "pow" and self.nodes[node.args[1]].op == CONST:
            return node.args[0], self.nodes[node.args[1]].value
        return node_id, 1.0

    def _canonical(self, op: str, args: tuple[int, ...]) -> tuple[str, tuple[int, ...]]:
        """Order a product's factors: constants first, then by the first input each depends on."""
        if op == "mul" and self.order[args[1]] < self.order[args[0]]:
            return op, (args[1], args[0])
        return op, args

    def instantiate(self, rule, slots: dict[str, int], span=None) -> int:
        """Emit a registry rule expression with its names bound to node ids (post-order, iterative)."""
        return fold(rule, lambda leaf: self.const(leaf[1], span), slots.__getitem__,
                    lambda op, args: self.emit(op, args, span))

    def graph(self, outputs: list[tuple[str, int]], statements=None) -> Graph:
        """The nodes as a Graph with these named outputs (the first is the graph's output)."""
        _name_unnamed(self.nodes)
        graph = Graph(self.nodes, outputs[0][1], statements or [(name, i) for name, i in outputs])
        graph.outputs = list(outputs)
        return graph


def _name_unnamed(nodes: list[Node]) -> None:
    """Give emitted nodes a short name no other node uses: [1], [2], … (brackets can not be in a user's
    name, so t1 is never read as a variable next to the user's h1; the scheme of lower's big graphs)."""
    taken = {node.name for node in nodes if node.name}
    number = 0
    for index, node in enumerate(nodes):
        if node.name:
            continue
        if node.op == CONST:
            from .numfmt import format_number

            nodes[index] = node._replace(name=format_number(node.value))
            continue
        number += 1
        while f"[{number}]" in taken:
            number += 1
        nodes[index] = node._replace(name=f"[{number}]")


def depends_on(nodes: list[Node], sources, upto: int) -> list[bool]:
    """For each node up to ``upto``, whether it depends on one of ``sources``."""
    depends = [False] * (upto + 1)
    for i in sources:
        if i <= upto:
            depends[i] = True
    for node in nodes[: upto + 1]:
        if not depends[node.id] and any(depends[a] for a in node.args):
            depends[node.id] = True
    return depends


def adjoint(builder: GraphBuilder, output: int, wrt: list[int], span=None) -> dict[int, int]:
    """Emit ∂output/∂node for the builder's own nodes up to ``output``; returns {wrt id: gradient id}.

    The same walk as ``backward.backward``: reverse topological order, one product per operand
    (upstream × the rule instantiated over the forward nodes), accumulated with ``add``. Only
    nodes that depend on a ``wrt`` node get an adjoint (constants need no gradient).
    """
    nodes = builder.nodes
    needs = depends_on(nodes, wrt, output)
    adjoints: dict[int, int] = {output: builder.const(1.0, span)}
    for node_id in range(output, -1, -1):
        node = nodes[node_id]
        upstream = adjoints.get(node_id)
        if upstream is None or not node.args:
            continue
        op = OPS[node.op]
        rules = rule_exprs(op)
        slots = dict(zip(("x", "y"), node.args))
        slots["out"] = node_id
        for position, arg in enumerate(node.args):
            if not needs[arg]:
                continue
            local = builder.instantiate(rules[position], slots, span or node.span)
            contribution = builder.emit("mul", (upstream, local), span or node.span)
            previous = adjoints.get(arg)
            adjoints[arg] = contribution if previous is None else builder.emit("add", (previous, contribution),
                                                                            span or node.span)
    return {i: adjoints.get(i, builder.const(0.0, span)) for i in wrt}


def copy_graph(builder: GraphBuilder, graph: Graph) -> list[int]:
    """Copy every node of ``graph`` into the builder; returns the new id of each old id."""
    mapping: list[int] = []
    for node in graph.nodes:
        mapping.append(builder.copy(node, tuple(mapping[a] for a in node.args)))
    return mapping


def evaluate_nodes(nodes: list[Node], inputs: dict[str, float], known: list[float] | None = None) -> list[float]:
    """Every node's value in the stated arithmetic of ``rules.ieee_apply`` (inf and nan allowed):
    the evaluator of gradient graphs, where an infinite local derivative is a fact to show."""
    values: list[float] = list(known or [])
    for node in nodes[len(values):]:
        if node.op == INPUT:
            values.append(float(inputs[node.name]))
        elif node.op == CONST:
            values.append(node.value)
        else:
            values.append(ieee_apply(node.op, tuple(values[a] for a in node.args)))
    return values


def expand_grads(graph: Graph) -> Graph:
    """Rewrite every ``grad(f, x)`` node into the ordinary nodes of ∂f/∂x (innermost first).

    Nested grads need no special case: an outer grad differentiates nodes an inner one made.
    """
    if not any(node.op == "grad" for node in graph.nodes):
        return graph
    builder = GraphBuilder("exact")
    mapping: list[int] = []
    notes: list[str] = list(getattr(graph, "notes", []))
    for node in graph.nodes:
        if node.op != "grad":
            mapping.append(builder.copy(node, tuple(mapping[a] for a in node.args)))
            continue
        f, x = (mapping[a] for a in node.args)
        before = len(builder)
        gradient = adjoint(builder, f, [x], node.span)[x]
        for made in builder.nodes[before:]:
            op = OPS.get(made.op)
            if made.op in ("gt", "eq", "sign"):
                notes.append(f"{node.name} uses a kink's convention ({op.doc}); see docs/language.md")
                break
        if gradient >= before and not builder.nodes[gradient].name:
            builder.nodes[gradient] = builder.nodes[gradient]._replace(name=node.name, named=True)
        mapping.append(gradient)
    outputs = [(graph.output_name, mapping[graph.output])]
    statements = [(name, mapping[root]) for name, root in graph.statements]
    result = builder.graph(outputs, statements)
    # The output keeps its name even when grad() made it (L = grad(...)).
    out = result.nodes[result.output]
    if out.name != graph.output_name and out.op != INPUT:
        result.nodes[result.output] = out._replace(name=graph.output_name, named=True)
    result.notes = list(dict.fromkeys(notes))
    return result
