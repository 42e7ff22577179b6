"""The abstract syntax tree: small immutable nodes that carry source spans.

``parse`` produces a ``Program``; ``lower`` turns it into a ``Graph``. Nodes compare by
identity on purpose: dataclass ``__eq__``/``__repr__`` would recurse, and a program may
nest 100,000 deep. Nodes are never mutated after construction, but they are not declared
``frozen``: a frozen dataclass's ``__init__`` is 2.5 times slower, and the parser makes two
nodes per operation. (The graph, not the AST, prints programs back: it knows the names.)
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import Span


@dataclass(eq=False, repr=False, slots=True)
class Number:
    value: float
    text: str
    span: Span


@dataclass(eq=False, repr=False, slots=True)
class Name:
    name: str
    span: Span


@dataclass(eq=False, repr=False, slots=True)
class Apply:
    """An operation from the registry applied to operands: infix, prefix or a call."""

    op: str
    args: tuple
    span: Span


@dataclass(eq=False, repr=False, slots=True)
class Assign:
    """``name = expr``; augmented forms (``+=``) are desugared by the parser."""

    name: str
    expr: object
    span: Span
    name_span: Span


@dataclass(eq=False, repr=False, slots=True)
class ArrayLiteral:
    """``[a, b, c]``: its items are expressions (nested literals make matrices)."""

    items: tuple
    span: Span


@dataclass(eq=False, repr=False, slots=True)
class Slice:
    """``start:stop`` inside an index; either end may be None."""

    start: object
    stop: object
    span: Span


@dataclass(eq=False, repr=False, slots=True)
class Index:
    """``x[i, 1:3]``: the target and one subscript (an expression or a ``Slice``) per axis."""

    target: object
    subscripts: tuple
    span: Span


@dataclass(eq=False, repr=False, slots=True)
class Program:
    statements: tuple
    source: str
    arrays: bool = False  # the text uses array syntax ([…], @, x[i], .T, sum(), softmax(), …)


Expr = Number | Name | Apply | ArrayLiteral | Index
