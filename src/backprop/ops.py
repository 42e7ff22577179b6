"""The operator registry: the one place that knows each operation.

Each ``Op`` entry says how the operation is written (symbol, label, templates), how many
operands it takes, how to compute it (``forward``), its local derivatives (``grads``: one
rule per operand, written once in the language itself over ``x``, ``y`` and ``out``; see
``rules.py`` for what is derived from them), when it is undefined (``domain``) and where its
derivative is a convention rather than a fact (``note``, per operand). Parsing, lowering, evaluation, the backward
pass, every renderer and the generated docs read this table; adding a function is
adding one entry.

LaTeX and text templates use ``{x}`` and ``{y}`` for the operands.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

# Printing precedence: a sub-expression is parenthesised when it binds looser than its context.
ADD, MUL, UNARY, POW, ATOM = 1, 2, 3, 4, 5

INF = math.inf
NAN = math.nan


@dataclass(frozen=True)
class Op:
    name: str  # IR/JSON key; the word the user types for functions
    arity: int
    kind: str  # "infix", "prefix", "function", "constant" or "transform" (grad)
    forward: Callable[..., float] | None
    grads: tuple[str, ...]  # ∂out/∂operand, one rule per operand, over x, y and out: written ONCE
    doc: str  # one line for docs/operators.md and --help
    symbol: str = ""  # infix/prefix symbol, Unicode
    ascii_symbol: str = ""  # the same for --ascii
    latex: str = ""  # LaTeX template of the whole operation
    precedence: int = ATOM
    label: str = ""  # node label in diagrams
    domain: Callable[..., str] | None = None  # why the operands are outside the domain
    note: Callable[..., str | None] | None = None  # (operands, out, position) -> kink text for that operand
    text: str = ""  # a template that replaces name(x, y) in printed maths, e.g. "[{x} > {y}]"
    gate: str = ""  # its CS231n gate pattern in the backward flow, a key of GATE_PATTERNS ("" for none)

    @property
    def local_grads(self) -> Callable[..., tuple[float, ...]]:
        """``(*operands, out) -> partials``, compiled from ``grads`` on first use (rules.py)."""
        from .rules import compiled_partials

        return compiled_partials(self)


# CS231n's "patterns in backward flow": what a gate does to the gradient arriving from above.
# An op names its pattern with ``gate=``; a node used several times is a copy (fork) gate.
GATE_PATTERNS = {
    "add": "an add gate distributes the upstream gradient unchanged to its operands",
    "mul": "a mul gate swaps its operands' values: each one's local derivative is the other one",
    "max": "a max gate routes the upstream gradient to the operand it selected; the other gets 0",
    "copy": "a copy (fork) sums the gradients flowing back along its uses",
}


def _pow_note(operands, out, position) -> str | None:
    x, y = operands
    if position == 0 and x == 0.0 and 0 < y < 1:
        return "x^y with 0 < y < 1 has an infinite slope at x = 0: the derivative does not exist there (reported as inf)"
    if position == 1 and x < 0:
        return "∂(x^y)/∂y = x^y × log(x) does not exist for x < 0: the gradient with respect to the exponent is nan"
    if position == 1 and x == 0.0:
        if y == 0:
            return "∂(x^y)/∂y at 0^0 is 1 × log(0) = -inf: x^y jumps from 1 to 0 as y leaves 0"
        return "∂(x^y)/∂y = x^y × log(x) at x = 0 is taken as 0 (0 × log(0); PyTorch's convention)"
    return None


def _sigmoid(x: float) -> float:
    # Two branches keep exp from overflowing for large |x|.
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


def _softplus(x: float) -> float:
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def _kink(name: str, at: str, convention: str):
    def note(operands, out, position) -> str | None:
        if operands[0] == 0.0:
            return f"{name} has a kink at {at}: its derivative there is a convention, {convention} (as in PyTorch)"
        return None

    return note


def _tie(name: str):
    def note(operands, out, position) -> str | None:
        if operands[0] == operands[1]:
            return f"{name}(x, y) at a tie x = y has no derivative: the gradient is split evenly, 0.5 each (as in PyTorch)"
        return None

    return note


def _infinite_slope(name: str, where: str):
    def note(operands, out, position) -> str | None:
        x = operands[0]
        if x == 0.0 if where == "0" else abs(x) == 1.0:
            shown = where if where == "0" else ("1" if x > 0 else "-1")
            infinity = "-inf" if name == "acos" else "inf"
            return (f"{name} has a vertical tangent at x = {shown}: its derivative does not exist there "
                    f"(reported as {infinity})")
        return None

    return note


def _sign(x: float) -> float:
    return 1.0 if x > 0 else (-1.0 if x < 0 else 0.0)


def _needs_positive(name: str):
    return lambda x: f"{name} needs x > 0"


def _unit_interval(name: str):
    return lambda x: f"{name} needs -1 ≤ x ≤ 1"


def _pow_domain(x: float, y: float) -> str:
    if x == 0 and y < 0:
        return "0 to a negative power divides by zero"
    if x < 0 and y != math.floor(y):
        return "a negative number to a fractional power is not a real number"
    return "the result is too large for a 64-bit float (overflow)"


def _overflow(*operands) -> str:
    return "the result is too large for a 64-bit float (overflow)"


def _entry(**fields) -> Op:
    fields.setdefault("label", fields.get("symbol") or fields["name"])
    fields.setdefault("ascii_symbol", fields.get("symbol", ""))
    fields.setdefault("domain", _overflow)
    return Op(**fields)


def _function(name: str, forward, grad: str, doc: str, latex: str, **extra) -> Op:
    """A one-operand function written ``name(x)``; ``grad`` is its derivative over x and out."""
    return _entry(name=name, arity=1, kind="function", forward=forward, grads=(grad,), doc=doc, latex=latex, **extra)


class Registry(dict):
    """Operations by name. It counts its changes, so the forward and backward loops can keep
    one ``{name: function}`` table per field instead of rebuilding it on every call (that
    rebuilding was most of the cost of differentiating a three-operation program)."""

    def __init__(self):
        super().__init__()
        self.version = 0
        self._columns: dict[str, tuple[int, dict]] = {}

    def __setitem__(self, name: str, op: Op) -> None:
        super().__setitem__(name, op)
        self.version += 1

    def __delitem__(self, name: str) -> None:
        super().__delitem__(name)
        self.version += 1

    def column(self, field: str) -> dict:
        """``{name: getattr(op, field)}`` for every operation, rebuilt only after a change."""
        cached = self._columns.get(field)
        if cached is None or cached[0] != self.version:
            cached = (self.version, {name: getattr(op, field) for name, op in self.items()})
            self._columns[field] = cached
        return cached[1]


OPS: Registry = Registry()


def register(op: Op) -> Op:
    """Add an entry to the registry (one entry per operation)."""
    OPS[op.name] = op
    return op


# --- infix and prefix operators (their syntax lives in grammar/backprop.lark) -------------
# ``grads`` states each local derivative once, in the language itself, over the operands x, y
# and the node's own value out. Everything else (the numeric partials, the derivation's
# "since …" lines in every format, docs/operators.md, the gradient graph) is derived from it.
register(_entry(
    name="add", arity=2, kind="infix", symbol="+", precedence=ADD,
    forward=lambda x, y: x + y, grads=("1", "1"), latex="{x} + {y}", doc="addition x + y", gate="add",
))
register(_entry(
    name="sub", arity=2, kind="infix", symbol="−", ascii_symbol="-", label="−", precedence=ADD,
    forward=lambda x, y: x - y, grads=("1", "-1"), latex="{x} - {y}", doc="subtraction x − y (also written -)",
    gate="add",  # x − y = x + (−y): the right operand gets the upstream gradient negated
))
register(_entry(
    name="mul", arity=2, kind="infix", symbol="×", ascii_symbol="*", precedence=MUL,
    forward=lambda x, y: x * y, grads=("y", "x"), latex="{x} \\times {y}",
    doc="multiplication x × y (also * and ·)", gate="mul",
))
register(_entry(
    name="div", arity=2, kind="infix", symbol="/", label="÷", precedence=MUL,
    forward=lambda x, y: x / y, grads=("1/y", "-x/y^2"), latex="\\frac{{{x}}}{{{y}}}",
    doc="division x ÷ y (also /)", domain=lambda x, y: "division by zero" if y == 0 else _overflow(),
))
register(_entry(
    name="neg", arity=1, kind="prefix", symbol="-", label="−", precedence=UNARY,
    forward=lambda x: -x, grads=("-1",), latex="-{x}", doc="negation -x (also −)",
))
register(_entry(
    name="pow", arity=2, kind="infix", symbol="^", precedence=POW,
    forward=math.pow, grads=("y * x^(y - 1)", "out * log(x)"), latex="{x}^{{{y}}}",
    doc="power x ^ y (also ** and pow(x, y)); right-associative",
    domain=_pow_domain, note=_pow_note,
))

# --- functions, written name(x) --------------------------------------------------------
register(_function("exp", math.exp, "out", "exponential e^x", "\\exp({x})"))
register(_function("log", math.log, "1/x", "natural logarithm", "\\log({x})", domain=_needs_positive("log")))
register(_function("log2", math.log2, "1/(x * log(2))", "base-2 logarithm", "\\log_2({x})",
                   domain=_needs_positive("log2")))
register(_function("log10", math.log10, "1/(x * log(10))", "base-10 logarithm", "\\log_{{10}}({x})",
                   domain=_needs_positive("log10")))
register(_function("sqrt", math.sqrt, "1/(2 * out)", "square root", "\\sqrt{{{x}}}",
                   domain=lambda x: "sqrt needs x ≥ 0", note=_infinite_slope("sqrt", "0")))
register(_function("sin", math.sin, "cos(x)", "sine (radians)", "\\sin({x})"))
register(_function("cos", math.cos, "-sin(x)", "cosine (radians)", "\\cos({x})"))
register(_function("tan", math.tan, "1 + out^2", "tangent (radians)", "\\tan({x})"))
register(_function("asin", math.asin, "1/sqrt(1 - x^2)", "arcsine", "\\arcsin({x})",
                   domain=_unit_interval("asin"), note=_infinite_slope("asin", "±1")))
register(_function("acos", math.acos, "-1/sqrt(1 - x^2)", "arccosine", "\\arccos({x})",
                   domain=_unit_interval("acos"), note=_infinite_slope("acos", "±1")))
register(_function("atan", math.atan, "1/(1 + x^2)", "arctangent", "\\arctan({x})"))
register(_function("sinh", math.sinh, "cosh(x)", "hyperbolic sine", "\\sinh({x})"))
register(_function("cosh", math.cosh, "sinh(x)", "hyperbolic cosine", "\\cosh({x})"))
# The stable forms: 1 − tanh² and σ·(1 − σ) cancel to 0 where the derivative is tiny but not zero
# (tanh at 20: 1.7e-17), so the rules say sech² and σ(x)·σ(−x), which keep every digit.
register(_function("tanh", math.tanh, "1/cosh(x)^2", "hyperbolic tangent", "\\tanh({x})"))
register(_function("sigmoid", _sigmoid, "out * sigmoid(-x)", "logistic sigmoid 1/(1 + e^-x)", "\\sigma({x})"))
# relu'(0) = 0 and abs'(0) = 0, as in PyTorch: the conventions live in the rules' primitives.
register(_function("relu", lambda x: x if x > 0 else 0.0, "gt(x, 0)", "rectified linear unit max(0, x)",
                   "\\mathrm{{relu}}({x})", note=_kink("relu", "0", "relu'(0) = 0"), gate="max"))  # max(0, x)
register(_function("softplus", _softplus, "sigmoid(x)", "softplus log(1 + e^x)", "\\mathrm{{softplus}}({x})"))
register(_function("abs", abs, "sign(x)", "absolute value |x|", "\\left|{x}\\right|",
                   note=_kink("abs", "0", "abs'(0) = 0")))
# At a tie max and min split the gradient evenly, as in PyTorch.
register(_entry(
    name="max", arity=2, kind="function", forward=max, grads=("gt(x, y) + 0.5 * eq(x, y)", "gt(y, x) + 0.5 * eq(x, y)"),
    latex="\\max({x}, {y})", doc="the larger of x and y", note=_tie("max"), gate="max",
))
register(_entry(
    name="min", arity=2, kind="function", forward=min, grads=("gt(y, x) + 0.5 * eq(x, y)", "gt(x, y) + 0.5 * eq(x, y)"),
    latex="\\min({x}, {y})", doc="the smaller of x and y", note=_tie("min"), gate="max",
))

# --- primitives the rules use for kinks and ties (flat: their derivatives are 0) -------------
register(_function("sign", _sign, "0", "the sign of x: 1, 0 or -1 (sign(0) = 0)",
                   "\\operatorname{{sign}}({x})", note=_kink("sign", "0", "taken as 0")))
register(_entry(
    name="gt", arity=2, kind="function", forward=lambda x, y: 1.0 if x > y else 0.0, grads=("0", "0"),
    text="[{x} > {y}]", latex="[{x} > {y}]", doc="1 if x > y, else 0 (an Iverson bracket [x > y])",
))
register(_entry(
    name="eq", arity=2, kind="function", forward=lambda x, y: 1.0 if x == y else 0.0, grads=("0", "0"),
    text="[{x} = {y}]", latex="[{x} = {y}]", doc="1 if x = y, else 0 (an Iverson bracket [x = y])",
))

# --- constants: arity 0, written as a bare name ----------------------------------------
register(_entry(
    name="pi", arity=0, kind="constant", symbol="π", ascii_symbol="pi",
    forward=lambda: math.pi, grads=(), latex="\\pi", doc="the constant π = 3.14159…",
))

# --- transforms: not evaluated, rewritten by ``transform.expand_grads`` before evaluation ------
register(_entry(
    name="grad", arity=2, kind="transform", forward=None, grads=("0", "0"),
    latex="\\operatorname{{grad}}({x}, {y})",
    doc="grad(f, x): the derivative of the expression f with respect to the name x, as a value",
))

FUNCTION_NAMES = tuple(name for name, op in OPS.items() if op.kind in ("function", "infix", "transform") and name not in ("add", "sub", "mul", "div"))
"""Names a user may call as ``name(...)``: every function, plus ``pow``."""

CONSTANT_NAMES = tuple(name for name, op in OPS.items() if op.kind == "constant")
# A constant may be written as the symbol the derivation prints (π for pi), so printed maths reads back
CONSTANT_SYMBOLS = {op.symbol: name for name, op in OPS.items()
                    if op.kind == "constant" and op.symbol and op.symbol != name}
RESERVED_NAMES = frozenset(FUNCTION_NAMES + CONSTANT_NAMES + tuple(CONSTANT_SYMBOLS))
