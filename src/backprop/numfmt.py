"""The one number formatter shared by every renderer, so all outputs show the same numbers."""

from __future__ import annotations

import math


def format_number(x: float, digits: int = 6) -> str:
    """Short, exact-looking text for a float: 6, -4, 0.5, 0.333333, 1.5e-07, inf, nan."""
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x == 0:
        return "0"  # also for -0.0: a sign on zero only confuses a derivation
    if x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    text = f"{x:.{digits}g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}e{int(exponent)}"
    return text


def format_operand(x: float, digits: int = 6) -> str:
    """A number inside a larger expression: negatives in parentheses, as in 6 + (-10)."""
    text = format_number(x, digits)
    return f"({text})" if text.startswith("-") else text
