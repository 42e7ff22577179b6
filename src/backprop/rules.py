"""Registry rule strings → expressions, numeric partials and evaluation.

Each registry entry writes its local derivatives ONCE, as strings in the tool's own language
over its operands ``x``, ``y`` and its own value ``out`` (``ops.Op.grads``). This module turns
them into:

- rule expressions (``Expr``): small immutable trees, read by the printers (the derivation's
  "since …" lines in every format, docs/operators.md) and by the graph transform
  (``transform.py``), which instantiates them as new graph nodes;
- numeric partials: one generated Python function per operation, compiled on first use, so
  the backward loop runs plain arithmetic as fast as hand-written lambdas did.

Expressions are tuples: ``("num", value)``, ``("name", text)`` and ``("op", name, args)``.
Rules are parsed with the language's own parser; nothing here evaluates user text.

Edge cases follow one stated arithmetic (``ieee_apply``): where Python raises (1/0, log(0),
0^-1) the careful path returns what IEEE 754 gives (±inf, nan), and in a product of local
derivatives a zero factor wins (0 × inf = 0): PyTorch's masked conventions for x^y at x = 0.
"""

from __future__ import annotations

import math
from typing import Callable

from .ops import OPS, Op

Expr = tuple

ONE: Expr = ("num", 1.0)
ZERO: Expr = ("num", 0.0)
SLOTS = ("x", "y")  # operand names in rules, by position; "out" is the node's own value


def num(value: float) -> Expr:
    return ("num", float(value))


def name(text: str) -> Expr:
    return ("name", text)


def apply(op: str, *args: Expr) -> Expr:
    return ("op", op, tuple(args))


# --- rule strings → expressions -------------------------------------------------------------

_RULE_CACHE: dict[tuple, tuple[Expr, ...]] = {}


def rule_exprs(op: Op) -> tuple[Expr, ...]:
    """The entry's local derivatives as expressions over x, y and out, one per operand."""
    key = (op.name, op.grads)
    cached = _RULE_CACHE.get(key)
    if cached is None:
        cached = _RULE_CACHE[key] = tuple(parse_rule(text, op) for text in op.grads)
    return cached


def parse_rule(text: str, op: Op | None = None) -> Expr:
    """One rule string as an expression; only x, y (by arity), out and registry operations."""
    from .parse import parse
    from .syntax import Apply, Name, Number

    program = parse(text)
    if len(program.statements) != 1 or not isinstance(program.statements[0], (Apply, Name, Number)):
        raise ValueError(f"a rule is one expression, not {text!r}")
    allowed = {"out", *SLOTS[: op.arity if op else 2]}
    # Post-order with an explicit stack: rules are small, but the house rule is no recursion.
    done: list[Expr] = []
    todo: list = [program.statements[0]]
    while todo:
        node = todo.pop()
        if type(node) is tuple:
            apply_node = node[0]
            arity = len(apply_node.args)
            args = tuple(done[len(done) - arity:])
            del done[len(done) - arity:]
            done.append(("op", apply_node.op, args))
        elif isinstance(node, Apply):
            todo.append((node,))
            todo.extend(reversed(node.args))
        elif isinstance(node, Name):
            if node.name not in allowed:
                raise ValueError(f"rule {text!r} of {op.name if op else '?'} uses {node.name!r}; "
                                 f"it may use {', '.join(sorted(allowed))}")
            done.append(("name", node.name))
        else:
            done.append(("num", float(node.value)))
    return done[0]


def fold(expr: Expr, number: Callable, name: Callable, operation: Callable):
    """Post-order over an expression with an explicit stack: leaves become ``number(leaf)`` (the
    whole ("num", value[, digits]) tuple) or ``name(text)``, an operation ``operation(op, args)`` over its operands' results. The one
    walk behind substitution, evaluation, emitting a rule as graph nodes and the SymPy test."""
    done: list = []
    todo: list = [expr]
    while todo:
        node = todo.pop()
        if type(node) is list:  # [op, arity]: its operands are done
            op, arity = node
            args = tuple(done[len(done) - arity:])
            del done[len(done) - arity:]
            done.append(operation(op, args))
        elif node[0] == "op":
            todo.append([node[1], len(node[2])])
            todo.extend(reversed(node[2]))
        elif node[0] == "name":
            done.append(name(node[1]))
        else:
            done.append(number(node))
    return done[0]


def substitute(expr: Expr, slots: dict[str, Expr]) -> Expr:
    """The expression with each name replaced by ``slots[name]`` (names not in slots stay)."""
    return fold(expr, lambda leaf: leaf, lambda text: slots.get(text, ("name", text)),
                lambda op, args: ("op", op, args))


# --- evaluation with one stated arithmetic ---------------------------------------------------

def ieee_apply(op: str, args: tuple[float, ...]) -> float:
    """``op`` applied as IEEE 754 would: ±inf or nan where Python raises; 0 × anything = 0."""
    if op == "mul" and (args[0] == 0.0 or args[1] == 0.0):
        return 0.0  # a zero local derivative stops the product (PyTorch's masked rules)
    if op == "pow" and args[1] == 2.0:
        return args[0] * args[0]  # as the generated partials compute a square (and IEEE: inf, never an error)
    try:
        return OPS[op].forward(*args)
    except ZeroDivisionError:
        x, y = args
        if x == 0.0 or math.isnan(x):
            return math.nan
        return math.copysign(math.inf, x) * math.copysign(1.0, y)
    except OverflowError:
        return _overflow_sign(op, args) * math.inf
    except ValueError:
        if op in ("log", "log2", "log10") and args[0] == 0.0:
            return -math.inf
        if op == "pow" and args[0] == 0.0 and args[1] < 0:
            return math.inf
        return math.nan


def _overflow_sign(op: str, args: tuple[float, ...]) -> float:
    if op in ("sinh", "pow", "mul", "div"):
        product = 1.0
        for a in args[:1]:
            product *= a
        if op == "pow" and args[1] == math.floor(args[1]) and int(args[1]) % 2 == 0:
            return 1.0
        return math.copysign(1.0, product)
    return 1.0


def evaluate(expr: Expr, slots: dict[str, float]) -> float:
    """The value of an expression over named numbers, in the careful arithmetic above."""
    return fold(expr, lambda leaf: leaf[1], slots.__getitem__, ieee_apply)


# --- numeric partials: generated Python, compiled once per rule ------------------------------

_INFIX_PY = {"add": "+", "sub": "-", "mul": "*", "div": "/"}
_COMPILED: dict[tuple, Callable] = {}


def _python(expr: Expr, namespace: dict, careful: bool = False) -> str:
    """Python source for an expression (fully parenthesised; functions via the namespace).

    ``careful`` writes every operation as a call of its ``ieee_apply`` form (inf and nan instead
    of exceptions): the fallback where the plain arithmetic raised.
    """
    pieces: list[str] = []
    todo: list = [expr]
    while todo:
        node = todo.pop()
        if type(node) is str:
            pieces.append(node)
        elif node[0] == "num":
            pieces.append(repr(node[1]))
        elif node[0] == "name":
            pieces.append(node[1])
        else:
            op, args = node[1], node[2]
            if not careful and op == "pow" and args[1] == ("num", 2.0):  # x^2 as x * x (ieee_apply agrees)
                if args[0][0] in ("name", "num"):
                    todo.extend(reversed(["(", args[0], " * ", args[0], ")"]))
                else:  # a call squared (tanh's 1/cosh(x)^2): computed once, then multiplied by itself
                    temporary = f"_t{len(namespace)}"
                    namespace[temporary] = None  # reserves the name: the counter moves on
                    todo.extend(reversed([f"(({temporary} := ", args[0], f") * {temporary})"]))
            elif not careful and op in _INFIX_PY:
                todo.extend(reversed(["(", args[0], f" {_INFIX_PY[op]} ", args[1], ")"]))
            elif not careful and op == "neg":
                todo.extend(reversed(["(-", args[0], ")"]))
            else:
                alias = f"_ieee_{op}" if careful else f"_{op}"
                if careful:
                    namespace[alias] = lambda *values, _op=op: ieee_apply(_op, values)
                else:
                    namespace[alias] = OPS[op].forward
                parts: list = [f"{alias}("]
                for position, arg in enumerate(args):
                    if position:
                        parts.append(", ")
                    parts.append(arg)
                parts.append(")")
                todo.extend(reversed(parts))
    return "".join(pieces)


def compiled_partials(op: Op) -> Callable[..., tuple[float, ...]]:
    """``(*operands, out) -> (∂out/∂operand, …)`` generated from the entry's rules.

    Each partial is plain Python arithmetic; where it raises (a division by zero, log of a
    negative number, an overflow) that partial alone is computed again in the careful
    arithmetic of ``ieee_apply`` (also generated, so the fallback is cheap too).
    """
    key = (op.name, op.arity, op.grads)
    function = _COMPILED.get(key)
    if function is not None:
        return function
    exprs = rule_exprs(op)
    params = list(SLOTS[: op.arity]) + ["out"]
    namespace: dict = {}
    signature = ", ".join(params)
    lines = [f"def partials_{op.name}({signature}):"]
    names = []
    for position, expr in enumerate(exprs):
        plain, careful = _python(expr, namespace), _python(expr, namespace, careful=True)
        if plain == careful:  # no operation that can raise: y, 1.0, out
            names.append(plain)
            continue
        lines += [
            "    try:",
            f"        d{position} = {plain}",
            "    except (ArithmeticError, ValueError):",
            f"        d{position} = {careful}",
        ]
        names.append(f"d{position}")
    lines.append(f"    return ({', '.join(names)}{',' if len(names) == 1 else ''})")
    source = "\n".join(lines) + "\n"
    # The source is generated from registry rules (parsed into expressions above), never from user text.
    exec(compile(source, f"<rules of {op.name}>", "exec"), namespace)  # noqa: S102
    function = _COMPILED[key] = namespace[f"partials_{op.name}"]
    function.source = source
    return function


class PartialsColumn(dict):
    """``{op name: compiled partials}``, filled on first use: a run compiles only the
    operations its program uses (a cold start parses a handful of rules, not all of them)."""

    def __missing__(self, op_name: str):
        function = self[op_name] = compiled_partials(OPS[op_name])
        return function


class SweepColumn(dict):
    """``{op name: partials}`` for the backward sweep: the tuple itself where every partial is a
    constant (add: (1.0, 1.0)), ``SWAPPED`` where a binary operation's partials are its operands
    swapped (mul: (y, x)), else the compiled function. Same numbers, fewer calls."""

    def __missing__(self, op_name: str):
        op = OPS[op_name]
        exprs = rule_exprs(op)
        if not any(_names_in(expr) for expr in exprs):  # numbers only: add's 1, sub's 1 and -1
            entry = tuple(evaluate(expr, {}) for expr in exprs)
        elif op.arity == 2 and exprs == (("name", "y"), ("name", "x")):
            entry = SWAPPED
        else:
            entry = compiled_partials(op)
        self[op_name] = entry
        return entry


SWAPPED = None  # SweepColumn's entry for partials (y, x)


def _names_in(expr: Expr) -> bool:
    """Whether an expression reads any name (x, y, out); walked with a stack, as every tree here."""
    todo = [expr]
    while todo:
        node = todo.pop()
        if node[0] == "name":
            return True
        if node[0] == "op":
            todo.extend(node[2])
    return False
_COLUMN: tuple[int, PartialsColumn] | None = None
_SWEEP: tuple[int, SweepColumn] | None = None


def sweep_column() -> SweepColumn:
    """The backward sweep's partials of every operation, rebuilt when the registry changes."""
    global _SWEEP
    if _SWEEP is None or _SWEEP[0] != OPS.version:
        _SWEEP = (OPS.version, SweepColumn())
    return _SWEEP[1]


def partials_column() -> PartialsColumn:
    """The compiled partials of every operation, rebuilt when the registry changes."""
    global _COLUMN
    if _COLUMN is None or _COLUMN[0] != OPS.version:
        _COLUMN = (OPS.version, PartialsColumn())
    return _COLUMN[1]
