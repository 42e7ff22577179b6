"""The array language's function names and arities: read by the parser, so no NumPy here.

The operations themselves (shapes, forward, vector-Jacobian products) are in ``ops_array``.
"""

from __future__ import annotations

# name -> (fewest, most) arguments
ARRAY_FUNCTIONS: dict[str, tuple[int, int]] = {
    "sum": (1, 2),
    "mean": (1, 2),
    "transpose": (1, 1),
    "softmax": (1, 1),
    "log_softmax": (1, 1),
    "logsumexp": (1, 1),
    "cross_entropy": (2, 2),
}

# AST operations that only exist in array programs (functions above, plus syntax).
ARRAY_SYNTAX_OPS = frozenset({"matmul", "transpose", *ARRAY_FUNCTIONS})


def looks_like_array_value(text: object) -> bool:
    """A --set value that is an array: a literal ``[…]`` or a file ``@data.csv`` / ``@w.npy``."""
    return isinstance(text, str) and text.lstrip()[:1] in ("[", "@")
