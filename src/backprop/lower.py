"""AST (``syntax.Program``) → ``Graph``: resolve names, number the nodes, keep spans.

Later statements see the newest binding of a name; bindings after the first get
versioned names (c, c₁, c₂). A name bound anywhere is not an input, so using it before
its first binding is an error. Unnamed intermediates get short generated names that
never clash with the user's: single letters handed out from the output backwards (which
reproduces the seed page's e = a × b, d = e + c for (a*b+c)*f), or numbered names for
graphs too big for the alphabet.
"""

from __future__ import annotations

import re

from .errors import UnknownName
from .graph import CONST, INPUT, Graph, Node
from .ops import OPS
from .syntax import Apply, Assign, Name, Number, Program

_SUBSCRIPT_DIGITS = "₀₁₂₃₄₅₆₇₈₉"
# Letters that read as digits (l, o) are not handed out.
_LETTERS = [c for c in "abcdefghijkmnpqrstuvwxyz"]


class _Builder:
    """Collects nodes with provisional ids; ``finish`` renumbers inputs to the front."""

    def __init__(self):
        self.ops: list[list] = []  # [op, args, name, span, value, named] per non-input node
        self.inputs: dict[str, int] = {}  # name -> provisional id (negative: -1, -2, ...)
        self.input_spans: list = []
        self.literal_text: dict[int, str] = {}  # constants are named by their text unless bound

    def add(self, op, args, span, value=None, name=None, named=False) -> int:
        self.ops.append([op, args, name, span, value, named])
        return len(self.ops) - 1

    def input(self, name: str, span) -> int:
        if name not in self.inputs:
            self.inputs[name] = -1 - len(self.inputs)
            self.input_spans.append(span)
        return self.inputs[name]


def lower(program: Program) -> Graph:
    """Turn a parsed program into a graph in topological order (iteratively, any depth)."""
    bound_anywhere = {s.name for s in program.statements if isinstance(s, Assign)}
    builder = _Builder()
    current: dict[str, int] = {}  # name -> node of its newest binding
    versions: dict[str, int] = {}
    statements: list[tuple[str | None, int]] = []

    for statement in program.statements:
        expr = statement.expr if isinstance(statement, Assign) else statement
        root = _lower_expr(expr, builder, current, bound_anywhere)
        if isinstance(statement, Assign):
            count = versions.get(statement.name, 0)
            versions[statement.name] = count + 1
            name = statement.name if count == 0 else statement.name + _subscript(count)
            if root >= 0 and builder.ops[root][2] is None:
                builder.ops[root][2] = name  # the binding names the node it creates
                builder.ops[root][5] = True
            current[statement.name] = root
            statements.append((name, root))
        else:
            statements.append((None, root))

    user_names = set(builder.inputs) | bound_anywhere | {n for n, _ in statements if n}
    output = statements[-1][1]
    if output >= 0 and builder.ops[output][2] is None:
        builder.ops[output][2] = _fresh(["L", "out"] + [f"out{i}" for i in range(1, 100)], user_names)
        builder.ops[output][5] = True
    _name_intermediates(builder, user_names | {builder.ops[output][2]} if output >= 0 else user_names)
    return _finish(builder, statements)


def _lower_expr(expr, builder: _Builder, current: dict, bound_anywhere: set) -> int:
    """Post-order walk with an explicit stack; returns the provisional id of expr's node."""
    results: dict[int, int] = {}
    stack = [(expr, False)]
    while stack:
        node, expanded = stack.pop()
        if isinstance(node, Number):
            results[id(node)] = builder.add(CONST, (), node.span, node.value)
            builder.literal_text[results[id(node)]] = node.text
        elif isinstance(node, Name):
            results[id(node)] = _resolve(node, builder, current, bound_anywhere)
        elif not node.args:  # a constant such as pi
            value = OPS[node.op].forward()
            results[id(node)] = builder.add(CONST, (), node.span, value, OPS[node.op].symbol, named=True)
        elif not expanded:
            stack.append((node, True))
            stack.extend((arg, False) for arg in reversed(node.args))
        else:
            args = tuple(results.pop(id(arg)) for arg in node.args)
            results[id(node)] = builder.add(node.op, args, node.span)
    return results[id(expr)]


def _resolve(node: Name, builder: _Builder, current: dict, bound_anywhere: set) -> int:
    if node.name in current:
        return current[node.name]
    if node.name in bound_anywhere:
        raise UnknownName(
            f"'{node.name}' is used before its first binding (a name bound anywhere in the program is not an input)",
            node.span,
        )
    return builder.input(node.name, node.span)


def _subscript(number: int) -> str:
    return "".join(_SUBSCRIPT_DIGITS[int(d)] for d in str(number))


def _fresh(candidates, taken: set) -> str:
    for name in candidates:
        if name not in taken:
            return name
    raise AssertionError("no free name")  # 100 candidates; unreachable in practice


def _name_intermediates(builder: _Builder, taken: set) -> None:
    """Give every unnamed operation a short name no user name uses."""
    for index, text in builder.literal_text.items():
        if builder.ops[index][2] is None:
            builder.ops[index][2] = text
    unnamed = [i for i, entry in enumerate(builder.ops) if entry[2] is None]
    letters = [c for c in _LETTERS if c not in taken]
    if len(unnamed) <= len(letters):
        # From the output backwards: the node nearest the output gets the first free letter.
        for index, letter in zip(reversed(unnamed), letters):
            builder.ops[index][2] = letter
        return
    prefix = _numbered_prefix(taken)
    for number, index in enumerate(unnamed, start=1):
        builder.ops[index][2] = f"{prefix}{number}"


def _numbered_prefix(taken: set) -> str:
    """A prefix p such that no user name looks like p1, p2, …"""
    for prefix in ("t", "u", "v", "tmp", "node"):
        pattern = re.compile(re.escape(prefix) + r"\d+$")
        if not any(pattern.match(name) for name in taken):
            return prefix
    return "_t"  # user names never start with an underscore followed by t and digits only… rarely


def _finish(builder: _Builder, statements) -> Graph:
    """Renumber: inputs first, in order of first use, then everything else in emission order."""
    count = len(builder.inputs)
    remap = lambda provisional: -1 - provisional if provisional < 0 else provisional + count  # noqa: E731
    nodes = [
        Node(i, INPUT, (), name, span, None, True)
        for i, (name, span) in enumerate(zip(builder.inputs, builder.input_spans))
    ]
    for index, (op, args, name, span, value, named) in enumerate(builder.ops):
        nodes.append(Node(index + count, op, tuple(remap(a) for a in args), name, span, value, named))
    echo = [(name or nodes[remap(root)].name, remap(root)) for name, root in statements]
    return Graph(nodes, remap(statements[-1][1]), echo)
