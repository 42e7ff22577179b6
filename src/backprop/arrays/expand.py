"""--expand: an array program written out as its scalar graph, differentiated by the scalar
engine, and its gradients compared with the vectorised rules' — the bridge from the scalar
picture to the matrix one.

Each element of each node becomes one scalar binding (``y_1 = W_1_0 × x_0 + W_1_1 × x_1``);
the scalar program is then run through the ordinary scalar pipeline (parse, lower, forward,
backward), which knows nothing of arrays. Only tiny programs are expanded: at most
``MAX_SCALARS`` elements over all nodes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import RenderError
from ..numfmt import format_number
from .graph import CONST, INPUT
from .ops_array import ELEMENTWISE, class_targets
from .shapes import show_shape

MAX_SCALARS = 200
AGREE_WITHIN = 1e-9  # relative difference under which the two engines' gradients agree
_INFIX = {"add": "+", "sub": "-", "mul": "*", "div": "/", "pow": "^"}


@dataclass
class Expansion:
    """The scalar program, its input values, and the scalar name of every element of every node."""
    program: str
    inputs: dict[str, float]
    names: list  # per node id: an object array of scalar names in the node's shape (constants: None)
    notes: list[str] = field(default_factory=list)  # why a name is not the plain name_index


@dataclass
class Row:
    element: str  # the element's scalar name
    ours: float  # the vectorised rules' gradient
    theirs: float  # the scalar graph's
    agree: bool


def _index_names(stem: str, shape: tuple, separator: str) -> np.ndarray:
    names = np.empty(shape, dtype=object)
    for index in np.ndindex(shape):
        names[index] = stem + separator + separator.join(str(i) for i in index) if index else stem
    return names


def _version_stem(name: str, binding: int) -> str:
    """The stem of a name bound again: h2 for the second h (W1v2 when the name ends in a digit)."""
    return f"{name}{'v' if name[-1:].isdigit() else ''}{binding}"


def _ordinal(number: int) -> str:
    words = ("second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth")
    return words[number - 2] if 2 <= number <= 10 else f"{number}th"


def element_names(graph) -> tuple[list, list[str]]:
    """The scalar name of each element of each node, and notes on the names that are not plain ``x_0``.

    Elements are ``name_i_j`` unless that could be mistaken for another value: a name of the
    program (a scalar ``x_0`` beside a vector ``x``), or an element of another node (``x_1`` of
    shape (2,) beside ``x`` of shape (2, 2)). Those elements take a longer separator,
    ``x__0``. A name bound again gets its own stem (``h2``) so that each element of the new
    binding is a new scalar: rebinding element by element would let later elements read the
    new values of earlier ones."""
    from ..ops import RESERVED_NAMES
    from ..reserved import JOB_NAMES

    program_names = {node.name for node in graph.nodes if node.name} | set(RESERVED_NAMES) | set(JOB_NAMES)
    owners: dict[str, str] = {}  # scalar name given so far -> the stem of the node it belongs to

    def taken(scalar: str) -> bool:
        return scalar in program_names or scalar in owners

    bindings: dict[str, int] = {}
    names: list = [None] * len(graph.nodes)
    notes: list[str] = []
    for node in graph.nodes:
        if node.op == CONST:
            continue
        name = (node.name or "v").rstrip("₀₁₂₃₄₅₆₇₈₉")  # h₁ is h bound again (the scalar language has no ₁)
        bindings[name] = bindings.get(name, 0) + 1
        stem = name
        if bindings[name] > 1:
            binding = bindings[name]
            while taken(_version_stem(name, binding)):
                binding += 1
            stem = _version_stem(name, binding)
            shown = f"{node.name}, " if node.name and node.name != name else ""  # h₁ in the derivation
            notes.append(f"{stem} is {shown}{name} bound a {_ordinal(bindings[name])} time")
        separator, clash = "_", None
        chosen = _index_names(stem, node.shape, separator)
        # A scalar keeps its stem. Elements take a longer separator until none is taken: this ends, as a separator
        # longer than every run of underscores in the (finitely many) taken names puts its elements outside them.
        while node.shape and any(taken(n) for n in chosen.flat):
            clash = clash or next(n for n in chosen.flat if taken(n))
            separator += "_"
            chosen = _index_names(stem, node.shape, separator)
        if clash is not None:
            whose = f"an element of {owners[clash]}" if clash in owners else "a name in the program"
            notes.append(f"{stem}'s elements are written {chosen.flat[0]}{', …' if chosen.size > 1 else ''}: "
                         f"{clash} is {whose}")
        names[node.id] = chosen
        owners.update((n, stem) for n in chosen.flat)
    return names, notes


def _number(value: float) -> str:
    text = format_number(float(value), 17)
    return f"({text})" if text.startswith("-") else text


def expand(result) -> Expansion:
    """The array program written as scalars: one binding per element of each operation."""
    graph, values = result.graph, result.values
    total = sum(int(np.prod(node.shape)) for node in graph.nodes)
    if total > MAX_SCALARS:
        raise RenderError(f"--expand writes one scalar per element, and this program has {total:,} elements over "
                          f"its nodes, more than the limit of {MAX_SCALARS}: use tiny shapes (a 2×3 matrix, a vector "
                          f"of 3)")
    names, notes = element_names(graph)
    exprs: list = [None] * len(graph.nodes)  # per node: an object array of scalar texts
    lines: list[str] = []
    inputs: dict[str, float] = {}
    for node in graph.nodes:
        shape = node.shape
        if node.op == INPUT:
            for index in np.ndindex(shape):
                inputs[names[node.id][index]] = float(values[node.id][index])
            exprs[node.id] = names[node.id]
            continue
        if node.op == CONST:
            texts = np.empty(shape, dtype=object)
            for index in np.ndindex(shape):
                texts[index] = _number(values[node.id][index])
            exprs[node.id] = texts
            continue
        texts = _expand(node, [exprs[a] for a in node.args], [values[a] for a in node.args])
        for index in np.ndindex(shape):
            lines.append(f"{names[node.id][index]} = {texts[index]}")
        exprs[node.id] = names[node.id]
    return Expansion("\n".join(lines), inputs, names, notes)


def scalar_program(result) -> tuple[str, dict]:
    """The scalar program (one binding per element of each operation) and its input values."""
    expansion = expand(result)
    return expansion.program, expansion.inputs


def compare(result, expansion: Expansion | None = None) -> list[Row]:
    """One row per input element: its gradient by the vectorised rules and by the scalar graph."""
    from ..api import differentiate

    expansion = expansion or expand(result)
    scalar = differentiate(expansion.program, expansion.inputs) if expansion.inputs else None
    graph = result.graph
    rows = []
    for input_id in graph.inputs:
        name = graph.nodes[input_id].name
        grad = result.gradients[name]
        for index in np.ndindex(grad.shape):
            element = expansion.names[input_id][index]
            theirs = scalar.gradients.get(element, 0.0) if scalar else 0.0
            ours = float(grad[index])
            rows.append(Row(element, ours, theirs, _difference(ours, theirs) <= AGREE_WITHIN))
    return rows


def _difference(ours: float, theirs: float) -> float:
    return abs(ours - theirs) / max(1.0, abs(ours), abs(theirs))


def _differing(rows: list[Row]) -> tuple[str, str]:
    """How many elements the engines differ on ("every element", "4 of 7 elements") and which (the first five)."""
    differ = [row.element for row in rows if not row.agree]
    counted = "every element" if len(differ) == len(rows) else f"{len(differ)} of {len(rows)} elements"
    return counted, ", ".join(differ[:5]) + (", …" if len(differ) > 5 else "")


def verdict(rows: list[Row], details: str) -> str:
    """Whether the two engines agree, in words: on every element, or on which they DIFFER; ``details`` in brackets."""
    if all(row.agree for row in rows):
        return f"agree on every element ({details})"
    counted, which = _differing(rows)
    return f"DIFFER on {counted} ({which}; {details})"


def disagreement(result) -> str | None:
    """The error line for a run whose expansion differs from the vectorised gradients, None when they agree."""
    rows = compare(result)
    if all(row.agree for row in rows):
        return None
    counted, which = _differing(rows)
    return (f"--expand: the vectorised rules and the scalar graph differ on {counted} ({which}), so one of the two "
            f"engines computes a wrong gradient")


def _sum(terms) -> str:
    terms = list(terms)
    return "(" + " + ".join(terms) + ")" if len(terms) > 1 else terms[0]


def _expand(node, operands, operand_values):
    op, shape = node.op, node.shape
    out = np.empty(shape, dtype=object)
    if op in ELEMENTWISE:
        spread = [np.broadcast_to(o, shape) for o in operands]
        for index in np.ndindex(shape):
            parts = [s[index] for s in spread]
            if op == "neg":
                out[index] = f"-{parts[0]}"
            elif op in _INFIX:
                out[index] = f"{parts[0]} {_INFIX[op]} {parts[1]}"
            else:
                out[index] = f"{op}({', '.join(parts)})"
        return out
    if op == "matmul":
        a, b = operands
        a2 = a if a.ndim == 2 else a.reshape(1, -1)
        b2 = b if b.ndim == 2 else b.reshape(-1, 1)
        full = np.empty((a2.shape[0], b2.shape[1]), dtype=object)
        for i in range(a2.shape[0]):
            for j in range(b2.shape[1]):
                full[i, j] = _sum(f"{a2[i, k]} * {b2[k, j]}" for k in range(a2.shape[1]))
        return full.reshape(shape)
    if op == "transpose":
        return np.array(operands[0].T)
    if op in ("sum", "mean"):
        x = operands[0]
        axis = node.params.get("axis")
        count = x.size if axis is None else x.shape[axis]
        if axis is None:
            total = _sum(x.flat)
            out[()] = total if op == "sum" else f"{total} / {count}"
            return out
        moved = np.moveaxis(x, axis, 0)
        for index in np.ndindex(shape):
            total = _sum(moved[(slice(None),) + index])
            out[index] = total if op == "sum" else f"{total} / {count}"
        return out
    if op == "index":
        return np.array(operands[0][node.params["key"]], dtype=object)
    if op == "stack":
        return np.stack([np.asarray(o, dtype=object) for o in operands])
    if op in ("softmax", "log_softmax", "logsumexp"):
        x = operands[0]
        rows = x.reshape(-1, x.shape[-1])
        result = []
        for row in rows:
            lse = f"log({_sum(f'exp({z})' for z in row)})"
            if op == "logsumexp":
                result.append(lse)
            elif op == "log_softmax":
                result.extend(f"{z} - {lse}" for z in row)
            else:
                denominator = _sum(f"exp({z})" for z in row)
                result.extend(f"exp({z}) / {denominator}" for z in row)
        return np.array(result, dtype=object).reshape(shape)
    if op == "cross_entropy":
        z, t = operands
        z_value, t_value = operand_values
        rows = z.reshape(-1, z.shape[-1])
        terms = []
        if node.params.get("target") == "classes":
            classes = np.atleast_1d(class_targets(z_value, t_value))
            for row, c in zip(rows, classes):
                terms.append(f"(log({_sum(f'exp({v})' for v in row)}) - {row[c]})")
        else:
            targets = t.reshape(-1, z.shape[-1])
            for row, target in zip(rows, targets):
                lse = f"log({_sum(f'exp({v})' for v in row)})"
                terms.extend(f"{p} * ({lse} - {v})" for v, p in zip(row, target))
        out[()] = f"{_sum(terms)} / {rows.shape[0]}" if rows.shape[0] > 1 else _sum(terms)
        return out
    raise RenderError(f"--expand does not know how to write {op} as scalars")


def render_expansion(result, ascii: bool = False) -> str:
    """The scalar program, and each input element's gradient from both engines."""
    expansion = expand(result)
    rows = compare(result, expansion)
    program = expansion.program.splitlines()
    width = max([13, *(len(row.element) for row in rows)])
    lines = ["", (f"Expanded to scalars: every element one node ({len(program)} bindings), "
                  f"differentiated by the scalar engine"),
             *(f"  ({note})" for note in expansion.notes),
             *(f"  {line}" for line in program), "",
             f"  {'input element':<{width}}  vectorised ∂L  scalar graph ∂L  agree"]
    for row in rows:
        lines.append(f"  {row.element:<{width}} {format_number(row.ours):>14}  {format_number(row.theirs):>15}  "
                     f"{'yes' if row.agree else 'NO'}")
    worst = max((_difference(row.ours, row.theirs) for row in rows), default=0.0)
    shapes = ", ".join(f"{n} {show_shape(g.shape)}" for n, g in result.gradients.items())
    lines.append(f"The vectorised rules and the scalar graph "
                 f"{verdict(rows, f'largest relative difference {worst:.1e}; shapes {shapes}')}")
    text = "\n".join(lines) + "\n"
    if ascii:
        from .render import to_ascii

        text = to_ascii(text)
    return text


def expansion_json(result) -> dict:
    """--expand in JSON: the scalar program, per input the scalar names of its elements and the scalar graph's
    gradient (nested lists), and the elements on which the two engines differ."""
    expansion = expand(result)
    rows = iter(compare(result, expansion))
    graph = result.graph
    gradients, names, differing, worst = {}, {}, [], 0.0
    for input_id in graph.inputs:
        name = graph.nodes[input_id].name
        theirs = np.zeros(result.gradients[name].shape)
        for index in np.ndindex(theirs.shape):
            row = next(rows)
            theirs[index] = row.theirs
            worst = max(worst, _difference(row.ours, row.theirs))
            if not row.agree:
                differing.append(row.element)
        gradients[name] = theirs.tolist() if theirs.ndim else float(theirs)
        element_names = expansion.names[input_id]
        names[name] = element_names.tolist() if element_names.ndim else element_names[()]
    return {"program": expansion.program, "names": names, "gradients": gradients, "largest_difference": worst,
            "agree": not differing, "differing": differing}
