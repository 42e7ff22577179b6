"""Shapes, forward and backward over an array graph.

``infer_shapes`` runs before any value is computed, so a shape error (with its caret) costs
nothing. ``forward`` is one loop over the nodes; ``backward`` one loop in reverse, where each
node's gradient is the sum, over its uses, of the operation's vector-Jacobian product, with
broadcasting undone as a step of its own. The steps are recorded for every writer.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np

from ..errors import DomainError
from ..ops import OPS
from .graph import CONST, INPUT, ArrayGraph
from .ops_array import ELEMENTWISE, Rule, grad_name, operation
from .shapes import broadcast_axes, check_size, show_shape


def infer_shapes(graph: ArrayGraph, max_elements: int) -> None:
    """Every node's shape from its operands' (inputs' shapes are set already); raise ShapeError."""
    for node in graph.nodes:
        if node.op in (INPUT, CONST):
            continue
        site = graph.site(node)
        node.shape = tuple(operation(node.op).infer(site))
        check_size(node.shape, max_elements, f"{node.name} = {operation(node.op).show(site)}", node.span)


def forward(graph: ArrayGraph, inputs: dict) -> list:
    """Every node's value (NumPy arrays, float64); DomainError where a value is not finite."""
    values: list = [None] * len(graph.nodes)
    for node in graph.nodes:
        if node.op == INPUT:
            values[node.id] = inputs[node.name]
        elif node.op == CONST:
            values[node.id] = node.value
        else:
            site = graph.site(node)
            operands = [values[a] for a in node.args]
            try:
                with np.errstate(all="ignore"), warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)  # mean of nothing: nan, reported below
                    value = np.asarray(operation(node.op).forward(site, *operands), dtype=float)
            except DomainError as error:  # an operation's own check (a class number out of range): add the caret
                raise DomainError(error.message, error.span or node.span) from None
            if not np.all(np.isfinite(value)):
                raise DomainError(_not_finite(graph, node, site, operands, value), node.span)
            values[node.id] = value
    return values


def _not_finite(graph, node, site, operands, value) -> str:
    where = np.argwhere(~np.isfinite(np.atleast_1d(value)))[0]
    index = "[" + ", ".join(str(i) for i in where) + "]" if value.ndim else ""
    shown = operation(node.op).show(site)
    reason = "the result is not a finite number"
    if node.op in ELEMENTWISE and OPS[node.op].domain is not None:
        shape = value.shape
        at = tuple(where) if value.ndim else ()
        scalars = [float(np.broadcast_to(o, shape)[at]) for o in operands]
        try:
            reason = OPS[node.op].domain(*scalars)
        except Exception:  # noqa: BLE001 - a domain message must never hide the error itself
            pass
        operands_at = ", ".join(f"{n} = {s:g}" for n, s in zip(site.names, scalars) if not _is_number(n))
        if operands_at:
            reason += f" (there {operands_at})"
    return f"cannot compute {node.name} = {shown}: element {index or 'value'} is {float(value[tuple(where)] if value.ndim else value):g}: {reason}"


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


@dataclass
class Term:
    """One use of a node: the gradient it receives through one consumer."""

    consumer: int
    position: int
    rule: Rule
    value: object  # the gradient before broadcasting is undone (the consumer's broadcast shape)
    summed_axes: tuple = ()  # axes summed to undo broadcasting (empty: none)
    kept_axes: tuple = ()  # of those, the ones kept as size 1
    reduced: object = None  # the gradient after undoing broadcasting


@dataclass
class BackStep:
    node: int
    terms: list = field(default_factory=list)
    value: object = None  # the node's total gradient


@dataclass
class Backward:
    grads: list  # per node: the gradient array, or None where no input depends on it
    steps: list  # BackStep, in the order they are computed (reverse topological)


def backward(graph: ArrayGraph, values: list, record: bool = True) -> Backward:
    """Reverse mode: ∂L/∂node for every node an input reaches, with the steps that explain them."""
    nodes = graph.nodes
    depends = [False] * len(nodes)  # does the node depend on an input (so its gradient matters)?
    for node in nodes:
        depends[node.id] = node.op == INPUT or any(depends[a] for a in node.args)
    grads: list = [None] * len(nodes)
    grads[graph.output] = np.ones_like(values[graph.output])
    steps = [BackStep(graph.output, [], grads[graph.output])]
    uses = graph.consumers()
    sites = {}
    for node in reversed(nodes):
        if node.id == graph.output or not depends[node.id]:
            continue
        step = BackStep(node.id)
        total = None
        for consumer, position in uses[node.id]:
            if grads[consumer] is None:
                continue
            user = nodes[consumer]
            site = sites.get(consumer) or sites.setdefault(consumer, graph.site(user))
            rules = operation(user.op)
            if not rules.differentiable(site, position):
                continue
            operands = [values[a] for a in user.args]
            with np.errstate(all="ignore"):
                contribution = np.asarray(rules.vjp(site, position, grads[consumer], operands, values[consumer]),
                                          dtype=float)
            term = Term(consumer, position, rules.rule(site, position) if record else None, contribution)
            if contribution.shape != node.shape:
                leading, stretched = broadcast_axes(node.shape, contribution.shape)
                reduced = contribution.sum(axis=leading + stretched, keepdims=True) if leading or stretched \
                    else contribution
                reduced = reduced.reshape(node.shape)
                term.summed_axes, term.kept_axes, term.reduced = leading + stretched, stretched, reduced
            else:
                term.reduced = contribution
            step.terms.append(term)
            total = term.reduced if total is None else total + term.reduced
        if total is None:
            continue
        grads[node.id] = total
        step.value = total
        steps.append(step)
    return Backward(grads, steps if record else [])


def unbroadcast_text(graph: ArrayGraph, node_id: int, term: Term) -> str:
    """"b (3,) was broadcast to (4, 3): its gradient sums ∂L/∂(b broadcast) over axis 0"."""
    node = graph.nodes[node_id]
    axes = term.summed_axes
    where = f"axis {axes[0]}" if len(axes) == 1 else "axes " + ", ".join(str(a) for a in axes)
    kept = " (kept as size 1)" if term.kept_axes else ""
    return (f"{node.name} {show_shape(node.shape)} was broadcast to {show_shape(term.value.shape)}: its gradient sums "
            f"∂{graph.output_name}/∂({node.name} broadcast) over {where}{kept}")


__all__ = ["Backward", "BackStep", "Term", "backward", "forward", "grad_name", "infer_shapes", "unbroadcast_text"]
