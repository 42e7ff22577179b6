"""Evaluated result → the stepper's forward-mode phase, cost lines and sums over paths.

The words and numbers are the ones the text derivation prints (``modes_views``, over
``modes.py``); this module only adds what the page needs to point at the graph: which node
each tangent step computes, which SVG edges its tangent flows along, and the edges and
nodes of every listed path. SVG ids follow dot.py: value box ``v3``, operation ``o3``, the
edge from operand ``v1`` into ``o3`` at position 0 ``v1_o3_0``, and ``o3_v3``.
"""

from __future__ import annotations

from ..modes import MAX_SWEEPS_SHOWN, count_paths, path_uses, paths_of
from ..numfmt import format_number
from .modes_views import MAX_PATH_INPUTS, MAX_STEPS_SHOWN, cost_header, cost_lines, forward_sections, path_sections


def _fed(graph, seed: int) -> list[int]:
    """The nodes a sweep from ``seed`` computes, in order: those with an operand it already reached.

    The same walk (and the same cut at MAX_STEPS_SHOWN) as ``modes_views.forward_sections``,
    whose printed steps these ids label one for one.
    """
    fed = [False] * len(graph.nodes)
    fed[seed] = True
    ids = []
    for node in graph.nodes[seed + 1:]:
        if node.args and any(fed[arg] for arg in node.args):
            fed[node.id] = True
            ids.append(node.id)
    if len(ids) > MAX_STEPS_SHOWN:
        ids = ids[: MAX_STEPS_SHOWN - 1] + ids[-1:]
    return ids


def _flow(graph, node_id: int, reached: set[int]) -> tuple[list[str], list[str]]:
    """The operands a tangent arrives from (those the sweep reached) and the edges it travels."""
    node = graph.nodes[node_id]
    operands = [arg for arg in node.args if arg in reached]
    edges = [f"v{arg}_o{node_id}_{position}" for position, arg in enumerate(node.args) if arg in reached]
    return [f"v{arg}" for arg in dict.fromkeys(operands)], edges + [f"o{node_id}_v{node_id}"]


def tangent_phase(result, first_number: int) -> dict:
    """The forward-mode steps the stepper plays after the backward pass (numbered from
    ``first_number``), the summary table's forward-mode cells, and the phase's note."""
    graph = result.graph
    data = forward_sections(result, None, "text")
    steps: list[dict] = []
    cells: dict[int, dict] = {}
    for number, sweep in enumerate(data["sweeps"], start=1):
        seed = data["mode"].sweeps[number - 1].input
        steps.append({"node": seed, "sweep": number, "op": None, "operands": [], "edges": [],
                      "text": f"Sweep {number} of {data['total']:,}, for {sweep['input']}: "
                              f"{', '.join(sweep['seeds'])}"})
        reached = {seed}
        ids = _fed(graph, seed)
        labelled = ids if len(ids) == len(sweep["steps"]) else [None] * len(sweep["steps"])
        for k, (node_id, stages) in enumerate(zip(labelled, sweep["steps"])):
            text = " = ".join(stages)
            if sweep["steps_left_out"] and k == len(sweep["steps"]) - 1:
                text = f"… ({sweep['steps_left_out']:,} more steps of this sweep not shown)\n{text}"
            operands, edges = _flow(graph, node_id, reached) if node_id is not None else ([], [])
            if node_id is not None:
                reached.add(node_id)
            steps.append({"node": node_id, "sweep": number, "op": None if node_id is None else f"o{node_id}",
                          "operands": operands, "edges": edges, "text": text})
        steps.append({"node": graph.output, "sweep": number, "op": None, "operands": [], "edges": [],
                      "text": f"so {sweep['closing'][0]}   ({sweep['closing'][1]})"})
        cells[seed] = {"text": format_number(sweep["value"]), "step": first_number + len(steps) - 1}
    lines, counts = cost_lines(result)
    closing = [cost_header(counts)] + [f"  {line}" for line in lines]
    if data["note"]:
        closing = [data["note"], ""] + closing
    steps.append({"node": None, "sweep": None, "op": None, "operands": [], "edges": [], "text": "\n".join(closing)})
    last = first_number + len(steps) - 1
    for input_id, tangent in data["mode"].gradients.items():
        cells.setdefault(input_id, {"text": format_number(tangent), "step": last})
    for input_id in graph.inputs:
        cells.setdefault(input_id, {"text": "not run", "step": last})  # past the work budget
    for step in steps:
        step["phase"] = "tangent"
    note = (f"Forward mode: one sweep per input, carrying each node's tangent (its derivative with respect to "
            f"that input) from the inputs to {data['output']}")
    if data["total"] > MAX_SWEEPS_SHOWN:
        note += f" (the first {MAX_SWEEPS_SHOWN} sweeps of {data['total']:,} are shown)"
    return {"steps": steps, "cells": cells, "note": note}


def cost_section(result) -> dict:
    """The --cost lines: forward mode's sweeps and operations against reverse mode's one sweep."""
    lines, counts = cost_lines(result)
    return {"heading": cost_header(counts), "lines": lines}


def path_view(result, limit: int) -> dict:
    """Per input, each listed path with its words and the SVG edges and nodes it runs through."""
    graph = result.graph
    sections, note = path_sections(result, None, limit, "text")
    counted = count_paths(graph)
    shared = path_uses(graph, counted.counts)
    ids = list(graph.inputs)[:MAX_PATH_INPUTS]
    inputs = []
    for input_id, section in zip(ids, sections):
        found = paths_of(graph, result.partials, input_id, limit, counted, shared)
        rows = []
        for path, (route, stages) in zip(found.listed, section["rows"]):
            below = [input_id] + [consumer for consumer, _ in path[:-1]]
            edges = []
            for (consumer, position), operand in zip(path, below):
                edges += [f"v{operand}_o{consumer}_{position}", f"o{consumer}_v{consumer}"]
            consumers = list(dict.fromkeys(consumer for consumer, _ in path))
            nodes = [f"v{input_id}"] + [f"{kind}{c}" for c in consumers for kind in ("o", "v")]
            rows.append({"route": route, "text": " = ".join(stages), "edges": edges, "nodes": nodes})
        inputs.append({"gradient": section["gradient"], "count": section["count"], "rows": rows,
                       "total": section["total"], "factoring": section["factoring"]})
    return {"inputs": inputs, "note": note}
