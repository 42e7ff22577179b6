"""The operator registry: the one place that knows each operation.

Each ``Op`` entry says how the operation is written (symbol, label, templates), how many
operands it takes, how to compute it (``forward``), its local derivatives (``local_grads``,
one partial per operand), when it is undefined (``domain``) and where its derivative is
a convention rather than a fact (``note``). Parsing, lowering, evaluation, the backward
pass, every renderer and the generated docs read this table; adding a function is
adding one entry.

Templates use ``{x}`` and ``{y}`` for the operands and ``{out}`` for the node itself.
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
    kind: str  # "infix", "prefix", "function" or "constant"
    forward: Callable[..., float]
    local_grads: Callable[..., tuple[float, ...]]  # (*operands, out) -> ∂out/∂operand each
    grad_text: tuple[str, ...]  # how the derivation writes each local derivative
    doc: str  # one line for docs/operators.md and --help
    symbol: str = ""  # infix/prefix symbol, Unicode
    ascii_symbol: str = ""  # the same for --ascii
    latex: str = ""  # LaTeX template of the whole operation
    precedence: int = ATOM
    label: str = ""  # node label in diagrams
    domain: Callable[..., str] | None = None  # why the operands are outside the domain
    note: Callable[..., str | None] | None = None  # (operands, out, needs) -> kink text
    grad_rule: str = ""  # the derivative rule in words/formula, for docs
    grad_latex: tuple[str, ...] = ()  # grad_text as LaTeX, one template per operand


def _safe(partial: Callable[[], float]) -> float:
    """A partial derivative that is infinite where the formula divides by zero or overflows."""
    try:
        return partial()
    except (ZeroDivisionError, OverflowError):
        return INF


# --- local derivatives that need care at the edges of their domain -----------------------


def _pow_grads(x: float, y: float, out: float) -> tuple[float, float]:
    if x == 0.0:
        # d/dx x^y at 0: 0 for y > 1, 1 for y == 1, infinite for 0 < y < 1 (y <= 0 fails forward).
        dx = 0.0 if y > 1 or y == 0 else (1.0 if y == 1 else INF)
        dy = 0.0  # PyTorch's convention for 0^y with y > 0: the exponent's gradient is 0.
        return dx, dy
    dx = _safe(lambda: y * math.pow(x, y - 1))
    dy = out * math.log(x) if x > 0 else NAN  # log(x) is undefined for x < 0
    return dx, dy


def _pow_note(operands, out, needs) -> str | None:
    x, y = operands
    if x == 0.0 and 0 < y < 1 and needs[0]:
        return "x^y with 0 < y < 1 has an infinite slope at x = 0: the derivative does not exist there (reported as inf)"
    if x < 0 and needs[1]:
        return "∂(x^y)/∂y = x^y × log(x) does not exist for x < 0: the gradient with respect to the exponent is nan"
    if x == 0.0 and needs[1]:
        return "∂(x^y)/∂y at x = 0 is taken as 0 (PyTorch's convention)"
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
    def note(operands, out, needs) -> str | None:
        if operands[0] == 0.0 and needs[0]:
            return f"{name} has a kink at {at}: its derivative there is a convention, {convention} (as in PyTorch)"
        return None

    return note


def _tie(name: str):
    def note(operands, out, needs) -> str | None:
        if operands[0] == operands[1] and any(needs):
            return f"{name}(x, y) at a tie x = y has no derivative: the gradient is split evenly, 0.5 each (as in PyTorch)"
        return None

    return note


def _infinite_slope(name: str, where: str):
    def note(operands, out, needs) -> str | None:
        x = operands[0]
        if needs[0] and (x == 0.0 if where == "0" else abs(x) == 1.0):
            return f"{name} has a vertical tangent at x = {where}: its derivative does not exist there (reported as {'-inf' if name == 'acos' else 'inf'})"
        return None

    return note


def _max_grads(x: float, y: float, out: float) -> tuple[float, float]:
    if x == y:
        return 0.5, 0.5
    return (1.0, 0.0) if x > y else (0.0, 1.0)


def _min_grads(x: float, y: float, out: float) -> tuple[float, float]:
    if x == y:
        return 0.5, 0.5
    return (1.0, 0.0) if x < y else (0.0, 1.0)


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


def _one_over_root(x: float) -> float:
    return _safe(lambda: 1.0 / math.sqrt(1.0 - x * x))


def _overflow(*operands) -> str:
    return "the result is too large for a 64-bit float (overflow)"


def _entry(**fields) -> Op:
    fields.setdefault("label", fields.get("symbol") or fields["name"])
    fields.setdefault("ascii_symbol", fields.get("symbol", ""))
    fields.setdefault("domain", _overflow)
    return Op(**fields)


def _function(name: str, forward, local_grad, grad_text: str, doc: str, latex: str, rule: str, **extra) -> Op:
    """A one-operand function written ``name(x)``."""
    return _entry(
        name=name, arity=1, kind="function", forward=forward,
        local_grads=lambda x, out: (local_grad(x, out),),
        grad_text=(grad_text,), doc=doc, latex=latex, grad_rule=rule, **extra,
    )


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
register(_entry(
    name="add", arity=2, kind="infix", symbol="+", precedence=ADD,
    forward=lambda x, y: x + y, local_grads=lambda x, y, out: (1.0, 1.0),
    grad_text=("1", "1"), grad_latex=("1", "1"), latex="{x} + {y}", doc="addition x + y",
    grad_rule="∂/∂x = 1, ∂/∂y = 1",
))
register(_entry(
    name="sub", arity=2, kind="infix", symbol="−", ascii_symbol="-", label="−", precedence=ADD,
    forward=lambda x, y: x - y, local_grads=lambda x, y, out: (1.0, -1.0),
    grad_text=("1", "-1"), grad_latex=("1", "-1"), latex="{x} - {y}", doc="subtraction x − y (also written -)",
    grad_rule="∂/∂x = 1, ∂/∂y = -1",
))
register(_entry(
    name="mul", arity=2, kind="infix", symbol="×", ascii_symbol="*", precedence=MUL,
    forward=lambda x, y: x * y, local_grads=lambda x, y, out: (y, x),
    grad_text=("{y}", "{x}"), grad_latex=("{y}", "{x}"), latex="{x} \\times {y}", doc="multiplication x × y (also * and ·)",
    grad_rule="∂/∂x = y, ∂/∂y = x",
))
register(_entry(
    name="div", arity=2, kind="infix", symbol="/", label="÷", precedence=MUL,
    forward=lambda x, y: x / y,
    local_grads=lambda x, y, out: (1.0 / y, -out / y),
    grad_text=("1/{y}", "-{x}/{y}^2"),
    grad_latex=("\\frac{{1}}{{{y}}}", "-\\frac{{{x}}}{{{y}^{{2}}}}"), latex="\\frac{{{x}}}{{{y}}}",
    doc="division x ÷ y (also /)", grad_rule="∂/∂x = 1/y, ∂/∂y = -x/y²",
    domain=lambda x, y: "division by zero" if y == 0 else _overflow(),
))
register(_entry(
    name="neg", arity=1, kind="prefix", symbol="-", label="−", precedence=UNARY,
    forward=lambda x: -x, local_grads=lambda x, out: (-1.0,),
    grad_text=("-1",), grad_latex=("-1",), latex="-{x}", doc="negation -x (also −)", grad_rule="∂/∂x = -1",
))
register(_entry(
    name="pow", arity=2, kind="infix", symbol="^", precedence=POW,
    forward=math.pow, local_grads=_pow_grads,
    grad_text=("{y} × {x}^({y} - 1)", "{out} × log({x})"),
    grad_latex=("{y} \\cdot {x}^{{{y} - 1}}", "{out} \\cdot \\log({x})"), latex="{x}^{{{y}}}",
    doc="power x ^ y (also ** and pow(x, y)); right-associative",
    grad_rule="∂/∂x = y·x^(y−1), ∂/∂y = x^y·log(x) (x > 0)",
    domain=_pow_domain, note=_pow_note,
))

# --- functions, written name(x) --------------------------------------------------------
register(_function(
    "exp", math.exp, lambda x, out: out, "exp({x})", "exponential e^x",
    "\\exp({x})", "exp(x)", grad_latex=("\\exp({x})",),
))
register(_function(
    "log", math.log, lambda x, out: 1.0 / x, "1/{x}", "natural logarithm",
    "\\log({x})", "1/x", grad_latex=("\\frac{{1}}{{{x}}}",), domain=_needs_positive("log"),
))
register(_function(
    "log2", math.log2, lambda x, out: 1.0 / (x * math.log(2.0)), "1/({x} × ln 2)", "base-2 logarithm",
    "\\log_2({x})", "1/(x·ln 2)", grad_latex=("\\frac{{1}}{{{x} \\ln 2}}",), domain=_needs_positive("log2"),
))
register(_function(
    "log10", math.log10, lambda x, out: 1.0 / (x * math.log(10.0)), "1/({x} × ln 10)",
    "base-10 logarithm", "\\log_{{10}}({x})", "1/(x·ln 10)", grad_latex=("\\frac{{1}}{{{x} \\ln 10}}",), domain=_needs_positive("log10"),
))
register(_function(
    "sqrt", math.sqrt, lambda x, out: _safe(lambda: 0.5 / out), "1/(2 × sqrt({x}))", "square root",
    "\\sqrt{{{x}}}", "1/(2·sqrt(x)); infinite at 0", grad_latex=("\\frac{{1}}{{2 \\sqrt{{{x}}}}}",),
    domain=lambda x: "sqrt needs x ≥ 0", note=_infinite_slope("sqrt", "0"),
))
register(_function(
    "sin", math.sin, lambda x, out: math.cos(x), "cos({x})", "sine (radians)", "\\sin({x})", "cos(x)", grad_latex=("\\cos({x})",),
))
register(_function(
    "cos", math.cos, lambda x, out: -math.sin(x), "-sin({x})", "cosine (radians)", "\\cos({x})", "-sin(x)", grad_latex=("-\\sin({x})",),
))
register(_function(
    "tan", math.tan, lambda x, out: 1.0 + out * out, "1 + tan({x})^2", "tangent (radians)",
    "\\tan({x})", "1 + tan²(x)", grad_latex=("1 + \\tan^{{2}}({x})",),
))
register(_function(
    "asin", math.asin, lambda x, out: _one_over_root(x), "1/sqrt(1 - {x}^2)", "arcsine",
    "\\arcsin({x})", "1/sqrt(1 − x²); infinite at ±1", grad_latex=("\\frac{{1}}{{\\sqrt{{1 - {x}^{{2}}}}}}",),
    domain=_unit_interval("asin"), note=_infinite_slope("asin", "±1"),
))
register(_function(
    "acos", math.acos, lambda x, out: -_one_over_root(x), "-1/sqrt(1 - {x}^2)", "arccosine",
    "\\arccos({x})", "−1/sqrt(1 − x²); infinite at ±1", grad_latex=("-\\frac{{1}}{{\\sqrt{{1 - {x}^{{2}}}}}}",),
    domain=_unit_interval("acos"), note=_infinite_slope("acos", "±1"),
))
register(_function(
    "atan", math.atan, lambda x, out: 1.0 / (1.0 + x * x), "1/(1 + {x}^2)", "arctangent",
    "\\arctan({x})", "1/(1 + x²)", grad_latex=("\\frac{{1}}{{1 + {x}^{{2}}}}",),
))
register(_function(
    "sinh", math.sinh, lambda x, out: _safe(lambda: math.cosh(x)), "cosh({x})", "hyperbolic sine",
    "\\sinh({x})", "cosh(x)", grad_latex=("\\cosh({x})",),
))
register(_function(
    "cosh", math.cosh, lambda x, out: _safe(lambda: math.sinh(x)), "sinh({x})", "hyperbolic cosine",
    "\\cosh({x})", "sinh(x)", grad_latex=("\\sinh({x})",),
))
register(_function(
    "tanh", math.tanh, lambda x, out: 1.0 - out * out, "1 - {out}^2", "hyperbolic tangent",
    "\\tanh({x})", "1 − tanh²(x)", grad_latex=("1 - {out}^{{2}}",),
))
register(_function(
    "sigmoid", _sigmoid, lambda x, out: out * (1.0 - out), "{out} × (1 - {out})",
    "logistic sigmoid 1/(1 + e^-x)", "\\sigma({x})", "σ(x)·(1 − σ(x))", grad_latex=("{out} \\cdot (1 - {out})",),
))
register(_function(
    # relu'(0) = 0, as in PyTorch.
    "relu", lambda x: x if x > 0 else 0.0, lambda x, out: 1.0 if x > 0 else 0.0,
    "(1 if {x} > 0 else 0)", "rectified linear unit max(0, x)", "\\mathrm{{relu}}({x})",
    "1 for x > 0, else 0 (relu'(0) = 0)", grad_latex=("(1 \\text{{ if }} {x} > 0 \\text{{ else }} 0)",), note=_kink("relu", "0", "relu'(0) = 0"),
))
register(_function(
    "softplus", _softplus, lambda x, out: _sigmoid(x), "sigmoid({x})", "softplus log(1 + e^x)",
    "\\mathrm{{softplus}}({x})", "sigmoid(x)", grad_latex=("\\sigma({x})",),
))
register(_function(
    # abs'(0) = 0, as in PyTorch.
    "abs", abs, lambda x, out: _sign(x), "sign({x})", "absolute value |x|", "\\left|{x}\\right|",
    "sign(x) (abs'(0) = 0)", grad_latex=("\\operatorname{{sign}}({x})",), note=_kink("abs", "0", "abs'(0) = 0"),
))
register(_entry(
    # At a tie the gradient is split evenly, as in PyTorch.
    name="max", arity=2, kind="function", forward=max, local_grads=_max_grads,
    grad_text=("(1 if {x} > {y}, 0.5 if {x} = {y}, else 0)", "(1 if {y} > {x}, 0.5 if {x} = {y}, else 0)"),
    grad_latex=("(1 \\text{{ if }} {x} > {y} \\text{{ else }} 0)", "(1 \\text{{ if }} {y} > {x} \\text{{ else }} 0)"),
    latex="\\max({x}, {y})", doc="the larger of x and y", note=_tie("max"),
    grad_rule="1 for the larger operand, 0 for the other; 0.5 each at a tie",
))
register(_entry(
    name="min", arity=2, kind="function", forward=min, local_grads=_min_grads,
    grad_text=("(1 if {x} < {y}, 0.5 if {x} = {y}, else 0)", "(1 if {y} < {x}, 0.5 if {x} = {y}, else 0)"),
    grad_latex=("(1 \\text{{ if }} {x} < {y} \\text{{ else }} 0)", "(1 \\text{{ if }} {y} < {x} \\text{{ else }} 0)"),
    latex="\\min({x}, {y})", doc="the smaller of x and y", note=_tie("min"),
    grad_rule="1 for the smaller operand, 0 for the other; 0.5 each at a tie",
))

# --- constants: arity 0, written as a bare name ----------------------------------------
register(_entry(
    name="pi", arity=0, kind="constant", symbol="π", ascii_symbol="pi",
    forward=lambda: math.pi, local_grads=lambda out: (), grad_text=(), grad_latex=(),
    latex="\\pi", doc="the constant π = 3.14159…", grad_rule="a constant",
))

FUNCTION_NAMES = tuple(name for name, op in OPS.items() if op.kind in ("function", "infix") and name not in ("add", "sub", "mul", "div"))
"""Names a user may call as ``name(...)``: every function, plus ``pow``."""

CONSTANT_NAMES = tuple(name for name, op in OPS.items() if op.kind == "constant")
RESERVED_NAMES = frozenset(FUNCTION_NAMES + CONSTANT_NAMES)
