"""Result → the strict JSON document of ``--format json`` (a stable schema for scripts).

Top-level keys, exactly: output, value, inputs, gradients, nodes, steps. Non-finite
numbers are the strings "inf", "-inf" and "nan", so the document is strict JSON.
"""

from __future__ import annotations

import json
import math

from .equations import SHOWN_TERMS
from ..steps import BACKWARD, FORWARD
from .trace import bulk_writer, iter_step_texts


def json_number(x: float) -> float | str:
    """A float as strict JSON allows it; non-finite values become strings."""
    if math.isfinite(x):
        return x
    return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")


def json_document(result, *, symbolic: bool = False, hessian: bool = False, wrt=None, mode: str = "reverse",
                  cost: bool = False, paths: bool = False, max_paths: int = 50, lint: bool = False) -> dict:
    """The JSON document as Python data (``formulas``, ``hessian``, ``forward_mode``, ``cost`` and
    ``paths`` keys only when asked for)."""
    document = _head(result)
    document["nodes"] = list(_nodes(result))
    document["steps"] = list(_steps(result))
    document.update(_views(result, symbolic=symbolic, hessian=hessian, wrt=wrt, mode=mode, cost=cost, paths=paths,
                           max_paths=max_paths, lint=lint))
    return document


def _head(result) -> dict:
    """The keys before ``nodes``: output, value, inputs, gradients."""
    graph = result.graph
    return {
        "output": result.output,
        "value": json_number(result.value),
        "inputs": {graph.nodes[i].name: json_number(result.values[i]) for i in graph.inputs},
        "gradients": {name: json_number(g) for name, g in result.gradients.items()},
    }


def _nodes(result):
    values, grads = result.values, result.grads
    for node in result.graph.nodes:
        yield {"id": node.id, "name": node.name, "op": node.op, "args": list(node.args),
               "value": json_number(values[node.id]), "grad": json_number(grads[node.id])}


def _steps(result, streamed: bool = False):
    writer, bulk = bulk_writer(result)
    if bulk is not None:
        yield from _bulk_steps(result, writer, bulk, streamed)
        return
    for step, text in zip(result.steps, iter_step_texts(result)):
        if streamed and len(step.terms) > _BATCH:  # a node used very often: its lists written piece by piece
            yield _BigStep(step, text)
            continue
        entry = {"phase": step.phase, "node": step.node, "text": text, **_gates(step)}
        if len(step.terms) > SHOWN_TERMS:  # the text shows the first uses; the numbers of all of them
            entry["consumers"] = [t.consumer for t in step.terms]
            entry["contributions"] = [json_number(t.contribution) for t in step.terms]
        yield entry


def _bulk_steps(result, writer, bulk, streamed: bool):
    """``_steps`` from the bulk printer and ``Steps``' flat arrays: the same entries, no Step per step."""
    steps = result.steps
    for node_id, text in zip(steps.forward_order, bulk.forward_texts()):
        yield {"phase": FORWARD, "node": node_id, "text": text}
    uses = steps.uses()
    start, consumers, positions, grads, partials = uses.start, uses.consumers, uses.positions, uses.grads, \
        uses.partials
    gate_of = uses.gates
    nodes = result.graph.nodes
    reaches = steps.reaches
    output = result.graph.output
    for node_id, lines in zip(steps.backward_order, bulk.backward_lines(writer)):
        text = lines[0] if len(lines) == 1 else "\n".join(lines)
        at, stop = start[node_id], start[node_id + 1]
        if node_id == output:  # no terms: no gates
            yield {"phase": BACKWARD, "node": node_id, "text": text}
            continue
        if streamed and stop - at > _BATCH:
            yield _BulkBigStep(node_id, text, reaches[node_id], uses, at, stop, nodes)
            continue
        entry = {"phase": BACKWARD, "node": node_id, "text": text}
        if reaches[node_id]:  # as _gates
            gates = []
            for u in range(at, stop):
                consumer = consumers[u]
                gate = gate_of[nodes[consumer].op]
                if gate:
                    gates.append({"gate": gate, "consumer": consumer, "position": positions[u]})
            if stop - at > 1:
                gates.append({"gate": "copy", "consumer": None, "position": None})
            if gates:
                entry["gates"] = gates
        if stop - at > SHOWN_TERMS:
            entry["consumers"] = list(consumers[at:stop])
            contributions = []
            for u in range(at, stop):
                up = grads[consumers[u]]
                contributions.append(json_number(up * partials[consumers[u]][positions[u]] if up != 0.0 else 0.0))
            entry["contributions"] = contributions
        yield entry


class _BigStep:
    """A step entry too big to hold as one dict: ``pieces`` writes exactly what json.dumps would."""

    def __init__(self, step, text):
        self.step, self.text = step, text

    def pieces(self, dumps):
        step = self.step
        yield f'{{"phase": {dumps(step.phase)}, "node": {dumps(step.node)}, "text": {dumps(self.text)}'
        gated = step.reaches_output and (step.gate or any(t.gate for t in step.terms))
        if gated:
            gates = ({"gate": t.gate, "consumer": t.consumer, "position": t.position} for t in step.terms if t.gate)
            if step.gate:
                from itertools import chain

                gates = chain(gates, [{"gate": step.gate, "consumer": None, "position": None}])
            yield from _list_pieces(', "gates": ', gates, dumps)
        yield from _list_pieces(', "consumers": ', (t.consumer for t in step.terms), dumps)
        yield from _list_pieces(', "contributions": ', (json_number(t.contribution) for t in step.terms), dumps)
        yield "}"


class _BulkBigStep(_BigStep):
    """``_BigStep`` read from ``Steps``' flat arrays (the bulk path): no Term per use."""

    def __init__(self, node_id, text, reaches, uses, at, stop, nodes):
        self.node_id, self.text, self.reaches = node_id, text, reaches
        self.uses, self.at, self.stop, self.nodes = uses, at, stop, nodes

    def pieces(self, dumps):
        uses, at, stop = self.uses, self.at, self.stop
        consumers, positions, grads, partials = uses.consumers, uses.positions, uses.grads, uses.partials
        gate_of, nodes = uses.gates, self.nodes
        yield f'{{"phase": {dumps(BACKWARD)}, "node": {dumps(self.node_id)}, "text": {dumps(self.text)}'
        if self.reaches:  # more than one use, so a copy gate at least
            gates = ({"gate": gate_of[nodes[consumers[u]].op], "consumer": consumers[u], "position": positions[u]}
                     for u in range(at, stop) if gate_of[nodes[consumers[u]].op])
            from itertools import chain

            yield from _list_pieces(', "gates": ', chain(gates, [{"gate": "copy", "consumer": None, "position": None}]),
                                    dumps)
        yield from _list_pieces(', "consumers": ', (consumers[u] for u in range(at, stop)), dumps)

        def contributions():
            for u in range(at, stop):
                up = grads[consumers[u]]
                yield json_number(up * partials[consumers[u]][positions[u]] if up != 0.0 else 0.0)

        yield from _list_pieces(', "contributions": ', contributions(), dumps)
        yield "}"


def _list_pieces(key: str, items, dumps):
    # each batch encoded as one list (one call into the C encoder): the same text as its items
    # encoded one by one and joined by ", ", between the list's brackets
    yield key + "["
    batch: list = []
    first = True
    for item in items:
        batch.append(item)
        if len(batch) >= _BATCH:
            yield ("" if first else ", ") + dumps(batch)[1:-1]
            batch, first = [], False
    yield ("" if first or not batch else ", ") + (dumps(batch)[1:-1] if batch else "") + "]"


def _views(result, *, symbolic, hessian, wrt, mode, cost, paths, max_paths, lint=False) -> dict:
    """The keys added only when asked for: formulas, hessian, forward_mode, cost, paths, lint."""
    graph = result.graph
    document: dict = {}
    if symbolic:
        from ..steps import restrict
        from .symbolic_views import formulas_json

        document["formulas"] = formulas_json(result, restrict(graph, wrt))
    if hessian:
        from .symbolic_views import hessian_json

        document["hessian"] = hessian_json(result, symbolic)
    if mode == "forward" or cost or paths:
        from .modes_views import modes_json

        document.update(modes_json(result, wrt=wrt, mode=mode, cost=cost, paths=paths, max_paths=max_paths))
    if lint:
        from .lint_views import lint_json

        document["lint"] = lint_json(result)
    return document


def _gates(step) -> dict:
    """A backward step's gate patterns (CS231n): one per term whose consumer has one, and "copy" for a fork."""
    gates = [{"gate": t.gate, "consumer": t.consumer, "position": t.position} for t in step.terms if t.gate]
    if step.gate:
        gates.append({"gate": step.gate, "consumer": None, "position": None})
    return {"gates": gates} if gates and step.reaches_output else {}


# Above this many nodes the document is written on one line: indenting makes Python's json
# module fall back from its C encoder to pure Python, several times slower.
INDENT_LIMIT = 2000


def render_json(result, *, indent: int | None = 2, symbolic: bool = False, hessian: bool = False, wrt=None,
                **views) -> str:
    """The JSON document as text (strict: no NaN or Infinity literals); big graphs compactly."""
    return "".join(json_chunks(result, indent=indent, symbolic=symbolic, hessian=hessian, wrt=wrt, **views))


_BATCH = 2048  # nodes or steps per piece written


def json_chunks(result, *, indent: int | None = 2, symbolic: bool = False, hessian: bool = False, wrt=None,
                mode: str = "reverse", cost: bool = False, paths: bool = False, max_paths: int = 50,
                lint: bool = False):
    """``render_json``'s text in pieces, each yielded as soon as it is made. A big (compact)
    document is written node by node and step by step, so it is never held whole in memory;
    the text is exactly what ``json.dumps`` makes of ``json_document``."""
    views = dict(symbolic=symbolic, hessian=hessian, wrt=wrt, mode=mode, cost=cost, paths=paths, max_paths=max_paths,
                 lint=lint)
    if len(result.graph.nodes) <= INDENT_LIMIT and indent is not None:
        yield json.dumps(json_document(result, **views), indent=indent, ensure_ascii=False, allow_nan=False) + "\n"
        return
    dumps = json.JSONEncoder(ensure_ascii=False, allow_nan=False).encode  # compact, as json.dumps(indent=None)
    head = dumps(_head(result))
    yield head[:-1] + ', "nodes": ['
    for key, items in (("nodes", _nodes(result)), ("steps", _steps(result, streamed=True))):
        if key == "steps":
            yield '], "steps": ['
        # A batch encoded as one list (one call into the C encoder, not one per item): the same
        # text as the items encoded one by one and joined by ", ", between the list's brackets.
        batch: list = []
        first = True
        for item in items:
            if isinstance(item, _BigStep):
                if batch:
                    yield ("" if first else ", ") + dumps(batch)[1:-1]
                    batch = []
                yield "" if first else ", "
                yield from item.pieces(dumps)
                first = False
                continue
            batch.append(item)
            if len(batch) >= _BATCH:
                yield ("" if first else ", ") + dumps(batch)[1:-1]
                batch, first = [], False
        if batch:
            yield ("" if first else ", ") + dumps(batch)[1:-1]
    tail = dumps(_views(result, **views))
    yield "]" + (", " + tail[1:] if tail != "{}" else "}") + "\n"


def render_check_json(report) -> str:
    """A gradient check (``check.CheckReport``) as strict JSON: ``--check --format json``."""
    document = {
        "output": report.output,
        "value": json_number(report.value),
        "tol": report.tol,
        "passed": report.passed,
        "checks": [
            {"input": c.name, "value": json_number(c.value), "analytic": json_number(c.analytic),
             "numeric": json_number(c.numeric), "error": json_number(c.error), "step": json_number(c.step),
             "status": c.status, "note": c.note}
            for c in report.checks
        ],
    }
    if report.second:
        document["hessian"] = [{"entry": c.name, "analytic": json_number(c.analytic), "numeric": json_number(c.numeric),
                                "error": json_number(c.error), "status": c.status} for c in report.second]
    return json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
