"""The graph IR: nodes in topological order, id = index, built once by ``lower``.

Inputs come first (in order of first use), then constants and operations in the order
their operands complete. Each input is ONE node however often it is used, so the
backward pass accumulates its gradient over every use. ``Graph.expression`` prints a
node back as source text, inlining the unnamed intermediates, fully parenthesised.
"""

from __future__ import annotations

from array import array
from typing import NamedTuple

from .errors import Span
from .numfmt import format_number
from .ops import OPS

INPUT = "input"
CONST = "const"


class NodeTable:
    """What a lowered graph keeps for all its nodes in columns, by node id, instead of per node.

    Source spans (two int columns, -1: none) and the numbers of generated names ([12] is 12,
    0: the node has its own name). A span per node as a tuple of two ints costs about 100 bytes
    and kept the parser's objects alive, a generated name as a string about 56; in columns they
    cost 12 (docs/benchmark.md, "Targets 4 and 5").
    """

    __slots__ = ("starts", "ends", "numbers")

    def __init__(self):
        self.starts = array("i")
        self.ends = array("i")
        self.numbers = array("i")

    def append(self, span: Span | None) -> None:
        start, end = span if span is not None else (-1, -1)
        self.starts.append(start)
        self.ends.append(end)

    def span(self, node_id: int) -> Span | None:
        start = self.starts[node_id]
        return None if start < 0 else (start, self.ends[node_id])

    def __len__(self) -> int:
        return len(self.starts)

    def __repr__(self) -> str:
        return f"<columns of {len(self)} nodes>"


class _NodeFields(NamedTuple):
    id: int
    op: str  # "input", "const" or a registry name
    args: tuple[int, ...]  # operand ids, all smaller than id
    label: str | None  # the name, or None for a generated [n] kept as a number in the graph's table
    where: NodeTable | Span | None  # the graph's table (looked up by id), or the span itself
    value: float | None = None  # constants only
    named: bool = False  # True when the user named it (input, binding, pi); False when generated


class Node(_NodeFields):
    """One node of the graph: a tuple, read by attribute (``node.op``, ``node.args``, ``node.name``,
    ``node.span``). ``Node(id, op, args, name, span, value, named)`` makes one with its own name and
    span; lowering makes them with the graph's ``NodeTable`` instead."""

    __slots__ = ()

    @property
    def name(self) -> str:
        """The display name: the user's (versioned: c₁), generated (d, e, [12]), or a number's text."""
        label = self.label
        if label is None:
            where = self.where
            if type(where) is NodeTable:
                return f"[{where.numbers[self.id]}]"
        return label

    @property
    def span(self) -> Span | None:
        """Where the node comes from in the source: (start, end) character offsets, or None."""
        where = self.where
        return where.span(self.id) if type(where) is NodeTable else where

    def __repr__(self) -> str:
        return (f"Node(id={self.id!r}, op={self.op!r}, args={self.args!r}, name={self.name!r}, span={self.span!r}, "
                f"value={self.value!r}, named={self.named!r})")

    def _replace(self, **changes) -> "Node":
        if "name" in changes:
            changes["label"] = changes.pop("name")
        if "span" in changes:
            changes["where"] = changes.pop("span")
        # A renumbered node (symbolic.py prunes and renumbers) keeps its own span and name, not the new id's;
        # one given its own span keeps its generated name as a string.
        if type(self.where) is NodeTable and ("id" in changes or changes.get("where", self.where) is not self.where):
            changes.setdefault("where", self.span)
            changes.setdefault("label", self.name)
        return super()._replace(**changes)


class Graph:
    """A program as a flat list of nodes plus what each statement bound."""

    def __init__(self, nodes: list[Node], output: int, statements: list[tuple[str, int]]):
        self.nodes = nodes
        self.output = output
        self.statements = statements  # (name shown in the echo, root node id), in program order
        self.inputs = [node.id for node in nodes if node.op == INPUT]
        # Several outputs are normal (a gradient graph has one per input); the first is ``output``.
        self.outputs: list[tuple[str, int]] = [(nodes[output].name, output)] if nodes else []
        self.notes: list[str] = []  # what lowering and transforms want the user to know (grad of an unused name)
        # Aliases (f = e): the statements that are one, and the operands written with one, by
        # (node id, operand position); printers show the name the user wrote there.
        self.alias_statements: dict[int, str | None] = {}
        self.alias_uses: dict[tuple[int, int], str] = {}

    def __len__(self) -> int:
        return len(self.nodes)

    @property
    def output_name(self) -> str:
        return self.nodes[self.output].name

    def check(self) -> None:
        """Verify the invariants every stage relies on (topological ids, registry arities)."""
        for index, node in enumerate(self.nodes):
            assert node.id == index, f"node {index} has id {node.id}"
            if node.op in (INPUT, CONST):
                assert not node.args, f"leaf node {index} has operands"
                continue
            assert node.op in OPS, f"node {index} has unknown op {node.op!r}"
            assert len(node.args) == OPS[node.op].arity, f"node {index}: arity of {node.op}"
            assert all(0 <= arg < index for arg in node.args), f"node {index} uses a later node"

    def __str__(self) -> str:
        lines = []
        for node in self.nodes:
            if node.op == INPUT:
                lines.append(f"%{node.id} = input    # {node.name}")
            elif node.op == CONST:
                lines.append(f"%{node.id} = const {node.value!r}    # {node.name}")
            else:
                operands = " ".join(f"%{arg}" for arg in node.args)
                lines.append(f"%{node.id} = {node.op} {operands}    # {node.name}".replace("  #", " #"))
        return "\n".join(lines)

    def is_inlined(self, node_id: int) -> bool:
        """Unnamed intermediates are printed inside their consumer's expression."""
        node = self.nodes[node_id]
        return node.op not in (INPUT, CONST) and not node.named

    def expression(self, node_id: int, *, ascii: bool = False, inline_root: bool = True) -> str:
        """The node as source text; named nodes appear by name, unnamed ones inline."""
        # Emit pieces left to right from an explicit stack (ids to expand, strings to copy):
        # building each sub-expression's string first would copy the text once per level,
        # which is quadratic for a 100,000-deep expression.
        root = self.nodes[node_id]
        if inline_root and root.op == CONST:
            return format_number(root.value)
        if not self.alias_uses:
            return self._expression_plain(node_id, ascii, inline_root)
        return self._expression_general(node_id, ascii, inline_root)

    def _expression_general(self, node_id: int, ascii: bool, inline_root: bool) -> str:
        """``expression`` of any graph, aliases included (``_expression_plain`` is checked against it)."""
        pieces: list[str] = []
        stack: list = [node_id]
        while stack:
            item = stack.pop()
            if type(item) is str:
                pieces.append(item)
                continue
            node = self.nodes[item]
            expand = (item == node_id and inline_root and node.op != INPUT) or self.is_inlined(item)
            if not expand:
                pieces.append(display_name(node.name, ascii))
                continue
            stack.extend(reversed(self._layout(node, ascii, nested=True)))
        return "".join(pieces)

    def _expression_plain(self, node_id: int, ascii: bool, inline_root: bool) -> str:
        """``expression`` of a graph without aliases, ``_layout`` inlined: the program echo prints
        every operation of a program once, and a piece list per node made it 4 µs an operation."""
        nodes = self.nodes
        forms = _FORMS[ascii]
        pieces: list[str] = []
        add = pieces.append
        stack: list = [node_id]
        pop, push = stack.pop, stack.append
        root_expands = inline_root and nodes[node_id].op != INPUT
        while stack:
            item = pop()
            if type(item) is str:
                add(item)
                continue
            node = nodes[item]
            op = node.op
            if op == INPUT or op == CONST or node.named and not (item == node_id and root_expands):
                name = node.name
                add(name if not ascii or name.isascii() else display_name(name, True))
                continue
            kind, symbol = forms[op]
            args = node.args
            if kind == "infix" or kind == "prefix":
                # as _layout(nested=True): an inlined infix or prefix operand, or a name with "/" (∂f/∂x), in parentheses
                for position in range(len(args) - 1, -1, -1):
                    arg = args[position]
                    operand = nodes[arg]
                    arg_op = operand.op
                    if arg_op != INPUT and arg_op != CONST and not operand.named:
                        wrap = forms[arg_op][0] in _WRAPPED
                    else:
                        label = operand.label
                        wrap = label is not None and "/" in label
                    if wrap:
                        push(")")
                        push(arg)
                        push("(")
                    else:
                        push(arg)
                    if position:
                        push(symbol)
                if kind == "prefix":
                    push(symbol)
            elif kind == "constant":
                push(symbol)
            else:
                push(")")
                for position in range(len(args) - 1, -1, -1):
                    push(args[position])
                    if position:
                        push(", ")
                push(symbol)
        return "".join(pieces)

    def operation(self, node_id: int, *, ascii: bool = False) -> str:
        """One level of a node: its operation applied to its operands' names (a × b, tanh(d))."""
        node = self.nodes[node_id]
        if node.op in (INPUT, CONST):
            return display_name(node.name, ascii)
        pieces = self._layout(node, ascii, nested=False)
        return "".join(p if type(p) is str else display_name(self.nodes[p].name, ascii) for p in pieces)

    def _layout(self, node: Node, ascii: bool, nested: bool) -> list:
        """A node's text as pieces: strings, and operand ids still to be written."""
        op = OPS[node.op]
        operands: list = []
        for position, arg in enumerate(node.args):
            alias = self.alias_uses.get((node.id, position)) if self.alias_uses else None
            if alias is not None:  # written as f where f = e
                operands.append([display_name(alias, ascii)])
                continue
            wrap = nested and op.kind in ("infix", "prefix") and self.is_inlined(arg) and \
                OPS[self.nodes[arg].op].kind in ("infix", "prefix")
            # a derivative's name (∂f/∂x, from grad()) reads as one symbol only in parentheses
            wrap = wrap or op.kind in ("infix", "prefix") and "/" in self.nodes[arg].name and \
                not self.is_inlined(arg)
            operands.append(["(", arg, ")"] if wrap else [arg])
        symbol = op.ascii_symbol if ascii else op.symbol
        if op.kind == "infix":
            return [*operands[0], f" {symbol} ", *operands[1]]
        if op.kind == "prefix":
            return [symbol, *operands[0]]
        if op.kind == "constant":
            return [symbol]
        pieces: list = [f"{op.name}("]
        for position, operand in enumerate(operands):
            if position:
                pieces.append(", ")
            pieces.extend(operand)
        pieces.append(")")
        return pieces

    def written_names(self) -> set[str]:
        """Every name the program's text binds or reads (inputs, bindings with their versions, aliases)."""
        names = {name for name, _ in self.statements if name}
        names.update(self.nodes[i].name for i in self.inputs)
        names.update(name for name in self.alias_statements.values() if name)
        return names

    def echo(self, *, ascii: bool = False) -> list[str]:
        """The program as parsed: one `name = expression` line per statement, fully parenthesised."""
        lines = []
        for index, (name, root) in enumerate(self.statements):
            if index in self.alias_statements:  # f = e, as written
                written = self.alias_statements[index] or self.nodes[root].name
                lines.append(f"{display_name(name, ascii)} = {display_name(written, ascii)}")
                continue
            shown, expression = display_name(name, ascii), self.expression(root, ascii=ascii)
            lines.append(shown if shown == expression else f"{shown} = {expression}")
        return lines


_WRAPPED = ("infix", "prefix")
# by op: (kind, what ``_expression_plain`` writes: " × " between infix operands, "-" before a prefix
# one, "tanh(" before a call's, "π" for a constant), in Unicode and in ASCII
_FORMS = tuple({name: (op.kind, f" {symbol} " if op.kind == "infix" else symbol if op.kind in ("prefix", "constant")
                       else f"{name}(")
                for name, op in OPS.items()
                for symbol in [op.ascii_symbol if ascii else op.symbol]}
               for ascii in (False, True))

_SUBSCRIPTS = str.maketrans("₀₁₂₃₄₅₆₇₈₉", "0123456789")


def display_name(name: str, ascii: bool = False) -> str:
    """A node's name as printed; in ASCII, version subscripts become _1, _2 and Greek letters words (θ → theta)."""
    if not ascii or name.isascii():
        return name
    if "∂" in name:  # a derivative's name, from grad(): ∂f/∂x → df/dx
        name = name.replace("∂", "d")
    if name == "π":
        return "pi"
    base = name.rstrip("₀₁₂₃₄₅₆₇₈₉")
    if base != name:
        return f"{_transliterate(base)}_{name[len(base):].translate(_SUBSCRIPTS)}"
    return _transliterate(name)


def _transliterate(name: str) -> str:
    """Greek letters spelled out (θ → theta, Δ → Delta); other letters are kept (and escaped by --ascii:
    dropping an accent could make é the same name as a generated e)."""
    import unicodedata

    out = []
    for char in name:
        words = unicodedata.name(char, "").split()
        if words[:1] == ["GREEK"] and "LETTER" in words:
            letter = [w for w in words[words.index("LETTER") + 1:] if w != "FINAL"][0].lower()
            out.append(letter.capitalize() if "CAPITAL" in words else letter)
        else:
            out.append(char)
    return "".join(out)
