"""The array derivation as an animated GIF, revealed step by step like the scalar GIF.

Frame 0 shows the graph with its inputs (and constants); every other value and gradient reads
"?". Then one frame per step of the JSON document: a forward step fills in its node's value, a
backward step its node's gradient (a broadcast or several uses take a few steps: the gradient
appears with the last of them), the step's node outlined in the pass's colour and the step's
text below. Every cell keeps one width in every frame, so Graphviz lays each frame out the same
and nothing jumps. Frames are composed, captioned and timed by the scalar GIF's own helpers."""

from __future__ import annotations

import json

from ..errors import RenderError
from ..render.gif import DEFAULT_FRAME_MS, MAX_FRAMES, encode_gif
from .dot import GRAD_COLOUR, VALUE_COLOUR, render_dot
from .graph import CONST, INPUT
from .render import render_json, show_value

MAX_WIDTH_INCHES = 1600 / 144  # Graphviz draws wider diagrams smaller (the scalar GIF's width)


def reveal_schedule(result, steps: list[dict]) -> list[tuple[set, set]]:
    """For each frame (0 … len(steps)): the node ids whose value, and whose gradient, are known."""
    graph = result.graph
    values = {node.id for node in graph.nodes if node.op in (INPUT, CONST)}
    last_backward = {}
    for number, step in enumerate(steps, start=1):
        if step["phase"] == "backward":
            last_backward[step["node"]] = number  # a gradient is whole at its node's last step
    grads: set = set()
    frames = [(set(values), set())]
    for number, step in enumerate(steps, start=1):
        if step["phase"] == "forward":
            values.add(step["node"])
        elif last_backward[step["node"]] == number:
            grads.add(step["node"])
        frames.append((set(values), set(grads)))
    return frames


def _start_text(result) -> str:
    graph = result.graph
    shown = [f"{n.name} {show_value(result.values[n.id])}" for n in graph.nodes if n.op == INPUT]
    return (f"The inputs: {'; '.join(shown)}. Every other value and every gradient is '?' until its step "
            f"computes it.")


def render_gif(result, *, frame_ms: int = DEFAULT_FRAME_MS, rankdir: str = "LR", **_) -> bytes:
    if frame_ms <= 0:
        raise ValueError("frame_ms must be positive")
    steps = json.loads(render_json(result))["steps"]
    if len(steps) + 1 > MAX_FRAMES:
        raise RenderError(f"a GIF of this program would have {len(steps) + 1:,} frames, more than {MAX_FRAMES}: "
                          f"step through it with -o steps.html instead")
    schedule = reveal_schedule(result, steps)
    size = f'  graph [size="{MAX_WIDTH_INCHES:.3f},1000"];'
    sources = []
    for k, known in enumerate(schedule):
        step = steps[k - 1] if k else None
        colour = (VALUE_COLOUR if step["phase"] == "forward" else GRAD_COLOUR) if step else None
        source = render_dot(result, rankdir=rankdir, reveal=known, current=step["node"] if step else None,
                            current_colour=colour or "#333333")
        sources.append(source.replace("\n", "\n" + size + "\n", 1))
    captions = [("#1F2328", f"Step 0 / {len(steps)} · the graph and its inputs", _start_text(result))]
    sizes = {phase: sum(1 for s in steps if s["phase"] == phase) for phase in ("forward", "backward")}
    counts = dict.fromkeys(sizes, 0)
    for k, step in enumerate(steps, start=1):
        counts[step["phase"]] += 1
        colour = VALUE_COLOUR if step["phase"] == "forward" else GRAD_COLOUR
        heading = f"Step {k} / {len(steps)} · {step['phase'].capitalize()} pass {counts[step['phase']]} of " \
                  f"{sizes[step['phase']]}"
        captions.append((colour, heading, step["text"]))
    return encode_gif(sources, captions, frame_ms)
