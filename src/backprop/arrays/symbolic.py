"""``--symbolic`` for array programs: each input's gradient as a matrix formula.

The formula is the gradient graph of ``gradient_graph.adjoint`` built with the "algebra"
simplification, printed in the matrix-calculus style: a matrix product by juxtaposition
(``Xᵀ(X w − y)``), ``ᵀ`` for a transpose, ``⊙`` for an elementwise product, ``×`` where one
factor is a number, undone broadcasting as ``sum(·, axis=0)``, and a number copied to an array as
``c ones(2)`` wherever broadcasting does not give it its shape (so each formula, read as written,
has its input's shape). Like the scalar formulas (symbolic.py), past ``INLINE_LIMIT`` operations
written out the shared parts get names (the program's own, or s1, s2, …) and the formula says so;
a formula too long even then is summarised with its size. The printer is iterative: deep programs never recurse.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..symbolic import INLINE_LIMIT, MAX_CHARACTERS, _sizes
from .gradient_graph import MAX_GRADIENT_NODES, ArrayBuilder, GradientTooLarge, adjoint, evaluate
from .graph import CONST, INPUT
from .ops_array import ELEMENTWISE
from .shapes import show_shape

ADD, MUL, NEG, POW, POSTFIX, ATOM = range(6)
SIZE_CAP = 10 ** 18  # sizes are counted up to this (a formula doubling per layer overflows nothing)
READABLE_CHARACTERS = 100  # a formula longer than this written out names its shared parts too
_INFIX = {"add": ("+", "+", "+", ADD), "sub": ("-", "-", "-", ADD)}  # as the scalar formulas print them
_LATEX_FUNCTIONS = {"exp", "log", "sin", "cos", "tan", "sinh", "cosh", "tanh"}
_SYMBOLS = {  # text, ascii, latex
    "times": ("×", "*", r"\times"), "odot": ("⊙", "*", r"\odot"), "T": ("ᵀ", "^T", r"^{\top}"),
    "neg": ("-", "-", "-"), "d": ("∂", "d", r"\partial"),
}


@dataclass
class ArrayFormula:
    """One input's gradient as an expression: a node of the builder's DAG, and its value."""

    name: str
    builder: ArrayBuilder
    root: int | None  # None: the input does not reach the output through anything differentiable
    value: object  # the engine's gradient (the input's shape)
    shared: list = field(default_factory=list)  # (name, node) defined in "where" lines
    written_out: int | None = 0  # operations written out in full (counted, never built); None: not even built
    too_big: bool = False

    def size_text(self) -> str:
        if self.written_out is None:
            return f"more than {MAX_GRADIENT_NODES:,} nodes of gradient graph, so far more"
        return "more than 10¹⁸" if self.written_out >= SIZE_CAP else f"{self.written_out:,}"

    @property
    def shape(self) -> tuple:
        return np.shape(self.value)

    def lines(self, style: str = "text") -> tuple[str, list[str]]:
        """(the formula, its 'where' lines) in one style: "text", "ascii" or "latex"."""
        if self.too_big:
            return "", []
        if self.root is None:
            return "0", []
        printer = ArrayPrinter(self.builder, style, dict((node, name) for name, node in self.shared))
        budget = MAX_CHARACTERS
        where = []
        try:  # printing stops as soon as the text is over budget: a deep formula never costs its square
            for name, node in self.shared:
                where.append(f"{printer.name(name)} = {printer.print(node, top=True, limit=budget)}")
                budget -= len(where[-1])
            formula = printer.print(self.root, limit=budget)
        except TooLong:
            self.too_big = True
            return "", []
        return formula, where

    def text(self, style: str = "text") -> str:
        formula, where = self.lines(style)
        if self.too_big:
            return f"(a formula of {self.size_text()} operations written out: too big to print)"
        return formula + (f"   where {'; '.join(where)}" if where else "")


def formulas(result, wrt=None) -> dict[str, ArrayFormula]:
    """∂output/∂input for each input (or each in ``wrt``, node ids), simplified, by input name."""
    graph = result.graph
    try:
        built = adjoint(graph, "algebra")
    except GradientTooLarge:  # the derivation still prints; the formulas say why they do not
        return {graph.nodes[i].name: ArrayFormula(graph.nodes[i].name, ArrayBuilder(), None,
                                                  result.gradients[graph.nodes[i].name], written_out=None,
                                                  too_big=True)
                for i in graph.inputs if wrt is None or i in wrt}
    out = {}
    for i in graph.inputs:
        if wrt is not None and i not in wrt:
            continue
        name = graph.nodes[i].name
        formula = ArrayFormula(name, built.builder, built.grads.get(i), result.gradients[name])
        if formula.root is not None:
            _share(formula, {graph.nodes[j].name for j in graph.inputs})
        out[name] = formula
    return out


def evaluate_formulas(result, built=None) -> dict[str, np.ndarray]:
    """The formulas' values, computed from their graph (tests compare them with the engine's)."""
    graph = result.graph
    built = built or adjoint(graph, "algebra")
    values = evaluate(built.builder.nodes, result.values)
    return {graph.nodes[i].name: values[built.grads[i]] for i in graph.inputs if i in built.grads}


def _share(formula: ArrayFormula, taken: set) -> None:
    """Name the shared sub-expressions of a formula that would be long written out."""
    nodes = formula.builder.nodes
    size, uses = _sizes(nodes, formula.root, SIZE_CAP, shown=lambda node: not _invisible(node))
    formula.written_out = size[formula.root]
    if formula.written_out <= INLINE_LIMIT and len(formula.builder and ArrayPrinter(formula.builder).print(
            formula.root)) <= READABLE_CHARACTERS:
        return
    taken = set(taken)
    number, shared = 0, []
    for item in sorted(size):
        node = nodes[item]
        if item == formula.root or not node.args or uses.get(item, 0) < 2 or size[item] < 2:
            continue
        if node.named and node.name not in taken:
            name = node.name  # the program's own name for it (h, o …)
        else:
            number += 1
            while f"s{number}" in taken:
                number += 1
            name = f"s{number}"
        taken.add(name)
        shared.append((name, item))
    formula.shared = shared


def _invisible(node) -> bool:
    return node.op == "spread" and node.params.get("axis") is None


def _broadcast(shapes: list) -> tuple | None:
    """NumPy's broadcast of the shapes (None when they do not broadcast)."""
    try:
        return tuple(np.broadcast_shapes(*shapes))
    except ValueError:
        return None


class TooLong(Exception):
    """A formula's text went over its budget while being printed."""


class ArrayPrinter:
    """Prints nodes of a gradient graph as matrix formulas, in "text", "ascii" or "latex"."""

    def __init__(self, builder: ArrayBuilder, style: str = "text", names: dict | None = None):
        from ..render.printer import printer

        self.nodes = builder.nodes
        self.style = style
        self.index = ("text", "ascii", "latex").index(style)
        self.latex = style == "latex"
        self.scalar = printer(style)
        self.names = names or {}

    def symbol(self, key: str) -> str:
        return _SYMBOLS[key][self.index]

    def name(self, text: str) -> str:
        return self.scalar(("name", text))

    def number(self, value: float) -> tuple[str, int]:
        text = self.scalar(("num", float(value)))
        return text, NEG if value < 0 else ATOM

    def print(self, root: int, top: bool = False, limit: int | None = None) -> str:
        """The expression below ``root`` (shared nodes by name, except ``root`` itself when ``top``);
        raises TooLong as soon as a part is longer than ``limit`` characters."""
        done: dict[int, tuple[str, int]] = {}
        # The shape the printed text has, read with NumPy's broadcasting: () for an array printed as
        # one number (1, c), (1, 3) for g[None, :]. Inside elementwise operations broadcasting gives
        # such a part its shape; anywhere else (a matrix product's operand, a whole formula) it is
        # spelled out (c ones(2)), so that every printed formula has its input's shape.
        read: dict[int, tuple] = {}
        todo = [root]
        while todo:
            item = todo[-1]
            if item in done:
                todo.pop()
                continue
            node = self.nodes[item]
            if (item in self.names and not (top and item == root)) or node.op in (INPUT, CONST) or \
                    not node.args:
                done[item] = self.leaf(item)
                read[item] = self._leaf_shape(item)
                todo.pop()
                continue
            waiting = [a for a in node.args if a not in done]
            if waiting:
                todo.extend(waiting)
                continue
            todo.pop()
            broadcast_shape = _broadcast([read[a] for a in node.args]) if node.op in ELEMENTWISE else None
            if broadcast_shape is None:  # no broadcasting here: each operand with its own shape
                parts = [self._spelled_out(done[a], a, read[a]) for a in node.args]
            else:
                parts = [done[a] for a in node.args]
            done[item] = self.compose(node, parts)
            read[item] = broadcast_shape if broadcast_shape is not None else self._read_shape(node)
            if limit is not None and len(done[item][0]) > limit:
                raise TooLong
        return self._spelled_out(done[root], root, read[root])[0]

    def leaf(self, item: int) -> tuple[str, int]:
        node = self.nodes[item]
        if item in self.names:
            return self.name(self.names[item]), ATOM
        if node.op == INPUT or node.op == CONST and node.named:
            return self.name(node.name), ATOM
        value = np.asarray(node.value)
        if value.ndim == 0 or value.size and np.all(value == value.flat[0]):
            return self.number(float(value.flat[0]) if value.size else 0.0)
        if value.ndim <= 2 and all(n <= 4 for n in value.shape):
            from .render import bmatrix, show_value

            return (bmatrix(value) if self.latex else show_value(value)), ATOM
        return f"const{show_shape(value.shape)}", ATOM

    @staticmethod
    def wrap(part: tuple[str, int], below: int, latex: bool = False) -> str:
        text, prec = part
        if prec < below:
            return rf"\left({text}\right)" if latex else f"({text})"
        return text

    def call(self, function: str, *args: str) -> str:
        if self.latex:
            head = "\\" + function if function in _LATEX_FUNCTIONS else \
                r"\operatorname{" + function.replace("_", r"\_") + "}"
            return rf"{head}\left({', '.join(args)}\right)"
        return f"{function}({', '.join(args)})"

    def compose(self, node, parts: list) -> tuple[str, int]:
        op, latex = node.op, self.latex
        wrap = lambda part, below: self.wrap(part, below, latex)  # noqa: E731
        nodes = self.nodes
        if op in _INFIX:
            symbol, ascii_symbol, latex_symbol, prec = _INFIX[op]
            shown = (symbol, ascii_symbol, latex_symbol)[self.index]
            right_below = ADD + 1 if op == "sub" else ADD
            return f"{wrap(parts[0], ADD)} {shown} {self._after(parts[1], right_below)}", ADD
        if op == "neg":
            return f"{self.symbol('neg')}{self._after(parts[0], MUL)}", NEG
        if op == "mul":
            a, b = (nodes[x] for x in node.args)
            if a.op == CONST and a.shape == () and not a.named:  # a number's factor: 2 x
                coefficient = parts[0][0] if parts[0][1] == NEG else wrap(parts[0], ATOM)  # -2 x, not (-2) x
                return f"{coefficient} {self._after(parts[1], MUL)}", NEG if parts[0][1] == NEG else MUL
            symbol = self.symbol("times") if a.shape == () or b.shape == () else self.symbol("odot")
            if a.shape == ():  # a number times an array: the array as it is, 2/n × Xᵀ(X w - y)
                return f"{wrap(parts[0], MUL)} {symbol} {self._after(parts[1], MUL)}", MUL
            left = self._factor(parts[0], node.args[0])
            right = self._factor(parts[1], node.args[1], right=True)
            return f"{left} {symbol} {right}", MUL
        if op == "div":
            if latex:
                return rf"\frac{{{parts[0][0]}}}{{{parts[1][0]}}}", ATOM
            if parts[0][1] == ATOM and parts[1][1] == ATOM and node.shape == ():
                return f"{parts[0][0]}/{parts[1][0]}", MUL  # 2/n
            return f"{wrap(parts[0], MUL)} / {self._after(parts[1], NEG)}", MUL
        if op == "pow":
            if latex:
                return f"{{{wrap(parts[0], POSTFIX)}}}^{{{parts[1][0]}}}", POW
            return f"{wrap(parts[0], POSTFIX)}^{wrap(parts[1], POSTFIX)}", POW
        if op in ("matmul", "outer"):
            left = self._product_operand(parts[0], node.args[0])
            right = self._product_operand(parts[1], node.args[1], right=True)
            if op == "outer":
                right = f"{self._product_operand(parts[1], node.args[1], postfix=True)}{self.symbol('T')}"
            joiner = "" if right.startswith("(") or right.startswith(r"\left(") else " "
            return f"{left}{joiner}{right}", MUL
        if op == "transpose":
            return f"{wrap(parts[0], POSTFIX)}{self.symbol('T')}", POSTFIX
        if op == "spread":
            axis = node.params.get("axis")
            before = nodes[node.args[0]].shape
            if axis is None or before == ():  # a number broadcast: NumPy's broadcasting says it, where there is any
                return parts[0]
            ndim = len(node.shape)
            if ndim == 2:  # a vector copied along the rows (1 gᵀ) or the columns (g 1ᵀ), as outer products
                ones = self.call("ones", str(node.shape[axis]))
                if axis == 0:
                    gradient = self._product_operand(parts[0], node.args[0], postfix=True)
                    return f"{ones} {gradient}{self.symbol('T')}", MUL
                return f"{self._product_operand(parts[0], node.args[0])} {ones}{self.symbol('T')}", MUL
            key = ", ".join("None" if i == axis else ":" for i in range(ndim))
            return f"{wrap(parts[0], POSTFIX)}[{key}]", POSTFIX
        if op == "unbroadcast":
            axes = tuple(node.params["axes"])
            if not node.shape and len(axes) == len(nodes[node.args[0]].shape):
                return self.call("sum", parts[0][0]), ATOM
            return self.call("sum", parts[0][0], self._axis_text(axes[0] if len(axes) == 1 else axes)), ATOM
        if op in ("sum", "mean"):
            axis = node.params.get("axis")
            if axis is None or len(nodes[node.args[0]].shape) == 1 and node.params.get("keepdims"):
                return self.call(op, parts[0][0]), ATOM
            extra = [self._axis_text(axis)] + (["keepdims"] if node.params.get("keepdims") else [])
            return self.call(op, parts[0][0], *extra), ATOM
        if op in ("gt", "eq"):
            relation = ">" if op == "gt" else "="
            inner = f"{parts[0][0]} {relation} {parts[1][0]}"
            return (rf"\left[{inner}\right]" if latex else f"[{inner}]"), ATOM
        if op == "index":
            from .ops_array import _index_text

            return f"{wrap(parts[0], POSTFIX)}[{_index_text(node.params['key'])}]", POSTFIX
        if op == "scatter":
            from .ops_array import _index_text

            where = f"[{_index_text(node.params['key'])}]"
            return self.call("scatter", parts[0][0], where, show_shape(node.shape)), ATOM
        if op == "stack":
            inner = ", ".join(p[0] for p in parts)
            return (rf"\left[{inner}\right]" if latex else f"[{inner}]"), ATOM
        if op in ELEMENTWISE or op in ("softmax", "log_softmax", "logsumexp", "onehot", "cross_entropy"):
            return self.call(op, *(p[0] for p in parts)), ATOM
        return self.call(op, *(p[0] for p in parts)), ATOM

    def _leaf_shape(self, item: int) -> tuple:
        node = self.nodes[item]
        if item in self.names or node.op != CONST or node.named:
            return node.shape
        value = np.asarray(node.value)
        if value.size and np.all(value == value.flat[0]):
            return ()  # printed as its one number
        return node.shape

    def _read_shape(self, node) -> tuple:
        """The printed shape of an operation whose operands are printed with their own shapes."""
        if node.op == "spread":
            before = self.nodes[node.args[0]].shape
            if node.params.get("axis") is None or before == ():
                return ()
            if len(node.shape) != 2:  # g[None, :, :]
                return tuple(1 if i == node.params["axis"] % len(node.shape) else n for i, n in enumerate(node.shape))
        return node.shape

    def _spelled_out(self, part, node_id: int, shape: tuple) -> tuple[str, int]:
        """A part as an array of its node's shape: a number as c ones(2, 3) (ones(2, 3) for 1), where the
        number alone would be read as a number (Xᵀ c is a matrix, Xᵀ(c ones(2)) a vector); any other
        part printed with a smaller shape (g[None, :]) ⊙ ones(2, 3)."""
        wanted = self.nodes[node_id].shape
        if shape == wanted:
            return part
        dims = ", ".join(str(n) for n in wanted)
        ones = self.call("ones", dims)
        text, prec = part
        if shape != ():
            return f"{self.wrap(part, MUL, self.latex)} {self.symbol('odot')} {ones}", MUL
        if text == self.number(1.0)[0]:
            return ones, ATOM
        if prec == NEG and self.nodes[node_id].op == CONST:
            return f"{text} {ones}", NEG  # -2 ones(2)
        return f"{self.wrap(part, POW, self.latex)} {ones}", MUL

    def _after(self, part, below: int) -> str:
        """An operand after an operator or another factor: in brackets below ``below``, and when it starts
        with a minus (2 × (-x A x), a - (-b)), as the scalar printer's needs_parentheses writes -b there."""
        text, prec = part
        if prec < below or text.startswith("-"):
            return rf"\left({text}\right)" if self.latex else f"({text})"
        return text

    def _axis_text(self, axis) -> str:
        if self.latex:
            return rf"\text{{axis}}={axis}"
        return f"axis={axis}"

    def _factor(self, part, node_id: int, right: bool = False) -> str:
        """An operand of ⊙ or ×: matrix products and quotients in brackets, to be read at a glance."""
        node = self.nodes[node_id]
        text, prec = part
        if prec < MUL or (prec == MUL and node.op in ("matmul", "outer", "div")) or right and text.startswith("-"):
            if node_id in self.names:
                return text
            return rf"\left({text}\right)" if self.latex else f"({text})"
        return text

    def _product_operand(self, part, node_id: int, postfix: bool = False, right: bool = False) -> str:
        """An operand of a matrix product: anything but a product of matrices in brackets (and a second
        operand that starts with a minus: X (-w), never X -w)."""
        node = self.nodes[node_id]
        text, prec = part
        if node_id in self.names:
            return text
        if prec < MUL or prec == MUL and node.op not in ("matmul", "outer") or postfix and prec < POSTFIX or \
                right and text.startswith("-"):
            return rf"\left({text}\right)" if self.latex else f"({text})"
        return text


# --- the sections of the derivation -----------------------------------------------------------

_WHY_SHARED = ("the named parts are each computed once, as reverse mode's graph computes them; written out in "
               "full this formula would have {n} operations")


def _rows(result, wrt, style: str):
    from .render import show_value

    formulas = result.formulas_for(wrt)
    out = result.output
    printer = ArrayPrinter(ArrayBuilder(), style)
    d = printer.symbol("d")
    rows = []
    for name, formula in formulas.items():
        target = (rf"\frac{{\partial {printer.name(out)}}}{{\partial {printer.name(name)}}}" if style == "latex"
                  else f"{d}{printer.name(out)}/{d}{printer.name(name)}")
        text, where = formula.lines(style)
        if formula.too_big:
            text = f"(written out: {formula.size_text()} operations; too big to print)"
            if style == "latex":
                text = rf"\text{{{text}}}"
        why = _WHY_SHARED.format(n=formula.size_text()) if formula.shared else None
        rows.append((target, formula, text, where, why, show_value(formula.value)))
    return rows


def formulas_text(result, wrt=None, ascii: bool = False) -> str:
    from .render import to_ascii

    lines = ["", "Gradients as formulas (simplified, over the inputs; each has its input's shape)"]
    for target, formula, text, where, why, value in _rows(result, wrt, "ascii" if ascii else "text"):
        lines.append(f"  {target} {show_shape(formula.shape)} = {text} = {value}")
        if where:
            lines.append(f"    where {where[0]}")
            lines += [f"          {line}" for line in where[1:]]
            lines.append(f"    ({why})")
    text = "\n".join(lines) + "\n"
    return to_ascii(text) if ascii else text


def formulas_markdown(result, wrt=None) -> str:
    from .render import bmatrix

    lines = ["", "## Gradients as formulas", "", "Simplified, over the inputs; each has its input's shape.", ""]
    for target, formula, text, where, why, _ in _rows(result, wrt, "latex"):
        lines.append(f"- ${target} = {text} = {bmatrix(formula.value)}$ `{show_shape(formula.shape)}`")
        for line in where:
            lines.append(f"  - where ${line}$")
        if why:
            lines.append(f"  - ({why})")
    return "\n".join(lines) + "\n"


def formulas_latex(result, wrt=None) -> str:
    from .render import bmatrix

    lines = ["", r"\section*{Gradients as formulas}",
             r"Simplified, over the inputs; each has its input's shape.", r"\begin{align*}"]
    rows = []
    for target, formula, text, where, why, _ in _rows(result, wrt, "latex"):
        rows.append(rf"{target} &= {text} = {bmatrix(formula.value)} && \text{{{show_shape(formula.shape)}}}")
        rows += [rf"&\qquad \text{{where }} {line}" for line in where]
    lines.append(" \\\\\n".join(rows))
    lines.append(r"\end{align*}")
    return "\n".join(lines) + "\n"


def formulas_json(result, wrt=None) -> dict:
    from .render import _list

    document = {}
    for name, formula in result.formulas_for(wrt).items():
        text, where = formula.lines("text")
        latex, latex_where = formula.lines("latex")
        entry = {"text": text, "latex": latex, "value": _list(formula.value), "shape": list(formula.shape)}
        if where:
            entry["where"] = [{"text": t, "latex": lt} for t, lt in zip(where, latex_where)]
        if formula.too_big:
            entry = {"text": None, "latex": None, "value": _list(formula.value), "shape": list(formula.shape)}
            if formula.written_out is not None:
                entry["size"] = formula.written_out
        document[name] = entry
    return document


def with_formulas(fmt: str, result, data: bytes, wrt=None, ascii: bool = False) -> bytes:
    """A derivation's bytes with the formulas section added (``--symbolic``), in its format."""
    from ..errors import RenderError

    if fmt in ("text", "ascii"):
        return data + formulas_text(result, wrt, ascii=ascii or fmt == "ascii").encode("utf-8")
    if fmt == "markdown":
        return data + formulas_markdown(result, wrt).encode("utf-8")
    if fmt == "latex":
        text = data.decode("utf-8")
        section = formulas_latex(result, wrt)
        end = "\\end{document}"
        if text.rstrip().endswith(end):
            head = text.rstrip()[:-len(end)]
            return (head + section + end + "\n").encode("utf-8")
        return (text + section).encode("utf-8")
    if fmt == "json":
        import json

        document = json.loads(data)
        document["formulas"] = formulas_json(result, wrt)
        return (json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False) + "\n").encode("utf-8")
    raise RenderError(f"--symbolic with the {fmt} format is not available for array programs yet: use text, "
                      f"markdown, latex or json (docs/arrays.md)")
