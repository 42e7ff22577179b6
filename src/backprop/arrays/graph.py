"""AST → array graph: the nodes of an array program, with names, spans and params.

Like the scalar ``lower``: one node per operation in topological order, inputs first (in
order of first use), names resolved to their newest binding, unnamed intermediates given
short free names. Constant sub-expressions (literals such as ``[[1, 2], [3, 4]]``, ``-1``,
``2*pi``) are folded into one constant node as they are built. The walk is iterative.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from ..errors import UnknownFunction, UnknownName
from ..numfmt import format_number
from ..ops import OPS
from ..lower import Versions
from ..syntax import Apply, ArrayLiteral, Assign, Index, Name, Number, Slice
from .ops_array import ELEMENTWISE, Site, operation
from .shapes import ShapeError

INPUT, CONST = "input", "const"
_LETTERS = "abcdefghijkmnpqrstuvwxyz"


@dataclass(eq=False)
class ArrayNode:
    id: int
    op: str
    args: tuple
    span: tuple | None
    name: str | None = None
    named: bool = False  # named by the program (or --set), not generated
    params: dict = field(default_factory=dict)
    value: object = None  # a constant's value (NumPy array)
    shape: tuple = ()
    text: str | None = None  # a scalar constant's text, as typed


@dataclass
class ArrayGraph:
    nodes: list
    inputs: list  # node ids
    output: int
    statements: list  # (name or None, node id, source text)

    @property
    def output_name(self) -> str:
        return self.nodes[self.output].name

    def site(self, node: ArrayNode) -> Site:
        return Site(node.op, tuple(shown_name(self.nodes[a]) for a in node.args),
                    tuple(self.nodes[a].shape for a in node.args), node.params, node.span, node.name, node.shape,
                    self.output_name)

    def consumers(self) -> list[list[tuple[int, int]]]:
        """For each node, the (consumer, operand position) pairs that read it."""
        uses: list[list] = [[] for _ in self.nodes]
        for node in self.nodes:
            for position, arg in enumerate(node.args):
                uses[arg].append((node.id, position))
        return uses


def shown_name(node: ArrayNode) -> str:
    """How an operand is written in a step: its name, or a scalar constant's number."""
    if node.op == CONST and node.name is None:
        if node.value.ndim:
            return "[…]"  # a literal being folded, not yet named
        return node.text or format_number(float(node.value))
    return node.name


class _Lowering:
    def __init__(self):
        self.nodes: list[ArrayNode] = []
        self.inputs: dict[str, int] = {}

    def add(self, op, args, span, **fields) -> int:
        node = ArrayNode(len(self.nodes), op, tuple(args), span, **fields)
        self.nodes.append(node)
        return node.id

    def constant(self, value, span, text=None) -> int:
        import numpy as np

        return self.add(CONST, (), span, value=np.asarray(value, dtype=float), text=text,
                        shape=np.shape(value))

    def operation(self, op, args, span, params=None) -> int:
        """A new operation node, or its value as a constant when all operands are constants."""
        params = params or {}
        nodes = self.nodes
        if args and all(nodes[a].op == CONST for a in args) and (op in ELEMENTWISE or op in ("stack", "transpose")):
            rule = operation(op)
            site = Site(op, tuple(shown_name(nodes[a]) for a in args), tuple(nodes[a].shape for a in args),
                        params, span)
            site.op = op
            rule.infer(site)  # a ragged literal is refused here, with its caret
            value = rule.forward(site, *(nodes[a].value for a in args))
            return self.constant(value, span)
        return self.add(op, args, span, params=params)


def _constant_int(expr, what: str) -> int:
    """An axis or an index: a whole number written in the program (possibly negative)."""
    sign = 1
    node = expr
    while type(node) is Apply and node.op == "neg":
        sign, node = -sign, node.args[0]
    if type(node) is Number and float(node.value).is_integer():
        return sign * int(node.value)
    raise ShapeError(f"{what} must be a whole number written in the program, such as 0 or -1", expr.span)


def lower_arrays(program) -> ArrayGraph:
    """The program's array graph (shapes are filled in later, once the inputs are known)."""
    build = _Lowering()
    bound_anywhere = {s.name for s in program.statements if type(s) is Assign}
    current: dict[str, int] = {}
    statements = []
    source = program.source
    versions = Versions(source)  # h, h₁: a name bound again is another value, and prints as one
    for statement in program.statements:
        is_binding = type(statement) is Assign
        expr = statement.expr if is_binding else statement
        root = _lower_expr(expr, build, current, bound_anywhere)
        text = source[statement.span[0]:statement.span[1]] if is_binding else source[expr.span[0]:expr.span[1]]
        if is_binding:
            node = build.nodes[root]
            name = versions.bind(statement.name)
            if node.name is None:
                node.name, node.named = name, True
            current[statement.name] = root
            statements.append((name, root, text))
        else:
            statements.append((None, root, text))
    output = statements[-1][1]
    nodes = build.nodes
    taken = set(build.inputs) | bound_anywhere
    if nodes[output].name is None:
        nodes[output].name = next(n for n in ("L", "out", "loss", "L_out") if n not in taken)
        nodes[output].named = True
    taken.add(nodes[output].name)
    return _finish(build, output, statements, taken)


def _lower_expr(expr, build: _Lowering, current: dict, bound_anywhere: set) -> int:
    done: list[int] = []
    todo: list = [expr]
    while todo:
        node = todo.pop()
        kind = type(node)
        if kind is tuple:  # (AST node, params): its operands are done
            ast, params = node
            count = len(ast.items) if type(ast) is ArrayLiteral else 1 if type(ast) is Index else \
                len(params.pop("_lowered"))
            args = done[len(done) - count:]
            del done[len(done) - count:]
            if type(ast) is ArrayLiteral:
                done.append(build.operation("stack", args, ast.span))
            elif type(ast) is Index:
                done.append(build.operation("index", args, ast.span, params))
            else:
                done.append(build.operation(ast.op, args, ast.span, params))
        elif kind is Number:
            done.append(build.constant(node.value, node.span, text=node.text))
        elif kind is Name:
            if node.name in current:
                done.append(current[node.name])
            elif node.name in bound_anywhere:
                raise UnknownName(f"'{node.name}' is used before its first binding (a name bound anywhere in the "
                                  f"program is not an input)", node.span)
            else:
                if node.name not in build.inputs:
                    build.inputs[node.name] = build.add(INPUT, (), node.span, name=node.name, named=True)
                done.append(build.inputs[node.name])
        elif kind is ArrayLiteral:
            if not node.items:
                raise ShapeError("an empty array [] has no elements to compute with", node.span)
            todo.append((node, {}))
            todo.extend(reversed(node.items))
        elif kind is Index:
            key, spans = [], []
            for part in node.subscripts:
                if type(part) is Slice:
                    start = None if part.start is None else _constant_int(part.start, "a slice's start")
                    stop = None if part.stop is None else _constant_int(part.stop, "a slice's end")
                    key.append(slice(start, stop))
                else:
                    key.append(_constant_int(part, "an index"))
                spans.append(part.span)
            todo.append((node, {"key": tuple(key), "spans": spans}))
            todo.append(node.target)
        elif kind is Apply:
            op = node.op
            if op in OPS and OPS[op].kind == "constant":
                done.append(build.constant(OPS[op].forward(), node.span, text=OPS[op].symbol or op))
                continue
            if op == "grad":
                raise UnknownFunction("grad() works in scalar programs only; array programs differentiate their "
                                      "output L with respect to every input already", node.span)
            params: dict = {}
            operands = list(node.args)
            if op in ("sum", "mean") and len(operands) == 2:
                params["axis"] = _constant_int(operands.pop(), f"{op}(x, axis): the axis")
            params["_lowered"] = operands
            todo.append((node, params))
            todo.extend(reversed(operands))
        else:  # unreachable: the parser builds only the node types above
            raise TypeError(f"unexpected syntax node {kind.__name__}")
    return done[0]


def _finish(build: _Lowering, output: int, statements: list, taken: set) -> ArrayGraph:
    """Keep the nodes the output needs (and every input), inputs first, and name the rest."""
    nodes = build.nodes
    needed = [False] * len(nodes)
    needed[output] = True
    for node in reversed(nodes):
        if needed[node.id]:
            for arg in node.args:
                needed[arg] = True
    order = [n for n in nodes if n.op == INPUT] + [n for n in nodes if n.op != INPUT and needed[n.id]]
    new_id = {node.id: index for index, node in enumerate(order)}
    for node in order:
        node.id = new_id[node.id]
        node.args = tuple(new_id[a] for a in node.args)
    candidates = itertools.chain(_LETTERS, (f"t{i}" for i in itertools.count(1)))
    free = (name for name in candidates if name not in taken)
    for node in order:
        if node.name is None and not (node.op == CONST and node.value.ndim == 0):
            node.name = next(free)
    kept = [(name, new_id[root], text) for name, root, text in statements if root in new_id]
    return ArrayGraph(order, [n.id for n in order if n.op == INPUT], new_id[output], kept)
