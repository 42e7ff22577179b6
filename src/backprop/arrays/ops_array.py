"""The array operations: shapes, forward, and vector-Jacobian products stated with shapes.

Elementwise operations are not written here: every infix, prefix and function entry of the
scalar registry (``ops.OPS``) is lifted to arrays with NumPy broadcasting, and its local
derivative is the registry's own rule (``Op.grads``) evaluated elementwise. So the registry
stays the one place that knows ``tanh`` and its derivative. The operations that only exist
on arrays (``@``, ``sum``, ``softmax``, indexing, …) are the entries of ``ARRAY_OPS``, each
with its shape rule, its forward computation and, per operand, its vector-Jacobian product
with the text that explains it by dimension analysis, and the same product written as array
operations (``adjoint``: the backward pass as a graph, for ``--symbolic``; tests check that it
evaluates to exactly what ``vjp`` computes).

An ``Operation`` receives a ``Site``: the node's operands' names and shapes and its params.
NumPy is imported by this module: it is loaded only on the array path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ..ops import OPS
from .shapes import ShapeError, broadcast, show_shape


@dataclass
class Site:
    """One operation in the graph, as the rules see it."""

    op: str
    names: tuple  # the operands' names as printed (a number's text for scalar constants)
    shapes: tuple  # the operands' shapes
    params: dict
    span: tuple | None
    out_name: str = ""
    out_shape: tuple = ()
    output: str = "L"  # the program's output, whose gradients every rule states


@dataclass(frozen=True)
class Rule:
    """One operand's vector-Jacobian product, in words: formula, shapes, and why."""

    formula: str  # ∂L/∂W = ∂L/∂y · xᵀ (right-hand side only)
    shapes: str  # (3,) ⊗ (2,) → (3, 2)
    why: str  # the dimension analysis or the elementwise rule


@dataclass(frozen=True)
class Operation:
    name: str
    infer: Callable  # (site) -> shape, or raise ShapeError
    forward: Callable  # (site, *values) -> array
    vjp: Callable  # (site, position, g, values, out) -> the operand's gradient (before undoing broadcasting)
    rule: Callable  # (site, position) -> Rule
    show: Callable  # (site) -> "W @ x": the operation written with its operands' names
    differentiable: Callable = field(default=lambda site, position: True)
    # (builder, site, position, g, operands, out) -> the node of the operand's gradient, emitted
    # with ``builder.emit``: the vjp above written as array operations (arrays/gradient_graph.py)
    adjoint: Callable | None = None


def grad_name(name: str, output: str = "L") -> str:
    return f"∂{output}/∂{name}"


# --- elementwise: the scalar registry, lifted -------------------------------------------------

def _sigmoid(x):
    with np.errstate(over="ignore"):
        z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + z), z / (1.0 + z))


# NumPy's version of each scalar registry entry (tests/test_arrays.py checks every entry has one
# and agrees with the scalar forward rule).
NUMPY_FORWARD: dict[str, Callable] = {
    "add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.divide, "neg": np.negative,
    "pow": np.power, "exp": np.exp, "log": np.log, "log2": np.log2, "log10": np.log10, "sqrt": np.sqrt,
    "sin": np.sin, "cos": np.cos, "tan": np.tan, "asin": np.arcsin, "acos": np.arccos, "atan": np.arctan,
    "sinh": np.sinh, "cosh": np.cosh, "tanh": np.tanh, "sigmoid": _sigmoid,
    "relu": lambda x: np.maximum(x, 0.0), "softplus": lambda x: np.logaddexp(0.0, x), "abs": np.abs,
    "max": np.maximum, "min": np.minimum, "sign": np.sign,
    "gt": lambda x, y: np.greater(x, y).astype(float), "eq": lambda x, y: np.equal(x, y).astype(float),
}
ELEMENTWISE = frozenset(name for name, op in OPS.items() if op.kind in ("infix", "prefix", "function") and op.arity)
_INFIX_SHOWN = {"add": "+", "sub": "-", "mul": "*", "div": "/", "pow": "^"}


def _masked_product(a, b):
    """a × b where a zero factor wins over inf and nan (the scalar rules' IEEE convention)."""
    product = a * b
    if not np.all(np.isfinite(product)):
        product = np.where((np.asarray(a) == 0) | (np.asarray(b) == 0), 0.0, product)
    return product


def local_partial(op_name: str, position: int, operands: tuple, out):
    """The registry's rule ∂out/∂operand evaluated elementwise with NumPy."""
    from ..rules import fold, rule_exprs

    slots = {"x": operands[0], "out": out}
    if len(operands) > 1:
        slots["y"] = operands[1]

    def operation(name, args):
        if name == "mul":
            return _masked_product(*args)
        return NUMPY_FORWARD[name](*args)

    with np.errstate(all="ignore"):
        return fold(rule_exprs(OPS[op_name])[position], lambda leaf: leaf[1], slots.__getitem__, operation)


def _elementwise_infer(site: Site) -> tuple:
    if len(site.shapes) == 1:
        return site.shapes[0]
    shape = broadcast(*site.shapes)
    if shape is None:
        a, b = site.shapes
        raise ShapeError(f"{_elementwise_show(site)}: {show_shape(a)} {_symbol(site.op)} {show_shape(b)} do not "
                         f"broadcast — aligned from the right, each pair of dimensions must be equal or one of "
                         f"them 1", site.span)
    return shape


def _symbol(op_name: str) -> str:
    return _INFIX_SHOWN.get(op_name, op_name)


def _elementwise_forward(site: Site, *values):
    with np.errstate(all="ignore"):
        return NUMPY_FORWARD[site.op](*values)


def _elementwise_vjp(site: Site, position: int, g, values, out):
    partial = local_partial(site.op, position, tuple(values), out)
    return _masked_product(g, partial)


def _elementwise_adjoint(b, site: Site, position: int, g, operands, out):
    from ..rules import fold, rule_exprs

    slots = {"x": operands[0], "out": out}
    if len(operands) > 1:
        slots["y"] = operands[1]
    partial = fold(rule_exprs(OPS[site.op])[position], lambda leaf: b.const(leaf[1]), slots.__getitem__, b.emit)
    return b.emit("mul", (g, partial))


def _elementwise_rule(site: Site, position: int) -> Rule:
    from ..render.printer import rule_text

    slots = {"out": ("name", site.out_name)}
    for slot, name in zip(("x", "y"), site.names):
        slots[slot] = ("num", float(name)) if _is_number(name) else ("name", name)
    local = rule_text(site.op, position, "text", slots)
    if site.op == "pow" and position == 0 and _is_number(site.names[1]):  # x^2: 2 × x, not 2 × x^(2 − 1)
        n = float(site.names[1])
        power = site.names[0] if n == 2 else f"{site.names[0]}^{_number_text(n - 1)}"
        local = f"{site.names[1]} × {power}"
    upstream = grad_name(site.out_name, site.output)
    times = "⊙" if site.out_shape else "×"
    if local == "1":
        formula = upstream
    elif local == "-1":
        formula = f"-{upstream}"
    else:
        formula = f"{upstream} {times} ({local})" if " " in local else f"{upstream} {times} {local}"
    operand = site.names[position]
    elementwise = " elementwise" if site.out_shape else ""
    why = f"since {site.out_name} = {_elementwise_show(site)}{elementwise}, ∂{site.out_name}/∂{operand} = {local}"
    if site.out_shape:
        why += " element by element" + (" (⊙: elementwise product)" if "⊙" in formula else "")
    return Rule(formula, f"{show_shape(site.out_shape)} elementwise" if site.out_shape else "() numbers", why)


def _number_text(value: float) -> str:
    from ..numfmt import format_number

    text = format_number(value)
    return f"({text})" if text.startswith("-") else text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _elementwise_show(site: Site) -> str:
    if site.op == "neg":
        return f"-{site.names[0]}"
    if site.op in _INFIX_SHOWN:
        return f"{site.names[0]} {_INFIX_SHOWN[site.op]} {site.names[1]}"
    return f"{site.op}({', '.join(site.names)})"


def _elementwise_differentiable(site: Site, position: int) -> bool:
    return site.op not in ("gt", "eq", "sign")


ELEMENTWISE_OPERATION = Operation("elementwise", _elementwise_infer, _elementwise_forward, _elementwise_vjp,
                                  _elementwise_rule, _elementwise_show, _elementwise_differentiable,
                                  _elementwise_adjoint)


# --- @ ----------------------------------------------------------------------------------------

def _matmul_infer(site: Site) -> tuple:
    a, b = site.shapes
    shown = f"{site.names[0]} @ {site.names[1]}: {show_shape(a)} @ {show_shape(b)}"
    if not a or not b:
        raise ShapeError(f"{shown} — @ needs vectors or matrices on both sides; multiply a scalar with *", site.span)
    if len(a) > 2 or len(b) > 2:
        raise ShapeError(f"{shown} — @ takes vectors and matrices (1 or 2 dimensions), not "
                         f"{max(len(a), len(b))}-dimensional arrays", site.span)
    inner_a, inner_b = a[-1], b[0]
    if inner_a != inner_b:
        raise ShapeError(f"{shown} — the inner dimensions {inner_a} and {inner_b} differ", site.span)
    return a[:-1] + b[1:]


def _matmul_forward(site: Site, a, b):
    return np.matmul(a, b)


def _matmul_vjp(site: Site, position: int, g, values, out):
    a, b = values
    if a.ndim == 2 and b.ndim == 2:
        return g @ b.T if position == 0 else a.T @ g
    if a.ndim == 2:  # W @ x
        return np.outer(g, b) if position == 0 else a.T @ g
    if b.ndim == 2:  # x @ W
        return b @ g if position == 0 else np.outer(a, g)
    return g * (b if position == 0 else a)  # a dot product


def _matmul_adjoint(b, site: Site, position: int, g, operands, out):
    a, c = operands
    two_a, two_c = len(site.shapes[0]) == 2, len(site.shapes[1]) == 2
    if two_a and two_c:
        return b.emit("matmul", (g, b.emit("transpose", (c,)))) if position == 0 else \
            b.emit("matmul", (b.emit("transpose", (a,)), g))
    if two_a:  # W @ x
        return b.emit("outer", (g, c)) if position == 0 else b.emit("matmul", (b.emit("transpose", (a,)), g))
    if two_c:  # x @ W
        return b.emit("matmul", (c, g)) if position == 0 else b.emit("outer", (a, g))
    return b.emit("mul", (g, c if position == 0 else a))  # a dot product


def _matmul_rule(site: Site, position: int) -> Rule:
    (A, B), (sa, sb) = site.names, site.shapes
    g, sg = grad_name(site.out_name, site.output), show_shape(site.out_shape)
    T = lambda shape: show_shape(tuple(reversed(shape)))  # noqa: E731
    if len(sa) == 2 and len(sb) == 2:
        formula, shapes = ((f"{g} · {B}ᵀ", f"{sg} @ {T(sb)} → {show_shape(sa)}") if position == 0
                           else (f"{A}ᵀ · {g}", f"{T(sa)} @ {sg} → {show_shape(sb)}"))
    elif len(sa) == 2:
        formula, shapes = ((f"{g} · {B}ᵀ", f"{sg} ⊗ {show_shape(sb)} → {show_shape(sa)}") if position == 0
                           else (f"{A}ᵀ · {g}", f"{T(sa)} @ {sg} → {show_shape(sb)}"))
    elif len(sb) == 2:
        formula, shapes = ((f"{B} · {g}", f"{show_shape(sb)} @ {sg} → {show_shape(sa)}") if position == 0
                           else (f"{A} · {g}ᵀ", f"{show_shape(sa)} ⊗ {sg} → {show_shape(sb)}"))
    else:
        other = B if position == 0 else A
        formula, shapes = f"{g} · {other}", f"() × {show_shape(sb if position == 0 else sa)} → {show_shape(sa)}"
    mine, other = (A, B) if position == 0 else (B, A)
    mine_shape, other_shape = (sa, sb) if position == 0 else (sb, sa)
    why = (f"dimension analysis: {grad_name(mine, site.output)} must have {mine}'s shape {show_shape(mine_shape)}; it is built "
           f"from {g} {sg} and {other} {show_shape(other_shape)}, and {formula} is the only arrangement of "
           f"them whose shapes give {show_shape(mine_shape)}")
    if "⊗" in shapes:
        why += " (⊗: the outer product of two vectors)"
    return Rule(formula, shapes, why)


# --- transpose --------------------------------------------------------------------------------

def _transpose_infer(site: Site) -> tuple:
    (shape,) = site.shapes
    return tuple(reversed(shape))


def _transpose_rule(site: Site, position: int) -> Rule:
    (shape,) = site.shapes
    if len(shape) < 2:
        return Rule(grad_name(site.out_name, site.output), f"{show_shape(shape)} → {show_shape(shape)}",
                    f"transposing a {'vector' if shape else 'scalar'} changes nothing, so neither does undoing it")
    return Rule(f"({grad_name(site.out_name, site.output)})ᵀ", f"{show_shape(site.out_shape)} → {show_shape(shape)}",
                "a transpose moves element (i, j) to (j, i): its gradient moves back the same way")


# --- sum and mean -----------------------------------------------------------------------------

def _axis(site: Site):
    return site.params.get("axis")


def _reduce_infer(site: Site) -> tuple:
    (shape,) = site.shapes
    axis = _axis(site)
    if axis is None:
        return ()
    if not -len(shape) <= axis < len(shape):
        dims = f"{len(shape)} ax{'i' if len(shape) == 1 else 'e'}s" if shape else "no axes (it is a scalar)"
        raise ShapeError(f"{site.op}({site.names[0]}, {axis}): axis {axis} is out of range: {site.names[0]} has "
                         f"shape {show_shape(shape)}, {dims}", site.span)
    axis %= len(shape)
    return shape[:axis] + shape[axis + 1:]


def _count(site: Site) -> int:
    (shape,) = site.shapes
    axis = _axis(site)
    if axis is None:
        count = 1
        for n in shape:
            count *= n
        return count
    return shape[axis % len(shape)]


def _reduce_forward(site: Site, x):
    function = np.sum if site.op == "sum" else np.mean
    return np.asarray(function(x, axis=_axis(site)), dtype=float)


def _reduce_vjp(site: Site, position: int, g, values, out):
    (x,) = values
    axis = _axis(site)
    spread = g if axis is None else np.expand_dims(g, axis % x.ndim)
    if site.op == "mean":
        spread = spread / _count(site)
    return np.broadcast_to(spread, x.shape)  # a view: the consumer's products read it without a copy


def _reduce_adjoint(b, site: Site, position: int, g, operands, out):
    axis = _axis(site)
    if site.op == "mean":
        g = b.emit("div", (g, b.const(float(_count(site)))))
    return b.emit("spread", (g,), axis=None if axis is None else axis % len(site.shapes[0]), shape=site.shapes[0])


def _reduce_rule(site: Site, position: int) -> Rule:
    (x,), (shape,) = site.names, site.shapes
    g = grad_name(site.out_name, site.output)
    axis = _axis(site)
    scale = f" / {_count(site)}" if site.op == "mean" else ""
    if axis is None:
        what = "adds to" if site.op == "sum" else f"adds 1/{_count(site)} of itself to"
        return Rule(f"{g}{scale} copied to every element", f"() → {show_shape(shape)}",
                    f"every element of {x} {what} {site.out_name} once, so each element's gradient is {g}{scale}")
    return Rule(f"{g}{scale} repeated along axis {axis}", f"{show_shape(site.out_shape)} → {show_shape(shape)}",
                f"{site.out_name} {'sums' if site.op == 'sum' else 'averages'} {x} over axis {axis}: every element "
                f"along that axis gets the gradient of the {'sum' if site.op == 'sum' else 'mean'} it fed")


def _reduce_show(site: Site) -> str:
    axis = _axis(site)
    return f"{site.op}({site.names[0]})" if axis is None else f"{site.op}({site.names[0]}, axis={axis})"


# --- softmax, log_softmax, logsumexp (over the last axis) ------------------------------------

def _vector_infer(site: Site) -> tuple:
    (shape,) = site.shapes
    if not shape:
        raise ShapeError(f"{site.op}({site.names[0]}): {site.names[0]} is a scalar; {site.op} works over the last "
                         f"axis of a vector or matrix", site.span)
    if shape[-1] == 0:
        raise ShapeError(f"{site.op}({site.names[0]}): the last axis of {site.names[0]} {show_shape(shape)} is empty; "
                         f"{site.op} needs at least one element there", site.span)
    return shape[:-1] if site.op == "logsumexp" else shape


def softmax(x):
    shifted = x - np.max(x, axis=-1, keepdims=True)
    e = np.exp(shifted)
    return e / np.sum(e, axis=-1, keepdims=True)


def log_softmax(x):
    shifted = x - np.max(x, axis=-1, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))


def logsumexp(x):
    top = np.max(x, axis=-1, keepdims=True)
    return (top + np.log(np.sum(np.exp(x - top), axis=-1, keepdims=True)))[..., 0]


_VECTOR_FORWARD = {"softmax": softmax, "log_softmax": log_softmax, "logsumexp": logsumexp}


def _vector_forward(site: Site, x):
    return _VECTOR_FORWARD[site.op](x)


def _vector_vjp(site: Site, position: int, g, values, out):
    (x,) = values
    if site.op == "softmax":
        return out * (g - np.sum(g * out, axis=-1, keepdims=True))
    if site.op == "log_softmax":
        return g - np.exp(out) * np.sum(g, axis=-1, keepdims=True)
    return g[..., None] * softmax(x)


def _vector_adjoint(b, site: Site, position: int, g, operands, out):
    (x,) = operands
    if site.op == "softmax":
        weighted = b.emit("sum", (b.emit("mul", (g, out)),), axis=-1, keepdims=True)
        return b.emit("mul", (out, b.emit("sub", (g, weighted))))
    if site.op == "log_softmax":
        total = b.emit("sum", (g,), axis=-1, keepdims=True)
        return b.emit("sub", (g, b.emit("mul", (b.emit("exp", (out,)), total))))
    return b.emit("mul", (b.emit("spread", (g,), axis=len(site.shapes[0]) - 1, shape=site.shapes[0]),
                          b.emit("softmax", (x,))))


def _vector_rule(site: Site, position: int) -> Rule:
    (z,), (shape,) = site.names, site.shapes
    g, s = grad_name(site.out_name, site.output), site.out_name
    axis = "each row" if len(shape) > 1 else "the vector"
    if site.op == "softmax":
        return Rule(f"{s} ⊙ ({g} − Σ({g} ⊙ {s}))", f"{show_shape(shape)} → {show_shape(shape)}",
                    f"softmax's Jacobian is diag({s}) − {s}{s}ᵀ (over {axis}); applied to {g} without building it, "
                    f"it is {s} ⊙ ({g} minus the {s}-weighted sum of {g})")
    if site.op == "log_softmax":
        return Rule(f"{g} − softmax({z}) ⊙ Σ{g}", f"{show_shape(shape)} → {show_shape(shape)}",
                    f"log_softmax(z) = z − logsumexp(z) over {axis}, and ∂logsumexp(z)/∂z = softmax(z)")
    return Rule(f"{g} · softmax({z})", f"{show_shape(site.out_shape)} → {show_shape(shape)}",
                f"∂logsumexp(z)/∂z = softmax(z) (over {axis}): each element's share of the sum of exponentials")


# --- cross_entropy(logits, target) ------------------------------------------------------------

def _cross_entropy_infer(site: Site) -> tuple:
    (z, t), (sz, st) = site.names, site.shapes
    shown = f"cross_entropy({z}, {t}): {show_shape(sz)} and {show_shape(st)}"
    if len(sz) in (1, 2) and 0 in sz:
        raise ShapeError(f"{shown} — the logits are empty", site.span)
    if len(sz) not in (1, 2):
        raise ShapeError(f"{shown} — the logits must be a vector (one example) or a matrix (one row per example)",
                         site.span)
    if st == sz:
        site.params["target"] = "probabilities"
    elif st == sz[:-1]:
        site.params["target"] = "classes"
    else:
        want = "()" if len(sz) == 1 else f"({sz[0]},)"
        raise ShapeError(f"{shown} — the target is either the class of each example, shape {want}, or a "
                         f"probability for each class, shape {show_shape(sz)}", site.span)
    return ()


def _rows(z) -> int:
    return 1 if z.ndim == 1 else z.shape[0]


def class_targets(z, t):
    """Class indices as ints, checked: whole numbers in 0 … classes − 1."""
    from ..errors import DomainError

    classes = z.shape[-1]
    flat = np.atleast_1d(t)
    bad = np.flatnonzero((flat != np.round(flat)) | (flat < 0) | (flat >= classes))
    if bad.size:
        where = f"[{bad[0]}] " if np.ndim(t) else ""
        raise DomainError(f"cross_entropy: the target {where}is {flat[bad[0]]:g}, not a class number 0 … {classes - 1}")
    return np.asarray(t).astype(int)


def _onehot(z, t):
    hot = np.zeros_like(z)
    if z.ndim == 1:
        hot[int(t)] = 1.0
    else:
        hot[np.arange(z.shape[0]), t] = 1.0
    return hot


def _cross_entropy_forward(site: Site, z, t):
    logp = log_softmax(z)
    if site.params["target"] == "probabilities":
        return np.asarray(-np.sum(t * logp) / _rows(z))
    return np.asarray(-np.sum(_onehot(z, class_targets(z, t)) * logp) / _rows(z))


def _cross_entropy_vjp(site: Site, position: int, g, values, out):
    z, t = values
    if position == 1:
        return -g * log_softmax(z) / _rows(z)
    if site.params["target"] == "probabilities":
        return g * (softmax(z) * np.sum(t, axis=-1, keepdims=True) - t) / _rows(z)
    return g * (softmax(z) - _onehot(z, class_targets(z, t))) / _rows(z)


def _cross_entropy_adjoint(b, site: Site, position: int, g, operands, out):
    z, t = operands
    rows = b.const(1.0 if len(site.shapes[0]) == 1 else float(site.shapes[0][0]))
    if position == 1:
        return b.emit("div", (b.emit("mul", (b.emit("neg", (g,)), b.emit("log_softmax", (z,)))), rows))
    if site.params["target"] == "probabilities":
        total = b.emit("sum", (t,), axis=-1, keepdims=True)
        error = b.emit("sub", (b.emit("mul", (b.emit("softmax", (z,)), total)), t))
    else:
        error = b.emit("sub", (b.emit("softmax", (z,)), b.emit("onehot", (t,), shape=site.shapes[0])))
    return b.emit("div", (b.emit("mul", (g, error)), rows))


def _cross_entropy_rule(site: Site, position: int) -> Rule:
    (z, t), (sz, _) = site.names, site.shapes
    g = grad_name(site.out_name, site.output)
    rows = f" / {sz[0]}" if len(sz) == 2 else ""
    mean = f", averaged over the {sz[0]} rows" if len(sz) == 2 else ""
    if position == 1:
        return Rule(f"-{g} · log_softmax({z}){rows}", f"() → {show_shape(sz)}",
                    f"cross_entropy = −Σ {t} ⊙ log_softmax({z}){mean}")
    target = "onehot(" + t + ")" if site.params.get("target") == "classes" else t
    return Rule(f"{g} · (softmax({z}) − {target}){rows}", f"() → {show_shape(sz)}",
                f"the gradient of cross-entropy through softmax is softmax({z}) − {target}{mean}: the predicted "
                f"probabilities minus the true ones")


def _cross_entropy_differentiable(site: Site, position: int) -> bool:
    return position == 0 or site.params.get("target") == "probabilities"


# --- indexing and slicing ---------------------------------------------------------------------

def _index_infer(site: Site) -> tuple:
    (shape,), key = site.shapes, site.params["key"]
    if len(key) > len(shape):
        raise ShapeError(f"{_index_show(site)}: {site.names[0]} has shape {show_shape(shape)}, "
                         f"{len(shape)} ax{'i' if len(shape) == 1 else 'e'}s, but {len(key)} subscripts are given",
                         site.span)
    result = []
    for axis, (part, size) in enumerate(zip(key + (slice(None),) * (len(shape) - len(key)), shape)):
        if isinstance(part, slice):
            result.append(len(range(*part.indices(size))))
        elif not -size <= part < size:
            raise ShapeError(f"{_index_show(site)}: index {part} is out of range for axis {axis} of "
                             f"{site.names[0]}, which has {size} element{'s' if size != 1 else ''} "
                             f"(shape {show_shape(shape)})", site.params["spans"][axis] or site.span)
    return tuple(result)


def _index_forward(site: Site, x):
    return np.array(x[site.params["key"]], dtype=float)


def _index_vjp(site: Site, position: int, g, values, out):
    (x,) = values
    grad = np.zeros_like(x)
    grad[site.params["key"]] = g
    return grad


def _index_adjoint(b, site: Site, position: int, g, operands, out):
    return b.emit("scatter", (g,), key=site.params["key"], shape=site.shapes[0])


def _index_text(key) -> str:
    def part(p):
        if isinstance(p, slice):
            return f"{'' if p.start is None else p.start}:{'' if p.stop is None else p.stop}"
        return str(p)

    return ", ".join(part(p) for p in key)


def _index_show(site: Site) -> str:
    return f"{site.names[0]}[{_index_text(site.params['key'])}]"


def _index_rule(site: Site, position: int) -> Rule:
    (x,), (shape,) = site.names, site.shapes
    return Rule(f"zeros {show_shape(shape)} with {grad_name(site.out_name, site.output)} at [{_index_text(site.params['key'])}]",
                f"{show_shape(site.out_shape)} → {show_shape(shape)}",
                f"{site.out_name} only reads those elements of {x}: the others do not affect it")


# --- [a, b, c]: stacking expressions into an array -------------------------------------------

def _stack_infer(site: Site) -> tuple:
    first = site.shapes[0]
    for position, shape in enumerate(site.shapes):
        if shape != first:
            raise ShapeError(f"ragged array literal: item 1 has shape {show_shape(first)} but item {position + 1} "
                             f"has shape {show_shape(shape)}; every row must have the same shape", site.span)
    return (len(site.shapes),) + first


def _stack_forward(site: Site, *values):
    return np.stack([np.asarray(v, dtype=float) for v in values])


def _stack_vjp(site: Site, position: int, g, values, out):
    return np.array(g[position])


def _stack_rule(site: Site, position: int) -> Rule:
    return Rule(f"{grad_name(site.out_name, site.output)}[{position}]", f"{show_shape(site.out_shape)} → "
                f"{show_shape(site.shapes[position])}", f"item {position} of {site.out_name} is "
                f"{site.names[position]}, so its gradient is that item of {grad_name(site.out_name, site.output)}")


def _stack_adjoint(b, site: Site, position: int, g, operands, out):
    return b.emit("index", (g,), key=(position,))


def _transpose_adjoint(b, site: Site, position: int, g, operands, out):
    return b.emit("transpose", (g,))


def _transpose_forward(site: Site, x):
    return np.array(x.T)


def _transpose_vjp(site: Site, position: int, g, values, out):
    return np.array(g.T)


ARRAY_OPS: dict[str, Operation] = {op.name: op for op in [
    Operation("matmul", _matmul_infer, _matmul_forward, _matmul_vjp, _matmul_rule,
              lambda s: f"{s.names[0]} @ {s.names[1]}", adjoint=_matmul_adjoint),
    Operation("transpose", _transpose_infer, _transpose_forward, _transpose_vjp, _transpose_rule,
              lambda s: f"{s.names[0]}ᵀ", adjoint=_transpose_adjoint),
    Operation("sum", _reduce_infer, _reduce_forward, _reduce_vjp, _reduce_rule, _reduce_show,
              adjoint=_reduce_adjoint),
    Operation("mean", _reduce_infer, _reduce_forward, _reduce_vjp, _reduce_rule, _reduce_show,
              adjoint=_reduce_adjoint),
    Operation("softmax", _vector_infer, _vector_forward, _vector_vjp, _vector_rule,
              lambda s: f"softmax({s.names[0]})", adjoint=_vector_adjoint),
    Operation("log_softmax", _vector_infer, _vector_forward, _vector_vjp, _vector_rule,
              lambda s: f"log_softmax({s.names[0]})", adjoint=_vector_adjoint),
    Operation("logsumexp", _vector_infer, _vector_forward, _vector_vjp, _vector_rule,
              lambda s: f"logsumexp({s.names[0]})", adjoint=_vector_adjoint),
    Operation("cross_entropy", _cross_entropy_infer, _cross_entropy_forward, _cross_entropy_vjp,
              _cross_entropy_rule, lambda s: f"cross_entropy({s.names[0]}, {s.names[1]})",
              _cross_entropy_differentiable, _cross_entropy_adjoint),
    Operation("index", _index_infer, _index_forward, _index_vjp, _index_rule, _index_show,
              adjoint=_index_adjoint),
    Operation("stack", _stack_infer, _stack_forward, _stack_vjp, _stack_rule,
              lambda s: "[" + ", ".join(s.names) + "]", adjoint=_stack_adjoint),
]}


def operation(name: str) -> Operation:
    """The array rules of an operation: its own entry, or the registry's elementwise rules lifted."""
    found = ARRAY_OPS.get(name)
    if found is not None:
        return found
    if name in ELEMENTWISE:
        return ELEMENTWISE_OPERATION
    raise KeyError(name)
