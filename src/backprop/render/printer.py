"""Expressions → text, ASCII or LaTeX: one precedence table, one parenthesiser, three alphabets.

Every piece of maths the tool prints (a forward step, a backward step's stages, a "since"
rule, a gradient formula, a docs row) is an expression tuple (``rules.Expr``) printed here,
as SymPy's printing package does: the equation is data and each format is a printer of it.

Besides the registry's operations, equations use five shapes of their own:
``("d", top, bottom)`` for ∂top/∂bottom, ``("op", "dot", (a, b))`` for the ``·`` that joins
a sum's chain-rule products, ``("text", s)`` for words inside a formula, ``("more", n)`` for
the terms of a long sum left out, and ``("tangent", leaf)`` for forward mode's ȧ
(``\\dot{a}`` in LaTeX, ``a'`` in ASCII).
"""

from __future__ import annotations

from ..graph import display_name
from ..numfmt import DIGITS, format_number
from ..ops import ADD, ATOM, MUL, OPS, POW, UNARY

_EXTRA = {"dot": (MUL, "·", "*", "{x} \\cdot {y}")}  # equation-only operators: precedence, text, ascii, latex
_ASSOCIATIVE = {("add", "add"), ("mul", "mul"), ("dot", "dot"), ("mul", "dot"), ("dot", "mul")}
_NEGATIVE = UNARY  # a negative number binds like unary minus


def precedence(expr) -> int:
    """How tightly an expression binds (registry precedence; names, calls and brackets are atoms)."""
    kind = expr[0]
    if kind == "num":
        return _NEGATIVE if _is_negative(expr[1]) else ATOM
    if kind != "op":
        return ATOM
    name = expr[1]
    if name in _EXTRA:
        return _EXTRA[name][0]
    op = OPS[name]
    if op.kind in ("infix", "prefix"):
        return op.precedence
    return ATOM


def is_scientific(number) -> bool:
    """Whether a ("num", value[, digits]) prints in scientific notation (3e-7): in text a power of it,
    3e-7^2, or by it, 2^1e-7, reads as 3·10^(-7^2), so the parenthesiser brackets it there. A
    template's stand-in number says so itself (a fourth item, see step_text._stand_in)."""
    if len(number) > 3:
        return number[3]
    return "e" in format_number(number[1], number[2] if len(number) > 2 else DIGITS)


def _is_negative(value: float) -> bool:
    return value < 0 or (value != value and False)


def needs_parentheses(parent: str, position: int, child, latex: bool = False) -> bool:
    """The one parenthesiser: does ``child``, operand ``position`` of ``parent``, need brackets?"""
    if parent in _EXTRA:
        kind, parent_prec = "infix", _EXTRA[parent][0]
    else:
        op = OPS[parent]
        kind, parent_prec = op.kind, op.precedence
    if kind not in ("infix", "prefix") or OPS.get(parent) is not None and OPS[parent].text:
        return False  # a call's arguments and a bracket's contents are delimited already
    if latex and (parent == "div" or (parent == "pow" and position == 1)):
        return False  # \frac and the exponent's braces delimit their parts
    if child[0] == "name" and "/" in child[1]:
        # a derivative's name (∂f/∂x) is one symbol only in parentheses; in LaTeX, a fraction, only
        # as a power's base: \frac{∂f}{∂x}^{2} reads as ∂f over ∂x²
        return not latex or parent == "pow" and position == 0
    child_prec = precedence(child)
    is_negative = child[0] == "num" and child_prec == _NEGATIVE or child[0] == "op" and child[1] == "neg"
    if is_negative:
        # 6 + (-10), (-4) × 5, 2^(-1), -(-x), a × (-b); but -b / y^2 and -x + y stay as written
        return not (child[0] == "op" and position == 0 and parent not in ("pow", "neg"))
    if parent == "pow" and child[0] == "num" and not latex:
        return is_scientific(child)
    if parent == "pow":
        return child_prec <= POW if position == 0 else child_prec < POW
    if child_prec < parent_prec:
        return True
    if child_prec == parent_prec and kind == "infix" and position == 1:
        return child[0] != "op" or (parent, child[1]) not in _ASSOCIATIVE
    return False


class Printer:
    """Prints expressions in one alphabet: "text" (Unicode), "ascii" or "latex"."""

    def __init__(self, style: str = "text"):
        if style not in ("text", "ascii", "latex"):
            raise ValueError(f"unknown printer style {style!r}")
        self.style = style
        self.latex = style == "latex"
        self.ascii = style == "ascii"
        self._names: dict[str, str] = {}
        # Printed texts kept for reuse (a derivation prints each node's value, its operation over
        # names and ∂L/∂node several times). Bounded: cleared when full, as printers are shared.
        self._numbers: dict[tuple, str] = {}
        self._small: dict[tuple, str] = {}  # operations and partials whose operands are all names

    # --- leaves
    def name(self, text: str) -> str:
        shown = self._names.get(text)
        if shown is None:
            if self.latex:
                from .latex import latex_name

                shown = latex_name(text)
            else:
                shown = display_name(text, self.ascii)
            if len(self._names) >= _MEMO_LIMIT:  # bounded: a 10⁶-node derivation's names would hold ~100 MB
                self._names.clear()
            self._names[text] = shown
        return shown

    def number(self, value: float, digits: int = DIGITS) -> str:
        if digits == DIGITS and not self.latex:
            return format_number(value)  # kept per number there already
        key = (value, digits)
        text = self._numbers.get(key)
        if text is None:
            if self.latex:
                from .latex import latex_number

                text = latex_number(value, digits)
            else:
                text = format_number(value, digits)
            if value == value and value != 0:  # nan never finds itself; 0 and -0.0 share a key
                if len(self._numbers) >= _MEMO_LIMIT:
                    self._numbers.clear()
                self._numbers[key] = text
        return text

    def partial(self, top: str, bottom: str) -> str:
        """∂top/∂bottom from already printed parts."""
        if self.latex:
            return rf"\frac{{\partial {top}}}{{\partial {bottom}}}"
        d = "d" if self.ascii else "∂"
        return f"{d}{top}/{d}{bottom}"

    # --- the walk
    def __call__(self, expr) -> str:
        """The printed expression (an explicit stack: formulas can be deep)."""
        kind = expr[0]
        if kind == "op" or kind == "d":  # most of a derivation: one operation over leaves
            args = expr[2] if kind == "op" else expr[1:]
            parts = []
            for arg in args:
                leaf = arg[0]
                if leaf == "name":
                    parts.append(self.name(arg[1]))
                elif leaf == "num":
                    parts.append(self.number(arg[1], arg[2] if len(arg) > 2 else DIGITS))
                elif (leaf == "op" or leaf == "d") and all(a[0] == "name" or a[0] == "num"
                                                           for a in (arg[2] if leaf == "op" else arg[1:])):
                    parts.append(self(arg))  # an operation over leaves: one level down (names: from the memo)
                else:
                    break
            else:
                if leaf_only := all(arg[0] == "name" for arg in args):
                    text = self._small.get(expr)
                    if text is not None:
                        return text
                text = self._compose(expr, parts)
                if leaf_only:
                    if len(self._small) >= _MEMO_LIMIT:
                        self._small.clear()
                    self._small[expr] = text
                return text
        elif kind == "num":
            return self.number(expr[1], expr[2] if len(expr) > 2 else DIGITS)
        elif kind == "name":
            return self.name(expr[1])
        return self._walk(expr)

    def _walk(self, expr) -> str:
        done: list[str] = []
        todo: list = [expr]
        small = self._small
        while todo:
            node = todo.pop()
            if type(node) is list:  # [small, expr]: its operands are printed
                memo, node = node
                args = node[2] if node[0] == "op" else node[1:]
                count = len(args)
                parts = done[len(done) - count:]
                del done[len(done) - count:]
                text = self._compose(node, parts)
                if memo:
                    if len(small) >= _MEMO_LIMIT:
                        small.clear()
                    small[node] = text
                done.append(text)
                continue
            kind = node[0]
            if kind == "num":  # ("num", value) or ("num", value, digits): a step may need more digits
                done.append(self.number(node[1], node[2] if len(node) > 2 else DIGITS))
            elif kind == "name":
                done.append(self.name(node[1]))
            elif kind == "text":
                done.append(node[1] if not self.latex else rf"\text{{{node[1]}}}")
            elif kind == "more":  # ("more", n): the terms of a long sum left out
                done.append(self.more(node[1]))
            else:
                args = node[2] if kind == "op" else node[1:]
                # Only an expression over names alone is looked up: hashing a big one costs its size.
                memo = kind in ("op", "d") and all(arg[0] == "name" for arg in args)
                if memo:
                    text = small.get(node)
                    if text is not None:
                        done.append(text)
                        continue
                todo.append([memo, node])
                todo.extend(reversed(args))
        return done[0]

    def more(self, count: int) -> str:
        """"… and 999,980 more": the rest of a sum too long to write out."""
        if self.latex:
            return rf"\ldots\ \text{{and {count:,} more}}"
        return f"{'...' if self.ascii else '…'} and {count:,} more"

    def tangent(self, name: str) -> str:
        """ẋ, the tangent of a printed name: a combining dot over its first letter, \\dot{x}, or x' in ASCII."""
        if self.latex:
            return rf"\dot{{{name}}}"
        if self.ascii:
            return f"{name}'"
        return name[0] + "\u0307" + name[1:]

    def _compose(self, node, parts: list[str]) -> str:
        if node[0] == "tangent":  # ("tangent", leaf): ȧ, the derivative of a node along one forward sweep
            return self.tangent(parts[0])
        if node[0] == "d":
            top = parts[0]
            if node[1][0] == "op" or node[1][0] == "name" and "/" in node[1][1] and not self.latex:
                top = rf"\left({top}\right)" if self.latex else f"({top})"
            bottom = parts[1]
            if node[2][0] == "name" and "/" in node[2][1] and not self.latex:
                bottom = f"({bottom})"  # ∂L/∂(∂f/∂x)
            return self.partial(top, bottom)
        name, args = node[1], node[2]
        wrapped = [self._wrap(name, i, arg, part) for i, (arg, part) in enumerate(zip(args, parts))]
        if name in _EXTRA:
            _, text, ascii_text, latex = _EXTRA[name]
            if self.latex:
                return latex.format(x=wrapped[0], y=wrapped[1])
            return f"{wrapped[0]}{ascii_text if self.ascii else text}{wrapped[1]}"  # ∂L/∂p·∂p/∂x: tight
        op = OPS[name]
        if self.latex:
            return op.latex.format(**dict(zip(("x", "y"), wrapped)))
        if op.text:
            text = op.text.format(**dict(zip(("x", "y"), wrapped)))
            return text.replace("≤", "<=").replace("≥", ">=") if self.ascii else text
        symbol = op.ascii_symbol if self.ascii else op.symbol
        if op.kind == "infix":
            return f"{wrapped[0]} {symbol} {wrapped[1]}" if name != "pow" else f"{wrapped[0]}{symbol}{wrapped[1]}"
        if op.kind == "prefix":
            return f"{symbol}{wrapped[0]}"
        if op.kind == "constant":
            return self.name(op.symbol) if not self.ascii else op.ascii_symbol
        return f"{op.name}({', '.join(wrapped)})"

    def _wrap(self, parent: str, position: int, child, text: str) -> str:
        kind = child[0]
        if kind == "name" and "/" not in child[1]:
            return text  # an atom: never bracketed (needs_parentheses says the same, more slowly)
        if kind == "num" and not child[1] < 0:  # an atom too, but for a power of 3e-7 in text (is_scientific)
            if parent == "pow" and not self.latex and (child[3] if len(child) > 3 else "e" in text):
                return f"({text})"
            return text
        if not needs_parentheses(parent, position, child, self.latex):
            return text
        return rf"\left({text}\right)" if self.latex and kind in ("op", "name") else f"({text})"


_PRINTERS: dict[str, Printer] = {}
_MEMO_LIMIT = 1 << 16  # texts a printer keeps for reuse, per kind


def printer(style: str) -> Printer:
    """The shared printer of one style."""
    found = _PRINTERS.get(style)
    if found is None:
        found = _PRINTERS[style] = Printer(style)
    return found


def rule_text(op_name: str, position: int, style: str = "text", slots: dict | None = None) -> str:
    """One registry rule printed, e.g. rule_text("div", 1) == "-x/y^2" (docs, hover cards)."""
    from ..rules import rule_exprs, substitute

    expr = rule_exprs(OPS[op_name])[position]
    if slots:
        expr = substitute(expr, slots)
    return printer(style)(expr)


__all__ = ["ADD", "MUL", "Printer", "needs_parentheses", "precedence", "printer", "rule_text"]
