"""User-facing errors: one small hierarchy, raised where detected, rendered once by the CLI.

A span is a ``(start, end)`` pair of character offsets into the program text; when an
error has one, ``format_error`` prints the offending line with a caret under it.
"""

from __future__ import annotations

import unicodedata

Span = tuple[int, int]


class BackpropError(Exception):
    """Anything the user can cause and fix: bad syntax, names, values, paths."""

    def __init__(self, message: str, span: Span | None = None):
        super().__init__(message)
        self.message = message
        self.span = span


class ParseError(BackpropError):
    """The program text does not follow the grammar."""


class UnknownName(BackpropError):
    """A name is used in a way the program does not allow (e.g. before its binding)."""


class UnknownFunction(BackpropError):
    """A call names a function the registry does not know, or with the wrong arity."""


class MissingValue(BackpropError):
    """One or more inputs have no value."""


class BadAssignment(BackpropError):
    """A ``NAME=VALUE`` pair given with ``--set`` is malformed."""


class DomainError(BackpropError):
    """A value is undefined or overflows (log(-1), 1/0, exp(1000))."""


class RenderError(BackpropError):
    """An output could not be produced (Graphviz missing, failing, too slow, unwritable path)."""


def format_error(error: BackpropError, source: str | None = None) -> str:
    """The message, followed by the source line and a caret line when a span is known."""
    # User text inside a message (a --set pair, a path) must not move the cursor or recolour the terminal.
    message = _shorten_words(_printable(error.message))
    if error.span is None or source is None:
        return message
    start, end = error.span
    start = max(0, min(start, len(source)))
    end = max(start, min(end, len(source)))
    line_start = source.rfind("\n", 0, start) + 1
    line_end = source.find("\n", start)
    if line_end == -1:
        line_end = len(source)
    line_no = source.count("\n", 0, start) + 1
    line = source[line_start:line_end]
    column = start - line_start
    # Long lines (generated programs) are shown as a window around the error.
    window_start = max(0, column - 60)
    window = line[window_start : window_start + 120]
    prefix = "…" if window_start > 0 else ""
    suffix = "…" if window_start + 120 < len(line) else ""
    shown_column = column - window_start
    underline = max(1, min(end, line_end) - start)
    underline = min(underline, len(window) - shown_column) if shown_column < len(window) else 1
    visible = _printable(window)
    indent = _display_width(visible[:shown_column]) + len(prefix)
    width = max(1, _display_width(visible[shown_column : shown_column + underline]))
    where = f"line {line_no}, column {column + 1}"
    return (
        f"{message} (at {where})\n"
        f"  {prefix}{visible}{suffix}\n"
        f"  {' ' * indent}{'^' * width}"
    )


def _printable(text: str) -> str:
    """Replace characters that would move the cursor or vanish (NUL, RTL marks) by '?'."""
    out = []
    for char in text:
        category = unicodedata.category(char)
        out.append("?" if category[0] == "C" else char)
    return "".join(out)


def _shorten_words(text: str, longest: int = 200) -> str:
    """A generated 10 MB name or number quoted in a message stays one readable line."""
    import re

    return re.sub(r"\S{%d,}" % (longest + 1), lambda m: m.group()[: longest - 40] + "…" + m.group()[-30:], text)


def _display_width(text: str) -> int:
    """Terminal columns taken by text: wide (CJK, emoji) characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
