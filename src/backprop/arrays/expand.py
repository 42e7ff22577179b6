"""--expand: an array program written out as its scalar graph, differentiated by the scalar
engine, and its gradients compared with the vectorised rules' — the bridge from the scalar
picture to the matrix one.

Each element of each node becomes one scalar binding (``y_1 = W_1_0 × x_0 + W_1_1 × x_1``);
the scalar program is then run through the ordinary scalar pipeline (parse, lower, forward,
backward), which knows nothing of arrays. Only tiny programs are expanded: at most
``MAX_SCALARS`` elements over all nodes.
"""

from __future__ import annotations

import numpy as np

from ..errors import RenderError
from ..numfmt import format_number
from .graph import CONST, INPUT
from .ops_array import ELEMENTWISE, class_targets
from .shapes import show_shape

MAX_SCALARS = 200
_INFIX = {"add": "+", "sub": "-", "mul": "*", "div": "/", "pow": "^"}


def element_name(name: str, index: tuple) -> str:
    return name if not index else name + "_" + "_".join(str(i) for i in index)


def _number(value: float) -> str:
    text = format_number(float(value), 17)
    return f"({text})" if text.startswith("-") else text


def scalar_program(result) -> tuple[str, dict]:
    """The scalar program (one binding per element of each operation) and its input values."""
    graph, values = result.graph, result.values
    total = sum(int(np.prod(node.shape)) for node in graph.nodes)
    if total > MAX_SCALARS:
        raise RenderError(f"--expand writes one scalar per element, and this program has {total:,} elements over "
                          f"its nodes, more than the limit of {MAX_SCALARS}: use tiny shapes (a 2×3 matrix, a vector "
                          f"of 3)")
    exprs: list = [None] * len(graph.nodes)  # per node: an object array of scalar texts
    lines: list[str] = []
    inputs: dict[str, float] = {}
    for node in graph.nodes:
        shape = node.shape
        if node.op == INPUT:
            texts = np.empty(shape, dtype=object)
            for index in np.ndindex(shape):
                name = element_name(node.name, index)
                texts[index] = name
                inputs[name] = float(values[node.id][index])
            exprs[node.id] = texts
            continue
        if node.op == CONST:
            texts = np.empty(shape, dtype=object)
            for index in np.ndindex(shape):
                texts[index] = _number(values[node.id][index])
            exprs[node.id] = texts
            continue
        texts = _expand(node, [exprs[a] for a in node.args], [values[a] for a in node.args])
        named = np.empty(shape, dtype=object)
        for index in np.ndindex(shape):
            name = element_name(node.name, index)
            lines.append(f"{name} = {texts[index]}")
            named[index] = name
        exprs[node.id] = named
    return "\n".join(lines), inputs


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
    from ..api import differentiate

    program, inputs = scalar_program(result)
    scalar = differentiate(program, inputs) if inputs else None
    lines = ["", f"Expanded to scalars: every element one node ({len(program.splitlines())} bindings), "
                 f"differentiated by the scalar engine",
             *(f"  {line}" for line in program.splitlines()), "",
             "  input element  vectorised ∂L  scalar graph ∂L  agree"]
    worst = 0.0
    for name, grad in result.gradients.items():
        for index in np.ndindex(grad.shape):
            element = element_name(name, index)
            theirs = scalar.gradients.get(element, 0.0) if scalar else 0.0
            ours = float(grad[index])
            error = abs(ours - theirs) / max(1.0, abs(ours), abs(theirs))
            worst = max(worst, error)
            lines.append(f"  {element:<14} {format_number(ours):>13}  {format_number(theirs):>15}  "
                         f"{'yes' if error <= 1e-9 else 'NO'}")
    verdict = "agree" if worst <= 1e-9 else "DIFFER"
    lines.append(f"The vectorised rules and the scalar graph {verdict} on every element (largest relative "
                 f"difference {worst:.1e}; shapes {', '.join(f'{n} {show_shape(g.shape)}' for n, g in result.gradients.items())})")
    text = "\n".join(lines) + "\n"
    if ascii:
        from .render import to_ascii

        text = to_ascii(text)
    return text


def expansion_json(result) -> dict:
    """--expand in JSON: the scalar program and, per input, the scalar graph's gradient (nested lists)."""
    from ..api import differentiate

    program, inputs = scalar_program(result)
    scalar = differentiate(program, inputs) if inputs else None
    gradients, worst = {}, 0.0
    for name, grad in result.gradients.items():
        theirs = np.zeros(grad.shape)
        for index in np.ndindex(grad.shape):
            theirs[index] = scalar.gradients.get(element_name(name, index), 0.0) if scalar else 0.0
        worst = max([worst, *(abs(a - b) / max(1.0, abs(a), abs(b)) for a, b in zip(grad.flat, theirs.flat))])
        gradients[name] = theirs.tolist() if theirs.ndim else float(theirs)
    return {"program": program, "gradients": gradients, "largest_difference": worst, "agree": worst <= 1e-9}
