"""AST (``syntax.Program``) → ``Graph``: resolve names, number the nodes, keep spans.

Later statements see the newest binding of a name; bindings after the first get
versioned names (c, c₁, c₂). A name bound anywhere is not an input, so using it before
its first binding is an error. Unnamed intermediates get short generated names that
cannot be read as the user's (see ``_name_intermediates``): single letters for small
graphs (the seed page's e = a × b, d = e + c for (a*b+c)*f), bracketed numbers [1], [2], …
for bigger ones.
"""

from __future__ import annotations

import re


from array import array

from .errors import BackpropError, UnknownName
from .graph import CONST, INPUT, Graph, Node, NodeTable
from .ops import OPS
from .syntax import Apply, Assign, Name, Program

_SUBSCRIPT_DIGITS = "₀₁₂₃₄₅₆₇₈₉"
# Letters that read as digits (l, o) are not handed out.
_LETTERS = [c for c in "abcdefghijkmnpqrstuvwxyz"]
MAX_LETTER_NAMES = 12  # past a dozen, letters stop being memorable: numbered names say where they are
_OUTPUT_NAMES = ("L", "out", *(f"out{i}" for i in range(1, 100)))  # made once: a run is microseconds


class _Builder:
    """Collects nodes in parallel lists with provisional ids; ``_finish`` renumbers inputs first.

    Inputs get provisional ids -1, -2, … (in order of first use); everything else 0, 1, ….
    Operands are kept flat (``argv``, ``argc``: no tuple per node until ``_finish`` makes the final
    ones), so a big program's peak holds one set of operand tuples, not two.
    """

    def __init__(self):
        self.ops: list[str] = []
        self.argv = array("i")  # every node's provisional operand ids, one node after another
        self.argc = bytearray()  # how many of them each node has
        self.spans = NodeTable()  # spans by provisional id; the AST's span tuples are not kept
        self.values: list[float | None] = []
        self.names: list[str | None] = []
        self.named: list[bool] = []
        self.inputs: dict[str, int] = {}  # name -> provisional id
        self.input_spans: list = []
        self.literal_text: dict[int, str] = {}  # constants are named by their text unless bound
        self.literal_values: dict[str, float] = {}  # a literal's text -> its value, shared by its nodes
        self.constant_symbols: dict[int, str] = {}  # a named constant's node (pi) -> its symbol (π)
        self.notes: list[str] = []
        self.source = ""
        self.aliases: dict[str, str] = {}  # a name bound to a node named otherwise (f = e) -> its shown name
        self.alias_statements: dict[int, str] = {}  # index of such a binding -> the name on its right
        self.alias_uses: dict[tuple[int, int], str] = {}  # (provisional node, operand position) -> name used

    def add(self, op, args, span, value=None, name=None, named=False) -> int:
        self.ops.append(op)
        self.argv.extend(args)
        self.argc.append(len(args))
        self.spans.append(span)
        self.values.append(value)
        self.names.append(name)
        self.named.append(named)
        return len(self.ops) - 1

    def input(self, name: str, span) -> int:
        if name not in self.inputs:
            self.inputs[name] = -1 - len(self.inputs)
            self.input_spans.append(span)
        return self.inputs[name]


SCALARS_ONLY = ("this works on scalar programs only, and this one uses arrays ([…], @, x[i], .T, sum, softmax …): "
                "differentiate it with backprop PROGRAM (docs/arrays.md)")


def lower(program: Program, *, consume: bool = False) -> Graph:
    """Turn a parsed program into a graph in topological order (iteratively, any depth).

    ``consume=True`` (the pipeline's own call, whose caller drops the program next) empties the
    program as it goes: each part of the syntax tree is freed as soon as it is lowered, so the
    tree and the graph never both exist whole (the peak of ``differentiate``, docs/benchmark.md).
    """
    if program.arrays:  # array programs have their own graph (arrays/graph.py); this one is scalars only
        raise BackpropError(SCALARS_ONLY)
    pending = list(program.statements)
    if consume:
        program.statements = ()
    bound_anywhere = {s.name for s in pending if type(s) is Assign}
    builder = _Builder()
    builder.source = getattr(program, "source", "") or ""
    current: dict[str, int] = {}  # name -> node of its newest binding
    versions = Versions(builder.source)
    statements: list[tuple[str | None, int]] = []

    last = len(pending) - 1
    for index in range(len(pending)):
        statement = pending[index]
        is_binding = type(statement) is Assign
        # The tree goes to _lower_expr in a list it empties, so no frame here keeps its root alive.
        tree = [statement.expr if is_binding else statement]
        written = tree[0] if type(tree[0]) is Name else None  # f in f = e: how the echo shows an alias
        if consume:
            pending[index] = None
            if is_binding:
                statement.expr = None
            else:
                statement = None
        root = _lower_expr(tree, builder, current, bound_anywhere)
        if is_binding:
            name = versions.bind(statement.name)
            if root >= 0 and (builder.names[root] is None or index == last):
                # The binding names the node it creates; the last one also renames a node it
                # merely repeats (h = …; L = h), so the output is called what the program calls it.
                if builder.names[root] is not None and written is not None:
                    builder.alias_statements[len(statements)] = _written_name(written, versions, builder.aliases)
                builder.names[root] = name
                builder.named[root] = True
                builder.aliases.pop(statement.name, None)
            else:
                # f = e: another name for a node that has one. The echo and every operation that
                # uses f show f, as written; the node keeps its first name.
                builder.aliases[statement.name] = name
                builder.alias_statements[len(statements)] = _written_name(written, versions, builder.aliases)
            current[statement.name] = root
            statements.append((name, root))
        else:
            statements.append((None, root))

    user_names = set(builder.inputs) | bound_anywhere | {n for n, _ in statements if n}
    output = statements[-1][1]
    # A bare constant (pi) as the output is still called L: its symbol is not a node name.
    if output >= 0 and (builder.names[output] is None or statements[-1][0] is None and builder.ops[output] == CONST):
        builder.names[output] = _fresh(_OUTPUT_NAMES, user_names)
        builder.named[output] = True
    _name_intermediates(builder, user_names | {builder.names[output]} if output >= 0 else user_names)
    graph = _finish(builder, statements)
    graph.notes = list(dict.fromkeys(builder.notes))
    if "grad" in builder.ops:
        from .transform import expand_grads

        graph = expand_grads(graph)
    return graph


def _lower_expr(tree: list, builder: _Builder, current: dict, bound_anywhere: set) -> int:
    """Post-order walk with explicit stacks; returns the provisional id of the node of the
    expression in ``tree`` (a one-item list, emptied: the walk holds the only reference).

    ``todo`` holds AST nodes still to visit and tuples marking operations whose operands are
    done: (op, start, end, arity), or (node,) for grad. ``done`` holds the ids of finished operands,
    so no lookup table is needed. A marker does not hold its AST node, so once the caller's
    program lets go of the tree, each node is freed when its operands are on the stack.
    """
    ops, argv, argc, values, names, named = (builder.ops, builder.argv, builder.argc,
                                             builder.values, builder.names, builder.named)
    starts, ends = builder.spans.starts, builder.spans.ends
    done: list[int] = []
    aliased: dict[int, str] = {}  # position in done -> the alias name that put it there (f for e)
    aliases = builder.aliases
    literals = builder.literal_values
    todo = [tree.pop()]
    while todo:
        node = todo.pop()
        kind = type(node)
        if kind is tuple:  # an operation whose operands are all done
            if len(node) == 1:  # grad(f, x)
                aliased.pop(len(done) - 1, None)
                done.append(_lower_grad(node[0], done.pop(), builder, current, bound_anywhere))
                continue
            op, start, end, arity = node
            if aliased:
                base = len(done) - arity
                for position in range(arity):
                    alias = aliased.pop(base + position, None)
                    if alias is not None:
                        builder.alias_uses[len(ops), position] = alias
            argv.extend(done[-arity:])
            del done[-arity:]
            done.append(len(ops))
            ops.append(op)
            argc.append(arity)
            starts.append(start)
            ends.append(end)
            values.append(None)
            names.append(None)
            named.append(False)
        elif kind is Apply:
            if node.op == "grad":
                todo.append((node,))
                todo.append(node.args[0])  # only f is lowered: x names what to differentiate by
                _check_grad_variable(node)
            elif node.args:
                todo.append((node.op, node.start, node.end, len(node.args)))  # the parser interned op
                todo.extend(reversed(node.args))
            else:  # a constant such as pi
                done.append(builder.add(CONST, (), node.span, OPS[node.op].forward(), OPS[node.op].symbol, True))
                builder.constant_symbols[done[-1]] = OPS[node.op].symbol
        elif kind is Name:
            name = node.name
            done.append(current[name] if name in current else _resolve(node, builder, bound_anywhere))
            if name in aliases:
                aliased[len(done) - 1] = aliases[name]
        else:  # Number: one float object per distinct literal (a big program repeats its 2s and 0.5s)
            index = builder.add(CONST, (), node.span, literals.setdefault(node.text, node.value))
            builder.literal_text[index] = node.text
            done.append(index)
    return done[-1]


def _written_name(expr, versions: Versions, aliases: dict) -> str | None:
    """The right side of an alias binding as the echo shows it: f, c₁ (its current version), or None."""
    if type(expr) is not Name:
        return None
    name = expr.name
    if name in aliases:
        return aliases[name]
    return versions.current(name)


def _check_grad_variable(node: Apply) -> None:
    variable = node.args[1]
    if type(variable) is not Name:
        raise UnknownName("grad(f, x) differentiates with respect to a name: its second argument must be a "
                          "variable such as x, not an expression or a number", variable.span)


def _lower_grad(node: Apply, f: int, builder: _Builder, current: dict, bound_anywhere: set) -> int:
    """A ``grad`` placeholder node over (f, x); ``transform.expand_grads`` rewrites it after lowering.

    A name that f cannot depend on (used nowhere before) makes the derivative 0, with a note.
    """
    variable = node.args[1]
    name = variable.name
    if name in current:
        x = current[name]
    elif name in builder.inputs:
        x = builder.inputs[name]
    elif name in bound_anywhere:
        raise UnknownName(f"grad(…, {name}): '{name}' is bound only later in the program", variable.span)
    else:
        builder.notes.append(f"grad(…, {name}) is 0: '{name}' is not used by the expression before it")
        index = builder.add(CONST, (), node.span, 0.0)
        builder.literal_text[index] = "0"
        return index
    function = node.args[0]
    top = function.name if type(function) is Name else f"({_source_text(builder, function)})"
    return builder.add("grad", (f, x), node.span, name=f"∂{top}/∂{name}")


def _source_text(builder: _Builder, expr) -> str:
    start, end = expr.span
    return " ".join(builder.source[start:end].split()) or "f"


def _resolve(node: Name, builder: _Builder, bound_anywhere: set) -> int:
    """A name with no binding so far: an input, unless it is bound later (an error)."""
    if node.name in bound_anywhere:
        raise UnknownName(
            f"'{node.name}' is used before its first binding (a name bound anywhere in the program is not an input)",
            node.span,
        )
    return builder.input(node.name, node.span)


# Names a version's ASCII or LaTeX spelling could be (c_1). Tried at the start of a word only: from
# anywhere inside one, \w+ would backtrack over the rest of it, quadratic in a 10 MB number or name.
_NUMBERED_NAME = re.compile(r"(?<!\w)[^\W\d]\w*_\d+(?!\w)")


class Versions:
    """The names of a name's bindings, in order: c, c₁, c₂, … A number whose ASCII and LaTeX spelling
    is a name the program writes itself is skipped (beside a user's c_1, c₁ would print as c_1 and
    c_{1} too): c, c₂, … The scalar and the array lowering both name their bindings here."""

    def __init__(self, source: str):
        self.numbered = set(_NUMBERED_NAME.findall(source))
        self.numbers: dict[str, int] = {}  # name -> its newest version's number (0: the first binding)

    def bind(self, name: str) -> str:
        """The name of a new binding of ``name``."""
        number = self.numbers.get(name)
        if number is None:
            self.numbers[name] = 0
            return name
        number += 1
        while f"{name}_{number}" in self.numbered:
            number += 1
        self.numbers[name] = number
        return name + _subscript(number)

    def current(self, name: str) -> str:
        """The name of ``name``'s newest binding (``name`` itself when it has none, or one)."""
        number = self.numbers.get(name)
        return name + _subscript(number) if number else name


def _subscript(number: int) -> str:
    return "".join(_SUBSCRIPT_DIGITS[int(d)] for d in str(number))


def _fresh(candidates, taken: set) -> str:
    for name in candidates:
        if name not in taken:
            return name
    raise AssertionError("no free name")  # 100 candidates; unreachable in practice


def _name_intermediates(builder: _Builder, taken: set) -> None:
    """Give every unnamed operation a generated name that cannot be read as one of the user's.

    Small graphs get single letters: never a user's name, nor the first letter of one (no h
    beside the user's h1). A program written in single letters, like the seed page's, gets them
    from the output backwards, in the order the backward pass meets them (the seed's
    e = a × b, d = e + c); any other program gets them in the order they are computed. Bigger
    graphs get bracketed numbers, [1], [2], …, which no identifier can spell and which do not
    look like a version (c₁) or a user's numbered name (h1).
    """
    names = builder.names
    for index, text in builder.literal_text.items():
        if names[index] is None:
            names[index] = text
    unnamed = [i for i, name in enumerate(names) if name is None]
    if not unnamed:
        return
    letters = _free_letters(taken)
    if len(unnamed) <= min(len(letters), MAX_LETTER_NAMES):
        seed_style = all(len(name.rstrip(_SUBSCRIPT_DIGITS)) == 1 for name in taken)  # h₁ is a version of h
        order = reversed(unnamed) if seed_style else unnamed
        for index, letter in zip(order, letters):
            names[index] = letter
        return
    for number, index in enumerate(unnamed, start=1):
        names[index] = number  # made into [number] when read (Node.name): no string per node


def _free_letters(taken: set) -> list[str]:
    """The letters no user name is, or starts with (either case: W1 rules out w)."""
    initials = {name[0].lower() for name in taken if name}
    return [c for c in _LETTERS if c not in taken and c not in initials]


def _finish(builder: _Builder, statements) -> Graph:
    """Renumber: inputs first, in order of first use, then everything else in emission order."""
    count = len(builder.inputs)
    # final[p] is the final id of provisional id p: p + count for p >= 0, and (a list's negative
    # index) i for input -1 - i. Every node id and operand refers to these int objects, one per node.
    final = list(range(count, count + len(builder.ops)))
    final.extend(range(count - 1, -1, -1))
    # Spans and generated names' numbers in final order (inputs first) in the graph's columns:
    # each node finds its own by id.
    table = NodeTable()
    for span in builder.input_spans:
        table.append(span)
    table.starts.extend(builder.spans.starts)
    table.ends.extend(builder.spans.ends)
    table.numbers = array("i", bytes(4 * len(table)))
    numbers = table.numbers
    nodes = [Node(final[-1 - i], INPUT, (), name, table, None, True) for i, name in enumerate(builder.inputs)]
    argv = builder.argv
    at = 0
    for index, (op, arity, name, value, named) in enumerate(
        zip(builder.ops, builder.argc, builder.names, builder.values, builder.named)
    ):
        if arity == 2:
            args = (final[argv[at]], final[argv[at + 1]])
        elif arity == 1:
            args = (final[argv[at]],)
        elif arity:
            args = tuple([final[a] for a in argv[at:at + arity]])
        else:
            args = ()
        at += arity
        if type(name) is int:  # a generated [n]
            numbers[count + index] = name
            name = None
        nodes.append(Node(final[index], op, args, name, table, value, named))

    echo = [(name or nodes[final[root]].name, final[root]) for name, root in statements]
    graph = Graph(nodes, final[statements[-1][1]], echo)
    graph.alias_statements = dict(builder.alias_statements)
    for index, (name, root) in enumerate(statements):  # L = pi echoes as written, not as L = 3.14159
        symbol = builder.constant_symbols.get(root)
        if symbol is not None and builder.names[root] != symbol and index not in graph.alias_statements:
            graph.alias_statements[index] = symbol
    graph.alias_uses = {(node + count, position): name for (node, position), name in builder.alias_uses.items()}
    return graph
