"""Shapes: how they print, how they broadcast, and the error raised before any evaluation.

No NumPy here: shape inference runs on tuples of ints, so a shape error is reported with
its caret before a single value is computed.
"""

from __future__ import annotations

from ..errors import BackpropError

DEFAULT_MAX_ELEMENTS = 10_000_000


class ShapeError(BackpropError):
    """Operand shapes that do not fit the operation (caught before evaluation)."""


def show_shape(shape: tuple) -> str:
    """NumPy's notation: (2, 3), (3,), () for a scalar."""
    if len(shape) == 1:
        return f"({shape[0]},)"
    return "(" + ", ".join(str(n) for n in shape) + ")"


def size_of(shape: tuple) -> int:
    size = 1
    for n in shape:
        size *= n
    return size


def broadcast(a: tuple, b: tuple) -> tuple | None:
    """NumPy's broadcast of two shapes (aligned at the right; 1 stretches), or None if they clash."""
    result = []
    for position in range(1, max(len(a), len(b)) + 1):
        x = a[-position] if position <= len(a) else 1
        y = b[-position] if position <= len(b) else 1
        if x != y and x != 1 and y != 1:
            return None
        result.append(max(x, y) if x != 0 and y != 0 else 0)
    return tuple(reversed(result))


def broadcast_axes(operand: tuple, target: tuple) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The axes of ``target`` that a gradient must be summed over to undo broadcasting ``operand``
    to ``target``: the leading axes the operand lacks, and the axes where it had 1 (kept as 1)."""
    lead = len(target) - len(operand)
    leading = tuple(range(lead))
    stretched = tuple(lead + i for i, n in enumerate(operand) if n == 1 and target[lead + i] != 1)
    return leading, stretched


def check_size(shape: tuple, limit: int, what: str, span=None) -> None:
    """Refuse a value or result larger than --max-elements, naming the limit."""
    size = size_of(shape)
    if size > limit:
        raise ShapeError(f"{what} would have {size:,} elements (shape {show_shape(shape)}), more than the limit "
                         f"of {limit:,}: raise it with --max-elements if you mean it", span)
