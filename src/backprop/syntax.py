"""The abstract syntax tree: small immutable nodes that carry source spans.

``parse`` produces a ``Program``; ``lower`` turns it into a ``Graph``. Nodes compare by
identity on purpose: dataclass ``__eq__``/``__repr__`` would recurse, and a program may
nest 100,000 deep. Nodes are never mutated after construction, but they are not declared
``frozen``: a frozen dataclass's ``__init__`` is 2.5 times slower, and the parser makes two
nodes per operation. (The graph, not the AST, prints programs back: it knows the names.)
A node keeps its span as two ints (``start``, ``end``; ``span`` makes the pair): a tuple per
node would be the largest part of a big program's tree (docs/benchmark.md, "Targets 4 and 5").
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import Span


class _Spanned:
    """``span`` as the (start, end) pair every error and reader expects."""

    __slots__ = ()

    @property
    def span(self) -> Span:
        return (self.start, self.end)


@dataclass(eq=False, repr=False, slots=True)
class Number(_Spanned):
    value: float
    text: str
    start: int

    @property
    def end(self) -> int:  # a literal spans its text: no int kept per leaf
        return self.start + len(self.text)


@dataclass(eq=False, repr=False, slots=True)
class Name(_Spanned):
    name: str
    start: int

    @property
    def end(self) -> int:  # a name spans its text: no int kept per leaf
        return self.start + len(self.name)


@dataclass(eq=False, repr=False, slots=True)
class Apply(_Spanned):
    """An operation from the registry applied to operands: infix, prefix or a call."""

    op: str
    args: tuple
    start: int
    end: int


@dataclass(eq=False, repr=False, slots=True)
class Assign(_Spanned):
    """``name = expr``; augmented forms (``+=``) are desugared by the parser."""

    name: str
    expr: object
    start: int  # where the name is written: the statement starts with it
    end: int

    @property
    def name_span(self) -> Span:
        return (self.start, self.start + len(self.name))


@dataclass(eq=False, repr=False, slots=True)
class ArrayLiteral(_Spanned):
    """``[a, b, c]``: its items are expressions (nested literals make matrices)."""

    items: tuple
    start: int
    end: int


@dataclass(eq=False, repr=False, slots=True)
class Slice:
    """``start:stop`` inside an index; either end may be None (rare: its span stays a pair)."""

    start: object
    stop: object
    span: Span


@dataclass(eq=False, repr=False, slots=True)
class Index(_Spanned):
    """``x[i, 1:3]``: the target and one subscript (an expression or a ``Slice``) per axis."""

    target: object
    subscripts: tuple
    start: int
    end: int


@dataclass(eq=False, repr=False, slots=True)
class Program:
    statements: tuple
    source: str
    arrays: bool = False  # the text uses array syntax ([…], @, x[i], .T, sum(), softmax(), …)


Expr = Number | Name | Apply | ArrayLiteral | Index
